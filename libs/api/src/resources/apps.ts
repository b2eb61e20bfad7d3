/** apps/v1 ReplicaSet and Deployment, autoscaling/v1 Scale. */
import * as Schema from "effect/Schema";
import { Int, IntOrString, LabelSelector, Time, objectFields } from "../meta.ts";
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

export const DeploymentStrategy = Schema.Struct({
  type: o(Str),
  rollingUpdate: o(Schema.Struct({ maxUnavailable: o(IntOrString), maxSurge: o(IntOrString) })),
});
export const DeploymentSpec = Schema.Struct({
  replicas: o(Int),
  selector: o(LabelSelector),
  template: o(PodTemplateSpec),
  strategy: o(DeploymentStrategy),
  minReadySeconds: o(Int),
  revisionHistoryLimit: o(Int),
  paused: o(Schema.Boolean),
  progressDeadlineSeconds: o(Int),
});
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
export const Deployment = Schema.Struct({ ...objectFields, spec: o(DeploymentSpec), status: o(DeploymentStatus) });

/** autoscaling/v1 Scale, the body of deployments/scale and replicasets/scale. */
export const Scale = Schema.Struct({
  ...objectFields,
  spec: o(Schema.Struct({ replicas: o(Int) })),
  status: o(Schema.Struct({ replicas: Int, selector: o(Str) })),
});
