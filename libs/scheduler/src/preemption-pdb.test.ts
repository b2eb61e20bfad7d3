import { describe, expect, it } from "vitest";
import { scheduleOne } from "./algorithm.ts";
import { type DisruptionBudget, FakeNodeSource, podInfoOf, type Pod } from "./framework.ts";
import { type Candidate, parseBudgets, pickOneNode, selectVictimsOnNode, splitByBudgetViolation } from "./preemption.ts";
import { defaultProfile } from "./profile.ts";
import { makeNode, makePod } from "./test-helpers.ts";

const profile = defaultProfile();
const budget = (name: string, app: string, allowed: number, extra: { namespace?: string; disrupted?: Record<string, string>; selector?: unknown } = {}): DisruptionBudget => ({
  metadata: { name, namespace: extra.namespace ?? "default" },
  spec: { selector: (extra.selector ?? { matchLabels: { app } }) as never },
  status: { disruptionsAllowed: allowed, ...(extra.disrupted ? { disruptedPods: extra.disrupted } : {}) },
});
const onNode = (name: string, node: string, priority: number, app?: string, cpu = "500m") =>
  makePod(name, { cpu, nodeName: node, priority, ...(app ? { labels: { app } } : {}) });
const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata?.name);

describe("PodDisruptionBudgets in preemption", () => {
  it.each([
    { name: "each pod spends a disruption; the one going below zero violates", budgets: [budget("a", "a", 1)], violating: ["a2"] },
    { name: "a pod the API server already recorded as disrupted spends nothing", budgets: [budget("a", "a", 0, { disrupted: { a1: "2026-01-01T00:00:00Z" } })], violating: ["a2"] },
    { name: "budgets of other namespaces do not count", budgets: [budget("a", "a", 0, { namespace: "other" })], violating: [] },
    { name: "an empty selector matches nothing", budgets: [budget("all", "", 0, { selector: {} })], violating: [] },
    { name: "a pod violates when any of its budgets goes below zero", budgets: [budget("a", "a", 5), budget("b", "b", 0)], violating: ["b1"] },
  ])("filterPodsWithPDBViolation: $name", ({ budgets, violating }) => {
    const pods = [onNode("a1", "n", 1, "a"), onNode("a2", "n", 1, "a"), onNode("b1", "n", 1, "b"), onNode("bare", "n", 1)].map(podInfoOf);
    const split = splitByBudgetViolation(pods, parseBudgets(budgets));
    expect(split.violating.map((p) => p.pod.metadata?.name)).toEqual(violating);
    expect(split.nonViolating).toHaveLength(pods.length - violating.length);
  });

  it.each([
    {
      name: "without budgets the more important pod is reprieved",
      budgets: [] as DisruptionBudget[],
      victims: ["protected"],
      violations: 0,
    },
    {
      name: "a pod whose eviction violates a budget is reprieved first",
      budgets: [budget("guard", "guarded", 0)],
      victims: ["free"],
      violations: 0,
    },
    {
      name: "a budget with room does not change the choice",
      budgets: [budget("guard", "guarded", 1)],
      victims: ["protected"],
      violations: 0,
    },
  ])("selectVictimsOnNode: $name", ({ budgets, victims, violations }) => {
    const pods = [onNode("protected", "n", 1, "guarded"), onNode("free", "n", 5, "other")];
    const src = new FakeNodeSource([makeNode("n", { cpu: "1" })], pods);
    const r = selectVictimsOnNode(profile, src, makePod("p", { cpu: "500m", priority: 100 }), src.infos[0]!, undefined, parseBudgets(budgets));
    expect(r).toEqual({ victims: pods.filter((p) => victims.includes(p.metadata!.name!)), pdbViolations: violations });
  });

  it("counts the violations it cannot avoid and keeps victims most important first", () => {
    const pods = [onNode("g1", "n", 3, "guarded"), onNode("g2", "n", 2, "guarded"), onNode("f", "n", 7, "other")];
    const src = new FakeNodeSource([makeNode("n", { cpu: "1500m" })], pods);
    const r = selectVictimsOnNode(profile, src, makePod("p", { cpu: "1500m", priority: 100 }), src.infos[0]!, undefined, parseBudgets([budget("guard", "guarded", 1)]));
    expect(r).toMatchObject({ pdbViolations: 1 });
    expect(names((r as { victims: Pod[] }).victims)).toEqual(["f", "g1", "g2"]);
  });

  it.each([
    {
      name: "fewest violations first, even over lower priorities",
      candidates: [
        { node: "n1", victims: [onNode("x", "n1", 1)], pdbViolations: 1 },
        { node: "n2", victims: [onNode("y", "n2", 50)], pdbViolations: 0 },
      ],
      chosen: "n2",
    },
    {
      name: "equal violations fall back to the lowest highest-priority victim",
      candidates: [
        { node: "n1", victims: [onNode("x", "n1", 9)], pdbViolations: 1 },
        { node: "n2", victims: [onNode("y", "n2", 3)], pdbViolations: 1 },
      ],
      chosen: "n2",
    },
    {
      name: "then the fewest victims",
      candidates: [
        { node: "n1", victims: [onNode("x", "n1", 0), onNode("z", "n1", 0)], pdbViolations: 0 },
        { node: "n2", victims: [onNode("y", "n2", 0)], pdbViolations: 0 },
      ],
      chosen: "n2",
    },
  ] as { name: string; candidates: Candidate[]; chosen: string }[])("pickOneNodeForPreemption: $name", ({ candidates, chosen }) => {
    expect(pickOneNode(candidates)?.node).toBe(chosen);
  });

  it("the scheduler preempts on the node where no budget is violated", () => {
    const nodes = [makeNode("a", { cpu: "1" }), makeNode("b", { cpu: "1" })];
    const pods = [onNode("web-a", "a", 1, "web", "1"), onNode("batch-b", "b", 10, "batch", "1")];
    const preemptor = makePod("p", { cpu: "1", priority: 100 });
    // without budgets the lower-priority victim on a wins
    expect(scheduleOne(profile, new FakeNodeSource(nodes, pods), preemptor, () => 0).preemption).toMatchObject({ node: "a" });
    const guarded = new FakeNodeSource(nodes, pods, { podDisruptionBudgets: [budget("web", "web", 0)] });
    const r = scheduleOne(profile, guarded, preemptor, () => 0);
    expect(r.preemption).toMatchObject({ node: "b" });
    expect(names(r.preemption!.victims)).toEqual(["batch-b"]);
  });
});
