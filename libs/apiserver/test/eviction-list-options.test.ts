/**
 * pods/eviction (what `kubectl drain` posts) and resourceVersionMatch on
 * lists, with kube-apiserver's codes and messages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startMemoryCluster, type TestCluster } from "@kubeactor/testing";

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name },
  spec: { containers: [{ name: "c", image: "busybox" }], ...extra },
});
const eviction = (name: string, deleteOptions?: unknown) => ({
  apiVersion: "policy/v1",
  kind: "Eviction",
  metadata: { name, namespace: "default" },
  ...(deleteOptions ? { deleteOptions } : {}),
});
const PODS = "/api/v1/namespaces/default/pods";

describe("eviction and list resourceVersionMatch", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startMemoryCluster();
  });
  afterAll(() => c?.stop());

  it("evicts a pod: 201 with a Success Status, and the pod is deleted with the given options", async () => {
    expect((await call(c.url, "POST", PODS, pod("free"))).code).toBe(201);
    const res = await call(c.url, "POST", `${PODS}/free/eviction`, eviction("free"));
    expect(res).toEqual({ code: 201, body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 } });
    expect((await call(c.url, "GET", `${PODS}/free`)).code).toBe(404);

    // a pod on a node is deleted gracefully: marked, with the grace period the eviction asked for
    await call(c.url, "POST", PODS, pod("bound", { nodeName: "node-1" }));
    expect((await call(c.url, "POST", `${PODS}/bound/eviction`, eviction("bound", { gracePeriodSeconds: 7 }))).code).toBe(201);
    const marked = (await call(c.url, "GET", `${PODS}/bound`)).body;
    expect(marked.metadata.deletionTimestamp).toBeTruthy();
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(7);

    // dry run leaves the pod alone
    await call(c.url, "POST", PODS, pod("kept"));
    expect((await call(c.url, "POST", `${PODS}/kept/eviction`, eviction("kept", { dryRun: ["All"] }))).code).toBe(201);
    expect((await call(c.url, "GET", `${PODS}/kept`)).code).toBe(200);
  });

  it("answers 404 for a missing pod and 400 for a mismatched name", async () => {
    const missing = await call(c.url, "POST", `${PODS}/ghost/eviction`, eviction("ghost"));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ reason: "NotFound", message: 'pods "ghost" not found' });
    const wrong = await call(c.url, "POST", `${PODS}/kept/eviction`, eviction("other"));
    expect(wrong.code).toBe(400);
    expect(wrong.body.message).toBe("name in URL does not match name in Eviction object");
  });

  it("lists at an exact revision, not older than one, and refuses bad combinations", async () => {
    const cms = "/api/v1/namespaces/default/configmaps";
    const first = await call(c.url, "POST", cms, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "one" } });
    const rv1 = first.body.metadata.resourceVersion;
    await call(c.url, "POST", cms, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "two" } });

    const exact = await call(c.url, "GET", `${cms}?resourceVersion=${rv1}&resourceVersionMatch=Exact`);
    expect(exact.code).toBe(200);
    expect(exact.body.metadata.resourceVersion).toBe(rv1);
    expect(exact.body.items.map((i: any) => i.metadata.name)).toEqual(["one"]);

    const newer = await call(c.url, "GET", `${cms}?resourceVersion=${rv1}&resourceVersionMatch=NotOlderThan`);
    expect(newer.body.items.map((i: any) => i.metadata.name)).toEqual(["one", "two"]);
    expect(Number(newer.body.metadata.resourceVersion)).toBeGreaterThan(Number(rv1));

    const future = await call(c.url, "GET", `${cms}?resourceVersion=999999&resourceVersionMatch=NotOlderThan`);
    expect(future.code).toBe(504);
    expect(future.body).toMatchObject({ reason: "Timeout", details: { causes: [{ reason: "ResourceVersionTooLarge" }] } });
    expect(future.body.message).toMatch(/^Timeout: Too large resource version: 999999, current: \d+$/);

    const cases: [string, number, string][] = [
      ["resourceVersionMatch=Exact", 422, "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"],
      ["resourceVersion=0&resourceVersionMatch=Exact", 422, 'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
      ["resourceVersion=1&resourceVersionMatch=Newest", 422, 'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""'],
      ["resourceVersion=1&resourceVersionMatch=Exact&continue=abc", 422, "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided"],
      ["watch=true&resourceVersion=1&resourceVersionMatch=NotOlderThan", 422, "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch"],
      ["resourceVersion=abc", 400, 'invalid resource version: strconv.ParseUint: parsing "abc": invalid syntax'],
    ];
    for (const [query, code, message] of cases) {
      const res = await call(c.url, "GET", `${cms}?${query}`);
      expect(res.code, query).toBe(code);
      expect(res.body.message, query).toContain(message);
    }
  });
});
