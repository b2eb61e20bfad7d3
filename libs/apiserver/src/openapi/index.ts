/**
 * OpenAPI documents generated from the libs/api schemas (see model.ts and
 * schemas.ts): v3 per group-version (`/openapi/v3/apis/apps/v1`) with its
 * index (`/openapi/v3`), and one v2 document (`/openapi/v2`), all built once
 * at start-up since the registry is fixed.
 *
 * Each PATCH operation carries `x-kubernetes-group-version-kind` and a
 * `fieldValidation` parameter, which tells kubectl ≥ 1.27 to leave field
 * validation to the server. The PATCH request bodies do not advertise
 * strategic-merge-patch, so client-side apply computes its patches from
 * kubectl's compiled-in types rather than from these schemas.
 */
import { createHash } from "node:crypto";
import { type ResourceInfo, resources } from "@kubeactor/api";
import { encodeOpenApiV2 } from "./v2-protobuf.ts";
import { type Flavor, gvkOf, type Schema, schemaIdOf, schemasFor } from "./schemas.ts";

const V3: Flavor = { refPrefix: "#/components/schemas/", wrapRefs: true };
const V2: Flavor = { refPrefix: "#/definitions/", wrapRefs: false };

const gvPath = (r: ResourceInfo) => (r.group === "" ? `api/${r.version}` : `apis/${r.group}/${r.version}`);
const INFO = { title: "Kubernetes", version: "v1.32.0" };

/** A string parameter: v3 wraps its type in `schema`, v2 puts it inline. */
const param = (v3: boolean, name: string, where: "query" | "path", description?: string) => ({
  name,
  in: where,
  ...(description ? { description } : {}),
  ...(where === "path" ? { required: true } : {}),
  ...(v3 ? { schema: { type: "string", uniqueItems: true } } : { type: "string", uniqueItems: true }),
});
const WRITE_PARAMS: readonly [string, string][] = [
  ["dryRun", "When present, indicates that modifications should not be persisted (All)."],
  ["fieldManager", "A name associated with the actor or entity that is making these changes."],
  ["fieldValidation", "Strict, Warn or Ignore: how the server treats unknown or duplicate fields in the body."],
];
const PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];

/** The operations of one resource; v2 and v3 differ only in how parameters, bodies and responses are written. */
const pathsFor = (r: ResourceInfo, prefix: string, ref: string, v3: boolean): Record<string, unknown> => {
  const base = `${prefix}${r.namespaced ? "/namespaces/{namespace}" : ""}/${r.resource}`;
  const schema = { $ref: ref };
  /** One operation; `bodyTypes` makes it a write that takes the object and the write parameters. */
  const op = (action: string, verb: string, bodyTypes?: readonly string[]) => {
    const parameters: unknown[] = bodyTypes ? WRITE_PARAMS.map(([n, d]) => param(v3, n, "query", d)) : [];
    let body = {};
    if (bodyTypes && v3) body = { requestBody: { content: Object.fromEntries(bodyTypes.map((t) => [t, { schema }])), required: true } };
    if (bodyTypes && !v3) {
      body = { consumes: bodyTypes };
      parameters.unshift({ name: "body", in: "body", required: true, schema });
    }
    return {
      operationId: `${verb}${r.namespaced ? "Namespaced" : ""}${r.kind}`,
      tags: [gvPath(r)],
      ...body,
      ...(parameters.length ? { parameters } : {}),
      responses: { "200": v3 ? { description: "OK", content: { "application/json": { schema } } } : { description: "OK", schema } },
      "x-kubernetes-action": action,
      "x-kubernetes-group-version-kind": gvkOf(r),
    };
  };
  const has = (verb: string) => r.verbs.includes(verb);
  const namespaceParam = r.namespaced ? [param(v3, "namespace", "path")] : [];
  return {
    [base]: {
      ...(has("list") ? { get: op("list", "list") } : {}),
      ...(has("create") ? { post: op("post", "create", ["*/*"]) } : {}),
      ...(namespaceParam.length ? { parameters: namespaceParam } : {}),
    },
    // Create-only kinds (the reviews) have no per-object path.
    ...(["get", "update", "patch", "delete"].some(has)
      ? {
          [`${base}/{name}`]: {
            ...(has("get") ? { get: op("get", "read") } : {}),
            ...(has("update") ? { put: op("put", "replace", ["*/*"]) } : {}),
            ...(has("patch") ? { patch: op("patch", "patch", PATCH_TYPES) } : {}),
            ...(has("delete") ? { delete: op("delete", "delete") } : {}),
            parameters: [param(v3, "name", "path"), ...namespaceParam],
          },
        }
      : {}),
  };
};

/** A document body with its hash (kube-openapi's ETag: upper-case hex SHA-512). */
export interface OpenApiDocument {
  readonly body: string | Buffer;
  readonly hash: string;
}
const withHash = (doc: unknown): OpenApiDocument => {
  const body = JSON.stringify(doc);
  return { body, hash: createHash("sha512").update(body).digest("hex").toUpperCase() };
};

const v3Document = (gv: string): unknown => {
  const served = resources.filter((r) => gvPath(r) === gv);
  const paths = Object.assign({}, ...served.map((r) => pathsFor(r, `/${gv}`, `${V3.refPrefix}${schemaIdOf(r)}`, true)));
  return { openapi: "3.0.0", info: INFO, paths, components: { schemas: schemasFor(served, V3) } };
};

const v3Documents = new Map<string, OpenApiDocument>();
for (const gv of [...new Set(resources.map(gvPath))].sort()) v3Documents.set(gv, withHash(v3Document(gv)));

/** `GET /openapi/v3`: where each group-version's document is, with its hash. */
export const openApiV3Index: OpenApiDocument = withHash({
  paths: Object.fromEntries([...v3Documents].map(([gv, d]) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${d.hash}` }])),
});

/** `GET /openapi/v3/<gv>`; undefined when no such group-version is served. */
export const openApiV3Document = (gv: string): OpenApiDocument | undefined => v3Documents.get(gv);

let v2: { json: OpenApiDocument; protobuf: OpenApiDocument } | undefined;
/** `GET /openapi/v2`: every served kind in one swagger 2.0 document, as JSON and as gnostic protobuf. */
export const openApiV2Document = (): { json: OpenApiDocument; protobuf: OpenApiDocument } => {
  if (!v2) {
    const doc = {
      swagger: "2.0",
      info: INFO,
      paths: Object.assign({}, ...resources.map((r) => pathsFor(r, `/${gvPath(r)}`, `${V2.refPrefix}${schemaIdOf(r)}`, false))),
      definitions: schemasFor(resources, V2) as Record<string, Schema>,
    };
    const json = withHash(doc);
    const pb = Buffer.from(encodeOpenApiV2(doc));
    v2 = { json, protobuf: { body: pb, hash: createHash("sha512").update(pb).digest("hex").toUpperCase() } };
  }
  return v2;
};
