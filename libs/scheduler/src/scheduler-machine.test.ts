import { describe, expect, it } from "vitest";
import { createActor, waitFor } from "xstate";
import { SchedulerCache } from "./cache.ts";
import { defaultProfile } from "./profile.ts";
import { SchedulingQueue } from "./queue.ts";
import * as Schema from "effect/Schema";
import { type BindInput, CYCLE_LISTED_NODES, CYCLE_SCORED_NODES, createSchedulerMachine, encodeCycleRecord, type ReportInput, schedulerIO } from "./scheduler-machine.ts";
import { SchedulingCycle } from "@kubeactor/bus";
import { scheduleOne } from "./algorithm.ts";
import { FakeNodeSource } from "./framework.ts";
import { makeNode, makePod } from "./test-helpers.ts";

/** As a subscriber reads it: the record must decode with the subject's schema. */
const decodeCycle = (json: string): SchedulingCycle => Schema.decodeUnknownSync(SchedulingCycle)(JSON.parse(json));

const setupMachine = (bind: (input: BindInput) => Promise<BindInput>, random?: () => number) => {
  let actor: ReturnType<typeof createActor<ReturnType<typeof createSchedulerMachine>>> | undefined;
  const queue = new SchedulingQueue({ onActive: () => actor?.send({ type: "PODS_QUEUED" }) });
  const cache = new SchedulerCache();
  const cycles: SchedulingCycle[] = [];
  const reports: ReportInput[] = [];
  const machine = createSchedulerMachine({ queue, cache, profile: defaultProfile(), publishCycle: (_pod, json) => cycles.push(decodeCycle(json)), ...(random ? { random } : {}) }).provide({
    actors: {
      schedulerIO: schedulerIO({
        bind,
        reportUnschedulable: async (input) => {
          reports.push(input);
        },
        reportScheduled: async () => {},
      }),
    },
  });
  actor = createActor(machine);
  actor.start();
  return { actor, queue, cache, cycles, reports };
};

describe("scheduler machine", () => {
  it("assumes before binding, so a burst never double-books", async () => {
    const binds: BindInput[] = [];
    const { actor, queue, cache } = setupMachine(async (input) => {
      binds.push(input);
      await new Promise((r) => setTimeout(r, 5)); // bindings overlap
      return input;
    });
    cache.addNode(makeNode("a", { cpu: "1" }));
    cache.addNode(makeNode("b", { cpu: "1" }));
    for (let i = 0; i < 5; i++) queue.add(makePod(`p${i}`, { cpu: "400m" }));
    await waitFor(actor, (s) => s.context.scheduled === 4 && s.context.unschedulable === 1);
    const perNode = binds.reduce<Record<string, number>>((m, b) => ({ ...m, [b.node]: (m[b.node] ?? 0) + 1 }), {});
    expect(perNode).toEqual({ a: 2, b: 2 });
    expect(cache.assumedCount).toBe(4);
    expect(actor.getSnapshot().value).toMatchObject({ Cycle: "WaitingForPods" });
    // Bindings and reports are requests to the one I/O actor, not children that pile up.
    expect(Object.keys(actor.getSnapshot().children)).toEqual(["io"]);
    actor.stop();
  });

  it("forgets the assumption and backs off when binding fails", async () => {
    let fail = true;
    const { actor, queue, cache, cycles, reports } = setupMachine(async (input) => {
      if (fail) {
        fail = false;
        throw Object.assign(new Error("conflict"), { status: { code: 409 } });
      }
      return input;
    });
    cache.addNode(makeNode("a", { cpu: "1" }));
    queue.add(makePod("p", { cpu: "1" }));
    await waitFor(actor, (s) => s.context.bindFailures === 1);
    expect(cache.assumedCount).toBe(0);
    expect(queue.lengths.backoff).toBe(1);
    queue.add(makePod("q", { cpu: "2" })); // cannot fit: reported
    await waitFor(actor, (s) => s.context.unschedulable === 1);
    expect(reports[0]?.message).toMatch(/^0\/1 nodes are available: 1 Insufficient cpu\./);
    expect(cycles.map((c) => [c.pod.name, c.result])).toEqual([
      ["p", "Assumed"],
      ["q", "Unschedulable"],
    ]);
    actor.stop();
  });

  it("publishes every node's total but per-plugin scores only for the best nodes", async () => {
    const { actor, queue, cache, cycles } = setupMachine(async (input) => input);
    for (let i = 0; i < CYCLE_SCORED_NODES + 5; i++) cache.addNode(makeNode(`n${i}`, { cpu: String(2 + i) }));
    queue.add(makePod("p", { cpu: "1" }));
    await waitFor(actor, (s) => s.context.scheduled === 1);
    const c = cycles[0]!;
    expect(c.totals).toHaveLength(CYCLE_SCORED_NODES + 5);
    const scored = new Set(c.scores.map((s) => s.node));
    expect(scored.size).toBe(CYCLE_SCORED_NODES);
    expect(scored.has(c.node!)).toBe(true);
    const lowest = Math.min(...c.totals.filter((t) => scored.has(t.node)).map((t) => t.score));
    expect(c.totals.filter((t) => !scored.has(t.node)).every((t) => t.score <= lowest)).toBe(true);
    actor.stop();
  });

  it("bounds the record in a large cluster: rejected nodes counted per reason, the best feasible nodes listed", async () => {
    // Ties for the best total go to the first such node (as the record lists them), so the chosen one is among the 10 scored.
    const { actor, queue, cache, cycles } = setupMachine(async (input) => input, () => 0.99);
    for (let i = 0; i < 60; i++) cache.addNode(makeNode(`small${String(i).padStart(2, "0")}`, { cpu: "1" }));
    for (let i = 0; i < 140; i++) cache.addNode(makeNode(`big${String(i).padStart(3, "0")}`, { cpu: String(3 + (i % 7)) }));
    queue.add(makePod("p", { cpu: "2" }));
    await waitFor(actor, (s) => s.context.scheduled === 1);
    const c = cycles[0]!;
    // 200 nodes: filtering stops at 100 feasible, after the 60 small ones were rejected.
    expect([c.numNodes, c.numFeasible]).toEqual([200, 100]);
    expect(c.rejected).toEqual([{ plugin: "NodeResourcesFit", code: "UnschedulableAndUnresolvable", reasons: ["Insufficient cpu"], count: 60 }]);
    expect(c.filters).toHaveLength(CYCLE_LISTED_NODES);
    expect(c.feasible).toHaveLength(CYCLE_LISTED_NODES);
    expect(c.totals.map((t) => t.node)).toEqual(c.feasible);
    expect(c.feasible).toContain(c.node);
    const best = Math.max(...c.totals.map((t) => t.score));
    expect(c.totals.find((t) => t.node === c.node)?.score).toBe(best);
    expect(new Set(c.scores.map((s) => s.node)).size).toBe(CYCLE_SCORED_NODES);
    actor.stop();
  });

  it("encodes the cycle's own figures: each listed node's per-plugin scores and total, the rejections, the outcome", () => {
    const nodes = [...Array.from({ length: 3 }, (_, i) => makeNode(`tiny${i}`, { cpu: "500m" })), ...Array.from({ length: CYCLE_SCORED_NODES + 5 }, (_, i) => makeNode(`n${i}`, { cpu: String(2 + (i % 4)) }))];
    const pod = makePod("p\"q", { cpu: "1" });
    const result = scheduleOne(defaultProfile(), new FakeNodeSource(nodes), pod, () => 0);
    const c = decodeCycle(encodeCycleRecord({ cycle: 7, pod: { namespace: "default", name: 'p"q' }, attempt: 2, startedAt: "2026-01-01T00:00:00.000Z", durationMs: 0.25 }, result));
    expect(c).toMatchObject({ cycle: 7, pod: { namespace: "default", name: 'p"q' }, attempt: 2, durationMs: 0.25, result: "Assumed", node: result.node, numNodes: 18, numFeasible: 15 });
    expect(c.totals).toEqual(result.totals);
    expect(c.rejected).toEqual([{ plugin: "NodeResourcesFit", code: "UnschedulableAndUnresolvable", reasons: ["Insufficient cpu"], count: 3 }]);
    expect(c.filters).toEqual(result.filters);
    const scored = new Set(c.scores.map((s) => s.node));
    expect(scored.size).toBe(CYCLE_SCORED_NODES);
    expect(c.scores).toEqual(result.scores.filter((s) => scored.has(s.node)));
  });
});
