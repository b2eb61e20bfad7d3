import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { backendCases, cm, cmKey, type BackendCase } from "./test-helpers.ts";
import { StoreError, type ChangeEvent, type JsonObject, type StoreBackend } from "./types.ts";

const rvOf = (o: JsonObject | undefined): string | undefined => (o?.["metadata"] as { resourceVersion?: string } | undefined)?.resourceVersion;
const names = (items: JsonObject[]): string[] => items.map((o) => (o["metadata"] as { name: string }).name);

async function rejects(p: Promise<unknown>, code: StoreError["code"]): Promise<StoreError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe(code);
    return err as StoreError;
  }
  throw new Error(`expected StoreError ${code}`);
}

describe.each(backendCases)("$name backend", ({ create }) => {
  let c: BackendCase;
  let s: StoreBackend;
  beforeEach(async () => {
    c = create();
    s = await c.make();
  });
  afterEach(async () => {
    await c.cleanup();
  });

  it("keeps each object as its JSON: events, getJson, listJson and historyJson hand out exactly what get decodes", async () => {
    const k = cmKey("default", "j");
    const created = await s.create(k, cm("default", "j", { x: "ü", n: "1" }));
    expect(created.objectJson).toBe(JSON.stringify(created.object));
    expect(s.getJson(k)).toBe(created.objectJson);
    const updated = await s.update(k, { ...cm("default", "j", { x: "2" }) }, rvOf(created.object));
    expect(JSON.parse(updated.objectJson)).toEqual(updated.object);
    expect(updated.prevObject).toEqual(created.object);
    expect(JSON.parse(s.getJson(k)!)).toEqual(s.get(k));
    expect(s.listJson("/core/configmaps/").items).toEqual([updated.objectJson]);
    const deleted = await s.delete(k);
    expect(rvOf(JSON.parse(deleted.objectJson) as JsonObject)).toBe("3");
    expect(s.getJson(k)).toBeUndefined();
    const h = s.historyJson("/core/configmaps/", 0, 0);
    expect(h.events).toEqual([
      { type: "ADDED", key: k, revision: 1, objectJson: created.objectJson },
      { type: "MODIFIED", key: k, revision: 2, objectJson: updated.objectJson },
      { type: "DELETED", key: k, revision: 3, objectJson: deleted.objectJson },
    ]);
    expect(s.history("/core/configmaps/", 0, 0).events.map((e) => e.object)).toEqual([created.object, updated.object, deleted.object]);
    // A list at an older revision serves the older text.
    expect(s.listJson("/core/configmaps/", { revision: 1 }).items).toEqual([created.objectJson]);
  });

  it("hands each reader its own deep-frozen copy: no reader can change what another sees", async () => {
    const k = cmKey("default", "f");
    await s.create(k, cm("default", "f", { x: "1" }));
    const a = s.get(k)!;
    const b = s.get(k)!;
    expect(a).not.toBe(b);
    expect(a).toEqual(b);
    expect(Object.isFrozen(a) && Object.isFrozen(a["data"])).toBe(true);
    expect(Object.isFrozen(s.list("/core/configmaps/").items[0]!["metadata"])).toBe(true);
  });

  it("creates, gets, updates and deletes with resourceVersions from one global revision", async () => {
    expect(s.revision).toBe(0);
    const input = cm("default", "a", { x: "1" });
    const e1 = await s.create(cmKey("default", "a"), input);
    expect(e1).toMatchObject({ type: "ADDED", key: cmKey("default", "a"), revision: 1 });
    expect(rvOf(e1.object)).toBe("1");
    expect(rvOf(input)).toBeUndefined(); // caller's object untouched
    expect(s.revision).toBe(1);

    const got = s.get(cmKey("default", "a"))!;
    expect(got["data"]).toEqual({ x: "1" });
    expect(() => {
      (got["data"] as Record<string, string>)["x"] = "mutated";
    }).toThrow();

    const e2 = await s.update(cmKey("default", "a"), { ...got, data: { x: "2" } }, "1");
    expect(e2.type).toBe("MODIFIED");
    expect(e2.revision).toBe(2);
    expect(rvOf(e2.prevObject)).toBe("1");
    await rejects(s.update(cmKey("default", "a"), got, "1"), "Conflict");
    await rejects(s.update(cmKey("default", "zz"), got), "NotFound");
    await rejects(s.create(cmKey("default", "a"), got), "AlreadyExists");
    expect(s.revision).toBe(2); // failed writes consume no revision

    const e3 = await s.delete(cmKey("default", "a"));
    expect(e3.type).toBe("DELETED");
    expect(rvOf(e3.object)).toBe("3");
    expect(e3.object["data"]).toEqual({ x: "2" });
    expect(s.get(cmKey("default", "a"))).toBeUndefined();
    await rejects(s.delete(cmKey("default", "a")), "NotFound");
    expect(s.stats.writes).toBe(3);
    expect(s.stats.objects).toBe(0);
  });

  it("checks delete preconditions on uid and resourceVersion", async () => {
    await s.create(cmKey("ns", "a"), cm("ns", "a"));
    await rejects(s.delete(cmKey("ns", "a"), { uid: "other" }), "Conflict");
    await rejects(s.delete(cmKey("ns", "a"), { resourceVersion: "7" }), "Conflict");
    const e = await s.delete(cmKey("ns", "a"), { uid: "uid-ns-a", resourceVersion: "1" });
    expect(e.revision).toBe(2);
  });

  it("judges CAS chains issued without awaiting against the latest accepted state", async () => {
    const k = cmKey("ns", "a");
    const p1 = s.create(k, cm("ns", "a"));
    const p2 = s.update(k, cm("ns", "a", { v: "2" }), "1");
    const p3 = s.update(k, cm("ns", "a", { v: "3" }), "1"); // stale
    const p4 = s.update(k, cm("ns", "a", { v: "4" }), "2");
    const p5 = s.create(k, cm("ns", "a")); // exists (pending)
    const p6 = s.delete(k, { resourceVersion: "3" });
    const results = await Promise.allSettled([p1, p2, p3, p4, p5, p6]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"]);
    expect(s.revision).toBe(4);
    expect(s.get(k)).toBeUndefined();
  });

  it("only shows durable writes to readers and notifies listeners in revision order", async () => {
    const seen: ChangeEvent[] = [];
    const unsubscribe = s.subscribe((e) => seen.push(e));
    const ps = Array.from({ length: 50 }, (_, i) => s.create(cmKey("ns", `o${String(i).padStart(3, "0")}`), cm("ns", `o${i}`)));
    expect(s.get(cmKey("ns", "o000"))).toBeUndefined(); // accepted, not yet durable
    await Promise.all(ps);
    expect(seen.map((e) => e.revision)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    unsubscribe();
    await s.create(cmKey("ns", "late"), cm("ns", "late"));
    expect(seen).toHaveLength(50);
  });

  it("lists by prefix in key order with paging, filters and remaining counts", async () => {
    for (const ns of ["b", "a"]) for (const n of ["3", "1", "2"]) await s.create(cmKey(ns, n), cm(ns, n, { odd: String(Number(n) % 2) }));
    await s.create("/core/pods/a/p", cm("a", "p"));
    await s.create("/core/configmapsx/a/p", cm("a", "p")); // shares a string prefix, not a resource prefix

    const all = s.list("/core/configmaps/");
    expect(all.items.map((o) => `${(o["metadata"] as { namespace: string }).namespace}/${names([o])[0]}`)).toEqual(["a/1", "a/2", "a/3", "b/1", "b/2", "b/3"]);
    expect(all.revision).toBe(8);
    expect(all.lastKey).toBeUndefined();
    expect(names(s.list("/core/configmaps/b/").items)).toEqual(["1", "2", "3"]);

    const p1 = s.list("/core/configmaps/", { limit: 4 });
    expect(p1.items).toHaveLength(4);
    expect(p1.lastKey).toBe(cmKey("b", "1"));
    expect(p1.remaining).toBe(2);
    const p2 = s.list("/core/configmaps/", { limit: 4, continueAfter: p1.lastKey!, revision: p1.revision });
    expect(names(p2.items)).toEqual(["2", "3"]);
    expect(p2.lastKey).toBeUndefined();

    const odd = s.list("/core/configmaps/", { limit: 2, filter: (o) => (o["data"] as { odd: string }).odd === "1" });
    expect(names(odd.items)).toEqual(["1", "3"]);
    expect(odd.lastKey).toBe(cmKey("a", "3"));
  });

  it("keeps paging consistent at the first page's revision while writes continue", async () => {
    for (let i = 0; i < 10; i++) await s.create(cmKey("ns", `k${i}`), cm("ns", `k${i}`, { v: "0" }));
    const first = s.list("/core/configmaps/", { limit: 3 });
    // Concurrent churn: delete an unseen key, add one, modify one.
    await s.delete(cmKey("ns", "k5"));
    await s.create(cmKey("ns", "k55"), cm("ns", "k55"));
    await s.update(cmKey("ns", "k7"), cm("ns", "k7", { v: "1" }));
    await s.delete(cmKey("ns", "k0"));
    const items = [...first.items];
    let last = first.lastKey;
    while (last !== undefined) {
      const page = s.list("/core/configmaps/", { limit: 3, continueAfter: last, revision: first.revision });
      items.push(...page.items);
      last = page.lastKey;
    }
    expect(names(items)).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`));
    expect(items.every((o) => (o["data"] as { v: string }).v === "0")).toBe(true);
    // And the current list reflects the churn.
    expect(names(s.list("/core/configmaps/").items)).toEqual(["k1", "k2", "k3", "k4", "k55", "k6", "k7", "k8", "k9"]);
  });

  it("replays history by prefix, with limits, and answers Expired below the floor", async () => {
    const small = await c.make({ historyLimit: 5 });
    for (let i = 1; i <= 8; i++) await small.create(`/core/configmaps/${i % 2 ? "odd" : "even"}/c${i}`, cm("x", `c${i}`));
    expect(small.oldestRevision).toBe(4);
    const h = small.history("/core/configmaps/", 3, 100);
    expect(h.events.map((e) => e.revision)).toEqual([4, 5, 6, 7, 8]);
    expect(h.more).toBe(false);
    expect(h.revision).toBe(8);
    expect(small.history("/core/configmaps/odd/", 3, 100).events.map((e) => e.revision)).toEqual([5, 7]);
    const limited = small.history("/core/configmaps/", 3, 2);
    expect(limited.events.map((e) => e.revision)).toEqual([4, 5]);
    expect(limited.more).toBe(true);
    expect(small.history("/core/configmaps/", 8, 10).events).toEqual([]);
    expect(() => small.history("/core/configmaps/", 2, 10)).toThrow(expect.objectContaining({ code: "Expired" }));
    expect(() => small.list("/core/configmaps/", { revision: 2 })).toThrow(expect.objectContaining({ code: "Expired" }));
    expect(small.list("/core/configmaps/", { revision: 3 }).items).toHaveLength(3);
    expect(() => small.list("/core/configmaps/", { revision: 9 })).toThrow(StoreError);
  });

  it("rejects objects over the size limit and refuses calls after close", async () => {
    await rejects(s.create(cmKey("ns", "big"), cm("ns", "big", { blob: "x".repeat(4 * 1024 * 1024) })), "TooLarge");
    const p = s.create(cmKey("ns", "a"), cm("ns", "a"));
    await s.close();
    await expect(p).resolves.toMatchObject({ revision: 1 }); // accepted before close → flushed by close
    await rejects(s.create(cmKey("ns", "b"), cm("ns", "b")), "Closed");
    expect(() => s.get(cmKey("ns", "a"))).toThrow(expect.objectContaining({ code: "Closed" }));
    await s.close(); // idempotent
  });
});

describe("fail closed", () => {
  it("rejects the failed batch and every later write when the log write/fsync fails, never acknowledging", async () => {
    const { Engine } = await import("./engine.ts");
    let fail = false;
    const engine = new Engine({
      encodes: true,
      fsyncs: 0,
      logBytes: 0,
      recover: async () => undefined,
      append: async () => {
        if (fail) throw new Error("EIO: fdatasync failed");
      },
      roll: () => undefined,
      writeSnapshot: async () => undefined,
      close: async () => undefined,
    });
    await engine.open();
    await engine.create(cmKey("ns", "ok"), cm("ns", "ok"));
    fail = true;
    const seen: number[] = [];
    engine.subscribe((e) => seen.push(e.revision));
    const results = await Promise.allSettled([engine.create(cmKey("ns", "a"), cm("ns", "a")), engine.create(cmKey("ns", "b"), cm("ns", "b"))]);
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(seen).toEqual([]);
    expect(engine.revision).toBe(1);
    expect(() => engine.get(cmKey("ns", "ok"))).toThrow(expect.objectContaining({ code: "Closed" })); // reads fail closed too
    fail = false;
    await rejects(engine.create(cmKey("ns", "c"), cm("ns", "c")), "Closed");
    await engine.close();
  });
});
