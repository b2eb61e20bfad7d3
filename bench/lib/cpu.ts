/**
 * CPU time of another process (user + system), read from /proc/<pid>/stat on
 * Linux: on a shared machine, CPU per operation is the figure that does not
 * depend on what else runs, where wall-clock latency does.
 */
import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this runs on

/** Milliseconds of CPU `pid` has used so far, or NaN where /proc is not there. */
export const cpuMsOf = (pid: number | undefined): number => {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after the command name (which may contain spaces) start at ") "
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return Number.NaN;
  }
};

/** Snapshots several processes' CPU; `since` gives each one's milliseconds used since the snapshot. */
export const cpuMeter = (pids: Record<string, number | undefined>) => {
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMsOf(pid)]));
  return {
    since: (): Record<string, number> => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMsOf(pid) - start[name]!])),
  };
};
