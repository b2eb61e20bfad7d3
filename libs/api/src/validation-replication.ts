/**
 * core/v1 ReplicationController and PodTemplate: defaulting
 * (SetDefaults_ReplicationController) and validation with Kubernetes' field
 * paths and messages (pkg/apis/core/validation: ValidateReplicationControllerSpec,
 * ValidatePodTemplateSpecForRC, ValidatePodTemplate). An RC's selector is a
 * plain label map, not a LabelSelector: empty means "not given" (defaulted
 * from the template), and it matches when every pair is among the template's
 * labels.
 */
import { matchesLabels, selectorFromSet } from "./selectors.ts";
import type { FieldCause } from "./status.ts";
import { invalidCause, nonNegative, requiredCause, validatePodTemplate, validateReplicatedPodTemplate } from "./validation.ts";
import { type Obj, isObj, objAt } from "./plain.ts";

const labelMap = (v: unknown): Record<string, string> => (isObj(v) ? (v as Record<string, string>) : {});
const isEmpty = (m: Record<string, string>) => Object.keys(m).length === 0;

/**
 * SetDefaults_ReplicationController: with template labels, an empty selector
 * and empty object labels both become the template's labels; replicas 1.
 * (The pod template's own defaults are the caller's, as for every workload.)
 */
export const defaultReplicationController = (rc: Obj): void => {
  const spec = objAt(rc, "spec");
  const template = spec["template"];
  const templateLabels = isObj(template) && isObj(template["metadata"]) ? template["metadata"]["labels"] : undefined;
  if (isObj(templateLabels)) {
    if (isEmpty(labelMap(spec["selector"]))) spec["selector"] = { ...templateLabels };
    const meta = objAt(rc, "metadata");
    if (isEmpty(labelMap(meta["labels"]))) meta["labels"] = { ...templateLabels };
  }
  if (spec["replicas"] === undefined) spec["replicas"] = 1;
};

export const validateReplicationController = (rc: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  const spec = isObj(rc["spec"]) ? rc["spec"] : {};
  const selector = labelMap(spec["selector"]);
  out.push(...nonNegative("spec.minReadySeconds", spec["minReadySeconds"]));
  if (isEmpty(selector)) out.push(requiredCause("spec.selector"));
  out.push(...nonNegative("spec.replicas", spec["replicas"]));
  const template = spec["template"];
  if (!isObj(template)) return [...out, requiredCause("spec.template")];
  const templateLabels = labelMap(isObj(template["metadata"]) ? template["metadata"]["labels"] : undefined);
  if (!isEmpty(selector) && !matchesLabels(selectorFromSet(selector), templateLabels))
    out.push(invalidCause("spec.template.metadata.labels", templateLabels, "`selector` does not match template `labels`"));
  out.push(...validateReplicatedPodTemplate(template, "spec.template", "ReplicationController"));
  return out;
};

/** ValidatePodTemplate: the template is a pod template (no restart-policy rule: any pod may be described). */
export const validatePodTemplateObject = (pt: Obj): FieldCause[] => validatePodTemplate(isObj(pt["template"]) ? pt["template"] : {}, "template");
