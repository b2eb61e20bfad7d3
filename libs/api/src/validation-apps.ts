/**
 * apps/v1 DaemonSet, StatefulSet and ControllerRevision: defaulting (SetDefaults_DaemonSet, SetDefaults_StatefulSet),
 * the registry strategies' create/update preparation (status reset, the
 * template generation kept in `deprecated.daemonset.template.generation`) and
 * validation with Kubernetes' field paths and messages
 * (pkg/apis/apps/validation, pkg/registry/apps/daemonset).
 */
import { labelSelectorFromApi, matchesLabels } from "./selectors.ts";
import type { FieldCause } from "./status.ts";
import {
  forbiddenCause,
  intOrPercent,
  invalidCause,
  jsonEqual,
  nonNegative,
  notSupportedCause,
  requiredCause,
  validateAnnotations,
  validateIntOrPercent,
  validateLabels,
  validatePodSpec,
  validateSelectorForTemplate,
} from "./validation.ts";
import { type Obj, isObj, objAt } from "./plain.ts";

/** Where apps/v1 keeps the internal spec.templateGeneration of a DaemonSet; pods carry it as `pod-template-generation`. */
export const DAEMONSET_TEMPLATE_GENERATION = "deprecated.daemonset.template.generation";

/** SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10. */
export const defaultDaemonSet = (ds: Obj): void => {
  const spec = objAt(ds, "spec");
  const strategy = objAt(spec, "updateStrategy");
  if (strategy["type"] === undefined || strategy["type"] === "") strategy["type"] = "RollingUpdate";
  if (strategy["type"] === "RollingUpdate") {
    const ru = objAt(strategy, "rollingUpdate");
    if (ru["maxUnavailable"] === undefined) ru["maxUnavailable"] = 1;
    if (ru["maxSurge"] === undefined) ru["maxSurge"] = 0;
  }
  if (spec["revisionHistoryLimit"] === undefined) spec["revisionHistoryLimit"] = 10;
};

/** The DaemonSet strategy's PrepareForCreate: an empty status (its four counts always serialise) and template generation 1. */
export const prepareDaemonSetCreate = (ds: Obj): void => {
  ds["status"] = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
  objAt(objAt(ds, "metadata"), "annotations")[DAEMONSET_TEMPLATE_GENERATION] = "1";
};

/** PrepareForUpdate: the template generation cannot be set by users; it goes up by one when the template changes. */
export const prepareDaemonSetUpdate = (ds: Obj, old: Obj): void => {
  const oldAnnotations = isObj(old["metadata"]) && isObj(old["metadata"]["annotations"]) ? old["metadata"]["annotations"] : {};
  const oldGeneration = Number(oldAnnotations[DAEMONSET_TEMPLATE_GENERATION] ?? 0) || 0;
  const template = (o: Obj) => (isObj(o["spec"]) ? o["spec"]["template"] : undefined);
  const next = jsonEqual(template(ds), template(old)) ? oldGeneration : oldGeneration + 1;
  const annotations = objAt(objAt(ds, "metadata"), "annotations");
  if (next > 0) annotations[DAEMONSET_TEMPLATE_GENERATION] = String(next);
  else delete annotations[DAEMONSET_TEMPLATE_GENERATION];
};

/** ValidateRollingUpdateDaemonSet: int or percent, at most 100%, exactly one of the two non-zero. */
const validateRollingUpdate = (ru: Obj, path: string): FieldCause[] => {
  const out: FieldCause[] = [];
  out.push(...validateIntOrPercent(ru["maxUnavailable"], `${path}.maxUnavailable`));
  out.push(...validateIntOrPercent(ru["maxSurge"], `${path}.maxSurge`));
  for (const key of ["maxUnavailable", "maxSurge"]) {
    const v = ru[key];
    const n = intOrPercent(v);
    if (typeof v === "string" && n !== undefined && n > 100) out.push(invalidCause(`${path}.${key}`, v, "must not be greater than 100%"));
  }
  const hasUnavailable = (intOrPercent(ru["maxUnavailable"]) ?? 0) !== 0;
  const hasSurge = (intOrPercent(ru["maxSurge"]) ?? 0) !== 0;
  if (hasUnavailable && hasSurge) out.push(invalidCause(`${path}.maxSurge`, ru["maxSurge"], "may not be set when maxUnavailable is non-zero"));
  else if (!hasUnavailable && !hasSurge) out.push(requiredCause(`${path}.maxUnavailable`, "cannot be 0 when maxSurge is 0"));
  return out;
};

/**
 * The pod template checks shared by DaemonSets (and StatefulSets): the selector
 * must parse, be non-empty and match the template labels; the template is a
 * valid pod with restartPolicy Always and no activeDeadlineSeconds.
 */
export const validateWorkloadTemplate = (spec: Obj, kind: "daemonset" | "statefulset", emptyMessage: string): FieldCause[] => {
  const out: FieldCause[] = [];
  const selector = spec["selector"];
  const template = isObj(spec["template"]) ? spec["template"] : {};
  const templateMeta = isObj(template["metadata"]) ? template["metadata"] : {};
  const labels = (isObj(templateMeta["labels"]) ? templateMeta["labels"] : {}) as Record<string, string>;
  let parsed: ReturnType<typeof labelSelectorFromApi> | undefined;
  if (isObj(selector)) {
    try {
      parsed = labelSelectorFromApi(selector as never);
    } catch (e) {
      out.push(invalidCause("spec.selector", selector, e instanceof Error ? e.message : String(e)));
    }
  }
  // A missing selector selects nothing (LabelSelectorAsSelector(nil)), so it never matches the template.
  if (!isObj(selector) || (parsed && !matchesLabels(parsed, labels)))
    out.push(invalidCause("spec.template.metadata.labels", templateMeta["labels"] ?? {}, "`selector` does not match template `labels`"));
  if (isObj(selector) && Object.keys(selector["matchLabels"] ?? {}).length + ((selector["matchExpressions"] as unknown[] | undefined)?.length ?? 0) === 0)
    out.push(invalidCause("spec.selector", selector, emptyMessage));
  out.push(...validateLabels(templateMeta["labels"], "spec.template.metadata.labels"));
  out.push(...validateAnnotations(templateMeta["annotations"], "spec.template.metadata.annotations"));
  const podSpec = template["spec"];
  out.push(...validatePodSpec(podSpec, "spec.template.spec"));
  if (isObj(podSpec)) {
    const restart = podSpec["restartPolicy"];
    if (restart !== undefined && restart !== "Always") out.push(notSupportedCause("spec.template.spec.restartPolicy", restart, ["Always"]));
    if (podSpec["activeDeadlineSeconds"] !== undefined)
      out.push(
        kind === "daemonset"
          ? forbiddenCause("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in DaemonSet is not Supported")
          : invalidCause("spec.template.spec.activeDeadlineSeconds", podSpec["activeDeadlineSeconds"], "must not be specified"),
      );
  }
  return out;
};

/** ValidateDaemonSetSpec. */
export const validateDaemonSet = (ds: Obj): FieldCause[] => {
  const spec = isObj(ds["spec"]) ? ds["spec"] : {};
  const out = validateWorkloadTemplate(spec, "daemonset", "empty selector is invalid for daemonset");
  out.push(...nonNegative("spec.minReadySeconds", spec["minReadySeconds"]));
  const strategy = isObj(spec["updateStrategy"]) ? spec["updateStrategy"] : {};
  switch (strategy["type"]) {
    case "OnDelete":
      break;
    case "RollingUpdate":
      if (!isObj(strategy["rollingUpdate"])) out.push(requiredCause("spec.updateStrategy.rollingUpdate"));
      else out.push(...validateRollingUpdate(strategy["rollingUpdate"], "spec.updateStrategy.rollingUpdate"));
      break;
    default:
      out.push(notSupportedCause("spec.updateStrategy", strategy, ["RollingUpdate", "OnDelete"]));
  }
  out.push(...nonNegative("spec.revisionHistoryLimit", spec["revisionHistoryLimit"]));
  return out;
};

/** The DaemonSet strategy's ValidateUpdate adds: apps/v1 forbids changing the selector. */
export const validateDaemonSetUpdate = (ds: Obj, old: Obj): FieldCause[] => {
  const sel = (o: Obj) => (isObj(o["spec"]) ? o["spec"]["selector"] : undefined);
  return jsonEqual(sel(ds), sel(old)) ? [] : [invalidCause("spec.selector", sel(ds) ?? "", "field is immutable")];
};

/** ValidateControllerRevision: data is mandatory, revision is not negative. */
export const validateControllerRevision = (cr: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  if (cr["data"] === undefined) out.push(requiredCause("data", "data is mandatory"));
  out.push(...nonNegative("revision", cr["revision"]));
  return out;
};

/** ValidateControllerRevisionUpdate: the recorded data never changes (the revision number may). */
export const validateControllerRevisionUpdate = (cr: Obj, old: Obj): FieldCause[] =>
  jsonEqual(cr["data"], old["data"]) ? [] : [invalidCause("data", cr["data"] ?? "", "field is immutable")];

// ---- StatefulSet ----

/** SetDefaults_StatefulSet (1.32 gates: PVC retention policy on, maxUnavailable off). */
export const defaultStatefulSet = (sts: Obj): void => {
  const spec = objAt(sts, "spec");
  if (!spec["podManagementPolicy"]) spec["podManagementPolicy"] = "OrderedReady";
  const strategy = objAt(spec, "updateStrategy");
  if (!strategy["type"]) {
    strategy["type"] = "RollingUpdate";
    if (strategy["rollingUpdate"] === undefined) strategy["rollingUpdate"] = {};
  }
  if (strategy["type"] === "RollingUpdate" && isObj(strategy["rollingUpdate"]) && strategy["rollingUpdate"]["partition"] === undefined) strategy["rollingUpdate"]["partition"] = 0;
  const retention = objAt(spec, "persistentVolumeClaimRetentionPolicy");
  if (!retention["whenDeleted"]) retention["whenDeleted"] = "Retain";
  if (!retention["whenScaled"]) retention["whenScaled"] = "Retain";
  if (spec["replicas"] === undefined) spec["replicas"] = 1;
  if (spec["revisionHistoryLimit"] === undefined) spec["revisionHistoryLimit"] = 10;
};

/** The StatefulSet strategy's PrepareForCreate: an empty status (replicas and availableReplicas always serialise). */
export const prepareStatefulSetCreate = (sts: Obj): void => {
  sts["status"] = { replicas: 0, availableReplicas: 0 };
};

const RETENTION = ["Retain", "Delete"];

/** ValidateStatefulSetSpec: policies, counts, selector and template labels (the pod spec itself is checked when pods are created, as kube). */
export const validateStatefulSet = (sts: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  const spec = isObj(sts["spec"]) ? sts["spec"] : {};
  const policy = spec["podManagementPolicy"];
  if (!policy) out.push(requiredCause("spec.podManagementPolicy"));
  else if (policy !== "OrderedReady" && policy !== "Parallel") out.push(invalidCause("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"));
  const strategy = isObj(spec["updateStrategy"]) ? spec["updateStrategy"] : {};
  const ru = strategy["rollingUpdate"];
  switch (strategy["type"]) {
    case undefined:
    case "":
      out.push(requiredCause("spec.updateStrategy"));
      break;
    case "OnDelete":
      if (ru !== undefined) out.push(invalidCause("spec.updateStrategy.rollingUpdate", ru, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case "RollingUpdate":
      if (isObj(ru)) {
        out.push(...nonNegative("spec.updateStrategy.rollingUpdate.partition", ru["partition"]));
        if (ru["maxUnavailable"] !== undefined) {
          const path = "spec.updateStrategy.rollingUpdate.maxUnavailable";
          out.push(...validateIntOrPercent(ru["maxUnavailable"], path));
          if (intOrPercent(ru["maxUnavailable"]) === 0) out.push(invalidCause(path, ru["maxUnavailable"], "cannot be 0"));
        }
      }
      break;
    default:
      out.push(invalidCause("spec.updateStrategy", strategy, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = spec["persistentVolumeClaimRetentionPolicy"];
  if (isObj(retention))
    for (const key of ["whenDeleted", "whenScaled"]) {
      const v = retention[key];
      if (v !== undefined && !RETENTION.includes(v as string)) out.push(notSupportedCause(`spec.persistentVolumeClaimRetentionPolicy.${key}`, v, RETENTION));
    }
  out.push(...nonNegative("spec.replicas", spec["replicas"]));
  out.push(...nonNegative("spec.minReadySeconds", spec["minReadySeconds"]));
  if (isObj(spec["ordinals"])) out.push(...nonNegative("spec.ordinals.start", spec["ordinals"]["start"]));
  const selector = spec["selector"];
  const template = isObj(spec["template"]) ? spec["template"] : {};
  const templateMeta = isObj(template["metadata"]) ? template["metadata"] : {};
  out.push(...validateSelectorForTemplate(selector, templateMeta, "empty selector is invalid for statefulset"));
  out.push(...validateLabels(templateMeta["labels"], "spec.template.labels"));
  out.push(...validateAnnotations(templateMeta["annotations"], "spec.template.annotations"));
  const podSpec = isObj(template["spec"]) ? template["spec"] : {};
  const restart = podSpec["restartPolicy"];
  if (restart !== "Always") out.push(notSupportedCause("spec.template.spec.restartPolicy", restart ?? "", ["Always"]));
  if (podSpec["activeDeadlineSeconds"] !== undefined)
    out.push(forbiddenCause("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in StatefulSet is not Supported"));
  return out;
};

const STS_MUTABLE = ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];

/** ValidateStatefulSetUpdate: only replicas, ordinals, template, updateStrategy, the retention policy and minReadySeconds may change. */
export const validateStatefulSetUpdate = (sts: Obj, old: Obj): FieldCause[] => {
  const rest = (o: Obj) => {
    const spec = { ...(isObj(o["spec"]) ? o["spec"] : {}) };
    for (const k of STS_MUTABLE) delete spec[k];
    return spec;
  };
  return jsonEqual(rest(sts), rest(old))
    ? []
    : [forbiddenCause("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")];
};
