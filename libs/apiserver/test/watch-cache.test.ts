/**
 * The API server's watch cache: LISTs served from memory must answer exactly
 * what the store answers, right after every write (consistent reads), with
 * selectors, namespaces and limits; resourceVersion="0" may be served as the
 * cache stands; a cache whose watch loses messages, or whose store goes back
 * in time, still never serves a stale list.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findResource } from "@kubeactor/api";
import { Bus, type Transport } from "@kubeactor/bus";
import { StoreClient } from "@kubeactor/client";
import { startStoreComponent } from "@kubeactor/store";
import { startApiServer } from "../src/server.ts";
import { call, startTestCluster, type TestCluster, transportCases, until } from "@kubeactor/testing";
import { ENCODED, isEncoded, WatchCache } from "../src/watch-cache.ts";

const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, labels },
  data,
});
const names = (list: { items: { metadata: { name: string } }[] }) => list.items.map((i) => i.metadata.name);
const quiet = { log: () => {} };

/** Every LIST right after a write shows it. */
const listsSeeWrites = async (url: string, ns: string) => {
  const base = `/api/v1/namespaces/${ns}/configmaps`;
  expect((await call(url, "GET", base)).body.items).toEqual([]); // the first LIST starts the cache
  for (let i = 0; i < 20; i++) {
    const created = await call(url, "POST", base, cm(`c${i}`));
    expect(created.code).toBe(201);
    const got = await call(url, "GET", `${base}/c${i}`);
    expect(got.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    const list = await call(url, "GET", base);
    expect(names(list.body)).toContain(`c${i}`);
    expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(created.body.metadata.resourceVersion));
  }
  const put = await call(url, "PUT", `${base}/c3`, { ...cm("c3", {}, { k: "new" }), metadata: { name: "c3" } });
  expect(put.code).toBe(200);
  const afterPut = await call(url, "GET", base);
  expect(afterPut.body.items.find((i: { metadata: { name: string } }) => i.metadata.name === "c3").data).toEqual({ k: "new" });
  expect((await call(url, "GET", `${base}/c3`)).body).toEqual(put.body);
  expect((await call(url, "DELETE", `${base}/c4`)).code).toBe(200);
  expect(names((await call(url, "GET", base)).body)).not.toContain("c4");
  const gone = await call(url, "GET", `${base}/c4`);
  expect(gone.code).toBe(404);
  expect(gone.body).toMatchObject({ kind: "Status", reason: "NotFound", message: 'configmaps "c4" not found', details: { name: "c4", kind: "configmaps" } });
  // resourceVersion=0: a GET from the cache as it stands
  await until("GET ?resourceVersion=0 from the cache", async () => (await call(url, "GET", `${base}/c3?resourceVersion=0`)).body.data?.k === "new", 20_000);
  // many clients at once, each listing right after its own write: the shared syncs still cover every one
  const results = await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const mine = async () => ((await call(url, "GET", base)).body.items as { metadata: { name: string; resourceVersion: string }; data?: { v?: string } }[]).find((o) => o.metadata.name === `p${i}`);
      const created = await call(url, "POST", base, cm(`p${i}`));
      const read = await mine();
      const updated = await call(url, "PUT", `${base}/p${i}`, { ...cm(`p${i}`, {}, { v: "2" }), metadata: { name: `p${i}` } });
      const reread = await mine();
      return [read?.metadata.resourceVersion === created.body.metadata.resourceVersion, reread?.data?.v === "2" && reread.metadata.resourceVersion === updated.body.metadata.resourceVersion];
    }),
  );
  expect(results.flat().every(Boolean)).toBe(true);
};

/** Creates in a namespace that is missing (404), new (201), or just deleted and terminating (403). */
const namespaceLifecycle = async (url: string, prefix: string) => {
  expect((await call(url, "POST", `/api/v1/namespaces/${prefix}-never/configmaps`, cm("x"))).code).toBe(404);
  for (let i = 0; i < 5; i++) {
    const ns = `${prefix}-${i}`;
    expect((await call(url, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } })).code).toBe(201);
    expect(names((await call(url, "GET", "/api/v1/namespaces")).body)).toContain(ns); // the namespace cache holds it now
    expect((await call(url, "POST", `/api/v1/namespaces/${ns}/configmaps`, cm("first"))).code).toBe(201);
    expect((await call(url, "POST", `/api/v1/namespaces/${ns}/configmaps`, cm("second"))).code).toBe(201);
    // a finalizer keeps it Terminating: creates are refused at once
    expect((await call(url, "PATCH", `/api/v1/namespaces/${ns}`, { metadata: { finalizers: ["wc/hold"] } }, { "Content-Type": "application/merge-patch+json" })).code).toBe(200);
    expect((await call(url, "DELETE", `/api/v1/namespaces/${ns}`)).code).toBe(200);
    const refused = await call(url, "POST", `/api/v1/namespaces/${ns}/configmaps`, cm("third"));
    expect(refused.code).toBe(403);
    expect(refused.body.message).toContain("because it is being terminated");
  }
};

/** Priority admission reads PriorityClasses from the cache: a class created or deleted just before a pod counts. */
const priorityAdmission = async (url: string, prefix: string) => {
  const PCS = "/apis/scheduling.k8s.io/v1/priorityclasses";
  const PODS = "/api/v1/namespaces/default/pods";
  const pod = (name: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "c", image: "busybox" }] } });
  expect((await call(url, "POST", PODS, pod(`${prefix}-0`))).body.spec.priority).toBe(0);
  for (let i = 1; i <= 3; i++) {
    const cls = { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: `${prefix}-${i}` }, value: 100 * i, globalDefault: true };
    expect((await call(url, "POST", PCS, cls)).code).toBe(201);
    // Only one globalDefault: a second one, right after the first was written, is refused.
    const second = await call(url, "POST", PCS, { ...cls, metadata: { name: `${prefix}-second${i}` } });
    expect([second.code, second.body.message]).toEqual([403, `priorityclasses.scheduling.k8s.io "${prefix}-second${i}" is forbidden: PriorityClass ${prefix}-${i} is already marked as default. Only one default can exist`]);
    const defaulted = await call(url, "POST", PODS, pod(`${prefix}-a${i}`));
    expect(defaulted.body.spec).toMatchObject({ priorityClassName: `${prefix}-${i}`, priority: 100 * i });
    expect((await call(url, "DELETE", `${PCS}/${prefix}-${i}`)).code).toBe(200);
    expect((await call(url, "POST", PODS, pod(`${prefix}-b${i}`))).body.spec.priority).toBe(0);
    const named = await call(url, "POST", PODS, { ...pod(`${prefix}-c${i}`), spec: { ...pod("").spec, priorityClassName: `${prefix}-${i}` } });
    expect(named.code).toBe(403);
  }
};

describe.each(transportCases())("watch cache on $name", (tc) => {
  let c: TestCluster;
  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    await call(c.url, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "wc-a" } });
    await call(c.url, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "wc-b" } });
  }, 60_000);
  afterAll(async () => {
    await c?.stop();
    await tc.teardown();
  });

  it("a LIST right after each CREATE, UPDATE and DELETE shows that write", () => listsSeeWrites(c.url, "wc-a"));

  it("answers every query exactly as the store does (namespaces, selectors, limits, Table)", async () => {
    for (const ns of ["wc-a", "wc-b"]) {
      for (let i = 0; i < 6; i++) {
        await call(c.url, "POST", `/api/v1/namespaces/${ns}/configmaps`, cm(`s${i}`, { tier: i % 2 ? "odd" : "even", app: "wc" }));
      }
    }
    const queries = [
      "/api/v1/configmaps",
      "/api/v1/namespaces/wc-b/configmaps",
      "/api/v1/namespaces/wc-b/configmaps?labelSelector=tier%3Dodd",
      "/api/v1/configmaps?labelSelector=app%3Dwc,tier!%3Dodd",
      "/api/v1/configmaps?fieldSelector=metadata.namespace%3Dwc-a",
      "/api/v1/namespaces/wc-a/configmaps?fieldSelector=metadata.name%3Ds2",
      "/api/v1/namespaces/wc-b/configmaps?limit=100",
      "/api/v1/namespaces/wc-b/configmaps?limit=2", // longer than the limit: a page with a continue token, from the store
      "/api/v1/namespaces",
    ];
    for (const q of queries) {
      const cached = await call(c.url, "GET", q);
      const sep = q.includes("?") ? "&" : "?";
      // NotOlderThan is never served from the cache: the store's own answer at (at least) that revision
      const stored = await call(c.url, "GET", `${q}${sep}resourceVersion=${cached.body.metadata.resourceVersion}&resourceVersionMatch=NotOlderThan`);
      expect(cached.code, q).toBe(200);
      expect({ ...cached.body, metadata: {} }, q).toEqual({ ...stored.body, metadata: {} });
      if (!cached.body.metadata.continue) expect(cached.body.metadata.resourceVersion, q).toBe(stored.body.metadata.resourceVersion);
    }
    const table = await call(c.url, "GET", "/api/v1/namespaces/wc-b/configmaps", undefined, { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io" });
    expect(table.body.kind).toBe("Table");
    expect(table.body.rows.map((r: { cells: unknown[] }) => r.cells[0])).toEqual(["s0", "s1", "s2", "s3", "s4", "s5"]);
  });

  it('resourceVersion="0" is served from the cache as it stands, and catches up with the watch', async () => {
    const base = "/api/v1/namespaces/wc-b/configmaps";
    await call(c.url, "GET", base);
    await call(c.url, "POST", base, cm("late"));
    await until("the rv=0 list shows the new object", async () => names((await call(c.url, "GET", `${base}?resourceVersion=0`)).body).includes("late"), 20_000);
  });

  it("NamespaceLifecycle reads namespaces from the cache, yet a namespace missing, just created or just deleted is always seen", () => namespaceLifecycle(c.url, "wc-life"));

  it("Priority admission sees a PriorityClass created or deleted just before the pod", () => priorityAdmission(c.url, "wc-prio"));

  it("the bus API's list (what informers use) is served from the same cache", async () => {
    const list = (await c.api.list({ group: "", version: "v1", resource: "configmaps" }, "wc-a")) as { items: { metadata: { name: string } }[] };
    expect(names(list)).toContain("c0");
  });
});

/** A transport that never delivers watch events: the cache must catch up from the store's history. */
const deaf = (t: Transport): Transport => ({
  ...t,
  subscribe: (subject, handler, opts) => (subject.startsWith("kube.watch.") ? { unsubscribe: () => {} } : t.subscribe(subject, handler, opts)),
});

describe.each(transportCases())("watch cache without watch events on $name", (tc) => {
  const dirs: string[] = [];
  beforeAll(() => tc.setup());
  afterAll(async () => {
    await tc.teardown();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const info = findResource("", "v1", "configmaps")!;
  const opts = { namespace: "x", limit: 0, anyRevision: false };
  const storeDir = () => {
    const d = mkdtempSync(join(tmpdir(), "kubeactor-wc-"));
    dirs.push(d);
    return d;
  };

  it("a consistent LIST still sees every write (the history sync is the source of truth)", async () => {
    const store = await startStoreComponent({ bus: new Bus(await tc.connect("store"), quiet), dir: storeDir() });
    const writer = new StoreClient(new Bus(await tc.connect("writer"), quiet));
    const apiBus = new Bus(deaf(await tc.connect("apiserver")), quiet);
    const cache = new WatchCache(apiBus, new StoreClient(apiBus));
    try {
      const key = (name: string) => ({ group: "", resource: "configmaps", namespace: "x", name });
      const obj = (name: string, v: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "x", uid: name }, data: { v } });
      expect((await cache.list(info, opts))!.items).toEqual([]);
      const a = await writer.create(key("a"), obj("a", "1"));
      await writer.create(key("b"), obj("b", "1"));
      let list = (await cache.list(info, opts))!;
      expect(list.items.map((i) => i.metadata)).toEqual([expect.objectContaining({ name: "a" }), expect.objectContaining({ name: "b" })]);
      await writer.update(key("a"), obj("a", "2"), (a.metadata as { resourceVersion: string }).resourceVersion);
      await writer.delete(key("b"), {});
      list = (await cache.list(info, opts))!;
      expect(list.items.map((i) => i.data)).toEqual([{ v: "2" }]);
      // the reply's JSON is ready-made, and says what the objects say
      expect(isEncoded(list)).toBe(true);
      expect(JSON.parse(list[ENCODED]().toString())).toEqual({ kind: "ConfigMapList", apiVersion: "v1", metadata: { resourceVersion: list.metadata.resourceVersion }, items: list.items });
      // resourceVersion="0": the cache as it stands, no store request
      expect((await cache.list(info, { ...opts, anyRevision: true }))!.items).toHaveLength(1);
    } finally {
      cache.stop();
      await store.stop();
    }
  }, 60_000);

  it("a store that went back in time (a new data dir) drops the cache, and the next LIST rebuilds it", async () => {
    const store1 = await startStoreComponent({ bus: new Bus(await tc.connect("store"), quiet), dir: storeDir() });
    const writer = new StoreClient(new Bus(await tc.connect("writer"), quiet));
    const apiBus = new Bus(await tc.connect("apiserver"), quiet);
    const lines: string[] = [];
    const cache = new WatchCache(apiBus, new StoreClient(apiBus), (l) => lines.push(l));
    const key = (name: string) => ({ group: "", resource: "configmaps", namespace: "x", name });
    const obj = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "x", uid: name } });
    try {
      for (const n of ["a", "b", "c"]) await writer.create(key(n), obj(n));
      expect((await cache.list(info, opts))!.items).toHaveLength(3);
      await store1.stop();
      const store2 = await startStoreComponent({ bus: new Bus(await tc.connect("store"), quiet), dir: storeDir() });
      try {
        await writer.create(key("z"), obj("z"));
        // the first LIST notices and falls back to the store (undefined: the caller asks the store)
        expect(await cache.list(info, opts)).toBeUndefined();
        expect(lines.join("\n")).toMatch(/watch cache for \/configmaps dropped/);
        expect((await cache.list(info, opts))!.items.map((i) => (i.metadata as { name: string }).name)).toEqual(["z"]);
      } finally {
        await store2.stop();
      }
    } finally {
      cache.stop();
    }
  }, 60_000);
});

describe.each(transportCases())("an API server whose watch events never arrive, on $name", (tc) => {
  let stop: (() => Promise<void>) | undefined;
  let url = "";
  beforeAll(async () => {
    await tc.setup();
    const dir = mkdtempSync(join(tmpdir(), "kubeactor-wc-"));
    const store = await startStoreComponent({ bus: new Bus(await tc.connect("store"), quiet), dir });
    const api = await startApiServer({ bus: new Bus(deaf(await tc.connect("apiserver")), quiet), port: 0, log: () => {} });
    url = api.url;
    stop = async () => {
      await api.close();
      await store.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    await call(url, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "deaf" } });
  }, 60_000);
  afterAll(async () => {
    await stop?.();
    await tc.teardown();
  });

  it("still lists every write at once (the history sync, not the bus, decides)", () => listsSeeWrites(url, "deaf"));
  it("still refuses a create in a namespace deleted through it", () => namespaceLifecycle(url, "deaf-life"));
  it("still sees a PriorityClass created or deleted through it", () => priorityAdmission(url, "deaf-prio"));
});
