/**
 * kube-controller-manager's node lifecycle flags, shared by
 * apps/controller-manager and `kubeactor up` so both spell and parse them
 * alike. Durations are Go's (`40s`, `1m30s`, `500ms`), rates are floats per
 * second, as upstream. Bad values throw an Error whose message is the
 * one-line flag error the apps print.
 */
import type { NodeLifecycleOptions } from "./node-lifecycle.ts";

export const nodeLifecycleFlags = {
  "node-monitor-grace-period": {
    type: "string",
    default: "40s",
    help: "how long a node may go without a renewed lease before it is marked Unknown (Go duration)",
  },
  "node-monitor-period": { type: "string", default: "5s", help: "how often the node lifecycle controller checks every node (Go duration)" },
  "node-eviction-rate": { type: "string", default: "0.1", help: "nodes per second whose pods are evicted, per healthy zone" },
  "secondary-node-eviction-rate": {
    type: "string",
    default: "0.01",
    help: "nodes per second whose pods are evicted in a partially disrupted zone of a large cluster (0 in small ones)",
  },
  "unhealthy-zone-threshold": { type: "string", default: "0.55", help: "fraction of not-Ready nodes (at least 3) that makes a zone partially disrupted" },
  "large-cluster-size-threshold": { type: "int", default: 50, help: "zones with more nodes than this use the secondary eviction rate when partially disrupted" },
} as const;

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds (`40s` → 40000, `1m30s` → 90000, `0` → 0); undefined when malformed. */
export const parseGoDuration = (raw: string): number | undefined => {
  const s = raw.trim();
  if (s === "0") return 0;
  if (!/^(\d+(\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)((\d+(\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h))*$/.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNITS[m[2]!]!;
  return ms;
};

type Values = { [K in keyof typeof nodeLifecycleFlags]?: string | number | undefined };

const duration = (flag: string, raw: string): number => {
  const ms = parseGoDuration(raw);
  if (ms === undefined) throw new Error(`invalid value "${raw}" for flag --${flag}: time: invalid duration "${raw}"`);
  return ms;
};
const float = (flag: string, raw: string, max = Infinity): number => {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n < 0 || n > max) {
    throw new Error(`invalid value "${raw}" for flag --${flag}: must be a number${max === Infinity ? " ≥ 0" : ` between 0 and ${max}`}`);
  }
  return n;
};

/** The controller options the parsed flag values ask for. */
export const nodeLifecycleOptionsFrom = (v: Values): NodeLifecycleOptions => {
  const str = (k: keyof typeof nodeLifecycleFlags) => String(v[k] ?? nodeLifecycleFlags[k].default);
  const grace = duration("node-monitor-grace-period", str("node-monitor-grace-period"));
  const period = duration("node-monitor-period", str("node-monitor-period"));
  if (period <= 0) throw new Error(`invalid value "${str("node-monitor-period")}" for flag --node-monitor-period: must be positive`);
  return {
    nodeMonitorGracePeriodMs: grace,
    nodeMonitorPeriodMs: period,
    evictionRate: float("node-eviction-rate", str("node-eviction-rate")),
    secondaryEvictionRate: float("secondary-node-eviction-rate", str("secondary-node-eviction-rate")),
    unhealthyZoneThreshold: float("unhealthy-zone-threshold", str("unhealthy-zone-threshold"), 1),
    largeClusterSizeThreshold: Number(v["large-cluster-size-threshold"] ?? nodeLifecycleFlags["large-cluster-size-threshold"].default),
  };
};
