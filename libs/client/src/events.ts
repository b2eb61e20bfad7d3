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

export class EventRecorder {
  private readonly recent = new Map<string, { event: JsonObject; at: number }>();

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
    try {
      if (previous && Date.now() - previous.at < AGGREGATE_WINDOW_MS) {
        const event = structuredClone(previous.event) as Record<string, unknown>;
        event.count = ((event.count as number) ?? 1) + 1;
        event.lastTimestamp = now();
        const updated = await this.api.update(EVENTS, namespace, event);
        this.recent.set(key, { event: updated, at: previous.at });
        return;
      }
      const time = now();
      const event: JsonObject = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${meta.name}.${randomBytes(8).toString("hex")}`, namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
          ...(fieldPath ? { fieldPath } : {}),
        },
        reason,
        message,
        type,
        source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
        reportingComponent: this.source.component,
        reportingInstance: this.source.host ?? "",
      };
      const created = await this.api.create(EVENTS, namespace, event);
      this.recent.set(key, { event: created, at: Date.now() });
      if (this.recent.size > 4096) this.recent.delete(this.recent.keys().next().value!);
    } catch (e) {
      this.recent.delete(key);
      this.log(`event ${reason} for ${meta.namespace}/${meta.name} dropped: ${(e as Error).message}`);
    }
  }
}
