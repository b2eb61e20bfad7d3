/**
 * The JetStream KV backend: the same engine (validation, overlay, watch
 * history, listeners) with a NATS JetStream key-value bucket as its durable
 * log instead of files, for users who outgrow one machine — with a bucket
 * of 3 replicas on a 3-node NATS cluster, losing any one machine (store
 * process or nats-server) loses no acknowledged write.
 *
 * Revisions ARE stream sequences. The store is the bucket's single writer:
 * each write is published with `Nats-Expected-Last-Sequence: rev - 1`, so
 * JetStream stores it at sequence `rev` or refuses it. Compare-and-swap on
 * resourceVersion is therefore decided by the engine as with the file log,
 * and JetStream fences the whole stream: a second writer (another store on
 * the same bucket, a stray `nats kv put`) makes the next write fail and the
 * store fail closed instead of interleaving revisions. After a restart it
 * recovers from the bucket, foreign writes included.
 *
 * Layout: bucket `<bucket>` (stream `KV_<bucket>`, history 1 per key); a store
 * key `/core/configmaps/default/demo` is the KV key
 * `/core/configmaps/default/demo` with every character outside
 * `[A-Za-z0-9/_-]` written `=XX` (hex), so names with dots stay one subject
 * token; values are the object's JSON; deletes are KV delete markers. So
 * `nats kv get kubeactor /core/configmaps/default/demo` shows an object.
 *
 * Limits: the watch history starts empty after a restart (as after a file
 * snapshot): watchers older than the restart get Expired and re-list; delete
 * markers stay in the bucket (one small message per deleted key) until
 * purged with `nats kv compact`.
 */
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm, KvWatchInclude } from "@nats-io/kv";
import { DEFAULT_HISTORY_LIMIT, Engine, type Persistence } from "./engine.ts";
import type { StoredEvent, VersionedState } from "./state.ts";
import { StoreError, type ChangeType, type JsonObject, type StoreBackend } from "./types.ts";

export interface JetStreamBackendOptions {
  /** NATS server URL(s); give every cluster member so the store follows a failover. */
  readonly servers: string | string[];
  /** KV bucket name, default `kubeactor`. */
  readonly bucket?: string;
  /** Bucket replicas when the store creates it (1 on a single server, 3 on a cluster). Default 1. */
  readonly replicas?: number;
  /** Events kept for watch replay, default 20000. */
  readonly historyLimit?: number;
  readonly maxObjectBytes?: number;
  /** How long a write may wait for JetStream (reconnects included) before the store fails closed. Default 60 s. */
  readonly writeTimeoutMs?: number;
  /** How long opening waits for JetStream to answer (a cluster elects its leaders first). Default 60 s. */
  readonly startupTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export const DEFAULT_JETSTREAM_BUCKET = "kubeactor";

const SAFE = /^[A-Za-z0-9/_-]$/;

/** Store key → KV key: one subject token whatever the name holds (reversible, readable). */
export const kvKeyOf = (key: string): string => {
  let out = "";
  for (const ch of key) {
    if (SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, "utf8")) out += `=${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
};

/** KV key → store key (inverse of kvKeyOf). */
export const storeKeyOf = (kvKey: string): string => {
  const bytes: number[] = [];
  for (let i = 0; i < kvKey.length; i++) {
    if (kvKey[i] === "=" && /^[0-9A-F]{2}$/.test(kvKey.slice(i + 1, i + 3))) {
      bytes.push(parseInt(kvKey.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(kvKey[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
};

const EMPTY = Buffer.alloc(0);

/** The stream's actual last sequence when JetStream refused a publish for expecting another one. */
const wrongLastSequence = (e: unknown): number | undefined => {
  const m = /wrong last sequence: (\d+)/i.exec(String((e as Error)?.message ?? e));
  return m ? Number(m[1]) : undefined;
};

class JetStreamPersistence implements Persistence {
  readonly encodes = true;
  fsyncs = 0;
  logBytes = 0;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private readonly bucket: string;
  private readonly subjectPrefix: string;

  constructor(private readonly opts: JetStreamBackendOptions) {
    this.bucket = opts.bucket ?? DEFAULT_JETSTREAM_BUCKET;
    this.subjectPrefix = `$KV.${this.bucket}.`;
  }

  private get log(): (line: string) => void {
    return this.opts.log ?? ((line) => console.error(line));
  }

  /** The value is the object's JSON; a delete carries no value (the marker says it). */
  encode(_rev: number, _type: ChangeType, _key: string, obj: Buffer | undefined): Buffer {
    return obj ?? EMPTY;
  }

  async recover(state: VersionedState): Promise<void> {
    const nc = await connect({
      servers: this.opts.servers,
      name: `kubeactor-store-jetstream`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: true,
      noAsyncTraces: true,
    });
    this.nc = nc;
    this.js = jetstream(nc);
    // A cluster that has just started (or just lost a member) elects its
    // JetStream leaders first: keep asking until the deadline.
    const deadline = Date.now() + (this.opts.startupTimeoutMs ?? 60_000);
    let said = false;
    for (;;) {
      try {
        const { lastSeq, values } = await this.readBucket(nc, Math.max(5_000, deadline - Date.now()));
        for (const v of values) this.load(state, v.key, v.value, v.revision);
        state.revision = lastSeq;
        return;
      } catch (e) {
        if (Date.now() > deadline) {
          throw new StoreError("Closed", `JetStream is not available on ${String(this.opts.servers)}: ${(e as Error).message} (is nats-server running with JetStream, -js?)`);
        }
        if (!said) this.log(`store: waiting for JetStream on ${String(this.opts.servers)} (${(e as Error).message})`);
        said = true;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /**
   * Binds (or creates) the bucket and reads the last value of every key and
   * the stream's last sequence; fails if that takes over `timeoutMs`.
   */
  private async readBucket(nc: NatsConnection, timeoutMs: number): Promise<{ lastSeq: number; values: { key: string; value: Uint8Array; revision: number }[] }> {
    const jsm = await jetstreamManager(nc);
    const kvm = new Kvm(nc);
    // Creating an existing bucket with the same settings binds to it; one made with other settings is still ours.
    const kv = await kvm.create(this.bucket, { history: 1, replicas: this.opts.replicas ?? 1 }).catch((e: unknown) => {
      if (/already in use|different configuration|stream name already/i.test(String((e as Error).message))) return kvm.open(this.bucket);
      throw e;
    });
    const info = await jsm.streams.info(`KV_${this.bucket}`);
    const lastSeq = info.state.last_seq;
    const values: { key: string; value: Uint8Array; revision: number }[] = [];
    if (info.state.messages > 0) {
      // Every message of a history-1 bucket is the last value of its key, so
      // the one at lastSeq (a value or a delete marker) comes, and comes last:
      // read until it. Not until the watcher says nothing is pending: a
      // consumer on a replica still catching up after an election counts only
      // what that replica has (it once stopped after 46 of 100 keys).
      const entries = await kv.watch({ key: ">", include: KvWatchInclude.LastValue });
      const timer = setTimeout(() => entries.stop(), timeoutMs);
      let complete = false;
      try {
        for await (const e of entries) {
          if (e.operation === "PUT") values.push({ key: e.key, value: e.value, revision: e.revision });
          if (e.revision >= lastSeq) {
            complete = true;
            break;
          }
        }
      } finally {
        clearTimeout(timer);
        entries.stop();
      }
      if (!complete) throw new Error(`the bucket's keys up to revision ${lastSeq} did not arrive within ${timeoutMs} ms`);
    }
    return { lastSeq, values };
  }

  private load(state: VersionedState, kvKey: string, value: Uint8Array, revision: number): void {
    const key = storeKeyOf(kvKey);
    let obj: JsonObject;
    try {
      obj = JSON.parse(Buffer.from(value).toString("utf8")) as JsonObject;
      if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new Error("not a JSON object");
    } catch (e) {
      // Someone put something that is not an object into the bucket: keep serving, say what was skipped.
      this.log(`store: skipping ${this.bucket} key ${kvKey} at revision ${revision}: ${(e as Error).message}`);
      return;
    }
    // The stream sequence is the truth (a foreign write carries no resourceVersion of its own).
    const md = obj["metadata"];
    obj["metadata"] = { ...(md !== null && typeof md === "object" ? md : {}), resourceVersion: String(revision) };
    state.load(key, Buffer.from(JSON.stringify(obj)).toString("utf8"), String(revision));
  }

  async append(firstRev: number, records: Buffer[], events: readonly StoredEvent[]): Promise<void> {
    const js = this.js;
    if (!js) throw new StoreError("Closed", "JetStream backend is not open");
    const acks = events.map((e, i) => this.publish(js, e, records[i] ?? EMPTY, firstRev + i));
    await Promise.all(acks);
    this.fsyncs++;
  }

  /**
   * Publishes one write at exactly sequence `rev`, retrying through reconnects:
   * the message id (the revision) makes a retry of a write that did land a
   * duplicate JetStream acknowledges instead of a second message.
   */
  private async publish(js: JetStreamClient, e: StoredEvent, data: Buffer, rev: number): Promise<void> {
    const deadline = Date.now() + (this.opts.writeTimeoutMs ?? 60_000);
    const h = headers();
    if (e.type === "DELETED") h.set("KV-Operation", "DEL");
    for (let attempt = 0; ; attempt++) {
      try {
        const ack = await js.publish(this.subjectPrefix + kvKeyOf(e.key), data, {
          msgID: `${this.bucket}:${rev}`,
          expect: { lastSequence: rev - 1 },
          headers: h,
          timeout: 5000,
        });
        if (ack.seq !== rev) throw new StoreError("Closed", `JetStream stored revision ${rev} at sequence ${ack.seq}: another writer uses bucket ${this.bucket}`);
        this.logBytes += data.length;
        return;
      } catch (err) {
        if (err instanceof StoreError) throw err;
        const actual = wrongLastSequence(err);
        // Beyond our previous revision: someone else wrote (ours would have been acknowledged as a duplicate).
        if (actual !== undefined && actual > rev - 1) {
          throw new StoreError("Closed", `bucket ${this.bucket} was written by someone else (expected last sequence ${rev - 1}): ${(err as Error).message}`);
        }
        // Behind it: our earlier writes of this batch were lost with a connection and are being retried; wait for them.
        if (Date.now() > deadline || this.nc?.isClosed()) throw err;
        if (attempt === 0) this.log(`store: JetStream write of revision ${rev} failed (${(err as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
      }
    }
  }

  roll(): void {}

  /** The bucket keeps one value per key: it is its own snapshot. */
  async writeSnapshot(): Promise<void> {}

  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    this.js = undefined;
    await nc?.drain().catch(() => undefined);
  }
}

export function createJetStreamBackend(opts: JetStreamBackendOptions): StoreBackend {
  return new Engine(new JetStreamPersistence(opts), {
    historyLimit: opts.historyLimit ?? DEFAULT_HISTORY_LIMIT,
    snapshotEvery: 0,
    ...(opts.maxObjectBytes !== undefined ? { maxObjectBytes: opts.maxObjectBytes } : {}),
  });
}
