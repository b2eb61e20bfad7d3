/**
 * The LimitRanger admission plugin's pure part
 * (plugin/pkg/admission/limitranger): container defaults from type
 * Container items (with the `kubernetes.io/limit-ranger` annotation naming
 * what was set), and the min / max / maxLimitRequestRatio checks for
 * Container, Pod and PersistentVolumeClaim items, with kube's messages.
 */
import { compareQuantity, formatQuantity, type Quantity } from "./quantity.ts";
import { parseResourceList, podResources, type Usage } from "./quota.ts";
import { type Obj, isObj, objAt, objects } from "./plain.ts";

export const LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger";

const itemsOf = (lr: Obj, type: string): Obj[] =>
  objects(isObj(lr["spec"]) ? lr["spec"]["limits"] : undefined).filter((i) => i["type"] === type);

/** mergeContainerResources: fills what a container lacks; returns the annotation parts. */
const mergeContainer = (c: Obj, limits: Obj, requests: Obj, prefix: string): string[] => {
  const res = objAt(c, "resources");
  const set = (field: "limits" | "requests", defaults: Obj): string[] => {
    const names = Object.keys(defaults).filter((k) => !isObj(res[field]) || !(k in (res[field] as Obj)));
    if (names.length) {
      const list = objAt(res, field);
      for (const k of names) list[k] = defaults[k];
    }
    return names.sort();
  };
  const setLimits = set("limits", limits);
  const setRequests = set("requests", requests);
  if (Object.keys(res).length === 0) delete c["resources"];
  const out: string[] = [];
  if (setRequests.length) out.push(`${setRequests.join(", ")} request for ${prefix} ${String(c["name"] ?? "")}`);
  if (setLimits.length) out.push(`${setLimits.join(", ")} limit for ${prefix} ${String(c["name"] ?? "")}`);
  return out;
};

/** PodMutateLimitFunc for one LimitRange: mutates the pod; true when it changed. */
export const defaultPodFromLimitRange = (pod: Obj, lr: Obj): boolean => {
  let limits: Obj = {};
  let requests: Obj = {};
  for (const item of itemsOf(lr, "Container")) {
    if (isObj(item["default"])) limits = item["default"];
    if (isObj(item["defaultRequest"])) requests = item["defaultRequest"];
  }
  if (Object.keys(limits).length === 0 && Object.keys(requests).length === 0) return false;
  const spec = objAt(pod, "spec");
  const parts: string[] = [];
  for (const c of objects(spec["containers"])) parts.push(...mergeContainer(c, limits, requests, "container"));
  for (const c of objects(spec["initContainers"])) parts.push(...mergeContainer(c, limits, requests, "init container"));
  if (parts.length === 0) return false;
  const meta = objAt(pod, "metadata");
  objAt(meta, "annotations")[LIMIT_RANGER_ANNOTATION] = `LimitRanger plugin set: ${parts.join("; ")}`;
  return true;
};

const s = formatQuantity;

const minConstraint = (type: string, name: string, enforced: Quantity, requests: Usage, limits: Usage): string | undefined => {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!req) return `minimum ${name} usage per ${type} is ${s(enforced)}.  No request is specified`;
  if (compareQuantity(req, enforced) < 0) return `minimum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`;
  if (lim && compareQuantity(lim, enforced) < 0) return `minimum ${name} usage per ${type} is ${s(enforced)}, but limit is ${s(lim)}`;
  return undefined;
};

const maxConstraint = (type: string, name: string, enforced: Quantity, requests: Usage, limits: Usage): string | undefined => {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!lim) return `maximum ${name} usage per ${type} is ${s(enforced)}.  No limit is specified`;
  if (compareQuantity(lim, enforced) > 0) return `maximum ${name} usage per ${type} is ${s(enforced)}, but limit is ${s(lim)}`;
  if (req && compareQuantity(req, enforced) > 0) return `maximum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`;
  return undefined;
};

const ratioConstraint = (type: string, name: string, enforced: Quantity, requests: Usage, limits: Usage): string | undefined => {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!req || req.nanos === 0n) return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but no request is specified or request is 0`;
  if (!lim || lim.nanos === 0n) return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but no limit is specified or limit is 0`;
  const ratio = Number(lim.nanos) / Number(req.nanos);
  if (ratio * 1e9 > Number(enforced.nanos)) return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
};

const sorted = (list: unknown): [string, Quantity][] => [...parseResourceList(list)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const checkAll = (item: Obj, type: string, requests: Usage, limits: Usage, out: string[]) => {
  for (const [k, v] of sorted(item["min"])) {
    const e = minConstraint(type, k, v, requests, limits);
    if (e) out.push(e);
  }
  for (const [k, v] of sorted(item["max"])) {
    const e = maxConstraint(type, k, v, requests, limits);
    if (e) out.push(e);
  }
  for (const [k, v] of sorted(item["maxLimitRequestRatio"])) {
    const e = ratioConstraint(type, k, v, requests, limits);
    if (e) out.push(e);
  }
};

/** PodValidateLimitFunc for one LimitRange: kube's messages, in its order. */
export const podLimitRangeErrors = (pod: Obj, lr: Obj): string[] => {
  const out: string[] = [];
  const spec = isObj(pod["spec"]) ? pod["spec"] : {};
  for (const item of objects(isObj(lr["spec"]) ? lr["spec"]["limits"] : undefined)) {
    if (item["type"] === "Container") {
      for (const c of [...objects(spec["containers"]), ...objects(spec["initContainers"])]) {
        const res = isObj(c["resources"]) ? c["resources"] : {};
        checkAll(item, "Container", parseResourceList(res["requests"]), parseResourceList(res["limits"]), out);
      }
    } else if (item["type"] === "Pod") {
      checkAll(item, "Pod", podResources(pod, "requests", false), podResources(pod, "limits", false), out);
    }
  }
  return out;
};

/** PersistentVolumeClaimValidateLimitFunc: the claim's storage request between min and max. */
export const claimLimitRangeErrors = (pvc: Obj, lr: Obj): string[] => {
  const out: string[] = [];
  const spec = isObj(pvc["spec"]) ? pvc["spec"] : {};
  const requests = parseResourceList(isObj(spec["resources"]) ? spec["resources"]["requests"] : undefined);
  for (const item of itemsOf(lr, "PersistentVolumeClaim")) {
    for (const [k, v] of sorted(item["min"])) {
      const req = requests.get(k);
      if (!req) out.push(`minimum ${k} usage per PersistentVolumeClaim is ${s(v)}.  No request is specified`);
      else if (compareQuantity(req, v) < 0) out.push(`minimum ${k} usage per PersistentVolumeClaim is ${s(v)}, but request is ${s(req)}`);
    }
    for (const [k, v] of sorted(item["max"])) {
      const req = requests.get(k);
      if (!req) out.push(`maximum ${k} usage per PersistentVolumeClaim is ${s(v)}.  No request is specified`);
      else if (compareQuantity(req, v) > 0) out.push(`maximum ${k} usage per PersistentVolumeClaim is ${s(v)}, but request is ${s(req)}`);
    }
  }
  return out;
};

/** utilerrors.NewAggregate's text: one message alone, several in brackets. */
export const aggregateMessage = (errors: readonly string[]): string => (errors.length === 1 ? errors[0]! : `[${errors.join(", ")}]`);
