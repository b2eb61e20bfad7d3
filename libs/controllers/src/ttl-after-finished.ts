/**
 * The TTL-after-finished controller: deletes a finished Job (Complete or
 * Failed) `spec.ttlSecondsAfterFinished` seconds after it finished, with
 * background propagation so the garbage collector removes its pods. As in
 * Kubernetes it confirms with a fresh GET before deleting (the TTL may have
 * been changed) and deletes with a uid precondition.
 */
import type { WorkQueue } from "@kubeactor/client";
import { objectKey } from "@kubeactor/client";
import { isJobFinished, type JobCondition } from "./job-util.ts";
import { JOBS } from "./job.ts";
import type { Controller } from "./runtime.ts";
import { isNotFound, meta, type Obj } from "./util.ts";

/** When the job finished: the lastTransitionTime of its Complete / Failed condition. */
export const jobFinishTime = (job: Obj): number | undefined => {
  const c = ((job.status?.conditions ?? []) as JobCondition[]).find((x) => (x.type === "Complete" || x.type === "Failed") && x.status === "True");
  const t = Date.parse(c?.lastTransitionTime ?? "");
  return Number.isFinite(t) ? t : undefined;
};

/** ms until the job expires (≤ 0: now), or undefined when it never does. */
export const ttlRemainingMs = (job: Obj, now: number): number | undefined => {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (typeof ttl !== "number" || meta(job).deletionTimestamp || !isJobFinished(job)) return undefined;
  const finished = jobFinishTime(job);
  return finished === undefined ? undefined : finished + ttl * 1000 - now;
};

export const ttlAfterFinishedController: Controller = {
  name: "ttl-after-finished-controller",
  setup(ctx, queue: WorkQueue) {
    const jobInf = ctx.informer(JOBS);
    jobInf.addHandler({ onAdd: (j) => queue.add(objectKey(j)), onUpdate: (_, j) => queue.add(objectKey(j)) });
    return async (key) => {
      const cached = jobInf.get(key) as Obj | undefined;
      if (!cached || ttlRemainingMs(cached, Date.now()) === undefined) return;
      const [namespace, name] = key.split("/") as [string, string];
      let job: Obj;
      try {
        job = (await ctx.api.get(JOBS, namespace, name)) as Obj;
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      const remaining = ttlRemainingMs(job, Date.now());
      if (remaining === undefined) return;
      if (remaining > 0) return { requeueAfterMs: remaining };
      ctx.log(`ttl-after-finished: deleting job ${key}`);
      await ctx.api
        .delete(JOBS, namespace, name, { propagationPolicy: "Background", preconditions: { uid: meta(job).uid } })
        .catch((e) => {
          if (!isNotFound(e)) throw e;
        });
    };
  },
};
