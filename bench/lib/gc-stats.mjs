/**
 * Preload (`--import`, through NODE_OPTIONS) for the benchmark's server
 * processes: counts V8's garbage collections and their pause time, and keeps
 * the running totals in $BENCH_GC_STATS_DIR/<pid>.json (rewritten at each
 * collection) so the benchmark can read each process's scavenges and GC
 * milliseconds per operation (`--trace-gc` is not allowed in NODE_OPTIONS).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { constants, PerformanceObserver } from "node:perf_hooks";

const file = join(process.env.BENCH_GC_STATS_DIR ?? ".", `${process.pid}.json`);
const totals = { scavenges: 0, scavengeMs: 0, majors: 0, majorMs: 0 };
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
  }
  writeFileSync(file, JSON.stringify(totals));
}).observe({ entryTypes: ["gc"] });
