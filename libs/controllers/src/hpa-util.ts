/**
 * The horizontal pod autoscaler's decisions as pure functions, after
 * pkg/controller/podautoscaler (replica_calculator.go, horizontal.go) for an
 * autoscaling/v1 object: one CPU utilization metric and no `behavior`, so
 * kube's non-behavior path applies — the highest recommendation of the
 * downscale stabilization window, then at most max(2 × current, 4) replicas
 * per sync, clamped to [minReplicas, maxReplicas].
 *
 * `planAutoscaler` takes what the controller read (the autoscaler, its
 * target's Scale, the pods the Scale selects, their PodMetrics or the error
 * reading them) and the time, and returns what to write: the new replicas,
 * the status, the conditions and the events, all with kube's reasons and
 * messages.
 */
import { DEFAULT_CPU_UTILIZATION, milliValue, parseLabelSelector, rfc3339, tryParseQuantity } from "@kubeactor/api";
import { matches, meta, type Obj } from "./util.ts";

/** --horizontal-pod-autoscaler-tolerance: no rescale while usage/target is within 1 ± this. */
export const DEFAULT_TOLERANCE = 0.1;
/** --horizontal-pod-autoscaler-cpu-initialization-period: a starting pod's CPU samples need care for this long. */
export const CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
/** --horizontal-pod-autoscaler-initial-readiness-delay. */
export const INITIAL_READINESS_DELAY_MS = 30_000;
/** --horizontal-pod-autoscaler-downscale-stabilization. */
export const DOWNSCALE_STABILIZATION_MS = 5 * 60_000;
/** --horizontal-pod-autoscaler-sync-period. */
export const HPA_SYNC_PERIOD_MS = 15_000;
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

/** One pod's CPU reading: the sum over its containers, in millicores, and when it was taken. */
export interface PodMetric {
  readonly milli: number;
  readonly timestamp: number;
  readonly windowMs: number;
}

export interface Recommendation {
  readonly replicas: number;
  readonly at: number;
}

export interface HpaCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** The status fields of an autoscaling/v1 autoscaler, as written. */
export type HpaStatus = Record<string, unknown>;

export interface HpaEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

const cpuMilli = (q: unknown): number | undefined => {
  const parsed = typeof q === "string" || typeof q === "number" ? tryParseQuantity(q) : undefined;
  return parsed ? Number(milliValue(parsed)) : undefined;
};

const goDurationMs = (s: unknown): number => {
  const m = typeof s === "string" ? /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(s) : null;
  if (!m) return 0;
  return Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "s" ? 1000 : 60_000);
};

/**
 * The resource metrics client: each pod's CPU summed over its containers; a
 * pod with a container lacking a cpu reading is left out (as metrics-server's
 * client does).
 */
export const cpuMetricsOf = (podMetricsList: readonly Obj[]): Map<string, PodMetric> => {
  const out = new Map<string, PodMetric>();
  for (const pm of podMetricsList) {
    let sum = 0;
    let missing = false;
    for (const c of (pm.containers ?? []) as { usage?: Record<string, unknown> }[]) {
      const v = cpuMilli(c.usage?.cpu);
      if (v === undefined) missing = true;
      else sum += v;
    }
    if (!missing) out.set(meta(pm).name, { milli: sum, timestamp: Date.parse(String(pm.timestamp ?? "")) || 0, windowMs: goDurationMs(pm.window) });
  }
  return out;
};

/** calculatePodRequests: each pod's CPU request (containers and restartable init containers), or kube's error for the first container without one. */
export const cpuRequests = (pods: readonly Obj[]): Map<string, number> => {
  const out = new Map<string, number>();
  for (const pod of pods) {
    const containers = [
      ...((pod.spec?.containers ?? []) as Obj[]),
      ...((pod.spec?.initContainers ?? []) as Obj[]).filter((c) => (c as { restartPolicy?: string }).restartPolicy === "Always"),
    ] as { name?: string; resources?: { requests?: Record<string, unknown> } }[];
    let sum = 0;
    for (const c of containers) {
      const v = cpuMilli(c.resources?.requests?.cpu);
      if (v === undefined) throw new Error(`missing request for cpu in container ${c.name ?? ""} of Pod ${meta(pod).name}`);
      sum += v;
    }
    out.set(meta(pod).name, sum);
  }
  return out;
};

export interface PodGroups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/** groupPods: ready pods with metrics count; pending or (for CPU) not-yet-ready pods are unready, pods without metrics missing, deleted or failed ones ignored. */
export const groupPods = (
  pods: readonly Obj[],
  metrics: ReadonlyMap<string, PodMetric>,
  now: number,
  cpuInitializationPeriodMs = CPU_INITIALIZATION_PERIOD_MS,
  initialReadinessDelayMs = INITIAL_READINESS_DELAY_MS,
): PodGroups => {
  const g: PodGroups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = meta(pod).name;
    if (meta(pod).deletionTimestamp || pod.status?.phase === "Failed") {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === "Pending") {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    const ready = ((pod.status?.conditions ?? []) as HpaCondition[]).find((c) => c.type === "Ready");
    const start = Date.parse(pod.status?.startTime ?? "");
    let unready: boolean;
    if (!ready || !Number.isFinite(start)) unready = true;
    else {
      const transition = Date.parse(ready.lastTransitionTime ?? "") || 0;
      if (start + cpuInitializationPeriodMs > now) {
        // Still starting: a sample is usable once a whole window was collected after the pod became ready.
        unready = ready.status === "False" || metric.timestamp < transition + metric.windowMs;
      } else {
        // Past start-up: only a pod that never became ready is left out.
        unready = ready.status === "False" && start + initialReadinessDelayMs > transition;
      }
    }
    if (unready) g.unready.add(name);
    else g.readyPodCount++;
  }
  return g;
};

/** GetResourceUtilizationRatio: Σ usage / Σ requests of the pods with both, as an integer percentage, against the target. */
export const utilizationRatio = (
  metrics: ReadonlyMap<string, number>,
  requests: ReadonlyMap<string, number>,
  target: number,
): { ratio: number; utilization: number; rawAverageMilli: number } => {
  let usage = 0;
  let requested = 0;
  let n = 0;
  for (const [pod, milli] of metrics) {
    const r = requests.get(pod);
    if (r === undefined) continue;
    usage += milli;
    requested += r;
    n++;
  }
  if (requested === 0) throw new Error("no metrics returned matched known pods");
  const utilization = Math.trunc((usage * 100) / requested);
  return { ratio: utilization / target, utilization, rawAverageMilli: Math.trunc(usage / n) };
};

export interface ResourceReplicas {
  readonly replicas: number;
  readonly utilization: number;
  readonly rawAverageMilli: number;
}

/**
 * GetResourceReplicas: the replica count the CPU readings ask for. Missing
 * pods count as at target on a scale-down and as idle on a scale-up, unready
 * pods as idle on a scale-up; a change within the tolerance, or one the
 * missing/unready pods would turn around, keeps the current count.
 * Throws kube's error messages.
 */
export const resourceReplicas = (input: {
  currentReplicas: number;
  target: number;
  pods: readonly Obj[];
  metrics: ReadonlyMap<string, PodMetric>;
  now: number;
  tolerance?: number;
  cpuInitializationPeriodMs?: number;
  initialReadinessDelayMs?: number;
}): ResourceReplicas => {
  const { currentReplicas, target, pods, now } = input;
  const tolerance = input.tolerance ?? DEFAULT_TOLERANCE;
  if (input.metrics.size === 0) throw new Error("unable to get metrics for resource cpu: no metrics returned from resource metrics API");
  if (pods.length === 0) throw new Error("no pods returned by selector while calculating replica count");
  const groups = groupPods(pods, input.metrics, now, input.cpuInitializationPeriodMs, input.initialReadinessDelayMs);
  const usage = new Map([...input.metrics].map(([k, v]) => [k, v.milli]));
  for (const name of [...groups.ignored, ...groups.unready]) usage.delete(name);
  if (usage.size === 0) throw new Error("did not receive metrics for targeted pods (pods might be unready)");
  const requests = cpuRequests(pods);
  const first = utilizationRatio(usage, requests, target);
  const within = (ratio: number) => Math.abs(1 - ratio) <= tolerance;
  const result = (replicas: number): ResourceReplicas => ({ replicas, utilization: first.utilization, rawAverageMilli: first.rawAverageMilli });

  const scaleUpWithUnready = groups.unready.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    return result(within(first.ratio) ? currentReplicas : Math.ceil(first.ratio * groups.readyPodCount));
  }
  if (groups.missing.size > 0) {
    const fallback = Math.max(100, target);
    for (const name of groups.missing) {
      if (first.ratio < 1) usage.set(name, Math.trunc(((requests.get(name) ?? 0) * fallback) / 100));
      else if (first.ratio > 1) usage.set(name, 0);
    }
  }
  if (scaleUpWithUnready) for (const name of groups.unready) usage.set(name, 0);
  const second = utilizationRatio(usage, requests, target);
  if (within(second.ratio) || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) return result(currentReplicas);
  const replicas = Math.ceil(second.ratio * usage.size);
  if ((second.ratio < 1 && replicas > currentReplicas) || (second.ratio > 1 && replicas < currentReplicas)) return result(currentReplicas);
  return result(replicas);
};

/**
 * stabilizeRecommendation: the highest recommendation within the window
 * (the new one included); the new one replaces a sample that fell out of the
 * window, or is appended.
 */
export const stabilize = (
  history: readonly Recommendation[],
  recommendation: number,
  now: number,
  windowMs: number,
): { replicas: number; history: Recommendation[] } => {
  let max = recommendation;
  let oldIndex = -1;
  const cutoff = now - windowMs;
  history.forEach((r, i) => {
    if (r.at < cutoff) oldIndex = i;
    else if (r.replicas > max) max = r.replicas;
  });
  const next = [...history];
  if (oldIndex >= 0) next[oldIndex] = { replicas: recommendation, at: now };
  else next.push({ replicas: recommendation, at: now });
  return { replicas: max, history: next };
};

/** convertDesiredReplicasWithRules: clamp to [min, max] and to the scale-up limit max(2 × current, 4), with the ScalingLimited reason. */
export const limitReplicas = (current: number, desired: number, min: number, max: number): { replicas: number; reason: string; message: string } => {
  const scaleUpLimit = Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM);
  const [upper, upperReason, upperMessage] =
    max > scaleUpLimit
      ? [scaleUpLimit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"]
      : [max, "TooManyReplicas", "the desired replica count is more than the maximum replica count"];
  if (desired < min) return { replicas: min, reason: "TooFewReplicas", message: "the desired replica count is less than the minimum replica count" };
  if (desired > upper) return { replicas: upper, reason: upperReason, message: upperMessage };
  return { replicas: desired, reason: "DesiredWithinRange", message: "the desired count is within the acceptable range" };
};

/** setHpaCondition: lastTransitionTime moves only when the status changes. */
export const setHpaCondition = (
  conditions: HpaCondition[],
  type: string,
  status: HpaCondition["status"],
  reason: string,
  message: string,
  now: number,
): HpaCondition[] => {
  const i = conditions.findIndex((c) => c.type === type);
  const old = i >= 0 ? conditions[i]! : undefined;
  const next: HpaCondition = {
    type,
    status,
    lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(now),
    reason,
    message,
  };
  return i >= 0 ? conditions.map((c, j) => (j === i ? next : c)) : [...conditions, next];
};

export interface PlanInput {
  readonly hpa: Obj;
  /** The target's autoscaling/v1 Scale, or the error reading it. */
  readonly scale: Obj | Error;
  /** Every pod of the autoscaler's namespace (the plan applies the Scale's selector). */
  readonly pods: readonly Obj[];
  /** The namespace's PodMetrics (items of a PodMetricsList), or the error listing them. */
  readonly podMetrics: readonly Obj[] | Error;
  /** Earlier recommendations for this autoscaler (undefined before its first sync). */
  readonly recommendations: readonly Recommendation[] | undefined;
  readonly now: number;
  readonly downscaleStabilizationMs?: number;
  readonly tolerance?: number;
  readonly cpuInitializationPeriodMs?: number;
  readonly initialReadinessDelayMs?: number;
}

export interface Plan {
  /** Write the Scale with these replicas (then record SuccessfulRescale, or FailedRescale if the write fails). */
  readonly rescale?: { replicas: number; reason: string };
  /** The status to write (before the rescale is known to have worked: `rescaled` stamps lastScaleTime). */
  readonly status: HpaStatus;
  readonly conditions: HpaCondition[];
  readonly events: HpaEvent[];
  readonly recommendations: Recommendation[];
  /** Set when the sync failed (the error the controller logs). */
  readonly error?: string;
}

/** The status fields the controller owns, from what it measured and decided (setStatus). */
const statusOf = (hpa: Obj, current: number, desired: number, utilization: number | undefined, rescaled: boolean, now: number): HpaStatus => {
  const old = (hpa.status ?? {}) as HpaStatus;
  const status: HpaStatus = {
    ...(meta(hpa).generation !== undefined ? { observedGeneration: meta(hpa).generation } : {}),
    currentReplicas: current,
    desiredReplicas: desired,
  };
  const last = rescaled ? rfc3339(now) : (old.lastScaleTime as string | undefined);
  if (last) status.lastScaleTime = last;
  if (utilization !== undefined) status.currentCPUUtilizationPercentage = utilization;
  return status;
};

/** The conditions an autoscaler had, read from its v1 annotation. */
export const conditionsOf = (hpa: Obj, annotation: string): HpaCondition[] => {
  try {
    const parsed = JSON.parse(meta(hpa).annotations?.[annotation] ?? "[]");
    return Array.isArray(parsed) ? (parsed as HpaCondition[]) : [];
  } catch {
    return [];
  }
};

/** reconcileAutoscaler for a v1 autoscaler, without the writes. */
export const planAutoscaler = (input: PlanInput, existing: HpaCondition[] = []): Plan => {
  const { hpa, now } = input;
  const spec = (hpa.spec ?? {}) as { minReplicas?: number; maxReplicas?: number; targetCPUUtilizationPercentage?: number; scaleTargetRef?: { kind?: string; name?: string } };
  const events: HpaEvent[] = [];
  let conditions = existing;
  const cond = (type: string, status: HpaCondition["status"], reason: string, message: string) => {
    conditions = setHpaCondition(conditions, type, status, reason, message, now);
  };
  const reference = `${spec.scaleTargetRef?.kind ?? ""}/${meta(hpa).namespace ?? ""}/${spec.scaleTargetRef?.name ?? ""}`;
  let recommendations = [...(input.recommendations ?? [])];

  if (input.scale instanceof Error) {
    events.push({ type: "Warning", reason: "FailedGetScale", message: input.scale.message });
    cond("AbleToScale", "False", "FailedGetScale", `the HPA controller was unable to get the target's current scale: ${input.scale.message}`);
    const old = (hpa.status ?? {}) as { currentReplicas?: number; desiredReplicas?: number; currentCPUUtilizationPercentage?: number };
    return {
      status: statusOf(hpa, old.currentReplicas ?? 0, old.desiredReplicas ?? 0, old.currentCPUUtilizationPercentage, false, now),
      conditions,
      events,
      recommendations,
      error: `failed to query scale subresource for ${reference}: ${input.scale.message}`,
    };
  }
  cond("AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale");
  const scale = input.scale;
  const current = Number((scale.spec as { replicas?: number } | undefined)?.replicas ?? 0);
  if (input.recommendations === undefined) recommendations = [{ replicas: current, at: now }];
  const min = spec.minReplicas ?? 1;
  const max = spec.maxReplicas ?? 0;

  let desired = 0;
  let reason = "";
  let rescale = true;
  let utilization: number | undefined;
  if (current === 0 && min !== 0) {
    rescale = false;
    cond("ScalingActive", "False", "ScalingDisabled", "scaling is disabled since the replica count of the target is zero");
  } else if (current > max) {
    reason = "Current number of replicas above Spec.MaxReplicas";
    desired = max;
  } else if (current < min) {
    reason = "Current number of replicas below Spec.MinReplicas";
    desired = min;
  } else {
    const computed = computeCpuReplicas(input, current, cond, events);
    if ("error" in computed) {
      events.push({ type: "Warning", reason: "FailedComputeMetricsReplicas", message: computed.error });
      return {
        status: statusOf(hpa, current, (hpa.status as { desiredReplicas?: number } | undefined)?.desiredReplicas ?? 0, undefined, false, now),
        conditions,
        events,
        recommendations,
        error: `failed to compute desired number of replicas based on listed metrics for ${reference}: ${computed.error}`,
      };
    }
    utilization = computed.utilization;
    desired = computed.replicas;
    if (desired > current) reason = `${computed.metricName} above target`;
    if (desired < current) reason = "All metrics below target";
    // normalizeDesiredReplicas
    const stable = stabilize(recommendations, desired, now, input.downscaleStabilizationMs ?? DOWNSCALE_STABILIZATION_MS);
    recommendations = stable.history;
    if (stable.replicas !== desired) cond("AbleToScale", "True", "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation");
    else cond("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size");
    const limited = limitReplicas(current, stable.replicas, min, max);
    cond("ScalingLimited", limited.replicas === stable.replicas ? "False" : "True", limited.reason, limited.message);
    desired = limited.replicas;
    rescale = desired !== current;
  }
  if (!rescale) desired = current;
  return {
    ...(rescale ? { rescale: { replicas: desired, reason } } : {}),
    status: statusOf(hpa, current, desired, utilization, rescale, now),
    conditions,
    events,
    recommendations,
  };
};

/** computeReplicasForMetrics with the one v1 metric: cpu utilization against the target (80% without one). */
const computeCpuReplicas = (
  input: PlanInput,
  current: number,
  cond: (type: string, status: HpaCondition["status"], reason: string, message: string) => void,
  events: HpaEvent[],
): { replicas: number; utilization: number; metricName: string } | { error: string } => {
  const scale = input.scale as Obj;
  const selectorText = String((scale.status as { selector?: string } | undefined)?.selector ?? "");
  if (selectorText === "") {
    events.push({ type: "Warning", reason: "SelectorRequired", message: "selector is required" });
    cond("ScalingActive", "False", "InvalidSelector", "the HPA target's scale is missing a selector");
    return { error: "selector is required" };
  }
  let selector;
  try {
    selector = parseLabelSelector(selectorText);
  } catch (e) {
    const message = `couldn't convert selector into a corresponding internal selector object: ${(e as Error).message}`;
    events.push({ type: "Warning", reason: "InvalidSelector", message });
    cond("ScalingActive", "False", "InvalidSelector", message);
    return { error: message };
  }
  const target = (input.hpa.spec as { targetCPUUtilizationPercentage?: number } | undefined)?.targetCPUUtilizationPercentage ?? DEFAULT_CPU_UTILIZATION;
  let computed: ResourceReplicas;
  try {
    if (input.podMetrics instanceof Error) throw new Error(`unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: ${input.podMetrics.message}`);
    const pods = input.pods.filter((p) => matches(selector, p));
    const wanted = new Set(pods.map((p) => meta(p).name));
    const metrics = cpuMetricsOf(input.podMetrics.filter((m) => wanted.has(meta(m).name)));
    computed = resourceReplicas({
      currentReplicas: current,
      target,
      pods,
      metrics,
      now: input.now,
      ...(input.tolerance !== undefined ? { tolerance: input.tolerance } : {}),
      ...(input.cpuInitializationPeriodMs !== undefined ? { cpuInitializationPeriodMs: input.cpuInitializationPeriodMs } : {}),
      ...(input.initialReadinessDelayMs !== undefined ? { initialReadinessDelayMs: input.initialReadinessDelayMs } : {}),
    });
  } catch (e) {
    const message = (e as Error).message;
    events.push({ type: "Warning", reason: "FailedGetResourceMetric", message });
    cond("ScalingActive", "False", "FailedGetResourceMetric", `the HPA was unable to compute the replica count: ${message}`);
    return { error: `invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: ${message}` };
  }
  const metricName = "cpu resource utilization (percentage of request)";
  cond("ScalingActive", "True", "ValidMetricFound", `the HPA was able to successfully calculate a replica count from ${metricName}`);
  return { replicas: computed.replicas, utilization: computed.utilization, metricName };
};

/** A Scale write that failed: AbleToScale False (FailedUpdateScale), and the status keeps the old desired replicas and lastScaleTime. */
export const failedRescale = (plan: Plan, hpa: Obj, message: string, now: number): { status: HpaStatus; conditions: HpaCondition[] } => {
  const old = (hpa.status ?? {}) as { desiredReplicas?: number; lastScaleTime?: string };
  const status: HpaStatus = { ...plan.status, desiredReplicas: old.desiredReplicas ?? 0 };
  if (old.lastScaleTime) status.lastScaleTime = old.lastScaleTime;
  else delete status.lastScaleTime;
  return {
    status,
    conditions: setHpaCondition(plan.conditions, "AbleToScale", "False", "FailedUpdateScale", `the HPA controller was unable to update the target scale: ${message}`, now),
  };
};
