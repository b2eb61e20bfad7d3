import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileBackend } from "./file-backend.ts";
import { cm, cmKey, removeDir, tempDir } from "./test-helpers.ts";
import { StoreError, type FileBackendOptions, type JsonObject, type StoreBackend } from "./types.ts";

let dir: string;
const opened: StoreBackend[] = [];
async function openStore(opts: Partial<FileBackendOptions> = {}): Promise<StoreBackend> {
  const s = createFileBackend({ dir, snapshotEvery: 0, ...opts });
  opened.push(s);
  await s.open();
  return s;
}
const dump = (s: StoreBackend): Array<[unknown, JsonObject]> => s.list("/").items.map((o) => [o["metadata"], o]);
const files = (suffix: string): string[] => readdirSync(dir).filter((f) => f.endsWith(suffix)).sort();

async function writeSome(s: StoreBackend, n: number, tag = "w"): Promise<void> {
  const ps: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const k = cmKey("ns", `${tag}${i % 37}`);
    // Mix creates, updates and deletes deterministically.
    if (!s.get(k)) ps.push(s.create(k, cm("ns", `${tag}${i % 37}`, { i: String(i) })).catch(() => undefined));
    else if (i % 5 === 0) ps.push(s.delete(k).catch(() => undefined));
    else ps.push(s.update(k, cm("ns", `${tag}${i % 37}`, { i: String(i) })).catch(() => undefined));
    if (i % 10 === 9) await Promise.all(ps.splice(0));
  }
  await Promise.all(ps);
}

beforeEach(() => {
  dir = tempDir();
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  removeDir(dir);
});

async function expectCorrupt(p: Promise<unknown>, fileSuffix: string): Promise<StoreError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  const se = err as StoreError;
  expect(se.code).toBe("Corrupt");
  expect(se.message).toContain(fileSuffix);
  expect(se.message).toMatch(/byte offset \d+/);
  expect(se.detail?.file).toContain(fileSuffix);
  expect(typeof se.detail?.offset).toBe("number");
  return se;
}

describe("file backend durability", () => {
  it("writes the state at the snapshot's revision while writes change, delete and add keys during it", async () => {
    const a = await openStore();
    const big = "v".repeat(2000); // enough text for the snapshot to take several chunks
    const ps: Promise<unknown>[] = [];
    for (let i = 0; i < 3000; i++) ps.push(a.create(cmKey("ns", `k${String(i).padStart(4, "0")}`), cm("ns", `k${i}`, { big })));
    await Promise.all(ps);
    const snapshot = a.snapshot();
    const during: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      during.push(a.update(cmKey("ns", `k${String(i * 29).padStart(4, "0")}`), cm("ns", `k${i * 29}`, { changed: "yes" })));
      during.push(a.delete(cmKey("ns", `k${String(i * 29 + 1).padStart(4, "0")}`)));
      during.push(a.create(cmKey("ns", `k${String(i * 29).padStart(4, "0")}x`), cm("ns", `new${i}`)));
    }
    await Promise.all([snapshot, ...during]);
    const name = files(".snap")[0]!;
    const snapRev = Number(name.slice(9, 25));
    expect(snapRev).toBe(3000);
    const lines = readFileSync(join(dir, name), "utf8").split("\n").slice(1, -2);
    const atRev = a.listJson("/", { revision: snapRev });
    expect(lines).toHaveLength(3000);
    expect(lines).toEqual(atRev.items.map((t) => `[${JSON.stringify(cmKey("ns", (JSON.parse(t) as { metadata: { name: string } }).metadata.name.replace(/^k(\d+)$/, (_m, n: string) => `k${n.padStart(4, "0")}`)))},${t}]`));
    const current = a.listJson("/").items;
    await a.close();
    const b = await openStore();
    expect(b.listJson("/").items).toEqual(current);
  });

  it("recovers objects as the exact text it stored, whatever the keys and values hold, from snapshot and log", async () => {
    // Keys and values that a byte-level reader could trip on: quotes, backslashes, the log's own marker, non-ASCII.
    const odd = ['a"b', "c\\d", 'e,"obj":{"x":1}', "ü-名前", "f\\\"g", "[h]", "i\nj"];
    const a = await openStore();
    for (const [i, name] of odd.entries()) await a.create(cmKey("ns", name), cm("ns", name, { v: name, n: String(i), q: '","obj":{' }));
    await a.update(cmKey("ns", odd[0]!), cm("ns", odd[0]!, { v: "updated" }));
    await a.snapshot();
    // The snapshot holds each object exactly as JSON.stringify([key, object]) writes it (the format older versions read and wrote).
    const snap = readFileSync(join(dir, files(".snap")[0]!), "utf8").split("\n").slice(1, -2);
    expect(snap).toEqual(a.list("/").items.map((o) => JSON.stringify([cmKey("ns", (o["metadata"] as { name: string }).name), o])));
    // After the snapshot, the same keys go through the log.
    await a.update(cmKey("ns", odd[1]!), cm("ns", odd[1]!, { v: "after snapshot" }));
    await a.delete(cmKey("ns", odd[2]!));
    await a.create(cmKey("ns", `${odd[2]!}2`), cm("ns", `${odd[2]!}2`, { v: 'x,"obj":y' }));
    const texts = a.listJson("/").items;
    const history = a.historyJson("/", a.oldestRevision - 1, 0).events;
    const rev = a.revision;
    await a.close();
    const b = await openStore();
    expect(b.revision).toBe(rev);
    expect(b.listJson("/").items).toEqual(texts);
    for (const t of texts) {
      const o = JSON.parse(t) as JsonObject;
      const name = (o["metadata"] as { name: string }).name;
      expect(b.getJson(cmKey("ns", name))).toBe(t);
      expect(b.get(cmKey("ns", name))).toEqual(o);
    }
    expect(b.historyJson("/", b.oldestRevision - 1, 0).events).toEqual(history.filter((e) => e.revision >= b.oldestRevision));
    // CAS still works against objects loaded from the snapshot (their resourceVersion is read from the text).
    const loaded = b.get(cmKey("ns", odd[3]!))!;
    await expect(b.update(cmKey("ns", odd[3]!), loaded, "1")).rejects.toMatchObject({ code: "Conflict" });
    await b.update(cmKey("ns", odd[3]!), loaded, (loaded["metadata"] as { resourceVersion: string }).resourceVersion);
    await b.delete(cmKey("ns", odd[4]!), { uid: `uid-ns-${odd[4]!}`, resourceVersion: (b.get(cmKey("ns", odd[4]!))!["metadata"] as { resourceVersion: string }).resourceVersion });
    expect(b.getJson(cmKey("ns", odd[4]!))).toBeUndefined();
  });

  it("reopens to identical state, revision and history", async () => {
    const a = await openStore();
    await writeSome(a, 300);
    const state = dump(a);
    const rev = a.revision;
    const hist = a.history("/", 0, 0).events;
    expect(a.stats.fsyncs).toBeLessThan(a.stats.writes); // group commit batched something
    await a.close();
    const b = await openStore();
    expect(b.revision).toBe(rev);
    expect(dump(b)).toEqual(state);
    expect(b.history("/", 0, 0).events).toEqual(hist);
    // Writes continue with the next revision.
    expect((await b.create(cmKey("ns", "after"), cm("ns", "after"))).revision).toBe(rev + 1);
  });

  it("moves log appends to the thread pool after a slow one, and loses nothing either way", async () => {
    const lines: string[] = [];
    // Every append is "slow" against a 0 ms budget: the first runs on the store's thread, the rest on the pool.
    const a = await openStore({ slowAppendMs: 0, log: (l) => lines.push(l) });
    await writeSome(a, 200);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^store: a log append took [\d.]+ ms; appends go through the thread pool for the next 30 s$/);
    const state = dump(a);
    const rev = a.revision;
    await a.close();
    const b = await openStore();
    expect(b.revision).toBe(rev);
    expect(dump(b)).toEqual(state);
  });

  it("recovers from a snapshot plus the log after it, and drops covered segments", async () => {
    const a = await openStore();
    await writeSome(a, 200);
    await a.snapshot();
    const snapRev = a.revision;
    await writeSome(a, 100, "z");
    const state = dump(a);
    const rev = a.revision;
    await a.close();
    expect(files(".snap")).toEqual([`snapshot-${String(snapRev).padStart(16, "0")}.snap`]);
    expect(files(".log").every((f) => Number(f.slice(4, 20)) > snapRev)).toBe(true);
    const b = await openStore();
    expect(b.revision).toBe(rev);
    expect(dump(b)).toEqual(state);
    expect(b.oldestRevision).toBe(snapRev + 1); // history rebuilt from the log after the snapshot
    await b.snapshot();
    await b.close();
    const c = await openStore();
    expect(dump(c)).toEqual(state);
    expect(files(".log")).toEqual([]);
  });

  it("snapshots automatically every N records without losing concurrent writes", async () => {
    const a = await openStore({ snapshotEvery: 50 });
    await writeSome(a, 400);
    const state = dump(a);
    await a.close();
    expect(files(".snap").length).toBe(1);
    const b = await openStore();
    expect(dump(b)).toEqual(state);
  });

  it("truncates a torn tail (record cut mid-way) and keeps everything before it", async () => {
    const a = await openStore();
    for (let i = 0; i < 20; i++) await a.create(cmKey("ns", `k${i}`), cm("ns", `k${i}`));
    await a.close();
    const seg = join(dir, files(".log").at(-1)!);
    truncateSync(seg, statSync(seg).size - 10);
    const b = await openStore();
    expect(b.revision).toBe(19);
    expect(b.get(cmKey("ns", "k18"))).toBeDefined();
    expect(b.get(cmKey("ns", "k19"))).toBeUndefined();
    await b.create(cmKey("ns", "k19"), cm("ns", "k19"));
    await b.close();
    const c = await openStore();
    expect(c.revision).toBe(20);
  });

  it("truncates appended garbage and zero-filled tails", async () => {
    const a = await openStore();
    for (let i = 0; i < 5; i++) await a.create(cmKey("ns", `k${i}`), cm("ns", `k${i}`));
    await a.close();
    const seg = join(dir, files(".log").at(-1)!);
    appendFileSync(seg, Buffer.from("\x10\x00\x00\x00garbage-garbage-garbage"));
    let b = await openStore();
    expect(b.revision).toBe(5);
    await b.close();
    appendFileSync(seg, Buffer.alloc(4096));
    b = await openStore();
    expect(b.revision).toBe(5);
  });

  it("refuses mid-log corruption, naming the file and byte offset", async () => {
    const a = await openStore();
    for (let i = 0; i < 10; i++) await a.create(cmKey("ns", `k${i}`), cm("ns", `k${i}`));
    await a.close();
    const name = files(".log").at(-1)!;
    const seg = join(dir, name);
    const buf = readFileSync(seg);
    // Flip a byte inside the payload of the 4th record.
    let off = 0;
    for (let i = 0; i < 3; i++) off += 8 + buf.readUInt32LE(off);
    buf[off + 20] = buf[off + 20]! ^ 0xff;
    writeFileSync(seg, buf);
    const err = await expectCorrupt(openStore(), name);
    expect(err.detail?.offset).toBe(off);
  });

  it("refuses a damaged non-final segment and a revision gap", async () => {
    const a = await openStore();
    for (let i = 0; i < 5; i++) await a.create(cmKey("ns", `k${i}`), cm("ns", `k${i}`));
    await a.close();
    const b = await openStore(); // a fresh segment after recovery
    for (let i = 5; i < 10; i++) await b.create(cmKey("ns", `k${i}`), cm("ns", `k${i}`));
    await b.close();
    const [first, second] = files(".log");
    const firstPath = join(dir, first!);
    const size = statSync(firstPath).size;
    truncateSync(firstPath, size - 3);
    await expectCorrupt(openStore(), first!);
    // Remove the first segment entirely: revisions 1..5 missing → gap.
    removeDir(firstPath);
    await expectCorrupt(openStore(), second!);
  });

  it("refuses an unreadable snapshot with no older fallback, never starting empty", async () => {
    const a = await openStore();
    for (let i = 0; i < 5; i++) await a.create(cmKey("ns", `k${i}`), cm("ns", `k${i}`));
    await a.snapshot();
    await a.close();
    const snap = files(".snap")[0]!;
    const p = join(dir, snap);
    const buf = readFileSync(p);
    buf[buf.indexOf("k2")] = 0x4b; // "K2": valid JSON, wrong checksum
    writeFileSync(p, buf);
    await expectCorrupt(openStore(), snap);
  });
});
