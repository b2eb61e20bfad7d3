import { describe, expect, it } from "vitest";
import { allFullyDisrupted, computeZoneState, DEFAULT_EVICTION_RATES as R, TokenBucket, zoneEvictionRate, zoneKey, type ZoneState } from "./node-eviction.ts";

const statuses = (ready: number, notReady: number, unknown = 0) => [
  ...Array<string>(ready).fill("True"),
  ...Array<string>(notReady).fill("False"),
  ...Array<string>(unknown).fill("Unknown"),
];

describe("computeZoneState", () => {
  it.each([
    // ready, False, Unknown → state (threshold 0.55; at least 3 not-Ready for a partial disruption)
    [3, 0, 0, "Normal", 0],
    [0, 0, 0, "Normal", 0],
    [0, 1, 0, "FullDisruption", 1],
    [0, 0, 5, "FullDisruption", 5],
    [1, 2, 0, "Normal", 2], // 2 of 3 not-Ready: under the 3-node floor
    [2, 3, 0, "PartialDisruption", 3], // 0.6 ≥ 0.55
    [3, 3, 0, "Normal", 3], // 0.5 < 0.55
    [9, 11, 0, "PartialDisruption", 11], // 0.55 exactly
    [10, 6, 6, "Normal", 12], // 12/22 ≈ 0.545
    [10, 7, 6, "PartialDisruption", 13],
    [1, 0, 99, "PartialDisruption", 99],
  ] as const)("%i Ready, %i False, %i Unknown → %s", (ready, notReady, unknown, state, count) => {
    expect(computeZoneState(statuses(ready, notReady, unknown), 0.55)).toEqual({ notReady: count, state });
  });

  it("counts a node without a Ready condition as not Ready", () => {
    expect(computeZoneState([undefined], 0.55).state).toBe("FullDisruption");
    expect(computeZoneState(["True", undefined, undefined, undefined], 0.55).state).toBe("PartialDisruption");
  });
});

describe("zoneEvictionRate", () => {
  it.each([
    ["Normal", 3, 0.1],
    ["Normal", 500, 0.1],
    ["FullDisruption", 3, 0.1],
    ["PartialDisruption", 50, 0], // not larger than the threshold: a small zone stops
    ["PartialDisruption", 51, 0.01],
  ] as const)("%s zone of %i nodes → %f nodes/s", (state, size, rate) => {
    expect(zoneEvictionRate(state, size, R)).toBe(rate);
  });

  it("uses the configured rates", () => {
    const r = { ...R, evictionRate: 2, secondaryEvictionRate: 0.5, largeClusterSizeThreshold: 2 };
    expect(zoneEvictionRate("Normal", 1, r)).toBe(2);
    expect(zoneEvictionRate("PartialDisruption", 3, r)).toBe(0.5);
  });
});

describe("allFullyDisrupted", () => {
  it.each([
    [[], false],
    [["FullDisruption"], true],
    [["FullDisruption", "FullDisruption", "FullDisruption"], true],
    [["FullDisruption", "Normal"], false],
    [["FullDisruption", "PartialDisruption"], false],
  ] as [ZoneState[], boolean][])("%j → %s", (states, all) => {
    expect(allFullyDisrupted(new Map(states.map((s, i) => [`zone-${i}`, s])))).toBe(all);
  });
});

describe("zoneKey", () => {
  it("joins region and zone like utilnode.GetZoneKey, reading the beta labels too", () => {
    expect(zoneKey({ "topology.kubernetes.io/zone": "zone-a" })).toBe(":\x00:zone-a");
    expect(zoneKey({ "topology.kubernetes.io/region": "r1", "topology.kubernetes.io/zone": "zone-a" })).toBe("r1:\x00:zone-a");
    expect(zoneKey({ "failure-domain.beta.kubernetes.io/zone": "old" })).toBe(":\x00:old");
    expect(zoneKey({})).toBe("");
    expect(zoneKey(undefined)).toBe("");
  });
});

describe("TokenBucket", () => {
  it("allows a burst of one, then one every 1/qps seconds", () => {
    const b = new TokenBucket(0.1, 0);
    expect(b.tryAccept(0)).toBe(true);
    expect(b.tryAccept(0)).toBe(false);
    expect(b.waitMs(0)).toBe(10_000);
    expect(b.tryAccept(9_999)).toBe(false);
    expect(b.tryAccept(10_000)).toBe(true);
    // idle time does not pile up more than the burst
    expect(b.tryAccept(100_000)).toBe(true);
    expect(b.tryAccept(100_000)).toBe(false);
  });

  it("never accepts at rate 0", () => {
    const b = new TokenBucket(0, 0);
    expect(b.tryAccept(1e9)).toBe(false);
    expect(b.waitMs(0)).toBe(Infinity);
  });

  it("swaps rates like SwapLimiter: a waiting zone stays drained, a rested one starts full", () => {
    const waiting = new TokenBucket(0.1, 0);
    waiting.tryAccept(0);
    waiting.setRate(1, 100);
    expect(waiting.tryAccept(100)).toBe(false);
    expect(waiting.tryAccept(1_100)).toBe(true);

    const rested = new TokenBucket(0.1, 0);
    rested.setRate(0.01, 0);
    expect(rested.tryAccept(0)).toBe(true);
    expect(rested.waitMs(0)).toBe(100_000);

    const stopped = new TokenBucket(0.1, 0);
    stopped.setRate(0, 0);
    expect(stopped.tryAccept(5_000)).toBe(false);
    stopped.setRate(0.1, 5_000); // from "never": drained, first eviction one period later
    expect(stopped.tryAccept(5_000)).toBe(false);
    expect(stopped.tryAccept(15_000)).toBe(true);
  });

  it("paces 10 evictions over 90 s at 0.1/s", () => {
    const b = new TokenBucket(0.1, 0);
    const accepted: number[] = [];
    for (let t = 0; t <= 100_000; t += 500) if (b.tryAccept(t)) accepted.push(t);
    expect(accepted).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000, 100_000]);
  });
});
