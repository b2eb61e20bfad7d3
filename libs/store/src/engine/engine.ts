/**
 * The write path shared by both backends: synchronous validation, revision
 * assignment, group commit through a `Persistence`, then commit to the
 * in-memory state and listeners in revision order.
 *
 * Visibility: reads (`get`, `list`, `history`, `revision`) only show writes
 * whose batch is durable. Validation reads an overlay of accepted-but-not-yet-
 * durable writes on top of that, so CAS chains issued without awaiting are
 * judged against the latest accepted state. There is therefore no window where
 * a reader sees a write that a crash could still lose.
 */
import { encodeWrite } from "./codec.ts";
import { changeEvent, decode, StoredObject, VersionedState, type StoredEvent } from "./state.ts";
import {
  StoreError,
  type ChangeEvent,
  type ChangeType,
  type HistoryResult,
  type JsonHistoryResult,
  type JsonListResult,
  type JsonObject,
  type ListOptions,
  type ListResult,
  type Precondition,
  type StoreBackend,
  type StoreStats,
} from "./types.ts";

export const DEFAULT_MAX_OBJECT_BYTES = 3 * 1024 * 1024 + 64 * 1024;
export const DEFAULT_HISTORY_LIMIT = 20_000;

/** Where batches go. The memory backend's implementation does nothing. */
export interface Persistence {
  /** Whether records must be encoded (false skips the work for the memory backend). */
  readonly encodes: boolean;
  readonly fsyncs: number;
  readonly logBytes: number;
  /** Loads durable state into `state` (snapshot + log replay, history rebuilt). */
  recover(state: VersionedState): Promise<void>;
  /**
   * Builds the record of one write (only called when `encodes`); the default is
   * the log format of codec.ts. `obj` is the stored object's JSON as UTF-8 (absent for DELETED).
   */
  encode?(rev: number, type: ChangeType, key: string, obj: Buffer | undefined): Buffer;
  /**
   * Makes one batch durable: the file log appends it with ONE write and ONE
   * fdatasync (`firstRev` names a new segment if one is opened); `events` are
   * the batch's writes, one per record, for persistences that need keys.
   */
  append(firstRev: number, records: Buffer[], events: readonly StoredEvent[]): Promise<void>;
  /** Called at a batch boundary (nothing in flight): the next append starts a new segment. */
  roll(): void;
  /** Writes a snapshot of `entries` (key, object JSON) at `revision` durably, then drops what it covers. */
  writeSnapshot(revision: number, entries: Array<[string, string]>): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  readonly event: StoredEvent;
  readonly record: Buffer | undefined;
  readonly resolve: (e: ChangeEvent) => void;
  readonly reject: (err: unknown) => void;
}

export interface EngineOptions {
  historyLimit?: number;
  maxObjectBytes?: number;
  /** Automatic snapshot after this many records; 0 disables. */
  snapshotEvery?: number;
}

type Phase = "new" | "opening" | "open" | "failed" | "closed";

export class Engine implements StoreBackend {
  private readonly state: VersionedState;
  private readonly maxObjectBytes: number;
  private readonly snapshotEvery: number;
  private phase: Phase = "new";
  private failure: StoreError | undefined;
  /** Accepted-but-not-durable writes by key (null = deleted); used only for validation. */
  private readonly overlay = new Map<string, { rev: number; obj: StoredObject | null }>();
  private latestRev = 0;
  private queue: Pending[] = [];
  private flushing = false;
  private closing = false;
  private flushDone: Promise<void> = Promise.resolve();
  private boundaryTasks: Array<() => void> = [];
  private readonly listeners = new Set<(e: ChangeEvent) => void>();
  private snapshotInFlight: Promise<void> | undefined;
  private recordsSinceSnapshot = 0;
  private writes = 0;

  constructor(
    private readonly persistence: Persistence,
    opts: EngineOptions = {},
  ) {
    this.state = new VersionedState(opts.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    this.maxObjectBytes = opts.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
    this.snapshotEvery = opts.snapshotEvery ?? 0;
  }

  get revision(): number {
    return this.state.revision;
  }

  get oldestRevision(): number {
    return this.state.oldestRevision;
  }

  get stats(): StoreStats {
    return { writes: this.writes, fsyncs: this.persistence.fsyncs, logBytes: this.persistence.logBytes, objects: this.state.objects.size };
  }

  async open(): Promise<void> {
    if (this.phase !== "new") throw new StoreError("Closed", `store cannot be opened: it is ${this.phase}`);
    this.phase = "opening";
    try {
      await this.persistence.recover(this.state);
    } catch (err) {
      this.phase = "failed";
      this.failure = err instanceof StoreError ? err : new StoreError("Corrupt", `recovery failed: ${String(err)}`);
      await this.persistence.close().catch(() => undefined);
      throw this.failure;
    }
    this.latestRev = this.state.revision;
    this.phase = "open";
  }

  // ---- reads (committed state only) ----

  private readable(): void {
    if (this.phase !== "open") throw this.notOpen();
  }

  get(key: string): JsonObject | undefined {
    const json = this.getJson(key);
    return json === undefined ? undefined : decode(json);
  }

  getJson(key: string): string | undefined {
    this.readable();
    return this.state.objects.get(key)?.json;
  }

  list(prefix: string, opts?: ListOptions): ListResult {
    this.readable();
    return this.state.list(prefix, opts);
  }

  listJson(prefix: string, opts?: ListOptions): JsonListResult {
    this.readable();
    return this.state.listJson(prefix, opts);
  }

  history(prefix: string, afterRevision: number, limit: number): HistoryResult {
    this.readable();
    return this.state.history(prefix, afterRevision, limit);
  }

  historyJson(prefix: string, afterRevision: number, limit: number): JsonHistoryResult {
    this.readable();
    const r = this.state.historyEvents(prefix, afterRevision, limit);
    return {
      events: r.events.map((e) => ({ type: e.type, key: e.key, revision: e.revision, objectJson: e.json })),
      more: r.more,
      revision: r.revision,
    };
  }

  subscribe(listener: (e: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- writes ----

  create(key: string, obj: JsonObject): Promise<ChangeEvent> {
    return this.write(key, () => {
      if (this.latest(key)) throw new StoreError("AlreadyExists", `${key} already exists`);
      return this.accept("ADDED", key, obj, undefined);
    });
  }

  update(key: string, obj: JsonObject, expectedResourceVersion?: string): Promise<ChangeEvent> {
    return this.write(key, () => {
      const cur = this.latest(key);
      if (!cur) throw new StoreError("NotFound", `${key} not found`);
      const rv = cur.resourceVersion;
      if (expectedResourceVersion !== undefined && expectedResourceVersion !== rv) {
        throw new StoreError("Conflict", `${key}: resourceVersion ${expectedResourceVersion} does not match current ${rv}`, {
          currentRevision: Number(rv),
        });
      }
      return this.accept("MODIFIED", key, obj, cur.json);
    });
  }

  delete(key: string, pre?: Precondition): Promise<ChangeEvent> {
    return this.write(key, () => {
      const cur = this.latest(key);
      if (!cur) throw new StoreError("NotFound", `${key} not found`);
      const prev = JSON.parse(cur.json) as JsonObject;
      const md = (prev["metadata"] ?? {}) as Record<string, unknown>;
      if (pre?.uid !== undefined && pre.uid !== md["uid"]) {
        throw new StoreError("Conflict", `${key}: precondition failed: uid ${pre.uid} does not match ${String(md["uid"])}`);
      }
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== md["resourceVersion"]) {
        throw new StoreError("Conflict", `${key}: precondition failed: resourceVersion ${pre.resourceVersion} does not match ${String(md["resourceVersion"])}`);
      }
      return this.deleted(key, prev, cur.json);
    });
  }

  private latest(key: string): StoredObject | undefined {
    const o = this.overlay.get(key);
    if (o) return o.obj ?? undefined;
    return this.state.objects.get(key);
  }

  /** Runs validation synchronously; errors become a rejected promise (no revision is consumed). */
  private write(key: string, validateAndBuild: () => { event: StoredEvent; record: Buffer | undefined }): Promise<ChangeEvent> {
    if (this.phase !== "open" || this.closing) return Promise.reject(this.notOpen());
    if (typeof key !== "string" || key.length === 0) return Promise.reject(new StoreError("NotFound", "empty key"));
    let built: { event: StoredEvent; record: Buffer | undefined };
    try {
      built = validateAndBuild();
    } catch (err) {
      return Promise.reject(err);
    }
    const { record, event } = built;
    this.latestRev = event.revision;
    this.overlay.set(key, { rev: event.revision, obj: event.type === "DELETED" ? null : new StoredObject(event.json, String(event.revision)) });
    return new Promise<ChangeEvent>((resolve, reject) => {
      this.queue.push({ event, record, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        this.flushDone = new Promise<void>((done) => queueMicrotask(() => void this.flushLoop().finally(done)));
      }
    });
  }

  /**
   * Builds the stored text and the log record; pure apart from reading
   * `latestRev`. The object is encoded once: that text is what the store
   * keeps, logs, replies with and publishes.
   */
  private accept(type: "ADDED" | "MODIFIED", key: string, obj: JsonObject, prevJson: string | undefined): { event: StoredEvent; record: Buffer | undefined } {
    const rev = this.latestRev + 1;
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new StoreError("Conflict", `${key}: object must be a JSON object`);
    const md = obj["metadata"];
    const bytes = Buffer.from(JSON.stringify({ ...obj, metadata: { ...(md !== null && typeof md === "object" ? md : {}), resourceVersion: String(rev) } }), "utf8");
    if (bytes.length > this.maxObjectBytes) {
      throw new StoreError("TooLarge", `${key}: object is ${bytes.length} bytes, more than the limit of ${this.maxObjectBytes}`);
    }
    // Kept as decoded from its bytes: an exactly sized string, where JSON.stringify's own result carries ~15 % slack for as long as it lives.
    const json = bytes.toString("utf8");
    return { event: { type, key, revision: rev, json, prevJson }, record: this.record(rev, type, key, bytes) };
  }

  /** The DELETED event: the last state with the deletion's revision as its resourceVersion. */
  private deleted(key: string, prev: JsonObject, prevJson: string): { event: StoredEvent; record: Buffer | undefined } {
    const rev = this.latestRev + 1;
    const json = Buffer.from(JSON.stringify({ ...prev, metadata: { ...((prev["metadata"] ?? {}) as object), resourceVersion: String(rev) } })).toString("utf8");
    return { event: { type: "DELETED", key, revision: rev, json, prevJson }, record: this.record(rev, "DELETED", key, undefined) };
  }

  private record(rev: number, type: ChangeType, key: string, obj: Buffer | undefined): Buffer | undefined {
    const p = this.persistence;
    return !p.encodes ? undefined : p.encode ? p.encode(rev, type, key, obj) : encodeWrite(rev, type, key, obj);
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.phase !== "failed") {
        const batch = this.queue;
        this.queue = [];
        try {
          const records: Buffer[] = [];
          for (const p of batch) if (p.record) records.push(p.record);
          await this.persistence.append(
            batch[0]!.event.revision,
            records,
            batch.map((p) => p.event),
          );
        } catch (err) {
          this.failClosed(err, batch);
          return;
        }
        this.commit(batch);
        this.runBoundaryTasks();
      }
    } finally {
      this.flushing = false;
      this.runBoundaryTasks();
    }
  }

  private commit(batch: Pending[]): void {
    for (const p of batch) {
      const e = p.event;
      this.state.apply(e);
      const o = this.overlay.get(e.key);
      if (o && o.rev === e.revision) this.overlay.delete(e.key);
    }
    this.writes += batch.length;
    this.recordsSinceSnapshot += batch.length;
    for (const p of batch) {
      // One view per write, shared by the listeners and the writer; it decodes only if asked.
      const view = changeEvent(p.event);
      for (const l of this.listeners) {
        try {
          l(view);
        } catch (err) {
          // A broken listener must not break the store or other listeners.
          console.error("store listener threw", err);
        }
      }
      p.resolve(view);
    }
    if (this.snapshotEvery > 0 && this.recordsSinceSnapshot >= this.snapshotEvery && !this.snapshotInFlight && !this.closing) {
      this.snapshot().catch((err) => console.error("automatic snapshot failed", err));
    }
  }

  /** The write or fsync failed: nothing in flight can be acknowledged, and nothing later either. */
  private failClosed(err: unknown, batch: Pending[]): void {
    this.phase = "failed";
    this.failure = new StoreError("Closed", `store failed closed after a log write error: ${err instanceof Error ? err.message : String(err)}`, {
      currentRevision: this.state.revision,
    });
    const pending = [...batch, ...this.queue];
    this.queue = [];
    this.overlay.clear();
    for (const p of pending) p.reject(this.failure);
  }

  private runBoundaryTasks(): void {
    const tasks = this.boundaryTasks;
    this.boundaryTasks = [];
    for (const t of tasks) t();
  }

  /** Runs `task` when no batch is being written (immediately if idle). */
  private atBatchBoundary<T>(task: () => T): Promise<T> {
    if (!this.flushing) return Promise.resolve(task());
    return new Promise<T>((resolve, reject) =>
      this.boundaryTasks.push(() => {
        try {
          resolve(task());
        } catch (err) {
          reject(err);
        }
      }),
    );
  }

  snapshot(): Promise<void> {
    if (this.phase !== "open" || this.closing) return Promise.reject(this.notOpen());
    if (this.snapshotInFlight) return this.snapshotInFlight;
    const run = (async () => {
      // Capture and roll together while nothing is in flight: every record in
      // the old segments is then <= the snapshot revision, and every later
      // record goes to a new segment.
      const { revision, entries } = await this.atBatchBoundary(() => {
        this.persistence.roll();
        this.recordsSinceSnapshot = 0;
        return { revision: this.state.revision, entries: this.state.entries() };
      });
      await this.persistence.writeSnapshot(revision, entries);
    })();
    this.snapshotInFlight = run.finally(() => {
      this.snapshotInFlight = undefined;
    });
    return this.snapshotInFlight;
  }

  async close(): Promise<void> {
    if (this.phase === "closed") return;
    // Stop accepting writes, let what was accepted become durable, then close files.
    this.closing = true;
    await this.flushDone;
    await this.snapshotInFlight?.catch(() => undefined);
    this.phase = "closed";
    await this.persistence.close();
  }

  private notOpen(): StoreError {
    if (this.failure && this.phase === "failed") return this.failure;
    if (this.phase === "closed" || this.closing) return new StoreError("Closed", "store is closed");
    return new StoreError("Closed", `store is not open (${this.phase})`);
  }
}
