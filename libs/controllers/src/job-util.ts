/**
 * The job controller's decisions as one pure function of (job, its pods, now),
 * following pkg/controller/job/job_controller.go (Kubernetes 1.32, with the
 * beta features it enables: JobPodReplacementPolicy, JobManagedBy and
 * JobSuccessPolicy, so a finishing job first gets the interim condition
 * SuccessCriteriaMet / FailureTarget and the terminal Complete / Failed only
 * once no pod is terminating or uncounted).
 *
 * Finished pods are counted through the `batch.kubernetes.io/job-tracking`
 * finalizer, as kube does: a finished pod's uid first goes into
 * status.uncountedTerminatedPods (persisted), then its finalizer is removed,
 * then the uid moves into status.succeeded / status.failed. So a pod is
 * counted exactly once even if the controller stops between the steps.
 */
import { JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER, rfc3339 } from "@kubeactor/api";
import { isPodReady, meta, type Obj, rankPodsForDeletion } from "./util.ts";

/** Backoff before re-creating pods after failures: 10 s doubling, at most 6 min (DefaultJobPodFailureBackOff, MaxJobPodFailureBackOff). */
export const JOB_BACKOFF_MS = 10_000;
export const JOB_MAX_BACKOFF_MS = 360_000;
/** MaxPodCreateDeletePerSync. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

export interface JobCondition {
  type: string;
  status: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  completedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
  ready?: number;
}

export interface JobEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

export interface JobPlan {
  /** One entry per pod to create: its completion index (Indexed) or undefined. */
  create: (number | undefined)[];
  /** Active pods to delete (suspension, a finishing job, too many active). */
  delete: Obj[];
  /** Pods whose tracking finalizer can go now (already persisted as uncounted, or not to be counted). */
  removeFinalizers: Obj[];
  status: JobStatus;
  events: JobEvent[];
  /** When to look again (backoff, activeDeadlineSeconds). */
  requeueAfterMs?: number;
}

export const BACKOFF_LIMIT_EXCEEDED = { reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" };
export const DEADLINE_EXCEEDED = { reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" };
export const COMPLETIONS_REACHED = { reason: "CompletionsReached", message: "Reached expected number of succeeded pods" };

const isTrue = (job: Obj, type: string) => ((job.status?.conditions ?? []) as JobCondition[]).some((c) => c.type === type && c.status === "True");
/** Complete or Failed is True. */
export const isJobFinished = (job: Obj): boolean => isTrue(job, "Complete") || isTrue(job, "Failed");
export const hasTrackingFinalizer = (pod: Obj): boolean => (meta(pod).finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
const isTerminal = (pod: Obj) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
const isActive = (pod: Obj) => !isTerminal(pod) && !meta(pod).deletionTimestamp;

/** With podReplacementPolicy Failed only phase Failed counts; otherwise a deleted, unsucceeded pod counts as failed too (isPodFailed). */
export const isPodFailed = (pod: Obj, job: Obj): boolean => {
  if (pod.status?.phase === "Failed") return true;
  if (job.spec?.podReplacementPolicy === "Failed") return false;
  return !!meta(pod).deletionTimestamp && pod.status?.phase !== "Succeeded";
};

interface ContainerStatus {
  name: string;
  state?: { terminated?: { exitCode?: number } };
}
interface PolicyRule {
  action: string;
  onExitCodes?: { containerName?: string; operator: string; values: number[] };
  onPodConditions?: { type: string; status?: string }[];
}

/**
 * matchPodFailurePolicy: the first rule matching a failed pod decides —
 * FailJob (with kube's message), Ignore (not counted), Count; no match counts.
 * Exit codes are those of terminated containers (init containers first), never 0.
 */
export const matchPodFailurePolicy = (job: Obj, pod: Obj): { count: boolean; action?: string; failJobMessage?: string } => {
  const rules = (job.spec?.podFailurePolicy?.rules ?? []) as PolicyRule[];
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])] as ContainerStatus[];
  const conditions = (pod.status?.conditions ?? []) as { type: string; status: string }[];
  for (const [index, rule] of rules.entries()) {
    let matched: string | undefined;
    if (rule.onExitCodes) {
      const req = rule.onExitCodes;
      const c = statuses.find((cs) => {
        const code = cs.state?.terminated?.exitCode;
        if (code === undefined || code === 0 || (req.containerName && req.containerName !== cs.name)) return false;
        return req.operator === "In" ? req.values.includes(code) : req.operator === "NotIn" ? !req.values.includes(code) : false;
      });
      if (c) matched = `Container ${c.name} for pod ${meta(pod).namespace}/${meta(pod).name} failed with exit code ${c.state!.terminated!.exitCode} matching FailJob rule at index ${index}`;
    } else if (rule.onPodConditions) {
      const cond = conditions.find((pc) => rule.onPodConditions!.some((pat) => pat.type === pc.type && (pat.status ?? "True") === pc.status));
      if (cond) matched = `Pod ${meta(pod).namespace}/${meta(pod).name} has condition ${cond.type} matching FailJob rule at index ${index}`;
    }
    if (matched === undefined) continue;
    if (rule.action === "Ignore") return { count: false, action: "Ignore" };
    if (rule.action === "FailJob") return { count: true, action: "FailJob", failJobMessage: matched };
    return { count: true, action: rule.action };
  }
  return { count: true };
};

/** A failed pod that counts toward backoffLimit (not ignored by the pod failure policy). */
const countsAsFailure = (pod: Obj, job: Obj): boolean => isPodFailed(pod, job) && (!job.spec?.podFailurePolicy || matchPodFailurePolicy(job, pod).count);

/** The pod's completion index, or undefined (getCompletionIndex). */
export const completionIndex = (pod: Obj): number | undefined => {
  const v = meta(pod).annotations?.[JOB_COMPLETION_INDEX] ?? meta(pod).labels?.[JOB_COMPLETION_INDEX];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
};

/** "1,3-5,7" → [1,3,4,5,7]. */
export const parseIndexes = (s: string | undefined): Set<number> => {
  const out = new Set<number>();
  for (const part of (s ?? "").split(",").filter(Boolean)) {
    const [a, b] = part.split("-").map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.add(i);
  }
  return out;
};

/** [1,3,4,5,7] → "1,3-5,7" (the status.completedIndexes format). */
export const formatIndexes = (set: Iterable<number>): string => {
  const sorted = [...new Set(set)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
};

/**
 * matchSuccessPolicy for Indexed jobs: "Matched rules at index <i>" for the
 * first rule met — all of its succeededIndexes (or succeededCount of them)
 * succeeded, or succeededCount indexes at all when it names none.
 */
export const matchSuccessPolicy = (policy: unknown, completions: number, succeeded: ReadonlySet<number>): string | undefined => {
  const rules = ((policy as { rules?: unknown[] } | undefined)?.rules ?? []) as { succeededIndexes?: string; succeededCount?: number }[];
  if (succeeded.size === 0) return undefined;
  for (const [index, rule] of rules.entries()) {
    if (rule.succeededIndexes !== undefined) {
      const required = [...parseIndexes(rule.succeededIndexes)].filter((i) => i < completions);
      if (required.length === 0) continue;
      const done = required.filter((i) => succeeded.has(i)).length;
      if (rule.succeededCount !== undefined ? done >= rule.succeededCount : done === required.length) return `Matched rules at index ${index}`;
    } else if (rule.succeededCount !== undefined && succeeded.size >= rule.succeededCount) return `Matched rules at index ${index}`;
  }
  return undefined;
};

/** When a pod finished: its containers' last finishedAt, else its deletion or creation time. */
const finishTime = (pod: Obj): number => {
  const times = ((pod.status?.containerStatuses ?? []) as { state?: { terminated?: { finishedAt?: string } } }[])
    .map((c) => Date.parse(c.state?.terminated?.finishedAt ?? ""))
    .filter(Number.isFinite);
  if (times.length) return Math.max(...times);
  return Date.parse(meta(pod).deletionTimestamp ?? meta(pod).creationTimestamp ?? "") || 0;
};

/**
 * How long to wait before creating pods again (backoffRecord.getRemainingTime):
 * 10 s after one failure since the last success, doubling per further failure,
 * capped at 6 minutes, counted from the last failure.
 */
export const remainingBackoffMs = (job: Obj, pods: readonly Obj[], now: number): number => {
  const finished = pods.filter((p) => p.status?.phase === "Succeeded" || countsAsFailure(p, job)).sort((a, b) => finishTime(a) - finishTime(b));
  let failures = 0;
  let lastFailure = 0;
  for (const p of finished) {
    if (p.status?.phase === "Succeeded") failures = 0;
    else {
      failures++;
      lastFailure = Math.max(lastFailure, finishTime(p));
    }
  }
  if (failures === 0) return 0;
  let backoff = JOB_BACKOFF_MS;
  for (let i = 1; i < failures; i++) {
    backoff *= 2;
    if (backoff >= JOB_MAX_BACKOFF_MS) {
      backoff = JOB_MAX_BACKOFF_MS;
      break;
    }
  }
  return Math.max(0, backoff - (now - lastFailure));
};

/** pastBackoffLimitOnFailure: under restartPolicy OnFailure the container restarts of running pods count toward backoffLimit. */
export const pastBackoffLimitOnFailure = (job: Obj, pods: readonly Obj[]): boolean => {
  if (job.spec?.template?.spec?.restartPolicy !== "OnFailure") return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== "Running" && p.status?.phase !== "Pending") continue;
    for (const c of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])] as { restartCount?: number }[]) restarts += c.restartCount ?? 0;
  }
  const limit = job.spec?.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
};

/** ensureJobConditionStatus: sets a condition's status (adding it only when True), keeping lastTransitionTime when unchanged. */
const ensureCondition = (conditions: JobCondition[], c: Omit<JobCondition, "lastProbeTime" | "lastTransitionTime">, at: string): { conditions: JobCondition[]; changed: boolean } => {
  const i = conditions.findIndex((x) => x.type === c.type);
  if (i < 0) {
    if (c.status !== "True") return { conditions, changed: false };
    return { conditions: [...conditions, { ...c, lastProbeTime: at, lastTransitionTime: at }], changed: true };
  }
  const old = conditions[i]!;
  if (old.status === c.status && old.reason === c.reason && old.message === c.message) return { conditions, changed: false };
  const next = [...conditions];
  next[i] = { ...old, ...c, lastProbeTime: at, lastTransitionTime: old.status === c.status ? old.lastTransitionTime ?? at : at };
  return { conditions: next, changed: true };
};

const condition = (job: Obj, type: string) => ((job.status?.conditions ?? []) as JobCondition[]).find((c) => c.type === type && c.status === "True");

/**
 * syncJob's decision for a job that is not finished (a finished job only has
 * finalizers left to remove). `canManage` is false while earlier creates or
 * deletes are not yet seen by the informer (expectations): then no pod is
 * created or deleted, but counting goes on.
 */
export function planJob(job: Obj, pods: readonly Obj[], now: number, canManage = true): JobPlan {
  const at = rfc3339(now);
  const spec = job.spec ?? {};
  const old: JobStatus = job.status ?? {};
  const events: JobEvent[] = [];
  const plan: JobPlan = { create: [], delete: [], removeFinalizers: [], status: old, events };
  if (isJobFinished(job) || meta(job).deletionTimestamp) {
    plan.removeFinalizers = pods.filter(hasTrackingFinalizer);
    return plan;
  }
  const indexed = spec.completionMode === "Indexed";
  const completions: number | undefined = spec.completions;
  const parallelism: number = spec.parallelism ?? 1;
  const suspended = spec.suspend === true;
  const byUid = new Map(pods.map((p) => [meta(p).uid, p]));

  // 1. Uncounted pods whose finalizer is gone (or the pod itself) are counted now.
  const storedUncounted = { succeeded: new Set(old.uncountedTerminatedPods?.succeeded ?? []), failed: new Set(old.uncountedTerminatedPods?.failed ?? []) };
  let succeeded = old.succeeded ?? 0;
  let failed = old.failed ?? 0;
  const completed = parseIndexes(old.completedIndexes);
  const uncounted = { succeeded: new Set<string>(), failed: new Set<string>() };
  for (const uid of storedUncounted.succeeded) {
    const pod = byUid.get(uid);
    if (pod && hasTrackingFinalizer(pod)) uncounted.succeeded.add(uid);
    else if (!indexed) succeeded++;
    else if (pod && completionIndex(pod) !== undefined && completionIndex(pod)! < (completions ?? 0)) completed.add(completionIndex(pod)!);
  }
  for (const uid of storedUncounted.failed) {
    const pod = byUid.get(uid);
    if (pod && hasTrackingFinalizer(pod)) uncounted.failed.add(uid);
    else failed++;
  }
  if (indexed) succeeded = completed.size;

  // 2. Finished pods not yet recorded join the uncounted lists.
  let interim = condition(job, "FailureTarget") ?? condition(job, "SuccessCriteriaMet");
  const activePods = pods.filter(isActive);
  const terminating = pods.filter((p) => !!meta(p).deletionTimestamp && !isTerminal(p)).length;
  let newFailures = 0;
  const recordFinished = (finishing: boolean) => {
    for (const pod of pods) {
      const uid = meta(pod).uid;
      if (!hasTrackingFinalizer(pod) || storedUncounted.succeeded.has(uid) || storedUncounted.failed.has(uid) || plan.removeFinalizers.includes(pod)) continue;
      if (uncounted.succeeded.has(uid) || uncounted.failed.has(uid)) continue;
      if (pod.status?.phase === "Succeeded") uncounted.succeeded.add(uid);
      else if (isPodFailed(pod, job) && !countsAsFailure(pod, job)) plan.removeFinalizers.push(pod); // ignored by the pod failure policy
      else if (isPodFailed(pod, job) || (finishing && interim?.type === "FailureTarget")) {
        uncounted.failed.add(uid);
        newFailures++;
      } else if (finishing && interim) plan.removeFinalizers.push(pod); // a finished job does not count its leftovers
    }
  };
  recordFinished(!!interim);
  const succeededIndexes = () =>
    new Set([...completed, ...[...uncounted.succeeded].map((u) => completionIndex(byUid.get(u)!)).filter((i): i is number => i !== undefined && i < (completions ?? 0))]);
  const succeededTotal = () => (indexed ? succeededIndexes().size : succeeded + uncounted.succeeded.size);
  const failedTotal = () => failed + uncounted.failed.size;

  // 3. Suspension and startTime.
  let conditions = [...((old.conditions ?? []) as JobCondition[])];
  let startTime = old.startTime;
  if (suspended) {
    const r = ensureCondition(conditions, { type: "Suspended", status: "True", reason: "JobSuspended", message: "Job suspended" }, at);
    conditions = r.conditions;
    if (r.changed) events.push({ type: "Normal", reason: "Suspended", message: "Job suspended" });
  } else {
    const r = ensureCondition(conditions, { type: "Suspended", status: "False", reason: "JobResumed", message: "Job resumed" }, at);
    conditions = r.conditions;
    if (r.changed) {
      events.push({ type: "Normal", reason: "Resumed", message: "Job resumed" });
      // activeDeadlineSeconds counts continuous activity: resuming restarts the clock.
      startTime = at;
    }
    startTime ??= at;
  }

  // 4. Has the job met its success criteria or failed?
  let active = activePods.length;
  if (!interim) {
    const limit = spec.backoffLimit ?? 6;
    const deadline = spec.activeDeadlineSeconds;
    const started = Date.parse(startTime ?? "");
    const failJob = spec.podFailurePolicy
      ? pods.filter((p) => isPodFailed(p, job)).map((p) => matchPodFailurePolicy(job, p).failJobMessage).find((m) => m !== undefined)
      : undefined;
    if (failJob) interim = { type: "FailureTarget", status: "True", reason: "PodFailurePolicy", message: failJob };
    else if (failedTotal() > limit || pastBackoffLimitOnFailure(job, pods)) interim = { type: "FailureTarget", status: "True", ...BACKOFF_LIMIT_EXCEEDED };
    else if (deadline !== undefined && !suspended && Number.isFinite(started) && now - started >= deadline * 1000)
      interim = { type: "FailureTarget", status: "True", ...DEADLINE_EXCEEDED };
    else if (deadline !== undefined && !suspended && Number.isFinite(started)) plan.requeueAfterMs = deadline * 1000 - (now - started);
    const policyMatch = !interim && indexed ? matchSuccessPolicy(spec.successPolicy, completions ?? 0, succeededIndexes()) : undefined;
    if (policyMatch) interim = { type: "SuccessCriteriaMet", status: "True", reason: "SuccessPolicy", message: policyMatch };
    if (interim) {
      conditions = ensureCondition(conditions, interim, at).conditions;
      recordFinished(true);
    }
  }

  // 5. Pods to create or delete (manageJob); a job that met its criteria or is failing stops its active pods.
  if (interim || suspended) {
    if (canManage) plan.delete = activePods.slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    active -= plan.delete.length;
  } else if (canManage) {
    let wantActive: number;
    if (completions === undefined) wantActive = succeededTotal() > 0 ? active : parallelism;
    else wantActive = Math.max(0, Math.min(completions - succeededTotal(), parallelism));
    if (active > wantActive) {
      plan.delete = rankPodsForDeletion(activePods).slice(0, Math.min(active - wantActive, MAX_POD_CREATE_DELETE_PER_SYNC));
      active -= plan.delete.length;
    } else {
      const replacementWait = spec.podReplacementPolicy === "Failed" ? terminating : 0;
      const diff = Math.min(wantActive - active - replacementWait, MAX_POD_CREATE_DELETE_PER_SYNC);
      if (diff > 0) {
        const wait = newFailures > 0 || failedTotal() > 0 ? remainingBackoffMs(job, pods, now) : 0;
        if (wait > 0) plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, wait);
        else if (indexed) {
          const busy = new Set(activePods.map(completionIndex));
          const done = new Set([...completed, ...pods.filter((p) => p.status?.phase === "Succeeded").map(completionIndex)]);
          for (let i = 0; i < (completions ?? 0) && plan.create.length < diff; i++) if (!busy.has(i) && !done.has(i)) plan.create.push(i);
        } else plan.create = Array.from({ length: diff }, () => undefined);
        active += plan.create.length;
      }
    }
  }
  if (!interim) {
    const done = completions === undefined ? succeededTotal() > 0 && active === 0 : succeededTotal() >= completions && active === 0;
    if (done) {
      interim = { type: "SuccessCriteriaMet", status: "True", ...COMPLETIONS_REACHED };
      conditions = ensureCondition(conditions, interim, at).conditions;
      recordFinished(true);
    }
  }

  // 6. Finalizers of pods already persisted as uncounted can go.
  for (const pod of pods) {
    const uid = meta(pod).uid;
    if (hasTrackingFinalizer(pod) && (storedUncounted.succeeded.has(uid) || storedUncounted.failed.has(uid))) plan.removeFinalizers.push(pod);
  }

  // 7. The terminal condition once nothing is left uncounted or terminating.
  let completionTime = old.completionTime;
  const nothingUncounted = uncounted.succeeded.size === 0 && uncounted.failed.size === 0;
  if (interim && nothingUncounted && terminating === 0 && plan.delete.length === 0) {
    const type = interim.type === "FailureTarget" ? "Failed" : "Complete";
    conditions = ensureCondition(conditions, { type, status: "True", reason: interim.reason, message: interim.message }, at).conditions;
    if (type === "Complete") {
      completionTime = at;
      events.push({ type: "Normal", reason: "Completed", message: "Job completed" });
    } else events.push({ type: "Warning", reason: interim.reason ?? "", message: interim.message ?? "" });
    plan.requeueAfterMs = undefined;
  }

  // Pods deleted here lose their finalizer on the way (job.ts), not twice.
  plan.removeFinalizers = plan.removeFinalizers.filter((p) => !plan.delete.includes(p));
  const ready = activePods.filter((p) => !plan.delete.includes(p) && isPodReady(p)).length;
  const status: JobStatus = {
    ...(conditions.length ? { conditions } : {}),
    ...(startTime ? { startTime } : {}),
    ...(completionTime ? { completionTime } : {}),
    ...(active ? { active } : {}),
    ...(succeeded ? { succeeded: indexed ? completed.size : succeeded } : {}),
    ...(failed ? { failed } : {}),
    terminating,
    ...(indexed && completed.size ? { completedIndexes: formatIndexes(completed) } : {}),
    uncountedTerminatedPods: {
      ...(uncounted.succeeded.size ? { succeeded: [...uncounted.succeeded].sort() } : {}),
      ...(uncounted.failed.size ? { failed: [...uncounted.failed].sort() } : {}),
    },
    ready,
  };
  plan.status = status;
  return plan;
}
