/**
 * Quota arithmetic, as pkg/quota/v1 and its core evaluators compute it: what
 * one object uses of each quota resource name, which names a quota's hard
 * list restricts for a kind, the pod "must specify" constraint, and the
 * ResourceList sums and comparisons the ResourceQuota admission plugin and
 * the resourcequota controller share. Pure functions on plain JSON objects.
 */
import { addQuantity, compareQuantity, formatQuantity, parseQuantity, type Quantity } from "./quantity.ts";
import { type Obj, isObj, objects, str } from "./plain.ts";

/** A parsed ResourceList. */
export type Usage = Map<string, Quantity>;

const ONE: Quantity = { nanos: 1_000_000_000n, format: "DecimalSI" };
const ZERO: Quantity = { nanos: 0n, format: "DecimalSI" };

/** A JSON ResourceList parsed (unparsable entries dropped: validation refuses them on write). */
export const parseResourceList = (list: unknown): Usage => {
  const out: Usage = new Map();
  if (!isObj(list)) return out;
  for (const [k, v] of Object.entries(list)) {
    try {
      out.set(k, parseQuantity(v as string | number));
    } catch {
      // not a quantity
    }
  }
  return out;
};

/** A ResourceList as JSON, keys sorted, quantities canonical. */
export const resourceListJson = (u: Usage): Record<string, string> =>
  Object.fromEntries([...u.keys()].sort().map((k) => [k, formatQuantity(u.get(k)!)]));

/** quota.Add: every key of either, summed. */
export const addUsage = (a: Usage, b: Usage): Usage => {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, out.has(k) ? addQuantity(out.get(k)!, v) : v);
  return out;
};

/** quota.SubtractWithNonNegativeResult: a - b per name of `a`, never below zero (what an update adds). */
export const subtractUsage = (a: Usage, b: Usage): Usage => {
  const out: Usage = new Map();
  for (const [k, v] of a) {
    const rest = b.has(k) ? v.nanos - b.get(k)!.nanos : v.nanos;
    out.set(k, { nanos: rest > 0n ? rest : 0n, format: v.format });
  }
  return out;
};

/** quota.Mask: only the given names. */
export const maskUsage = (u: Usage, names: Iterable<string>): Usage => {
  const out: Usage = new Map();
  for (const n of names) if (u.has(n)) out.set(n, u.get(n)!);
  return out;
};

/** quota.LessThanOrEqual: the names of `a` above `b` (names `b` lacks never exceed), sorted. */
export const exceededNames = (a: Usage, b: Usage): string[] =>
  [...a.keys()].filter((k) => b.has(k) && compareQuantity(a.get(k)!, b.get(k)!) > 0).sort();

/** quota.Equals on the JSON forms. */
export const sameUsage = (a: Usage, b: Usage): boolean =>
  a.size === b.size && [...a].every(([k, v]) => b.has(k) && compareQuantity(v, b.get(k)!) === 0);

/** prettyPrint: `k=v` joined by ",", keys sorted. */
export const prettyPrintUsage = (u: Usage): string =>
  [...u.keys()].sort().map((k) => `${k}=${formatQuantity(u.get(k)!)}`).join(",");

/** The object-count name of a resource: `count/pods`, `count/deployments.apps`. */
export const objectCountName = (group: string, resource: string): string => (group ? `count/${resource}.${group}` : `count/${resource}`);

/** Core kinds that also have a legacy bare name (`pods`, `services`, ...) counting them. */
const LEGACY_COUNT = new Set(["pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "replicationcontrollers", "resourcequotas"]);

const COMPUTE = ["cpu", "memory", "ephemeral-storage"];
const isHugePages = (name: string) => name.startsWith("hugepages-");
/** helper.IsExtendedResourceName: a domain-qualified name outside kubernetes.io, not requests.* itself. */
const isExtended = (name: string) =>
  name.includes("/") && !name.startsWith("requests.") && !/(^|\.)kubernetes\.io\//.test(name) && !name.startsWith("count/");

/** The quota names the evaluator of `group/resource` understands among `hard` (MatchingResources). */
export const matchingResources = (group: string, resource: string, hard: Iterable<string>): string[] => {
  const count = objectCountName(group, resource);
  const out: string[] = [];
  for (const name of hard) {
    if (name === count || (group === "" && LEGACY_COUNT.has(resource) && name === resource)) out.push(name);
    else if (group !== "") continue;
    else if (resource === "pods") {
      if (
        COMPUTE.includes(name) ||
        COMPUTE.some((c) => name === `requests.${c}` || name === `limits.${c}`) ||
        (name.startsWith("requests.") && (isHugePages(name.slice(9)) || name.slice(9).includes("/"))) ||
        isHugePages(name)
      )
        out.push(name);
    } else if (resource === "services") {
      if (name === "services.loadbalancers" || name === "services.nodeports") out.push(name);
    } else if (resource === "persistentvolumeclaims") {
      if (name === "requests.storage" || /\.storageclass\.storage\.k8s\.io\/(requests\.storage|persistentvolumeclaims)$/.test(name)) out.push(name);
    }
  }
  return out;
};

const addTo = (into: Usage, k: string, v: Quantity) => into.set(k, into.has(k) ? addQuantity(into.get(k)!, v) : v);
const sumInto = (into: Usage, u: Usage) => {
  for (const [k, v] of u) addTo(into, k, v);
};
const maxInto = (into: Usage, u: Usage) => {
  for (const [k, v] of u) if (!into.has(k) || compareQuantity(v, into.get(k)!) > 0) into.set(k, v);
};

/**
 * resourcehelper.PodRequests / PodLimits (k8s.io/component-helpers, the
 * scheduler's `podRequests` follows the same rule in its own units): app
 * containers and restartable init containers (sidecars) summed; each regular
 * init container counts with the sidecars started before it, and the pod
 * needs the larger of that and the sum. Overhead is added to every request,
 * but only to non-zero limits the pod sets (an absent limit means unlimited);
 * the LimitRanger leaves it out (`withOverhead` false), as kube's does.
 */
export const podResources = (pod: Obj, field: "requests" | "limits", withOverhead = true): Usage => {
  const spec = isObj(pod["spec"]) ? pod["spec"] : {};
  const listOf = (c: Obj) => parseResourceList(isObj(c["resources"]) ? c["resources"][field] : undefined);
  const sum: Usage = new Map();
  for (const c of objects(spec["containers"])) sumInto(sum, listOf(c));
  const sidecars: Usage = new Map();
  const init: Usage = new Map();
  for (const c of objects(spec["initContainers"])) {
    if (c["restartPolicy"] === "Always") {
      sumInto(sum, listOf(c));
      sumInto(sidecars, listOf(c));
      maxInto(init, sidecars);
    } else {
      const running = new Map(sidecars);
      sumInto(running, listOf(c));
      maxInto(init, running);
    }
  }
  maxInto(sum, init);
  if (withOverhead)
    for (const [k, v] of parseResourceList(spec["overhead"]))
      if (field === "requests" || (sum.get(k)?.nanos ?? 0n) !== 0n) addTo(sum, k, v);
  return sum;
};

/** podComputeUsageHelper: pods=1 and the compute names a pod's (or container's) requests and limits give. */
const computeUsage = (requests: Usage, limits: Usage): Usage => {
  const out: Usage = new Map([["pods", ONE]]);
  for (const c of COMPUTE) {
    if (requests.has(c)) {
      out.set(c, requests.get(c)!);
      out.set(`requests.${c}`, requests.get(c)!);
    }
    if (limits.has(c)) out.set(`limits.${c}`, limits.get(c)!);
  }
  for (const [k, v] of requests) {
    if (isHugePages(k)) {
      out.set(k, v);
      out.set(`requests.${k}`, v);
    } else if (isExtended(k)) out.set(`requests.${k}`, v);
  }
  return out;
};

/** QuotaV1Pod: terminal pods, and pods past their deletion grace period, no longer use compute quota. */
export const podCountsForQuota = (pod: Obj, now = Date.now()): boolean => {
  const phase = isObj(pod["status"]) ? pod["status"]["phase"] : undefined;
  if (phase === "Succeeded" || phase === "Failed") return false;
  const meta = isObj(pod["metadata"]) ? pod["metadata"] : {};
  if (typeof meta["deletionTimestamp"] === "string" && typeof meta["deletionGracePeriodSeconds"] === "number") {
    if (now > Date.parse(meta["deletionTimestamp"]) + meta["deletionGracePeriodSeconds"] * 1000) return false;
  }
  return true;
};

/** What one object uses, by quota name (the evaluators' Usage). */
export const objectUsage = (group: string, resource: string, obj: Obj, now = Date.now()): Usage => {
  const out: Usage = new Map([[objectCountName(group, resource), ONE]]);
  if (group !== "") return out;
  if (resource === "pods") {
    if (!podCountsForQuota(obj, now)) return out;
    return addUsage(out, computeUsage(podResources(obj, "requests"), podResources(obj, "limits")));
  }
  if (LEGACY_COUNT.has(resource)) out.set(resource, ONE);
  const spec = isObj(obj["spec"]) ? obj["spec"] : {};
  if (resource === "services") {
    const ports = objects(spec["ports"]).length;
    if (spec["type"] === "LoadBalancer") {
      out.set("services.loadbalancers", ONE);
      out.set("services.nodeports", { nanos: BigInt(ports) * ONE.nanos, format: "DecimalSI" });
    } else if (spec["type"] === "NodePort") out.set("services.nodeports", { nanos: BigInt(ports) * ONE.nanos, format: "DecimalSI" });
  } else if (resource === "persistentvolumeclaims") {
    const className = str(spec["storageClassName"]);
    if (className) out.set(`${className}.storageclass.storage.k8s.io/persistentvolumeclaims`, ONE);
    const storage = parseResourceList(isObj(spec["resources"]) ? spec["resources"]["requests"] : undefined).get("storage");
    if (storage) {
      out.set("requests.storage", storage);
      if (className) out.set(`${className}.storageclass.storage.k8s.io/requests.storage`, storage);
    }
  }
  return out;
};

/** Names kube requires every container to request explicitly when a quota limits them. */
const MUST_SPECIFY = new Set(["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]);

/**
 * podEvaluator.Constraints: with cpu/memory quota'd, every container must
 * request (limit) them. Returns kube's "must specify ..." text, or undefined.
 */
export const podConstraintError = (pod: Obj, restricted: Iterable<string>): string | undefined => {
  const required = [...restricted].filter((n) => MUST_SPECIFY.has(n));
  if (required.length === 0) return undefined;
  const spec = isObj(pod["spec"]) ? pod["spec"] : {};
  const missing = new Map<string, Set<string>>();
  for (const c of [...objects(spec["containers"]), ...objects(spec["initContainers"])]) {
    const res = isObj(c["resources"]) ? c["resources"] : {};
    const has = computeUsage(parseResourceList(res["requests"]), parseResourceList(res["limits"]));
    for (const r of required) if (!has.has(r)) (missing.get(r) ?? missing.set(r, new Set()).get(r)!).add(str(c["name"]));
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(",")}`);
  return `must specify ${parts.join("; ")}`;
};

/** Whether a quota applies to an object: scoped quotas (spec.scopes, scopeSelector) count only the pods they select. */
export const quotaMatches = (quota: Obj, group: string, resource: string, obj: Obj): boolean => {
  const spec = isObj(quota["spec"]) ? quota["spec"] : {};
  const scopes: { scopeName: string; operator: string; values: string[] }[] = [
    ...(Array.isArray(spec["scopes"]) ? spec["scopes"] : []).map((s) => ({ scopeName: String(s), operator: "Exists", values: [] })),
    ...objects(isObj(spec["scopeSelector"]) ? spec["scopeSelector"]["matchExpressions"] : undefined).map((e) => ({
      scopeName: str(e["scopeName"]),
      operator: str(e["operator"]),
      values: Array.isArray(e["values"]) ? e["values"].map(String) : [],
    })),
  ];
  if (scopes.length === 0) return true;
  if (group !== "" || resource !== "pods") return false;
  const podSpec = isObj(obj["spec"]) ? obj["spec"] : {};
  const bestEffort = [...objects(podSpec["containers"]), ...objects(podSpec["initContainers"])].every((c) => {
    const r = isObj(c["resources"]) ? c["resources"] : {};
    return parseResourceList(r["requests"]).size === 0 && parseResourceList(r["limits"]).size === 0;
  });
  const terminating = typeof podSpec["activeDeadlineSeconds"] === "number" && podSpec["activeDeadlineSeconds"] >= 0;
  return scopes.every((s) => {
    switch (s.scopeName) {
      case "Terminating":
        return terminating;
      case "NotTerminating":
        return !terminating;
      case "BestEffort":
        return bestEffort;
      case "NotBestEffort":
        return !bestEffort;
      case "PriorityClass": {
        const pc = str(podSpec["priorityClassName"]);
        if (s.operator === "Exists") return pc !== "";
        if (s.operator === "DoesNotExist") return pc === "";
        if (s.operator === "In") return s.values.includes(pc);
        if (s.operator === "NotIn") return !s.values.includes(pc);
        return false;
      }
      case "CrossNamespacePodAffinity":
        return false;
      default:
        return false;
    }
  });
};

/**
 * The ResourceQuota admission check of one quota for one new object: a
 * reason to refuse (kube's text after `is forbidden: `), or the quota's new
 * status.used. `delta` is objectUsage of the object.
 */
export const chargeQuota = (quota: Obj, group: string, resource: string, obj: Obj, delta: Usage): { error: string } | { used: Usage } | undefined => {
  const name = str(isObj(quota["metadata"]) ? quota["metadata"]["name"] : undefined);
  const status = isObj(quota["status"]) ? quota["status"] : {};
  const hard = parseResourceList(status["hard"]);
  const used = parseResourceList(status["used"]);
  if (!quotaMatches(quota, group, resource, obj)) return undefined;
  const restricted = matchingResources(group, resource, hard.keys());
  if (group === "" && resource === "pods") {
    const err = podConstraintError(obj, restricted);
    if (err) return { error: `failed quota: ${name}: ${err}` };
  }
  const missing = restricted.filter((r) => !used.has(r));
  if (missing.length) return { error: `status unknown for quota: ${name}, resources: ${[...restricted].sort().join(",")}` };
  const requested = maskUsage(delta, hard.keys());
  for (const [k, v] of requested) if (v.nanos === 0n) requested.delete(k);
  if (requested.size === 0) return undefined;
  const next = addUsage(used, requested);
  const exceeded = exceededNames(maskUsage(next, requested.keys()), hard);
  if (exceeded.length) {
    return {
      error: `exceeded quota: ${name}, requested: ${prettyPrintUsage(maskUsage(requested, exceeded))}, used: ${prettyPrintUsage(maskUsage(used, exceeded))}, limited: ${prettyPrintUsage(maskUsage(hard, exceeded))}`,
    };
  }
  return { used: next };
};

/**
 * The resourcequota controller's usage for one quota: for every name in
 * spec.hard the evaluators understand, the sum over the namespace's objects
 * the quota matches (zero when none). `objectsOf` gives the objects of a
 * resource in the quota's namespace; names no evaluator knows keep their old used value.
 */
export const calculateUsage = (
  quota: Obj,
  hardNames: readonly string[],
  kinds: readonly { group: string; resource: string }[],
  objectsOf: (group: string, resource: string) => readonly Obj[],
  now = Date.now(),
): Usage => {
  const out: Usage = new Map();
  for (const { group, resource } of kinds) {
    const names = matchingResources(group, resource, hardNames);
    if (names.length === 0) continue;
    for (const n of names) out.set(n, ZERO);
    for (const obj of objectsOf(group, resource)) {
      if (!quotaMatches(quota, group, resource, obj)) continue;
      for (const [k, v] of maskUsage(objectUsage(group, resource, obj, now), names)) out.set(k, addQuantity(out.get(k)!, v));
    }
  }
  return out;
};
