/**
 * Latency bookkeeping shared by both sides of the benchmark, so kubeactor and
 * etcd figures are computed by exactly the same code.
 */

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** Nearest-rank percentile on a sorted array (no interpolation: a reported p99 is a latency that really happened). */
export const percentile = (sorted: Float64Array | number[], p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
};

export const summarise = (latenciesMs: number[]): LatencySummary => {
  const sorted = Float64Array.from(latenciesMs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN),
    meanMs: round(sorted.length ? sum / sorted.length : Number.NaN),
  };
};

export const round = (v: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
