import { describe, expect, it } from "vitest";
import { revisionData, revisionMatches, revisionsToDelete } from "./controller-history.ts";
import {
  daemonPodFor, daemonSetStatusCounts, nodeShouldRunDaemonPod, pinToNode, planNode, planRollingUpdate, surgeAndUnavailable, targetNodeName, withDaemonTolerations,
} from "./daemonset-util.ts";
import type { Obj } from "./util.ts";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(".000Z", "Z");

const ds = (spec: Record<string, unknown> = {}, generation = "1"): Obj =>
  ({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "agent", namespace: "default", uid: "ds-uid", generation: 1, annotations: { "deprecated.daemonset.template.generation": generation } },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "c", image: "busybox" }] } },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      ...spec,
    },
  }) as Obj;

const node = (name: string, opts: { labels?: Record<string, string>; taints?: { key: string; value?: string; effect: string }[] } = {}): Obj =>
  ({ metadata: { name, uid: name, labels: { "kubernetes.io/hostname": name, ...(opts.labels ?? {}) } }, spec: { taints: opts.taints ?? [] } }) as Obj;

let n = 0;
const pod = (nodeName: string, hash: string, opts: { ready?: boolean; readySince?: number; phase?: string; deleting?: boolean; created?: number; generation?: string } = {}): Obj =>
  ({
    metadata: {
      name: `agent-${++n}`,
      namespace: "default",
      uid: `pod-${n}`,
      creationTimestamp: at(opts.created ?? n),
      labels: { app: "agent", "controller-revision-hash": hash, ...(opts.generation ? { "pod-template-generation": opts.generation } : {}) },
      ...(opts.deleting ? { deletionTimestamp: at(100) } : {}),
    },
    spec: { nodeName },
    status: { phase: opts.phase ?? "Running", conditions: opts.ready === false ? [] : [{ type: "Ready", status: "True", lastTransitionTime: at(opts.readySince ?? 0) }] },
  }) as Obj;

const names = (pods: readonly Obj[]) => pods.map((p) => p.metadata.name).sort();

describe("nodeShouldRunDaemonPod", () => {
  it("follows node selector, required affinity, nodeName and taints (with the daemon tolerations)", () => {
    const d = ds();
    expect(nodeShouldRunDaemonPod(node("a"), d)).toEqual({ shouldRun: true, shouldContinueRunning: true });
    const selective = ds({ template: { metadata: { labels: { app: "agent" } }, spec: { nodeSelector: { disk: "ssd" }, containers: [] } } });
    expect(nodeShouldRunDaemonPod(node("a"), selective).shouldRun).toBe(false);
    expect(nodeShouldRunDaemonPod(node("a", { labels: { disk: "ssd" } }), selective).shouldRun).toBe(true);
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["z1", "z2"] }] }] } } };
    const affine = ds({ template: { metadata: { labels: { app: "agent" } }, spec: { affinity, containers: [] } } });
    expect(nodeShouldRunDaemonPod(node("a", { labels: { zone: "z2" } }), affine).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node("a", { labels: { zone: "z3" } }), affine)).toEqual({ shouldRun: false, shouldContinueRunning: false });
    const named = ds({ template: { metadata: { labels: { app: "agent" } }, spec: { nodeName: "b", containers: [] } } });
    expect(nodeShouldRunDaemonPod(node("a"), named).shouldRun).toBe(false);
    // NoSchedule keeps running pods, NoExecute evicts them; PreferNoSchedule is ignored
    expect(nodeShouldRunDaemonPod(node("a", { taints: [{ key: "dedicated", value: "infra", effect: "NoSchedule" }] }), d)).toEqual({ shouldRun: false, shouldContinueRunning: true });
    expect(nodeShouldRunDaemonPod(node("a", { taints: [{ key: "dedicated", effect: "NoExecute" }] }), d)).toEqual({ shouldRun: false, shouldContinueRunning: false });
    expect(nodeShouldRunDaemonPod(node("a", { taints: [{ key: "x", effect: "PreferNoSchedule" }] }), d).shouldRun).toBe(true);
    // cordoned, not-ready (NoExecute) and pressure taints are tolerated by every daemon pod; not-ready NoSchedule is not
    for (const taint of [
      { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" },
      { key: "node.kubernetes.io/not-ready", effect: "NoExecute" },
      { key: "node.kubernetes.io/memory-pressure", effect: "NoSchedule" },
    ])
      expect(nodeShouldRunDaemonPod(node("a", { taints: [taint] }), d).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node("a", { taints: [{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }] }), d).shouldRun).toBe(false);
    // network-unavailable only for hostNetwork pods
    const netTaint = { taints: [{ key: "node.kubernetes.io/network-unavailable", effect: "NoSchedule" }] };
    expect(nodeShouldRunDaemonPod(node("a", netTaint), d).shouldRun).toBe(false);
    const hostNet = ds({ template: { metadata: { labels: { app: "agent" } }, spec: { hostNetwork: true, containers: [] } } });
    expect(nodeShouldRunDaemonPod(node("a", netTaint), hostNet).shouldRun).toBe(true);
    const tolerating = ds({ template: { metadata: { labels: { app: "agent" } }, spec: { tolerations: [{ key: "dedicated", operator: "Exists" }], containers: [] } } });
    expect(nodeShouldRunDaemonPod(node("a", { taints: [{ key: "dedicated", value: "infra", effect: "NoSchedule" }] }), tolerating).shouldRun).toBe(true);
  });
});

describe("the daemon pod", () => {
  it("is the template with the daemon tolerations, pinned to its node, labelled with hash and generation", () => {
    const ref = { apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "ds-uid", controller: true, blockOwnerDeletion: true };
    const body = daemonPodFor(ds(), "node-2", "h1", ref) as Obj;
    expect(body.metadata).toEqual({ generateName: "agent-", namespace: "default", labels: { app: "agent", "pod-template-generation": "1", "controller-revision-hash": "h1" }, ownerReferences: [ref] });
    expect(body.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual({ nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["node-2"] }] }] });
    expect(body.spec.tolerations).toHaveLength(6);
    expect(targetNodeName(body as Obj)).toBe("node-2");
  });

  it("replaces the required terms, keeps preferred ones, and updates a matching toleration in place", () => {
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["z"] }] }] }, preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }] }, podAffinity: {} };
    const pinned = pinToNode(affinity, "n");
    expect(pinned.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n"] }] }]);
    expect(pinned.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([{ weight: 1 }]);
    expect(pinned.podAffinity).toEqual({});
    const tolerations = withDaemonTolerations([{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 30 }, { key: "x", operator: "Exists" }], false);
    expect(tolerations[0]).toEqual({ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" });
    expect(tolerations).toHaveLength(7);
  });
});

describe("planNode (podsShouldBeOnNode)", () => {
  const d = ds();
  it("creates where a pod belongs and none exists, deletes where none may run", () => {
    expect(planNode(d, node("a"), [], "h")).toEqual({ create: ["a"], delete: [], failed: [] });
    const p = pod("a", "h");
    expect(planNode(d, node("a"), [p], "h")).toEqual({ create: [], delete: [], failed: [] });
    expect(planNode(d, node("a", { taints: [{ key: "k", effect: "NoExecute" }] }), [p], "h").delete).toEqual([p]);
    // NoSchedule: an existing pod stays, no new one comes
    expect(planNode(d, node("a", { taints: [{ key: "k", effect: "NoSchedule" }] }), [p], "h")).toEqual({ create: [], delete: [], failed: [] });
    expect(planNode(d, node("a", { taints: [{ key: "k", effect: "NoSchedule" }] }), [], "h").create).toEqual([]);
  });

  it("deletes failed pods and all but the oldest running one; waits while the only pod terminates", () => {
    const failed = pod("a", "h", { phase: "Failed" });
    expect(planNode(d, node("a"), [failed], "h")).toEqual({ create: [], delete: [failed], failed: [failed] });
    const oldest = pod("a", "h", { created: 1 }), newer = pod("a", "h", { created: 5 });
    expect(planNode(d, node("a"), [newer, oldest], "h").delete).toEqual([newer]);
    expect(planNode(d, node("a"), [pod("a", "h", { deleting: true })], "h")).toEqual({ create: [], delete: [], failed: [] });
  });

  it("with surge keeps an old ready pod beside an unavailable new one, then drops it", () => {
    const surge = ds({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const old = pod("a", "old", { created: 1 });
    const fresh = pod("a", "new", { created: 2, ready: false });
    expect(planNode(surge, node("a"), [old, fresh], "new").delete).toEqual([]);
    const ready = pod("a", "new", { created: 2 });
    expect(planNode(surge, node("a"), [old, ready], "new").delete).toEqual([old]);
    // only terminating pods left: surge creates at once
    expect(planNode(surge, node("a"), [pod("a", "old", { deleting: true })], "new").create).toEqual(["a"]);
  });
});

describe("planRollingUpdate", () => {
  const nodes = ["a", "b", "c", "d"].map((x) => node(x));
  const byNode = (pods: Obj[]) => new Map(pods.map((p) => [p.spec.nodeName, [p]]));

  it("maxUnavailable 1: deletes one available old pod at a time, and only while no new pod is unavailable", () => {
    const d = ds();
    const old = nodes.map((x) => pod(x.metadata.name, "old"));
    expect(planRollingUpdate(d, nodes, byNode(old), "new", T0).delete).toHaveLength(1);
    // one node updating (its new pod not ready yet): nothing more
    const updating = [pod("a", "new", { ready: false }), ...old.slice(1)];
    expect(planRollingUpdate(d, nodes, byNode(updating), "new", T0).delete).toEqual([]);
    // a node with no pod at all counts as unavailable too (manage is creating it)
    const gap = new Map([["a", [] as Obj[]], ...[...byNode(old.slice(1))]]);
    expect(planRollingUpdate(d, nodes, gap, "new", T0).delete).toEqual([]);
    // unavailable old pods are replaced regardless of the budget
    const broken = old.map((p, i) => (i < 2 ? pod(p.spec.nodeName, "old", { ready: false }) : p));
    expect(names(planRollingUpdate(d, nodes, byNode(broken), "new", T0).delete)).toEqual(names(broken.slice(0, 2)));
    // minReadySeconds: a new pod ready for less than that is still unavailable
    const slow = ds({ minReadySeconds: 30 });
    const longReady = ["b", "c", "d"].map((x) => pod(x, "old", { readySince: -100 }));
    const justReady = [pod("a", "new", { readySince: 0 }), ...longReady];
    expect(planRollingUpdate(slow, nodes, byNode(justReady), "new", T0 + 10_000).delete).toEqual([]);
    expect(planRollingUpdate(slow, nodes, byNode(justReady), "new", T0 + 31_000).delete).toHaveLength(1);
  });

  it("maxUnavailable 50% rounds up over the nodes that should run the pod", () => {
    const d = ds({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "50%", maxSurge: 0 } } });
    const old = nodes.map((x) => pod(x.metadata.name, "old"));
    expect(planRollingUpdate(d, nodes, byNode(old), "new", T0).delete).toHaveLength(2);
    expect(surgeAndUnavailable(d, 3)).toEqual({ maxSurge: 0, maxUnavailable: 2 });
  });

  it("counts pods of the current template generation as updated even without the hash", () => {
    const d = ds({}, "2");
    const pods = nodes.map((x) => pod(x.metadata.name, "other", { generation: "2" }));
    expect(planRollingUpdate(d, nodes, byNode(pods), "new", T0).delete).toEqual([]);
  });

  it("maxSurge: creates next to available old pods up to maxSurge, deletes an old pod once its replacement is available", () => {
    const d = ds({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const old = nodes.map((x) => pod(x.metadata.name, "old"));
    expect(planRollingUpdate(d, nodes, byNode(old), "new", T0)).toEqual({ create: ["a"], delete: [] });
    const surging = new Map(old.map((p) => [p.spec.nodeName, [p]]));
    surging.set("a", [old[0]!, pod("a", "new", { ready: false })]);
    expect(planRollingUpdate(d, nodes, surging, "new", T0)).toEqual({ create: [], delete: [] });
    const replaced = new Map(surging);
    replaced.set("a", [old[0]!, pod("a", "new")]);
    expect(planRollingUpdate(d, nodes, replaced, "new", T0)).toEqual({ create: ["b"], delete: [old[0]] });
    // an unavailable old pod gets its replacement at once, beyond the surge budget
    const broken = new Map(surging);
    broken.set("b", [pod("b", "old", { ready: false })]);
    expect(planRollingUpdate(d, nodes, broken, "new", T0).create).toEqual(["b"]);
  });
});

describe("status and history", () => {
  it("counts desired, current, misscheduled, ready, up-to-date, available per node (oldest pod decides)", () => {
    const d = ds();
    const nodes = [node("a"), node("b"), node("c"), node("t", { taints: [{ key: "k", effect: "NoSchedule" }] })];
    const pods = new Map<string, Obj[]>([
      ["a", [pod("a", "h")]],
      ["b", [pod("b", "old", { ready: false })]],
      ["t", [pod("t", "h")]],
    ]);
    expect(daemonSetStatusCounts(d, nodes, pods, "h", T0)).toEqual({
      desiredNumberScheduled: 3, currentNumberScheduled: 2, numberMisscheduled: 1, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1, numberUnavailable: 2,
    });
  });

  it("records the template as a replace patch laid out as kube marshals it", () => {
    const data = revisionData(ds());
    expect(JSON.stringify(data)).toBe(
      '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"agent"}},"spec":{"containers":[{"image":"busybox","name":"c"}]}}}}',
    );
    expect(revisionMatches(ds(), { data } as unknown as Obj)).toBe(true);
    const changed = ds({ template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "c", image: "busybox:2" }] } } });
    expect(revisionMatches(changed, { data } as unknown as Obj)).toBe(false);
  });

  it("keeps the current revision, revisions live pods run and the newest `limit` others", () => {
    const cr = (name: string, revision: number, hash: string) => ({ metadata: { name, labels: { "controller-revision-hash": hash } }, revision }) as unknown as Obj;
    const all = [cr("r1", 1, "h1"), cr("r2", 2, "h2"), cr("r3", 3, "h3"), cr("r4", 4, "h4"), cr("r5", 5, "h5")];
    expect(revisionsToDelete(all, all[4]!, new Set(["h1"]), 1).map((r) => r.metadata.name)).toEqual(["r2", "r3"]);
    expect(revisionsToDelete(all, all[4]!, new Set(), 10)).toEqual([]);
    expect(revisionsToDelete(all, all[0]!, new Set(), 0).map((r) => r.metadata.name)).toEqual(["r2", "r3", "r4", "r5"]);
  });
});
