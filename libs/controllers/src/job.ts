/**
 * The Job controller: runs a Job's pods until enough succeed, counts them
 * through the `batch.kubernetes.io/job-tracking` finalizer, and writes the
 * status and conditions `kubectl wait --for=condition=complete` reads. The
 * decisions are `planJob` (job-util.ts); this file reads the cache, applies
 * the plan and wires the informers. Pods whose Job is gone or finished only
 * get their finalizer removed (queued as `pod:<namespace>/<name>`).
 */
import { JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER } from "@kubeactor/api";
import { objectKey, type ResourceRef, type WorkQueue } from "@kubeactor/client";
import { Expectations } from "./expectations.ts";
import { hasTrackingFinalizer, isJobFinished, type JobPlan, planJob } from "./job-util.ts";
import { claimAction } from "./replicaset.ts";
import { type Controller, PODS } from "./runtime.ts";
import { clone, controllerOf, controllerRef, isNotFound, jsonEqual, matches, meta, type Obj, selectorOf, slowStartBatch } from "./util.ts";

export const JOBS: ResourceRef = { group: "batch", version: "v1", resource: "jobs" };

/** The pod the job creates for `index` (Indexed) or any pod (NonIndexed), with the tracking finalizer and the controller reference. */
export const podFromJob = (job: Obj, index?: number): Obj => {
  const template = clone(job.spec?.template ?? {});
  const labels = { ...(template.metadata?.labels ?? {}) };
  const annotations = { ...(template.metadata?.annotations ?? {}) };
  const spec = template.spec ?? {};
  let generateName = `${meta(job).name}-`;
  if (index !== undefined) {
    annotations[JOB_COMPLETION_INDEX] = String(index);
    labels[JOB_COMPLETION_INDEX] = String(index);
    generateName = `${meta(job).name}-${index}-`;
    // Indexed pods can find each other through a headless Service named like the subdomain.
    spec.hostname ??= `${meta(job).name}-${index}`;
    const env = { name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: `metadata.labels['${JOB_COMPLETION_INDEX}']` } } };
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      if (!(c.env ?? []).some((e: { name: string }) => e.name === env.name)) c.env = [...(c.env ?? []), env];
    }
  }
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName,
      namespace: meta(job).namespace,
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      finalizers: [...new Set([...(template.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER])],
      ownerReferences: [controllerRef(job)],
    },
    spec,
  } as unknown as Obj;
};

export const jobController: Controller = {
  name: "job-controller",
  workers: 5,
  setup(ctx, queue: WorkQueue) {
    const jobInf = ctx.informer(JOBS);
    const podInf = ctx.informer(PODS);
    const events = ctx.recorder("job-controller");
    const expectations = new Expectations();

    /** The queue key of the Job controlling `pod` (whether or not it is still cached). */
    const jobKeyOf = (pod: Obj): string | undefined => {
      const ref = controllerOf(pod);
      return ref?.kind === "Job" && ref.apiVersion === "batch/v1" ? `${meta(pod).namespace}/${ref.name}` : undefined;
    };
    const onPod = (pod: Obj) => {
      const key = jobKeyOf(pod);
      if (!key) {
        if (controllerOf(pod)) return;
        // An orphan: a Job whose selector matches may adopt it; with none, a leftover finalizer is released.
        const matching = (jobInf.byIndex("namespace", meta(pod).namespace ?? "") as Obj[]).filter((j) => !isJobFinished(j) && matches(selectorOf(j), pod));
        for (const j of matching) queue.add(objectKey(j));
        if (matching.length === 0 && hasTrackingFinalizer(pod)) queue.add(`pod:${objectKey(pod)}`);
        return;
      }
      const job = jobInf.get(key) as Obj | undefined;
      if (job && meta(job).uid === controllerOf(pod)!.uid) queue.add(key);
      else if (hasTrackingFinalizer(pod)) queue.add(`pod:${objectKey(pod)}`);
    };

    jobInf.addHandler({
      onAdd: (j) => queue.add(objectKey(j)),
      onUpdate: (_, j) => queue.add(objectKey(j)),
      onDelete: (j) => {
        expectations.delete(objectKey(j));
        // Its pods keep their finalizer until someone removes it.
        for (const p of podInf.byIndex("namespace", meta(j).namespace ?? "") as Obj[]) if (controllerOf(p)?.uid === meta(j).uid && hasTrackingFinalizer(p)) queue.add(`pod:${objectKey(p)}`);
      },
    });
    podInf.addHandler({
      onAdd: (p) => {
        const key = jobKeyOf(p as Obj);
        if (key) expectations.creationObserved(key);
        onPod(p as Obj);
      },
      onUpdate: (o, p) => {
        const [old, pod] = [o as Obj, p as Obj];
        const key = jobKeyOf(pod);
        if (key && meta(pod).deletionTimestamp && !meta(old).deletionTimestamp) expectations.deletionObserved(key, objectKey(pod));
        onPod(pod);
      },
      onDelete: (p) => {
        const key = jobKeyOf(p as Obj);
        if (key) expectations.deletionObserved(key, objectKey(p as Obj));
        onPod(p as Obj);
      },
    });

    const removeFinalizer = async (pod: Obj): Promise<Obj | undefined> => {
      const next = clone(pod);
      next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
      try {
        return (await ctx.api.update(PODS, meta(pod).namespace!, next)) as Obj;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    };

    /** An orphan (its Job gone, replaced or finished): only the finalizer is left to remove. */
    const releaseOrphan = async (podKey: string): Promise<void> => {
      const pod = podInf.get(podKey) as Obj | undefined;
      if (!pod || !hasTrackingFinalizer(pod)) return;
      const key = jobKeyOf(pod);
      const job = key ? (jobInf.get(key) as Obj | undefined) : undefined;
      if (job && meta(job).uid === controllerOf(pod)!.uid && !isJobFinished(job) && !meta(job).deletionTimestamp) return void queue.add(key!);
      await removeFinalizer(pod);
    };

    /** Creates and deletes what the plan says; returns the created pods. */
    const managePods = async (key: string, job: Obj, plan: JobPlan): Promise<Obj[]> => {
      const created: Obj[] = [];
      if (plan.create.length) {
        expectations.expectCreations(key, plan.create.length);
        const indexes = [...plan.create];
        const { successes, error } = await slowStartBatch(indexes.length, 1, async () => {
          const index = indexes.shift();
          try {
            const pod = (await ctx.api.create(PODS, meta(job).namespace!, podFromJob(job, index))) as Obj;
            created.push(pod);
            void events.record(job, "Normal", "SuccessfulCreate", `Created pod: ${meta(pod).name}`);
          } catch (e) {
            if (/being terminated/.test((e as Error).message)) return;
            void events.record(job, "Warning", "FailedCreate", `Error creating: ${(e as Error).message}`);
            throw e;
          }
        });
        for (let i = successes; i < plan.create.length; i++) expectations.creationObserved(key);
        if (error) throw error;
      }
      if (plan.delete.length) {
        expectations.expectDeletions(key, plan.delete.map((p) => objectKey(p)));
        await Promise.all(
          plan.delete.map(async (pod) => {
            try {
              // As deleteJobPods: the finalizer goes first, so a pod the controller deletes is not counted as failed
              // (a failing job has already listed its active pods as failed in this round's status).
              if (hasTrackingFinalizer(pod) && !(await removeFinalizer(pod))) return void expectations.deletionObserved(key, objectKey(pod));
              await ctx.api.delete(PODS, meta(pod).namespace!, meta(pod).name);
              void events.record(job, "Normal", "SuccessfulDelete", `Deleted pod: ${meta(pod).name}`);
            } catch (e) {
              expectations.deletionObserved(key, objectKey(pod));
              if (!isNotFound(e)) throw e;
            }
          }),
        );
      }
      return created;
    };

    /**
     * ClaimPods with the job's PodControllerRefManager: a matching orphan is
     * adopted with the tracking finalizer, an owned pod that stopped matching is
     * released without it. A finished or deleting job claims nothing new.
     */
    const claimPods = async (job: Obj): Promise<Obj[]> => {
      const owned: Obj[] = [];
      const quiet = isJobFinished(job) || !!meta(job).deletionTimestamp;
      for (const pod of podInf.byIndex("namespace", meta(job).namespace ?? "") as Obj[]) {
        const action = claimAction(job, pod);
        if (action === "own" || (quiet && controllerOf(pod)?.uid === meta(job).uid)) owned.push(pod);
        else if (quiet || action === "ignore") continue;
        else if (action === "adopt") {
          const adopted = clone(pod);
          adopted.metadata.ownerReferences = [...(adopted.metadata.ownerReferences ?? []), controllerRef(job)];
          adopted.metadata.finalizers = [...new Set([...(adopted.metadata.finalizers ?? []), JOB_TRACKING_FINALIZER])];
          owned.push((await ctx.api.update(PODS, meta(pod).namespace!, adopted)) as Obj);
        } else {
          const released = clone(pod);
          released.metadata.ownerReferences = (released.metadata.ownerReferences ?? []).filter((r) => r.uid !== meta(job).uid);
          released.metadata.finalizers = (released.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
          await ctx.api.update(PODS, meta(pod).namespace!, released).catch((e) => {
            if (!isNotFound(e)) throw e;
          });
        }
      }
      return owned;
    };

    return async (key) => {
      if (key.startsWith("pod:")) return void (await releaseOrphan(key.slice(4)));
      let job = jobInf.get(key) as Obj | undefined;
      if (!job) return void expectations.delete(key);
      let pods = await claimPods(job);
      let requeueAfterMs: number | undefined;
      // Up to three rounds: record finished pods as uncounted, remove their finalizers, count them.
      for (let round = 0; round < 3; round++) {
        const plan = planJob(job, pods, Date.now(), round === 0 && expectations.satisfied(key));
        if (round === 0) {
          pods = [...pods, ...(await managePods(key, job, plan))];
          requeueAfterMs = plan.requeueAfterMs;
        }
        const statusChanged = !jsonEqual(plan.status, job.status ?? {});
        if (statusChanged) job = (await ctx.api.updateStatus(JOBS, meta(job).namespace!, { ...clone(job), status: plan.status })) as Obj;
        for (const e of statusChanged ? plan.events : []) void events.record(job, e.type, e.reason, e.message);
        // Another round only when finalizers went: the pods they freed can now be counted.
        if (!plan.removeFinalizers.length) break;
        const released = await Promise.all(plan.removeFinalizers.map(removeFinalizer));
        const byUid = new Map(released.filter((p): p is Obj => !!p).map((p) => [meta(p).uid, p]));
        const gone = new Set(plan.removeFinalizers.map((p) => meta(p).uid).filter((uid) => !byUid.has(uid)));
        pods = pods.filter((p) => !gone.has(meta(p).uid)).map((p) => byUid.get(meta(p).uid) ?? p);
      }
      if (requeueAfterMs !== undefined && !isJobFinished(job)) return { requeueAfterMs: Math.max(requeueAfterMs, 100) };
    };
  },
};
