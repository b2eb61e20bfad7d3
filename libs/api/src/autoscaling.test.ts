import { describe, expect, it } from "vitest";
import { applyDefaults } from "./defaults.ts";
import { findResource, resolveResourceName } from "./registry.ts";
import { validateObject } from "./validation.ts";

const HPA = findResource("autoscaling", "v1", "horizontalpodautoscalers")!;
const hpa = (spec: Record<string, unknown>, status?: Record<string, unknown>) => ({
  apiVersion: "autoscaling/v1",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "web", namespace: "default" },
  spec,
  ...(status ? { status } : {}),
});
const ref = { apiVersion: "apps/v1", kind: "Deployment", name: "web" };
const messages = (o: Record<string, unknown>) => validateObject(HPA, o).map((c) => `${c.field}: ${c.message}`);

describe("autoscaling/v1 HorizontalPodAutoscaler", () => {
  it("is served as hpa, in category all, with a status subresource", () => {
    expect(resolveResourceName("hpa")).toEqual([HPA]);
    expect(HPA.categories).toEqual(["all"]);
    expect(HPA.subresources.map((s) => s.name)).toEqual(["status"]);
  });

  it("defaults minReplicas to 1 and the status counters to 0", () => {
    const o = applyDefaults(HPA, hpa({ scaleTargetRef: ref, maxReplicas: 3 })) as any;
    expect(o.spec.minReplicas).toBe(1);
    expect(o.status).toEqual({ currentReplicas: 0, desiredReplicas: 0 });
  });

  it("accepts a valid autoscaler", () => {
    expect(messages(hpa({ scaleTargetRef: ref, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 }))).toEqual([]);
  });

  it("rejects bad bounds, a missing target and a non-positive CPU target with kube's messages", () => {
    expect(messages(hpa({ scaleTargetRef: ref, minReplicas: 7, maxReplicas: 5 }))).toEqual([
      "spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`",
    ]);
    expect(messages(hpa({ scaleTargetRef: ref, minReplicas: 0, maxReplicas: 0 }))).toEqual([
      "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
      "spec.maxReplicas: Invalid value: 0: must be greater than 0",
    ]);
    expect(messages(hpa({ scaleTargetRef: {}, maxReplicas: 1 }))).toEqual(["spec.scaleTargetRef.kind: Required value", "spec.scaleTargetRef.name: Required value"]);
    expect(messages(hpa({ scaleTargetRef: { kind: "Deployment", name: "a/b" }, maxReplicas: 1 }))).toEqual([
      `spec.scaleTargetRef.name: Invalid value: "a/b": may not contain '/'`,
    ]);
    expect(messages(hpa({ scaleTargetRef: ref, maxReplicas: 1, targetCPUUtilizationPercentage: 0 }))).toEqual([
      "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
    ]);
    expect(messages(hpa({ scaleTargetRef: ref, maxReplicas: 1 }, { currentReplicas: -1, desiredReplicas: 0 }))).toEqual([
      "status.currentReplicas: Invalid value: -1: must be greater than or equal to 0",
    ]);
  });
});
