import { describe, expect, it } from "vitest";
import { rfc3339 } from "@kubeactor/api";
import { conditionsOf, groupPods, limitReplicas, planAutoscaler, type PodMetric, type Recommendation, resourceReplicas, stabilize } from "./hpa-util.ts";
import type { Obj } from "./util.ts";

const T0 = Date.parse("2024-06-01T12:00:00Z");
const MIN = 60_000;

/** A running pod, started and ready well before T0 unless told otherwise. */
const pod = (name: string, o: { request?: string | null; phase?: string; ready?: "True" | "False"; readySince?: number; started?: number } = {}): Obj =>
  ({
    metadata: { name, namespace: "default", uid: name, labels: { app: "web" } },
    spec: { containers: [{ name: "app", resources: o.request === null ? {} : { requests: { cpu: o.request ?? "100m" } } }] },
    status: {
      phase: o.phase ?? "Running",
      startTime: rfc3339(o.started ?? T0 - 60 * MIN),
      conditions: [{ type: "Ready", status: o.ready ?? "True", lastTransitionTime: rfc3339(o.readySince ?? T0 - 59 * MIN) }],
    },
  }) as Obj;
const metric = (milli: number, at = T0): PodMetric => ({ milli, timestamp: at, windowMs: 10_000 });
const podMetrics = (name: string, cpu: string, at = T0): Obj =>
  ({ metadata: { name, namespace: "default", uid: name }, timestamp: rfc3339(at), window: "10s", containers: [{ name: "app", usage: { cpu, memory: "1Mi" } }] }) as Obj;
const hpa = (spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): Obj =>
  ({
    metadata: { name: "web", namespace: "default", uid: "h", generation: 1 },
    spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 1, maxReplicas: 10, targetCPUUtilizationPercentage: 50, ...spec },
    status: { currentReplicas: 0, desiredReplicas: 0, ...status },
  }) as Obj;
const scale = (replicas: number, selector = "app=web"): Obj =>
  ({ metadata: { name: "web", namespace: "default" }, spec: { replicas }, status: { replicas, selector } }) as Obj;

describe("resourceReplicas (replica_calculator.go)", () => {
  it("scales to ceil(ready pods × utilization / target)", () => {
    const pods = [pod("a"), pod("b"), pod("c")];
    const metrics = new Map([["a", metric(250)], ["b", metric(250)], ["c", metric(250)]]);
    expect(resourceReplicas({ currentReplicas: 3, target: 50, pods, metrics, now: T0 })).toEqual({ replicas: 15, utilization: 250, rawAverageMilli: 250 });
    const low = new Map([["a", metric(10)], ["b", metric(20)], ["c", metric(0)]]);
    expect(resourceReplicas({ currentReplicas: 3, target: 50, pods, metrics: low, now: T0 }).replicas).toBe(1);
  });

  it("keeps the current count within the 10% tolerance", () => {
    const pods = [pod("a"), pod("b")];
    const metrics = new Map([["a", metric(54)], ["b", metric(55)]]);
    expect(resourceReplicas({ currentReplicas: 2, target: 50, pods, metrics, now: T0 })).toEqual({ replicas: 2, utilization: 54, rawAverageMilli: 54 });
  });

  it("fails on a container without a cpu request, with kube's message", () => {
    expect(() => resourceReplicas({ currentReplicas: 1, target: 50, pods: [pod("a", { request: null })], metrics: new Map([["a", metric(50)]]), now: T0 })).toThrow(
      "missing request for cpu in container app of Pod a",
    );
  });

  it("fails without metrics, or when every pod is unready", () => {
    expect(() => resourceReplicas({ currentReplicas: 1, target: 50, pods: [pod("a")], metrics: new Map(), now: T0 })).toThrow(
      "unable to get metrics for resource cpu: no metrics returned from resource metrics API",
    );
    expect(() => resourceReplicas({ currentReplicas: 1, target: 50, pods: [pod("a", { phase: "Pending" })], metrics: new Map([["a", metric(50)]]), now: T0 })).toThrow(
      "did not receive metrics for targeted pods (pods might be unready)",
    );
  });

  it("counts pods without metrics as at target on a scale-down and idle on a scale-up", () => {
    const pods = [pod("a"), pod("b"), pod("c"), pod("d")];
    // a, b at 10% → a scale-down; c and d then count as 100% → 55% → ratio 1.1, the other direction: keep 4.
    expect(resourceReplicas({ currentReplicas: 4, target: 50, pods, metrics: new Map([["a", metric(10)], ["b", metric(10)]]), now: T0 }).replicas).toBe(4);
    // a, b at 200% → scale up; c and d count as 0 → (200+200)/4 = 100% → ratio 2 → 8.
    expect(resourceReplicas({ currentReplicas: 4, target: 50, pods, metrics: new Map([["a", metric(200)], ["b", metric(200)]]), now: T0 }).replicas).toBe(8);
  });

  it("counts unready pods as idle on a scale-up", () => {
    const pods = [pod("a"), pod("b", { ready: "False", readySince: T0 - 10_000, started: T0 - 20_000 })];
    const metrics = new Map([["a", metric(200)], ["b", metric(200)]]);
    // Only a counts: 200% → ratio 4, a scale-up; b then counts as idle → 100% → ratio 2 over 2 pods → 4.
    expect(resourceReplicas({ currentReplicas: 2, target: 50, pods, metrics, now: T0 }).replicas).toBe(4);
  });

  it("groups pods like groupPods: deleted/failed ignored, pending unready, fresh samples unready during start-up", () => {
    const pods = [
      pod("ok"),
      { ...pod("gone"), metadata: { ...pod("gone").metadata, deletionTimestamp: rfc3339(T0) } } as Obj,
      pod("failed", { phase: "Failed" }),
      pod("pending", { phase: "Pending" }),
      pod("nometric"),
      // Became ready 5 s ago, sample window 10 s: the sample covers time before it was ready.
      pod("fresh", { started: T0 - 30_000, readySince: T0 - 5_000 }),
    ];
    const metrics = new Map([["ok", metric(1)], ["failed", metric(1)], ["pending", metric(1)], ["fresh", metric(1)]]);
    const g = groupPods(pods, metrics, T0);
    expect(g.readyPodCount).toBe(1);
    expect([...g.ignored].sort()).toEqual(["failed", "gone"]);
    expect([...g.unready].sort()).toEqual(["fresh", "pending"]);
    expect([...g.missing]).toEqual(["nometric"]);
  });
});

describe("stabilization and limits (horizontal.go)", () => {
  it("applies the highest recommendation of the window and replaces a stale sample", () => {
    let history: Recommendation[] = [{ replicas: 5, at: T0 }];
    const early = stabilize(history, 2, T0 + 60_000, 5 * MIN);
    expect(early.replicas).toBe(5);
    history = early.history;
    expect(history).toHaveLength(2);
    const late = stabilize(history, 2, T0 + 5 * MIN + 1, 5 * MIN);
    // The sample at T0 fell out of the window and is replaced; the one at +1 min (2) remains.
    expect(late.replicas).toBe(2);
    expect(late.history).toEqual([{ replicas: 2, at: T0 + 5 * MIN + 1 }, { replicas: 2, at: T0 + 60_000 }]);
  });

  it("limits a scale-up to max(2 × current, 4) and clamps to [min, max]", () => {
    expect(limitReplicas(1, 15, 1, 10)).toEqual({ replicas: 4, reason: "ScaleUpLimit", message: "the desired replica count is increasing faster than the maximum scale rate" });
    expect(limitReplicas(4, 15, 1, 10)).toEqual({ replicas: 8, reason: "ScaleUpLimit", message: "the desired replica count is increasing faster than the maximum scale rate" });
    expect(limitReplicas(4, 15, 1, 5)).toEqual({ replicas: 5, reason: "TooManyReplicas", message: "the desired replica count is more than the maximum replica count" });
    expect(limitReplicas(4, 0, 2, 5)).toEqual({ replicas: 2, reason: "TooFewReplicas", message: "the desired replica count is less than the minimum replica count" });
    expect(limitReplicas(4, 3, 2, 5).reason).toBe("DesiredWithinRange");
  });
});

describe("planAutoscaler on a simulated clock", () => {
  const pods = (n: number) => Array.from({ length: n }, (_, i) => pod(`web-${i}`));
  const usage = (n: number, cpu: string, at: number) => Array.from({ length: n }, (_, i) => podMetrics(`web-${i}`, cpu, at));

  it("scales up (limited per sync), then down only after the stabilization window", () => {
    const window = 2 * MIN;
    const o = hpa({ maxReplicas: 5 });
    // 1 pod at 250% of its request against 50%: wants 5, one sync may go to max(2, 4) = 4.
    let plan = planAutoscaler({ hpa: o, scale: scale(1), pods: pods(1), podMetrics: usage(1, "250m", T0), recommendations: undefined, now: T0, downscaleStabilizationMs: window });
    expect(plan.rescale).toEqual({ replicas: 4, reason: "cpu resource utilization (percentage of request) above target" });
    expect(plan.status).toEqual({ observedGeneration: 1, currentReplicas: 1, desiredReplicas: 4, lastScaleTime: rfc3339(T0), currentCPUUtilizationPercentage: 250 });
    expect(plan.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["AbleToScale", "True", "ReadyForNewScale"],
      ["ScalingActive", "True", "ValidMetricFound"],
      ["ScalingLimited", "True", "ScaleUpLimit"],
    ]);
    let history = plan.recommendations;

    // 15 s later, 4 pods still hot: to the maximum.
    let t = T0 + 15_000;
    plan = planAutoscaler({ hpa: o, scale: scale(4), pods: pods(4), podMetrics: usage(4, "250m", t), recommendations: history, now: t, downscaleStabilizationMs: window });
    expect(plan.rescale?.replicas).toBe(5);
    history = plan.recommendations;

    // Load drops to 10%: the window still holds the earlier high recommendations, so nothing moves.
    t += 15_000;
    plan = planAutoscaler({ hpa: o, scale: scale(5), pods: pods(5), podMetrics: usage(5, "10m", t), recommendations: history, now: t, downscaleStabilizationMs: window });
    expect(plan.rescale).toBeUndefined();
    expect(plan.status.desiredReplicas).toBe(5);
    expect(plan.conditions.find((c) => c.type === "AbleToScale")?.reason).toBe("ScaleDownStabilized");
    history = plan.recommendations;

    // Once every high sample is older than the window, the low recommendation wins.
    t += window + 1;
    plan = planAutoscaler({ hpa: o, scale: scale(5), pods: pods(5), podMetrics: usage(5, "10m", t), recommendations: history, now: t, downscaleStabilizationMs: window });
    expect(plan.rescale).toEqual({ replicas: 1, reason: "All metrics below target" });
  });

  it("reports a missing request as FailedGetResourceMetric and FailedComputeMetricsReplicas and does not scale", () => {
    const plan = planAutoscaler({ hpa: hpa(), scale: scale(1), pods: [pod("web-0", { request: null })], podMetrics: usage(1, "50m", T0), recommendations: undefined, now: T0 });
    expect(plan.rescale).toBeUndefined();
    expect(plan.events).toEqual([
      { type: "Warning", reason: "FailedGetResourceMetric", message: "missing request for cpu in container app of Pod web-0" },
      {
        type: "Warning",
        reason: "FailedComputeMetricsReplicas",
        message: "invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu in container app of Pod web-0",
      },
    ]);
    expect(plan.conditions.find((c) => c.type === "ScalingActive")).toMatchObject({
      status: "False",
      reason: "FailedGetResourceMetric",
      message: "the HPA was unable to compute the replica count: missing request for cpu in container app of Pod web-0",
    });
    expect(plan.status).toEqual({ observedGeneration: 1, currentReplicas: 1, desiredReplicas: 0 });
  });

  it("brings replicas into [min, max] without metrics, and leaves a target scaled to zero alone", () => {
    const up = planAutoscaler({ hpa: hpa({ minReplicas: 3 }), scale: scale(1), pods: [], podMetrics: [], recommendations: undefined, now: T0 });
    expect(up.rescale).toEqual({ replicas: 3, reason: "Current number of replicas below Spec.MinReplicas" });
    const down = planAutoscaler({ hpa: hpa({ maxReplicas: 2 }), scale: scale(4), pods: [], podMetrics: [], recommendations: undefined, now: T0 });
    expect(down.rescale).toEqual({ replicas: 2, reason: "Current number of replicas above Spec.MaxReplicas" });
    const zero = planAutoscaler({ hpa: hpa(), scale: scale(0), pods: [], podMetrics: [], recommendations: undefined, now: T0 });
    expect(zero.rescale).toBeUndefined();
    expect(zero.conditions.find((c) => c.type === "ScalingActive")?.reason).toBe("ScalingDisabled");
  });

  it("reports a target it cannot read as FailedGetScale", () => {
    const plan = planAutoscaler({ hpa: hpa(), scale: new Error(`deployments.apps "web" not found`), pods: [], podMetrics: [], recommendations: undefined, now: T0 });
    expect(plan.events).toEqual([{ type: "Warning", reason: "FailedGetScale", message: `deployments.apps "web" not found` }]);
    expect(plan.error).toBe(`failed to query scale subresource for Deployment/default/web: deployments.apps "web" not found`);
  });

  it("keeps a condition's lastTransitionTime while its status holds", () => {
    const first = planAutoscaler({ hpa: hpa(), scale: scale(2), pods: pods(2), podMetrics: usage(2, "50m", T0), recommendations: undefined, now: T0 });
    const annotated = hpa();
    (annotated.metadata as { annotations?: Record<string, string> }).annotations = { c: JSON.stringify(first.conditions) };
    const later = planAutoscaler({ hpa: annotated, scale: scale(2), pods: pods(2), podMetrics: usage(2, "50m", T0 + MIN), recommendations: first.recommendations, now: T0 + MIN }, conditionsOf(annotated, "c"));
    expect(later.conditions.map((c) => c.lastTransitionTime)).toEqual(first.conditions.map((c) => c.lastTransitionTime));
    expect(later.rescale).toBeUndefined();
  });
});
