import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import type { JsonObject } from "@kubeactor/bus";
import { podMachine, type PodApi } from "./pod-machine.ts";
import { SimRuntime } from "./runtime/sim.ts";

const pod = (name: string, opts: { annotations?: Record<string, string>; restartPolicy?: string; init?: string[]; grace?: number } = {}): JsonObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: "1", annotations: opts.annotations ?? {} },
  spec: {
    nodeName: "node-0",
    restartPolicy: opts.restartPolicy ?? "Always",
    terminationGracePeriodSeconds: opts.grace ?? 30,
    ...(opts.init ? { initContainers: opts.init.map((n) => ({ name: n, image: "busybox", imagePullPolicy: "IfNotPresent" })) } : {}),
    containers: [{ name: "app", image: "nginx:1.27", imagePullPolicy: "IfNotPresent" }],
  },
  status: { phase: "Pending", qosClass: "BestEffort", conditions: [{ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: "2025-01-01T00:00:00Z" }] },
});

/** An API that keeps the pod in memory, like the status subresource would. */
const fakeApi = (initial: JsonObject) => {
  let current = structuredClone(initial);
  const statuses: any[] = [];
  const deleted: string[] = [];
  const api: PodApi = {
    getPod: async () => current,
    updatePodStatus: async (p) => {
      const rv = String(Number((current.metadata as any).resourceVersion) + 1);
      current = { ...current, metadata: { ...(current.metadata as object), resourceVersion: rv }, status: p.status };
      statuses.push(p.status);
      return current;
    },
    deletePod: async (_ns, name) => {
      deleted.push(name);
    },
  };
  return { api, statuses, deleted, current: () => current as any };
};

const until = async (what: string, check: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

const start = (p: JsonObject) => {
  const runtime = new SimRuntime({ podCIDR: "10.244.0.0/24", pullMs: 10 });
  const fake = fakeApi(p);
  const events: string[] = [];
  const actor = createActor(podMachine, {
    input: {
      pod: p,
      nodeName: "node-0",
      hostIP: "172.18.0.2",
      deps: {
        runtime,
        api: fake.api,
        record: (_o, _t, reason, message) => events.push(`${reason}: ${message}`),
        backoff: { initialMs: 100, maxMs: 800, resetMs: 60_000 },
      },
    },
  }).start();
  return { actor, runtime, events, ...fake };
};

describe("pod machine", () => {
  it("writes status once per sync, as the kubelet's status manager: Pending at the start, then Running (an image pull in between changes nothing)", async () => {
    const { current, statuses } = start(pod("two-writes"));
    await until("Running", () => current().status.phase === "Running");
    await new Promise((r) => setTimeout(r, 50)); // nothing else follows
    const summary = statuses.map((s) => `${s.phase} ${Object.keys(s.containerStatuses[0].state)[0]} ${s.conditions.find((c: any) => c.type === "PodReadyToStartContainers").status} ${s.podIP ?? "-"}`);
    expect(summary).toEqual(["Pending waiting False -", `Running running True ${current().status.podIP}`]);
    expect(statuses[0].containerStatuses[0].state.waiting.reason).toBe("ContainerCreating");
  });

  it("writes a status again after a write that timed out (an overloaded API server), until Running is stored", async () => {
    const { api, current } = start(pod("timeout"));
    let failures = 0;
    const update = api.updatePodStatus.bind(api);
    api.updatePodStatus = async (p) => {
      if ((p.status as { phase?: string }).phase === "Running" && failures++ === 0) throw Object.assign(new Error("request on kube.api.request timed out"), { status: { code: 504 } });
      return update(p);
    };
    await until("Running after a retry", () => current().status.phase === "Running", 10_000);
    expect(failures).toBe(2);
  });

  it("runs a pod, then crash-loops with a growing back-off", async () => {
    const { actor, runtime, current, events } = start(pod("web"));
    await until("Running", () => current().status.phase === "Running" && current().status.containerStatuses[0].ready);
    const s = current().status;
    expect(s.podIP).toMatch(/^10\.244\.0\.\d+$/);
    expect(s.podIPs).toEqual([{ ip: s.podIP }]);
    expect(s.hostIP).toBe("172.18.0.2");
    expect(s.qosClass).toBe("BestEffort");
    expect(s.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual([
      "PodReadyToStartContainers=True",
      "Initialized=True",
      "Ready=True",
      "ContainersReady=True",
      "PodScheduled=True",
    ]);
    const cs = s.containerStatuses[0];
    expect(cs).toMatchObject({ name: "app", image: "nginx:1.27", ready: true, started: true, restartCount: 0 });
    expect(cs.imageID).toMatch(/^sim:\/\/sha256:[0-9a-f]{64}$/);
    expect(cs.containerID).toMatch(/^sim:\/\/[0-9a-f]{64}$/);
    expect(cs.state.running.startedAt).toMatch(/Z$/);
    expect(events).toContain('Pulling: Pulling image "nginx:1.27"');
    expect(events).toContain("Started: Started container app");

    // Crash 1: restarted at once. Crashes 2 and 3: back-off 100 ms, then 200 ms.
    const restartedAt: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const t0 = Date.now();
      expect(runtime.crash({ namespace: "default", pod: "web", container: "app" }, 2)).toBe(true);
      if (i >= 2) await until(`CrashLoopBackOff ${i}`, () => current().status.containerStatuses[0].state.waiting?.reason === "CrashLoopBackOff");
      await until(`restart ${i}`, () => current().status.containerStatuses[0].restartCount === i && !!current().status.containerStatuses[0].state.running);
      restartedAt.push(Date.now() - t0);
    }
    expect(restartedAt[1]!).toBeGreaterThanOrEqual(90);
    expect(restartedAt[2]!).toBeGreaterThanOrEqual(190);
    const last = current().status.containerStatuses[0];
    expect(last.lastState.terminated).toMatchObject({ exitCode: 2, reason: "Error" });
    expect(current().status.phase).toBe("Running");
    expect(events.some((e) => e.startsWith("BackOff: Back-off restarting failed container app in pod web_default(uid-web)"))).toBe(true);
    actor.stop();
  });

  it("runs init containers in order and finishes Succeeded under restartPolicy Never", async () => {
    const { actor, current, runtime } = start(
      pod("job", { restartPolicy: "Never", init: ["setup", "migrate"], annotations: { "sim.kubeactor.io/app.run-seconds": "0.1" } }),
    );
    await until("Succeeded", () => current().status.phase === "Succeeded", 5000);
    const s = current().status;
    expect(s.initContainerStatuses.map((c: any) => [c.name, c.state.terminated?.reason, c.ready])).toEqual([
      ["setup", "Completed", true],
      ["migrate", "Completed", true],
    ]);
    expect(s.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(s.conditions.find((c: any) => c.type === "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
    await until("sandbox stopped", () => runtime.ipsInUse === 0);
    actor.stop();
  });

  it("fails a pod whose container exits non-zero under restartPolicy Never", async () => {
    const { actor, current } = start(pod("bad", { restartPolicy: "Never", annotations: { "sim.kubeactor.io/run-seconds": "0.05", "sim.kubeactor.io/exit-code": "3" } }));
    await until("Failed", () => current().status.phase === "Failed");
    expect(current().status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 3, reason: "Error" });
    expect(current().status.containerStatuses[0].restartCount).toBe(0);
    actor.stop();
  });

  it("reports ErrImagePull then ImagePullBackOff", async () => {
    const { actor, current } = start(pod("pull", { annotations: { "sim.kubeactor.io/pull-error": "not found" } }));
    await until("ErrImagePull", () => current().status.containerStatuses?.[0]?.state.waiting?.reason === "ErrImagePull");
    await until("ImagePullBackOff", () => current().status.containerStatuses?.[0]?.state.waiting?.reason === "ImagePullBackOff", 4000);
    expect(current().status.phase).toBe("Pending");
    actor.stop();
  });

  it("stops containers within the grace period, then deletes the pod", async () => {
    const p = pod("grace", { annotations: { "sim.kubeactor.io/stop-seconds": "0.2" } });
    const { actor, current, runtime, deleted, events } = start(p);
    await until("Running", () => current().status.phase === "Running");
    const t0 = Date.now();
    const marked = structuredClone(current());
    marked.metadata.deletionTimestamp = new Date(Date.now() + 1000).toISOString();
    marked.metadata.deletionGracePeriodSeconds = 1;
    actor.send({ type: "POD_UPDATED", pod: marked });
    await until("deleted", () => deleted.includes("grace"));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(actor.getSnapshot().status).toBe("done");
    expect(runtime.ipsInUse).toBe(0);
    expect(await runtime.listContainers()).toEqual([]);
    expect(events).toContain("Killing: Stopping container app");
  });

  it("runs an ephemeral container added to a running pod (kubectl debug): reported apart, never restarted, the phase unchanged", async () => {
    const p = pod("debugged");
    const { actor, current, events } = start(p);
    await until("Running", () => current().status.phase === "Running");
    const spec = (current().spec ?? (p.spec as any)) as any;
    const debug = {
      name: "debugger",
      image: "busybox",
      imagePullPolicy: "IfNotPresent",
      targetContainerName: "app",
      command: ["sh"],
    };
    // A simulated container runs for as long as its annotation says: this one exits after a moment.
    const withDebugger = {
      ...p,
      metadata: { ...(p.metadata as object), annotations: { "sim.kubeactor.io/debugger.run-seconds": "0.2" } },
      spec: { ...spec, ephemeralContainers: [debug] },
    } as JsonObject;
    actor.send({ type: "POD_UPDATED", pod: withDebugger });
    await until("the debugger running", () => current().status.ephemeralContainerStatuses?.[0]?.state.running !== undefined);
    const running = current().status.ephemeralContainerStatuses[0];
    expect(running).toMatchObject({ name: "debugger", image: "busybox", ready: false, restartCount: 0 });
    expect(running).not.toHaveProperty("started");
    expect(current().status.containerStatuses).toHaveLength(1);
    expect(events).toContain("Started: Started container debugger");
    await until("the debugger exited", () => current().status.ephemeralContainerStatuses[0].state.terminated !== undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(current().status.ephemeralContainerStatuses[0]).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } });
    expect(current().status.phase).toBe("Running");
    actor.stop();
  });
});
