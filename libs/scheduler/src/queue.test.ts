import { describe, expect, it } from "vitest";
import { SchedulingQueue } from "./queue.ts";
import { makePod } from "./test-helpers.ts";

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe("SchedulingQueue", () => {
  it("pops by priority, then creation time", () => {
    const q = new SchedulingQueue();
    q.add(makePod("late", { created: "2024-01-01T00:00:05Z" }));
    q.add(makePod("early", { created: "2024-01-01T00:00:01Z" }));
    q.add(makePod("high", { priority: 1000, created: "2024-01-01T00:00:09Z" }));
    expect([q.pop()?.key, q.pop()?.key, q.pop()?.key, q.pop()]).toEqual(["default/high", "default/early", "default/late", undefined]);
  });

  it("backs off 1 s doubling to 10 s per attempt", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(makePod("p"));
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      const info = q.pop()!;
      q.failed(info.key, [], false);
      delays.push(q.backoffMs(info));
      c.advance(q.backoffMs(info) - 1);
      expect(q.flushBackoff()).toBe(0);
      c.advance(1);
      expect(q.flushBackoff()).toBe(1);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it("uses the configured podInitialBackoffSeconds / podMaxBackoffSeconds", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now, initialBackoffMs: 2000, maxBackoffMs: 5000 });
    q.add(makePod("p"));
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const info = q.pop()!;
      q.failed(info.key, [], false);
      delays.push(q.backoffMs(info));
      c.advance(q.backoffMs(info));
      expect(q.flushBackoff()).toBe(1);
    }
    expect(delays).toEqual([2000, 4000, 5000]);
  });

  it("parks unschedulable pods until an event that could help, or 5 minutes", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(makePod("cpu"));
    q.add(makePod("taint"));
    const a = q.pop()!;
    q.failed(a.key, ["NodeResourcesFit"], true);
    const b = q.pop()!;
    q.failed(b.key, ["TaintToleration"], true);
    expect(q.lengths.unschedulable).toBe(2);
    c.advance(5_000);
    // A pod leaving frees resources: only the resource-bound pod moves.
    expect(q.onClusterEvent("AssignedPodDelete")).toBe(1);
    expect(q.pop()?.key).toBe("default/cpu");
    expect(q.onClusterEvent("NodeAdd")).toBe(1);
    expect(q.pop()?.key).toBe("default/taint");
    // Parked again; nothing happens for 5 minutes.
    q.failed("default/taint", ["TaintToleration"], true);
    c.advance(60_000);
    expect(q.flushUnschedulable()).toBe(0);
    c.advance(5 * 60_000);
    expect(q.flushUnschedulable()).toBe(1);
  });

  it("sends a pod whose cycle overlapped a helpful event to backoff, not the pool", () => {
    const q = new SchedulingQueue();
    q.add(makePod("p"));
    const info = q.pop()!;
    q.onClusterEvent("NodeAdd");
    q.failed(info.key, ["NodeResourcesFit"], true);
    expect(q.lengths).toMatchObject({ unschedulable: 0, backoff: 1 });
  });

  it("retries parked pods whose spec changed, not on status-only updates", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    const pod = makePod("p", { cpu: "8" });
    q.add(pod);
    q.failed(q.pop()!.key, ["NodeResourcesFit"], true);
    c.advance(2_000);
    q.update({ ...pod, status: { conditions: [{ type: "PodScheduled", status: "False" }] } } as typeof pod);
    expect(q.lengths.unschedulable).toBe(1);
    q.update(makePod("p", { cpu: "1" }));
    expect(q.lengths).toMatchObject({ unschedulable: 0, active: 1 });
    q.delete("default/p");
    expect(q.pop()).toBeUndefined();
  });

  it("holds a preemptor until its last victim is gone, then tries it at once (no backoff, no other event)", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(makePod("high", { priority: 100 }));
    const info = q.pop()!;
    q.failed(info.key, ["NodeResourcesFit"], true);
    q.awaitVictims(info.key, ["default/v1", "default/v2"]);
    expect(q.lengths).toMatchObject({ unschedulable: 0, backoff: 0, active: 0, awaitingVictims: 1 });
    expect(q.has(info.key)).toBe(true);
    // Other events do not retry it: it would only preempt again.
    expect(q.onClusterEvent("NodeAdd")).toBe(0);
    q.victimGone("default/v1");
    q.victimGone("default/unrelated");
    expect(q.pop()).toBeUndefined();
    q.victimGone("default/v2");
    expect(q.lengths).toMatchObject({ awaitingVictims: 0, active: 1 });
    expect(q.pop()?.key).toBe("default/high");
  });

  it("a preemptor whose evictions failed goes to backoff; one deleted stops waiting; victims that never go wait 5 minutes", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    for (const name of ["a", "b", "c"]) {
      q.add(makePod(name, { priority: 100 }));
      const info = q.pop()!;
      q.failed(info.key, ["NodeResourcesFit"], true);
      q.awaitVictims(info.key, [`default/${name}-victim`]);
    }
    q.evictionFailed("default/a");
    expect(q.lengths).toMatchObject({ awaitingVictims: 2, backoff: 1 });
    q.delete("default/b");
    q.victimGone("default/b-victim");
    expect(q.lengths).toMatchObject({ awaitingVictims: 1, active: 0 });
    c.advance(5 * 60_000);
    expect(q.flushUnschedulable()).toBe(1);
    expect(q.lengths.awaitingVictims).toBe(0);
    // No victims left to wait for: tried at once.
    q.add(makePod("d", { priority: 100 }));
    const d = q.pop()!;
    q.failed(d.key, ["NodeResourcesFit"], true);
    q.awaitVictims(d.key, []);
    expect(q.lengths.active).toBeGreaterThan(0);
  });
});
