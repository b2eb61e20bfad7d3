/**
 * core/v1 ResourceQuota and LimitRange: the per-namespace limits that the
 * ResourceQuota and LimitRanger admission plugins (libs/apiserver
 * quota-admission.ts, limitrange-admission.ts) enforce and the resourcequota
 * controller (libs/controllers resourcequota.ts) keeps status.used of.
 */
import * as Schema from "effect/Schema";
import { described as d, describedRequired as dr, ResourceList, objectFields } from "../meta.ts";

const Str = Schema.String;
const Strings = Schema.Array(Str);

export const ScopedResourceSelectorRequirement = Schema.Struct({
  scopeName: dr(Str, "The scope the selector applies to (Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass, CrossNamespacePodAffinity)."),
  operator: dr(Str, "In, NotIn, Exists or DoesNotExist."),
  values: d(Strings, "The values for In and NotIn."),
});

export const ResourceQuotaSpec = Schema.Struct({
  hard: d(ResourceList, "The most of each named resource the namespace may use (`pods: 10`, `requests.cpu: 4`, `count/deployments.apps: 5`)."),
  scopes: d(Strings, "Filters on the objects counted: all must match."),
  scopeSelector: d(Schema.Struct({ matchExpressions: d(Schema.Array(ScopedResourceSelectorRequirement), "Scope requirements, all must match.") }), "Scope filters as selector expressions."),
});

export const ResourceQuotaStatus = Schema.Struct({
  hard: d(ResourceList, "The enforced hard limits (spec.hard as the quota controller last saw it)."),
  used: d(ResourceList, "What the namespace uses now, per resource in hard."),
});

export const ResourceQuota = Schema.Struct({
  ...objectFields,
  spec: d(ResourceQuotaSpec, "The limits wanted."),
  status: d(ResourceQuotaStatus, "The limits enforced and the current usage, kept by the resourcequota controller and quota admission."),
}).annotations({ documentation: "Aggregate limits on resource use and object counts per namespace." });

/** LimitRangeItem types. */
export const LIMIT_TYPES = ["Pod", "Container", "PersistentVolumeClaim"] as const;

export const LimitRangeItem = Schema.Struct({
  type: dr(Str, "What the limits apply to: Container, Pod or PersistentVolumeClaim."),
  max: d(ResourceList, "The most of each resource a container (pod, claim) may ask for."),
  min: d(ResourceList, "The least of each resource a container (pod, claim) must ask for."),
  default: d(ResourceList, "The limits set on containers that give none (type Container)."),
  defaultRequest: d(ResourceList, "The requests set on containers that give none (type Container)."),
  maxLimitRequestRatio: d(ResourceList, "The largest limit / request ratio allowed per resource."),
});

export const LimitRange = Schema.Struct({
  ...objectFields,
  spec: d(Schema.Struct({ limits: dr(Schema.Array(LimitRangeItem), "The limits, by kind of object.") }), "The limits of the namespace."),
}).annotations({ documentation: "Default, minimum and maximum resource use per container, pod or claim in a namespace." });
