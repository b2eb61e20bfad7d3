/**
 * kube-controller-manager's horizontal pod autoscaler flags, shared by
 * apps/controller-manager and `kubeactor up`. Durations are Go's (`15s`,
 * `5m0s`); bad values throw the one-line flag error the apps print.
 */
import type { HorizontalPodAutoscalerOptions } from "./hpa.ts";
import { parseGoDuration } from "./node-lifecycle-flags.ts";

export const horizontalPodAutoscalerFlags = {
  "horizontal-pod-autoscaler-sync-period": { type: "string", default: "15s", help: "how often every horizontal pod autoscaler is synced (Go duration)" },
  "horizontal-pod-autoscaler-downscale-stabilization": {
    type: "string",
    default: "5m0s",
    help: "an autoscaler scales down to the highest recommendation of this past window (Go duration)",
  },
  "horizontal-pod-autoscaler-tolerance": { type: "string", default: "0.1", help: "no rescale while usage/target stays within 1 ± this" },
  "horizontal-pod-autoscaler-cpu-initialization-period": {
    type: "string",
    default: "5m0s",
    help: "after a pod starts, its CPU samples count only once a whole window was taken while it was ready (Go duration)",
  },
  "horizontal-pod-autoscaler-initial-readiness-delay": {
    type: "string",
    default: "30s",
    help: "after start-up, a not-ready pod is left out if it became not ready within this long of starting (Go duration)",
  },
} as const;

type Values = { [K in keyof typeof horizontalPodAutoscalerFlags]?: string | undefined };

/** The controller options the parsed flag values ask for. */
export const horizontalPodAutoscalerOptionsFrom = (v: Values): HorizontalPodAutoscalerOptions => {
  const raw = (k: keyof typeof horizontalPodAutoscalerFlags) => String(v[k] ?? horizontalPodAutoscalerFlags[k].default);
  const duration = (k: keyof typeof horizontalPodAutoscalerFlags, positive = false): number => {
    const ms = parseGoDuration(raw(k));
    if (ms === undefined) throw new Error(`invalid value "${raw(k)}" for flag --${k}: time: invalid duration "${raw(k)}"`);
    if (positive && ms <= 0) throw new Error(`invalid value "${raw(k)}" for flag --${k}: must be positive`);
    return ms;
  };
  const tolerance = Number(raw("horizontal-pod-autoscaler-tolerance"));
  if (raw("horizontal-pod-autoscaler-tolerance").trim() === "" || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new Error(`invalid value "${raw("horizontal-pod-autoscaler-tolerance")}" for flag --horizontal-pod-autoscaler-tolerance: must be a number ≥ 0`);
  }
  return {
    syncPeriodMs: duration("horizontal-pod-autoscaler-sync-period", true),
    downscaleStabilizationMs: duration("horizontal-pod-autoscaler-downscale-stabilization"),
    tolerance,
    cpuInitializationPeriodMs: duration("horizontal-pod-autoscaler-cpu-initialization-period"),
    initialReadinessDelayMs: duration("horizontal-pod-autoscaler-initial-readiness-delay"),
  };
};
