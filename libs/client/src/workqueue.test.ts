import { describe, expect, it } from "vitest";
import { until } from "@kubeactor/testing";
import { TerminalError, WorkQueue } from "./workqueue.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("WorkQueue", () => {
  it("deduplicates waiting keys and never runs one key twice at once", async () => {
    const q = new WorkQueue({ name: "t" });
    let inFlight = 0;
    let maxInFlight = 0;
    const runs: string[] = [];
    const running = q.run(4, async (key) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      runs.push(key);
      await sleep(20);
      inFlight--;
    });
    q.add("a");
    q.add("a");
    q.add("a");
    await until("a started", () => runs.length === 1);
    q.add("a"); // while "a" is processing: runs once more afterwards
    q.add("a");
    await until("a ran twice", () => runs.length === 2 && inFlight === 0);
    await sleep(40); // a third run (the bug this guards against) would have started by now
    q.shutDown();
    await running;
    expect(runs).toEqual(["a", "a"]);
    expect(maxInFlight).toBe(1);
  });

  it("retries failures with growing backoff and gives up on terminal errors", async () => {
    const q = new WorkQueue({ name: "t", baseDelayMs: 5 });
    const times: number[] = [];
    let terminalRuns = 0;
    const running = q.run(2, async (key) => {
      if (key === "flaky") {
        times.push(Date.now());
        if (times.length < 4) throw new Error("not yet");
      } else {
        terminalRuns++;
        throw new TerminalError("bad spec");
      }
    });
    q.add("flaky");
    q.add("broken");
    // Polled, not slept: on a loaded machine the retries may take longer than any fixed wait.
    await until("four runs of the flaky key", () => times.length >= 4 && terminalRuns >= 1, 30_000);
    q.shutDown();
    await running;
    expect(times).toHaveLength(4);
    // Each retry waits at least its backoff (5, 10, 20 ms; a timer may fire a millisecond early); a stall can only add to it.
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(5 * 2 ** i - 1));
    expect(terminalRuns).toBe(1);
    expect(q.stats).toMatchObject({ terminalErrors: 1, retries: 3 });
  });

  it("requeues after the delay a reconcile asks for", async () => {
    const q = new WorkQueue({ name: "t" });
    let runs = 0;
    const running = q.run(1, async () => {
      runs++;
      return runs < 3 ? { requeueAfterMs: 10 } : undefined;
    });
    q.add("k");
    await sleep(100);
    q.shutDown();
    await running;
    expect(runs).toBe(3);
  });
});
