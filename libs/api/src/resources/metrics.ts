/**
 * metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, the shapes
 * metrics-server serves and `kubectl top` reads. The API server builds them
 * from the kubelets' readings on each request; nothing is stored.
 */
import * as Schema from "effect/Schema";
import { described as d, objectFields, ResourceList } from "../meta.ts";

export const NodeMetrics = Schema.Struct({
  ...objectFields,
  timestamp: d(Schema.String, "When the reading was taken: the end of the window."),
  window: d(Schema.String, "The interval the CPU rate is averaged over."),
  usage: d(ResourceList, "The node's memory and CPU usage."),
}).annotations({ documentation: "Resource usage of a node." });

export const PodMetrics = Schema.Struct({
  ...objectFields,
  timestamp: d(Schema.String, "When the reading was taken: the end of the window."),
  window: d(Schema.String, "The interval the CPU rate is averaged over."),
  containers: d(
    Schema.Array(Schema.Struct({ name: Schema.String, usage: ResourceList })),
    "Usage of each running container of the pod.",
  ),
}).annotations({ documentation: "Resource usage of a pod's containers." });
