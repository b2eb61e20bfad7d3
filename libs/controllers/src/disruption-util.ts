/**
 * The disruption controller's decisions (pkg/controller/disruption), as pure
 * functions of a budget, its pods and their controllers' scales:
 *
 *   expectedPods   — minAvailable as an integer: the matching pods; otherwise
 *                    the summed scale of the controllers owning them,
 *   desiredHealthy — minAvailable (percent rounded up), or expectedPods −
 *                    maxUnavailable (percent rounded up), never below 0,
 *   currentHealthy — matching pods that are Ready, not terminating and not
 *                    recently evicted (status.disruptedPods, for 2 minutes),
 *   disruptionsAllowed = max(0, currentHealthy − desiredHealthy), and 0
 *                    while expectedPods is 0.
 */
import { labelSelectorFromApi, matchesLabels, rfc3339 } from "@kubeactor/api";
import { scaledValue } from "./deployment-util.ts";
import { controllerOf, isPodReady, meta, type Obj } from "./util.ts";

/** How long an eviction keeps a pod out of currentHealthy before the controller gives up waiting for its deletion. */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export const DISRUPTION_ALLOWED = "DisruptionAllowed";

export interface BudgetCondition {
  type: string;
  status: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface BudgetStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: BudgetCondition[];
}

/** The controller that owns a pod and its desired replica count, or undefined when none could be found. */
export interface ControllerScale {
  readonly uid: string;
  readonly scale: number;
}
export type ScaleFinder = (pod: Obj) => ControllerScale | undefined;

/** The pods of the namespace a budget selects: a missing selector selects none, an empty one all (policy/v1). */
export const selectsPod = (pdb: Obj, pod: Obj): boolean => {
  if (meta(pod).namespace !== meta(pdb).namespace) return false;
  try {
    return matchesLabels(labelSelectorFromApi(pdb.spec?.selector), meta(pod).labels ?? {});
  } catch {
    return false;
  }
};

/** Budgets round percentages up (GetScaledValueFromIntOrPercent(v, total, true)). */
const scaledUp = (v: number | string, total: number): number => scaledValue(v, total, true);

/** getExpectedScale: the summed scale of the controllers owning the pods; unmanaged pods are reported, not counted. */
export const expectedScale = (pods: readonly Obj[], findScale: ScaleFinder): { expected: number; unmanaged: string[] } => {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) {
      unmanaged.push(meta(pod).name);
      continue;
    }
    if (scales.has(ref.uid)) continue;
    const found = findScale(pod);
    if (!found) throw new Error(`found no controllers for pod "${meta(pod).name}"`);
    scales.set(found.uid, found.scale);
  }
  let expected = 0;
  for (const s of scales.values()) expected += s;
  return { expected, unmanaged };
};

/** getExpectedPodCount: expectedPods and desiredHealthy. Throws (the controller's SyncFailed) when a pod's controller is missing. */
export const expectedPodCount = (pdb: Obj, pods: readonly Obj[], findScale: ScaleFinder): { expected: number; desired: number; unmanaged: string[] } => {
  const { minAvailable, maxUnavailable } = (pdb.spec ?? {}) as { minAvailable?: number | string; maxUnavailable?: number | string };
  if (maxUnavailable !== undefined) {
    const { expected, unmanaged } = expectedScale(pods, findScale);
    return { expected, desired: Math.max(0, expected - scaledUp(maxUnavailable, expected)), unmanaged };
  }
  if (typeof minAvailable === "number") return { expected: pods.length, desired: minAvailable, unmanaged: [] };
  if (typeof minAvailable === "string") {
    const { expected, unmanaged } = expectedScale(pods, findScale);
    return { expected, desired: scaledUp(minAvailable, expected), unmanaged };
  }
  return { expected: 0, desired: 0, unmanaged: [] };
};

/**
 * buildDisruptedPodMap: the evictions still pending — entries for pods that
 * exist, are not yet being deleted and were evicted less than two minutes
 * ago. `recheckAt` is when the earliest of them expires; `expired` are pods
 * the controller waited for in vain (upstream's NotDeleted event).
 */
export const pendingDisruptions = (
  pdb: Obj,
  pods: readonly Obj[],
  now: number,
): { disrupted: Record<string, string>; recheckAt?: number; expired: string[] } => {
  const recorded = (pdb.status?.disruptedPods ?? {}) as Record<string, string>;
  const disrupted: Record<string, string> = {};
  const expired: string[] = [];
  let recheckAt: number | undefined;
  for (const pod of pods) {
    const name = meta(pod).name;
    if (meta(pod).deletionTimestamp || recorded[name] === undefined) continue;
    const deadline = Date.parse(recorded[name]) + DELETION_TIMEOUT_MS;
    if (!(deadline >= now)) {
      expired.push(name);
      continue;
    }
    disrupted[name] = recorded[name];
    if (recheckAt === undefined || deadline < recheckAt) recheckAt = deadline;
  }
  return { disrupted, expired, ...(recheckAt !== undefined ? { recheckAt } : {}) };
};

/** countHealthyPods: Ready, not terminating, not awaiting deletion after an eviction. */
export const countHealthy = (pods: readonly Obj[], disrupted: Readonly<Record<string, string>>, now: number): number => {
  let healthy = 0;
  for (const pod of pods) {
    if (meta(pod).deletionTimestamp) continue;
    const at = disrupted[meta(pod).name];
    if (at !== undefined && Date.parse(at) + DELETION_TIMEOUT_MS > now) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
};

/** apimeta.SetStatusCondition: the transition time moves only when the status changes. */
export const setBudgetCondition = (conditions: readonly BudgetCondition[] | undefined, c: BudgetCondition, at: string): BudgetCondition[] => {
  const out = [...(conditions ?? [])];
  const i = out.findIndex((x) => x.type === c.type);
  if (i < 0) return [...out, { ...c, lastTransitionTime: at }];
  out[i] = { ...c, lastTransitionTime: out[i]!.status === c.status && out[i]!.lastTransitionTime ? out[i]!.lastTransitionTime : at };
  return out;
};

/** UpdateDisruptionAllowedCondition. */
export const disruptionAllowedCondition = (disruptionsAllowed: number, observedGeneration: number | undefined): BudgetCondition =>
  disruptionsAllowed > 0
    ? { type: DISRUPTION_ALLOWED, status: "True", reason: "SufficientPods", message: "", ...(observedGeneration !== undefined ? { observedGeneration } : {}) }
    : { type: DISRUPTION_ALLOWED, status: "False", reason: "InsufficientPods", message: "", ...(observedGeneration !== undefined ? { observedGeneration } : {}) };

/** ConditionsAreUpToDate. */
const conditionsUpToDate = (status: BudgetStatus | undefined, generation: number | undefined): boolean => {
  const cond = status?.conditions?.find((c) => c.type === DISRUPTION_ALLOWED);
  if (!cond || status?.observedGeneration !== generation) return false;
  return status!.disruptionsAllowed > 0 ? cond.status === "True" && cond.reason === "SufficientPods" : cond.status === "False" && cond.reason === "InsufficientPods";
};

const sameDisrupted = (a: Record<string, string> | undefined, b: Record<string, string>): boolean => {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => a![k] === b[k]);
};

export interface BudgetDecision {
  /** The status to write, or undefined when the stored one is already right. */
  readonly status?: BudgetStatus;
  /** Reconcile again then (ms since epoch): a pending disruption expires. */
  readonly recheckAt?: number;
  readonly unmanaged: readonly string[];
  readonly expired: readonly string[];
  readonly noPods: boolean;
}

/** trySync + updatePdbStatus: the budget's next status from its pods. Throws when a pod's controller cannot be found (see `failSafeStatus`). */
export const decideBudget = (pdb: Obj, pods: readonly Obj[], findScale: ScaleFinder, now: number): BudgetDecision => {
  const { expected, desired, unmanaged } = expectedPodCount(pdb, pods, findScale);
  const { disrupted, recheckAt, expired } = pendingDisruptions(pdb, pods, now);
  const currentHealthy = countHealthy(pods, disrupted, now);
  // expectedPods must be > 0: a budget whose first pods appear before this controller counted them stays safe.
  const allowed = expected <= 0 ? 0 : Math.max(0, currentHealthy - desired);
  const old = pdb.status as BudgetStatus | undefined;
  const generation = meta(pdb).generation;
  const base = { unmanaged, expired, noPods: pods.length === 0, ...(recheckAt !== undefined ? { recheckAt } : {}) };
  if (
    old &&
    old.currentHealthy === currentHealthy &&
    old.desiredHealthy === desired &&
    old.expectedPods === expected &&
    old.disruptionsAllowed === allowed &&
    sameDisrupted(old.disruptedPods, disrupted) &&
    conditionsUpToDate(old, generation)
  )
    return base;
  const at = rfc3339(now);
  const status: BudgetStatus = {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
    disruptionsAllowed: allowed,
    currentHealthy,
    desiredHealthy: desired,
    expectedPods: expected,
    conditions: setBudgetCondition(old?.conditions, disruptionAllowedCondition(allowed, generation), at),
  };
  return { ...base, status };
};

/** failSafe: a budget that could not be computed allows no disruption (DisruptionAllowed False, SyncFailed). */
export const failSafeStatus = (pdb: Obj, error: string, now: number): BudgetStatus => {
  const old = (pdb.status ?? { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }) as BudgetStatus;
  const at = rfc3339(now);
  const cond: BudgetCondition = {
    type: DISRUPTION_ALLOWED,
    status: "False",
    reason: "SyncFailed",
    message: error,
    ...(old.observedGeneration !== undefined ? { observedGeneration: old.observedGeneration } : {}),
  };
  return { ...old, disruptionsAllowed: 0, conditions: setBudgetCondition(old.conditions, cond, at) };
};

/** How long a DisruptionTarget=True condition may stand on a pod that is not being deleted (upstream's stalePodDisruptionTimeout). */
export const STALE_POD_DISRUPTION_MS = 2 * 60_000;

/**
 * nonTerminatingPodHasStaleDisruptionCondition: undefined when the pod's
 * DisruptionTarget condition needs no cleanup (absent, False, set by the
 * kubelet, or the pod is terminal or being deleted); otherwise how long until
 * it is stale (0: reset it now). An eviction or preemption whose delete never
 * happened leaves such a condition behind.
 */
export const staleDisruptionWait = (pod: Obj, now: number): number | undefined => {
  if (meta(pod).deletionTimestamp) return undefined;
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return undefined;
  const cond = ((pod.status?.conditions ?? []) as BudgetCondition[]).find((c) => c.type === "DisruptionTarget");
  if (!cond || cond.status !== "True" || cond.reason === "TerminationByKubelet") return undefined;
  const since = Date.parse(cond.lastTransitionTime ?? "");
  return Math.max(0, (Number.isFinite(since) ? since : 0) + STALE_POD_DISRUPTION_MS - now);
};
