import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus, type JsonObject } from "@kubeactor/bus";
import { Informer, openWatchStream, StoreClient } from "@kubeactor/client";
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

  it("fails a resume from a compacted revision with 410 Expired", async () => {
    for (let i = 0; i < 80; i++) await client.create(key("c", `n${i}`), cm("c", `n${i}`));
    const err = await openWatchStream(bus, client, { group: "", resource: "configmaps", afterRevision: 1 }, { onEvent: () => {}, onError: () => {} }).catch((e) => e);
    expect(err.status?.code).toBe(410);
  });
});
