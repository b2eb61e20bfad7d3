/**
 * The cronjob controller's decisions, pure and clock-free, following
 * pkg/controller/cronjob/cronjob_controllerv2.go and utils.go (Kubernetes
 * 1.32): which scheduled time is due (mostRecentScheduleTime), whether it is
 * too late (startingDeadlineSeconds), what concurrencyPolicy allows, the Job
 * made from the template, and which finished Jobs the history limits drop.
 */
import { CRONJOB_SCHEDULED_TIMESTAMP, type CronSchedule, isKnownTimeZone, parseCronSchedule, rfc3339 } from "@kubeactor/api";
import { isJobFinished, type JobCondition } from "./job-util.ts";
import { clone, controllerRef, meta, type Obj } from "./util.ts";

/** nextScheduleDelta: requeue a little after the scheduled time so it has certainly passed. */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed start times than this emit TooManyMissedTimes. */
export const MANY_MISSED = 100;

export interface ObjectReference {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  apiVersion: string;
  resourceVersion?: string;
}

/** mostRecentScheduleTime: the latest scheduled time ≤ now after the last one (or creation), and how many were missed. */
export const mostRecentScheduleTime = (
  cj: Obj,
  now: number,
  schedule: CronSchedule,
  includeStartingDeadline: boolean,
): { earliest: number; mostRecent?: number; missed: number } => {
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? meta(cj).creationTimestamp ?? "");
  if (!Number.isFinite(earliest)) earliest = now;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && typeof deadline === "number") earliest = Math.max(earliest, now - deadline * 1000);
  const t1 = schedule.next(new Date(earliest))?.getTime();
  if (t1 === undefined || now < t1) return { earliest, missed: 0 };
  const t2 = schedule.next(new Date(t1))?.getTime();
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, missed: 0 };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) throw new Error("time difference between two schedules is less than 1 second");
  const missed = Math.floor((now - t1) / 1000 / between) + 1;
  // Start a little before the estimate so uneven schedules ("30 6-16/4 * * 1-5") are walked exactly.
  let t: number | undefined = t1 + (missed - 2) * between * 1000;
  let mostRecent: number | undefined;
  for (t = schedule.next(new Date(t))?.getTime(); t !== undefined && t <= now; t = schedule.next(new Date(t))?.getTime()) mostRecent = t;
  return { earliest, mostRecent, missed };
};

/** nextScheduleTimeDuration: how long until the schedule after the most recent one (+100 ms). */
export const nextScheduleDelayMs = (cj: Obj, now: number, schedule: CronSchedule): number => {
  let r: ReturnType<typeof mostRecentScheduleTime>;
  try {
    r = mostRecentScheduleTime(cj, now, schedule, false);
  } catch {
    return NEXT_SCHEDULE_DELTA_MS;
  }
  const from = r.mostRecent ?? (r.missed === 0 ? r.earliest : now);
  const next = schedule.next(new Date(from))?.getTime();
  return next === undefined ? 24 * 3600_000 : Math.max(0, next + NEXT_SCHEDULE_DELTA_MS - now);
};

/** `<cronjob>-<scheduled time in minutes since the epoch>` (getJobName). */
export const jobNameFor = (cj: Obj, scheduled: number): string => `${meta(cj).name}-${Math.floor(scheduled / 60_000)}`;

/** RFC 3339 of `t` in `zone`, as Go's Format(time.RFC3339) prints it (`Z` for UTC, else `+hh:mm`). */
export const rfc3339InZone = (t: number, zone: string | undefined): string => {
  const utc = new Date(Math.floor(t / 1000) * 1000);
  if (!zone || zone === "UTC" || zone === "Etc/UTC") return rfc3339(utc);
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(utc)
      .map((x) => [x.type, x.value]),
  );
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  const offMin = Math.round((wall - utc.getTime()) / 60_000);
  if (offMin === 0) return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}Z`;
  const sign = offMin < 0 ? "-" : "+";
  const abs = Math.abs(offMin);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
};

/** getJobFromTemplate2: the Job for one scheduled time, owned by the CronJob. */
export const jobFromTemplate = (cj: Obj, scheduled: number): Obj => {
  const template = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobNameFor(cj, scheduled),
      namespace: meta(cj).namespace,
      ...(template.metadata?.labels ? { labels: { ...template.metadata.labels } } : {}),
      annotations: { ...(template.metadata?.annotations ?? {}), [CRONJOB_SCHEDULED_TIMESTAMP]: rfc3339InZone(scheduled, cj.spec?.timeZone) },
      ownerReferences: [controllerRef(cj)],
    },
    spec: clone(template.spec ?? {}),
  } as unknown as Obj;
};

export const jobRef = (job: Obj): ObjectReference => ({
  kind: "Job",
  namespace: meta(job).namespace ?? "",
  name: meta(job).name,
  uid: meta(job).uid,
  apiVersion: "batch/v1",
  ...(meta(job).resourceVersion ? { resourceVersion: meta(job).resourceVersion } : {}),
});

const finishedCondition = (job: Obj): JobCondition | undefined =>
  ((job.status?.conditions ?? []) as JobCondition[]).find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");

export interface CronEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

export interface CronPlan {
  /** The status the CronJob should have once `create` (if any) exists; `active` lists the running jobs. */
  status: { active?: ObjectReference[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
  /** The job to create now, for `scheduled`. */
  create?: { job: Obj; scheduled: number };
  /** Running jobs to delete first (concurrencyPolicy Replace). */
  replace: ObjectReference[];
  /** Finished jobs beyond the history limits, oldest first. */
  cleanup: Obj[];
  events: CronEvent[];
  requeueAfterMs?: number;
}

/** Go's time.RFC1123Z, used in the MissSchedule event. */
const rfc1123z = (t: number) => {
  const d = new Date(t);
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
};

/** removeOldestJobs for one list: beyond `limit`, the ones that started first go. */
const oldest = (jobs: Obj[], limit: number | undefined): Obj[] => {
  if (limit === undefined || jobs.length <= limit) return [];
  const start = (j: Obj) => Date.parse(j.status?.startTime ?? "") || Infinity;
  return [...jobs].sort((a, b) => start(a) - start(b) || meta(a).name.localeCompare(meta(b).name)).slice(0, jobs.length - limit);
};

/**
 * One sync of a CronJob given the Jobs it controls (`jobs`, from the cache) and
 * `missing(ref)` (true when an active job is confirmed gone from the API).
 */
export function planCronJob(cj: Obj, jobs: readonly Obj[], now: number, missing: (ref: ObjectReference) => boolean = () => true): CronPlan {
  const events: CronEvent[] = [];
  const old = cj.status ?? {};
  let active: ObjectReference[] = [...(old.active ?? [])];
  let lastSuccessfulTime: string | undefined = old.lastSuccessfulTime;
  const plan: CronPlan = { status: old, replace: [], cleanup: [], events };

  // History limits (cleanupFinishedJobs): finished jobs beyond them go, and leave the active list.
  const succeeded = jobs.filter((j) => finishedCondition(j)?.type === "Complete");
  const failed = jobs.filter((j) => finishedCondition(j)?.type === "Failed");
  plan.cleanup = [...oldest(succeeded, cj.spec?.successfulJobsHistoryLimit), ...oldest(failed, cj.spec?.failedJobsHistoryLimit)];
  const cleaned = new Set(plan.cleanup.map((j) => meta(j).uid));
  active = active.filter((r) => !cleaned.has(r.uid));

  const children = new Set(jobs.map((j) => meta(j).uid));
  for (const j of jobs) {
    if (cleaned.has(meta(j).uid)) continue;
    const inActive = active.some((r) => r.uid === meta(j).uid);
    if (!inActive && !isJobFinished(j)) {
      events.push({ type: "Warning", reason: "UnexpectedJob", message: `Saw a job that the controller did not create or forgot: ${meta(j).name}` });
    } else if (inActive && isJobFinished(j)) {
      active = active.filter((r) => r.uid !== meta(j).uid);
      events.push({ type: "Normal", reason: "SawCompletedJob", message: `Saw completed job: ${meta(j).name}, condition: ${finishedCondition(j)!.type}` });
    }
    if (finishedCondition(j)?.type === "Complete" && j.status?.completionTime) {
      if (!lastSuccessfulTime || Date.parse(j.status.completionTime) > Date.parse(lastSuccessfulTime)) lastSuccessfulTime = j.status.completionTime;
    }
  }
  for (const r of [...active]) {
    if (children.has(r.uid) || !missing(r)) continue;
    events.push({ type: "Normal", reason: "MissingJob", message: `Active job went missing: ${r.name}` });
    active = active.filter((x) => x.uid !== r.uid);
  }
  const status = (extra: Partial<CronPlan["status"]> = {}) => {
    const s = { ...(active.length ? { active } : {}), ...(old.lastScheduleTime ? { lastScheduleTime: old.lastScheduleTime } : {}), ...(lastSuccessfulTime ? { lastSuccessfulTime } : {}), ...extra };
    if (!s.active?.length) delete s.active;
    return s;
  };
  plan.status = status();
  if (meta(cj).deletionTimestamp || cj.spec?.suspend === true) return plan;

  const tz = cj.spec?.timeZone;
  if (typeof tz === "string" && !isKnownTimeZone(tz)) {
    events.push({ type: "Warning", reason: "UnknownTimeZone", message: `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}` });
    return plan;
  }
  let schedule: CronSchedule;
  try {
    schedule = parseCronSchedule(cj.spec?.schedule ?? "", tz ?? "UTC");
  } catch (e) {
    events.push({ type: "Warning", reason: "UnparseableSchedule", message: `unparseable schedule: ${JSON.stringify(cj.spec?.schedule)} : ${(e as Error).message}` });
    return plan;
  }
  let due: ReturnType<typeof mostRecentScheduleTime>;
  try {
    due = mostRecentScheduleTime(cj, now, schedule, true);
  } catch (e) {
    events.push({ type: "Warning", reason: "InvalidSchedule", message: `invalid schedule: ${cj.spec?.schedule} : ${(e as Error).message}` });
    return plan;
  }
  const requeue = () => nextScheduleDelayMs({ ...cj, status: plan.status } as Obj, now, schedule);
  if (due.mostRecent === undefined || due.mostRecent > now) {
    plan.requeueAfterMs = requeue();
    return plan;
  }
  if (due.missed > MANY_MISSED)
    events.push({ type: "Warning", reason: "TooManyMissedTimes", message: `too many missed start times: ${due.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew` });
  const scheduled = due.mostRecent;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (typeof deadline === "number" && scheduled + deadline * 1000 < now) {
    events.push({ type: "Warning", reason: "MissSchedule", message: `Missed scheduled time to start a job: ${rfc1123z(scheduled)}` });
    plan.requeueAfterMs = requeue();
    return plan;
  }
  const name = jobNameFor(cj, scheduled);
  if (active.some((r) => r.name === name) || (old.lastScheduleTime && Date.parse(old.lastScheduleTime) === scheduled)) {
    plan.requeueAfterMs = requeue();
    return plan;
  }
  const policy = cj.spec?.concurrencyPolicy ?? "Allow";
  if (policy === "Forbid" && active.length > 0) {
    events.push({ type: "Normal", reason: "JobAlreadyActive", message: "Not starting job because prior execution is running and concurrency policy is Forbid" });
    plan.requeueAfterMs = requeue();
    return plan;
  }
  if (policy === "Replace") {
    plan.replace = active;
    active = [];
  }
  plan.create = { job: jobFromTemplate(cj, scheduled), scheduled };
  plan.status = status({ lastScheduleTime: rfc3339(scheduled) });
  plan.requeueAfterMs = nextScheduleDelayMs({ ...cj, status: plan.status } as Obj, now, schedule);
  return plan;
}
