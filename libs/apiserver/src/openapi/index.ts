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

const queryParam = (name: string, description: string) => ({ name, in: "query", description, schema: { type: "string", uniqueItems: true } });
const WRITE_PARAMS = [
  queryParam("dryRun", "When present, indicates that modifications should not be persisted (All)."),
  queryParam("fieldManager", "A name associated with the actor or entity that is making these changes."),
  queryParam("fieldValidation", "Strict, Warn or Ignore: how the server treats unknown or duplicate fields in the body."),
];
const PATH_PARAM = (name: string) => ({ name, in: "path", required: true, schema: { type: "string", uniqueItems: true } });

/** The operations of one resource; v2 and v3 differ only in how bodies and responses are written. */
const pathsFor = (r: ResourceInfo, prefix: string, ref: string, v3: boolean): Record<string, unknown> => {
  const base = `${prefix}${r.namespaced ? "/namespaces/{namespace}" : ""}/${r.resource}`;
  const gvk = gvkOf(r);
  const body = (types: string[]) =>
    v3
      ? { requestBody: { content: Object.fromEntries(types.map((t) => [t, { schema: { $ref: ref } }])), required: true } }
      : { consumes: types, parameters: [{ name: "body", in: "body", required: true, schema: { $ref: ref } }] };
  const ok = v3 ? { "200": { description: "OK", content: { "application/json": { schema: { $ref: ref } } } } } : { "200": { description: "OK", schema: { $ref: ref } } };
  const op = (action: string, verb: string, extra: Record<string, unknown> = {}, params: unknown[] = []) => ({
    operationId: `${verb}${r.namespaced ? "Namespaced" : ""}${r.kind}`,
    tags: [gvPath(r)],
    ...extra,
    ...(params.length || (extra as { parameters?: unknown[] }).parameters
      ? { parameters: [...(((extra as { parameters?: unknown[] }).parameters ?? []) as unknown[]), ...params] }
      : {}),
    responses: ok,
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": gvk,
  });
  const common = [PATH_PARAM("name"), ...(r.namespaced ? [PATH_PARAM("namespace")] : [])];
  return {
    [base]: {
      ...(r.verbs.includes("list") ? { get: op("list", "list") } : {}),
      ...(r.verbs.includes("create") ? { post: op("post", "create", body(["*/*"]), WRITE_PARAMS) } : {}),
      ...(r.namespaced ? { parameters: [PATH_PARAM("namespace")] } : {}),
    },
    [`${base}/{name}`]: {
      get: op("get", "read"),
      ...(r.verbs.includes("update") ? { put: op("put", "replace", body(["*/*"]), WRITE_PARAMS) } : {}),
      ...(r.verbs.includes("patch")
        ? { patch: op("patch", "patch", body(["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]), WRITE_PARAMS) }
        : {}),
      ...(r.verbs.includes("delete") ? { delete: op("delete", "delete") } : {}),
      parameters: common,
    },
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
export const openApiV3Index = (): { paths: Record<string, { serverRelativeURL: string }> } => ({
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
