/**
 * The inspection stream: every component that runs XState actors publishes a
 * sanitised record of each inspection event on `kube.inspect.<component>`.
 * Records are plain JSON (Secrets redacted, functions and actor refs dropped,
 * each record at most a few KiB), so any NATS client can watch a component's
 * state machines: `nats sub 'kube.inspect.>'`.
 *
 * `kube.inspect.announce` is the one reserved component token: a viewer that
 * attaches publishes `{}` there and every publisher re-announces its live
 * actors (an `@xstate.actor` record with the current snapshot), so the viewer
 * sees the whole tree without waiting for the next transition.
 */
import * as Schema from "effect/Schema";
import { eventSubject } from "../define.ts";

export const InspectionRecordType = Schema.Literal("@xstate.actor", "@xstate.event", "@xstate.snapshot");
export type InspectionRecordType = typeof InspectionRecordType.Type;

/** An event as sent to an actor: its type plus the sanitised payload. */
export const InspectedEvent = Schema.Struct(
  { type: Schema.String },
  Schema.Record({ key: Schema.String, value: Schema.Unknown }),
);
export type InspectedEvent = typeof InspectedEvent.Type;

export const InspectedSnapshot = Schema.Struct({
  /** The state value (a string, or an object for nested/parallel states); absent for non-machine actors. */
  value: Schema.optional(Schema.Unknown),
  status: Schema.String,
  /** Sanitised, possibly truncated context. */
  context: Schema.optional(Schema.Unknown),
});
export type InspectedSnapshot = typeof InspectedSnapshot.Type;

export const InspectionRecord = Schema.Struct({
  /** The publishing component (`scheduler`, `kubelet`, `controller-manager`, `store`, ...). */
  component: Schema.String,
  /** Random per inspector (per process start): viewers use it to forget a restarted component's old actors. */
  instance: Schema.optional(Schema.String),
  type: InspectionRecordType,
  /** The actor's sessionId (unique in its actor system). */
  actorId: Schema.String,
  parentId: Schema.optional(Schema.String),
  rootId: Schema.optional(Schema.String),
  /** The actor's `systemId` (or its id within its parent). */
  systemId: Schema.optional(Schema.String),
  /** The machine's id (`logic.config.id`) for machine actors. */
  machineId: Schema.optional(Schema.String),
  /** JSON of the machine config (actor records only, when it fits the definition budget): lets the Stately inspector draw the chart. */
  definition: Schema.optional(Schema.String),
  event: Schema.optional(InspectedEvent),
  snapshot: Schema.optional(InspectedSnapshot),
  /** sessionId of the actor that sent the event, if any. */
  sourceId: Schema.optional(Schema.String),
  /** Per-inspector sequence number (gaps = sampled-out records). */
  seq: Schema.Number,
  /** Epoch milliseconds. */
  time: Schema.Number,
});
export type InspectionRecord = typeof InspectionRecord.Type;

export const ANNOUNCE_COMPONENT = "announce";

export const inspectSubject = eventSubject({
  pattern: "kube.inspect.{component}",
  example: `nats sub 'kube.inspect.>'`,
  description:
    "State-machine inspection stream: one sanitised record per XState inspection event (@xstate.actor / @xstate.event / @xstate.snapshot) of the component's actors. Secrets are redacted, records are capped (default 8 KiB) and high-rate actors are sampled. When inspection has used 3 % of the process's time in the current second, events are dropped and each actor's newest snapshot is published in a later second instead, so a viewer always converges on every actor's current state. The token `announce` is reserved for kube.inspect.announce.",
  publishers: ["kube-scheduler", "kubelet", "kube-controller-manager", "store"],
  subscribers: ["kubeactor inspect", "Stately inspector bridge", "dashboard"],
  schema: InspectionRecord,
});

export const inspectAnnounce = eventSubject({
  pattern: "kube.inspect.announce",
  example: `nats pub kube.inspect.announce '{}'`,
  description:
    "A viewer attached: every inspection publisher re-publishes an @xstate.actor record (with its current snapshot) for each live actor, so the viewer sees the actor tree at once.",
  publishers: ["kubeactor inspect", "Stately inspector bridge", "dashboard"],
  subscribers: ["kube-scheduler", "kubelet", "kube-controller-manager", "store"],
  schema: Schema.Struct({ components: Schema.optional(Schema.Array(Schema.String)) }),
});
