/**
 * v1 componentstatuses (`kubectl get cs`) over HTTP on a cluster of just the
 * store and the API server: the store is healthy, the scheduler and
 * controller manager are not until their leader Lease is held and fresh.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, memoryCase, startTestCluster, type TestCluster } from "@kubeactor/testing";

const TABLE = { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" };

const lease = (name: string, renewTime: Date, leaseDurationSeconds = 15) => ({
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name, namespace: "kube-system" },
  spec: { holderIdentity: "me", leaseDurationSeconds, renewTime: renewTime.toISOString().replace("Z", "000Z") },
});

describe("componentstatuses", () => {
  const tc = memoryCase();
  let c: TestCluster;
  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
  });
  afterAll(async () => {
    await c?.stop();
    await tc.teardown();
  });

  it("reports the store, and a component without a fresh leader Lease as Unhealthy, with the deprecation warning", async () => {
    const res = await fetch(`${c.url}/api/v1/componentstatuses`);
    expect(res.headers.get("warning")).toBe('299 - "v1 ComponentStatus is deprecated in v1.19+"');
    const list = (await res.json()) as { kind: string; items: { metadata: { name: string }; conditions: object[] }[] };
    expect(list.kind).toBe("ComponentStatusList");
    expect(list.items.map((i) => i.metadata.name)).toEqual(["scheduler", "controller-manager", "etcd-0"]);
    expect(list.items[2]!.conditions).toEqual([{ type: "Healthy", status: "True", message: "ok" }]);
    expect(list.items[0]!.conditions).toEqual([{ type: "Healthy", status: "False", error: "no leader: lease kube-system/kube-scheduler not found" }]);

    await call(c.url, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", lease("kube-scheduler", new Date()));
    await call(c.url, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", lease("kube-controller-manager", new Date(Date.now() - 60_000)));
    const table = (await call(c.url, "GET", "/api/v1/componentstatuses", undefined, TABLE)).body;
    expect(table.columnDefinitions.map((d: { name: string }) => d.name)).toEqual(["Name", "Status", "Message", "Error"]);
    expect(table.rows.map((r: { cells: string[] }) => r.cells.slice(0, 3))).toEqual([
      ["scheduler", "Healthy", "ok"],
      ["controller-manager", "Unhealthy", ""],
      ["etcd-0", "Healthy", "ok"],
    ]);
    expect(table.rows[1].cells[3]).toMatch(/^no leader: lease kube-system\/kube-controller-manager was last renewed at /);
  });

  it("gets one by name; anything else is NotFound or MethodNotAllowed", async () => {
    expect((await call(c.url, "GET", "/api/v1/componentstatuses/etcd-0")).body).toEqual({
      kind: "ComponentStatus",
      apiVersion: "v1",
      metadata: { name: "etcd-0" },
      conditions: [{ type: "Healthy", status: "True", message: "ok" }],
    });
    const missing = await call(c.url, "GET", "/api/v1/componentstatuses/etcd-1");
    expect([missing.code, missing.body.message]).toEqual([404, 'componentstatuses "etcd-1" not found']);
    expect((await call(c.url, "POST", "/api/v1/componentstatuses", { metadata: { name: "x" } })).code).toBe(405);
    expect((await call(c.url, "DELETE", "/api/v1/componentstatuses/etcd-0")).code).toBe(405);
  });
});
