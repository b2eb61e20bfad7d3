import { describe, expect, it } from "vitest";
import { horizontalPodAutoscalerOptionsFrom } from "./hpa-flags.ts";

describe("horizontalPodAutoscalerOptionsFrom", () => {
  it("gives Kubernetes' defaults", () => {
    expect(horizontalPodAutoscalerOptionsFrom({})).toEqual({
      syncPeriodMs: 15_000,
      downscaleStabilizationMs: 300_000,
      tolerance: 0.1,
      cpuInitializationPeriodMs: 300_000,
      initialReadinessDelayMs: 30_000,
    });
  });

  it("parses Go durations and the tolerance", () => {
    expect(
      horizontalPodAutoscalerOptionsFrom({
        "horizontal-pod-autoscaler-sync-period": "2s",
        "horizontal-pod-autoscaler-downscale-stabilization": "0s",
        "horizontal-pod-autoscaler-tolerance": "0.05",
      }),
    ).toMatchObject({ syncPeriodMs: 2_000, downscaleStabilizationMs: 0, tolerance: 0.05 });
  });

  it("rejects bad values with a one-line flag error", () => {
    expect(() => horizontalPodAutoscalerOptionsFrom({ "horizontal-pod-autoscaler-sync-period": "0s" })).toThrow(
      'invalid value "0s" for flag --horizontal-pod-autoscaler-sync-period: must be positive',
    );
    expect(() => horizontalPodAutoscalerOptionsFrom({ "horizontal-pod-autoscaler-downscale-stabilization": "5 minutes" })).toThrow(
      'invalid value "5 minutes" for flag --horizontal-pod-autoscaler-downscale-stabilization: time: invalid duration "5 minutes"',
    );
    expect(() => horizontalPodAutoscalerOptionsFrom({ "horizontal-pod-autoscaler-tolerance": "-1" })).toThrow(
      'invalid value "-1" for flag --horizontal-pod-autoscaler-tolerance: must be a number ≥ 0',
    );
  });
});
