/** The scheduler against a real store + API server, on the in-memory bus and on nats-server. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus, schedulerCycle, type SchedulingCycle } from "@kubeactor/bus";
import { startTestCluster, type TestCluster, transportCases } from "@kubeactor/testing";
import { type RunningScheduler, startScheduler } from "../src/index.ts";
import { makeNode, makePod } from "../src/test-helpers.ts";

const NODES = { group: "", version: "v1", resource: "nodes" };
const PODS = { group: "", version: "v1", resource: "pods" };
const EVENTS = { group: "", version: "v1", resource: "events" };

const poll = async <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe.each(transportCases())("scheduler on $name", (tc) => {
  let cluster: TestCluster;
  let scheduler: RunningScheduler;
  const cycles: SchedulingCycle[] = [];

  const createNode = async (node: ReturnType<typeof makeNode>) => {
    const created = await cluster.api.create(NODES, "", node as never);
    await cluster.api.updateStatus(NODES, "", { ...created, status: node.status } as never);
  };
  const nodeOf = async (name: string, ns = "default") =>
    ((await cluster.api.get(PODS, ns, name)) as { spec?: { nodeName?: string } }).spec?.nodeName;

  beforeAll(async () => {
    await tc.setup();
    cluster = await startTestCluster(tc);
    const bus = new Bus(await tc.connect("scheduler"), { log: () => {} });
    const watcher = new Bus(await tc.connect("watcher"), { log: () => {} });
    watcher.subscribe(schedulerCycle, {}, (c) => cycles.push(c));
    await createNode(makeNode("tainted", { cpu: "8", taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }] }));
    await createNode(makeNode("small", { cpu: "1", memory: "2Gi" }));
    await createNode(makeNode("big", { cpu: "4", memory: "8Gi", labels: { disk: "ssd" } }));
    scheduler = await startScheduler({ bus, log: () => {} });
  });

  afterAll(async () => {
    await scheduler?.stop();
    await cluster?.stop();
    await tc.teardown();
  });

  it("binds pods to nodes that fit, honouring taints and selectors", async () => {
    await cluster.api.create(PODS, "default", makePod("ssd", { spec: { nodeSelector: { disk: "ssd" } } }) as never);
    await cluster.api.create(PODS, "default", makePod("wide", { cpu: "2" }) as never);
    await cluster.api.create(
      PODS,
      "default",
      makePod("tolerant", { cpu: "6", spec: { tolerations: [{ key: "dedicated", operator: "Equal", value: "x", effect: "NoSchedule" }] } }) as never,
    );
    expect(await poll("ssd bound", () => nodeOf("ssd"))).toBe("big");
    expect(await poll("wide bound", () => nodeOf("wide"))).toBe("big");
    expect(await poll("tolerant bound", () => nodeOf("tolerant"))).toBe("tainted");
    const pod = (await cluster.api.get(PODS, "default", "ssd")) as { status?: { conditions?: { type: string; status: string }[] } };
    expect(pod.status?.conditions?.find((c) => c.type === "PodScheduled")?.status).toBe("True");
    // The cycle record is on the bus.
    const c = await poll("cycle published", async () => cycles.find((x) => x.pod.name === "wide"));
    expect(c).toMatchObject({ result: "Assumed", node: "big", numNodes: 3, feasible: ["big"] });
    expect(c.filters).toEqual(
      expect.arrayContaining([{ node: "tainted", plugin: "TaintToleration", code: "UnschedulableAndUnresolvable", reasons: ["node(s) had untolerated taint {dedicated: x}"] }]),
    );
  });

  it("explains an impossible pod, then schedules it when a fitting node arrives", async () => {
    await cluster.api.create(PODS, "default", makePod("huge", { cpu: "3500m" }) as never);
    // tainted: taint; small: 3.5 > 1 cpu allocatable (unresolvable); big: 2 of 4 cpu free, only equal-priority pods there.
    const expected =
      "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: x}, 2 Insufficient cpu. " +
      "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.";
    const condition = await poll("PodScheduled=False", async () => {
      const pod = (await cluster.api.get(PODS, "default", "huge")) as { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
      return pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
    });
    expect(condition).toMatchObject({ reason: "Unschedulable", message: expected });
    const event = await poll("FailedScheduling event", async () => {
      const list = (await cluster.api.list(EVENTS, "default")) as { items: { reason: string; type: string; message: string; involvedObject: { name: string } }[] };
      return list.items.find((e) => e.reason === "FailedScheduling" && e.involvedObject.name === "huge");
    });
    expect(event).toMatchObject({ type: "Warning", message: expected });

    await createNode(makeNode("roomy", { cpu: "16", memory: "32Gi" }));
    expect(await poll("huge bound", () => nodeOf("huge"))).toBe("roomy");
  });

  it("never over-books a node in a burst of 50 pods", async () => {
    // 5 nodes with room for exactly 10 pods each (cpu); the pods only fit there.
    for (let i = 0; i < 5; i++) await createNode(makeNode(`burst-${i}`, { cpu: "1", memory: "4Gi", labels: { pool: "burst" } }));
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        cluster.api.create(PODS, "default", makePod(`b-${i}`, { cpu: "100m", spec: { nodeSelector: { pool: "burst" } } }) as never),
      ),
    );
    const placements = await poll(
      "50 pods bound",
      async () => {
        const list = (await cluster.api.list(PODS, "default")) as { items: { metadata: { name: string }; spec: { nodeName?: string } }[] };
        const burst = list.items.filter((p) => p.metadata.name.startsWith("b-"));
        return burst.length === 50 && burst.every((p) => p.spec.nodeName) ? burst : undefined;
      },
      15_000,
    );
    const seconds = (performance.now() - started) / 1000;
    const perNode = new Map<string, number>();
    for (const p of placements) perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
    expect([...perNode.values()].sort()).toEqual([10, 10, 10, 10, 10]);
    console.log(`scheduler on ${tc.name}: 50 pods created and bound in ${seconds.toFixed(2)} s (${(50 / seconds).toFixed(0)} pods/s)`);
    // One more finds no room.
    await cluster.api.create(PODS, "default", makePod("b-extra", { cpu: "100m", spec: { nodeSelector: { pool: "burst" } } }) as never);
    const c = await poll("extra rejected", async () => cycles.find((x) => x.pod.name === "b-extra" && x.result === "Unschedulable"));
    expect(c.message).toMatch(/^0\/\d+ nodes are available: .*5 Insufficient cpu/);
  });
});
