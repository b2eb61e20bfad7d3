/**
 * autoscaling/v1 HorizontalPodAutoscaler validation
 * (pkg/apis/autoscaling/validation): kube validates the internal (v2-shaped)
 * object, so targetCPUUtilizationPercentage is reported at the path of the
 * cpu metric it converts to, as kube-apiserver reports it.
 */
import type { FieldCause } from "./status.ts";
import { invalidCause, requiredCause } from "./validation.ts";
import { isValidPathSegmentName } from "./validation-rbac.ts";
import { type Obj, isObj } from "./plain.ts";

/** Where kube reports a v1 object's targetCPUUtilizationPercentage (the converted resource metric's target). */
export const CPU_TARGET_PATH = "spec.metrics[0].resource.target.averageUtilization";

/** ValidateCrossVersionObjectReference. */
const validateReference = (ref: Obj, p: string): FieldCause[] => {
  const out: FieldCause[] = [];
  for (const key of ["kind", "name"]) {
    const v = ref[key];
    if (typeof v !== "string" || v === "") out.push(requiredCause(`${p}.${key}`));
    else for (const m of isValidPathSegmentName(v)) out.push(invalidCause(`${p}.${key}`, v, m));
  }
  return out;
};

const int = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** validateHorizontalPodAutoscalerSpec (HPAScaleToZero off: minReplicas ≥ 1) and the status counters' ValidateNonnegativeField. */
export const validateHorizontalPodAutoscaler = (obj: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  const spec = isObj(obj["spec"]) ? obj["spec"] : {};
  const min = int(spec["minReplicas"]);
  const max = int(spec["maxReplicas"]) ?? 0;
  if (min !== undefined && min < 1) out.push(invalidCause("spec.minReplicas", min, "must be greater than or equal to 1"));
  if (max < 1) out.push(invalidCause("spec.maxReplicas", max, "must be greater than 0"));
  if (min !== undefined && max < min) out.push(invalidCause("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`"));
  out.push(...validateReference(isObj(spec["scaleTargetRef"]) ? spec["scaleTargetRef"] : {}, "spec.scaleTargetRef"));
  const target = int(spec["targetCPUUtilizationPercentage"]);
  if (target !== undefined && target < 1) out.push(invalidCause(CPU_TARGET_PATH, target, "must be greater than 0"));
  const status = isObj(obj["status"]) ? obj["status"] : {};
  for (const f of ["currentReplicas", "desiredReplicas"]) {
    const v = int(status[f]);
    if (v !== undefined && v < 0) out.push(invalidCause(`status.${f}`, v, "must be greater than or equal to 0"));
  }
  return out;
};
