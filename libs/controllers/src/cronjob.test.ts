/** The cronjob controller's decisions on a simulated clock: each step feeds the previous plan's status back in. */
import { describe, expect, it } from "vitest";
import { parseCronSchedule } from "@kubeactor/api";
import { jobFromTemplate, jobNameFor, mostRecentScheduleTime, planCronJob, rfc3339InZone } from "./cronjob-util.ts";
import type { Obj } from "./util.ts";

const T0 = Date.parse("2025-03-10T12:00:30Z");
const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
const MIN = 60_000;

const cronJob = (spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): Obj =>
  ({
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "c1", namespace: "default", uid: "cj-uid", creationTimestamp: iso(T0) },
    spec: {
      schedule: "*/1 * * * *",
      concurrencyPolicy: "Allow",
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { metadata: { labels: { team: "a" } }, spec: { template: { spec: { restartPolicy: "OnFailure", containers: [{ name: "c", image: "busybox" }] } } } },
      ...spec,
    },
    status,
  }) as Obj;

/** A Job the controller created for `scheduled`, finished as `outcome` (or running). */
const jobAt = (cj: Obj, scheduled: number, outcome?: "Complete" | "Failed"): Obj => {
  const j = jobFromTemplate(cj, scheduled);
  j.metadata.uid = `job-${scheduled}`;
  j.status = { startTime: iso(scheduled), ...(outcome ? { conditions: [{ type: outcome, status: "True" }], ...(outcome === "Complete" ? { completionTime: iso(scheduled + 5000) } : {}) } : {}) };
  return j;
};
const ref = (j: Obj) => ({ kind: "Job", namespace: "default", name: j.metadata.name, uid: j.metadata.uid, apiVersion: "batch/v1" });

describe("planCronJob", () => {
  it("does nothing before the first scheduled time and requeues for it (+100 ms)", () => {
    const plan = planCronJob(cronJob(), [], T0 + 10_000);
    expect(plan.create).toBeUndefined();
    expect(plan.requeueAfterMs).toBe(Date.parse("2025-03-10T12:01:00Z") + 100 - (T0 + 10_000));
  });

  it("creates <name>-<minutes since epoch> at the scheduled time, with the annotation, labels and owner; then waits for the next minute", () => {
    const cj = cronJob();
    const due = Date.parse("2025-03-10T12:01:00Z");
    const plan = planCronJob(cj, [], due + 2000);
    expect(plan.create!.scheduled).toBe(due);
    expect(plan.create!.job.metadata).toMatchObject({
      name: `c1-${due / MIN}`,
      labels: { team: "a" },
      annotations: { "batch.kubernetes.io/cronjob-scheduled-timestamp": "2025-03-10T12:01:00Z" },
      ownerReferences: [{ kind: "CronJob", name: "c1", uid: "cj-uid", controller: true }],
    });
    expect(plan.status.lastScheduleTime).toBe("2025-03-10T12:01:00Z");
    expect(plan.requeueAfterMs).toBe(MIN + 100 - 2000);
    // the same time is not scheduled twice
    const again = planCronJob(cronJob({}, plan.status), [], due + 3000);
    expect(again.create).toBeUndefined();
  });

  it("runs every minute on a simulated clock, moving finished jobs out of active and keeping the history limits", () => {
    let cj = cronJob({ successfulJobsHistoryLimit: 2 });
    const jobs: Obj[] = [];
    const names: string[] = [];
    for (let m = 1; m <= 5; m++) {
      const now = Date.parse("2025-03-10T12:00:00Z") + m * MIN + 1000;
      const plan = planCronJob(cj, jobs, now);
      for (const gone of plan.cleanup) jobs.splice(jobs.indexOf(gone), 1);
      expect(plan.create).toBeDefined();
      const created = jobAt(cj, plan.create!.scheduled);
      names.push(created.metadata.name);
      cj = cronJob({ successfulJobsHistoryLimit: 2 }, { ...plan.status, active: [...(plan.status.active ?? []), ref(created)] });
      // the job finishes before the next minute
      jobs.push(jobAt(cj, plan.create!.scheduled, "Complete"));
    }
    expect(names).toEqual([1, 2, 3, 4, 5].map((m) => jobNameFor(cj, Date.parse("2025-03-10T12:00:00Z") + m * MIN)));
    const last = planCronJob(cj, jobs, Date.parse("2025-03-10T12:05:30Z"));
    expect(last.cleanup.map((j) => j.metadata.name)).toEqual([names[2]]);
    expect(last.status.active).toBeUndefined();
    expect(last.status.lastSuccessfulTime).toBe("2025-03-10T12:05:05Z");
    expect(last.events.map((e) => e.reason)).toContain("SawCompletedJob");
  });

  it("Forbid skips a run while a job is active; Replace deletes it first", () => {
    const running = jobAt(cronJob(), Date.parse("2025-03-10T12:01:00Z"));
    const status = { active: [ref(running)], lastScheduleTime: "2025-03-10T12:01:00Z" };
    const now = Date.parse("2025-03-10T12:02:01Z");
    const forbid = planCronJob(cronJob({ concurrencyPolicy: "Forbid" }, status), [running], now);
    expect(forbid.create).toBeUndefined();
    expect(forbid.events).toEqual([{ type: "Normal", reason: "JobAlreadyActive", message: "Not starting job because prior execution is running and concurrency policy is Forbid" }]);
    const replace = planCronJob(cronJob({ concurrencyPolicy: "Replace" }, status), [running], now);
    expect(replace.replace).toEqual([ref(running)]);
    expect(replace.create!.job.metadata.name).toBe(`c1-${Date.parse("2025-03-10T12:02:00Z") / MIN}`);
    const allow = planCronJob(cronJob({}, status), [running], now);
    expect(allow.replace).toEqual([]);
    expect(allow.create).toBeDefined();
  });

  it("startingDeadlineSeconds: a run later than the deadline is missed", () => {
    const cj = cronJob({ schedule: "0 * * * *", startingDeadlineSeconds: 10 }, { lastScheduleTime: "2025-03-10T12:00:00Z" });
    const late = planCronJob(cj, [], Date.parse("2025-03-10T13:00:30Z"));
    expect(late.create).toBeUndefined();
    expect(late.requeueAfterMs).toBe(Date.parse("2025-03-10T14:00:00Z") + 100 - Date.parse("2025-03-10T13:00:30Z"));
    expect(planCronJob(cj, [], Date.parse("2025-03-10T13:00:05Z")).create!.scheduled).toBe(Date.parse("2025-03-10T13:00:00Z"));
  });

  it("after a long outage: too many missed start times is reported, and the most recent one still runs", () => {
    const cj = cronJob({}, { lastScheduleTime: "2025-03-10T10:00:00Z" });
    const plan = planCronJob(cj, [], Date.parse("2025-03-10T12:00:30Z"));
    expect(plan.events[0]).toEqual({
      type: "Warning",
      reason: "TooManyMissedTimes",
      message: "too many missed start times: 120. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
    });
    expect(plan.create!.scheduled).toBe(Date.parse("2025-03-10T12:00:00Z"));
  });

  it("suspend stops new runs; a bad schedule or time zone is an event, not a crash", () => {
    expect(planCronJob(cronJob({ suspend: true }), [], T0 + 5 * MIN).create).toBeUndefined();
    expect(planCronJob(cronJob({ schedule: "x" }), [], T0 + 5 * MIN).events[0]).toMatchObject({ reason: "UnparseableSchedule" });
    expect(planCronJob(cronJob({ timeZone: "Mars/Olympus" }), [], T0 + 5 * MIN).events[0]).toMatchObject({ reason: "UnknownTimeZone" });
  });

  it("a missing active job leaves the active list", () => {
    const gone = jobAt(cronJob(), Date.parse("2025-03-10T12:01:00Z"));
    const plan = planCronJob(cronJob({}, { active: [ref(gone)], lastScheduleTime: "2025-03-10T12:01:00Z" }), [], Date.parse("2025-03-10T12:01:30Z"));
    expect(plan.status.active).toBeUndefined();
    expect(plan.events).toEqual([{ type: "Normal", reason: "MissingJob", message: `Active job went missing: ${gone.metadata.name}` }]);
  });

  it("time zones: the schedule is read in spec.timeZone and the annotation carries the zone's offset", () => {
    const cj = cronJob({ schedule: "0 9 * * *", timeZone: "Europe/Paris" }, { lastScheduleTime: "2025-03-09T08:00:00Z" });
    const plan = planCronJob(cj, [], Date.parse("2025-03-10T08:00:10Z"));
    expect(plan.create!.scheduled).toBe(Date.parse("2025-03-10T08:00:00Z"));
    expect(plan.create!.job.metadata.annotations!["batch.kubernetes.io/cronjob-scheduled-timestamp"]).toBe("2025-03-10T09:00:00+01:00");
    expect(rfc3339InZone(Date.parse("2025-07-01T07:00:00Z"), "Europe/Paris")).toBe("2025-07-01T09:00:00+02:00");
  });

  it("mostRecentScheduleTime walks uneven schedules exactly", () => {
    const sched = parseCronSchedule("30 6-16/4 * * 1-5");
    const cj = cronJob({}, { lastScheduleTime: "2025-03-07T14:30:00Z" }); // a Friday
    const r = mostRecentScheduleTime(cj, Date.parse("2025-03-11T11:00:00Z"), sched, false);
    expect(iso(r.mostRecent!)).toBe("2025-03-11T10:30:00Z");
  });
});
