import { describe, expect, it } from "vitest";
import { BURST_REPLICAS, claimAction, replicaPlan, replicaSetStatus } from "./replicaset.ts";
import type { Obj } from "./util.ts";

const rs = (replicas: number, o: { deleting?: boolean; minReadySeconds?: number; generation?: number; conditions?: unknown[] } = {}): Obj =>
  ({
    metadata: { name: "web", namespace: "ns", uid: "rs-uid", ...(o.generation ? { generation: o.generation } : {}), ...(o.deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}) },
    spec: { replicas, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web", tier: "front" } } }, ...(o.minReadySeconds ? { minReadySeconds: o.minReadySeconds } : {}) },
    ...(o.conditions ? { status: { conditions: o.conditions } } : {}),
  }) as unknown as Obj;

const owner = (uid: string) => [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "x", uid, controller: true }];
const pod = (name: string, o: { labels?: Record<string, string>; owner?: string; deleting?: boolean; ready?: boolean; readySince?: string; node?: string; phase?: string } = {}): Obj =>
  ({
    metadata: {
      name, namespace: "ns", uid: name, labels: o.labels ?? { app: "web", tier: "front" }, creationTimestamp: "2025-01-01T00:00:00Z",
      ...(o.owner ? { ownerReferences: owner(o.owner) } : {}), ...(o.deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
    },
    spec: o.node ? { nodeName: o.node } : {},
    status: { phase: o.phase ?? (o.ready ? "Running" : "Pending"), conditions: [{ type: "Ready", status: o.ready ? "True" : "False", lastTransitionTime: o.readySince ?? "2025-01-01T00:00:00Z" }] },
  }) as unknown as Obj;

describe("claimAction (desired: the selector; observed: the pod's labels and controller)", () => {
  const cases: [string, Obj, Obj, ReturnType<typeof claimAction>][] = [
    ["ours and matching", rs(1), pod("p", { owner: "rs-uid" }), "own"],
    ["ours, labels changed", rs(1), pod("p", { owner: "rs-uid", labels: { app: "api" } }), "release"],
    ["ours, labels changed, RS deleting", rs(1, { deleting: true }), pod("p", { owner: "rs-uid", labels: { app: "api" } }), "ignore"],
    ["ours and matching, RS deleting", rs(1, { deleting: true }), pod("p", { owner: "rs-uid" }), "own"],
    ["orphan matching", rs(1), pod("p"), "adopt"],
    ["orphan matching, RS deleting", rs(1, { deleting: true }), pod("p"), "ignore"],
    ["orphan matching, pod deleting", rs(1), pod("p", { deleting: true }), "ignore"],
    ["orphan not matching", rs(1), pod("p", { labels: { app: "api" } }), "ignore"],
    ["another controller's, matching", rs(1), pod("p", { owner: "other" }), "ignore"],
  ];
  it.each(cases)("%s", (_, set, p, want) => expect(claimAction(set, p)).toBe(want));
});

describe("replicaPlan (desired: spec.replicas; observed: owned active pods)", () => {
  const pods = (n: number) => Array.from({ length: n }, (_, i) => pod(`p${i}`, { owner: "rs-uid", node: `n${i}`, ready: true }));
  const cases: [string, number, Obj[], { create: number; delete: string[] }][] = [
    ["nothing to do", 3, pods(3), { create: 0, delete: [] }],
    ["too few", 5, pods(2), { create: 3, delete: [] }],
    ["none yet", 3, [], { create: 3, delete: [] }],
    ["scale to zero", 0, pods(2), { create: 0, delete: ["p0", "p1"] }],
    [
      "too many: unscheduled, then pending, then not ready go first",
      1,
      [pod("ready", { owner: "rs-uid", node: "a", ready: true }), pod("unscheduled", { owner: "rs-uid" }), pod("pending", { owner: "rs-uid", node: "b" }), pod("notready", { owner: "rs-uid", node: "c", phase: "Running" })],
      { create: 0, delete: ["unscheduled", "pending", "notready"] },
    ],
    ["a burst is capped", BURST_REPLICAS + 20, [], { create: BURST_REPLICAS, delete: [] }],
  ];
  it.each(cases)("%s", (_, replicas, observed, want) => {
    const plan = replicaPlan(rs(replicas), observed);
    expect({ create: plan.create, delete: plan.delete.map((p) => p.metadata.name) }).toEqual(want);
  });
  it("deletes at most a burst at once", () => expect(replicaPlan(rs(0), pods(BURST_REPLICAS + 5)).delete).toHaveLength(BURST_REPLICAS));
});

describe("replicaSetStatus (observed pods → status)", () => {
  const at = Date.parse("2025-01-01T00:01:00Z");
  const cases: [string, Obj, Obj[], unknown, Record<string, unknown>][] = [
    ["no pods: only replicas", rs(2), [], undefined, { replicas: 0 }],
    ["ready pods count as available without minReadySeconds", rs(2, { generation: 3 }), [pod("a", { ready: true }), pod("b")], undefined,
      { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 3 }],
    ["minReadySeconds: ready for 60 s is available, for 10 s is not", rs(2, { minReadySeconds: 30 }),
      [pod("a", { ready: true, readySince: "2025-01-01T00:00:00Z" }), pod("b", { ready: true, readySince: "2025-01-01T00:00:50Z" })], undefined,
      { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1 }],
    ["pods missing template labels are not fully labeled", rs(1), [pod("a", { labels: { app: "web" } })], undefined, { replicas: 1 }],
  ];
  it.each(cases)("%s", (_, set, pods, failure, want) => expect(replicaSetStatus(set, pods, failure, at)).toEqual(want));

  it("a failed create adds ReplicaFailure=FailedCreate; success removes it", () => {
    const failed = replicaSetStatus(rs(2), [pod("a")], new Error('pods "x" is forbidden: exceeded quota'), at);
    expect(failed.conditions).toEqual([expect.objectContaining({ type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: 'pods "x" is forbidden: exceeded quota' })]);
    const failedDelete = replicaSetStatus(rs(0), [pod("a")], new Error("boom"), at);
    expect(failedDelete.conditions?.[0]).toMatchObject({ reason: "FailedDelete" });
    expect(replicaSetStatus(rs(2, { conditions: failed.conditions }), [pod("a"), pod("b")], undefined, at).conditions).toBeUndefined();
    // An existing failure condition is kept as it is (its lastTransitionTime does not move).
    expect(replicaSetStatus(rs(2, { conditions: failed.conditions }), [pod("a")], new Error("again"), at).conditions).toEqual(failed.conditions);
  });
});

describe("the same machine for a ReplicationController (selector: a plain label map)", () => {
  const rc = (replicas: number, selector: Record<string, string> | null = { app: "web" }): Obj =>
    ({
      apiVersion: "v1",
      kind: "ReplicationController",
      metadata: { name: "web", namespace: "ns", uid: "rs-uid", generation: 2 },
      spec: { replicas, ...(selector ? { selector } : {}), template: { metadata: { labels: { app: "web", tier: "front" } } } },
    }) as unknown as Obj;
  const cases: [string, Obj, Obj, ReturnType<typeof claimAction>][] = [
    ["ours and matching the map", rc(1), pod("p", { owner: "rs-uid" }), "own"],
    ["ours, a map value changed", rc(1), pod("p", { owner: "rs-uid", labels: { app: "api", tier: "front" } }), "release"],
    ["orphan carrying every pair (and more)", rc(1, { app: "web" }), pod("p", { labels: { app: "web", tier: "front", x: "y" } }), "adopt"],
    ["orphan missing a pair", rc(1, { app: "web", tier: "back" }), pod("p"), "ignore"],
    ["no selector selects nothing", rc(1, null), pod("p"), "ignore"],
  ];
  it.each(cases)("claimAction: %s", (_, owner, p, want) => expect(claimAction(owner, p)).toBe(want));

  it("plans creates and deletes and reports the RC's status fields", () => {
    expect(replicaPlan(rc(3), [pod("a", { owner: "rs-uid" })]).create).toBe(2);
    expect(replicaPlan(rc(0), [pod("a", { owner: "rs-uid" })]).delete.map((p) => p.metadata.name)).toEqual(["a"]);
    const at = Date.parse("2025-01-01T00:01:00Z");
    expect(replicaSetStatus(rc(2), [pod("a", { ready: true }), pod("b", { labels: { app: "web" } })], undefined, at)).toEqual({
      replicas: 2, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2,
    });
  });
});
