/**
 * apps/v1 ControllerRevision, DaemonSet and StatefulSet. A ControllerRevision
 * is an immutable snapshot of a controller's pod template (DaemonSets and
 * StatefulSets keep their rollout history in them, as Deployments keep old
 * ReplicaSets). Field descriptions follow k8s.io/api/apps/v1 in our own
 * words; `kubectl explain` prints them.
 */
import * as Schema from "effect/Schema";
import { described as d, Int, IntOrString, LabelSelector, Loose, Time, objectFields } from "../meta.ts";
import { PodTemplateSpec } from "./pod.ts";

const Str = Schema.String;

const WorkloadCondition = Schema.Struct({
  type: d(Str, "Type of the condition."),
  status: d(Str, "Status of the condition: True, False or Unknown."),
  lastTransitionTime: d(Time, "When the condition last changed status."),
  reason: d(Str, "A one-word CamelCase reason for the last transition."),
  message: d(Str, "A human-readable message about the last transition."),
}).annotations({ documentation: "One observed aspect of the object's state." });

export const ControllerRevision = Schema.Struct({
  ...objectFields,
  data: d(Loose, "The state this revision records: for DaemonSets and StatefulSets a patch that replaces spec.template. Cannot be changed once created."),
  revision: d(Int, "The revision number: one more than the highest revision of the same controller when this one was created or became current again. Required."),
}).annotations({
  documentation:
    "An immutable snapshot of a controller's state (its pod template). DaemonSet and StatefulSet controllers keep one per template revision so that `kubectl rollout history` and `rollout undo` can list and restore them.",
});

// ---- DaemonSet ----

export const RollingUpdateDaemonSet = Schema.Struct({
  maxUnavailable: d(
    IntOrString,
    "How many nodes may be without an available daemon pod during the update, as a number or a percentage of the nodes that should run it (rounded up). Defaults to 1. Cannot be 0 when maxSurge is 0.",
  ),
  maxSurge: d(
    IntOrString,
    "On how many nodes a new pod may start next to the old one before the old is deleted, as a number or a percentage (rounded up). Defaults to 0. Cannot be set when maxUnavailable is non-zero.",
  ),
}).annotations({ documentation: "Controls the pace of a DaemonSet rolling update." });

export const DaemonSetUpdateStrategy = Schema.Struct({
  type: d(Str, 'How old daemon pods are replaced: "RollingUpdate" (the default) or "OnDelete" (new pods only where old ones were deleted by hand).'),
  rollingUpdate: d(RollingUpdateDaemonSet, "Rolling update parameters; only used when type is RollingUpdate."),
}).annotations({ documentation: "How a DaemonSet replaces its pods when the template changes." });

export const DaemonSetSpec = Schema.Struct({
  selector: d(LabelSelector, "Label selector for the pods the daemon set manages. It must match the labels of the pod template and cannot change after creation."),
  template: d(
    PodTemplateSpec,
    "The pod each eligible node runs one copy of. The controller pins each pod to its node with required node affinity on metadata.name and adds tolerations for node conditions.",
  ),
  updateStrategy: d(DaemonSetUpdateStrategy, "How existing pods are replaced with new ones when the template changes."),
  minReadySeconds: d(Int, "How long a new pod must be ready, without any container crashing, before it counts as available. Defaults to 0."),
  revisionHistoryLimit: d(Int, "How many old ControllerRevisions are kept so that a rollout can be undone. Defaults to 10."),
}).annotations({ documentation: "The desired state of a DaemonSet." });

export const DaemonSetStatus = Schema.Struct({
  currentNumberScheduled: d(Int, "Nodes that run at least one daemon pod and should run it."),
  numberMisscheduled: d(Int, "Nodes that run a daemon pod but should not."),
  desiredNumberScheduled: d(Int, "Nodes that should run the daemon pod (including those that already do)."),
  numberReady: d(Int, "Nodes that should run the daemon pod and have one or more of it Ready."),
  observedGeneration: d(Int, "The most recent generation the controller has acted on."),
  updatedNumberScheduled: d(Int, "Nodes that run the up-to-date daemon pod."),
  numberAvailable: d(Int, "Nodes that should run the daemon pod and have one of it available (ready for at least minReadySeconds)."),
  numberUnavailable: d(Int, "Nodes that should run the daemon pod and have none of it available."),
  collisionCount: d(Int, "Counts hash collisions of the template; used to make the next ControllerRevision name unique."),
  conditions: d(Schema.Array(WorkloadCondition), "The latest observations of the daemon set's state."),
}).annotations({ documentation: "What the DaemonSet controller last observed. Read-only." });

export const DaemonSet = Schema.Struct({
  ...objectFields,
  spec: d(DaemonSetSpec, "What the daemon set should run."),
  status: d(DaemonSetStatus, "What the daemon set controller last observed. Read-only."),
}).annotations({ documentation: "A DaemonSet runs one copy of a pod on every node that matches its placement rules." });

// ---- StatefulSet ----

export const RollingUpdateStatefulSetStrategy = Schema.Struct({
  partition: d(Int, "Only pods with an ordinal greater than or equal to the partition are updated; the others keep the old revision. Defaults to 0."),
  maxUnavailable: d(IntOrString, "How many pods may be unavailable during the update (alpha in Kubernetes; accepted, not used here)."),
}).annotations({ documentation: "Controls a StatefulSet rolling update." });

export const StatefulSetUpdateStrategy = Schema.Struct({
  type: d(Str, '"RollingUpdate" (the default: pods are replaced from the highest ordinal down) or "OnDelete" (new pods only where old ones were deleted by hand).'),
  rollingUpdate: d(RollingUpdateStatefulSetStrategy, "Rolling update parameters; only used when type is RollingUpdate."),
}).annotations({ documentation: "How a StatefulSet replaces its pods when the template changes." });

export const StatefulSetSpec = Schema.Struct({
  replicas: d(Int, "How many pods the stateful set should run, named <name>-0 to <name>-(replicas-1). Defaults to 1."),
  selector: d(LabelSelector, "Label selector for the pods the stateful set manages. It must match the labels of the pod template."),
  template: d(PodTemplateSpec, "The pod every ordinal runs. Changing it starts a rollout."),
  volumeClaimTemplates: d(
    Schema.Array(Loose),
    "PersistentVolumeClaims each pod gets (<template>-<name>-<ordinal>). kubeactor does not serve PersistentVolumeClaims: a stateful set with claim templates records FailedCreate and creates no pods.",
  ),
  serviceName: d(Str, "The headless Service that gives the pods their network identity (<pod>.<serviceName>)."),
  podManagementPolicy: d(Str, '"OrderedReady" (the default: one pod at a time, in ordinal order, each Ready before the next) or "Parallel" (all at once).'),
  updateStrategy: d(StatefulSetUpdateStrategy, "How existing pods are replaced with new ones when the template changes."),
  revisionHistoryLimit: d(Int, "How many old ControllerRevisions are kept. Defaults to 10."),
  minReadySeconds: d(Int, "How long a new pod must be ready before it counts as available. Defaults to 0."),
  persistentVolumeClaimRetentionPolicy: d(Loose, "What happens to claims from volumeClaimTemplates when the set is deleted or scaled down (whenDeleted, whenScaled: Retain or Delete)."),
  ordinals: d(Schema.Struct({ start: d(Int, "The first ordinal. Defaults to 0.") }), "Where pod ordinals start."),
}).annotations({ documentation: "The desired state of a StatefulSet." });

export const StatefulSetStatus = Schema.Struct({
  observedGeneration: d(Int, "The most recent generation the controller has acted on."),
  replicas: d(Int, "Pods created by the controller."),
  readyReplicas: d(Int, "Pods with a Ready condition."),
  currentReplicas: d(Int, "Pods at the currentRevision."),
  updatedReplicas: d(Int, "Pods at the updateRevision."),
  currentRevision: d(Str, "The ControllerRevision of the pods up to currentReplicas."),
  updateRevision: d(Str, "The ControllerRevision of the pods being rolled out."),
  collisionCount: d(Int, "Counts hash collisions of the template."),
  availableReplicas: d(Int, "Pods ready for at least minReadySeconds."),
  conditions: d(Schema.Array(WorkloadCondition), "The latest observations of the stateful set's state."),
}).annotations({ documentation: "What the StatefulSet controller last observed. Read-only." });

export const StatefulSet = Schema.Struct({
  ...objectFields,
  spec: d(StatefulSetSpec, "What the stateful set should run."),
  status: d(StatefulSetStatus, "What the stateful set controller last observed. Read-only."),
}).annotations({ documentation: "A StatefulSet runs pods with stable names and ordinals, created, updated and deleted in order." });
