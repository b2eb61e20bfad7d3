/**
 * Zone-aware, rate-limited eviction, as kube-controller-manager's node
 * lifecycle controller does it (pure functions; node-lifecycle.ts applies
 * them). Nodes are grouped by zone; each zone is
 *
 *   Normal            – fewer than 3 not-Ready nodes, or under the unhealthy threshold
 *   PartialDisruption – at least 3 not-Ready nodes and ≥ threshold (0.55) of the zone
 *   FullDisruption    – no Ready node left in the zone
 *
 * and owns a token bucket (burst 1) that paces how fast its nodes get the
 * NoExecute taint (and so lose their pods): `--node-eviction-rate` when Normal
 * or FullDisruption (a dead zone is drained as usual), in PartialDisruption
 * `--secondary-node-eviction-rate` for zones larger than
 * `--large-cluster-size-threshold` and 0 for smaller ones. When every zone is
 * fully disrupted the controller assumes it is cut off itself: it stops
 * evicting everywhere and lifts the NoExecute taints ("master disruption mode").
 */

export type ZoneState = "Normal" | "PartialDisruption" | "FullDisruption";

export interface EvictionRates {
  /** Nodes per second tainted NoExecute in a healthy (or fully dead) zone (Kubernetes: 0.1). */
  readonly evictionRate: number;
  /** Nodes per second in a partially disrupted large zone (Kubernetes: 0.01). */
  readonly secondaryEvictionRate: number;
  /** Fraction of not-Ready nodes that makes a zone partially disrupted (Kubernetes: 0.55). */
  readonly unhealthyZoneThreshold: number;
  /** A zone with more nodes than this is "large" (Kubernetes: 50). */
  readonly largeClusterSizeThreshold: number;
}

export const DEFAULT_EVICTION_RATES: EvictionRates = {
  evictionRate: 0.1,
  secondaryEvictionRate: 0.01,
  unhealthyZoneThreshold: 0.55,
  largeClusterSizeThreshold: 50,
};

const REGION_LABELS = ["topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"];
const ZONE_LABELS = ["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"];

/** utilnode.GetZoneKey: region and zone joined with ":\0:"; "" for a node with neither. */
export const zoneKey = (labels: Readonly<Record<string, string>> | undefined): string => {
  const pick = (keys: string[]) => keys.map((k) => labels?.[k]).find((v) => v !== undefined && v !== "") ?? "";
  const region = pick(REGION_LABELS);
  const zone = pick(ZONE_LABELS);
  return region === "" && zone === "" ? "" : `${region}:\x00:${zone}`;
};

/** ComputeZoneState, from the Ready statuses ("True", "False", "Unknown", or none) of a zone's nodes. */
export const computeZoneState = (readyStatuses: readonly (string | undefined)[], threshold: number): { notReady: number; state: ZoneState } => {
  const ready = readyStatuses.filter((s) => s === "True").length;
  const notReady = readyStatuses.length - ready;
  if (ready === 0 && notReady > 0) return { notReady, state: "FullDisruption" };
  if (notReady > 2 && notReady / readyStatuses.length >= threshold) return { notReady, state: "PartialDisruption" };
  return { notReady, state: "Normal" };
};

/** setLimiterInZone: the eviction rate (nodes/s) of a zone of `size` nodes in `state`. */
export const zoneEvictionRate = (state: ZoneState, size: number, r: EvictionRates): number => {
  if (state === "PartialDisruption") return size > r.largeClusterSizeThreshold ? r.secondaryEvictionRate : 0;
  return r.evictionRate;
};

/** Every zone fully disrupted (and at least one zone): the controller stops evicting. */
export const allFullyDisrupted = (states: ReadonlyMap<string, ZoneState>): boolean =>
  states.size > 0 && [...states.values()].every((s) => s === "FullDisruption");

/**
 * A token bucket (client-go's flowcontrol.NewTokenBucketRateLimiter with
 * burst 1): `tryAccept(now)` takes a token when one is there. Rate 0 never
 * accepts (NewFakeNeverRateLimiter). Time is passed in, so it is pure to test.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private qps: number,
    now: number,
    private readonly burst = 1,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  get rate(): number {
    return this.qps;
  }

  private refill(now: number) {
    if (now > this.last) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = Math.max(this.last, now);
  }

  /**
   * SwapLimiter: a new bucket at the new rate, full only if this one still
   * had a token (a zone that was waiting keeps waiting); same rate: no change.
   */
  setRate(qps: number, now: number): void {
    if (qps === this.qps) return;
    this.refill(now);
    const hadToken = this.qps > 0 && this.tokens >= 1;
    this.qps = qps;
    this.tokens = qps > 0 && hadToken ? this.burst : 0;
  }

  tryAccept(now: number): boolean {
    if (this.qps <= 0) return false;
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until `tryAccept` can succeed (Infinity at rate 0). */
  waitMs(now: number): number {
    if (this.qps <= 0) return Infinity;
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.qps) * 1000);
  }
}
