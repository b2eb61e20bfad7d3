/**
 * apps/v1 DaemonSet and ControllerRevision: defaulting (SetDefaults_DaemonSet),
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
} from "./validation.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const objAt = (parent: Obj, key: string): Obj => {
  const v = parent[key];
  if (isObj(v)) return v;
  const fresh: Obj = {};
  parent[key] = fresh;
  return fresh;
};

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
