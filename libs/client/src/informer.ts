/**
 * An informer: a read-only cache of one resource kept current by the watch
 * stream (list, then watch; re-list with backoff when the stream fails, e.g.
 * 410 Expired), with indexes and add/update/delete handlers. Handlers run
 * after the cache is updated; `hasSynced` turns true after the first list, and
 * every `resyncMs` handlers get an update for every object (level-triggered
 * controllers use it to repair whatever a lost event missed).
 *
 * Objects in the cache are frozen: copy before changing them.
 */
import type { Bus, JsonObject } from "@kubeactor/bus";
import { openWatchStream, type WatchStream } from "./watch-stream.ts";
import type { StoreClient } from "./store-client.ts";

export interface InformerHandlers {
  onAdd?(obj: JsonObject): void;
  onUpdate?(oldObj: JsonObject, newObj: JsonObject): void;
  onDelete?(obj: JsonObject): void;
}

export interface InformerOptions {
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  /** 0 disables resync. */
  readonly resyncMs?: number;
  /** How often the watch checks the store's history for lost messages (default 5 s). */
  readonly repairEveryMs?: number;
  readonly log?: (line: string) => void;
  /**
   * Applied to every object before it is cached and handed to the handlers
   * (client-go's SetTransform): lets a cache drop what its users never read,
   * e.g. `stripManagedFields`. Must not change the object it is given.
   */
  readonly transform?: (obj: JsonObject) => JsonObject;
  /**
   * The indexes kept from the start (default: `standardIndexes`); `{}` for a
   * cache that is only read through its handlers and `get`, which then
   * spends nothing per event on index keys (the scheduler's pods and nodes).
   */
  readonly indexes?: Readonly<Record<string, IndexFunc>>;
}

type Meta = { name?: string; namespace?: string; labels?: Record<string, string>; ownerReferences?: { uid: string }[] };
const metaOf = (o: JsonObject) => (o.metadata ?? {}) as Meta;

/** `namespace/name`, or `name` for cluster-scoped objects — the workqueue key. */
export const objectKey = (o: JsonObject): string => {
  const m = metaOf(o);
  return m.namespace ? `${m.namespace}/${m.name}` : (m.name ?? "");
};

/**
 * A transform that drops `metadata.managedFields` (client-go's
 * TransformStripManagedFields): often the largest part of an object, read
 * only by apply. Safe for a cache whose users write through subresources or
 * apply-free updates (an update without managedFields keeps the stored ones).
 */
export const stripManagedFields = (obj: JsonObject): JsonObject => {
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (!meta || meta.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...rest } = meta;
  return { ...obj, metadata: rest } as JsonObject;
};

export type IndexFunc = (obj: JsonObject) => readonly string[];

/** The indexes most controllers want. */
export const standardIndexes: Record<string, IndexFunc> = {
  namespace: (o) => [metaOf(o).namespace ?? ""],
  ownerUid: (o) => (metaOf(o).ownerReferences ?? []).map((r) => r.uid),
  nodeName: (o) => {
    const node = (o.spec as { nodeName?: string } | undefined)?.nodeName;
    return node ? [node] : [];
  },
  label: (o) => Object.entries(metaOf(o).labels ?? {}).map(([k, v]) => `${k}=${v}`),
};

export class Informer {
  private readonly cache = new Map<string, JsonObject>();
  private readonly indexers = new Map<string, IndexFunc>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: InformerHandlers[] = [];
  private stream: WatchStream | undefined;
  private stopped = false;
  private synced = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly store: StoreClient,
    private readonly opts: InformerOptions,
  ) {
    for (const [name, fn] of Object.entries(opts.indexes ?? standardIndexes)) this.addIndex(name, fn);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** The revision the cache reflects. */
  get revision(): number {
    return this.stream?.revision ?? 0;
  }

  addHandler(h: InformerHandlers): void {
    this.handlers.push(h);
    // Late handlers see what is already there, like client-go's AddEventHandler.
    if (this.synced) for (const o of this.cache.values()) h.onAdd?.(o);
  }

  addIndex(name: string, fn: IndexFunc): void {
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indexes.set(name, index);
    for (const [key, o] of this.cache) for (const v of fn(o)) addTo(index, v, key);
  }

  get(key: string): JsonObject | undefined {
    return this.cache.get(key);
  }

  list(): JsonObject[] {
    return [...this.cache.values()];
  }

  byIndex(name: string, value: string): JsonObject[] {
    const keys = this.indexes.get(name)?.get(value);
    return keys ? [...keys].map((k) => this.cache.get(k)!).filter(Boolean) : [];
  }

  /** Resolves after the first full list; keeps running until stop(). */
  async start(): Promise<void> {
    this.connect();
    if (this.opts.resyncMs) {
      this.resyncTimer = setInterval(() => {
        for (const o of this.cache.values()) for (const h of this.handlers) h.onUpdate?.(o, o);
      }, this.opts.resyncMs);
      this.resyncTimer.unref();
    }
    await this.waitForSync();
  }

  waitForSync(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((r) => this.syncWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.stream?.stop();
    clearInterval(this.resyncTimer);
    clearTimeout(this.retryTimer);
  }

  private connect(): void {
    if (this.stopped) return;
    openWatchStream(
      this.bus,
      this.store,
      { group: this.opts.group, resource: this.opts.resource, ...(this.opts.namespace ? { namespace: this.opts.namespace } : {}), ...(this.opts.repairEveryMs ? { repairEveryMs: this.opts.repairEveryMs } : {}) },
      {
        onList: (items) => this.replace(this.opts.transform ? items.map(this.opts.transform) : items),
        onEvent: (e) => {
          const o = this.opts.transform ? this.opts.transform(e.object) : e.object;
          if (e.type === "DELETED") this.remove(o);
          else this.upsert(o);
        },
        onError: (e) => this.retry(e),
      },
    ).then(
      (stream) => {
        this.failures = 0;
        if (this.stopped) stream.stop();
        else this.stream = stream;
      },
      (e) => this.retry(e),
    );
  }

  /** Re-list with exponential backoff (0.5 s doubling to 30 s), as client-go's reflector does. */
  private retry(e: unknown): void {
    if (this.stopped) return;
    this.failures++;
    const delay = Math.min(30_000, 500 * 2 ** (this.failures - 1));
    this.opts.log?.(`informer ${this.opts.resource}: ${(e as Error).message ?? e}; re-listing in ${delay}ms`);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** A fresh list: add and update what is there, delete what vanished while we were away. */
  private replace(items: readonly JsonObject[]): void {
    const seen = new Set<string>();
    for (const o of items) {
      seen.add(objectKey(o));
      this.upsert(o);
    }
    for (const [key, o] of [...this.cache]) if (!seen.has(key)) this.remove(o);
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private upsert(o: JsonObject): void {
    const key = objectKey(o);
    const old = this.cache.get(key);
    if (old && (old.metadata as { resourceVersion?: string }).resourceVersion === (o.metadata as { resourceVersion?: string }).resourceVersion) return;
    if (old) this.unindex(key, old);
    this.cache.set(key, o);
    for (const [name, fn] of this.indexers) for (const v of fn(o)) addTo(this.indexes.get(name)!, v, key);
    for (const h of this.handlers) (old ? h.onUpdate?.(old, o) : h.onAdd?.(o));
  }

  private remove(o: JsonObject): void {
    const key = objectKey(o);
    const old = this.cache.get(key);
    if (!old) return;
    this.unindex(key, old);
    this.cache.delete(key);
    for (const h of this.handlers) h.onDelete?.(o);
  }

  private unindex(key: string, o: JsonObject): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indexes.get(name)!;
      for (const v of fn(o)) {
        const set = index.get(v);
        set?.delete(key);
        if (set?.size === 0) index.delete(v);
      }
    }
  }
}

const addTo = (index: Map<string, Set<string>>, value: string, key: string) => {
  let set = index.get(value);
  if (!set) index.set(value, (set = new Set()));
  set.add(key);
};
