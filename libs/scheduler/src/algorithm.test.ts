import { describe, expect, it } from "vitest";
import { fitErrorMessage, nodesAvailableMessage, scheduleOne } from "./algorithm.ts";
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
  it("picks the least allocated node and records every score", () => {
    const nodes = new FakeNodeSource([makeNode("a"), makeNode("b"), makeNode("c")], [makePod("x", { cpu: "2", memory: "4Gi", nodeName: "a" }), makePod("y", { cpu: "1", memory: "1Gi", nodeName: "c" })]);
    const r = scheduleOne(profile, nodes, makePod("p", { cpu: "1", memory: "1Gi" }));
    expect(r.node).toBe("b");
    expect(r.scores).toHaveLength(3 * profile.scores.length);
    expect(r.totals.map((t) => t.node)).toEqual(["a", "b", "c"]);
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
