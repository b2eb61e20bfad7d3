import { describe, expect, it } from "vitest";
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
    await sleep(5);
    q.add("a"); // while "a" is processing: runs once more afterwards
    q.add("a");
    await sleep(80);
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
    await sleep(300);
    q.shutDown();
    await running;
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[2]!).toBeGreaterThanOrEqual(gaps[0]!);
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
