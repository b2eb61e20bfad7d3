/**
 * The node and pod machines on XState's SimulatedClock: every timer (the
 * machines' `after` delays and the sim runtime's pull / exit timers) runs on
 * the one clock, so minutes of kubelet life pass in milliseconds. Promise
 * actors still settle on the event loop, hence `advance` moves the clock in
 * small steps and lets pending I/O finish between them.
 */
import { describe, expect, it } from "vitest";
import { createActor, SimulatedClock } from "xstate";
import type { JsonObject } from "@kubeactor/bus";
import type { ApiClient } from "@kubeactor/client";
import { nodeMachine, type NodeConfig } from "./node-machine.ts";
import { podMachine, type PodApi } from "./pod-machine.ts";
import { SimRuntime } from "./runtime/sim.ts";

const EPOCH = Date.parse("2025-01-01T00:00:00Z");

const simClock = () => {
  const clock = new SimulatedClock();
  clock.set(EPOCH);
  const flush = async () => {
    for (let i = 0; i < 8; i++) await new Promise((r) => setImmediate(r));
  };
  /** Moves the clock `ms` forward in `step`-sized ticks, letting promise actors settle after each. */
  const advance = async (ms: number, step = 250) => {
    for (let done = 0; done < ms; done += step) {
      clock.increment(Math.min(step, ms - done));
      await flush();
    }
  };
  return { clock, flush, advance, elapsed: () => clock.now() - EPOCH };
};

/** An in-memory API for nodes and leases: resourceVersions, 404 on a missing object, 409 on a stale write or an existing name. */
const fakeApi = () => {
  const objects = new Map<string, JsonObject>();
  const writes: { resource: string; op: string; obj: JsonObject }[] = [];
  let rv = 0;
  const key = (r: { resource: string }, ns: string, name: string) => `${r.resource}/${ns}/${name}`;
  const err = (code: number) => Object.assign(new Error(`status ${code}`), { status: { code } });
  const meta = (o: JsonObject) => o.metadata as { name: string; resourceVersion?: string; uid?: string };
  const put = (r: { resource: string }, ns: string, o: JsonObject, op: string, check: boolean) => {
    const k = key(r, ns, meta(o).name);
    const cur = objects.get(k);
    if (op === "create" && cur) throw err(409);
    if (op !== "create" && !cur) throw err(404);
    if (check && cur && meta(o).resourceVersion && meta(o).resourceVersion !== meta(cur).resourceVersion) throw err(409);
    const next: Record<string, unknown> = structuredClone({ ...o, metadata: { ...meta(o), uid: meta(cur ?? o).uid ?? `uid-${meta(o).name}`, resourceVersion: String(++rv) } });
    if (op === "status" && cur) next.spec = cur.spec;
    objects.set(k, next as JsonObject);
    writes.push({ resource: r.resource, op, obj: next as JsonObject });
    return structuredClone(next) as JsonObject;
  };
  const api = {
    create: async (r: { resource: string }, ns: string, o: JsonObject) => put(r, ns, o, "create", false),
    get: async (r: { resource: string }, ns: string, name: string) => {
      const o = objects.get(key(r, ns, name));
      if (!o) throw err(404);
      return structuredClone(o);
    },
    update: async (r: { resource: string }, ns: string, o: JsonObject) => put(r, ns, o, "update", true),
    updateStatus: async (r: { resource: string }, ns: string, o: JsonObject) => put(r, ns, o, "status", true),
  };
  return { api: api as unknown as ApiClient, writes, get: (r: string, ns: string, name: string) => objects.get(`${r}/${ns}/${name}`) as any };
};

const config: NodeConfig = {
  name: "node-1",
  index: 0,
  podCIDR: "10.244.1.0/24",
  hostIP: "172.18.0.3",
  cpu: "4",
  memory: "8Gi",
  maxPods: 110,
  labels: {},
  taints: [],
  runtimeVersion: "sim://0.1.0",
};

describe("node machine on a simulated clock", () => {
  it("creates its lease at registration, then waits its stagger once: nodes registered together renew spread over the period", async () => {
    const renewalsOf = async (index: number) => {
      const { clock, flush, advance } = simClock();
      const fake = fakeApi();
      const actor = createActor(nodeMachine, {
        clock,
        input: {
          config: { ...config, name: `node-${index}`, index },
          api: fake.api,
          podSource: () => () => {},
          podDeps: { runtime: new SimRuntime({ podCIDR: config.podCIDR, clock }), api: {} as PodApi, record: () => {}, now: () => clock.now() },
          record: () => {},
          now: () => clock.now(),
        },
      }).start();
      await flush();
      await advance(30_000);
      actor.stop();
      return fake.writes.filter((w) => w.resource === "leases").map((w) => Date.parse((w.obj.spec as any).renewTime) - EPOCH);
    };
    // Stagger: the fractional part of index × golden ratio, times the period (the simulated clock steps 250 ms).
    for (const [index, stagger] of [[1, 6180], [2, 2360]] as const) {
      const r = await renewalsOf(index);
      expect(r[0]).toBe(0);
      expect(r[1]).toBeGreaterThanOrEqual(stagger);
      expect(r[1]).toBeLessThan(stagger + 250);
      expect(r.slice(2).map((t, i) => t - r[i + 1]!)).toEqual([10_000, 10_000]);
    }
  });

  it("renews its lease every 10 s, reports conditions on change and every 5 min, and goes silent while stopped", async () => {
    const { clock, flush, advance, elapsed } = simClock();
    const fake = fakeApi();
    const events: string[] = [];
    const runtime = new SimRuntime({ podCIDR: config.podCIDR, clock });
    const actor = createActor(nodeMachine, {
      clock,
      input: {
        config,
        api: fake.api,
        podSource: () => () => {},
        podDeps: { runtime, api: {} as PodApi, record: () => {}, now: () => clock.now() },
        record: (_n, type, reason, message) => events.push(`${type} ${reason}: ${message}`),
        now: () => clock.now(),
      },
    }).start();
    await flush();
    expect(actor.getSnapshot().matches({ Active: "Registered" })).toBe(true);
    const node = fake.get("nodes", "", "node-1");
    expect(node.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual(["MemoryPressure=False", "DiskPressure=False", "PIDPressure=False", "Ready=True"]);
    // The kubelet's start-up events, in its order.
    expect(events).toEqual([
      "Normal Starting: Starting kubelet.",
      "Normal NodeAllocatableEnforced: Updated Node Allocatable limit across pods",
      "Normal NodeHasSufficientMemory: Node node-1 status is now: NodeHasSufficientMemory",
      "Normal NodeHasNoDiskPressure: Node node-1 status is now: NodeHasNoDiskPressure",
      "Normal NodeHasSufficientPID: Node node-1 status is now: NodeHasSufficientPID",
      "Normal NodeReady: Node node-1 status is now: NodeReady",
    ]);

    const renewals = () => fake.writes.filter((w) => w.resource === "leases").map((w) => Date.parse((w.obj.spec as any).renewTime) - EPOCH);
    await advance(60_000);
    // Index 0 renews at once, then every 10 s of simulated time, exactly.
    expect(renewals()).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    expect(fake.get("leases", "kube-node-lease", "node-1").spec).toMatchObject({ holderIdentity: "node-1", leaseDurationSeconds: 40 });

    // A condition change is reported at once, with its transition time.
    const statusWrites = () => fake.writes.filter((w) => w.resource === "nodes" && w.op === "status");
    const before = statusWrites().length;
    actor.send({ type: "SET_CONDITION", condition: "MemoryPressure", status: "True" });
    await flush();
    expect(statusWrites().length).toBe(before + 1);
    const memory = (n: any) => n.status.conditions.find((c: any) => c.type === "MemoryPressure");
    expect(memory(fake.get("nodes", "", "node-1"))).toMatchObject({
      status: "True", reason: "KubeletHasInsufficientMemory", lastTransitionTime: "2025-01-01T00:01:00Z", lastHeartbeatTime: "2025-01-01T00:01:00Z",
    });
    // Then the periodic report: one more after 5 minutes, heartbeat moved, transition time kept.
    await advance(5 * 60_000 - 1000);
    expect(statusWrites().length).toBe(before + 1);
    await advance(1000);
    expect(statusWrites().length).toBe(before + 2);
    expect(memory(fake.get("nodes", "", "node-1"))).toMatchObject({ lastTransitionTime: "2025-01-01T00:01:00Z", lastHeartbeatTime: "2025-01-01T00:06:00Z" });
    expect(renewals().length).toBe(7 + 30);
    // A condition change is announced once; it neither restarts the lease loop nor repeats the other events.
    expect(events.slice(6)).toEqual(["Normal NodeHasInsufficientMemory: Node node-1 status is now: NodeHasInsufficientMemory"]);

    // Stopped (a partitioned kubelet): no lease, no status, for any length of time.
    actor.send({ type: "STOP" });
    const writesWhenStopped = fake.writes.length;
    await advance(10 * 60_000, 1000);
    expect(fake.writes.length).toBe(writesWhenStopped);
    expect(actor.getSnapshot().matches("Stopped")).toBe(true);

    // Started again: registers, renews at once and every 10 s again.
    actor.send({ type: "START" });
    await flush();
    const restartedAt = elapsed();
    await advance(20_000);
    expect(renewals().filter((t) => t >= restartedAt).map((t) => t - restartedAt)).toEqual([0, 10_000, 20_000]);
    actor.stop();
    runtime.close();
  });
});

describe("pod machine on a simulated clock", () => {
  it("replays 25 minutes of CrashLoopBackOff in milliseconds: 10 s doubling to 5 min, reset after 10 min running", async () => {
    const { clock, flush, advance, elapsed } = simClock();
    const runtime = new SimRuntime({ podCIDR: "10.244.0.0/24", clock, pullMs: 300 });
    let current: any = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "crashy", namespace: "default", uid: "uid-crashy", resourceVersion: "1", annotations: {} },
      spec: { nodeName: "node-1", restartPolicy: "Always", containers: [{ name: "app", image: "nginx:1.27", imagePullPolicy: "IfNotPresent" }] },
      status: { phase: "Pending", qosClass: "BestEffort" },
    };
    const api: PodApi = {
      getPod: async () => current,
      updatePodStatus: async (p) => {
        current = { ...current, metadata: { ...current.metadata, resourceVersion: String(Number(current.metadata.resourceVersion) + 1) }, status: p.status };
        return current;
      },
      deletePod: async () => {},
    };
    const backOffs: string[] = [];
    const actor = createActor(podMachine, {
      clock,
      input: {
        pod: current,
        nodeName: "node-1",
        hostIP: "172.18.0.3",
        deps: { runtime, api, now: () => clock.now(), record: (_p, _t, reason, message) => reason === "BackOff" && backOffs.push(message) },
      },
    }).start();
    const app = () => current.status.containerStatuses?.[0];
    const running = () => !!app()?.state.running;

    await flush(); // sandbox and IP
    expect(app().state.waiting.reason).toBe("ContainerCreating");
    await advance(250);
    expect(running()).toBe(false); // still pulling
    await advance(50);
    expect(running()).toBe(true);
    expect(current.status.phase).toBe("Running");
    expect(elapsed()).toBe(300); // the simulated pull

    const crash = async () => {
      expect(runtime.crash({ namespace: "default", pod: "crashy", container: "app" }, 1)).toBe(true);
      await flush();
    };
    // The first crash restarts at once.
    await crash();
    expect(running()).toBe(true);
    expect(app().restartCount).toBe(1);
    expect(app().lastState.terminated).toMatchObject({ exitCode: 1, reason: "Error" });

    // Every later crash waits: 10 s, 20 s, 40 s, 1m20s, 2m40s, then 5 min (the cap), and no earlier than that.
    const expected = [
      [10_000, "10s"], [20_000, "20s"], [40_000, "40s"], [80_000, "1m20s"], [160_000, "2m40s"], [300_000, "5m0s"], [300_000, "5m0s"],
    ] as const;
    let restarts = 1;
    for (const [ms, text] of expected) {
      await crash();
      expect(app().state.waiting).toEqual({ reason: "CrashLoopBackOff", message: `back-off ${text} restarting failed container=app pod=crashy_default(uid-crashy)` });
      expect(current.status.conditions.find((c: any) => c.type === "Ready")).toMatchObject({ status: "False", reason: "ContainersNotReady" });
      await advance(ms - 1000, 1000);
      expect(running()).toBe(false);
      await advance(1000, 250);
      expect(running()).toBe(true);
      expect(app().restartCount).toBe(++restarts);
    }
    expect(backOffs.length).toBe(expected.length);
    expect(elapsed()).toBeGreaterThan(15 * 60_000);

    // Ten minutes of running reset the back-off: the next crash restarts at once, the one after waits 10 s again.
    await advance(10 * 60_000 + 1000, 5000);
    await crash();
    expect(running()).toBe(true);
    expect(app().restartCount).toBe(++restarts);
    await crash();
    expect(app().state.waiting.message).toContain("back-off 10s");
    await advance(10_000, 1000);
    expect(app().restartCount).toBe(++restarts);
    expect(elapsed()).toBeGreaterThan(25 * 60_000);
    expect(current.status.phase).toBe("Running");
    actor.stop();
    runtime.close();
  });
});
