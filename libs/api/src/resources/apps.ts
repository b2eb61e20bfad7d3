/** apps/v1 ReplicaSet and Deployment, autoscaling/v1 Scale. */
import * as Schema from "effect/Schema";
import { described as d, Int, IntOrString, LabelSelector, Time, objectFields } from "../meta.ts";
import { PodTemplateSpec } from "./pod.ts";

const o = Schema.optional;
const Str = Schema.String;

const AppsCondition = Schema.Struct({
  type: Str,
  status: Str,
  lastUpdateTime: o(Time),
  lastTransitionTime: o(Time),
  reason: o(Str),
  message: o(Str),
});

export const ReplicaSetSpec = Schema.Struct({
  replicas: o(Int),
  minReadySeconds: o(Int),
  selector: o(LabelSelector),
  template: o(PodTemplateSpec),
});
export const ReplicaSetStatus = Schema.Struct({
  replicas: o(Int),
  fullyLabeledReplicas: o(Int),
  readyReplicas: o(Int),
  availableReplicas: o(Int),
  terminatingReplicas: o(Int),
  observedGeneration: o(Int),
  conditions: o(Schema.Array(AppsCondition)),
});
export const ReplicaSet = Schema.Struct({ ...objectFields, spec: o(ReplicaSetSpec), status: o(ReplicaSetStatus) });

export const RollingUpdateDeployment = Schema.Struct({
  maxUnavailable: d(
    IntOrString,
    "How many pods may be unavailable during the update, as a number or a percentage of the desired replicas (rounded down). Defaults to 25%. Cannot be 0 when maxSurge is 0.",
  ),
  maxSurge: d(
    IntOrString,
    "How many pods may be created above the desired replicas during the update, as a number or a percentage (rounded up). Defaults to 25%. Cannot be 0 when maxUnavailable is 0.",
  ),
}).annotations({ documentation: "Controls the pace of a rolling update." });
export const DeploymentStrategy = Schema.Struct({
  type: d(Str, 'How old pods are replaced: "Recreate" (delete all old pods before creating new ones) or "RollingUpdate" (the default: replace them gradually).'),
  rollingUpdate: d(RollingUpdateDeployment, "Rolling update parameters; only used when type is RollingUpdate."),
}).annotations({ documentation: "How a deployment replaces its pods with new ones." });
export const DeploymentSpec = Schema.Struct({
  replicas: d(Int, "How many pods the deployment should run. Defaults to 1."),
  selector: d(LabelSelector, "Label selector for the pods this deployment manages. It must match the labels of the pod template and cannot change after creation."),
  template: d(PodTemplateSpec, "The pod template: every pod the deployment creates is made from it. Changing it starts a rollout."),
  strategy: d(DeploymentStrategy, "How existing pods are replaced with new ones when the template changes."),
  minReadySeconds: d(Int, "How long a new pod must be ready, without any container crashing, before it counts as available. Defaults to 0."),
  revisionHistoryLimit: d(Int, "How many old ReplicaSets are kept so that a rollout can be undone. Defaults to 10."),
  paused: d(Schema.Boolean, "True pauses the deployment: template changes are not rolled out until it is resumed."),
  progressDeadlineSeconds: d(
    Int,
    "How long a rollout may go without progress before the deployment reports ProgressDeadlineExceeded in its Progressing condition. Defaults to 600.",
  ),
}).annotations({ documentation: "The desired state of a Deployment." });
export const DeploymentStatus = Schema.Struct({
  observedGeneration: o(Int),
  replicas: o(Int),
  updatedReplicas: o(Int),
  readyReplicas: o(Int),
  availableReplicas: o(Int),
  unavailableReplicas: o(Int),
  terminatingReplicas: o(Int),
  conditions: o(Schema.Array(AppsCondition)),
  collisionCount: o(Int),
});
export const Deployment = Schema.Struct({
  ...objectFields,
  spec: d(DeploymentSpec, "What the deployment should run."),
  status: d(DeploymentStatus, "What the deployment controller last observed. Read-only."),
}).annotations({ documentation: "A Deployment keeps a number of identical pods running and rolls out changes to them through ReplicaSets." });

/** autoscaling/v1 Scale, the body of deployments/scale and replicasets/scale. */
export const Scale = Schema.Struct({
  ...objectFields,
  spec: o(Schema.Struct({ replicas: o(Int) })),
  status: o(Schema.Struct({ replicas: Int, selector: o(Str) })),
});
