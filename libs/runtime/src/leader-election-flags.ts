/**
 * The `--leader-elect*` flags kube-controller-manager and kube-scheduler share
 * (component-base's LeaderElectionConfiguration), and what they turn into: the
 * `leaderElection` option of startControllerManager / startScheduler, or
 * undefined with `--leader-elect=false`. Durations are Go durations (`15s`, `1m30s`).
 */
import { FlagError, type FlagSpec } from "./flags.ts";

export const leaderElectionFlags = {
  "leader-elect": { type: "bool", default: true, help: "run only while holding the leader lease (for several replicas)" },
  "leader-elect-lease-duration": { type: "string", default: "15s", help: "how long a standby waits after the last renewal before taking over" },
  "leader-elect-renew-deadline": { type: "string", default: "10s", help: "how long the leader keeps trying to renew before it stops leading" },
  "leader-elect-retry-period": { type: "string", default: "2s", help: "wait between attempts to acquire or renew" },
  "leader-elect-resource-namespace": { type: "string", default: "kube-system", help: "namespace of the leader election Lease" },
} as const satisfies Record<string, FlagSpec>;

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds. */
export const parseDuration = (text: string): number => {
  const invalid = () => new Error(`time: invalid duration "${text}"`);
  if (text === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let i = 0;
  if (!text) throw invalid();
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw invalid();
    ms += Number(m[1]) * UNITS[m[2]!]!;
    i = re.lastIndex;
  }
  return ms;
};

type LeaderElectionFlagValues = { [K in keyof typeof leaderElectionFlags]: (typeof leaderElectionFlags)[K]["type"] extends "bool" ? boolean : string | undefined };

export const leaderElectionFromFlags = (
  v: LeaderElectionFlagValues,
): { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number; namespace: string } | undefined => {
  if (!v["leader-elect"]) return undefined;
  const duration = (flag: "leader-elect-lease-duration" | "leader-elect-renew-deadline" | "leader-elect-retry-period") => {
    try {
      return parseDuration(v[flag] ?? "");
    } catch (e) {
      throw new FlagError(`invalid value "${v[flag]}" for flag --${flag}: ${(e as Error).message}`);
    }
  };
  return {
    leaseDurationMs: duration("leader-elect-lease-duration"),
    renewDeadlineMs: duration("leader-elect-renew-deadline"),
    retryPeriodMs: duration("leader-elect-retry-period"),
    namespace: v["leader-elect-resource-namespace"] || "kube-system",
  };
};
