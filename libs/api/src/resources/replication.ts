/**
 * core/v1 ReplicationController and PodTemplate: the pre-apps/v1 workload
 * kinds kube still serves. A ReplicationController is a ReplicaSet whose
 * selector is a plain label map (kube runs the ReplicaSet controller for it);
 * a PodTemplate is a stored, named pod template. Field descriptions follow
 * k8s.io/api/core/v1 in our own words; `kubectl explain` prints them.
 */
import * as Schema from "effect/Schema";
import { described as d, Int, StringMap, Time, objectFields } from "../meta.ts";
import { PodTemplateSpec } from "./pod.ts";

const Str = Schema.String;

const ReplicationControllerCondition = Schema.Struct({
  type: d(Str, "Type of the condition: ReplicaFailure when creating or deleting pods failed."),
  status: d(Str, "Status of the condition: True, False or Unknown."),
  lastTransitionTime: d(Time, "When the condition last changed status."),
  reason: d(Str, "A one-word CamelCase reason for the last transition (FailedCreate, FailedDelete)."),
  message: d(Str, "A human-readable message about the last transition."),
}).annotations({ documentation: "One observed aspect of the replication controller's state." });

export const ReplicationControllerSpec = Schema.Struct({
  replicas: d(Int, "How many pods should run. Defaults to 1."),
  minReadySeconds: d(Int, "How long a new pod must be ready, without any container crashing, before it counts as available. Defaults to 0."),
  selector: d(
    StringMap,
    "Label keys and values a pod must carry to be counted and controlled by this replication controller. Defaults to the labels of the pod template when empty; must match them.",
  ),
  template: d(PodTemplateSpec, "The pod made when there are too few replicas."),
}).annotations({ documentation: "The desired state of a ReplicationController." });

export const ReplicationControllerStatus = Schema.Struct({
  replicas: d(Int, "Pods the controller last counted (active pods it owns)."),
  fullyLabeledReplicas: d(Int, "Pods that carry every label of the pod template."),
  readyReplicas: d(Int, "Pods with a Ready condition."),
  availableReplicas: d(Int, "Pods ready for at least minReadySeconds."),
  observedGeneration: d(Int, "The most recent generation the controller has acted on."),
  conditions: d(Schema.Array(ReplicationControllerCondition), "The latest observations of the replication controller's state."),
}).annotations({ documentation: "What the replication controller last observed. Read-only." });

export const ReplicationController = Schema.Struct({
  ...objectFields,
  spec: d(ReplicationControllerSpec, "What the replication controller should run."),
  status: d(ReplicationControllerStatus, "What the replication controller last observed. Read-only."),
}).annotations({
  documentation:
    "A ReplicationController keeps a number of identical pods running. Its labels default to those of the pod template. Deployments and ReplicaSets replace it.",
});

export const PodTemplate = Schema.Struct({
  ...objectFields,
  template: d(PodTemplateSpec, "The pod this template describes."),
}).annotations({ documentation: "A named, stored pod template." });
