/**
 * The embedded durable backend: append-only checksummed log segments with
 * group commit, periodic snapshots, and recovery that drops a torn tail but
 * refuses (StoreError "Corrupt", naming file and byte offset) anything else.
 * A batch is written and fdatasync'd on the store's thread unless the disk
 * has lately been slow (see FilePersistence.appendOnThisThread).
 *
 * Files under `dir`:
 *   wal-<firstRevision, 16 digits>.log   records `[u32 len][u32 crc32][payload]` (see codec.ts)
 *   snapshot-<revision, 16 digits>.snap  header line, one `[key,object]` line per object, trailer line with crc32
 *   *.tmp                                 half-written snapshots; deleted at open
 *
 * Known limits: after a restart the watch history holds only the records after
 * the newest snapshot (snapshots do not carry history), so `oldestRevision` can
 * jump forward across a restart and old watchers get Expired and re-list.
 */
import { constants as fsc, fdatasyncSync, writeSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { corrupt, scanSegment } from "./codec.ts";
import { DEFAULT_HISTORY_LIMIT, Engine, type Persistence } from "./engine.ts";
import type { SnapshotCapture, StoredEvent, VersionedState } from "./state.ts";
import { StoreError, type FileBackendOptions, type JsonObject, type MemoryBackendOptions, type StoreBackend } from "./types.ts";

const SEGMENT_RE = /^wal-(\d{16})\.log$/;
const SNAPSHOT_RE = /^snapshot-(\d{16})\.snap$/;
const pad = (n: number): string => String(n).padStart(16, "0");
const segmentName = (firstRev: number): string => `wal-${pad(firstRev)}.log`;
const snapshotName = (rev: number): string => `snapshot-${pad(rev)}.snap`;
const SNAPSHOT_FORMAT = "kubeactor-store-snapshot";
const SNAPSHOT_CHUNK_CHARS = 256 * 1024;
const SNAPSHOT_SYNC_BYTES = 1024 * 1024;

export const DEFAULT_SNAPSHOT_EVERY = 50_000;
/** A log append slower than this moves appends to the thread pool (see FilePersistence.appendOnThisThread). */
export const DEFAULT_SLOW_APPEND_MS = 10;
/** How long appends stay on the thread pool after a slow one. */
const SLOW_DISK_BACKOFF_MS = 30_000;
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, fsc.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

interface DirListing {
  segments: Array<{ firstRev: number; name: string }>;
  snapshots: Array<{ rev: number; name: string }>;
  temps: string[];
}

async function listDir(dir: string): Promise<DirListing> {
  const out: DirListing = { segments: [], snapshots: [], temps: [] };
  for (const name of await readdir(dir)) {
    let m = SEGMENT_RE.exec(name);
    if (m) out.segments.push({ firstRev: Number(m[1]), name });
    else if ((m = SNAPSHOT_RE.exec(name))) out.snapshots.push({ rev: Number(m[1]), name });
    else if (name.endsWith(".tmp")) out.temps.push(name);
  }
  out.segments.sort((a, b) => a.firstRev - b.firstRev);
  out.snapshots.sort((a, b) => b.rev - a.rev);
  return out;
}

/** Reads and verifies a snapshot completely before touching `state`. */
async function readSnapshot(path: string, expectedRev: number): Promise<Array<[string, string]>> {
  const buf = await readFile(path);
  if (buf.length < 2 || buf[buf.length - 1] !== 0x0a) throw corrupt(path, buf.length, "snapshot is truncated (no trailer)");
  const trailerStart = buf.lastIndexOf(0x0a, buf.length - 2) + 1;
  let trailer: { crc?: unknown; count?: unknown };
  try {
    trailer = JSON.parse(buf.toString("utf8", trailerStart, buf.length - 1)) as typeof trailer;
  } catch {
    throw corrupt(path, trailerStart, "snapshot trailer is not valid JSON");
  }
  if (trailer.crc !== crc32(buf.subarray(0, trailerStart))) throw corrupt(path, 0, "snapshot checksum mismatch");
  const headerEnd = buf.indexOf(0x0a);
  const header = JSON.parse(buf.toString("utf8", 0, headerEnd)) as { format?: unknown; revision?: unknown; count?: unknown };
  if (header.format !== SNAPSHOT_FORMAT || header.revision !== expectedRev) {
    throw corrupt(path, 0, `unexpected snapshot header ${buf.toString("utf8", 0, Math.min(headerEnd, 200))}`);
  }
  const entries: Array<[string, string]> = [];
  // One line per object, `["<key>",{...}]`: the key is decoded, the object's
  // bytes become one fresh string each (the store keeps text; nothing is parsed).
  let pos = headerEnd + 1;
  while (pos < trailerStart) {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0 || end >= trailerStart || buf[pos] !== 0x5b || buf[pos + 1] !== 0x22 || buf[end - 1] !== 0x5d) {
      throw corrupt(path, pos, "snapshot line is not a [key,object] pair");
    }
    // End of the key's JSON string: the first `"` not escaped (UTF-8 continuation bytes are never `"` or `\`).
    let q = pos + 2;
    while (q < end && buf[q] !== 0x22) q += buf[q] === 0x5c ? 2 : 1;
    if (q >= end || buf[q + 1] !== 0x2c || buf[q + 2] !== 0x7b || buf[end - 2] !== 0x7d) throw corrupt(path, pos, "snapshot line is not a [key,object] pair");
    let key: unknown;
    try {
      key = JSON.parse(buf.toString("utf8", pos + 1, q + 1));
    } catch {
      key = undefined;
    }
    if (typeof key !== "string") throw corrupt(path, pos, "snapshot line's key is not a JSON string");
    entries.push([key, buf.toString("utf8", q + 2, end - 1)]);
    pos = end + 1;
  }
  if (entries.length !== header.count || trailer.count !== header.count) {
    throw corrupt(path, trailerStart, `snapshot holds ${entries.length} objects, header says ${String(header.count)}`);
  }
  return entries;
}

class FilePersistence implements Persistence {
  readonly encodes = true;
  fsyncs = 0;
  logBytes = 0;
  private fh: FileHandle | undefined;
  private segmentSize = 0;
  private rollPending = true;
  private closed = false;
  /** A snapshot is being written: its syncs share the filesystem journal with the log's. */
  private snapshotting = false;
  /** performance.now() until which appends go through the thread pool (a slow one was seen). */
  private threadPoolUntil = 0;

  constructor(
    private readonly dir: string,
    private readonly fsync: boolean,
    private readonly segmentBytes: number,
    private readonly slowAppendMs: number,
    private readonly log: (line: string) => void,
  ) {}

  async recover(state: VersionedState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const listing = await listDir(this.dir);
    for (const t of listing.temps) await unlink(join(this.dir, t)).catch(() => undefined);

    // Newest verifiable snapshot wins; an unreadable one is only tolerated when an older one exists.
    let snapRev = 0;
    let firstSnapshotError: StoreError | undefined;
    for (const s of listing.snapshots) {
      const path = join(this.dir, s.name);
      try {
        const entries = await readSnapshot(path, s.rev);
        for (const [k, json] of entries) state.load(k, json); // resourceVersion learnt on first use
        state.revision = s.rev;
        snapRev = s.rev;
        break;
      } catch (err) {
        firstSnapshotError ??= err instanceof StoreError ? err : corrupt(path, 0, `unreadable snapshot: ${String(err)}`);
      }
    }
    if (firstSnapshotError && snapRev === 0) throw firstSnapshotError;
    if (firstSnapshotError) console.warn(`store: ${firstSnapshotError.message}; recovered from the older snapshot at revision ${snapRev}`);

    const segs = listing.segments;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const next = segs[i + 1];
      if (next && next.firstRev <= snapRev + 1) continue; // fully covered by the snapshot
      const path = join(this.dir, seg.name);
      const buf = await readFile(path);
      const scan = scanSegment(buf);
      if (scan.damageAt !== undefined) {
        if (next || scan.validAfterDamage) {
          throw corrupt(path, scan.damageAt, next ? "damaged record in a segment that is not the last" : "damaged record followed by valid records");
        }
        // Torn tail of the last segment: a write that was never acknowledged.
        const fh = await open(path, "r+");
        try {
          await fh.truncate(scan.validBytes);
          await fh.sync();
        } finally {
          await fh.close();
        }
        console.warn(`store: ${path}: dropped a torn tail of ${buf.length - scan.validBytes} bytes at byte offset ${scan.validBytes}`);
      }
      for (let r = 0; r < scan.records.length; r++) {
        const rec = scan.records[r]!;
        if (r === 0 && rec.rev !== seg.firstRev) throw corrupt(path, 0, `segment named for revision ${seg.firstRev} starts with revision ${rec.rev}`);
        if (rec.rev <= state.revision) continue;
        if (rec.rev !== state.revision + 1) {
          throw corrupt(path, recordOffset(buf, r), `revision gap: found ${rec.rev} after ${state.revision}`);
        }
        const prev = state.objects.get(rec.key)?.json;
        const fail = (why: string): StoreError => corrupt(path, recordOffset(buf, r), why);
        let event: StoredEvent;
        if (rec.type === "ADDED") {
          if (prev) throw fail(`ADDED ${rec.key} which already exists`);
          if (!rec.obj) throw fail("ADDED record without object");
          event = { type: "ADDED", key: rec.key, revision: rec.rev, json: rec.obj, prevJson: undefined };
        } else if (rec.type === "MODIFIED") {
          if (!prev) throw fail(`MODIFIED ${rec.key} which does not exist`);
          if (!rec.obj) throw fail("MODIFIED record without object");
          event = { type: "MODIFIED", key: rec.key, revision: rec.rev, json: rec.obj, prevJson: prev };
        } else if (rec.type === "DELETED") {
          if (!prev) throw fail(`DELETED ${rec.key} which does not exist`);
          const p = JSON.parse(prev) as JsonObject;
          const json = JSON.stringify({ ...p, metadata: { ...((p["metadata"] ?? {}) as object), resourceVersion: String(rec.rev) } });
          event = { type: "DELETED", key: rec.key, revision: rec.rev, json, prevJson: prev };
        } else {
          throw fail(`unknown record type ${String(rec.type)}`);
        }
        state.apply(event);
      }
    }
    if (state.revision === 0 && segs.length > 0 && snapRev === 0) {
      // Segments exist but none held revision 1: they were not replayed into anything.
      const first = segs[0]!;
      if (first.firstRev > 1) throw corrupt(join(this.dir, first.name), 0, `log starts at revision ${first.firstRev}, no snapshot covers the revisions before it`);
    }
    this.rollPending = true; // always append to a fresh segment after recovery
  }

  async append(firstRev: number, records: Buffer[]): Promise<void> {
    if (this.closed) throw new StoreError("Closed", "log is closed");
    if (records.length === 0) return;
    if (!this.fh || this.rollPending || this.segmentSize >= this.segmentBytes) {
      const old = this.fh;
      this.fh = undefined;
      await old?.close();
      this.fh = await open(join(this.dir, segmentName(firstRev)), "a");
      this.segmentSize = (await this.fh.stat()).size;
      this.rollPending = false;
      // The new file's directory entry must be durable before we acknowledge anything written into it.
      if (this.fsync) await fsyncDir(this.dir);
    }
    const buf = records.length === 1 ? records[0]! : Buffer.concat(records);
    if (this.snapshotting || performance.now() < this.threadPoolUntil) {
      await writeAll(this.fh, buf);
      if (this.fsync) await this.fh.datasync();
    } else {
      this.appendOnThisThread(this.fh, buf);
    }
    if (this.fsync) this.fsyncs++;
    this.segmentSize += buf.length;
    this.logBytes += buf.length;
  }

  /**
   * A batch written and synced on the store's own thread, which has nothing
   * to do meanwhile but wait: every write in the batch waits for the sync
   * before it is committed. The thread pool costs more than the I/O here:
   * measured on a 2-vCPU VM for a batch of ten 1.1 KiB records, fh.write +
   * fh.datasync took 165–200 µs of CPU (two hand-offs to a pool thread and
   * back), writeSync + fdatasyncSync 78 µs, for the same wall time. What
   * the thread gives up is reading requests during the sync, so a disk that
   * takes longer than `slowAppendMs` sends appends back to the thread pool
   * for a while (as does a snapshot in progress, whose syncs can hold the
   * journal for long): a slow disk never stalls the store's reads for long.
   */
  private appendOnThisThread(fh: FileHandle, buf: Buffer): void {
    const t0 = performance.now();
    for (let off = 0; off < buf.length; ) off += writeSync(fh.fd, buf, off, buf.length - off);
    if (this.fsync) fdatasyncSync(fh.fd);
    const ms = performance.now() - t0;
    if (ms > this.slowAppendMs) {
      this.threadPoolUntil = performance.now() + SLOW_DISK_BACKOFF_MS;
      this.log(`store: a log append took ${ms.toFixed(1)} ms; appends go through the thread pool for the next ${SLOW_DISK_BACKOFF_MS / 1000} s`);
    }
  }

  roll(): void {
    this.rollPending = true;
  }

  async writeSnapshot(capture: SnapshotCapture): Promise<void> {
    const { revision, keys } = capture;
    const final = join(this.dir, snapshotName(revision));
    const tmp = `${final}.tmp`;
    const fh = await open(tmp, "w");
    let crc = 0;
    let unsynced = 0;
    this.snapshotting = true;
    try {
      const put = async (text: string): Promise<void> => {
        const b = Buffer.from(text, "utf8");
        crc = crc32(b, crc);
        await writeAll(fh, b);
        // Flush as we go: one big sync at the end stalls the log's fdatasync behind
        // the filesystem journal for hundreds of milliseconds.
        unsynced += b.length;
        if (this.fsync && unsynced >= SNAPSHOT_SYNC_BYTES) {
          unsynced = 0;
          await fh.datasync();
        }
      };
      await put(JSON.stringify({ format: SNAPSHOT_FORMAT, version: 1, revision, count: keys.length }) + "\n");
      // Serialise in chunks of ~256 KiB (`[key,object]` as JSON.stringify would write it, around the
      // stored text); each await yields, so writes keep flowing and no chunk stalls the event loop.
      let chunk = "";
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        chunk += `[${JSON.stringify(key)},${capture.jsonOf(key)}]\n`;
        if (chunk.length >= SNAPSHOT_CHUNK_CHARS) {
          await put(chunk);
          chunk = "";
        }
      }
      if (chunk.length > 0) await put(chunk);
      await writeAll(fh, Buffer.from(JSON.stringify({ count: keys.length, crc }) + "\n"));
      if (this.fsync) await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    } finally {
      this.snapshotting = false;
    }
    await fh.close();
    await rename(tmp, final);
    if (this.fsync) await fsyncDir(this.dir);
    // Only now is it safe to drop what the snapshot covers. Segments opened after
    // the roll start above `revision`, so every segment at or below it is covered.
    const listing = await listDir(this.dir);
    for (const s of listing.segments) if (s.firstRev <= revision) await unlink(join(this.dir, s.name)).catch(() => undefined);
    for (const s of listing.snapshots) if (s.rev < revision) await unlink(join(this.dir, s.name)).catch(() => undefined);
    if (this.fsync) await fsyncDir(this.dir);
  }

  async close(): Promise<void> {
    this.closed = true;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}

/** Byte offset of record number `index` in a segment (walks the length fields; only used for error messages). */
function recordOffset(buf: Buffer, index: number): number {
  let off = 0;
  for (let i = 0; i < index; i++) off += 8 + buf.readUInt32LE(off);
  return off;
}

class MemoryPersistence implements Persistence {
  readonly encodes = false;
  readonly fsyncs = 0;
  readonly logBytes = 0;
  async recover(): Promise<void> {}
  async append(): Promise<void> {}
  roll(): void {}
  async writeSnapshot(): Promise<void> {}
  async close(): Promise<void> {}
}

export function createFileBackend(opts: FileBackendOptions): StoreBackend {
  const persistence = new FilePersistence(
    opts.dir,
    opts.fsync ?? true,
    opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
    opts.slowAppendMs ?? DEFAULT_SLOW_APPEND_MS,
    opts.log ?? ((line) => console.warn(line)),
  );
  return new Engine(persistence, {
    historyLimit: opts.historyLimit ?? DEFAULT_HISTORY_LIMIT,
    snapshotEvery: opts.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY,
    ...(opts.maxObjectBytes !== undefined ? { maxObjectBytes: opts.maxObjectBytes } : {}),
  });
}

/** Same semantics as the file backend, no disk: for tests and for benchmarking the engine itself. */
export function createMemoryBackend(opts: MemoryBackendOptions = {}): StoreBackend {
  return new Engine(new MemoryPersistence(), {
    historyLimit: opts.historyLimit ?? DEFAULT_HISTORY_LIMIT,
    ...(opts.maxObjectBytes !== undefined ? { maxObjectBytes: opts.maxObjectBytes } : {}),
  });
}
