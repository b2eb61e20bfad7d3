/**
 * A minimal OpenAPI v3 surface so kubectl's default (strict) validation can
 * run `create -f` / `apply` / `replace -f`: per group-version documents whose
 * PATCH operations carry `x-kubernetes-group-version-kind` and a
 * `fieldValidation` parameter, which tells kubectl to leave validation to the
 * server. Full schemas for `kubectl explain` are generated in the kubectl
 * parity work; this file is where they go.
 */
import { createHash } from "node:crypto";
import { apiVersionOf, type ResourceInfo, resources } from "@kubeactor/api";

const gvPath = (r: ResourceInfo) => (r.group === "" ? `api/${r.version}` : `apis/${r.group}/${r.version}`);

const fieldValidationParam = {
  name: "fieldValidation",
  in: "query",
  description: "Strict, Warn or Ignore: how the server treats unknown or duplicate fields.",
  schema: { type: "string", uniqueItems: true },
};

const documentFor = (gv: string) => {
  const served = resources.filter((r) => gvPath(r) === gv);
  const paths: Record<string, unknown> = {};
  for (const r of served) {
    const gvk = [{ group: r.group, version: r.version, kind: r.kind }];
    const base = `/${gv}${r.namespaced ? "/namespaces/{namespace}" : ""}/${r.resource}`;
    paths[`${base}/{name}`] = {
      patch: {
        operationId: `patch${r.kind}`,
        parameters: [fieldValidationParam],
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": gvk[0],
        requestBody: { content: { "application/json-patch+json": {}, "application/merge-patch+json": {}, "application/apply-patch+yaml": {} } },
        responses: { "200": { description: "OK" } },
      },
    };
  }
  const schemas = Object.fromEntries(
    served.map((r) => [
      `${r.group === "" ? "io.k8s.api.core" : `io.k8s.api.${r.group.split(".")[0]}`}.${r.version}.${r.kind}`,
      {
        type: "object",
        description: `${r.kind} (${apiVersionOf(r)})`,
        "x-kubernetes-group-version-kind": [{ group: r.group, version: r.version, kind: r.kind }],
      },
    ]),
  );
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.32.0" }, paths, components: { schemas } };
};

const documents = new Map<string, { body: string; hash: string }>();
for (const gv of new Set(resources.map(gvPath))) {
  const body = JSON.stringify(documentFor(gv));
  documents.set(gv, { body, hash: createHash("sha512").update(body).digest("hex").slice(0, 128) });
}

export const openApiIndex = () => ({
  paths: Object.fromEntries([...documents].map(([gv, d]) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${d.hash}` }])),
});

export const openApiDocument = (gv: string): string | undefined => documents.get(gv)?.body;
