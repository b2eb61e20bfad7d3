import { describe, expect, it } from "vitest";
import { formatIndexes, matchPodFailurePolicy, parseIndexes, planJob, remainingBackoffMs } from "./job-util.ts";
import { podFromJob } from "./job.ts";
import { ttlRemainingMs } from "./ttl-after-finished.ts";
import type { Obj } from "./util.ts";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(".000Z", "Z");
const FIN = "batch.kubernetes.io/job-tracking";

const job = (spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): Obj =>
  ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "j1", namespace: "default", uid: "job-uid", creationTimestamp: at(0) },
    spec: { parallelism: 1, completions: 1, backoffLimit: 6, completionMode: "NonIndexed", suspend: false, template: { metadata: { labels: { a: "b" } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } }, ...spec },
    status,
  }) as Obj;

let n = 0;
const pod = (phase: string, opts: { finalizer?: boolean; finishedAt?: number; deleting?: boolean; ready?: boolean; index?: number; restarts?: number } = {}): Obj =>
  ({
    metadata: {
      name: `j1-${++n}`,
      namespace: "default",
      uid: `pod-${n}`,
      creationTimestamp: at(0),
      ...(opts.finalizer !== false ? { finalizers: [FIN] } : {}),
      ...(opts.deleting ? { deletionTimestamp: at(5) } : {}),
      ...(opts.index !== undefined ? { annotations: { "batch.kubernetes.io/job-completion-index": String(opts.index) } } : {}),
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "j1", uid: "job-uid", controller: true }],
    },
    status: {
      phase,
      ...(opts.ready ? { conditions: [{ type: "Ready", status: "True" }] } : {}),
      containerStatuses: [
        {
          name: "c",
          restartCount: opts.restarts ?? 0,
          ...(opts.finishedAt !== undefined ? { state: { terminated: { finishedAt: at(opts.finishedAt), exitCode: phase === "Failed" ? 1 : 0 } } } : {}),
        },
      ],
    },
  }) as Obj;

const types = (s: { conditions?: { type: string; reason?: string }[] }) => (s.conditions ?? []).map((c) => `${c.type}${c.reason ? `/${c.reason}` : ""}`);

describe("planJob", () => {
  it("starts a new job: one pod, startTime, ready/terminating zero, empty uncounted", () => {
    const plan = planJob(job(), [], T0);
    expect(plan.create).toEqual([undefined]);
    expect(plan.status).toEqual({ startTime: at(0), active: 1, terminating: 0, uncountedTerminatedPods: {}, ready: 0 });
  });

  it("creates up to parallelism but never more than the completions left", () => {
    expect(planJob(job({ parallelism: 5, completions: 3 }), [], T0).create).toHaveLength(3);
    const done = [pod("Succeeded", { finalizer: false })];
    expect(planJob(job({ parallelism: 5, completions: 3 }, { succeeded: 1, startTime: at(0) }), done, T0).create).toHaveLength(2);
    // without completions: parallelism pods, and none once one succeeded
    expect(planJob(job({ parallelism: 2, completions: undefined }), [], T0).create).toHaveLength(2);
  });

  it("counts a succeeded pod through the finalizer: uncounted, finalizer removed, counted, then SuccessCriteriaMet and Complete", () => {
    const p = pod("Succeeded", { finishedAt: 3 });
    const j = job({}, { startTime: at(0), active: 1, terminating: 0, ready: 0, uncountedTerminatedPods: {} });
    const first = planJob(j, [p], T0 + 4000);
    expect(first.status.uncountedTerminatedPods).toEqual({ succeeded: [p.metadata.uid] });
    expect(first.removeFinalizers).toEqual([]); // not persisted yet
    expect(types(first.status)).toEqual(["SuccessCriteriaMet/CompletionsReached"]);
    expect(first.create).toEqual([]);
    const second = planJob({ ...j, status: first.status } as Obj, [p], T0 + 4000);
    expect(second.removeFinalizers).toEqual([p]);
    const released = { ...p, metadata: { ...p.metadata, finalizers: [] } } as Obj;
    const third = planJob({ ...j, status: second.status } as Obj, [released], T0 + 5000);
    expect(third.status).toMatchObject({ succeeded: 1, completionTime: at(5), uncountedTerminatedPods: {}, ready: 0, terminating: 0 });
    expect(types(third.status)).toEqual(["SuccessCriteriaMet/CompletionsReached", "Complete/CompletionsReached"]);
    expect(third.status.conditions![1]).toMatchObject({ status: "True", message: "Reached expected number of succeeded pods" });
    expect(third.events).toEqual([{ type: "Normal", reason: "Completed", message: "Job completed" }]);
  });

  it("waits out the backoff (10 s doubling) before replacing failed pods, and fails past backoffLimit", () => {
    const failed1 = pod("Failed", { finalizer: false, finishedAt: 10 });
    const j = job({ backoffLimit: 1 }, { startTime: at(0), failed: 1, terminating: 0, ready: 0, uncountedTerminatedPods: {} });
    const waiting = planJob(j, [failed1], T0 + 15_000);
    expect(waiting.create).toEqual([]);
    expect(waiting.requeueAfterMs).toBe(5000);
    expect(planJob(j, [failed1], T0 + 20_000).create).toHaveLength(1);
    const failed2 = pod("Failed", { finalizer: false, finishedAt: 30 });
    expect(remainingBackoffMs(j, [failed1, failed2], T0 + 30_000)).toBe(20_000);
    const gone = planJob({ ...j, status: { ...j.status, failed: 2 } } as Obj, [failed1, failed2], T0 + 31_000);
    expect(types(gone.status)).toEqual(["FailureTarget/BackoffLimitExceeded", "Failed/BackoffLimitExceeded"]);
    expect(gone.status.conditions![1]!.message).toBe("Job has reached the specified backoff limit");
    expect(gone.status.completionTime).toBeUndefined();
    expect(gone.events).toEqual([{ type: "Warning", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }]);
  });

  it("caps the backoff at 6 minutes", () => {
    const pods = Array.from({ length: 10 }, (_, i) => pod("Failed", { finalizer: false, finishedAt: i }));
    expect(remainingBackoffMs(job(), pods, T0 + 9000)).toBe(360_000);
  });

  it("restartPolicy OnFailure counts container restarts toward backoffLimit", () => {
    const j = job({ backoffLimit: 2, template: { spec: { restartPolicy: "OnFailure", containers: [{ name: "c" }] } } }, { startTime: at(0) });
    const running = pod("Running", { restarts: 2 });
    const plan = planJob(j, [running], T0 + 1000);
    expect(types(plan.status)).toEqual(["FailureTarget/BackoffLimitExceeded"]);
    expect(plan.delete).toEqual([running]);
    expect(plan.status.uncountedTerminatedPods).toEqual({ failed: [running.metadata.uid] });
  });

  it("activeDeadlineSeconds: requeues until the deadline, then FailureTarget/DeadlineExceeded deletes the active pods", () => {
    const running = pod("Running", { ready: true });
    const j = job({ activeDeadlineSeconds: 30 }, { startTime: at(0), active: 1 });
    const before = planJob(j, [running], T0 + 10_000);
    expect(before.requeueAfterMs).toBe(20_000);
    expect(before.status).toMatchObject({ active: 1, ready: 1 });
    const after = planJob(j, [running], T0 + 30_000);
    expect(types(after.status)).toEqual(["FailureTarget/DeadlineExceeded"]);
    expect(after.status.conditions![0]!.message).toBe("Job was active longer than specified deadline");
    expect(after.delete).toEqual([running]);
  });

  it("suspend deletes the active pods and sets Suspended; resuming resets startTime", () => {
    const running = pod("Running");
    const suspended = planJob(job({ suspend: true }, { startTime: at(0), active: 1 }), [running], T0 + 5000);
    expect(suspended.delete).toEqual([running]);
    expect(types(suspended.status)).toEqual(["Suspended/JobSuspended"]);
    expect(suspended.events[0]).toMatchObject({ reason: "Suspended", message: "Job suspended" });
    const resumed = planJob(job({}, suspended.status as Record<string, unknown>), [], T0 + 9000);
    expect(resumed.status.conditions![0]).toMatchObject({ type: "Suspended", status: "False", reason: "JobResumed", message: "Job resumed" });
    expect(resumed.status.startTime).toBe(at(9));
    expect(resumed.create).toHaveLength(1);
  });

  it("a deleted, unfinished pod counts as failed (podReplacementPolicy TerminatingOrFailed) and is replaced at once", () => {
    const dying = pod("Running", { deleting: true });
    const plan = planJob(job({}, { startTime: at(0) }), [dying], T0 + 6000);
    expect(plan.status).toMatchObject({ terminating: 1, uncountedTerminatedPods: { failed: [dying.metadata.uid] } });
    // with policy Failed the replacement waits for the pod to terminate
    expect(planJob(job({ podReplacementPolicy: "Failed" }, { startTime: at(0) }), [dying], T0 + 6000).create).toEqual([]);
  });

  it("Indexed: creates the missing indexes and completes when every index succeeded", () => {
    const j = job({ completionMode: "Indexed", completions: 3, parallelism: 3 }, { startTime: at(0) });
    expect(planJob(j, [pod("Running", { index: 1 })], T0).create).toEqual([0, 2]);
    const done = [0, 1, 2].map((i) => pod("Succeeded", { index: i, finalizer: false }));
    const plan = planJob({ ...j, status: { startTime: at(0), completedIndexes: "0-2", succeeded: 3 } } as Obj, done, T0 + 1000);
    expect(plan.status).toMatchObject({ succeeded: 3, completedIndexes: "0-2" });
    expect(types(plan.status)).toEqual(["SuccessCriteriaMet/CompletionsReached", "Complete/CompletionsReached"]);
    const created = podFromJob(j, 2);
    expect(created.metadata).toMatchObject({ generateName: "j1-2-", annotations: { "batch.kubernetes.io/job-completion-index": "2" }, finalizers: [FIN] });
    expect(created.spec.hostname).toBe("j1-2");
    expect(created.spec.containers[0].env[0].name).toBe("JOB_COMPLETION_INDEX");
  });

  it("podFailurePolicy: FailJob on an exit code fails the job with kube's message; Ignore neither counts nor backs off", () => {
    const policy = {
      rules: [
        { action: "FailJob", onExitCodes: { containerName: "c", operator: "In", values: [42] } },
        { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
      ],
    };
    const j = job({ podFailurePolicy: policy, podReplacementPolicy: "Failed" }, { startTime: at(0) });
    const exit42 = pod("Failed", { finishedAt: 3 });
    exit42.status.containerStatuses[0].state.terminated.exitCode = 42;
    expect(matchPodFailurePolicy(j, exit42)).toEqual({
      count: true,
      action: "FailJob",
      failJobMessage: `Container c for pod default/${exit42.metadata.name} failed with exit code 42 matching FailJob rule at index 0`,
    });
    const failing = planJob(j, [exit42], T0 + 4000);
    expect(failing.status.conditions![0]).toMatchObject({ type: "FailureTarget", reason: "PodFailurePolicy" });
    expect(failing.status.uncountedTerminatedPods).toEqual({ failed: [exit42.metadata.uid] });

    const evicted = pod("Failed", { finishedAt: 3 });
    evicted.status.conditions = [{ type: "DisruptionTarget", status: "True" }];
    const ignored = planJob(j, [evicted], T0 + 4000);
    expect(ignored.status.uncountedTerminatedPods).toEqual({});
    expect(ignored.removeFinalizers).toEqual([evicted]);
    expect(ignored.create).toHaveLength(1); // replaced at once: an ignored failure has no backoff
    // exit code 1 matches no rule: counted as usual
    expect(matchPodFailurePolicy(j, pod("Failed", { finishedAt: 3 }))).toEqual({ count: true });
  });

  it("successPolicy (Indexed): once the rule is met the job stops its other pods and completes with reason SuccessPolicy", () => {
    const j = job({ completionMode: "Indexed", completions: 3, parallelism: 3, successPolicy: { rules: [{ succeededIndexes: "0", succeededCount: 1 }] } }, { startTime: at(0) });
    const leader = pod("Succeeded", { index: 0, finalizer: false });
    const workers = [pod("Running", { index: 1 }), pod("Running", { index: 2 })];
    const plan = planJob({ ...j, status: { startTime: at(0), completedIndexes: "0", succeeded: 1 } } as Obj, [leader, ...workers], T0 + 1000);
    expect(plan.status.conditions![0]).toMatchObject({ type: "SuccessCriteriaMet", reason: "SuccessPolicy", message: "Matched rules at index 0" });
    expect(plan.delete).toEqual(workers);
    expect(plan.removeFinalizers).toEqual([]);
    expect(plan.create).toEqual([]);
    // once they are gone: Complete with the same reason
    const done = planJob({ ...j, status: plan.status } as Obj, [leader], T0 + 2000);
    expect(done.status.conditions!.map((c) => `${c.type}/${c.reason}`)).toEqual(["SuccessCriteriaMet/SuccessPolicy", "Complete/SuccessPolicy"]);
    // not met: index 0 still running
    const other = { ...j, status: { startTime: at(0), completedIndexes: "1-2", succeeded: 2 } } as Obj;
    expect(planJob(other, [pod("Running", { index: 0 }), pod("Succeeded", { index: 1, finalizer: false }), pod("Succeeded", { index: 2, finalizer: false })], T0).status.conditions).toBeUndefined();
  });

  it("a finished job only releases finalizers", () => {
    const p = pod("Succeeded");
    const finished = job({}, { conditions: [{ type: "Complete", status: "True" }] });
    expect(planJob(finished, [p], T0)).toMatchObject({ create: [], delete: [], removeFinalizers: [p] });
  });

  it("completed indexes print as intervals", () => {
    expect(formatIndexes([7, 1, 3, 4, 5])).toBe("1,3-5,7");
    expect([...parseIndexes("1,3-5,7")]).toEqual([1, 3, 4, 5, 7]);
  });
});

describe("ttlSecondsAfterFinished", () => {
  it("expires a finished job ttl seconds after its terminal condition", () => {
    const finished = job({ ttlSecondsAfterFinished: 60 }, { conditions: [{ type: "Complete", status: "True", lastTransitionTime: at(10) }] });
    expect(ttlRemainingMs(finished, T0 + 20_000)).toBe(50_000);
    expect(ttlRemainingMs(finished, T0 + 80_000)).toBe(-10_000);
    expect(ttlRemainingMs(job({ ttlSecondsAfterFinished: 60 }), T0)).toBeUndefined();
    expect(ttlRemainingMs(job({}, finished.status), T0)).toBeUndefined();
  });
});
