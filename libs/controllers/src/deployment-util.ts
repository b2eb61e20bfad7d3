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
