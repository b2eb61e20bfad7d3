import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFileBackend, createMemoryBackend } from "./file-backend.ts";
import { SortedKeys } from "./state.ts";
import { removeDir, tempDir } from "./test-helpers.ts";
import type { ChangeEvent, JsonObject, StoreBackend } from "./types.ts";

const prefixes = ["/core/configmaps/", "/core/configmaps/a/", "/core/configmaps/b/", "/apps/deployments/", "/"];
const keyArb = fc.constantFrom(
  ...["a", "b", "c"].flatMap((ns) => ["x", "y", "z"].flatMap((n) => [`/core/configmaps/${ns}/${n}`, `/apps/deployments/${ns}/${n}`])),
);
type Op =
  | { op: "create"; key: string; v: number }
  | { op: "update"; key: string; v: number; cas: boolean }
  | { op: "delete"; key: string };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("create" as const), key: keyArb, v: fc.nat(99) }),
  fc.record({ op: fc.constant("update" as const), key: keyArb, v: fc.nat(99), cas: fc.boolean() }),
  fc.record({ op: fc.constant("delete" as const), key: keyArb }),
);

/** Issues all ops without awaiting (one group-commit stream), then waits; returns the successful events. */
async function run(s: StoreBackend, ops: Op[]): Promise<ChangeEvent[]> {
  const obj = (key: string, v: number): JsonObject => ({ metadata: { name: key.split("/").at(-1) }, spec: { v } });
  const ps = ops.map((o) => {
    const cur = s.get(o.key);
    const rv = (cur?.["metadata"] as { resourceVersion?: string } | undefined)?.resourceVersion;
    if (o.op === "create") return s.create(o.key, obj(o.key, o.v));
    if (o.op === "update") return s.update(o.key, obj(o.key, o.v), o.cas ? rv : undefined);
    return s.delete(o.key);
  });
  const settled = await Promise.allSettled(ps);
  return settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])).sort((a, b) => a.revision - b.revision);
}

/** Model: the state after replaying events up to and including `rev`. */
function stateAt(events: ChangeEvent[], rev: number, prefix: string): Array<[string, JsonObject]> {
  const m = new Map<string, JsonObject>();
  for (const e of events) {
    if (e.revision > rev) break;
    if (e.type === "DELETED") m.delete(e.key);
    else m.set(e.key, e.object);
  }
  return [...m].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const check = async (s: StoreBackend, batches: Op[][], revPick: number, prefixPick: number): Promise<void> => {
  const events: ChangeEvent[] = [];
  for (const b of batches) events.push(...(await run(s, b)));
  // Revisions strictly increase, densely, and end at the store's revision.
  events.forEach((e, i) => expect(e.revision).toBe(i + 1));
  expect(s.revision).toBe(events.length);
  const R = events.length === 0 ? 0 : revPick % (events.length + 1);
  const prefix = prefixes[prefixPick % prefixes.length]!;
  // History after R under the prefix = exactly the writes after R under the prefix, in order.
  const h = s.history(prefix, R, 0);
  expect(h.events.map((e) => [e.revision, e.type, e.key])).toEqual(
    events.filter((e) => e.revision > R && e.key.startsWith(prefix)).map((e) => [e.revision, e.type, e.key]),
  );
  // List at R = the state replayed up to R, also when read in pages of 2.
  const expected = stateAt(events, R, prefix).map(([, o]) => o);
  expect(s.list(prefix, { revision: R }).items).toEqual(expected);
  const paged: JsonObject[] = [];
  let after: string | undefined;
  do {
    const page = s.list(prefix, { revision: R, limit: 2, ...(after !== undefined ? { continueAfter: after } : {}) });
    paged.push(...page.items);
    after = page.lastKey;
  } while (after !== undefined);
  expect(paged).toEqual(expected);
};

const args = fc.tuple(fc.array(fc.array(opArb, { maxLength: 25 }), { maxLength: 6 }), fc.nat(), fc.nat());

describe("engine properties", () => {
  it("memory backend: dense increasing revisions, exact history, list at R = replay to R", async () => {
    await fc.assert(
      fc.asyncProperty(args, async ([batches, revPick, prefixPick]) => {
        const s = createMemoryBackend();
        await s.open();
        await check(s, batches, revPick, prefixPick);
        await s.close();
      }),
      { numRuns: 150 },
    );
  });

  it("file backend (fsync off for speed): the same, and again after reopening", async () => {
    await fc.assert(
      fc.asyncProperty(args, async ([batches, revPick, prefixPick]) => {
        const dir = tempDir();
        try {
          const s = createFileBackend({ dir, fsync: false, snapshotEvery: 30 });
          await s.open();
          await check(s, batches, revPick, prefixPick);
          const state = s.list("/").items;
          const rev = s.revision;
          await s.close();
          const t = createFileBackend({ dir, fsync: false });
          await t.open();
          expect(t.revision).toBe(rev);
          expect(t.list("/").items).toEqual(state);
          await t.close();
        } finally {
          removeDir(dir);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("SortedKeys", () => {
  it("matches a sorted-set model across chunk splits and merges", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { minLength: 2000, maxLength: 6000 }), fc.nat(3000), (ops, probe) => {
        const keys = new SortedKeys();
        const model = new Set<string>();
        for (const [add, n] of ops) {
          const k = `/core/pods/ns-${n % 7}/p${n}`;
          if (add) {
            keys.insert(k);
            model.add(k);
          } else {
            keys.remove(k);
            model.delete(k);
          }
        }
        const sorted = [...model].sort();
        expect(keys.size).toBe(sorted.length);
        expect([...keys.all()]).toEqual(sorted);
        const p = `/core/pods/ns-${probe % 7}/p${probe}`;
        expect([...keys.from(p, true)]).toEqual(sorted.filter((k) => k > p));
        expect(keys.countBetween(p, "/core/pods/ns-9")).toBe(sorted.filter((k) => k > p && k < "/core/pods/ns-9").length);
      }),
      { numRuns: 15 },
    );
  });
});
