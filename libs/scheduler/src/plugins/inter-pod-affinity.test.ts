import { describe, expect, it } from "vitest";
import { scheduleOne } from "../algorithm.ts";
import { CycleState, FakeNodeSource, type FakeObjects, type Pod } from "../framework.ts";
import { defaultProfile } from "../profile.ts";
import { filterAll, makeNode, makePod, scoreAll } from "../test-helpers.ts";
import { interPodAffinityFilter, interPodAffinityScore } from "./inter-pod-affinity.ts";

const zone = (z: string) => ({ "topology.kubernetes.io/zone": z });
const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";
const nodes = [makeNode("a", { labels: zone("z1") }), makeNode("b", { labels: zone("z2") }), makeNode("c", { labels: zone("z1") }), makeNode("d")];
const term = (labels: Record<string, string>, topologyKey: string, extra: Record<string, unknown> = {}) => ({ labelSelector: { matchLabels: labels }, topologyKey, ...extra });
const withAffinity = (name: string, affinity: Record<string, unknown>, opts: Parameters<typeof makePod>[1] = {}) => makePod(name, { ...opts, spec: { affinity } });
const db = (node: string, opts: Parameters<typeof makePod>[1] = {}) => makePod(`db-${node}-${opts.namespace ?? "default"}`, { labels: { app: "db" }, nodeName: node, ...opts });

const AFF = "node(s) didn't match pod affinity rules";
const ANTI = "node(s) didn't match pod anti-affinity rules";
const EXISTING = "node(s) didn't satisfy existing pods anti-affinity rules";

const objects: FakeObjects = { namespaces: { default: {}, other: { team: "x" }, third: { team: "y" } } };

describe("InterPodAffinity filter", () => {
  const cases: { name: string; pod: Pod; pods: Pod[]; want: Record<string, string> }[] = [
    {
      name: "required affinity: only the zone that has a matching pod; nodes without the key fail",
      pod: withAffinity("p", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE)] } }),
      pods: [db("a")],
      want: { a: "ok", b: AFF, c: "ok", d: AFF },
    },
    {
      name: "the first pod of a self-affine group may go anywhere that has the key",
      pod: withAffinity("p", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" }, ZONE)] } }, { labels: { app: "web" } }),
      pods: [],
      want: { a: "ok", b: "ok", c: "ok", d: AFF },
    },
    {
      name: "a pod that does not match its own terms is not the first of a group",
      pod: withAffinity("p", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" }, ZONE)] } }, { labels: { app: "api" } }),
      pods: [],
      want: { a: AFF, b: AFF, c: AFF, d: AFF },
    },
    {
      name: "a matching pod elsewhere ends the first-pod exception",
      pod: withAffinity("p", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" }, ZONE)] } }, { labels: { app: "web" } }),
      pods: [makePod("w", { labels: { app: "web" }, nodeName: "b" })],
      want: { a: AFF, b: "ok", c: AFF, d: AFF },
    },
    {
      name: "required anti-affinity by hostname keeps off nodes with a matching pod",
      pod: withAffinity("p", { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, HOST)] } }),
      pods: [db("a"), db("d")],
      want: { a: ANTI, b: "ok", c: "ok", d: ANTI },
    },
    {
      name: "required anti-affinity by zone keeps off the whole zone; nodes without the key pass",
      pod: withAffinity("p", { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE)] } }),
      pods: [db("a")],
      want: { a: ANTI, b: "ok", c: ANTI, d: "ok" },
    },
    {
      name: "existing pods' anti-affinity keeps a matching pod out of their zone",
      pod: makePod("p", { labels: { app: "web" } }),
      pods: [withAffinity("guard", { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" }, ZONE)] } }, { nodeName: "b" })],
      want: { a: "ok", b: EXISTING, c: "ok", d: "ok" },
    },
    {
      name: "existing pods' anti-affinity ignores pods it does not select",
      pod: makePod("p", { labels: { app: "api" } }),
      pods: [withAffinity("guard", { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" }, ZONE)] } }, { nodeName: "b" })],
      want: { a: "ok", b: "ok", c: "ok", d: "ok" },
    },
    {
      name: "terms look in the pod's own namespace by default",
      pod: withAffinity("p", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE)] } }),
      pods: [db("a", { namespace: "other" }), db("b")],
      want: { a: AFF, b: "ok", c: AFF, d: AFF },
    },
    {
      name: "namespaces lists where to look",
      pod: withAffinity("p", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE, { namespaces: ["other"] })] } }),
      pods: [db("a", { namespace: "other" }), db("b")],
      want: { a: "ok", b: AFF, c: "ok", d: AFF },
    },
    {
      name: "namespaceSelector picks namespaces by their labels",
      pod: withAffinity("p", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE, { namespaceSelector: { matchLabels: { team: "y" } } })] } }),
      pods: [db("a", { namespace: "other" }), db("b", { namespace: "third" })],
      want: { a: AFF, b: "ok", c: AFF, d: AFF },
    },
    {
      name: "an empty namespaceSelector means every namespace",
      pod: withAffinity("p", { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE, { namespaceSelector: {} })] } }),
      pods: [db("a", { namespace: "other" }), db("b", { namespace: "third" })],
      want: { a: ANTI, b: ANTI, c: ANTI, d: "ok" },
    },
    {
      name: "an existing pod's namespaceSelector is matched against the incoming pod's namespace labels",
      pod: makePod("p", { labels: { app: "web" }, namespace: "other" }),
      pods: [
        withAffinity("guard", { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" }, HOST, { namespaceSelector: { matchLabels: { team: "x" } } })] } }, { nodeName: "a" }),
        withAffinity("guard2", { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" }, HOST, { namespaceSelector: { matchLabels: { team: "y" } } })] } }, { nodeName: "b" }),
      ],
      want: { a: EXISTING, b: "ok", c: "ok", d: "ok" },
    },
    {
      name: "matchLabelKeys narrows the selector to the pod's own value",
      pod: withAffinity("p", { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, HOST, { matchLabelKeys: ["rev"] })] } }, { labels: { rev: "2" } }),
      pods: [makePod("old", { labels: { app: "db", rev: "1" }, nodeName: "a" }), makePod("new", { labels: { app: "db", rev: "2" }, nodeName: "b" })],
      want: { a: "ok", b: ANTI, c: "ok", d: "ok" },
    },
  ];
  it.each(cases)("$name", ({ pod, pods, want }) => {
    expect(filterAll(interPodAffinityFilter, pod, new FakeNodeSource(nodes, pods, objects))).toEqual(want);
  });

  it("affinity failures are unresolvable (preemption cannot help); anti-affinity ones are not", () => {
    const src = new FakeNodeSource(nodes, [db("a")]);
    const st = new CycleState();
    const pod = withAffinity("p", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE)] } });
    interPodAffinityFilter.preFilter!(st, pod, src);
    expect(interPodAffinityFilter.filter(st, pod, src.infos[1]!).code).toBe("UnschedulableAndUnresolvable");
    const anti = withAffinity("p", { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE)] } });
    const st2 = new CycleState();
    interPodAffinityFilter.preFilter!(st2, anti, src);
    expect(interPodAffinityFilter.filter(st2, anti, src.infos[0]!).code).toBe("Unschedulable");
  });
});

describe("InterPodAffinity score", () => {
  const pref = (weight: number, labels: Record<string, string>, key = ZONE) => ({ weight, podAffinityTerm: term(labels, key) });
  const cases: { name: string; pod: Pod; pods: Pod[]; want: Record<string, number> }[] = [
    {
      name: "preferred affinity favours the zone with matching pods",
      pod: withAffinity("p", { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(10, { app: "db" })] } }),
      pods: [db("a")],
      want: { a: 100, b: 0, c: 100, d: 0 },
    },
    {
      name: "preferred anti-affinity avoids it (negative raw scores normalise from the minimum)",
      pod: withAffinity("p", { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(10, { app: "db" })] } }),
      pods: [db("a")],
      want: { a: 0, b: 100, c: 0, d: 100 },
    },
    {
      name: "weights add up per matching pod and term",
      pod: withAffinity("p", { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(10, { app: "db" }), pref(30, { app: "cache" })] } }),
      pods: [db("a"), makePod("cache", { labels: { app: "cache" }, nodeName: "b" })],
      // z1: 10, z2: 30 → min 0 (d) .. max 30
      want: { a: 33, b: 100, c: 33, d: 0 },
    },
    {
      name: "existing pods' preferred terms and required affinity (hardPodAffinityWeight 1) count towards the incoming pod",
      pod: makePod("p", { labels: { app: "web" } }),
      pods: [
        withAffinity("fan", { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(4, { app: "web" })] } }, { nodeName: "b" }),
        withAffinity("needs", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" }, HOST)] } }, { nodeName: "a" }),
        withAffinity("hater", { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [pref(2, { app: "web" }, HOST)] } }, { nodeName: "c" }),
      ],
      // a: +1, b: +4, c: -2, d: 0 → (s+2)/6
      want: { a: 50, b: 100, c: 0, d: 33 },
    },
    {
      name: "no terms anywhere: every node 0",
      pod: makePod("p"),
      pods: [db("a")],
      want: { a: 0, b: 0, c: 0, d: 0 },
    },
  ];
  it.each(cases)("$name", ({ pod, pods, want }) => {
    expect(scoreAll(interPodAffinityScore, pod, new FakeNodeSource(nodes, pods, objects))).toEqual(want);
  });
});

describe("InterPodAffinity in a cycle", () => {
  it("spreads a deployment's replicas by hostname and explains the fourth", () => {
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" }, HOST)] } };
    const three = [makeNode("n1"), makeNode("n2"), makeNode("n3")];
    const placed = [0, 1, 2].map((i) => withAffinity(`web-${i}`, anti, { labels: { app: "web" }, nodeName: `n${i + 1}` }));
    const r = scheduleOne(defaultProfile(), new FakeNodeSource(three, placed), withAffinity("web-3", anti, { labels: { app: "web" } }));
    expect(r.node).toBeUndefined();
    expect(r.message).toBe(
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );
  });
});
