/**
 * Committed in-memory state: current objects, their keys in sorted order and
 * the bounded event history used for watch replay and lists at an older
 * revision. Pure data structure, no I/O; both backends share it.
 */
import { StoreError, type ChangeEvent, type ChangeType, type HistoryResult, type JsonListResult, type JsonObject, type ListOptions, type ListResult } from "./types.ts";

/** Index of the first element of sorted `a` that is >= k (or > k when `after`). */
function bound(a: readonly string[], k: string, after: boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = a[mid] as string;
    if (v < k || (after && v === k)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const CHUNK_MAX = 1024;

/**
 * Sorted key set as a list of sorted chunks (a flat B-tree): inserts and
 * removes in random order cost O(log n + CHUNK_MAX) instead of O(n) splices
 * on one big array, which matters at 100k+ keys.
 */
export class SortedKeys {
  private chunks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Chunk that holds (or would hold) k. */
  private chunkIndex(k: string): number {
    const cs = this.chunks;
    let lo = 0;
    let hi = cs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((cs[mid]![0] as string) <= k) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  insert(k: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([k]);
      this.count = 1;
      return;
    }
    const ci = this.chunkIndex(k);
    const c = this.chunks[ci]!;
    const i = bound(c, k, false);
    if (c[i] === k) return;
    if (i === c.length) c.push(k);
    else c.splice(i, 0, k);
    this.count++;
    if (c.length > CHUNK_MAX) this.chunks.splice(ci + 1, 0, c.splice(CHUNK_MAX >>> 1));
  }

  remove(k: string): void {
    if (this.chunks.length === 0) return;
    const ci = this.chunkIndex(k);
    const c = this.chunks[ci]!;
    const i = bound(c, k, false);
    if (c[i] !== k) return;
    c.splice(i, 1);
    this.count--;
    if (c.length === 0) this.chunks.splice(ci, 1);
  }

  /** Keys >= k (or > k when `after`), in order, while `keep` holds. */
  *from(k: string, after: boolean): Generator<string, void, undefined> {
    if (this.chunks.length === 0) return;
    let ci = this.chunkIndex(k);
    let i = bound(this.chunks[ci]!, k, after);
    for (; ci < this.chunks.length; ci++, i = 0) {
      const c = this.chunks[ci]!;
      for (; i < c.length; i++) yield c[i] as string;
    }
  }

  /** Number of keys in (lo, hi) — exclusive bounds. */
  countBetween(lo: string, hi: string): number {
    let n = 0;
    for (const c of this.chunks) {
      if (c.length === 0 || (c[c.length - 1] as string) <= lo || (c[0] as string) >= hi) continue;
      n += bound(c, hi, false) - bound(c, lo, true);
    }
    return n;
  }

  *all(): Generator<string, void, undefined> {
    for (const c of this.chunks) yield* c;
  }

  /** Every key in order, as one array (plain loops: a generator costs ~1 µs a key, 100 ms of stall at 100k). */
  toArray(): string[] {
    const out = new Array<string>(this.count);
    let i = 0;
    for (const c of this.chunks) for (let j = 0; j < c.length; j++) out[i++] = c[j] as string;
    return out;
  }
}

/** Recursively freezes a freshly parsed JSON value. */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k in v) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

/** A stored object's JSON → the deep-frozen object callers of the object API get (a fresh copy each time). */
export const decode = (json: string): JsonObject => deepFreeze(JSON.parse(json) as JsonObject);

export const resourceVersionOf = (obj: JsonObject | undefined): string | undefined => {
  const md = obj?.["metadata"];
  if (md === null || typeof md !== "object") return undefined;
  const rv = (md as Record<string, unknown>)["resourceVersion"];
  return typeof rv === "string" ? rv : undefined;
};

/**
 * One current object as the store keeps it: its JSON text (one flat string:
 * a fraction of the parsed graph's heap and a single object for the GC to
 * mark, instead of hundreds) and its resourceVersion, for compare-and-swap
 * without decoding. Objects loaded from a snapshot learn their
 * resourceVersion on first use.
 */
export class StoredObject {
  constructor(
    readonly json: string,
    private rv: string | null,
  ) {}

  get resourceVersion(): string | undefined {
    if (this.rv === null) this.rv = resourceVersionOf(JSON.parse(this.json) as JsonObject) ?? "";
    return this.rv === "" ? undefined : this.rv;
  }
}

/** One write in the watch history, as text (shares the strings of the objects it wrote). */
export interface StoredEvent {
  readonly type: ChangeType;
  readonly key: string;
  readonly revision: number;
  /** The object's JSON; for DELETED the last state with metadata.resourceVersion = deletion revision. */
  readonly json: string;
  /** The JSON of the state before the write (MODIFIED, DELETED). */
  readonly prevJson: string | undefined;
}

/**
 * A stored event as the object API shows it: `object` and `prevObject` are
 * decoded (deep-frozen) on first access, so callers that only want the
 * text (the store's server) never pay for a decode.
 */
export function changeEvent(s: StoredEvent): ChangeEvent {
  let object: JsonObject | undefined;
  let prev: JsonObject | undefined;
  const e = {
    type: s.type,
    key: s.key,
    revision: s.revision,
    objectJson: s.json,
    get object(): JsonObject {
      return (object ??= decode(s.json));
    },
  };
  if (s.prevJson !== undefined) {
    const prevJson = s.prevJson;
    Object.defineProperty(e, "prevObject", { enumerable: true, get: () => (prev ??= decode(prevJson)) });
  }
  return e;
}

/** The current objects at one revision, read lazily (see VersionedState.capture). */
export interface SnapshotCapture {
  readonly revision: number;
  /** Every key at `revision`, ascending. */
  readonly keys: readonly string[];
  /** The text `key` had at `revision` (valid until release). */
  jsonOf(key: string): string;
  release(): void;
}

export class VersionedState {
  readonly objects = new Map<string, StoredObject>();
  readonly keys = new SortedKeys();
  /** Consecutive revisions: events[i].revision === events[head].revision + (i - head). */
  private events: StoredEvent[] = [];
  private head = 0;
  /** Texts captured keys had before a write changed them (see capture). */
  private preImages: Map<string, string> | undefined;
  revision = 0;

  constructor(readonly historyLimit: number) {}

  get historyLength(): number {
    return this.events.length - this.head;
  }

  /** Oldest event revision retained; revision + 1 when no history is retained. */
  get oldestRevision(): number {
    const first = this.events[this.head];
    return first ? first.revision : this.revision + 1;
  }

  /**
   * Load one object without an event (snapshot load). `resourceVersion` may be
   * left out when unknown (learnt from the JSON on first use). Keys must be
   * supplied in ascending order for speed, any order works.
   */
  load(key: string, json: string, resourceVersion?: string): void {
    this.objects.set(key, new StoredObject(json, resourceVersion ?? null));
    this.keys.insert(key);
  }

  apply(e: StoredEvent): void {
    if (e.revision !== this.revision + 1) {
      throw new StoreError("Corrupt", `revision gap: applying ${e.revision} after ${this.revision}`, { currentRevision: this.revision });
    }
    // A snapshot is being written: remember what a captured key held before its first change.
    if (this.preImages && e.prevJson !== undefined && !this.preImages.has(e.key)) this.preImages.set(e.key, e.prevJson);
    if (e.type === "DELETED") {
      this.objects.delete(e.key);
      this.keys.remove(e.key);
    } else {
      if (e.type === "ADDED") this.keys.insert(e.key);
      this.objects.set(e.key, new StoredObject(e.json, String(e.revision)));
    }
    this.revision = e.revision;
    if (this.historyLimit > 0) {
      this.events.push(e);
      if (this.events.length - this.head > this.historyLimit) this.head++;
      // Compact occasionally so the array does not grow without bound.
      if (this.head > 4096 && this.head > this.historyLimit) {
        this.events = this.events.slice(this.head);
        this.head = 0;
      }
    }
  }

  /**
   * The current objects as of now, for a snapshot written while writes go on:
   * only the sorted keys are copied (a plain array copy, under a millisecond at
   * 100k); each object's text is read when the writer gets to it — the current
   * one, or the one it had at capture time if a write has changed it since
   * (apply keeps those pre-images until `release`). One capture at a time.
   */
  capture(): SnapshotCapture {
    const keys = this.keys.toArray();
    const before = new Map<string, string>();
    this.preImages = before;
    return {
      revision: this.revision,
      keys,
      jsonOf: (key) => before.get(key) ?? (this.objects.get(key) as StoredObject).json,
      release: () => {
        if (this.preImages === before) this.preImages = undefined;
      },
    };
  }

  private checkRevision(rev: number, what: string): void {
    if (rev < this.oldestRevision - 1) {
      throw new StoreError("Expired", `${what} revision ${rev} is older than the oldest retained revision ${this.oldestRevision - 1}`, {
        currentRevision: this.revision,
      });
    }
  }

  /** Stored events with revision > afterRevision under `prefix`, at most `limit` (0 = all). */
  historyEvents(prefix: string, afterRevision: number, limit: number): { events: StoredEvent[]; more: boolean; revision: number } {
    this.checkRevision(afterRevision, "watch");
    const events: StoredEvent[] = [];
    const max = limit > 0 ? limit : Infinity;
    let more = false;
    const oldest = this.oldestRevision;
    for (let i = this.head + Math.max(0, afterRevision + 1 - oldest); i < this.events.length; i++) {
      const e = this.events[i] as StoredEvent;
      if (!e.key.startsWith(prefix)) continue;
      if (events.length >= max) {
        more = true;
        break;
      }
      events.push(e);
    }
    return { events, more, revision: this.revision };
  }

  history(prefix: string, afterRevision: number, limit: number): HistoryResult {
    const r = this.historyEvents(prefix, afterRevision, limit);
    return { events: r.events.map(changeEvent), more: r.more, revision: r.revision };
  }

  /** `list` with each item as its JSON text; a filter sees the decoded object. */
  listJson(prefix: string, opts: ListOptions = {}): JsonListResult {
    const rev = opts.revision ?? this.revision;
    if (rev > this.revision) {
      throw new StoreError("Expired", `list revision ${rev} is newer than the current revision ${this.revision}`, { currentRevision: this.revision });
    }
    this.checkRevision(rev, "list");
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const start = opts.continueAfter !== undefined && opts.continueAfter >= prefix ? opts.continueAfter : undefined;
    const filter = opts.filter;

    // State at `rev` = current state with events newer than rev undone. Walking
    // newest → oldest, the last write wins and leaves the state before the
    // oldest undone event, i.e. the state at `rev`.
    const overrides = new Map<string, string | null>();
    for (let i = this.events.length - 1; i >= this.head; i--) {
      const e = this.events[i] as StoredEvent;
      if (e.revision <= rev) break;
      if (!e.key.startsWith(prefix)) continue;
      overrides.set(e.key, e.type === "ADDED" ? null : (e.prevJson ?? null));
    }
    // Keys that exist at `rev` but not now, merged in order with current keys.
    const extra = [...overrides.keys()].filter((k) => !this.objects.has(k) && overrides.get(k) !== null).sort();
    let xi = 0;
    if (start !== undefined) while (xi < extra.length && (extra[xi] as string) <= start) xi++;
    const cursor = this.keys.from(start ?? prefix, start !== undefined);
    let ck = cursor.next().value;

    const items: string[] = [];
    let lastKey: string | undefined;
    let more = false;
    for (;;) {
      const cur = ck !== undefined && ck.startsWith(prefix) ? ck : undefined;
      const ex = extra[xi];
      let key: string;
      if (cur === undefined && ex === undefined) break;
      if (ex === undefined || (cur !== undefined && cur < ex)) {
        key = cur as string;
        ck = cursor.next().value;
      } else {
        key = ex;
        xi++;
      }
      if (items.length >= limit) {
        more = true;
        break;
      }
      const o = overrides.has(key) ? overrides.get(key) : this.objects.get(key)?.json;
      if (!o) continue;
      if (filter && ((opts.precheck && !opts.precheck(o)) || !filter(JSON.parse(o) as JsonObject))) continue;
      items.push(o);
      lastKey = key;
    }
    if (!more) return { items, revision: rev };
    const result: { items: string[]; revision: number; lastKey?: string; remaining?: number } = { items, revision: rev, lastKey };
    if (!filter && rev === this.revision && lastKey !== undefined) {
      result.remaining = this.keys.countBetween(lastKey, prefixEnd(prefix));
    }
    return result;
  }

  list(prefix: string, opts: ListOptions = {}): ListResult {
    const r = this.listJson(prefix, opts);
    return { ...r, items: r.items.map(decode) };
  }
}

/** Smallest string greater than every string starting with `prefix`. */
function prefixEnd(prefix: string): string {
  if (prefix === "") return "\uffff\uffff";
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
