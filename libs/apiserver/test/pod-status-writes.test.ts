import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JsonObject } from "@kubeactor/bus";
import { startTestCluster, type TestCluster, transportCases } from "@kubeactor/testing";
import { RecentWrites } from "../src/recent-writes.ts";

const PODS = { group: "", version: "v1", resource: "pods" };
const rvOf = (o: JsonObject) => (o.metadata as { resourceVersion: string }).resourceVersion;
const pod = (name: string): JsonObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name },
  spec: { nodeName: "node-1", containers: [{ name: "app", image: "nginx" }] },
});
const withStatus = (p: JsonObject, phase: string): JsonObject => ({ ...p, status: { ...(p.status as object), phase } });

describe("RecentWrites", () => {
  const at = (rv: string) => ({ metadata: { name: "p", resourceVersion: rv } });

  it("answers only for the exact resourceVersion, and only while recent", () => {
    let now = 0;
    const recent = new RecentWrites({ maxEntries: 1024, maxAgeMs: 5000, clock: () => now });
    recent.remember("/core/pods/a/p", at("5"));
    expect(recent.at("/core/pods/a/p", "5")).toEqual(at("5"));
    expect(recent.at("/core/pods/a/p", "4")).toBeUndefined();
    expect(recent.at("/core/pods/a/q", "5")).toBeUndefined();
    now = 5000;
    expect(recent.at("/core/pods/a/p", "5")).toBeUndefined();
    expect(recent.size).toBe(0);
  });

  it("keeps a bounded number of objects, dropping the oldest write first", () => {
    let now = 0;
    const recent = new RecentWrites({ maxEntries: 1024, maxAgeMs: 5000, clock: () => now });
    for (let i = 0; i < 1500; i++) {
      now = i;
      recent.remember(`/core/pods/a/p${i}`, at(String(i)));
    }
    recent.remember("/core/pods/a/p0", at("9999")); // written again: now the newest
    expect(recent.size).toBe(1024);
    expect(recent.at("/core/pods/a/p1", "1")).toBeUndefined();
    expect(recent.at("/core/pods/a/p1499", "1499")).toBeDefined();
    expect(recent.at("/core/pods/a/p0", "9999")).toBeDefined();
  });

  it("without an age limit (node Leases, renewed every 10 s) an old copy still answers", () => {
    let now = 0;
    const recent = new RecentWrites({ maxEntries: 10, clock: () => now });
    recent.remember("/coordination.k8s.io/leases/kube-node-lease/node-1", at("7"));
    now = 3_600_000;
    expect(recent.at("/coordination.k8s.io/leases/kube-node-lease/node-1", "7")).toEqual(at("7"));
  });
});

describe.each(transportCases())("pods/status writes over the $name bus", (tc) => {
  let c: TestCluster;
  let storeGets: string[];
  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    // Every store read, as the store sees it (a plain subscriber gets requests beside the store's queue group).
    storeGets = [];
    const t = await tc.connect("observer");
    t.subscribe("kube.store.get", (m) => storeGets.push((JSON.parse(new TextDecoder().decode(m.data)) as { key: string }).key));
    await t.flush();
  });
  afterAll(async () => {
    await c?.stop();
    await tc.teardown();
  });

  const flushed = () => new Promise((r) => setTimeout(r, 50));

  it("writes a chain of status updates with one store read, the first", async () => {
    const created = await c.api.create(PODS, "default", pod("chain"));
    const first = await c.api.updateStatus(PODS, "default", withStatus(created, "Pending"));
    const second = await c.api.updateStatus(PODS, "default", { ...withStatus(first, "Running"), spec: undefined } as unknown as JsonObject);
    const third = await c.api.updateStatus(PODS, "default", withStatus(second, "Succeeded"));
    await flushed();
    expect(storeGets.filter((k) => k === "/core/pods/default/chain")).toHaveLength(1);
    expect((third.status as { phase: string }).phase).toBe("Succeeded");
    // What the status writes left alone is the store's: spec, labels, managedFields of each writer.
    const got = await c.api.get(PODS, "default", "chain");
    expect(got).toEqual(third);
    expect(got.spec).toEqual(created.spec);
  });

  it("answers 409 when the pod changed since the version a status write names, whoever changed it", async () => {
    const created = await c.api.create(PODS, "default", pod("moved"));
    const written = await c.api.updateStatus(PODS, "default", withStatus(created, "Pending"));
    // Another writer moves the pod on (a label through the main resource).
    const labelled = await c.api.update(PODS, "default", { ...written, metadata: { ...(written.metadata as object), labels: { app: "x" } } });
    expect(Number(rvOf(labelled))).toBeGreaterThan(Number(rvOf(written)));
    const stale = await c.api.updateStatus(PODS, "default", withStatus(written, "Running")).catch((e: { status: { code: number } }) => e.status);
    expect(stale).toMatchObject({ code: 409 });
    // Written on the current version, the status lands and the label stays.
    const fresh = await c.api.updateStatus(PODS, "default", withStatus(labelled, "Running"));
    expect(fresh.metadata).toMatchObject({ labels: { app: "x" } });
    expect((fresh.status as { phase: string }).phase).toBe("Running");
    // Deleted meanwhile: 404, as from a read first.
    await c.api.delete(PODS, "default", "moved", { gracePeriodSeconds: 0 });
    const gone = await c.api.updateStatus(PODS, "default", withStatus(fresh, "Succeeded")).catch((e: { status: { code: number } }) => e.status);
    expect(gone).toMatchObject({ code: 404 });
  });
});
