import { describe, expect, it } from "vitest";
import { applyDefaults } from "./defaults.ts";
import { findResource, resolveResourceName } from "./registry.ts";
import { validateObject, validateUpdate } from "./validation.ts";

const pdbInfo = findResource("policy", "v1", "poddisruptionbudgets")!;
const pdb = (spec: Record<string, unknown>, status?: Record<string, unknown>) =>
  applyDefaults(pdbInfo, { metadata: { name: "web", namespace: "default" }, spec, ...(status ? { status } : {}) });

describe("policy/v1 PodDisruptionBudget", () => {
  it("is registered as kubectl names it", () => {
    expect(resolveResourceName("pdb")).toEqual([pdbInfo]);
    expect(resolveResourceName("poddisruptionbudgets.policy")).toEqual([pdbInfo]);
    expect(pdbInfo).toMatchObject({ kind: "PodDisruptionBudget", namespaced: true, hasGeneration: true });
    expect(pdbInfo.subresources.map((s) => s.name)).toEqual(["status"]);
  });

  it("defaults the status counters to zero, as Go prints them", () => {
    expect(pdb({ minAvailable: 1 }).status).toEqual({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
    expect(pdb({}, { disruptionsAllowed: 2 }).status).toMatchObject({ disruptionsAllowed: 2, expectedPods: 0 });
  });

  it("accepts ints and percents", () => {
    expect(validateObject(pdbInfo, pdb({ minAvailable: 2, selector: { matchLabels: { app: "x" } } }))).toEqual([]);
    expect(validateObject(pdbInfo, pdb({ maxUnavailable: "25%", selector: {} }))).toEqual([]);
    expect(validateObject(pdbInfo, pdb({ minAvailable: "100%" }))).toEqual([]);
  });

  it("rejects both minAvailable and maxUnavailable", () => {
    const causes = validateObject(pdbInfo, pdb({ minAvailable: 1, maxUnavailable: 1 }));
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({ reason: "FieldValueInvalid", field: "spec" });
    expect(causes[0]!.message).toMatch(/: minAvailable and maxUnavailable cannot be both set$/);
  });

  it("rejects negative, malformed and over-100% values", () => {
    const msg = (spec: Record<string, unknown>) => validateObject(pdbInfo, pdb(spec)).map((c) => `${c.field}: ${c.message}`);
    expect(msg({ minAvailable: -1 })).toEqual(["spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"]);
    expect(msg({ maxUnavailable: "101%" })).toEqual(['spec.maxUnavailable: Invalid value: "101%": must not be greater than 100%']);
    expect(msg({ minAvailable: "half" })[0]).toMatch(/^spec.minAvailable: Invalid value: "half": a valid percent string must be a numeric string followed by an ending '%'/);
    expect(msg({ unhealthyPodEvictionPolicy: "Sometimes" })).toEqual([
      'spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
    ]);
    expect(msg({ selector: { matchExpressions: [{ key: "app", operator: "Like" }] } })[0]).toMatch(/^spec.selector: Invalid value/);
  });

  it("lets the spec change on update (policy/v1) but keeps counters non-negative", () => {
    const old = pdb({ minAvailable: 1 });
    expect(validateUpdate(pdbInfo, pdb({ minAvailable: 3 }), old)).toEqual([]);
    expect(validateUpdate(pdbInfo, pdb({ minAvailable: 3 }, { disruptionsAllowed: -1 }), old).map((c) => c.field)).toEqual(["status.disruptionsAllowed"]);
  });
});
