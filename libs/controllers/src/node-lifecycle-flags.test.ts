import { describe, expect, it } from "vitest";
import { nodeLifecycleOptionsFrom, parseGoDuration } from "./node-lifecycle-flags.ts";

describe("parseGoDuration", () => {
  it.each([
    ["40s", 40_000],
    ["2s", 2_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["1.5s", 1_500],
    ["1h", 3_600_000],
    ["0", 0],
    ["0s", 0],
  ])("%s → %i ms", (raw, ms) => expect(parseGoDuration(raw)).toBe(ms));
  it.each(["", "40", "s", "-1s", "1x", "1s2", "forty"])("rejects %j", (raw) => expect(parseGoDuration(raw)).toBeUndefined());
});

describe("nodeLifecycleOptionsFrom", () => {
  it("gives Kubernetes' defaults", () => {
    expect(nodeLifecycleOptionsFrom({})).toEqual({
      nodeMonitorGracePeriodMs: 40_000,
      nodeMonitorPeriodMs: 5_000,
      evictionRate: 0.1,
      secondaryEvictionRate: 0.01,
      unhealthyZoneThreshold: 0.55,
      largeClusterSizeThreshold: 50,
    });
  });
  it("parses given values", () => {
    expect(nodeLifecycleOptionsFrom({ "node-monitor-grace-period": "2s", "node-eviction-rate": "1", "large-cluster-size-threshold": 3 })).toMatchObject({
      nodeMonitorGracePeriodMs: 2_000,
      evictionRate: 1,
      largeClusterSizeThreshold: 3,
    });
  });
  it("rejects bad values with a one-line flag error", () => {
    expect(() => nodeLifecycleOptionsFrom({ "node-monitor-grace-period": "40" })).toThrow('invalid value "40" for flag --node-monitor-grace-period: time: invalid duration "40"');
    expect(() => nodeLifecycleOptionsFrom({ "node-eviction-rate": "fast" })).toThrow('invalid value "fast" for flag --node-eviction-rate');
    expect(() => nodeLifecycleOptionsFrom({ "unhealthy-zone-threshold": "2" })).toThrow("between 0 and 1");
    expect(() => nodeLifecycleOptionsFrom({ "node-monitor-period": "0s" })).toThrow("must be positive");
  });
});
