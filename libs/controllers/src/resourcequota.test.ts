import { describe, expect, it } from "vitest";
import { resourceQuotaOptionsFrom } from "./resourcequota.ts";

describe("--resource-quota-sync-period", () => {
  it("defaults to kube's 5m0s and reads Go durations", () => {
    expect(resourceQuotaOptionsFrom({})).toEqual({ syncPeriodMs: 300_000 });
    expect(resourceQuotaOptionsFrom({ "resource-quota-sync-period": "30s" })).toEqual({ syncPeriodMs: 30_000 });
  });

  it("refuses what is not a positive duration with the flag's one-line error", () => {
    expect(() => resourceQuotaOptionsFrom({ "resource-quota-sync-period": "5" })).toThrow('invalid value "5" for flag --resource-quota-sync-period: time: invalid duration "5"');
    expect(() => resourceQuotaOptionsFrom({ "resource-quota-sync-period": "0s" })).toThrow("must be positive");
  });
});
