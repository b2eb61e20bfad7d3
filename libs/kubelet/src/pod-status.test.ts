import { describe, expect, it } from "vitest";
import { sameStatus } from "./pod-status.ts";

describe("sameStatus", () => {
  const status = {
    phase: "Running",
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2024-01-01T00:00:00Z" }],
    containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: { startedAt: "2024-01-01T00:00:00Z" } } }],
  };

  it("ignores key order, as the store may reorder keys", () => {
    const reordered = {
      containerStatuses: [{ state: { running: { startedAt: "2024-01-01T00:00:00Z" } }, restartCount: 0, ready: true, name: "app" }],
      conditions: [{ lastTransitionTime: "2024-01-01T00:00:00Z", status: "True", type: "Ready" }],
      phase: "Running",
    };
    expect(sameStatus(status, reordered)).toBe(true);
  });

  it("treats a key holding undefined as absent (as JSON does)", () => {
    expect(sameStatus({ ...status, podIP: undefined }, status)).toBe(true);
    expect(sameStatus(status, { ...status, podIP: undefined })).toBe(true);
  });

  it("sees any difference: a value, an extra key, a longer list, list order, a type", () => {
    expect(sameStatus(status, { ...status, phase: "Pending" })).toBe(false);
    expect(sameStatus(status, { ...status, podIP: "10.0.0.1" })).toBe(false);
    expect(sameStatus({ ...status, podIP: "10.0.0.1" }, status)).toBe(false);
    expect(sameStatus(status, { ...status, conditions: [...status.conditions, { type: "Initialized", status: "True" }] })).toBe(false);
    const two = [{ type: "A" }, { type: "B" }];
    expect(sameStatus({ c: two }, { c: [...two].reverse() })).toBe(false);
    expect(sameStatus({ n: 1 }, { n: "1" })).toBe(false);
    expect(sameStatus({ a: [] }, { a: {} })).toBe(false);
    expect(sameStatus(status, undefined)).toBe(false);
    expect(sameStatus(undefined, undefined)).toBe(true);
  });
});
