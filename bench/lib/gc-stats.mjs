/**
 * Preload (`--import`, through NODE_OPTIONS) for the benchmark's server
 * processes: counts V8's garbage collections and their pause time, and keeps
 * the running totals in $BENCH_GC_STATS_DIR/<pid>.json (rewritten at each
 * collection) so the benchmark can read each process's scavenges and GC
 * milliseconds per operation (`--trace-gc` is not allowed in NODE_OPTIONS).
 * Pauses of a millisecond or more are also kept one by one (wall-clock time
 * and length, the newest 2000) so a benchmark point can report the longest
 * pauses inside its own window: a pause stalls every request in flight in
 * that process, which is what moves a p99.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { constants, performance, PerformanceObserver } from "node:perf_hooks";

const LONG_PAUSE_MS = 1;
const KEEP_LONG_PAUSES = 2000;
const file = join(process.env.BENCH_GC_STATS_DIR ?? ".", `${process.pid}.json`);
const totals = { scavenges: 0, scavengeMs: 0, majors: 0, majorMs: 0, longPauses: [] };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = e.detail?.kind ?? e.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      totals.scavenges++;
      totals.scavengeMs += e.duration;
    } else {
      totals.majors++;
      totals.majorMs += e.duration;
    }
    if (e.duration >= LONG_PAUSE_MS) {
      totals.longPauses.push([Math.round(performance.timeOrigin + e.startTime), Math.round(e.duration * 100) / 100]);
      if (totals.longPauses.length > KEEP_LONG_PAUSES) totals.longPauses.shift();
    }
  }
  writeFileSync(file, JSON.stringify(totals));
}).observe({ entryTypes: ["gc"] });
