/**
 * Jobs and CronJobs with the real kubectl against `kubeactor up` (one node,
 * busybox runs the host's shell as a real process): `create job` → `wait
 * --for=condition=complete` → `logs job/...` → `get jobs`; a failing job ends
 * Failed/BackoffLimitExceeded after its backoff; ttlSecondsAfterFinished
 * deletes a finished job and its pods; `create cronjob`, `create job
 * --from=cronjob/...`, one real scheduled run, and the garbage collector
 * removing a CronJob's jobs and their pods.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@kubeactor/bus";
import { kubectlBinary, kubectlFor, startProcess, until, type RunningProcess } from "@kubeactor/testing";


describe.skipIf(!existsSync(kubectlBinary(32)))("kubectl jobs and cronjobs against kubeactor up", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kubeactor-jobs-"));
  const kubeconfig = join(dataDir, "kubeconfig");
  let up: RunningProcess;
  /** When c1 was created: its first scheduled run is the next whole minute. */
  let cronCreatedAt = 0;

  const kubectl = kubectlFor({ kubeconfig, minor: 32, timeoutMs: 90_000 });
  const json = kubectl.json;
  const createFile = (name: string, yaml: string) => {
    const file = join(dataDir, name);
    writeFileSync(file, yaml);
    return kubectl("create", "-f", file);
  };

  beforeAll(async () => {
    const port = await freePort();
    up = await startProcess("apps/kubeactor/src/main.ts", ["up", "--embedded", "--nodes", "1", "--data-dir", dataDir, "--port", String(port)], { ready: /export KUBECONFIG=/ });
  }, 120_000);
  afterAll(async () => {
    await up?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    kubectl.dispose();
  });

  it("serves batch/v1 like a real cluster: api-resources, create cronjob (protobuf), validation", { timeout: 60_000 }, async () => {
    expect(await kubectl("api-resources", "--api-group=batch", "--no-headers")).toMatch(/^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob\njobs\s+batch\/v1\s+true\s+Job\n$/);
    expect(await kubectl("create", "cronjob", "c1", "--image=busybox", "--schedule=*/1 * * * *", "--", "sh", "-c", "echo from cron")).toBe("cronjob.batch/c1 created\n");
    cronCreatedAt = Date.now();
    const header = (await kubectl("get", "cronjobs")).split("\n")[0];
    expect(header).toMatch(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);
    expect(await kubectl("get", "cj", "c1", "--no-headers")).toMatch(/^c1\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s\n$/);
    expect(await kubectl.fails("create", "cronjob", "bad", "--image=busybox", "--schedule=x")).toContain(
      'CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "x": expected exactly 5 fields, found 1: [x]',
    );
    expect(
      await createFile("always.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: always\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: busybox\n").catch((e) => String(e.stderr)),
    ).toContain('The Job "always" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"');
  });

  it("create job → wait --for=condition=complete → logs → get jobs shows Complete 1/1", { timeout: 90_000 }, async () => {
    expect(await kubectl("create", "job", "j1", "--image=busybox", "--", "sh", "-c", "echo hi")).toBe("job.batch/j1 created\n");
    expect(await kubectl("wait", "--for=condition=complete", "job/j1", "--timeout=60s")).toBe("job.batch/j1 condition met\n");
    expect(await kubectl("logs", "job/j1")).toBe("hi\n");
    const rows = (await kubectl("get", "jobs")).split("\n");
    expect(rows[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
    expect(rows.find((r) => r.startsWith("j1 "))).toMatch(/^j1\s+Complete\s+1\/1\s+\d+s\s+\d+s$/);
    const job = await json("get", "job", "j1");
    const uid = job.metadata.uid;
    expect(job.spec.selector).toEqual({ matchLabels: { "batch.kubernetes.io/controller-uid": uid } });
    expect(job.metadata.labels).toEqual({ "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "j1", "controller-uid": uid, "job-name": "j1" });
    expect(job.status).toMatchObject({ succeeded: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {} });
    expect(job.status.conditions.map((c: { type: string; reason: string }) => `${c.type}/${c.reason}`)).toEqual(["SuccessCriteriaMet/CompletionsReached", "Complete/CompletionsReached"]);
    // the pod was counted: its tracking finalizer is gone
    const pods = await json("get", "pods", "-l", "job-name=j1");
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0].metadata.finalizers ?? []).toEqual([]);
    expect(pods.items[0].metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "Job", name: "j1", uid, controller: true })]);
    expect(await kubectl("get", "jobs", "j1", "-o", "wide", "--no-headers")).toMatch(new RegExp(`^j1\\s+Complete\\s+1/1\\s+\\S+\\s+\\S+\\s+j1\\s+busybox\\s+batch.kubernetes.io/controller-uid=${uid}\\n$`));
  });

  it("a failing job (exit 1, backoffLimit 1) ends Failed with BackoffLimitExceeded after one retry", { timeout: 90_000 }, async () => {
    await createFile(
      "fail.yaml",
      `apiVersion: batch/v1
kind: Job
metadata:
  name: f1
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
        command: ["sh", "-c", "echo failing; exit 1"]
`,
    );
    expect(await kubectl("wait", "--for=condition=failed", "job/f1", "--timeout=80s")).toBe("job.batch/f1 condition met\n");
    const job = await json("get", "job", "f1");
    expect(job.status.failed).toBe(2);
    expect(job.status.completionTime).toBeUndefined();
    const failed = job.status.conditions.find((c: { type: string }) => c.type === "Failed");
    expect(failed).toMatchObject({ status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" });
    expect(await kubectl("get", "job", "f1", "--no-headers")).toMatch(/^f1\s+Failed\s+0\/1\s/);
    const described = await kubectl("describe", "job", "f1");
    expect(described).toMatch(/Warning\s+BackoffLimitExceeded\s+.*job-controller\s+Job has reached the specified backoff limit/);
    expect(described.match(/SuccessfulCreate/g)).toHaveLength(2);
  });

  it("podFailurePolicy FailJob on exit code 42 fails the job at once (reason PodFailurePolicy)", { timeout: 60_000 }, async () => {
    await createFile(
      "pfp.yaml",
      `apiVersion: batch/v1
kind: Job
metadata:
  name: pfp
spec:
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes:
        operator: In
        values: [42]
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", "exit 42"]
`,
    );
    expect(await kubectl("wait", "--for=condition=failed", "job/pfp", "--timeout=50s")).toBe("job.batch/pfp condition met\n");
    const job = await json("get", "job", "pfp");
    const pod = (await json("get", "pods", "-l", "job-name=pfp")).items[0];
    expect(job.status.conditions.find((c: { type: string }) => c.type === "Failed")).toMatchObject({
      reason: "PodFailurePolicy",
      message: `Container main for pod default/${pod.metadata.name} failed with exit code 42 matching FailJob rule at index 0`,
    });
    expect(job.status.failed).toBe(1);
  });

  it("suspend deletes the running pod without counting it; resume completes; activeDeadlineSeconds fails a job with DeadlineExceeded", { timeout: 90_000 }, async () => {
    await kubectl("create", "job", "sl", "--image=busybox", "--", "sh", "-c", "sleep 6; echo done");
    await until("sl's pod", async () => ((await json("get", "pods", "-l", "job-name=sl")).items.length === 1 ? true : undefined), 30_000);
    await kubectl("patch", "job", "sl", "--type=merge", "-p", '{"spec":{"suspend":true}}');
    await until("sl suspended without pods", async () => {
      const row = await kubectl("get", "job", "sl", "--no-headers");
      return /^sl\s+Suspended\s+0\/1\s/.test(row) && (await json("get", "pods", "-l", "job-name=sl")).items.length === 0 ? true : undefined;
    }, 30_000);
    await kubectl("patch", "job", "sl", "--type=merge", "-p", '{"spec":{"suspend":false}}');
    await kubectl("wait", "--for=condition=complete", "job/sl", "--timeout=60s");
    const sl = await json("get", "job", "sl");
    expect(sl.status.failed).toBeUndefined();
    expect(sl.status.conditions[0]).toMatchObject({ type: "Suspended", status: "False", reason: "JobResumed" });
    // Both events (kubectl sorts them by second-precision timestamps, so within one second their order is not fixed).
    const described = await kubectl("describe", "job", "sl");
    expect(described).toMatch(/Normal\s+Suspended\s+.*Job suspended/);
    expect(described).toMatch(/Normal\s+Resumed\s+.*Job resumed/);

    await createFile(
      "deadline.yaml",
      "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dl\nspec:\n  activeDeadlineSeconds: 2\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n        command: [sh, -c, 'sleep 100']\n",
    );
    await kubectl("wait", "--for=condition=failed", "job/dl", "--timeout=60s");
    const dl = await json("get", "job", "dl");
    expect(dl.status.conditions.find((c: { type: string }) => c.type === "Failed")).toMatchObject({ reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" });
    await until("dl's pod gone", async () => ((await json("get", "pods", "-l", "job-name=dl")).items.length === 0 ? true : undefined), 30_000);
  });

  it("a job with manualSelector adopts a matching orphan pod (controller reference and tracking finalizer) and counts it", { timeout: 60_000 }, async () => {
    await kubectl("run", "orphan", "--image=busybox", "--restart=Never", "--labels=app=adopt", "--", "sh", "-c", "sleep 3; echo adopted");
    await createFile(
      "manual.yaml",
      "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: man\nspec:\n  manualSelector: true\n  selector:\n    matchLabels: {app: adopt}\n  template:\n    metadata:\n      labels: {app: adopt}\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n        command: [sh, -c, 'echo new']\n",
    );
    await kubectl("wait", "--for=condition=complete", "job/man", "--timeout=50s");
    const pods = (await json("get", "pods", "-l", "app=adopt")).items;
    expect(pods.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(["orphan"]);
    expect(pods[0].metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "Job", name: "man", controller: true })]);
    expect(await kubectl("logs", "job/man")).toBe("adopted\n");
  });

  it("ttlSecondsAfterFinished deletes a finished job and its pods", { timeout: 90_000 }, async () => {
    await createFile(
      "ttl.yaml",
      `apiVersion: batch/v1
kind: Job
metadata:
  name: t1
spec:
  ttlSecondsAfterFinished: 1
  completions: 2
  parallelism: 2
  template:
    spec:
      restartPolicy: OnFailure
      containers:
      - name: c
        image: busybox
        command: ["sh", "-c", "echo ok"]
`,
    );
    await until("job t1 deleted", async () => ((await kubectl.fails("get", "job", "t1")).includes('jobs.batch "t1" not found') ? true : undefined), 60_000);
    await until("t1's pods deleted", async () => ((await json("get", "pods", "-l", "job-name=t1")).items.length === 0 ? true : undefined), 30_000);
  });

  it("create job --from=cronjob runs the template; a scheduled run follows; deleting the CronJob removes its jobs", { timeout: 120_000 }, async () => {
    expect(await kubectl("create", "job", "manual", "--from=cronjob/c1")).toBe("job.batch/manual created\n");
    await kubectl("wait", "--for=condition=complete", "job/manual", "--timeout=60s");
    expect(await kubectl("logs", "job/manual")).toBe("from cron\n");
    // the first scheduled run: the next whole minute after c1 was created
    const scheduled = Math.floor(cronCreatedAt / 60_000 + 1) * 60_000;
    const name = `c1-${scheduled / 60_000}`;
    await until(`job ${name}`, async () => ((await kubectl("get", "job", name)) ? true : undefined), Math.max(0, scheduled - Date.now()) + 30_000);
    const job = await json("get", "job", name);
    expect(job.metadata.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]).toBe(new Date(scheduled).toISOString().replace(".000Z", "Z"));
    expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "CronJob", name: "c1", controller: true })]);
    await kubectl("wait", "--for=condition=complete", `job/${name}`, "--timeout=60s");
    await until("c1 status", async () => {
      const cj = await json("get", "cronjob", "c1");
      return cj.status.lastScheduleTime && cj.status.lastSuccessfulTime && !cj.status.active ? cj : undefined;
    }, 30_000);
    expect(await kubectl("get", "cj", "c1", "--no-headers")).toMatch(/^c1\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+\d+s\s+\d+s\n$/);
    await kubectl("delete", "cronjob", "c1");
    await until("c1's jobs and pods gone", async () => {
      const jobs = (await json("get", "jobs")).items.filter((j: { metadata: { name: string } }) => j.metadata.name === "manual" || j.metadata.name === name);
      const pods = (await json("get", "pods")).items.filter((p: { metadata: { name: string } }) => p.metadata.name.startsWith("manual-") || p.metadata.name.startsWith(`${name}-`));
      return jobs.length === 0 && pods.length === 0 ? true : undefined;
    }, 30_000);
  });
});
