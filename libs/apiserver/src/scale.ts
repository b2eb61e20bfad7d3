/**
 * The `scale` subresource of Deployments, ReplicaSets, StatefulSets and
 * ReplicationControllers: an autoscaling/v1 Scale view of `spec.replicas`
 * (what `kubectl scale` and autoscalers use), with `status.selector` as a
 * label-selector string.
 */
import { formatLabelSelector, labelSelectorFromApi, badRequest, selectorFromSet } from "@kubeactor/api";
import { metaOf, type Obj } from "./objects.ts";

export const toScale = (obj: Obj): Obj => {
  const meta = metaOf(obj);
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: unknown };
  const status = (obj.status ?? {}) as { replicas?: number };
  let selector = "";
  try {
    // A ReplicationController's selector is a plain label map (labels.SelectorFromSet in its scale storage).
    if (obj.kind === "ReplicationController") selector = formatLabelSelector(selectorFromSet((spec.selector ?? {}) as Record<string, string>));
    else selector = spec.selector ? formatLabelSelector(labelSelectorFromApi(spec.selector as never)) : "";
  } catch {
    selector = "";
  }
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector },
  };
};

/** The object with the replicas a Scale asks for; the Scale's resourceVersion, when set, is a precondition. */
export const applyScale = (obj: Obj, scale: Obj): { next: Obj; resourceVersion?: string } => {
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
    throw badRequest(`spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
  }
  const next = structuredClone(obj);
  (next.spec as { replicas?: number }).replicas = replicas;
  const rv = metaOf(scale).resourceVersion;
  return rv ? { next, resourceVersion: rv } : { next };
};
