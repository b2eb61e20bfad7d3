/**
 * The event recorder: core/v1 Events about an object, aggregated the way
 * Kubernetes' recorder does — the same (object, type, reason, message) within
 * ten minutes bumps `count` and `lastTimestamp` of one Event instead of
 * creating another. Recording never throws: an event that cannot be written
 * is logged and dropped (events are best-effort in Kubernetes too).
 */
import { createHash } from "node:crypto";
import { rfc3339 } from "@kubeactor/api";
import type { JsonObject } from "@kubeactor/bus";
import type { ApiClient } from "./api-client.ts";

export type EventType = "Normal" | "Warning";

export interface EventSource {
  /** `default-scheduler`, `kubelet`, `replicaset-controller`, ... */
  readonly component: string;
  /** The node, for kubelets. */
  readonly host?: string;
}

const EVENTS = { group: "", version: "v1", resource: "events" };
const AGGREGATE_WINDOW_MS = 10 * 60 * 1000;

type Meta = { name?: string; namespace?: string; uid?: string; resourceVersion?: string };

let lastNanos = 0n;
/**
 * client-go's Event name, `<object name>.<UnixNano in hex>`, cheaper than 8
 * random bytes per event (a crypto call each: the scheduler records one per
 * pod). Strictly increasing within the process, so two events in the same
 * microsecond still get different names.
 */
export const eventName = (objectName: string | undefined): string => {
  let nanos = BigInt(Date.now()) * 1_000_000n + BigInt(Math.trunc((performance.now() % 1) * 1000)) * 1000n;
  if (nanos <= lastNanos) nanos = lastNanos + 1n;
  lastNanos = nanos;
  return `${objectName}.${nanos.toString(16)}`;
};

/**
 * What aggregation needs of an Event written before: the rest is rebuilt from
 * the same (object, type, reason, message), so a kubelet with thousands of
 * pods does not keep a full copy of each of their Events.
 */
interface Recent {
  readonly name: string;
  readonly firstTimestamp: string;
  /** involvedObject.resourceVersion as first written (a repeat only bumps count and lastTimestamp). */
  readonly objectVersion: string | undefined;
  readonly count: number;
  readonly at: number;
}

export class EventRecorder {
  private readonly recent = new Map<string, Recent>();

  constructor(
    private readonly api: ApiClient,
    private readonly source: EventSource,
    private readonly log: (line: string) => void = () => {},
    /** Milliseconds since the epoch; tests move it. */
    private readonly clock: () => number = Date.now,
  ) {}

  /** How many recent Events aggregation remembers (at most 4096, none older than the window). */
  get remembered(): number {
    return this.recent.size;
  }

  /** Entries past the aggregation window can only start a new Event: drop them, oldest first. */
  private forgetExpired(): void {
    const cutoff = this.clock() - AGGREGATE_WINDOW_MS;
    for (const [key, r] of this.recent) {
      if (r.at > cutoff) break;
      this.recent.delete(key);
    }
  }

  /** Fire and forget; resolves when written (or dropped). */
  async record(object: JsonObject, type: EventType, reason: string, message: string, fieldPath?: string): Promise<void> {
    const meta = (object.metadata ?? {}) as Meta;
    const namespace = meta.namespace || "default";
    // A digest, not the joined text: a kubelet remembers several of these per pod for ten minutes.
    const key = createHash("sha1").update(`${meta.uid}|${type}|${reason}|${message}|${fieldPath ?? ""}`).digest("base64");
    this.forgetExpired();
    const previous = this.recent.get(key);
    const build = (name: string, firstTimestamp: string, lastTimestamp: string, count: number, objectVersion: string | undefined): JsonObject => ({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: objectVersion,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
      firstTimestamp,
      lastTimestamp,
      count,
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? "",
    });
    try {
      if (previous && this.clock() - previous.at < AGGREGATE_WINDOW_MS) {
        // A repeat replaces the Event unconditionally (client-go patches count and lastTimestamp without a
        // resourceVersion): what it writes is rebuilt from what was remembered, so the answer is not needed.
        const count = previous.count + 1;
        await this.api.update(EVENTS, namespace, build(previous.name, previous.firstTimestamp, rfc3339(), count, previous.objectVersion));
        this.recent.set(key, { ...previous, count });
        return;
      }
      const time = rfc3339();
      const name = eventName(meta.name);
      // Nothing of the created Event is read back (its text is not even decoded): a kubelet records four per pod start.
      await this.api.createAcknowledged(EVENTS, namespace, build(name, time, time, 1, meta.resourceVersion));
      // Re-inserted at the end, so the map stays in order of first occurrence (forgetExpired relies on it).
      this.recent.delete(key);
      this.recent.set(key, { name, firstTimestamp: time, objectVersion: meta.resourceVersion, count: 1, at: this.clock() });
      if (this.recent.size > 4096) this.recent.delete(this.recent.keys().next().value!);
    } catch (e) {
      this.recent.delete(key);
      this.log(`event ${reason} for ${meta.namespace}/${meta.name} dropped: ${(e as Error).message}`);
    }
  }
}
