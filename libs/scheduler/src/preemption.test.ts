import { describe, expect, it } from "vitest";
import { runPreFilters, scheduleOne } from "./algorithm.ts";
import { SchedulerCache } from "./cache.ts";
import { CycleState, FakeNodeSource, type NodeSource, type Pod, podInfoOf } from "./framework.ts";
import { moreImportant, pickOneNode, selectVictimsOnNode } from "./preemption.ts";
import { defaultProfile } from "./profile.ts";
import { makeNode, makePod } from "./test-helpers.ts";

const profile = defaultProfile();
const low = (name: string, node: string, priority: number, cpu = "1", extra: Parameters<typeof makePod>[1] = {}) =>
  makePod(name, { cpu, nodeName: node, priority, ...extra });
const names = (pods: readonly Pod[] | undefined) => (pods ?? []).map((p) => p.metadata?.name);

describe("DefaultPreemption", () => {
  const cases: {
    name: string;
    nodes: ReturnType<typeof makeNode>[];
    pods: Pod[];
    pod: Pod;
    node?: string;
    victims?: string[];
    message: string;
  }[] = [
    {
      name: "evicts the lower-priority pod on a full node",
      nodes: [makeNode("a", { cpu: "1" })],
      pods: [low("l1", "a", 1)],
      pod: makePod("p", { cpu: "1", priority: 100 }),
      node: "a",
      victims: ["l1"],
      message: "0/1 nodes are available: 1 Insufficient cpu.",
    },
    {
      name: "evicts as few as needed, least important first",
      nodes: [makeNode("a", { cpu: "1" })],
      pods: [low("l1", "a", 1, "250m"), low("l2", "a", 5, "250m"), low("l3", "a", 3, "250m"), low("l4", "a", 2, "250m")],
      pod: makePod("p", { cpu: "500m", priority: 100 }),
      node: "a",
      victims: ["l4", "l1"],
      message: "0/1 nodes are available: 1 Insufficient cpu.",
    },
    {
      name: "never touches pods of equal or higher priority",
      nodes: [makeNode("a", { cpu: "1" })],
      pods: [low("same", "a", 100, "500m"), low("l1", "a", 1, "500m")],
      pod: makePod("p", { cpu: "1", priority: 100 }),
      message:
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.",
    },
    {
      name: "prefers the node whose most important victim matters least",
      nodes: [makeNode("a", { cpu: "1" }), makeNode("b", { cpu: "1" })],
      pods: [low("a1", "a", 10), low("b1", "b", 5)],
      pod: makePod("p", { cpu: "1", priority: 100 }),
      node: "b",
      victims: ["b1"],
      message: "0/2 nodes are available: 2 Insufficient cpu.",
    },
    {
      name: "then the fewest victims",
      nodes: [makeNode("a", { cpu: "1" }), makeNode("b", { cpu: "1" })],
      pods: [low("a1", "a", 5, "500m"), low("a2", "a", 5, "500m"), low("b1", "b", 5)],
      pod: makePod("p", { cpu: "1", priority: 100 }),
      node: "b",
      victims: ["b1"],
      message: "0/2 nodes are available: 2 Insufficient cpu.",
    },
    {
      name: "no lower-priority pods anywhere",
      nodes: [makeNode("a", { cpu: "1" }), makeNode("b", { cpu: "1" }), makeNode("c", { cpu: "1" })],
      pods: [low("a1", "a", 100), low("b1", "b", 100), low("c1", "c", 200)],
      pod: makePod("p", { cpu: "1", priority: 100 }),
      message: "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    },
    {
      name: "a taint cannot be preempted away",
      nodes: [makeNode("a", { cpu: "1", taints: [{ key: "k", value: "v", effect: "NoSchedule" }] }), makeNode("b", { cpu: "1" })],
      pods: [low("b1", "b", 1)],
      pod: makePod("p", { cpu: "1", priority: 100 }),
      node: "b",
      victims: ["b1"],
      message: "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}.",
    },
    {
      name: "preemptionPolicy Never",
      nodes: [makeNode("a", { cpu: "1" })],
      pods: [low("l1", "a", 1)],
      pod: makePod("p", { cpu: "1", priority: 100, spec: { preemptionPolicy: "Never" } }),
      message: "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
    },
    {
      name: "evicting a pod the incoming one is anti-affine to",
      nodes: [makeNode("a"), makeNode("b")],
      pods: [low("l1", "a", 1, "100m", { labels: { app: "x" } }), low("h1", "b", 500, "100m", { labels: { app: "x" } })],
      pod: makePod("p", {
        priority: 100,
        spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "x" } }, topologyKey: "kubernetes.io/hostname" }] } } },
      }),
      node: "a",
      victims: ["l1"],
      message: "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.",
    },
    {
      name: "evicting an existing pod whose anti-affinity rejects the incoming one",
      nodes: [makeNode("a"), makeNode("b", { cpu: "1" })],
      pods: [
        low("l1", "a", 1, "100m", {
          spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "p" } }, topologyKey: "kubernetes.io/hostname" }] } } },
        }),
        low("h1", "b", 500, "1"),
      ],
      pod: makePod("p", { cpu: "500m", priority: 100, labels: { app: "p" } }),
      node: "a",
      victims: ["l1"],
      message: "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't satisfy existing pods anti-affinity rules.",
    },
    {
      name: "evicting matching pods until a DoNotSchedule spread is within maxSkew",
      nodes: [makeNode("a", { labels: { zone: "z1" } }), makeNode("b", { cpu: "1", labels: { zone: "z2" } })],
      pods: [low("l1", "a", 1, "100m", { labels: { color: "blue" } }), low("l2", "a", 2, "100m", { labels: { color: "blue" } }), low("h1", "b", 500, "1")],
      pod: makePod("p", {
        cpu: "500m",
        priority: 100,
        labels: { color: "blue" },
        spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { color: "blue" } } }] },
      }),
      node: "a",
      victims: ["l2", "l1"],
      message: "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod topology spread constraints.",
    },
  ];
  it.each(cases)("$name", ({ nodes, pods, pod, node, victims, message }) => {
    const r = scheduleOne(profile, new FakeNodeSource(nodes, pods), pod, () => 0);
    expect(r.node).toBeUndefined();
    expect(r.message).toBe(message);
    expect(r.preemption?.node).toBe(node);
    expect(names(r.preemption?.victims)).toEqual(victims ?? []);
  });

  // Dry runs update the cycle's PreFilter state pod by pod (AddPod / RemovePod); recomputing it over the changed cluster must agree.
  it.each(cases)("dry runs from the cycle's PreFilter state agree with recomputing it: $name", ({ nodes, pods, pod }) => {
    const src = new FakeNodeSource(nodes, pods);
    const state = new CycleState();
    expect(runPreFilters(profile, state, pod, src)).toBeUndefined();
    for (const info of src.infos) expect(selectVictimsOnNode(profile, src, pod, info, state)).toEqual(selectVictimsOnNode(profile, src, pod, info));
  });

  it("waits while victims chosen earlier are still terminating on the nominated node", () => {
    const leaving = low("l1", "a", 1, "1", {});
    (leaving.metadata as { deletionTimestamp?: string }).deletionTimestamp = "2026-01-01T00:00:00Z";
    (leaving as { status?: unknown }).status = { conditions: [{ type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler" }] };
    const pod = { ...makePod("p", { cpu: "1", priority: 100 }), status: { nominatedNodeName: "a" } } as Pod;
    const r = scheduleOne(profile, new FakeNodeSource([makeNode("a", { cpu: "1" })], [leaving]), pod);
    expect(r.preemption).toBeUndefined();
    expect(r.message).toBe("0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node.");
  });

  it("orders by priority, then by start time", () => {
    const a = makePod("a", { priority: 5 });
    const b = { ...makePod("b", { priority: 5 }), status: { startTime: "2026-01-01T00:00:00Z" } } as Pod;
    const c = { ...makePod("c", { priority: 5 }), status: { startTime: "2026-01-02T00:00:00Z" } } as Pod;
    expect(moreImportant(makePod("x", { priority: 6 }), a)).toBe(true);
    expect(moreImportant(b, c)).toBe(true);
    expect(moreImportant(c, b)).toBe(false);
    // Same priorities and counts: the node whose most important victim started latest.
    expect(pickOneNode([{ node: "n1", victims: [b] }, { node: "n2", victims: [c] }])?.node).toBe("n2");
    // Lower sum of priorities before fewer victims.
    const v = (n: string, p: number) => makePod(n, { priority: p });
    expect(pickOneNode([{ node: "n1", victims: [v("x", 5), v("y", 4)] }, { node: "n2", victims: [v("z", 5), v("w", 5)] }])?.node).toBe("n1");
  });

  it("keeps the room a preemption made for the preemptor: lower-priority pods see nominated pods as placed", () => {
    const src = new FakeNodeSource([makeNode("a", { cpu: "1" }), makeNode("b", { cpu: "1" })], [low("b1", "b", 500)]);
    const high = makePod("high", { cpu: "1", priority: 100 });
    const withNominated: NodeSource = { nodeInfos: () => src.infos, nominatedPods: (n) => (n === "a" ? [podInfoOf(high)] : []) };
    const r = scheduleOne(profile, withNominated, makePod("other", { cpu: "500m", priority: 5 }), () => 0);
    expect(r.node).toBeUndefined();
    expect(r.message).toMatch(/^0\/2 nodes are available: 2 Insufficient cpu\./);
    // The nominated pod itself, and pods at least as important, are not held back by it.
    expect(scheduleOne(profile, withNominated, high, () => 0).node).toBe("a");
    expect(scheduleOne(profile, withNominated, makePod("peer", { cpu: "500m", priority: 100 }), () => 0).node).toBeUndefined();
    expect(scheduleOne(profile, withNominated, makePod("vip", { cpu: "500m", priority: 1000 }), () => 0).node).toBe("a");
  });

  it("the cache tracks nominations until the pod is bound or gone", () => {
    const cache = new SchedulerCache();
    cache.addNode(makeNode("a"));
    const p = makePod("p", { priority: 100 });
    cache.nominate(p, "a");
    expect(cache.nominatedPods("a").map((i) => i.key)).toEqual(["default/p"]);
    cache.upsertPod(p); // an update without status.nominatedNodeName keeps the nomination
    expect(cache.nominatedPods("a")).toHaveLength(1);
    cache.assume(p, "a");
    expect(cache.nominatedPods("a")).toHaveLength(0);
    cache.upsertPod({ ...makePod("q"), status: { nominatedNodeName: "a" } } as Pod);
    expect(cache.nominatedPods("a").map((i) => i.key)).toEqual(["default/q"]);
    cache.removePod(makePod("q"));
    expect(cache.nominatedPods("a")).toHaveLength(0);
  });
});
