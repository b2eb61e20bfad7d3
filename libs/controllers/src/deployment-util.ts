/**
 * The pure arithmetic of Deployments (Kubernetes' deployment/util): the
 * pod-template-hash, maxSurge/maxUnavailable resolution (surge rounds up,
 * unavailable down), how far a rolling update may scale, revisions and their
 * annotations, proportional scaling and the status/conditions calculation.
 */
import { canonicalJson, clone, jsonEqual, meta, now, type Obj } from "./util.ts";

export const HASH_LABEL = "pod-template-hash";
export const REVISION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
const NOT_COPIED = new Set(["kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, "deprecated.deployment.rollback.to"]);

export const Reason = {
  ReplicaSetUpdated: "ReplicaSetUpdated",
  FailedRSCreate: "ReplicaSetCreateError",
  NewReplicaSetCreated: "NewReplicaSetCreated",
  FoundNewReplicaSet: "FoundNewReplicaSet",
  NewRSAvailable: "NewReplicaSetAvailable",
  TimedOut: "ProgressDeadlineExceeded",
  Paused: "DeploymentPaused",
  Resumed: "DeploymentResumed",
  MinimumReplicasAvailable: "MinimumReplicasAvailable",
  MinimumReplicasUnavailable: "MinimumReplicasUnavailable",
} as const;

// ---- pod-template-hash ----

const fnv32a = (s: string): number => {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
};
const SAFE = "bcdfghjklmnpqrstvwxz2456789";

/**
 * ComputeHash: FNV-32a over the template (canonical JSON here, where
 * Kubernetes hashes Go's struct dump) and the collision count, encoded with
 * rand.SafeEncodeString so it never spells words. Stable across key order.
 */
export const podTemplateHash = (template: unknown, collisionCount?: number): string => {
  const input = canonicalJson(template) + (collisionCount ? String(collisionCount) : "");
  return [...String(fnv32a(input))].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join("");
};

const withoutHash = (template: any) => {
  const t = clone(template ?? {});
  if (t.metadata?.labels) delete t.metadata.labels[HASH_LABEL];
  return t;
};

/** EqualIgnoreHash: is this RS's template the deployment's? */
export const templatesEqual = (a: unknown, b: unknown): boolean => jsonEqual(withoutHash(a), withoutHash(b));

// ---- rollout arithmetic ----

/** intstr.GetScaledValueFromIntOrPercent. */
export const scaledValue = (v: number | string | undefined, total: number, roundUp: boolean): number => {
  if (v === undefined) return 0;
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    if (/^\d+$/.test(v)) return Number(v);
    throw new Error(`invalid value for IntOrString: invalid value "${v}"`);
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
};

const isRolling = (d: Obj) => (d.spec?.strategy?.type ?? "RollingUpdate") === "RollingUpdate";
export const replicasOf = (o: Obj | undefined): number => (o ? (o.spec?.replicas ?? 1) : 0);

/** ResolveFenceposts: surge rounds up, unavailable down; both zero means unavailable 1. */
export const resolveFenceposts = (maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number) => {
  const surge = scaledValue(maxSurge ?? "25%", desired, true);
  const unavailable = scaledValue(maxUnavailable ?? "25%", desired, false);
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
};

export const maxSurge = (d: Obj): number => {
  if (!isRolling(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicasOf(d)).surge;
};

export const maxUnavailable = (d: Obj): number => {
  if (!isRolling(d) || replicasOf(d) === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return Math.min(replicasOf(d), resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicasOf(d)).unavailable);
};

export const sumSpec = (rss: readonly (Obj | undefined)[]) => rss.reduce((n, rs) => n + (rs ? replicasOf(rs) : 0), 0);
const sumStatus = (rss: readonly (Obj | undefined)[], field: string) => rss.reduce((n, rs) => n + (rs?.status?.[field] ?? 0), 0);

/** NewRSNewReplicas: how big the new ReplicaSet may be now. */
export const newRSNewReplicas = (d: Obj, allRSs: readonly (Obj | undefined)[], newRS: Obj): number => {
  if (!isRolling(d)) return replicasOf(d);
  const maxTotal = replicasOf(d) + maxSurge(d);
  const current = sumSpec(allRSs);
  if (current >= maxTotal) return replicasOf(newRS);
  return replicasOf(newRS) + Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
};

/** How many old pods may go now: all pods − minimum available − new pods not yet available. */
export const maxScaledDown = (d: Obj, allRSs: readonly Obj[], newRS: Obj): number =>
  sumSpec(allRSs) - (replicasOf(d) - maxUnavailable(d)) - (replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0));

// ---- revisions and annotations ----

export const revisionOf = (rs: Obj | undefined): number => Number(meta(rs ?? { metadata: {} } as Obj).annotations?.[REVISION] ?? 0) || 0;
export const maxRevision = (rss: readonly Obj[]): number => rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

/** SetNewReplicaSetAnnotations: copy the deployment's annotations, bump the revision (keeping history). Mutates; true when changed. */
export const setNewReplicaSetAnnotations = (d: Obj, rs: Obj, newRevision: number, exists: boolean): boolean => {
  const ann = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(meta(d).annotations ?? {})) {
    if (NOT_COPIED.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  const old = ann[REVISION];
  if ((Number(old) || 0) < newRevision) {
    ann[REVISION] = String(newRevision);
    if (old) ann[REVISION_HISTORY] = ann[REVISION_HISTORY] ? `${ann[REVISION_HISTORY]},${old}` : old;
    changed = true;
  }
  if (!exists) {
    ann[DESIRED_REPLICAS] = String(replicasOf(d));
    ann[MAX_REPLICAS] = String(replicasOf(d) + maxSurge(d));
    changed = true;
  }
  return changed;
};

/** SetReplicasAnnotations; true when changed. */
export const setReplicasAnnotations = (rs: Obj, desired: number, max: number): boolean => {
  const ann = (rs.metadata.annotations ??= {});
  if (ann[DESIRED_REPLICAS] === String(desired) && ann[MAX_REPLICAS] === String(max)) return false;
  ann[DESIRED_REPLICAS] = String(desired);
  ann[MAX_REPLICAS] = String(max);
  return true;
};

// ---- proportional scaling ----

/** getReplicaSetFraction + GetProportion: this RS's share of `toAdd` (bounded by what is left). */
export const proportion = (rs: Obj, d: Obj, toAdd: number, added: number): number => {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  let fraction: number;
  if (replicasOf(d) === 0) fraction = -replicasOf(rs);
  else {
    const annotated = Number(meta(rs).annotations?.[MAX_REPLICAS] ?? NaN);
    const base = Number.isFinite(annotated) && annotated > 0 ? annotated : (d.status?.replicas ?? 0);
    fraction = base ? Math.round((replicasOf(rs) * (replicasOf(d) + maxSurge(d))) / base) - replicasOf(rs) : 0;
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
};

// ---- rollout steps (pure plans; deployment.ts performs them in order) ----

const created = (rs: Obj) => Date.parse(meta(rs).creationTimestamp ?? "") || 0;
/** Oldest first, then by name. */
export const byCreation = (a: Obj, b: Obj) => created(a) - created(b) || meta(a).name.localeCompare(meta(b).name);
export const isActiveRS = (rs: Obj | undefined): rs is Obj => !!rs && replicasOf(rs) > 0;

export interface ScaleStep {
  readonly rs: Obj;
  readonly size: number;
  /** The word in the ScalingReplicaSet event when it is not simply up/down by size. */
  readonly operation?: "up" | "down";
  /** scaleIfNeeded: skip the write when the size is already right (annotations alone are not worth it). */
  readonly onlyIfResized: boolean;
}

/**
 * sync.go scale(): a change of spec.replicas while several ReplicaSets are
 * active is shared among them in proportion to their size (biggest first; up:
 * newest first among equals, down: oldest first), the rounding leftover going
 * to the first; one active (or none) ReplicaSet simply takes the new size; a
 * saturated new ReplicaSet lets the old ones go to zero. Recreate never scales
 * proportionally.
 */
export const scalePlan = (d: Obj, newRS: Obj | undefined, oldRSs: readonly Obj[]): ScaleStep[] => {
  const all = [...oldRSs, newRS].filter((x): x is Obj => !!x);
  const activeRSs = all.filter(isActiveRS);
  const latest = activeRSs.length === 1 ? activeRSs[0] : activeRSs.length === 0 ? (newRS ?? [...oldRSs].sort(byCreation).at(-1)) : undefined;
  if (latest) return [{ rs: latest, size: replicasOf(d), onlyIfResized: true }];
  const saturated = newRS && replicasOf(newRS) === replicasOf(d) && meta(newRS).annotations?.[DESIRED_REPLICAS] === String(replicasOf(d)) &&
    (newRS.status?.availableReplicas ?? 0) === replicasOf(d);
  if (saturated) return oldRSs.filter(isActiveRS).map((rs) => ({ rs, size: 0, onlyIfResized: true }));
  if (d.spec.strategy?.type === "Recreate") return [];
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - sumSpec(activeRSs);
  const sorted = [...activeRSs].sort((a, b) => replicasOf(b) - replicasOf(a) || (toAdd > 0 ? byCreation(b, a) : byCreation(a, b)));
  let added = 0;
  const sizes = sorted.map((rs) => {
    const p = toAdd !== 0 ? proportion(rs, d, toAdd, added) : 0;
    added += p;
    return replicasOf(rs) + p;
  });
  if (sorted.length && toAdd !== 0) sizes[0] = Math.max(0, sizes[0]! + toAdd - added);
  const operation = toAdd > 0 ? "up" : toAdd < 0 ? "down" : undefined;
  return sorted.map((rs, i) => ({ rs, size: sizes[i]!, ...(operation ? { operation } : {}), onlyIfResized: false }));
};

/**
 * rolling.go reconcileOldReplicaSets, first half (cleanupUnhealthyReplicas):
 * within maxScaledDown, old pods that are not available anyway go first,
 * oldest ReplicaSet first. Undefined when no old ReplicaSet may shrink at all
 * (none active, or maxScaledDown ≤ 0): then the second half is skipped too.
 */
export const unhealthyScaleDown = (d: Obj, newRS: Obj, oldRSs: readonly Obj[]): { rs: Obj; size: number }[] | undefined => {
  const activeOld = oldRSs.filter(isActiveRS).sort(byCreation);
  if (activeOld.length === 0) return undefined;
  const maxDown = maxScaledDown(d, [...oldRSs, newRS], newRS);
  if (maxDown <= 0) return undefined;
  const steps: { rs: Obj; size: number }[] = [];
  let total = 0;
  for (const rs of activeOld) {
    if (total >= maxDown) break;
    const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
    if (unhealthy <= 0) continue;
    const n = Math.min(maxDown - total, unhealthy);
    steps.push({ rs, size: replicasOf(rs) - n });
    total += n;
  }
  return steps;
};

/**
 * Second half (scaleDownOldReplicaSetsForRollingUpdate), on the ReplicaSets
 * as the first half left them: available old pods go, oldest ReplicaSet
 * first, while more than replicas - maxUnavailable pods are available.
 */
export const availableScaleDown = (d: Obj, newRS: Obj, oldRSs: readonly Obj[]): { rs: Obj; size: number }[] => {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const availableNow = [...oldRSs, newRS].reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
  if (availableNow <= minAvailable) return [];
  const budget = availableNow - minAvailable;
  const steps: { rs: Obj; size: number }[] = [];
  let scaled = 0;
  for (const rs of oldRSs.filter(isActiveRS).sort(byCreation)) {
    if (scaled >= budget) break;
    const n = Math.min(replicasOf(rs), budget - scaled);
    steps.push({ rs, size: replicasOf(rs) - n });
    scaled += n;
  }
  return steps;
};

/** Both halves as one reconcile performs them (each step's ReplicaSet as the original object). */
export const oldReplicaSetsScaleDown = (d: Obj, newRS: Obj, oldRSs: readonly Obj[]): { rs: Obj; size: number }[] => {
  const first = unhealthyScaleDown(d, newRS, oldRSs);
  if (!first) return [];
  const resized = new Map(first.map((s) => [s.rs, s.size]));
  const copies = oldRSs.map((rs) => (resized.has(rs) ? ({ ...rs, spec: { ...rs.spec, replicas: resized.get(rs) }, original: rs } as Obj) : rs));
  const second = availableScaleDown(d, newRS, copies).map((s) => ({ rs: ((s.rs as { original?: Obj }).original ?? s.rs) as Obj, size: s.size }));
  return [...first, ...second];
};

// ---- status ----

export interface DeploymentCondition {
  type: string;
  status: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export const newCondition = (type: string, status: string, reason: string, message: string): DeploymentCondition => {
  const t = now();
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
};

export const getCondition = (status: any, type: string): DeploymentCondition | undefined =>
  ((status?.conditions ?? []) as DeploymentCondition[]).find((c) => c.type === type);

/** SetDeploymentCondition: same status and reason → unchanged; same status → keep the transition time. */
export const setCondition = (status: any, c: DeploymentCondition): void => {
  const current = getCondition(status, c.type);
  if (current && current.status === c.status && current.reason === c.reason) return;
  if (current && current.status === c.status) c.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...((status.conditions ?? []) as DeploymentCondition[]).filter((x) => x.type !== c.type), c];
};

export const removeCondition = (status: any, type: string): void => {
  status.conditions = ((status.conditions ?? []) as DeploymentCondition[]).filter((x) => x.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
};

/** calculateStatus, with Kubernetes' omitempty on zero counts. */
export const calculateStatus = (allRSs: readonly Obj[], newRS: Obj | undefined, d: Obj): any => {
  const available = sumStatus(allRSs, "availableReplicas");
  const unavailable = Math.max(0, sumSpec(allRSs) - available);
  const counts: Record<string, number | undefined> = {
    observedGeneration: meta(d).generation,
    replicas: sumStatus(allRSs, "replicas"),
    updatedReplicas: sumStatus([newRS], "replicas"),
    readyReplicas: sumStatus(allRSs, "readyReplicas"),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    collisionCount: d.status?.collisionCount,
  };
  const status: any = Object.fromEntries(Object.entries(counts).filter(([, v]) => v));
  if (d.status?.conditions?.length) status.conditions = clone(d.status.conditions);
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition("Available", "True", Reason.MinimumReplicasAvailable, "Deployment has minimum availability."));
  } else {
    setCondition(status, newCondition("Available", "False", Reason.MinimumReplicasUnavailable, "Deployment does not have minimum availability."));
  }
  return status;
};

export const deploymentComplete = (d: Obj, s: any): boolean =>
  (s.updatedReplicas ?? 0) === replicasOf(d) && (s.replicas ?? 0) === replicasOf(d) && (s.availableReplicas ?? 0) === replicasOf(d) &&
  (s.observedGeneration ?? 0) >= (meta(d).generation ?? 0);

export const deploymentProgressing = (d: Obj, s: any): boolean => {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
};

export const hasProgressDeadline = (d: Obj): boolean => {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== 2147483647;
};

export const deploymentTimedOut = (d: Obj, at = Date.now()): boolean => {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(d.status, "Progressing");
  if (!c || c.reason === Reason.NewRSAvailable) return false;
  if (c.reason === Reason.TimedOut) return true;
  return Date.parse(c.lastUpdateTime ?? "") + d.spec.progressDeadlineSeconds * 1000 < at;
};
