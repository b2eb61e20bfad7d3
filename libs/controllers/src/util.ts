/**
 * Small pure helpers shared by the controllers: object metadata access,
 * controller references, pod readiness, the ranking that picks which pods a
 * ReplicaSet deletes first, and the label-selector bridge.
 */
import { isStatusError, labelSelectorFromApi, matchesLabels, rfc3339, type Selector } from "@kubeactor/api";
import type { JsonObject } from "@kubeactor/bus";

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface Meta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** Any object as controllers read it: loosely typed, with metadata spelled out. */
export type Obj = JsonObject & { metadata: Meta; spec?: any; status?: any };

export const meta = (o: JsonObject): Meta => (o.metadata ?? {}) as Meta;
export const clone = <T>(o: T): T => structuredClone(o) as T;

export const controllerOf = (o: JsonObject): OwnerReference | undefined => meta(o).ownerReferences?.find((r) => r.controller === true);

/** The reference a controller puts on what it creates (controller=true, blockOwnerDeletion=true). */
export const controllerRef = (owner: JsonObject): OwnerReference => ({
  apiVersion: owner.apiVersion as string,
  kind: owner.kind as string,
  name: meta(owner).name,
  uid: meta(owner).uid,
  controller: true,
  blockOwnerDeletion: true,
});

/**
 * A workload's spec.selector as a Selector: a LabelSelector, or a
 * ReplicationController's plain label map read as its matchLabels (kube's
 * RC → ReplicaSet conversion). An invalid selector selects nothing.
 */
export const selectorOf = (o: Obj): Selector => {
  try {
    if (o.kind === "ReplicationController" && o.apiVersion === "v1") return labelSelectorFromApi(o.spec?.selector ? { matchLabels: o.spec.selector } : undefined);
    return labelSelectorFromApi(o.spec?.selector);
  } catch {
    return { requirements: [], nothing: true };
  }
};

export const matches = (sel: Selector, o: JsonObject): boolean => matchesLabels(sel, meta(o).labels);

export const isNotFound = (e: unknown): boolean => isStatusError(e) && e.status.code === 404;
export const isConflict = (e: unknown): boolean => isStatusError(e) && e.status.code === 409;
export const isAlreadyExists = (e: unknown): boolean => isStatusError(e) && e.status.reason === "AlreadyExists";

/** metav1.Time at whole seconds. */
export const now = (date = new Date()): string => rfc3339(date);

// ---- pods ----

type Condition = { type: string; status: string; lastTransitionTime?: string };

const readyCondition = (pod: Obj): Condition | undefined =>
  ((pod.status?.conditions ?? []) as Condition[]).find((c) => c.type === "Ready");

export const isPodActive = (pod: Obj): boolean =>
  pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed" && !meta(pod).deletionTimestamp;

export const isPodReady = (pod: Obj): boolean => readyCondition(pod)?.status === "True";

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export const isPodAvailable = (pod: Obj, minReadySeconds: number, at = Date.now()): boolean => {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(readyCondition(pod)?.lastTransitionTime ?? "");
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= at;
};

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";
const restarts = (pod: Obj) => Math.max(0, ...((pod.status?.containerStatuses ?? []) as { restartCount?: number }[]).map((c) => c.restartCount ?? 0));
const time = (t: string | undefined) => (t ? Date.parse(t) : 0);

/**
 * ActivePodsWithRanks.Less: the pods a controller should delete first come
 * first — unscheduled < scheduled, Pending < Unknown < Running, not ready <
 * ready, lower pod-deletion-cost, more pods on the same node, ready for a
 * shorter time, more restarts, newer.
 */
export const rankPodsForDeletion = (pods: readonly Obj[], related: readonly Obj[] = pods): Obj[] => {
  const perNode = new Map<string, number>();
  for (const p of related) if (p.spec?.nodeName && isPodActive(p)) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const rank = (p: Obj) => (p.spec?.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  const cmp = (a: Obj, b: Obj): number => {
    const na = a.spec?.nodeName ?? "", nb = b.spec?.nodeName ?? "";
    if (na !== nb && (!na || !nb)) return na ? 1 : -1;
    const pa = PHASE_ORDER[a.status?.phase] ?? 0, pb = PHASE_ORDER[b.status?.phase] ?? 0;
    if (pa !== pb) return pa - pb;
    if (isPodReady(a) !== isPodReady(b)) return isPodReady(a) ? 1 : -1;
    const ca = Number(meta(a).annotations?.[DELETION_COST] ?? 0), cb = Number(meta(b).annotations?.[DELETION_COST] ?? 0);
    if (ca !== cb) return ca - cb;
    if (rank(a) !== rank(b)) return rank(b) - rank(a);
    if (isPodReady(a) && isPodReady(b)) {
      const ra = time(readyCondition(a)?.lastTransitionTime), rb = time(readyCondition(b)?.lastTransitionTime);
      if (ra !== rb) return rb - ra;
    }
    if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
    return time(meta(b).creationTimestamp) - time(meta(a).creationTimestamp);
  };
  return [...pods].sort(cmp);
};

/** Runs `count` calls in batches 1, 2, 4, ... stopping at the first batch with an error (slowStartBatch). */
export const slowStartBatch = async (count: number, initial: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> => {
  let remaining = count;
  let successes = 0;
  for (let size = Math.min(remaining, initial); size > 0; size = Math.min(2 * size, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: size }, fn));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    successes += size - failed.length;
    if (failed.length) return { successes, error: failed[0]!.reason };
    remaining -= size;
  }
  return { successes };
};

/** Deep equality of JSON values, independent of key order. */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => jsonEqual(v, (b as unknown[])[i]));
  const ka = Object.keys(a).filter((k) => (a as any)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as any)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as any)[k], (b as any)[k]));
};

/** JSON with sorted keys: the stable input of hashes. */
export const canonicalJson = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .filter((k) => (v as any)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as any)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
};
