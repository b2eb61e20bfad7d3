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
  /** Nodes that passed every filter (absent in older records: then `feasible` lists them all). */
  numFeasible: Schema.optional(Schema.Number),
  /** The feasible nodes with the best totals (at most 50, the chosen one always), in filtering order. */
  feasible: Schema.Array(Schema.String),
  /** Rejected nodes counted by the first filter plugin that rejected them and its reasons. */
  rejected: Schema.optional(Schema.Array(Schema.Struct({ plugin: Schema.String, code: Code, reasons: Schema.Array(Schema.String), count: Schema.Number }))),
  /** Rejected nodes one by one (the first 50 in filtering order): the first filter plugin that rejected each and its reasons. */
  filters: Schema.Array(Schema.Struct({ node: Schema.String, plugin: Schema.String, code: Code, reasons: Schema.Array(Schema.String) })),
  /** One entry per (listed node, score plugin) for the 10 best nodes and the chosen one: raw score, normalised [0,100], weight. */
  scores: Schema.Array(
    Schema.Struct({ node: Schema.String, plugin: Schema.String, raw: Schema.Number, normalized: Schema.Number, weight: Schema.Number }),
  ),
  /** Weighted sum per node in `feasible`; the highest wins, ties broken at random. */
  totals: Schema.Array(Schema.Struct({ node: Schema.String, score: Schema.Number })),
});
export type SchedulingCycle = typeof SchedulingCycle.Type;

export const schedulerCycle = eventSubject({
  pattern: "kube.scheduler.cycle.{namespace}.{pod}",
  example: `nats sub 'kube.scheduler.cycle.default.>'`,
  description:
    "One message per scheduling cycle of a pod: rejected nodes counted per filter plugin and reason (and the first 50 by name), how many nodes were feasible with the 50 best totals (per-plugin scores for the 10 best), and the outcome (the node chosen, or the FailedScheduling message). Bounded so that a 5000-node cluster costs a few kilobytes per pod.",
  publishers: ["scheduler"],
  subscribers: ["dashboard", "anyone debugging scheduling"],
  schema: SchedulingCycle,
});
