/** node.k8s.io/v1 RuntimeClass: a name for a node's container runtime handler (kubeactor's nodes offer `process`, `sim` and `auto`). */
import * as Schema from "effect/Schema";
import { ResourceList, StringMap, objectFields } from "../meta.ts";
import { Toleration } from "./pod.ts";

const o = Schema.optional;

export const RuntimeClass = Schema.Struct({
  ...objectFields,
  /** The CRI handler nodes run the pod with; required, a DNS label (checked by validation, so a missing one is a 422 as in Kubernetes). */
  handler: o(Schema.String),
  overhead: o(Schema.Struct({ podFixed: o(ResourceList) })),
  scheduling: o(Schema.Struct({ nodeSelector: o(StringMap), tolerations: o(Schema.Array(Toleration)) })),
});
