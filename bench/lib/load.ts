/**
 * Closed-loop load: N clients, each with exactly one request in flight, for a
 * fixed wall-clock window after a warm-up. Closed loop (not a fixed arrival
 * rate) is what "N concurrent clients" means in the etcd benchmark tool too,
 * and it makes throughput and latency two views of the same run.
 */
import { performance } from "node:perf_hooks";
import { round, summarise, type LatencySummary } from "./stats.ts";

export interface LoadResult extends LatencySummary {
  readonly clients: number;
  readonly opsPerSec: number;
  readonly errors: number;
  readonly durationMs: number;
}

export interface LoadOptions {
  readonly clients: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One operation; `seq` is unique across all clients of this run so keys never collide. */
  readonly op: (client: number, seq: number) => Promise<unknown>;
}

export const runClosedLoop = async (o: LoadOptions): Promise<LoadResult> => {
  let seq = 0;
  let errors = 0;
  let firstError: unknown;
  const latencies: number[] = [];
  const start = performance.now();
  const measureFrom = start + o.warmupMs;
  const stopAt = measureFrom + o.durationMs;
  let completedInWindow = 0;

  const client = async (c: number) => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= stopAt) return;
      try {
        await o.op(c, seq++);
      } catch (e) {
        errors++;
        firstError ??= e;
        continue;
      }
      const t1 = performance.now();
      // Only operations that both started and finished inside the window count,
      // so warm-up and the drain at the end do not skew either figure.
      if (t0 >= measureFrom && t1 <= stopAt) {
        latencies.push(t1 - t0);
        completedInWindow++;
      }
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
  if (errors > 0) console.error(`  ${errors} failed operations; first: ${String((firstError as Error)?.message ?? firstError)}`);
  return {
    clients: o.clients,
    opsPerSec: round(completedInWindow / (o.durationMs / 1000), 1),
    errors,
    durationMs: o.durationMs,
    ...summarise(latencies),
  };
};

/** Open-loop writer for the watch test: a fixed rate, so watch latency is not measured at saturation. */
export const runAtRate = async (o: { ratePerSec: number; durationMs: number; op: (seq: number) => Promise<unknown> }): Promise<number> => {
  const intervalMs = 1000 / o.ratePerSec;
  const total = Math.round((o.durationMs / 1000) * o.ratePerSec);
  const start = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(o.op(i));
  }
  await Promise.all(inflight);
  return total;
};
