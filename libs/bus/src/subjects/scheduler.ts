/**
 * The scheduler's bus subject: one message per scheduling cycle with every
 * node's verdict and score, so a pending pod's "why" can be read live with
 * any NATS client (`nats sub 'kube.scheduler.cycle.default.>'`).
 */
import * as Schema from "effect/Schema";
import { eventSubject } from "../define.ts";

const Code = Schema.Literal("Success", "Unschedulable", "UnschedulableAndUnresolvable");

export const SchedulingCycle = Schema.Struct({
  /** Counts every cycle of this scheduler process. */
  cycle: Schema.Number,
  pod: Schema.Struct({ namespace: Schema.String, name: Schema.String, uid: Schema.optional(Schema.String) }),
  /** Attempt number for this pod (1 for its first cycle). */
  attempt: Schema.Number,
  startedAt: Schema.String,
  durationMs: Schema.Number,
  result: Schema.Literal("Assumed", "Unschedulable"),
  /** The chosen node when `result` is Assumed (the binding follows). */
  node: Schema.optional(Schema.String),
  /** kube-scheduler's FailedScheduling message when `result` is Unschedulable. */
  message: Schema.optional(Schema.String),
  numNodes: Schema.Number,
  feasible: Schema.Array(Schema.String),
  /** One entry per rejected node: the first filter plugin that rejected it and its reasons. */
  filters: Schema.Array(Schema.Struct({ node: Schema.String, plugin: Schema.String, code: Code, reasons: Schema.Array(Schema.String) })),
  /** One entry per (feasible node, score plugin): raw score, normalised [0,100], weight. */
  scores: Schema.Array(
    Schema.Struct({ node: Schema.String, plugin: Schema.String, raw: Schema.Number, normalized: Schema.Number, weight: Schema.Number }),
  ),
  /** Weighted sum per feasible node; the highest wins, ties broken at random. */
  totals: Schema.Array(Schema.Struct({ node: Schema.String, score: Schema.Number })),
});
export type SchedulingCycle = typeof SchedulingCycle.Type;

export const schedulerCycle = eventSubject({
  pattern: "kube.scheduler.cycle.{namespace}.{pod}",
  example: `nats sub 'kube.scheduler.cycle.default.>'`,
  description:
    "One message per scheduling cycle of a pod: every rejected node with the filter plugin and reasons that rejected it, every feasible node's weighted total score (per-plugin scores for the 10 best nodes), and the outcome (the node chosen, or the FailedScheduling message).",
  publishers: ["scheduler"],
  subscribers: ["dashboard", "anyone debugging scheduling"],
  schema: SchedulingCycle,
});
