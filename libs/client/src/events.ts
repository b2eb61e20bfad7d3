/**
 * The event recorder: core/v1 Events about an object, aggregated the way
 * Kubernetes' recorder does — the same (object, type, reason, message) within
 * ten minutes bumps `count` and `lastTimestamp` of one Event instead of
 * creating another. Recording never throws: an event that cannot be written
 * is logged and dropped (events are best-effort in Kubernetes too).
 */
import { randomBytes } from "node:crypto";
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
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

type Meta = { name?: string; namespace?: string; uid?: string; resourceVersion?: string };

/**
 * What aggregation needs of an Event written before: the rest is rebuilt from
 * the same (object, type, reason, message), so a kubelet with thousands of
 * pods does not keep a full copy of each of their Events.
 */
interface Recent {
  readonly name: string;
  readonly resourceVersion: string;
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
  ) {}

  /** Fire and forget; resolves when written (or dropped). */
  async record(object: JsonObject, type: EventType, reason: string, message: string, fieldPath?: string): Promise<void> {
    const meta = (object.metadata ?? {}) as Meta;
    const namespace = meta.namespace || "default";
    const key = `${meta.uid}|${type}|${reason}|${message}|${fieldPath ?? ""}`;
    const previous = this.recent.get(key);
    const build = (name: string, firstTimestamp: string, lastTimestamp: string, count: number, objectVersion: string | undefined, resourceVersion?: string): JsonObject => ({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
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
    const remember = (written: JsonObject, count: number, at: number) => {
      const m = written.metadata as { name: string; resourceVersion: string };
      const objectVersion = (written.involvedObject as { resourceVersion?: string } | undefined)?.resourceVersion;
      this.recent.set(key, { name: m.name, resourceVersion: m.resourceVersion, firstTimestamp: String(written.firstTimestamp), objectVersion, count, at });
    };
    try {
      if (previous && Date.now() - previous.at < AGGREGATE_WINDOW_MS) {
        const count = previous.count + 1;
        const updated = await this.api.update(EVENTS, namespace, build(previous.name, previous.firstTimestamp, now(), count, previous.objectVersion, previous.resourceVersion));
        remember(updated, count, previous.at);
        return;
      }
      const time = now();
      const created = await this.api.create(EVENTS, namespace, build(`${meta.name}.${randomBytes(8).toString("hex")}`, time, time, 1, meta.resourceVersion));
      remember(created, 1, Date.now());
      if (this.recent.size > 4096) this.recent.delete(this.recent.keys().next().value!);
    } catch (e) {
      this.recent.delete(key);
      this.log(`event ${reason} for ${meta.namespace}/${meta.name} dropped: ${(e as Error).message}`);
    }
  }
}
