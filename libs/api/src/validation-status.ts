/**
 * What Kubernetes checks on a write to a workload's `/status` (the strategies'
 * ValidateStatusUpdate: ValidateReplicaSetStatus, ValidateReplicationControllerStatus,
 * ValidateDeploymentStatus, ValidateStatefulSetStatus, validateDaemonSetStatus),
 * with its field paths and messages. Writes to the
 * main resource keep the old status, so these run for `/status` only.
 */
import type { ResourceInfo } from "./registry.ts";
import type { FieldCause } from "./status.ts";
import { invalidCause, nonNegative } from "./validation.ts";
import { type Obj, isObj } from "./plain.ts";

const count = (status: Obj, field: string): number => (typeof status[field] === "number" ? status[field] : 0);

const OVER_REPLICAS = "cannot be greater than status.replicas";

/**
 * Each field never negative; each of `boundedByReplicas` at most `replicas`;
 * `availableReplicas` at most `readyReplicas` (kube words that last one
 * differently per kind: `availableOverReady`).
 */
const validateReplicaCounts = (
  status: Obj,
  fields: readonly string[],
  boundedByReplicas: readonly string[],
  availableOverReady = "cannot be greater than readyReplicas",
): FieldCause[] => {
  const out: FieldCause[] = [];
  for (const f of fields) out.push(...nonNegative(`status.${f}`, status[f]));
  for (const f of boundedByReplicas)
    if (count(status, f) > count(status, "replicas")) out.push(invalidCause(`status.${f}`, count(status, f), OVER_REPLICAS));
  if (count(status, "availableReplicas") > count(status, "readyReplicas"))
    out.push(invalidCause("status.availableReplicas", count(status, "availableReplicas"), availableOverReady));
  return out;
};

/** A collision count only grows: it salts the names of the revisions (ReplicaSets, ControllerRevisions) a controller creates. */
const collisionCountDecremented = (status: Obj, old: Obj): FieldCause[] => {
  const before = isObj(old["status"]) ? old["status"]["collisionCount"] : undefined;
  const after = status["collisionCount"];
  return typeof before === "number" && (typeof after !== "number" || after < before)
    ? [invalidCause("status.collisionCount", typeof after === "number" ? after : 0, "cannot be decremented")]
    : [];
};

const REPLICA_SET_COUNTS = ["replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"];
const REPLICA_SET_BOUNDED = ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"];
const DEPLOYMENT_COUNTS = ["observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas", "collisionCount"];
const DEPLOYMENT_BOUNDED = ["updatedReplicas", "readyReplicas", "availableReplicas"];
const STATEFUL_SET_COUNTS = ["replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas", "observedGeneration", "collisionCount"];
const STATEFUL_SET_BOUNDED = ["readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"];
const DAEMON_SET_COUNTS = [
  "currentNumberScheduled",
  "numberMisscheduled",
  "desiredNumberScheduled",
  "numberReady",
  "observedGeneration",
  "updatedNumberScheduled",
  "numberAvailable",
  "numberUnavailable",
  "collisionCount",
];

export function validateStatusUpdate(info: ResourceInfo, obj: Obj, old: Obj): FieldCause[] {
  const status = isObj(obj["status"]) ? obj["status"] : {};
  switch (`${info.group}/${info.kind}`) {
    case "apps/ReplicaSet":
    case "/ReplicationController":
      return validateReplicaCounts(status, REPLICA_SET_COUNTS, REPLICA_SET_BOUNDED);
    case "apps/Deployment":
      return [...validateReplicaCounts(status, DEPLOYMENT_COUNTS, DEPLOYMENT_BOUNDED), ...collisionCountDecremented(status, old)];
    case "apps/StatefulSet":
      return [
        ...validateReplicaCounts(status, STATEFUL_SET_COUNTS, STATEFUL_SET_BOUNDED, "cannot be greater than status.readyReplicas"),
        ...collisionCountDecremented(status, old),
      ];
    case "apps/DaemonSet":
      // Only signs are checked: a DaemonSet's counts have no replicas to be bounded by.
      return [...validateReplicaCounts(status, DAEMON_SET_COUNTS, []), ...collisionCountDecremented(status, old)];
    default:
      return [];
  }
}
