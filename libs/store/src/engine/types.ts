/**
 * The storage engine contract (etcd's role). The engine knows nothing about
 * Kubernetes except `metadata.resourceVersion`: it stores JSON objects under
 * string keys `/<group>/<resource>/<namespace>/<name>` and versions every write
 * with one global, strictly increasing revision.
 */

export type JsonObject = Record<string, unknown>;

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

export interface ChangeEvent {
  readonly type: ChangeType;
  readonly key: string;
  /** The global revision of this write. */
  readonly revision: number;
  /** New state; for DELETED the last state with metadata.resourceVersion = deletion revision. Decoded on first access. */
  readonly object: JsonObject;
  /** `object` as the JSON text the store keeps (and logs): what replies and watch messages send. */
  readonly objectJson: string;
  /** State before the write (MODIFIED, DELETED). */
  readonly prevObject?: JsonObject;
}

export interface ListOptions {
  /** List as of this revision (must be >= oldestRevision - 1 and <= revision; else StoreError "Expired"). */
  readonly revision?: number;
  /** Page size; 0/undefined = all. */
  readonly limit?: number;
  /** Exclusive start key (the `lastKey` of a previous page). */
  readonly continueAfter?: string;
  /** Applied before limit, like Kubernetes' storage does. */
  readonly filter?: (obj: JsonObject) => boolean;
  /**
   * A cheap necessary condition for `filter` on the object's JSON text:
   * objects it refuses are skipped without being decoded (see selector-precheck.ts).
   */
  readonly precheck?: (json: string) => boolean;
}

export interface ListResult {
  readonly items: JsonObject[];
  readonly revision: number;
  /** Set when more keys remain after this page. */
  readonly lastKey?: string;
  /** Keys left after this page (only when no filter is given). */
  readonly remaining?: number;
}

/** A list page with each item as its stored JSON text. */
export interface JsonListResult {
  readonly items: string[];
  readonly revision: number;
  readonly lastKey?: string;
  readonly remaining?: number;
}

/** One change as JSON text, without the previous state (what watchers are sent). */
export interface JsonChange {
  readonly type: ChangeType;
  readonly key: string;
  readonly revision: number;
  readonly objectJson: string;
}

export interface JsonHistoryResult {
  readonly events: JsonChange[];
  readonly more: boolean;
  readonly revision: number;
}

export interface HistoryResult {
  readonly events: ChangeEvent[];
  /** True when `limit` cut the answer short: ask again after the last event's revision. */
  readonly more: boolean;
  /** The current (committed) revision. */
  readonly revision: number;
}

export type StoreErrorCode = "NotFound" | "AlreadyExists" | "Conflict" | "Expired" | "Corrupt" | "Closed" | "TooLarge";

export interface StoreErrorDetail {
  readonly file?: string;
  readonly offset?: number;
  readonly currentRevision?: number;
}

/** Errors inside the store are tagged values handled by `code`. */
export class StoreError extends Error {
  readonly _tag = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly detail?: StoreErrorDetail,
  ) {
    super(message);
    this.name = "StoreError";
  }
}

export const isStoreError = (e: unknown, code?: StoreErrorCode): e is StoreError =>
  e instanceof StoreError && (code === undefined || e.code === code);

export interface Precondition {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

export interface StoreStats {
  /** Acknowledged (durable) writes since open. */
  readonly writes: number;
  /** fdatasync calls since open (one per group-commit batch). */
  readonly fsyncs: number;
  /** Bytes appended to the log since open. */
  readonly logBytes: number;
  /** Objects currently stored. */
  readonly objects: number;
}

/**
 * Backend contract. Writes are linearised in call order. A write's promise
 * resolves only after its record is durable (fsynced); listeners are called
 * after durability, in strictly increasing revision order.
 *
 * Validation (exists / compare-and-swap) happens synchronously at call time
 * against the latest state including writes not yet durable, so a chain of
 * CAS writes issued without awaiting is judged correctly. Reads (`get`, `list`,
 * `history`, `revision`) only ever show committed (durable) writes.
 *
 * The store keeps every object as its JSON text. The object API (`get`,
 * `list`, `history`, events' `object`) decodes a deep-frozen copy on each call
 * (callers must copy before changing it); the `*Json` variants hand out the
 * stored text itself, for callers that only forward it (the store's server).
 */
export interface StoreBackend {
  /** Last committed revision (0 when empty). */
  readonly revision: number;
  /** Oldest revision a watch/list may start from (history floor). */
  readonly oldestRevision: number;
  /** Recovery. Throws StoreError("Corrupt", message naming file and byte offset) on corruption that is not a torn tail. */
  open(): Promise<void>;
  /** AlreadyExists if present; sets metadata.resourceVersion = String(rev) on the stored copy. */
  create(key: string, obj: JsonObject): Promise<ChangeEvent>;
  /** NotFound if absent; Conflict if `expectedResourceVersion` is given and differs from the current one. */
  update(key: string, obj: JsonObject, expectedResourceVersion?: string): Promise<ChangeEvent>;
  /** NotFound if absent; Conflict on a failed precondition. */
  delete(key: string, pre?: Precondition): Promise<ChangeEvent>;
  /** Current state, deep-frozen. */
  get(key: string): JsonObject | undefined;
  /** Current state's JSON text (exactly what `get` decodes). */
  getJson(key: string): string | undefined;
  /** Keys in ascending order under `prefix`. */
  list(prefix: string, opts?: ListOptions): ListResult;
  /** `list` with items as JSON text; a `filter` is given the decoded object. */
  listJson(prefix: string, opts?: ListOptions): JsonListResult;
  /** Events with revision > afterRevision for keys under prefix; Expired if afterRevision < oldestRevision - 1. */
  history(prefix: string, afterRevision: number, limit: number): HistoryResult;
  /** `history` as JSON text, without previous states. */
  historyJson(prefix: string, afterRevision: number, limit: number): JsonHistoryResult;
  subscribe(listener: (e: ChangeEvent) => void): () => void;
  /** Write a snapshot and drop covered log segments. */
  snapshot(): Promise<void>;
  readonly stats: StoreStats;
  /** Flush pending, fsync, close files; later calls throw StoreError("Closed"). Idempotent. */
  close(): Promise<void>;
}

export interface FileBackendOptions {
  dir: string;
  /** Events kept for watch replay, default 20000. */
  historyLimit?: number;
  /** Automatic snapshot after this many records, default 50000; 0 disables. */
  snapshotEvery?: number;
  /** Default 3 MiB + 64 KiB slack; larger → TooLarge. */
  maxObjectBytes?: number;
  /** Default true. false is for benchmarks only: acknowledged writes may be lost on power failure. */
  fsync?: boolean;
  /** Roll to a new log segment past this size, default 64 MiB. */
  segmentBytes?: number;
  /** A log append (write + fdatasync) slower than this sends appends to the thread pool for 30 s; default 10. */
  slowAppendMs?: number;
  /** Where the backend reports such a switch (default console.warn). */
  log?: (line: string) => void;
}

export interface MemoryBackendOptions {
  historyLimit?: number;
  maxObjectBytes?: number;
}
