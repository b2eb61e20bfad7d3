/**
 * What Kubernetes checks on a write to a workload's `/status` (the strategies'
 * ValidateStatusUpdate: ValidateReplicaSetStatus, ValidateReplicationControllerStatus,
 * ValidateDeploymentStatus), with its field paths and messages. Writes to the
 * main resource keep the old status, so these run for `/status` only.
 */
import type { ResourceInfo } from "./registry.ts";
import type { FieldCause } from "./status.ts";
import { invalidCause, nonNegative } from "./validation.ts";
import { type Obj, isObj } from "./plain.ts";

const count = (status: Obj, field: string): number => (typeof status[field] === "number" ? status[field] : 0);

const OVER_REPLICAS = "cannot be greater than status.replicas";

/** Each field never negative; each of `boundedByReplicas` at most `replicas`; `availableReplicas` at most `readyReplicas`. */
const validateReplicaCounts = (status: Obj, fields: readonly string[], boundedByReplicas: readonly string[]): FieldCause[] => {
  const out: FieldCause[] = [];
  for (const f of fields) out.push(...nonNegative(`status.${f}`, status[f]));
  for (const f of boundedByReplicas)
    if (count(status, f) > count(status, "replicas")) out.push(invalidCause(`status.${f}`, count(status, f), OVER_REPLICAS));
  if (count(status, "availableReplicas") > count(status, "readyReplicas"))
    out.push(invalidCause("status.availableReplicas", count(status, "availableReplicas"), "cannot be greater than readyReplicas"));
  return out;
};

const REPLICA_SET_COUNTS = ["replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"];
const REPLICA_SET_BOUNDED = ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"];
const DEPLOYMENT_COUNTS = ["observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas", "collisionCount"];
const DEPLOYMENT_BOUNDED = ["updatedReplicas", "readyReplicas", "availableReplicas"];

export function validateStatusUpdate(info: ResourceInfo, obj: Obj, old: Obj): FieldCause[] {
  const status = isObj(obj["status"]) ? obj["status"] : {};
  switch (`${info.group}/${info.kind}`) {
    case "apps/ReplicaSet":
    case "/ReplicationController":
      return validateReplicaCounts(status, REPLICA_SET_COUNTS, REPLICA_SET_BOUNDED);
    case "apps/Deployment": {
      const out = validateReplicaCounts(status, DEPLOYMENT_COUNTS, DEPLOYMENT_BOUNDED);
      // A collision count only grows: it salts the names of new ReplicaSets.
      const before = isObj(old["status"]) ? old["status"]["collisionCount"] : undefined;
      const after = status["collisionCount"];
      if (typeof before === "number" && (typeof after !== "number" || after < before))
        out.push(invalidCause("status.collisionCount", typeof after === "number" ? after : 0, "cannot be decremented"));
      return out;
    }
    default:
      return [];
  }
}
