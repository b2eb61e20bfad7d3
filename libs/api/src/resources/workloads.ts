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
