import { describe, expect, it } from "vitest";
import { fitErrorMessage, nodesAvailableMessage, numFeasibleNodesToFind, scheduleOne } from "./algorithm.ts";
import { FakeNodeSource, unresolvable, unschedulable } from "./framework.ts";
import { defaultProfile } from "./profile.ts";
import { makeNode, makePod } from "./test-helpers.ts";

const profile = defaultProfile();

describe("the FailedScheduling message", () => {
  it("counts reasons and sorts the `count reason` strings like kube-scheduler", () => {
    const statuses = [unresolvable("node(s) had untolerated taint {dedicated: x}"), unschedulable("Insufficient cpu"), unschedulable("Insufficient cpu")];
    expect(nodesAvailableMessage(3, statuses)).toBe("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: x}, 2 Insufficient cpu");
    expect(fitErrorMessage(3, statuses, "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: x}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it("matches kube for a tainted node, a small node and a too-large request", () => {
    const nodes = new FakeNodeSource([
      makeNode("a", { taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }] }),
      makeNode("b", { cpu: "1" }),
      makeNode("c", { cpu: "2" }),
    ]);
    const r = scheduleOne(profile, nodes, makePod("big", { cpu: "3" }));
    expect(r.node).toBeUndefined();
    expect(r.message).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: x}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
    expect(r.filters.map((f) => [f.node, f.plugin])).toEqual([
      ["a", "TaintToleration"],
      ["b", "NodeResourcesFit"],
      ["c", "NodeResourcesFit"],
    ]);
  });

  it("says no victims when full nodes hold no lower-priority pods, and honours preemptionPolicy=Never", () => {
    const nodes = new FakeNodeSource([makeNode("a", { cpu: "1" }), makeNode("b", { cpu: "1", unschedulable: true })], [makePod("x", { cpu: "1", nodeName: "a" })]);
    expect(scheduleOne(profile, nodes, makePod("p", { cpu: "500m" })).message).toBe(
      "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
    );
    expect(scheduleOne(profile, nodes, makePod("p", { cpu: "500m", spec: { preemptionPolicy: "Never" } })).message).toBe(
      "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable. preemption: not eligible due to preemptionPolicy=Never.",
    );
  });

  it("reports no nodes", () => {
    expect(scheduleOne(profile, new FakeNodeSource([]), makePod("p")).message).toBe("no nodes available to schedule pods");
  });
});

describe("scheduleOne", () => {
  it("picks the least allocated node and records every score of the plugins that did not skip", () => {
    const nodes = new FakeNodeSource([makeNode("a"), makeNode("b"), makeNode("c")], [makePod("x", { cpu: "2", memory: "4Gi", nodeName: "a" }), makePod("y", { cpu: "1", memory: "1Gi", nodeName: "c" })]);
    const r = scheduleOne(profile, nodes, makePod("p", { cpu: "1", memory: "1Gi" }));
    expect(r.node).toBe("b");
    // PreScore Skip: no preferred node affinity, no spreading, no pod affinity anywhere, no node with images: those plugins would score 0 everywhere.
    const ran = ["TaintToleration", "NodeResourcesFit", "NodeResourcesBalancedAllocation"];
    expect([...new Set(r.scores.map((s) => s.plugin))].sort()).toEqual([...ran].sort());
    expect(r.scores).toHaveLength(3 * ran.length);
    expect(r.totals.map((t) => t.node)).toEqual(["a", "b", "c"]);
    // With preferred node affinity, NodeAffinity scores too.
    const preferring = makePod("q", {
      cpu: "1",
      spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchFields: [{ key: "metadata.name", operator: "In", values: ["c"] }] } }] } } },
    });
    expect(scheduleOne(profile, nodes, preferring).scores.filter((s) => s.plugin === "NodeAffinity").map((s) => [s.node, s.normalized])).toEqual([
      ["a", 0],
      ["b", 0],
      ["c", 100],
    ]);
  });

  it("a plugin that skips decides exactly as it would have run: same totals and nodes as without Skip", () => {
    const noSkip = { ...profile, filters: profile.filters.map(({ skip: _, ...f }) => f), scores: profile.scores.map(({ plugin: { skip: _, ...plugin }, weight }) => ({ plugin, weight })) };
    const nodes = new FakeNodeSource(
      [makeNode("a", { labels: { zone: "z1" } }), makeNode("b", { labels: { zone: "z2" } }), makeNode("c", { cpu: "1", labels: { zone: "z1" } })],
      [makePod("x", { cpu: "2", nodeName: "a", labels: { app: "w" } }), makePod("y", { cpu: "500m", nodeName: "c" })],
    );
    for (const pod of [makePod("p", { cpu: "1" }), makePod("h", { cpu: "1", spec: { nodeName: "b" } }), makePod("big", { cpu: "3" })]) {
      const [fast, slow] = [scheduleOne(profile, nodes, pod, () => 0), scheduleOne(noSkip, nodes, pod, () => 0)];
      expect([fast.node, fast.totals, fast.filters, fast.message]).toEqual([slow.node, slow.totals, slow.filters, slow.message]);
    }
  });

  it("prefers nodes without PreferNoSchedule taints and with preferred affinity", () => {
    const nodes = new FakeNodeSource([makeNode("a", { taints: [{ key: "k", effect: "PreferNoSchedule" }] }), makeNode("b")]);
    expect(scheduleOne(profile, nodes, makePod("p")).node).toBe("b");
  });

  it("breaks ties at random among the best", () => {
    const nodes = new FakeNodeSource([makeNode("a"), makeNode("b"), makeNode("c")]);
    const seen = new Set<string>();
    let i = 0;
    const seq = [0.1, 0.9, 0.9, 0.1, 0.1, 0.6];
    for (let k = 0; k < 3; k++) seen.add(scheduleOne(profile, nodes, makePod("p"), () => seq[i++ % seq.length]!).node!);
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe("percentageOfNodesToScore", () => {
  it.each([
    [undefined, 50, 50], // under 100 nodes: all
    [undefined, 100, 100], // 50 − 0 = 50% of 100 = 50 → at least 100
    [undefined, 1000, 420], // 50 − 8 = 42%
    [undefined, 5000, 500], // 50 − 40 = 10%
    [undefined, 6000, 300], // 50 − 48 = 2% → at least 5%
    [undefined, 1500, 570], // 50 − 12 = 38%
    [30, 1000, 300],
    [5, 1000, 100], // never fewer than 100
    [100, 1000, 1000],
  ])("percentage %s of %i nodes → %i", (pct, nodes, want) => {
    expect(numFeasibleNodesToFind(pct, nodes)).toBe(want);
  });

  it("stops filtering once enough nodes fit and starts the next cycle where this one stopped", () => {
    const nodes = new FakeNodeSource(Array.from({ length: 250 }, (_, i) => makeNode(`n${String(i).padStart(3, "0")}`)));
    const p = { ...defaultProfile(), percentageOfNodesToScore: 40 };
    const cursor = { next: 0 };
    const first = scheduleOne(p, nodes, makePod("a"), () => 0, cursor);
    expect(first.feasible).toHaveLength(100);
    expect(first.feasible[0]).toBe("n000");
    expect(cursor.next).toBe(100);
    const second = scheduleOne(p, nodes, makePod("b"), () => 0, cursor);
    expect(second.feasible[0]).toBe("n100");
    const third = scheduleOne(p, nodes, makePod("c"), () => 0, cursor);
    // wraps around: n200..n249, then n000..n049
    expect([third.feasible[0], third.feasible[50]]).toEqual(["n200", "n000"]);
    expect(cursor.next).toBe(50);
  });

  it("counts infeasible nodes as processed, and looks at every node before giving up", () => {
    const nodes = new FakeNodeSource(
      Array.from({ length: 200 }, (_, i) => makeNode(`n${String(i).padStart(3, "0")}`, i % 2 ? {} : { unschedulable: true })),
    );
    const cursor = { next: 0 };
    const r = scheduleOne(defaultProfile(), nodes, makePod("a"), () => 0, cursor);
    expect(r.feasible).toHaveLength(100); // 200 nodes: 50 − 1 = 49% = 98 → at least 100
    expect(cursor.next).toBe(0); // 100 feasible + 100 cordoned = every node
    const none = scheduleOne(defaultProfile(), nodes, makePod("big", { cpu: "64" }), () => 0, cursor);
    expect(none.message).toMatch(/^0\/200 nodes are available: 100 Insufficient cpu, 100 node\(s\) were unschedulable\./);
  });

  it("tries a nominated node first", () => {
    const nodes = new FakeNodeSource([makeNode("a"), makeNode("b"), makeNode("c")]);
    const pod = { ...makePod("p"), status: { nominatedNodeName: "c" } } as ReturnType<typeof makePod>;
    expect(scheduleOne(defaultProfile(), nodes, pod).node).toBe("c");
  });
});
