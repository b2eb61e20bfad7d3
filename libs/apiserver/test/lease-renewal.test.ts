/**
 * Node Lease renewals as a kubelet sends them: conditional UPDATEs, each
 * from the Lease the last one returned. The API server starts such an
 * update from the Lease it last wrote instead of reading the store
 * (recent-writes.ts); whatever else happened to the Lease in between, the
 * answers must be the store's: 409 when someone else wrote it (whichever
 * verb, HTTP or bus), 404 when it is gone, and every renewal versioned,
 * watched and recorded in managedFields.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus, type JsonObject } from "@kubeactor/bus";
import { ApiClient, openWatchStream, StoreClient } from "@kubeactor/client";
import { call, memoryCase, startTestCluster, type TestCluster, until } from "@kubeactor/testing";

const LEASES = { group: "coordination.k8s.io", version: "v1", resource: "leases" };
const NS = "kube-node-lease";
const PATH = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;

const codeOf = (e: unknown) => (e as { status?: { code?: number } }).status?.code;
const rvOf = (o: JsonObject) => (o.metadata as { resourceVersion: string }).resourceVersion;
const renewed = (lease: JsonObject, renewTime: string): JsonObject => ({ ...lease, spec: { ...(lease.spec as object), renewTime } });

describe("lease renewals through the API server", () => {
  const tc = memoryCase();
  let c: TestCluster;
  let kubelet: ApiClient;
  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    kubelet = new ApiClient(new Bus(await tc.connect("kubelet"), { log: () => {} }), "kubelet");
  });
  afterAll(async () => {
    await c?.stop();
    await tc.teardown();
  });

  const create = (name: string) =>
    kubelet.create(LEASES, NS, {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace: NS },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: "2025-01-01T00:00:00.000000Z" },
    });

  it("versions every renewal, sends a watch event for each and keeps the kubelet's managedFields entry", async () => {
    const watchBus = new Bus(await tc.connect("watch"), { log: () => {} });
    const seen: string[] = [];
    const watch = await openWatchStream(watchBus, new StoreClient(watchBus), { group: "coordination.k8s.io", resource: "leases", namespace: NS }, {
      onList: () => {},
      onEvent: (e) => {
        if ((e.object.metadata as { name: string }).name === "node-a") seen.push(`${e.type} ${(e.object.spec as { renewTime: string }).renewTime}`);
      },
      onError: () => {},
    });
    let lease = await create("node-a");
    const times = ["2025-01-01T00:00:10.000000Z", "2025-01-01T00:00:20.000000Z", "2025-01-01T00:00:30.000000Z"];
    for (const t of times) {
      const next = await kubelet.update(LEASES, NS, renewed(lease, t));
      expect(Number(rvOf(next))).toBeGreaterThan(Number(rvOf(lease)));
      expect((next.spec as { renewTime: string }).renewTime).toBe(t);
      lease = next;
    }
    await until("three MODIFIED events", () => seen.length === 4 || undefined);
    expect(seen).toEqual(["ADDED 2025-01-01T00:00:00.000000Z", ...times.map((t) => `MODIFIED ${t}`)]);
    watch.stop();
    const stored = (await call(c.url, "GET", `${PATH}/node-a`)).body;
    expect(stored.spec).toEqual({ holderIdentity: "node-a", leaseDurationSeconds: 40, renewTime: times[2] });
    expect(stored.metadata.resourceVersion).toBe(rvOf(lease));
    expect(stored.metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager} ${m.operation}`)).toEqual(["kubelet Update"]);
  });

  it("answers 409 when someone else wrote the lease since (PUT over HTTP, or a patch), and renews again from a fresh read", async () => {
    let lease = await create("node-b");
    lease = await kubelet.update(LEASES, NS, renewed(lease, "2025-01-01T00:00:10.000000Z"));
    // Another writer takes the lease over HTTP.
    const stolen = await call(c.url, "PUT", `${PATH}/node-b`, { ...(await call(c.url, "GET", `${PATH}/node-b`)).body, spec: { holderIdentity: "someone-else", leaseDurationSeconds: 15 } });
    expect(stolen.code).toBe(200);
    const stale = await kubelet.update(LEASES, NS, renewed(lease, "2025-01-01T00:00:20.000000Z")).catch((e) => e);
    expect(codeOf(stale)).toBe(409);

    lease = await kubelet.get(LEASES, NS, "node-b");
    lease = await kubelet.update(LEASES, NS, renewed(lease, "2025-01-01T00:00:30.000000Z"));
    expect(lease.spec).toMatchObject({ holderIdentity: "someone-else", renewTime: "2025-01-01T00:00:30.000000Z" });
    // Started from the store's lease, not the one this server wrote before: the other writer's field ownership is kept.
    const managers = (await call(c.url, "GET", `${PATH}/node-b`)).body.metadata.managedFields.map((m: { manager: string }) => m.manager);
    expect(managers).toHaveLength(2);
    expect(managers).toContain("kubelet");

    // A patch moves the lease on too: a renewal from a fresh read starts from the patched lease (the patcher's fields kept) ...
    const patch = (holderIdentity: string) =>
      call(c.url, "PATCH", `${PATH}/node-b?fieldManager=patcher`, { spec: { holderIdentity } }, { "Content-Type": "application/merge-patch+json" });
    expect((await patch("node-b")).code).toBe(200);
    lease = await kubelet.update(LEASES, NS, renewed(await kubelet.get(LEASES, NS, "node-b"), "2025-01-01T00:00:40.000000Z"));
    expect(lease.spec).toMatchObject({ holderIdentity: "node-b", renewTime: "2025-01-01T00:00:40.000000Z" });
    const owners = (await call(c.url, "GET", `${PATH}/node-b`)).body.metadata.managedFields.map((m: { manager: string }) => m.manager);
    expect(owners).toContain("patcher");
    // ... and one from before the patch is refused.
    expect((await patch("node-b2")).code).toBe(200);
    expect(codeOf(await kubelet.update(LEASES, NS, renewed(lease, "2025-01-01T00:00:50.000000Z")).catch((e) => e))).toBe(409);
    expect((await call(c.url, "GET", `${PATH}/node-b`)).body.spec.holderIdentity).toBe("node-b2");
  });

  it("answers 404 for a renewal of a deleted lease, and 409 once it is created again", async () => {
    let lease = await create("node-c");
    lease = await kubelet.update(LEASES, NS, renewed(lease, "2025-01-01T00:00:10.000000Z"));
    expect((await call(c.url, "DELETE", `${PATH}/node-c`)).code).toBe(200);
    expect(codeOf(await kubelet.update(LEASES, NS, renewed(lease, "2025-01-01T00:00:20.000000Z")).catch((e) => e))).toBe(404);
    await create("node-c");
    expect(codeOf(await kubelet.update(LEASES, NS, renewed(lease, "2025-01-01T00:00:30.000000Z")).catch((e) => e))).toBe(409);
  });

  it("refuses an invalid renewal with the store untouched, then renews from the same lease", async () => {
    const lease = await create("node-d");
    const bad = await kubelet.update(LEASES, NS, { ...lease, spec: { ...(lease.spec as object), leaseDurationSeconds: -1 } }).catch((e) => e);
    expect(codeOf(bad)).toBe(422);
    const next = await kubelet.update(LEASES, NS, renewed(lease, "2025-01-01T00:00:10.000000Z"));
    expect(Number(rvOf(next))).toBeGreaterThan(Number(rvOf(lease)));
  });
});
