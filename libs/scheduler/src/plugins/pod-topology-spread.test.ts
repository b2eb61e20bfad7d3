import { describe, expect, it } from "vitest";
import { scheduleOne } from "../algorithm.ts";
import { FakeNodeSource, type FakeObjects, type Pod } from "../framework.ts";
import { defaultProfile } from "../profile.ts";
import { filterAll, makeNode, makePod, scoreAll } from "../test-helpers.ts";
import { podTopologySpreadFilter, podTopologySpreadScore } from "./pod-topology-spread.ts";

const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";
const zone = (z: string, extra: Record<string, string> = {}) => ({ [ZONE]: z, ...extra });
const nodes = [makeNode("a", { labels: zone("z1") }), makeNode("b", { labels: zone("z1") }), makeNode("c", { labels: zone("z2") }), makeNode("d")];
const web = (name: string, node: string, opts: Parameters<typeof makePod>[1] = {}) =>
  makePod(name, { nodeName: node, ...opts, labels: { app: "web", ...(opts.labels ?? {}) } });
const spread = (c: Record<string, unknown>, opts: Parameters<typeof makePod>[1] = {}): Pod =>
  makePod("p", {
    labels: { app: "web" },
    ...opts,
    spec: {
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } }, ...c }],
      ...(opts.spec ?? {}),
    },
  });

const SKEW = "node(s) didn't match pod topology spread constraints";
const MISSING = "node(s) didn't match pod topology spread constraints (missing required label)";

describe("PodTopologySpread filter", () => {
  const tainted = [makeNode("a", { labels: zone("z1") }), makeNode("c", { labels: zone("z2"), taints: [{ key: "k", value: "v", effect: "NoSchedule" }] })];
  const cases: { name: string; pod: Pod; pods: Pod[]; nodes?: ReturnType<typeof makeNode>[]; want: Record<string, string> }[] = [
    { name: "maxSkew 1: the emptier zone only; a node without the key is unresolvable", pod: spread({}), pods: [web("w1", "a")], want: { a: SKEW, b: SKEW, c: "ok", d: MISSING } },
    { name: "maxSkew 2 tolerates one more", pod: spread({ maxSkew: 2 }), pods: [web("w1", "a")], want: { a: "ok", b: "ok", c: "ok", d: MISSING } },
    { name: "a pod its selector does not match adds nothing to the skew", pod: spread({}, { labels: { app: "api" } }), pods: [web("w1", "a")], want: { a: "ok", b: "ok", c: "ok", d: MISSING } },
    { name: "balanced zones accept one more anywhere", pod: spread({}), pods: [web("w1", "a"), web("w2", "c")], want: { a: "ok", b: "ok", c: "ok", d: MISSING } },
    {
      name: "minDomains above the domains found makes the global minimum 0",
      pod: spread({ minDomains: 3 }),
      pods: [web("w1", "a"), web("w2", "c")],
      want: { a: SKEW, b: SKEW, c: SKEW, d: MISSING },
    },
    {
      name: "nodeAffinityPolicy Honor (default): zones the pod cannot use are not domains",
      pod: spread({}, { spec: { nodeSelector: { [ZONE]: "z1" } } }),
      pods: [web("w1", "a")],
      want: { a: "ok", b: "ok", c: "ok", d: MISSING },
    },
    {
      name: "nodeAffinityPolicy Ignore counts them",
      pod: spread({ nodeAffinityPolicy: "Ignore" }, { spec: { nodeSelector: { [ZONE]: "z1" } } }),
      pods: [web("w1", "a")],
      want: { a: SKEW, b: SKEW, c: "ok", d: MISSING },
    },
    { name: "nodeTaintsPolicy Ignore (default) counts tainted nodes' domains", pod: spread({}), pods: [web("w1", "a")], nodes: tainted, want: { a: SKEW, c: "ok" } },
    { name: "nodeTaintsPolicy Honor leaves out nodes with untolerated taints", pod: spread({ nodeTaintsPolicy: "Honor" }), pods: [web("w1", "a")], nodes: tainted, want: { a: "ok", c: "ok" } },
    {
      name: "matchLabelKeys counts only pods with the pod's own value",
      pod: spread({ matchLabelKeys: ["rev"] }, { labels: { app: "web", rev: "2" } }),
      pods: [web("w1", "a", { labels: { rev: "1" } }), web("w2", "b", { labels: { rev: "1" } }), web("w3", "c", { labels: { rev: "2" } })],
      want: { a: "ok", b: "ok", c: SKEW, d: MISSING },
    },
    {
      name: "terminating pods and pods of other namespaces do not count",
      pod: spread({}),
      pods: [web("w1", "a", { namespace: "other" }), { ...web("w2", "b"), metadata: { ...web("w2", "b").metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } } as Pod],
      want: { a: "ok", b: "ok", c: "ok", d: MISSING },
    },
    {
      name: "by hostname, with two constraints both must hold",
      pod: spread({}, { spec: { topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: HOST, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } } },
        { maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } } },
      ] } }),
      pods: [web("w1", "a")],
      // d lacks the zone key, so it is neither a domain nor a candidate
      want: { a: SKEW, b: SKEW, c: "ok", d: MISSING },
    },
    { name: "ScheduleAnyway constraints never filter", pod: spread({ whenUnsatisfiable: "ScheduleAnyway" }), pods: [web("w1", "a"), web("w2", "a")], want: { a: "ok", b: "ok", c: "ok", d: "ok" } },
  ];
  it.each(cases)("$name", ({ pod, pods, want, nodes: ns }) => {
    expect(filterAll(podTopologySpreadFilter, pod, new FakeNodeSource(ns ?? nodes, pods))).toEqual(want);
  });

  it("skew failures are Unschedulable (preemption can help), missing labels unresolvable", () => {
    const src = new FakeNodeSource(nodes, [web("w1", "a")]);
    const r = scheduleOne(defaultProfile(), src, spread({}, { spec: { nodeSelector: { [ZONE]: "z1" } } }));
    expect(r.node === "a" || r.node === "b").toBe(true);
    const r2 = scheduleOne(defaultProfile(), new FakeNodeSource([nodes[0]!, nodes[3]!], [web("w1", "a"), web("w2", "a")]), spread({ maxSkew: 1 }, { spec: { nodeSelector: { [ZONE]: "z1" } } }));
    // a alone is the only z1 domain: skew 2+1-2 = 1 passes; d lacks the zone label.
    expect(r2.node).toBe("a");
  });
});

describe("PodTopologySpread score", () => {
  const three = [makeNode("n1"), makeNode("n2"), makeNode("n3")];
  const owned = (opts: Parameters<typeof makePod>[1] = {}) =>
    makePod("p", { labels: { app: "web" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs1", controller: true }], ...opts });
  const rs: FakeObjects = { controllers: [{ namespace: "default", kind: "ReplicaSet", name: "rs1", selector: { selector: { matchLabels: { app: "web" } } } }] };
  const cases: { name: string; pod: Pod; pods: Pod[]; nodes?: ReturnType<typeof makeNode>[]; objects?: FakeObjects; want: Record<string, number> }[] = [
    {
      name: "ScheduleAnyway prefers the emptier zone; nodes without the key are not scored",
      pod: spread({ whenUnsatisfiable: "ScheduleAnyway" }),
      pods: [web("w1", "a"), web("w2", "b")],
      want: { a: 0, b: 0, c: 100, d: 0 },
    },
    {
      name: "system defaults spread a ReplicaSet's pods by hostname (no zones: hostname only)",
      pod: owned(),
      pods: [web("w1", "n1"), web("w2", "n1"), web("w3", "n2")],
      nodes: three,
      objects: rs,
      // raw: n1 2·ln5+2 = 5, n2 ln5+2 = 4, n3 2 → (5+2−s)/5
      want: { n1: 40, n2: 60, n3: 100 },
    },
    {
      name: "system defaults follow a Service's selector too",
      pod: makePod("p", { labels: { app: "web" } }),
      pods: [web("w1", "n1"), web("w2", "n1"), web("w3", "n2")],
      nodes: three,
      objects: { services: [{ namespace: "default", selector: { app: "web" } }] },
      want: { n1: 40, n2: 60, n3: 100 },
    },
    {
      name: "no owner, no Service: no default spreading",
      pod: makePod("p", { labels: { app: "web" } }),
      pods: [web("w1", "n1"), web("w2", "n1")],
      nodes: three,
      want: { n1: 0, n2: 0, n3: 0 },
    },
    {
      name: "a controller the scheduler does not know gives no default selector",
      pod: owned(),
      pods: [web("w1", "n1")],
      nodes: three,
      want: { n1: 0, n2: 0, n3: 0 },
    },
    {
      name: "system defaults count zones when nodes have them",
      pod: owned(),
      pods: [web("w1", "a"), web("w2", "b")],
      objects: rs,
      // hostname: weight ln(4+2); zone: domains z1, z2, "" → ln(5). a,b: 1.79+2 + 2·1.61+4 = 11; c: 2+4 = 6; d: 2 (no zone key)
      want: { a: 18, b: 18, c: 63, d: 100 },
    },
  ];
  it.each(cases)("$name", ({ pod, pods, want, nodes: ns, objects }) => {
    expect(scoreAll(podTopologySpreadScore, pod, new FakeNodeSource(ns ?? nodes, pods, objects))).toEqual(want);
  });
});
