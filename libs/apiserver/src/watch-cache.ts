/**
 * The watch cache, as kube-apiserver's cacher: one list + watch per resource
 * on the store, every object kept with its JSON text, so a LIST is served
 * from memory as a concatenation of ready-made bytes instead of a store round trip
 * that parses, decodes and re-encodes every item.
 *
 * Consistency follows kube-apiserver's "consistent reads from cache" (1.31+):
 * a LIST without resourceVersion first asks the store for the resource's
 * history after the last change the cache applied (a tiny request: usually
 * nothing) and applies whatever comes back; the reply carries the store's
 * current revision, at which the cache is then known to be current, whatever
 * order the bus delivered the watch events in. That is the progress
 * notification kube-apiserver asks etcd for, and it repairs a change lost on
 * the bus too. A cache still filling (or failing) sends the request to the
 * store instead. resourceVersion="0" serves the cache as it is; Exact /
 * NotOlderThan revisions and lists longer than their limit (they need a
 * continue token) still go to the store.
 *
 * A resource's cache starts on its first LIST; a cache that loses its watch
 * (410, store gone) is dropped and rebuilt by the next LIST.
 */
import {
  apiVersionOf,
  fieldsOf,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type ResourceInfo,
} from "@kubeactor/api";
import { type Bus, type BusSubscription, type ChangeEvent, type JsonObject, storeKey, storePrefix, watchChange } from "@kubeactor/bus";
import type { StoreClient } from "@kubeactor/client";
import { metaOf } from "./objects.ts";

/** A LIST body whose JSON is already encoded: `sendJson` writes `ENCODED`'s bytes instead of stringifying. */
export const ENCODED: unique symbol = Symbol("encoded JSON");

export interface EncodedList {
  readonly kind: string;
  readonly apiVersion: string;
  readonly metadata: { readonly resourceVersion: string };
  /** Shared with the cache: read, never modify. */
  readonly items: readonly JsonObject[];
  readonly [ENCODED]: () => Buffer;
}

/** One object from the cache, with its JSON bytes. */
export type EncodedObject = JsonObject & { readonly [ENCODED]: () => Buffer };

/** A body `sendJson` writes as ready-made bytes: a cached list or object, or the store's text of an object (stored-json.ts). */
export const isEncoded = (body: unknown): body is { readonly [ENCODED]: () => Buffer } => typeof body === "object" && body !== null && ENCODED in body;

interface Entry {
  readonly object: JsonObject;
  /** The object's JSON, UTF-8 encoded by the first LIST that needs it (objects that change before any LIST never pay). */
  json?: Buffer;
  readonly namespace: string;
}

export interface CacheListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** 0 for everything; a list longer than the limit needs a continue token, which only the store gives. */
  readonly limit: number;
  /** true: resourceVersion="0", serve what the cache has; false: first catch up with the store's current revision. */
  readonly anyRevision: boolean;
}

const SYNC_EVERY_MS = 5000;
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]}");

class ResourceCache {
  private readonly entries = new Map<string, Entry>();
  private sorted: string[] | undefined;
  /** The revision the cache is known to be current at: the last change applied, or a later store revision `sync` confirmed. */
  revision = 0;
  private timer: NodeJS.Timeout | undefined;
  failed = false;
  private readonly subs: BusSubscription[] = [];
  private buffered: ChangeEvent[] | undefined = [];
  /** The first list is applied: the cache answers from now on. */
  ready = false;

  constructor(
    private readonly info: ResourceInfo,
    private readonly bus: Bus,
    private readonly store: StoreClient,
    private readonly onFail: (why: unknown) => void,
  ) {}

  /** Subscribe first, then list; changes that arrive meanwhile are applied after the list, as the store's revisions say. */
  async start(): Promise<void> {
    const { group, resource } = this.info;
    this.subs.push(
      this.bus.subscribe(watchChange, { group, resource }, (e) => {
        if (this.buffered) this.buffered.push(e);
        else this.apply(e);
      }),
    );
    try {
      await this.bus.transport.flush();
      const { items, revision } = await this.store.listAll({ group, resource });
      for (const item of items) this.put(this.keyOf(item), item);
      this.revision = revision;
      for (const e of this.buffered!) this.apply(e);
      this.buffered = undefined;
      this.ready = true;
      // A quiet cache still moves forward, so its history request stays inside the store's window.
      this.timer = setInterval(() => this.sync().catch(() => {}), SYNC_EVERY_MS);
      this.timer.unref();
    } catch (e) {
      this.fail(e);
      throw e;
    }
  }

  private keyOf(o: JsonObject): string {
    const meta = metaOf(o);
    return storeKey({ group: this.info.group, resource: this.info.resource, namespace: this.info.namespaced ? (meta.namespace ?? "") : "", name: meta.name ?? "" });
  }

  private put(key: string, object: JsonObject): void {
    if (!this.entries.has(key)) this.sorted = undefined;
    this.entries.set(key, { object, namespace: metaOf(object).namespace ?? "" });
  }

  private apply(e: ChangeEvent): void {
    if (e.revision <= this.revision) return;
    if (e.type === "DELETED") {
      if (this.entries.delete(e.key)) this.sorted = undefined;
    } else this.put(e.key, e.object);
    this.revision = e.revision;
  }

  /**
   * Applies the resource's changes after the cache's revision from the
   * store's history; resolves with the store's revision, at which the cache is
   * then current. Concurrent calls are safe: each reply is a complete suffix
   * of the history, and changes already applied are skipped. A 410 (the
   * history is compacted past us) fails the cache: the next LIST rebuilds it.
   */
  private syncing: Promise<number> | undefined;
  private nextSync: Promise<number> | undefined;

  /**
   * Requests that arrive together share one history request (kube-apiserver
   * batches its progress requests the same way): a sync already under way
   * may have been sent before the caller's own write, so callers join the
   * next one, which starts when it ends.
   */
  sync(): Promise<number> {
    if (!this.syncing) {
      this.syncing = this.syncOnce().finally(() => (this.syncing = undefined));
      return this.syncing;
    }
    this.nextSync ??= this.syncing
      .catch(() => {})
      .then(() => {
        this.nextSync = undefined;
        return this.sync();
      });
    return this.nextSync;
  }

  private async syncOnce(): Promise<number> {
    const prefix = storePrefix(this.info.group, this.info.resource);
    try {
      for (;;) {
        const from = this.revision;
        const page = await this.store.history(prefix, from);
        if (this.failed) throw new Error("the watch cache failed");
        // A store that went back in time (a new data dir) makes every cached object suspect.
        if (page.revision < from) throw new Error(`the store is at revision ${page.revision}, behind the cache's ${from}`);
        for (const e of page.events) this.apply(e);
        if (page.more) continue;
        // Nothing for this resource between `from` and page.revision except what was just applied.
        if (page.revision > this.revision) this.revision = page.revision;
        return page.revision;
      }
    } catch (e) {
      this.fail(e);
      throw e;
    }
  }

  /** The store went back in time (a new data dir) or the watch broke: this copy cannot be trusted any more. */
  fail(why: unknown): void {
    if (this.failed) return;
    this.failed = true;
    clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
    this.onFail(why);
  }

  /** One object as the cache holds it (shared: read, never modify). */
  get(key: string): JsonObject | undefined {
    return this.entries.get(key)?.object;
  }

  entry(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  /** The matching entries in key order (the store's order). */
  select(o: CacheListOptions): Entry[] {
    this.sorted ??= [...this.entries.keys()].sort();
    const labels = o.labelSelector ? parseLabelSelector(o.labelSelector) : undefined;
    const fields = o.fieldSelector ? parseFieldSelector(o.fieldSelector) : undefined;
    const out: Entry[] = [];
    for (const key of this.sorted) {
      const entry = this.entries.get(key)!;
      if (o.namespace && entry.namespace !== o.namespace) continue;
      if (labels && !matchesLabels(labels, metaOf(entry.object).labels ?? {})) continue;
      if (fields && !matchesFields(fields, fieldsOf(this.info, entry.object))) continue;
      out.push(entry);
    }
    return out;
  }
}

/** A resource's cache, and the count of this server's writes to the resource it is known to include (-1: none checked yet). */
interface Slot {
  readonly cache: ResourceCache;
  readonly ready: Promise<void>;
  synced: number;
  /** What `lister` hands out for this cache (one object, not one per call: admission asks on every create). */
  readonly lister: CacheLister;
}

export interface CacheLister {
  get(key: string): JsonObject | undefined;
  list(): readonly JsonObject[];
}

export class WatchCache {
  private readonly caches = new Map<string, Slot>();
  /** Per resource: writes through this server, counted when each starts and again when it ends. */
  private readonly writes = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly bus: Bus,
    private readonly store: StoreClient,
    private readonly log: (line: string) => void = () => {},
  ) {}

  private cacheOf(info: ResourceInfo): Slot {
    const id = `${info.group}/${info.resource}`;
    let c = this.caches.get(id);
    if (!c) {
      const cache: ResourceCache = new ResourceCache(info, this.bus, this.store, (why) => {
        if (this.caches.get(id)?.cache === cache) this.caches.delete(id);
        if (!this.stopped) this.log(`apiserver: watch cache for ${id} dropped (${(why as Error)?.message ?? why}); the next list rebuilds it`);
      });
      const ready = cache.start();
      ready.catch(() => {});
      c = { cache, ready, synced: -1, lister: { get: (key) => cache.get(key), list: () => cache.select({ limit: 0, anyRevision: true }).map((e) => e.object) } };
      this.caches.set(id, c);
    }
    return c;
  }

  /** The list from memory, or undefined when the store must answer it (cache not ready, behind, or a page is needed). */
  async list(info: ResourceInfo, o: CacheListOptions): Promise<EncodedList | undefined> {
    if (this.stopped) return undefined;
    const { cache, ready } = this.cacheOf(info);
    try {
      await ready;
    } catch {
      return undefined;
    }
    let revision = cache.revision;
    if (!o.anyRevision) {
      try {
        revision = await cache.sync();
      } catch {
        return undefined;
      }
    }
    if (cache.failed) return undefined;
    const entries = cache.select(o);
    if (o.limit > 0 && entries.length > o.limit) return undefined;
    const head = `{"kind":${JSON.stringify(info.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(info))},"metadata":{"resourceVersion":"${revision}"},"items":[`;
    return {
      kind: info.listKind,
      apiVersion: apiVersionOf(info),
      metadata: { resourceVersion: String(revision) },
      items: entries.map((e) => e.object),
      [ENCODED]: () => {
        const parts: Buffer[] = [Buffer.from(head)];
        for (let i = 0; i < entries.length; i++) {
          if (i > 0) parts.push(COMMA);
          const e = entries[i]!;
          parts.push((e.json ??= Buffer.from(JSON.stringify(e.object))));
        }
        parts.push(CLOSE);
        return Buffer.concat(parts);
      },
    };
  }

  /**
   * A GET from memory, consistent as a LIST is (`anyRevision` false: after a
   * sync with the store): the object with its JSON bytes, null when it does
   * not exist, undefined when the store must answer. A GET never starts a
   * cache: only resources already cached (listed) are served, so components
   * that GET pods, nodes or leases do not make this server decode every
   * change of them.
   */
  async get(info: ResourceInfo, key: string, anyRevision: boolean): Promise<EncodedObject | null | undefined> {
    const slot = this.caches.get(`${info.group}/${info.resource}`);
    if (this.stopped || !slot) return undefined;
    const { cache, ready } = slot;
    try {
      await ready;
      if (!anyRevision) await cache.sync();
    } catch {
      return undefined;
    }
    if (cache.failed) return undefined;
    const e = cache.entry(key);
    if (!e) return null;
    // a shallow copy: the caller may add or replace top-level fields, never reach into the cached object
    return { ...e.object, [ENCODED]: () => (e.json ??= Buffer.from(JSON.stringify(e.object))) };
  }

  /**
   * One object as the cache holds it right now, with no sync: possibly stale,
   * so only for a write that compare-and-swaps on its resourceVersion (a
   * stale copy then costs one failed write, never a wrong one). Undefined when
   * the resource is not cached (never listed, still filling, failed) or the
   * object is not in it. Shared with the cache: read, never modify.
   */
  peek(info: ResourceInfo, key: string): JsonObject | undefined {
    const slot = this.caches.get(`${info.group}/${info.resource}`);
    if (this.stopped || !slot || !slot.cache.ready || slot.cache.failed) return undefined;
    return slot.cache.get(key);
  }

  /** Runs one write to `info`'s resource, counted before and after, so `lister` knows whether a sync saw it. */
  async trackWrite<T>(info: ResourceInfo, write: () => Promise<T>): Promise<T> {
    const id = `${info.group}/${info.resource}`;
    this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
    try {
      return await write();
    } finally {
      this.writes.set(id, this.writes.get(id)! + 1);
    }
  }

  /**
   * The resource's objects as an admission plugin's lister reads them:
   * straight from the cache, without a store request, once the cache is
   * known to include every write made through this server (after such a
   * write, one history sync first). Writes by other servers arrive by watch,
   * a few milliseconds late, as with kube-apiserver's informers. Undefined
   * when the cache cannot answer (still filling, failed): ask the store.
   */
  async lister(info: ResourceInfo): Promise<CacheLister | undefined> {
    if (this.stopped) return undefined;
    const slot = this.cacheOf(info);
    const id = `${info.group}/${info.resource}`;
    try {
      await slot.ready;
      const writes = this.writes.get(id) ?? 0;
      if (slot.synced !== writes) {
        await slot.cache.sync();
        slot.synced = Math.max(slot.synced, writes);
      }
      if (slot.synced !== (this.writes.get(id) ?? 0) || slot.cache.failed) return undefined;
    } catch {
      return undefined;
    }
    return slot.lister;
  }

  stop(): void {
    this.stopped = true;
    for (const { cache } of this.caches.values()) cache.fail(new Error("stopped"));
    this.caches.clear();
  }
}
