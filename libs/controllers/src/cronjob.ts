/**
 * The CronJob controller (cronjob_controllerv2): at each scheduled time it
 * creates the Job `<cronjob>-<minutes since epoch>` from the job template,
 * honours concurrencyPolicy, startingDeadlineSeconds and suspend, keeps
 * status.active / lastScheduleTime / lastSuccessfulTime, and deletes finished
 * Jobs beyond the history limits. Decisions are `planCronJob`
 * (cronjob-util.ts); the queue is re-armed for the next scheduled time.
 */
import { objectKey, type ResourceRef, type WorkQueue } from "@kubeactor/client";
import { jobRef, type ObjectReference, planCronJob } from "./cronjob-util.ts";
import { JOBS } from "./job.ts";
import type { Controller } from "./runtime.ts";
import { clone, controllerOf, isAlreadyExists, isNotFound, jsonEqual, meta, type Obj } from "./util.ts";

export const CRONJOBS: ResourceRef = { group: "batch", version: "v1", resource: "cronjobs" };

export const cronJobController: Controller = {
  name: "cronjob-controller",
  workers: 5,
  setup(ctx, queue: WorkQueue) {
    const cjInf = ctx.informer(CRONJOBS);
    const jobInf = ctx.informer(JOBS);
    const events = ctx.recorder("cronjob-controller");

    const ownerKey = (job: Obj): string | undefined => {
      const ref = controllerOf(job);
      return ref?.kind === "CronJob" ? `${meta(job).namespace}/${ref.name}` : undefined;
    };
    const onJob = (j: unknown) => {
      const key = ownerKey(j as Obj);
      if (key) queue.add(key);
    };
    cjInf.addHandler({ onAdd: (c) => queue.add(objectKey(c)), onUpdate: (_, c) => queue.add(objectKey(c)) });
    jobInf.addHandler({ onAdd: onJob, onUpdate: (_, j) => onJob(j), onDelete: onJob });

    const deleteJob = async (cj: Obj, namespace: string, name: string): Promise<void> => {
      try {
        await ctx.api.delete(JOBS, namespace, name, { propagationPolicy: "Background" });
        void events.record(cj, "Normal", "SuccessfulDelete", `Deleted job ${name}`);
      } catch (e) {
        if (isNotFound(e)) return;
        void events.record(cj, "Warning", "FailedDelete", `Deleted job: ${(e as Error).message}`);
        throw e;
      }
    };

    return async (key) => {
      const cj = cjInf.get(key) as Obj | undefined;
      if (!cj) return;
      const namespace = meta(cj).namespace!;
      const jobs = (jobInf.byIndex("namespace", namespace) as Obj[]).filter((j) => controllerOf(j)?.uid === meta(cj).uid);
      // An active job missing from the cache is confirmed gone with a live GET (the cache may lag).
      const gone = new Set<string>();
      for (const ref of (cj.status?.active ?? []) as ObjectReference[]) {
        if (jobs.some((j) => meta(j).uid === ref.uid)) continue;
        try {
          const live = (await ctx.api.get(JOBS, namespace, ref.name)) as Obj;
          if (meta(live).uid !== ref.uid) gone.add(ref.uid);
        } catch (e) {
          if (!isNotFound(e)) throw e;
          gone.add(ref.uid);
        }
      }
      const plan = planCronJob(cj, jobs, Date.now(), (ref) => gone.has(ref.uid));
      for (const e of plan.events) void events.record(cj, e.type, e.reason, e.message);
      for (const j of plan.cleanup) await deleteJob(cj, namespace, meta(j).name);
      for (const r of plan.replace) await deleteJob(cj, namespace, r.name);
      let status = plan.status;
      if (plan.create) {
        let created: Obj;
        try {
          created = (await ctx.api.create(JOBS, namespace, plan.create.job)) as Obj;
          void events.record(cj, "Normal", "SuccessfulCreate", `Created job ${meta(created).name}`);
        } catch (e) {
          if (!isAlreadyExists(e)) {
            void events.record(cj, "Warning", "FailedCreate", `Error creating job: ${(e as Error).message}`);
            throw e;
          }
          // Created by an earlier sync whose status write was lost: adopt it into the active list if it is ours.
          created = (await ctx.api.get(JOBS, namespace, meta(plan.create.job).name)) as Obj;
          if (controllerOf(created)?.uid !== meta(cj).uid) return;
        }
        if (!(status.active ?? []).some((r) => r.uid === meta(created).uid)) status = { ...status, active: [...(status.active ?? []), jobRef(created)] };
      }
      if (!jsonEqual(status, cj.status ?? {})) await ctx.api.updateStatus(CRONJOBS, namespace, { ...clone(cj), status });
      if (plan.requeueAfterMs !== undefined) return { requeueAfterMs: plan.requeueAfterMs };
    };
  },
};
