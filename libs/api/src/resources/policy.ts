/**
 * policy/v1 PodDisruptionBudget: how many of the pods a selector picks may be
 * down at once through voluntary disruptions (evictions). The disruption
 * controller keeps its status; the eviction subresource and the scheduler's
 * preemption read it.
 */
import * as Schema from "effect/Schema";
import { Condition, described as d, Int, IntOrString, LabelSelector, Time, objectFields } from "../meta.ts";

export const PodDisruptionBudgetSpec = Schema.Struct({
  minAvailable: d(
    IntOrString,
    'An eviction is allowed if at least "minAvailable" pods selected by "selector" will still be available after the eviction, i.e. even in the absence of the evicted pod. So for example you can prevent all voluntary evictions by specifying "100%".',
  ),
  selector: d(
    LabelSelector,
    "Label query over pods whose evictions are managed by the disruption budget. A null selector will match no pods, while an empty ({}) selector will select all pods within the namespace.",
  ),
  maxUnavailable: d(
    IntOrString,
    'An eviction is allowed if at most "maxUnavailable" pods selected by "selector" are unavailable after the eviction, i.e. even in absence of the evicted pod. For example, one can prevent all voluntary evictions by specifying 0. This is a mutually exclusive setting with "minAvailable".',
  ),
  unhealthyPodEvictionPolicy: d(
    Schema.String,
    'When unhealthy running pods (Running phase, not Ready) may be evicted: "IfHealthyBudget" (the default) only while the budget is healthy (currentHealthy >= desiredHealthy), "AlwaysAllow" regardless of the budget.',
  ),
});

export const PodDisruptionBudgetStatus = Schema.Struct({
  observedGeneration: d(Int, "Most recent generation observed when updating this PDB status."),
  disruptedPods: d(
    Schema.Record({ key: Schema.String, value: Time }),
    "Pods whose eviction was processed by the API server but not yet seen deleted by the disruption controller: pod name → time of the eviction. Entries older than two minutes are dropped by the controller.",
  ),
  disruptionsAllowed: d(Int, "Number of pod disruptions that are currently allowed."),
  currentHealthy: d(Int, "current number of healthy pods"),
  desiredHealthy: d(Int, "minimum desired number of healthy pods"),
  expectedPods: d(Int, "total number of pods counted by this disruption budget"),
  conditions: d(
    Schema.Array(Condition),
    "Conditions of the budget. DisruptionAllowed is True (reason SufficientPods) when disruptionsAllowed > 0 and False (InsufficientPods, or SyncFailed) otherwise.",
  ),
});

export const PodDisruptionBudget = Schema.Struct({
  ...objectFields,
  spec: d(PodDisruptionBudgetSpec, "Specification of the desired behavior of the PodDisruptionBudget."),
  status: d(PodDisruptionBudgetStatus, "Most recently observed status of the PodDisruptionBudget."),
});
export type PodDisruptionBudget = typeof PodDisruptionBudget.Type;

/** spec.unhealthyPodEvictionPolicy values (policy/v1). */
export const UNHEALTHY_POD_EVICTION_POLICIES = ["AlwaysAllow", "IfHealthyBudget"] as const;
/** The status condition the disruption controller keeps, and its reasons. */
export const DISRUPTION_ALLOWED_CONDITION = "DisruptionAllowed";
export const SUFFICIENT_PODS_REASON = "SufficientPods";
export const INSUFFICIENT_PODS_REASON = "InsufficientPods";
export const SYNC_FAILED_REASON = "SyncFailed";
