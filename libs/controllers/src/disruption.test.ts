import { describe, expect, it } from "vitest";
import {
  countHealthy, DELETION_TIMEOUT_MS, decideBudget, expectedPodCount, failSafeStatus, pendingDisruptions, type ScaleFinder, selectsPod,
  STALE_POD_DISRUPTION_MS, staleDisruptionWait,
} from "./disruption-util.ts";
import type { Obj } from "./util.ts";

const NOW = Date.parse("2026-01-01T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const ready = { phase: "Running", conditions: [{ type: "Ready", status: "True" }] };
const unready = { phase: "Running", conditions: [{ type: "Ready", status: "False" }] };
const pod = (name: string, opts: { ready?: boolean; owner?: string; deleting?: boolean; labels?: Record<string, string> } = {}): Obj => ({
  metadata: {
    name,
    uid: `uid-pod-${name}`,
    namespace: "default",
    labels: opts.labels ?? { app: "web" },
    ...(opts.owner ? { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: opts.owner, uid: `uid-${opts.owner}`, controller: true }] } : {}),
    ...(opts.deleting ? { deletionTimestamp: iso(NOW) } : {}),
  },
  status: opts.ready === false ? unready : ready,
});
const pdb = (spec: Record<string, unknown>, status?: object, generation = 1): Obj => ({
  metadata: { name: "budget", namespace: "default", uid: "pdb-uid", generation },
  spec: { selector: { matchLabels: { app: "web" } }, ...spec },
  ...(status ? { status } : {}),
});
/** Every ReplicaSet has the scale given. */
const scales = (byOwner: Record<string, number>): ScaleFinder => (p) => {
  const ref = (p.metadata.ownerReferences ?? [])[0];
  return ref && byOwner[ref.name] !== undefined ? { uid: ref.uid, scale: byOwner[ref.name]! } : undefined;
};

describe("selectsPod", () => {
  it("follows policy/v1: no selector selects nothing, an empty one everything, other namespaces never", () => {
    expect(selectsPod({ metadata: { name: "x", uid: "u", namespace: "default" }, spec: {} }, pod("a"))).toBe(false);
    expect(selectsPod({ metadata: { name: "x", uid: "u", namespace: "default" }, spec: { selector: {} } }, pod("a"))).toBe(true);
    expect(selectsPod({ metadata: { name: "x", uid: "u", namespace: "other" }, spec: { selector: {} } }, pod("a"))).toBe(false);
    expect(selectsPod(pdb({}), pod("a", { labels: { app: "db" } }))).toBe(false);
  });
});

describe("expectedPodCount", () => {
  const pods = [pod("a", { owner: "rs" }), pod("b", { owner: "rs" }), pod("c", { owner: "rs", ready: false })];
  it.each([
    { name: "minAvailable int counts the pods", spec: { minAvailable: 2 }, expected: 3, desired: 2 },
    { name: "minAvailable percent against the owner's scale, rounded up", spec: { minAvailable: "50%" }, expected: 5, desired: 3 },
    { name: "maxUnavailable int", spec: { maxUnavailable: 1 }, expected: 5, desired: 4 },
    { name: "maxUnavailable percent, rounded up", spec: { maxUnavailable: "30%" }, expected: 5, desired: 3 },
    { name: "maxUnavailable above the scale floors at 0", spec: { maxUnavailable: 9 }, expected: 5, desired: 0 },
    { name: "neither set", spec: {}, expected: 0, desired: 0 },
  ])("$name", ({ spec, expected, desired }) => {
    expect(expectedPodCount(pdb(spec), pods, scales({ rs: 5 }))).toMatchObject({ expected, desired });
  });
  it("sums each owner once; unmanaged pods are reported and not counted", () => {
    const mixed = [pod("a", { owner: "one" }), pod("b", { owner: "one" }), pod("c", { owner: "two" }), pod("d")];
    expect(expectedPodCount(pdb({ maxUnavailable: 1 }), mixed, scales({ one: 4, two: 3 }))).toEqual({ expected: 7, desired: 6, unmanaged: ["d"] });
  });
  it("fails when an owner is not found (the controller then fails safe)", () => {
    expect(() => expectedPodCount(pdb({ minAvailable: "50%" }), [pod("a", { owner: "gone" })], scales({}))).toThrow('found no controllers for pod "a"');
  });
  it("rounds percentages up", () => {
    expect(expectedPodCount(pdb({ minAvailable: "10%" }), [pod("a", { owner: "rs" })], scales({ rs: 15 })).desired).toBe(2);
  });
});

describe("disrupted pods", () => {
  it("keeps fresh entries of live pods, drops deleted, terminating and expired ones", () => {
    const fresh = iso(NOW - 30_000);
    const old = iso(NOW - DELETION_TIMEOUT_MS - 1000);
    const budget = pdb({ minAvailable: 1 }, { disruptedPods: { a: fresh, b: old, c: fresh, gone: fresh } });
    const pods = [pod("a"), pod("b"), pod("c", { deleting: true })];
    expect(pendingDisruptions(budget, pods, NOW)).toEqual({ disrupted: { a: fresh }, expired: ["b"], recheckAt: Date.parse(fresh) + DELETION_TIMEOUT_MS });
    // a pod awaiting deletion after an eviction is not healthy; terminating ones never are
    expect(countHealthy(pods, { a: fresh }, NOW)).toBe(1);
  });
});

describe("decideBudget", () => {
  const three = [pod("a"), pod("b"), pod("c", { ready: false })];
  it("writes counts, observedGeneration and SufficientPods", () => {
    const d = decideBudget(pdb({ minAvailable: 1 }, undefined, 2), three, scales({}), NOW);
    expect(d.status).toEqual({
      observedGeneration: 2,
      disruptionsAllowed: 1,
      currentHealthy: 2,
      desiredHealthy: 1,
      expectedPods: 3,
      conditions: [{ type: "DisruptionAllowed", status: "True", reason: "SufficientPods", message: "", observedGeneration: 2, lastTransitionTime: iso(NOW) }],
    });
  });
  it("allows nothing below the budget (InsufficientPods) and nothing while no pod is expected", () => {
    expect(decideBudget(pdb({ minAvailable: 3 }), three, scales({}), NOW).status).toMatchObject({
      disruptionsAllowed: 0,
      conditions: [{ status: "False", reason: "InsufficientPods" }],
    });
    const empty = decideBudget(pdb({ maxUnavailable: 1 }), [], scales({}), NOW);
    expect(empty.noPods).toBe(true);
    expect(empty.status).toMatchObject({ expectedPods: 0, disruptionsAllowed: 0 });
  });
  it("writes nothing when the stored status is current, and keeps the transition time when the condition stays", () => {
    const first = decideBudget(pdb({ minAvailable: 1 }), three, scales({}), NOW).status!;
    expect(decideBudget(pdb({ minAvailable: 1 }, first), three, scales({}), NOW + 5000).status).toBeUndefined();
    const later = decideBudget(pdb({ minAvailable: 0 }, first), three, scales({}), NOW + 5000).status!;
    expect(later.disruptionsAllowed).toBe(2);
    expect(later.conditions![0]!.lastTransitionTime).toBe(iso(NOW));
  });
  it("counts an evicted pod out until it is deleted or two minutes pass, and asks to look again then", () => {
    const at = iso(NOW - 10_000);
    const d = decideBudget(pdb({ minAvailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 3, disruptedPods: { a: at } }), three, scales({}), NOW);
    expect(d.status).toMatchObject({ currentHealthy: 1, disruptionsAllowed: 0, disruptedPods: { a: at } });
    expect(d.recheckAt).toBe(Date.parse(at) + DELETION_TIMEOUT_MS);
    const after = decideBudget(pdb({ minAvailable: 1 }, d.status as never), three, scales({}), Date.parse(at) + DELETION_TIMEOUT_MS + 1);
    expect(after.status).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 1 });
    expect(after.status!.disruptedPods).toBeUndefined();
    expect(after.expired).toEqual(["a"]);
  });
  it("fails safe with SyncFailed", () => {
    const s = failSafeStatus(pdb({ minAvailable: "50%" }, { disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1, expectedPods: 3, observedGeneration: 1 }), "boom", NOW);
    expect(s).toMatchObject({ disruptionsAllowed: 0, currentHealthy: 3, conditions: [{ type: "DisruptionAllowed", status: "False", reason: "SyncFailed", message: "boom" }] });
  });
});

describe("stale DisruptionTarget conditions", () => {
  const withCondition = (cond: Record<string, unknown> | undefined, extra: { phase?: string; deleting?: boolean } = {}): Obj => ({
    metadata: { name: "p", uid: "u", namespace: "default", ...(extra.deleting ? { deletionTimestamp: iso(NOW) } : {}) },
    status: { phase: extra.phase ?? "Running", conditions: cond ? [cond] : [] },
  });
  const target = (ago: number, reason = "EvictionByEvictionAPI", status = "True") => ({ type: "DisruptionTarget", status, reason, lastTransitionTime: iso(NOW - ago) });
  it.each([
    { name: "no condition", pod: withCondition(undefined), wait: undefined },
    { name: "already False", pod: withCondition(target(0, "EvictionByEvictionAPI", "False")), wait: undefined },
    { name: "set by the kubelet", pod: withCondition(target(10 * 60_000, "TerminationByKubelet")), wait: undefined },
    { name: "terminal pod", pod: withCondition(target(10 * 60_000), { phase: "Failed" }), wait: undefined },
    { name: "being deleted", pod: withCondition(target(10 * 60_000), { deleting: true }), wait: undefined },
    { name: "fresh: wait for the rest of the two minutes", pod: withCondition(target(30_000)), wait: STALE_POD_DISRUPTION_MS - 30_000 },
    { name: "stale: reset now", pod: withCondition(target(3 * 60_000, "PreemptionByScheduler")), wait: 0 },
  ])("$name", ({ pod, wait }) => {
    expect(staleDisruptionWait(pod, NOW)).toBe(wait);
  });
});
