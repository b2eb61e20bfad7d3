import { describe, expect, it } from "vitest";
import { isStatusError } from "@kubeactor/api";
import { budgetsFor, canIgnorePDB, spendDisruption } from "./eviction.ts";

const pdb = (status: Record<string, unknown>, generation = 1) => ({
  metadata: { name: "web", namespace: "default", generation },
  spec: { selector: { matchLabels: { app: "web" } } },
  status: { observedGeneration: 1, currentHealthy: 3, desiredHealthy: 2, ...status },
});
const statusOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (isStatusError(e)) return e.status;
    throw e;
  }
  throw new Error("no error");
};
const NOW = new Date("2026-01-01T12:00:00Z");

describe("eviction decisions", () => {
  it.each([
    { phase: "Pending", deleting: false, ignore: true },
    { phase: "Succeeded", deleting: false, ignore: true },
    { phase: "Failed", deleting: false, ignore: true },
    { phase: "Running", deleting: true, ignore: true },
    { phase: "Running", deleting: false, ignore: false },
    { phase: "Unknown", deleting: false, ignore: false },
  ])("canIgnorePDB: $phase, terminating $deleting → $ignore", ({ phase, deleting, ignore }) => {
    expect(canIgnorePDB({ metadata: deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}, status: { phase } })).toBe(ignore);
  });

  it("finds the budgets selecting a pod; empty or broken selectors select nothing", () => {
    const pod = { metadata: { name: "p", labels: { app: "web" } } };
    const named = (name: string, selector: unknown) => ({ metadata: { name }, spec: { selector } });
    const found = budgetsFor(pod, [
      named("match", { matchLabels: { app: "web" } }),
      named("other", { matchLabels: { app: "db" } }),
      named("empty", {}),
      named("none", undefined),
      named("broken", { matchExpressions: [{ key: "app", operator: "Like" }] }),
    ]);
    expect(found.map((b) => (b.metadata as { name: string }).name)).toEqual(["match"]);
  });

  it("spends one disruption and records the pod; the last one flips the condition", () => {
    const two = spendDisruption(pdb({ disruptionsAllowed: 2 }), "p1", NOW).status as Record<string, unknown>;
    expect(two).toMatchObject({ disruptionsAllowed: 1, disruptedPods: { p1: "2026-01-01T12:00:00Z" } });
    expect(two.conditions).toBeUndefined();
    const last = spendDisruption(pdb({ disruptionsAllowed: 1, disruptedPods: { p1: "2026-01-01T11:59:00Z" } }), "p2", NOW).status as Record<string, unknown>;
    expect(last).toMatchObject({ disruptionsAllowed: 0, disruptedPods: { p1: "2026-01-01T11:59:00Z", p2: "2026-01-01T12:00:00Z" } });
    expect(last.conditions).toEqual([
      { type: "DisruptionAllowed", status: "False", reason: "InsufficientPods", message: "", observedGeneration: 1, lastTransitionTime: "2026-01-01T12:00:00Z" },
    ]);
  });

  it.each([
    { name: "nothing allowed", status: { disruptionsAllowed: 0 }, generation: 1, code: 429, cause: "The disruption budget web needs 2 healthy pods and has 3 currently" },
    { name: "a generation the controller has not seen", status: { disruptionsAllowed: 3 }, generation: 2, code: 429, cause: "The disruption budget web is still being processed by the server." },
    { name: "a negative count", status: { disruptionsAllowed: -1 }, generation: 1, code: 403, message: 'poddisruptionbudgets.policy "web" is forbidden: pdb disruptions allowed is negative' },
  ])("refuses: $name", ({ status, generation, code, cause, message }) => {
    const s = statusOf(() => spendDisruption(pdb(status, generation), "p", NOW));
    expect(s.code).toBe(code);
    if (cause) expect(s.details?.causes).toEqual([{ reason: "DisruptionBudget", message: cause }]);
    if (message) expect(s.message).toBe(message);
  });
});
