/**
 * ResourceQuota and LimitRange: defaulting (SetDefaults_LimitRangeItem;
 * quantities stored canonical) and validation with the field paths and
 * messages of pkg/apis/core/validation (ValidateResourceQuota,
 * ValidateLimitRange).
 */
import { canonicalQuantities, compareQuantity, formatQuantity, type Quantity } from "./quantity.ts";
import type { FieldCause } from "./status.ts";
import { LIMIT_TYPES } from "./resources/quota.ts";
import { duplicateCause, forbiddenCause, invalidCause, isQualifiedName, notSupportedCause, validateResourceList } from "./validation.ts";
import { type Obj, isObj, objects } from "./plain.ts";

/** ResourceQuota scopes kube knows (core.ResourceQuotaScope). */
export const QUOTA_SCOPES = ["Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"] as const;

export const defaultResourceQuota = (rq: Obj): void => {
  if (isObj(rq["spec"])) canonicalQuantities(rq["spec"]["hard"]);
  if (isObj(rq["status"])) {
    canonicalQuantities(rq["status"]["hard"]);
    canonicalQuantities(rq["status"]["used"]);
  }
};

/**
 * SetDefaults_LimitRangeItem for type Container: a default limit is the max
 * when absent; a default request is the default limit, else the min.
 */
export const defaultLimitRange = (lr: Obj): void => {
  for (const item of objects(isObj(lr["spec"]) ? lr["spec"]["limits"] : undefined)) {
    for (const f of ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"]) canonicalQuantities(item[f]);
    if (item["type"] !== "Container") continue;
    const dflt: Obj = isObj(item["default"]) ? { ...item["default"] } : {};
    const req: Obj = isObj(item["defaultRequest"]) ? { ...item["defaultRequest"] } : {};
    for (const [k, v] of Object.entries(isObj(item["max"]) ? item["max"] : {})) if (!(k in dflt)) dflt[k] = v;
    for (const [k, v] of Object.entries(dflt)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries(isObj(item["min"]) ? item["min"] : {})) if (!(k in req)) req[k] = v;
    // Go's omitempty drops empty maps.
    if (Object.keys(dflt).length) item["default"] = dflt;
    if (Object.keys(req).length) item["defaultRequest"] = req;
  }
};

/** A quota's or LimitRange's ResourceList: names qualified, quantities valid; the parsed list. */
const validateList = (list: unknown, field: string, out: FieldCause[]): Map<string, Quantity> => {
  const { causes, parsed } = validateResourceList(list, field, (name, path) => isQualifiedName(name).map((m) => invalidCause(path, name, m)));
  out.push(...causes);
  return parsed;
};

export const validateResourceQuota = (rq: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  const spec = isObj(rq["spec"]) ? rq["spec"] : {};
  validateList(spec["hard"], "spec.hard", out);
  const status = isObj(rq["status"]) ? rq["status"] : {};
  validateList(status["hard"], "status.hard", out);
  validateList(status["used"], "status.used", out);
  const scopes = Array.isArray(spec["scopes"]) ? spec["scopes"] : [];
  for (const s of scopes) if (!(QUOTA_SCOPES as readonly unknown[]).includes(s)) out.push(invalidCause("spec.scopes", s, "unsupported scope"));
  return out;
};

export const validateLimitRange = (lr: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  const seen = new Set<string>();
  const items = objects(isObj(lr["spec"]) ? lr["spec"]["limits"] : undefined);
  items.forEach((item, i) => {
    const at = `spec.limits[${i}]`;
    const type = item["type"];
    if (typeof type !== "string" || !(LIMIT_TYPES as readonly string[]).includes(type)) out.push(notSupportedCause(`${at}.type`, type, LIMIT_TYPES));
    else if (seen.has(type)) out.push(duplicateCause(`${at}.type`, type));
    else seen.add(type);
    const max = validateList(item["max"], `${at}.max`, out);
    const min = validateList(item["min"], `${at}.min`, out);
    const dflt = validateList(item["default"], `${at}.default`, out);
    const req = validateList(item["defaultRequest"], `${at}.defaultRequest`, out);
    const ratio = validateList(item["maxLimitRequestRatio"], `${at}.maxLimitRequestRatio`, out);
    if (type === "Pod") {
      if (dflt.size) out.push(forbiddenCause(`${at}.default`, "may not be specified when `type` is 'Pod'"));
      if (req.size) out.push(forbiddenCause(`${at}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
    const s = (q: Quantity) => formatQuantity(q);
    const keys = new Set([...max.keys(), ...min.keys(), ...dflt.keys(), ...req.keys()]);
    for (const k of keys) {
      const [mx, mn, df, rq] = [max.get(k), min.get(k), dflt.get(k), req.get(k)];
      if (mn && mx && compareQuantity(mn, mx) > 0) out.push(invalidCause(`${at}.min[${k}]`, s(mn), `min value ${s(mn)} is greater than max value ${s(mx)}`));
      if (rq) {
        if (mn && compareQuantity(mn, rq) > 0) out.push(invalidCause(`${at}.defaultRequest[${k}]`, s(rq), `min value ${s(mn)} is greater than default request value ${s(rq)}`));
        if (mx && compareQuantity(rq, mx) > 0) out.push(invalidCause(`${at}.defaultRequest[${k}]`, s(rq), `default request value ${s(rq)} is greater than max value ${s(mx)}`));
        if (df && compareQuantity(rq, df) > 0) out.push(invalidCause(`${at}.defaultRequest[${k}]`, s(rq), `default request value ${s(rq)} is greater than default limit value ${s(df)}`));
      }
      if (df) {
        if (mn && compareQuantity(mn, df) > 0) out.push(invalidCause(`${at}.default[${k}]`, s(df), `min value ${s(mn)} is greater than default value ${s(df)}`));
        if (mx && compareQuantity(df, mx) > 0) out.push(invalidCause(`${at}.default[${k}]`, s(df), `default value ${s(df)} is greater than max value ${s(mx)}`));
      }
    }
    for (const [k, r] of ratio) {
      if (r.nanos < 1_000_000_000n) out.push(invalidCause(`${at}.maxLimitRequestRatio[${k}]`, s(r), `ratio ${s(r)} is less than 1`));
    }
  });
  return out;
};


