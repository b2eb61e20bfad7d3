/** The Deployment controller's rollout steps as functions of (desired Deployment, observed ReplicaSets). */
import { describe, expect, it } from "vitest";
import { newRSNewReplicas, oldReplicaSetsScaleDown, scalePlan } from "./deployment-util.ts";
import type { Obj } from "./util.ts";

const deploy = (replicas: number, ru: Record<string, unknown> = { maxSurge: "25%", maxUnavailable: "25%" }, type = "RollingUpdate"): Obj =>
  ({ metadata: { name: "web", uid: "d" }, spec: { replicas, strategy: { type, ...(type === "RollingUpdate" ? { rollingUpdate: ru } : {}) } }, status: { replicas } }) as unknown as Obj;
/** A ReplicaSet: `name:spec/available`, created at minute `age` (older = smaller), with the annotations a rollout leaves. */
const rs = (name: string, replicas: number, available: number, age: number, ann: { desired?: number; max?: number } = {}): Obj =>
  ({
    metadata: {
      name, uid: name, creationTimestamp: `2025-01-01T00:${String(age).padStart(2, "0")}:00Z`,
      annotations: {
        ...(ann.desired !== undefined ? { "deployment.kubernetes.io/desired-replicas": String(ann.desired) } : {}),
        ...(ann.max !== undefined ? { "deployment.kubernetes.io/max-replicas": String(ann.max) } : {}),
      },
    },
    spec: { replicas },
    status: { replicas, availableReplicas: available },
  }) as unknown as Obj;
const show = (steps: { rs: Obj; size: number; operation?: string }[]) => steps.map((s) => `${s.rs.metadata.name}→${s.size}${s.operation ? ` (${s.operation})` : ""}`);

describe("newRSNewReplicas: how far the new ReplicaSet may grow", () => {
  const cases: [string, Obj, Obj[], number, number][] = [
    // [case, deployment, old RSes, new RS size now, expected new size]
    ["first step of 10 with 25% surge: 3 more pods allowed", deploy(10), [rs("old", 10, 10, 1)], 0, 3],
    ["surge used up: stays", deploy(10), [rs("old", 10, 10, 1)], 3, 3],
    ["old shrunk by 2: grows by 2", deploy(10), [rs("old", 8, 8, 1)], 3, 5],
    ["never beyond replicas", deploy(10), [rs("old", 0, 0, 1)], 9, 10],
    ["maxSurge 0: waits for the old to shrink", deploy(4, { maxSurge: 0, maxUnavailable: 1 }), [rs("old", 3, 3, 1)], 0, 1],
    ["Recreate: straight to replicas", deploy(4, {}, "Recreate"), [rs("old", 0, 0, 1)], 0, 4],
  ];
  it.each(cases)("%s", (_, d, old, now, want) => {
    const fresh = rs("new", now, 0, 9);
    expect(newRSNewReplicas(d, [...old, fresh], fresh)).toBe(want);
  });
});

describe("oldReplicaSetsScaleDown: which old pods may go", () => {
  const cases: [string, Obj, Obj, Obj[], string[]][] = [
    ["new pods not ready yet: the old shrink by maxUnavailable", deploy(10), rs("new", 3, 0, 9), [rs("old", 10, 10, 1)], ["old→8"]],
    ["maxUnavailable 0 and the new pods not ready: none", deploy(3, { maxSurge: 1, maxUnavailable: 0 }), rs("new", 1, 0, 9), [rs("old", 3, 3, 1)], []],
    ["maxUnavailable 0, one new pod ready: one old goes", deploy(3, { maxSurge: 1, maxUnavailable: 0 }), rs("new", 1, 1, 9), [rs("old", 3, 3, 1)], ["old→2"]],
    // 13 pods, at least 8 available, 3 new ones not yet: maxScaledDown = 13 - 8 - 3 = 2 of the 4 unhealthy old pods.
    ["unhealthy old pods go first, as far as maxScaledDown allows", deploy(10), rs("new", 3, 0, 9), [rs("old", 10, 6, 1)], ["old→8"]],
    ["oldest ReplicaSet first", deploy(10), rs("new", 3, 3, 9), [rs("older", 5, 5, 1), rs("old", 5, 5, 2)], ["older→0"]],
    ["old ones at zero: nothing", deploy(10), rs("new", 10, 10, 9), [rs("old", 0, 0, 1)], []],
  ];
  it.each(cases)("%s", (_, d, fresh, old, want) => expect(show(oldReplicaSetsScaleDown(d, fresh, old))).toEqual(want));

  it("both halves in one reconcile: unhealthy first, then available down to the minimum", () => {
    // 10 replicas, maxUnavailable 2 → at least 8 available; maxSurge 3 → at most 13 pods.
    // old 8 (6 available) + new 5 (5 available) = 11 available; maxScaledDown = 13 - 8 - 0 = 5.
    const steps = oldReplicaSetsScaleDown(deploy(10), rs("new", 5, 5, 9), [rs("old", 8, 6, 1)]);
    // 2 unhealthy go; then 11 - 8 = 3 available ones.
    expect(show(steps)).toEqual(["old→6", "old→3"]);
  });
});

describe("scalePlan: replicas changed during a rollout (proportional scaling)", () => {
  const cases: [string, Obj, Obj | undefined, Obj[], string[]][] = [
    ["one active ReplicaSet takes the new size", deploy(5), rs("new", 3, 3, 9), [rs("old", 0, 0, 1)], ["new→5"]],
    ["no active ReplicaSet: the newest takes it", deploy(2), undefined, [rs("a", 0, 0, 1), rs("b", 0, 0, 2)], ["b→2"]],
    ["a saturated new ReplicaSet lets the old ones go", deploy(4), rs("new", 4, 4, 9, { desired: 4 }), [rs("old", 2, 2, 1)], ["old→0"]],
    [
      // Upstream's example: 10 → 15 replicas mid-rollout with maxSurge 3 (13 allowed before, 18 now): 5 more pods shared 8:5.
      "scale up 10 → 15: shared by size, biggest first",
      deploy(15, { maxSurge: 3, maxUnavailable: 2 }),
      rs("new", 5, 5, 9, { desired: 10, max: 13 }),
      [rs("old", 8, 8, 1, { desired: 10, max: 13 })],
      ["old→11 (up)", "new→7 (up)"],
    ],
    [
      "scale down 10 → 5: shared by size, leftover to the biggest",
      deploy(5, { maxSurge: 3, maxUnavailable: 2 }),
      rs("new", 5, 5, 9, { desired: 10, max: 13 }),
      [rs("old", 8, 8, 1, { desired: 10, max: 13 })],
      ["old→5 (down)", "new→3 (down)"],
    ],
    ["equal sizes scaling up: the newer grows first", deploy(6, { maxSurge: 1, maxUnavailable: 0 }), rs("new", 2, 2, 9, { desired: 3, max: 4 }), [rs("old", 2, 2, 1, { desired: 3, max: 4 })], ["new→4 (up)", "old→3 (up)"]],
    ["nothing to add: annotations only (sizes unchanged), oldest first", deploy(3, { maxSurge: 1, maxUnavailable: 0 }), rs("new", 2, 2, 9), [rs("old", 2, 2, 1)], ["old→2", "new→2"]],
    ["Recreate never scales proportionally", deploy(6, {}, "Recreate"), rs("new", 2, 0, 9), [rs("old", 2, 2, 1)], []],
  ];
  it.each(cases)("%s", (_, d, fresh, old, want) => expect(show(scalePlan(d, fresh, old))).toEqual(want));
});
