import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus, type BusSubscription, type EventSubject, type JsonObject, type SubjectParams } from "@kubeactor/bus";
import { Informer, openWatchStream, StoreClient, stripManagedFields } from "@kubeactor/client";
import { createMemoryBackend, startStoreComponent, type StoreComponent } from "@kubeactor/store";
import { transportCases } from "@kubeactor/testing";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(10);
  }
};
const cm = (ns: string, name: string, labels: Record<string, string> = {}): JsonObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: ns, labels },
});
const key = (ns: string, name: string) => ({ group: "", resource: "configmaps", namespace: ns, name });
const nameOf = (o: JsonObject) => (o.metadata as { name: string }).name;

/** A bus that drops every message its subscriptions receive while `deaf` is set: a consumer that lost messages. */
class LossyBus extends Bus {
  deaf = false;
  override subscribe<A, I>(def: EventSubject<A, I>, params: SubjectParams, handler: (payload: A, params: Record<string, string>) => void, opts?: { queue?: string }): BusSubscription {
    return super.subscribe(def, params, (payload, p) => (this.deaf ? undefined : handler(payload, p)), opts);
  }
}

describe.each(transportCases())("informer over the $name bus", (tc) => {
  let store: StoreComponent;
  let client: StoreClient;
  let bus: Bus;
  const dir = mkdtempSync(join(tmpdir(), "kubeactor-informer-"));
  beforeAll(async () => {
    await tc.setup();
    store = await startStoreComponent({ bus: new Bus(await tc.connect("store"), { log: () => {} }), dir, backend: createMemoryBackend({ historyLimit: 50 }) });
    bus = new Bus(await tc.connect("client"), { log: () => {} });
    client = new StoreClient(bus);
  });
  afterAll(async () => {
    await store.stop();
    await tc.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists, then follows creates, updates and deletes with handlers and indexes", async () => {
    await client.create(key("a", "before"), cm("a", "before", { app: "x" }));
    const informer = new Informer(bus, client, { group: "", resource: "configmaps" });
    const seen: string[] = [];
    informer.addHandler({
      onAdd: (o) => seen.push(`add:${(o.metadata as any).name}`),
      onUpdate: (_o, n) => seen.push(`update:${(n.metadata as any).name}`),
      onDelete: (o) => seen.push(`delete:${(o.metadata as any).name}`),
    });
    await informer.start();
    expect(informer.hasSynced).toBe(true);
    expect(informer.get("a/before")).toBeDefined();

    const created = await client.create(key("b", "later"), cm("b", "later", { app: "x" }));
    await client.update(key("b", "later"), { ...created, data: { k: "v" } }, (created.metadata as any).resourceVersion);
    await client.delete(key("a", "before"));
    await until(() => seen.length >= 4);
    expect(seen).toEqual(["add:before", "add:later", "update:later", "delete:before"]);
    expect(informer.byIndex("namespace", "b").map((o) => (o.metadata as any).name)).toEqual(["later"]);
    expect(informer.byIndex("label", "app=x")).toHaveLength(1);
    expect((informer.get("b/later") as any).data).toEqual({ k: "v" });
    informer.stop();
  });

  it("keeps only the indexes it is given (none: handlers and get only)", async () => {
    await client.create(key("ix", "one"), cm("ix", "one", { app: "y" }));
    const bare = new Informer(bus, client, { group: "", resource: "configmaps", namespace: "ix", indexes: {} });
    const byApp = new Informer(bus, client, { group: "", resource: "configmaps", namespace: "ix", indexes: { app: (o) => [String((o.metadata as any).labels?.app)] } });
    await Promise.all([bare.start(), byApp.start()]);
    await client.create(key("ix", "two"), cm("ix", "two", { app: "y" }));
    await until(() => bare.get("ix/two") !== undefined && byApp.get("ix/two") !== undefined);
    expect(bare.byIndex("namespace", "ix")).toEqual([]);
    expect(bare.list().map(nameOf).sort()).toEqual(["one", "two"]);
    expect(byApp.byIndex("app", "y").map(nameOf).sort()).toEqual(["one", "two"]);
    expect(byApp.byIndex("namespace", "ix")).toEqual([]);
    bare.stop();
    byApp.stop();
  });

  it("caches and hands out transformed objects (stripManagedFields) on list and watch, leaving the store's alone", async () => {
    const managed = [{ manager: "kubectl", operation: "Update", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:data": {} } }];
    const withFields = (ns: string, name: string): JsonObject => ({ ...cm(ns, name), metadata: { name, namespace: ns, managedFields: managed } });
    await client.create(key("mf", "listed"), withFields("mf", "listed"));
    const informer = new Informer(bus, client, { group: "", resource: "configmaps", namespace: "mf", transform: stripManagedFields });
    const handed: JsonObject[] = [];
    informer.addHandler({ onAdd: (o) => handed.push(o), onUpdate: (_o, n) => handed.push(n) });
    await informer.start();
    const created = await client.create(key("mf", "watched"), withFields("mf", "watched"));
    await client.update(key("mf", "watched"), { ...created, data: { k: "v" } }, (created.metadata as { resourceVersion: string }).resourceVersion);
    await until(() => handed.length >= 3);
    expect(handed.map(nameOf)).toEqual(["listed", "watched", "watched"]);
    for (const o of [...handed, informer.get("mf/listed")!, informer.get("mf/watched")!]) {
      expect((o.metadata as { managedFields?: unknown }).managedFields).toBeUndefined();
      expect((o.metadata as { resourceVersion?: string }).resourceVersion).toBeDefined();
    }
    expect((informer.get("mf/watched") as { data?: unknown }).data).toEqual({ k: "v" });
    expect(((await client.get(key("mf", "listed"))).metadata as { managedFields?: unknown }).managedFields).toEqual(managed);
    informer.stop();
  });

  it("fails a resume from a compacted revision with 410 Expired", async () => {
    for (let i = 0; i < 80; i++) await client.create(key("c", `n${i}`), cm("c", `n${i}`));
    const err = await openWatchStream(bus, client, { group: "", resource: "configmaps", afterRevision: 1 }, { onEvent: () => {}, onError: () => {} }).catch((e) => e);
    expect(err.status?.code).toBe(410);
  });

  // The history holds 50 events: 80 writes elsewhere push a quiet watch's last event out of it.
  const churn = async (ns: string, n = 80) => {
    for (let i = 0; i < n; i++) await client.create(key(ns, `c${i}`), cm(ns, `c${i}`));
  };

  it("keeps a quiet watch next to a busy resource alive instead of expiring it (no re-list)", async () => {
    await client.create(key("quiet", "one"), cm("quiet", "one"));
    const lines: string[] = [];
    const informer = new Informer(bus, client, { group: "", resource: "configmaps", namespace: "quiet", repairEveryMs: 20, log: (l) => lines.push(l) });
    const seen: string[] = [];
    informer.addHandler({ onAdd: (o) => seen.push(`add:${nameOf(o)}`) });
    await informer.start();
    // 240 writes elsewhere, 30 at a time (fewer than the window between two repairs), several repairs after each batch.
    for (let round = 0; round < 8; round++) {
      await churn(`busy${round}`, 30);
      await sleep(100);
    }
    await client.create(key("quiet", "two"), cm("quiet", "two"));
    await until(() => seen.includes("add:two"));
    expect(lines.filter((l) => l.includes("re-listing"))).toEqual([]);
    expect(informer.revision).toBeGreaterThan(240);
    informer.stop();
  });

  it("opens a watch whose list took longer than the history window, with the changes made meanwhile", async () => {
    await client.create(key("slow", "a"), cm("slow", "a"));
    const slowStore = Object.create(client) as StoreClient;
    slowStore.listAll = async (req) => {
      const list = await client.listAll(req);
      // While the list was on its way: our object changed, and the store moved well past its history window.
      const a = await client.get(key("slow", "a"));
      await client.update(key("slow", "a"), { ...a, data: { v: "2" } }, (a.metadata as { resourceVersion: string }).resourceVersion);
      await churn("slow-churn");
      return list;
    };
    const events: string[] = [];
    const stream = await openWatchStream(bus, slowStore, { group: "", resource: "configmaps", namespace: "slow" }, {
      onList: (items) => events.push(...items.map((o) => `list:${nameOf(o)}`)),
      onEvent: (e) => events.push(`${e.type}:${nameOf(e.object)}:${(e.object.data as { v?: string } | undefined)?.v ?? ""}`),
      onError: (e) => events.push(`error:${(e as Error).message}`),
    });
    await until(() => events.length >= 2);
    expect(events).toEqual(["list:a", "MODIFIED:a:2"]);
    stream.stop();
  });

  it("after messages were lost and the history moved on, re-lists and hands the difference to the handlers", async () => {
    const lossy = new LossyBus(await tc.connect("lossy"), { log: () => {} });
    const store = new StoreClient(lossy);
    await client.create(key("r", "kept"), cm("r", "kept"));
    const changed = await client.create(key("r", "changed"), cm("r", "changed"));
    await client.create(key("r", "gone"), cm("r", "gone"));
    const lines: string[] = [];
    const informer = new Informer(lossy, store, { group: "", resource: "configmaps", namespace: "r", repairEveryMs: 50, log: (l) => lines.push(l) });
    const seen: string[] = [];
    informer.addHandler({
      onAdd: (o) => seen.push(`add:${nameOf(o)}`),
      onUpdate: (o, n) => seen.push(`update:${nameOf(n)}:${(o.data as { v?: string } | undefined)?.v ?? ""}->${(n.data as { v?: string } | undefined)?.v ?? ""}`),
      onDelete: (o) => seen.push(`delete:${nameOf(o)}`),
    });
    await informer.start();
    expect(seen.sort()).toEqual(["add:changed", "add:gone", "add:kept"]);
    seen.length = 0;

    // Deaf while the history moves on: only a re-list can bring the cache up to date.
    lossy.deaf = true;
    store.history = async () => {
      throw Object.assign(new Error("history unavailable while deaf"), { status: { code: 503 } });
    };
    await client.update(key("r", "changed"), { ...changed, data: { v: "new" } }, (changed.metadata as { resourceVersion: string }).resourceVersion);
    await client.delete(key("r", "gone"));
    await client.create(key("r", "added"), cm("r", "added"));
    await churn("r-churn");
    delete (store as Partial<StoreClient>).history;
    lossy.deaf = false;

    await until(() => seen.length >= 3, 10_000);
    expect(seen.sort()).toEqual(["add:added", "delete:gone", "update:changed:->new"]);
    expect(informer.list().map(nameOf).sort()).toEqual(["added", "changed", "kept"]);
    expect(lines.some((l) => l.includes("re-listing"))).toBe(true);
    informer.stop();
  });
});
