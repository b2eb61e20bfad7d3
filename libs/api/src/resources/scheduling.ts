/**
 * scheduling.k8s.io/v1 PriorityClass: a name → integer priority mapping that
 * pods name in spec.priorityClassName. The API server resolves it into
 * spec.priority and spec.preemptionPolicy when a pod is created; the
 * scheduler orders its queue and chooses preemption victims by it.
 */
import * as Schema from "effect/Schema";
import { Int, objectFields } from "../meta.ts";

const o = Schema.optional;

export const PriorityClass = Schema.Struct({
  ...objectFields,
  value: Int,
  globalDefault: o(Schema.Boolean),
  description: o(Schema.String),
  /** PreemptLowerPriority (the default) or Never. */
  preemptionPolicy: o(Schema.String),
});
export type PriorityClass = typeof PriorityClass.Type;

/** kube's HighestUserDefinablePriority; higher values are reserved for the system classes. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_CLUSTER_CRITICAL = "system-cluster-critical";
export const SYSTEM_NODE_CRITICAL = "system-node-critical";

/** The classes kube-apiserver creates at start-up (pkg/apis/scheduling SystemPriorityClasses). */
export const SYSTEM_PRIORITY_CLASSES: readonly { name: string; value: number; description: string }[] = [
  { name: SYSTEM_NODE_CRITICAL, value: 2_000_001_000, description: "Used for system critical pods that must not be moved from their current node." },
  {
    name: SYSTEM_CLUSTER_CRITICAL,
    value: 2_000_000_000,
    description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
  },
];
