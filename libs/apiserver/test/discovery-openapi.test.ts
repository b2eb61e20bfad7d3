/**
 * Aggregated discovery and the OpenAPI documents as kubectl reads them:
 * content types, ETags and 304s, the hashed v3 URLs, and schemas generated
 * from libs/api (descriptions, references, patch merge keys).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resources } from "@kubeactor/api";
import { startMemoryCluster, type TestCluster } from "@kubeactor/testing";

const V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

describe("discovery and OpenAPI", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startMemoryCluster();
  });
  afterAll(() => c?.stop());
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${c.url}${path}`, { headers, redirect: "manual" });
  const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

  it("answers /api and /apis in the aggregated form kubectl asks for first, legacy otherwise", async () => {
    const res = await get("/api", { Accept: `${V2},${V2BETA1},application/json` });
    expect(res.headers.get("content-type")).toBe(V2);
    expect(res.headers.get("vary")).toBe("Accept");
    const core = await json(res);
    expect(core).toMatchObject({ kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2" });
    expect(core.items.map((g: any) => g.metadata.name)).toEqual([""]);
    const pods = core.items[0].versions[0].resources.find((r: any) => r.resource === "pods");
    expect(pods).toMatchObject({
      responseKind: { group: "", version: "", kind: "Pod" },
      scope: "Namespaced",
      singularResource: "pod",
      shortNames: ["po"],
      categories: ["all"],
    });
    expect(pods.subresources.find((s: any) => s.subresource === "eviction")).toEqual({
      subresource: "eviction",
      responseKind: { group: "policy", version: "v1", kind: "Eviction" },
      verbs: ["create"],
    });
    // kubectl ≤ 1.29 only knows v2beta1
    const old = await get("/apis", { Accept: `${V2BETA1},application/json` });
    expect(old.headers.get("content-type")).toBe(V2BETA1);
    const groups = await json(old);
    expect(groups.apiVersion).toBe("apidiscovery.k8s.io/v2beta1");
    // every served group, in kube-apiserver's order (apps first; coordination before discovery)
    const names: string[] = groups.items.map((g: any) => g.metadata.name);
    expect(names.sort()).toEqual([...new Set(resources.filter((r) => r.group !== "").map((r) => r.group))].sort());
    expect(groups.items.map((g: any) => g.metadata.name).filter((n: string) => ["apps", "events.k8s.io", "coordination.k8s.io", "discovery.k8s.io"].includes(n))).toEqual([
      "apps",
      "events.k8s.io",
      "coordination.k8s.io",
      "discovery.k8s.io",
    ]);
    const scale = groups.items.find((g: any) => g.metadata.name === "apps").versions[0].resources.find((r: any) => r.resource === "deployments");
    expect(scale.subresources.map((s: any) => [s.subresource, s.responseKind.group, s.responseKind.kind])).toEqual([
      ["scale", "autoscaling", "Scale"],
      ["status", "", "Deployment"],
    ]);
    // the legacy forms stay
    expect((await json(get("/api", { Accept: "application/json" }))).kind).toBe("APIVersions");
    expect((await json(get("/apis"))).kind).toBe("APIGroupList");
    expect(await json(get("/apis/apps"))).toEqual({
      kind: "APIGroup",
      apiVersion: "v1",
      name: "apps",
      versions: [{ groupVersion: "apps/v1", version: "v1" }],
      preferredVersion: { groupVersion: "apps/v1", version: "v1" },
    });
    expect((await get("/apis/nope")).status).toBe(404);
  });

  it("sends ETags and 304 Not Modified for discovery and OpenAPI documents", async () => {
    const first = await get("/apis", { Accept: V2 });
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9A-F]{128}"$/);
    expect((await get("/apis", { Accept: V2, "If-None-Match": etag })).status).toBe(304);
    const v2 = await get("/openapi/v2", { Accept: "application/json" });
    expect((await get("/openapi/v2", { Accept: "application/json", "If-None-Match": v2.headers.get("etag")! })).status).toBe(304);
  });

  it("serves the OpenAPI v3 index and hashed, immutable group-version documents", async () => {
    const indexRes = await get("/openapi/v3");
    expect((await get("/openapi/v3", { "If-None-Match": indexRes.headers.get("etag")! })).status).toBe(304);
    const index = await json(indexRes);
    const url: string = index.paths["apis/apps/v1"].serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, immutable");
    expect(res.headers.get("expires")).toBeTruthy();
    const stale = await get("/openapi/v3/apis/apps/v1?hash=0123");
    expect(stale.status).toBe(301);
    expect(stale.headers.get("location")).toBe(url);
    expect((await get("/openapi/v3/apis/nope/v1")).status).toBe(404);

    const doc = await json(res);
    const schemas = doc.components.schemas;
    expect(schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", version: "v1", kind: "Deployment" }]);
    const strategy = schemas["io.k8s.api.apps.v1.DeploymentSpec"].properties.strategy;
    expect(strategy.allOf).toEqual([{ $ref: "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy" }]);
    expect(strategy.description).toMatch(/replaced/);
    expect(strategy["x-kubernetes-patch-strategy"]).toBe("retainKeys");
    const containers = schemas["io.k8s.api.core.v1.PodSpec"].properties.containers;
    expect(containers).toMatchObject({ type: "array", "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge" });
    expect(schemas["io.k8s.api.core.v1.PodSpec"].required).toEqual(["containers"]);
    expect(schemas["io.k8s.api.core.v1.Container"].properties.ports["x-kubernetes-patch-merge-key"]).toBe("containerPort");
    expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].properties.labels).toEqual({ type: "object", additionalProperties: { type: "string" } });
    // kubectl leaves validation to the server when PATCH names the kind and takes fieldValidation
    const patch = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].patch;
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({ group: "apps", version: "v1", kind: "Deployment" });
    expect(patch.parameters.map((p: any) => p.name)).toContain("fieldValidation");
    // every reference resolves inside the document
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[^"]+/g) ?? [];
    for (const ref of refs) expect(schemas[ref.slice("#/components/schemas/".length)], ref).toBeDefined();
  });

  it("serves OpenAPI v2 as JSON and as the gnostic protobuf old kubectl asks for", async () => {
    const v2json = await get("/openapi/v2", { Accept: "application/json" });
    expect(v2json.headers.get("content-type")).toBe("application/json");
    const doc = await json(v2json);
    expect(doc.swagger).toBe("2.0");
    expect(doc.definitions["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "", version: "v1", kind: "Pod" }]);
    const pb = await get("/openapi/v2", { Accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" });
    expect(pb.headers.get("content-type")).toBe("application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
    const bytes = Buffer.from(await pb.arrayBuffer());
    // field 1 (swagger) = "2.0"
    expect([...bytes.subarray(0, 5)]).toEqual([0x0a, 3, ...Buffer.from("2.0")]);
    expect(bytes.includes(Buffer.from("io.k8s.api.apps.v1.DeploymentStrategy"))).toBe(true);
    expect((await get("/openapi/v3/api/v1", { Accept: "application/vnd.kubernetes.protobuf" })).status).toBe(406);
  });
});
