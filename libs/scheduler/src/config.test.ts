/** KubeSchedulerConfiguration: kube's merge rules for plugins, and its validation messages. */
import { describe, expect, it } from "vitest";
import { ConfigError, schedulerConfiguration } from "./config.ts";
import { FakeNodeSource } from "./framework.ts";
import { scheduleOne } from "./algorithm.ts";
import { makeNode, makePod } from "./test-helpers.ts";

const config = (profile: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
  apiVersion: "kubescheduler.config.k8s.io/v1",
  kind: "KubeSchedulerConfiguration",
  leaderElection: { leaderElect: false },
  profiles: [{ schedulerName: "default-scheduler", ...profile }],
  ...top,
});

const FILTERS = ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"];
// kube's MultiPoint order (the sum does not depend on it).
const SCORES = [
  "TaintToleration:3",
  "NodeAffinity:2",
  "NodeResourcesFit:1",
  "PodTopologySpread:2",
  "InterPodAffinity:2",
  "NodeResourcesBalancedAllocation:1",
  "ImageLocality:1",
];

const summary = (plugins: unknown) => {
  const p = schedulerConfiguration(config({ plugins })).profiles[0]!;
  return { filters: p.filters.map((f) => f.name), scores: p.scores.map((s) => `${s.plugin.name}:${s.weight}`), preemption: p.preemption };
};

describe("plugin merge (mergePluginSet + MultiPoint expansion)", () => {
  it.each([
    { name: "no plugins: kube's defaults", plugins: undefined, filters: FILTERS, scores: SCORES, preemption: true },
    {
      name: "a score plugin disabled",
      plugins: { score: { disabled: [{ name: "NodeResourcesBalancedAllocation" }] } },
      filters: FILTERS,
      scores: SCORES.filter((s) => !s.startsWith("NodeResourcesBalancedAllocation")),
      preemption: true,
    },
    {
      name: "a default score plugin re-enabled with a weight overrides it and comes first",
      plugins: { score: { enabled: [{ name: "NodeResourcesFit", weight: 5 }] } },
      filters: FILTERS,
      scores: ["NodeResourcesFit:5", ...SCORES.filter((s) => !s.startsWith("NodeResourcesFit:"))],
      preemption: true,
    },
    {
      name: "`*` disables every default of the point; only the listed ones run",
      plugins: { score: { disabled: [{ name: "*" }], enabled: [{ name: "ImageLocality", weight: 2 }, { name: "TaintToleration" }] } },
      filters: FILTERS,
      scores: ["ImageLocality:2", "TaintToleration:1"],
      preemption: true,
    },
    {
      name: "disabled in multiPoint: gone from every point",
      plugins: { multiPoint: { disabled: [{ name: "TaintToleration" }] } },
      filters: FILTERS.filter((f) => f !== "TaintToleration"),
      scores: SCORES.filter((s) => !s.startsWith("TaintToleration")),
      preemption: true,
    },
    {
      name: "a multiPoint weight replaces the default in place",
      plugins: { multiPoint: { enabled: [{ name: "ImageLocality", weight: 4 }] } },
      filters: FILTERS,
      scores: [...SCORES.slice(0, -1), "ImageLocality:4"],
      preemption: true,
    },
    {
      name: "a filter disabled keeps its score",
      plugins: { filter: { disabled: [{ name: "NodePorts" }, { name: "NodeResourcesFit" }] } },
      filters: FILTERS.filter((f) => f !== "NodePorts" && f !== "NodeResourcesFit"),
      scores: SCORES,
      preemption: true,
    },
    {
      name: "DefaultPreemption disabled; kube plugins kubeactor lacks may be disabled",
      plugins: { postFilter: { disabled: [{ name: "DefaultPreemption" }] }, multiPoint: { disabled: [{ name: "VolumeBinding" }] } },
      filters: FILTERS,
      scores: SCORES,
      preemption: false,
    },
    {
      name: "every filter disabled",
      plugins: { filter: { disabled: [{ name: "*" }] } },
      filters: [],
      scores: SCORES,
      preemption: true,
    },
  ])("$name", ({ plugins, filters, scores, preemption }) => {
    expect(summary(plugins)).toEqual({ filters, scores, preemption });
  });
});

const errorOf = (json: unknown): string => {
  try {
    schedulerConfiguration(json);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("no error");
};

describe("validation", () => {
  it.each([
    {
      name: "unknown plugin",
      json: config({ plugins: { score: { enabled: [{ name: "Foo" }] } } }),
      error: 'profiles[0].plugins.score.enabled[0]: Invalid value: "Foo": unknown plugin',
    },
    {
      name: "plugin at a point it does not extend",
      json: config({ plugins: { score: { enabled: [{ name: "NodeName" }] } } }),
      error: 'profiles[0].plugins.score.enabled[0]: Invalid value: "NodeName": plugin does not extend score',
    },
    {
      name: "a kube plugin kubeactor lacks, enabled",
      json: config({ plugins: { filter: { enabled: [{ name: "VolumeBinding" }] } } }),
      error: 'profiles[0].plugins.filter.enabled[0]: Invalid value: "VolumeBinding": plugin not implemented by kubeactor',
    },
    {
      name: "weight out of range",
      json: config({ plugins: { score: { enabled: [{ name: "ImageLocality", weight: 101 }] } } }),
      error: "profiles[0].plugins.score.enabled[0].weight: Invalid value: 101: not in valid range [0-100]",
    },
    {
      name: "duplicate schedulerName",
      json: { ...config(), profiles: [{ schedulerName: "a" }, { schedulerName: "a" }] },
      error: 'profiles[1].schedulerName: Duplicate value: "a"',
    },
    {
      name: "empty schedulerName",
      json: { ...config(), profiles: [{ schedulerName: "" }] },
      error: "profiles[0].schedulerName: Required value",
    },
    {
      name: "double registration",
      json: config({ plugins: { score: { enabled: [{ name: "ImageLocality" }, { name: "ImageLocality" }] } } }),
      error: 'profiles[0].plugins: plugin "ImageLocality" already registered as "score"',
    },
    {
      name: "podInitialBackoffSeconds",
      json: config({}, { podInitialBackoffSeconds: 0 }),
      error: "podInitialBackoffSeconds: Invalid value: 0: must be greater than 0",
    },
    {
      name: "podMaxBackoffSeconds below the initial backoff",
      json: config({}, { podInitialBackoffSeconds: 20 }),
      error: "podMaxBackoffSeconds: Invalid value: 10: must be greater than or equal to PodInitialBackoffSeconds",
    },
    {
      name: "percentageOfNodesToScore",
      json: config({}, { percentageOfNodesToScore: 120 }),
      error: "percentageOfNodesToScore: Invalid value: 120: not in valid range [0-100]",
    },
    {
      name: "unknown field (strict decoding)",
      json: config({ plugin: {} }),
      error: 'strict decoding error: unknown field "profiles[0].plugin"',
    },
    {
      name: "wrong type",
      json: config({ percentageOfNodesToScore: "half" }),
      error: 'profiles[0].percentageOfNodesToScore: Invalid value: Expected number, actual "half"',
    },
    {
      name: "apiVersion",
      json: { ...config(), apiVersion: "kubescheduler.config.k8s.io/v1beta3" },
      error: 'apiVersion: Unsupported value: "kubescheduler.config.k8s.io/v1beta3": supported values: "kubescheduler.config.k8s.io/v1"',
    },
    {
      name: "scoring strategy type",
      json: config({ pluginConfig: [{ name: "NodeResourcesFit", args: { scoringStrategy: { type: "Packed" } } }] }),
      error:
        'profiles[0].pluginConfig[0].args.scoringStrategy.type: Unsupported value: "Packed": supported values: "LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"',
    },
    {
      name: "resource weight",
      json: config({ pluginConfig: [{ name: "NodeResourcesFit", args: { scoringStrategy: { resources: [{ name: "cpu", weight: 0 }] } } }] }),
      error: "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight: Invalid value: 0: resource weight of cpu not in valid range [1, 100]",
    },
    {
      name: "shape out of order",
      json: config({
        pluginConfig: [
          {
            name: "NodeResourcesFit",
            args: { scoringStrategy: { type: "RequestedToCapacityRatio", requestedToCapacityRatio: { shape: [{ utilization: 50, score: 0 }, { utilization: 10, score: 10 }] } } },
          },
        ],
      }),
      error: "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1].utilization: Invalid value: 10: utilization values must be sorted in increasing order",
    },
    {
      name: "shape missing",
      json: config({ pluginConfig: [{ name: "NodeResourcesFit", args: { scoringStrategy: { type: "RequestedToCapacityRatio" } } }] }),
      error: "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point must be specified",
    },
    {
      name: "System defaulting with constraints",
      json: config({
        pluginConfig: [{ name: "PodTopologySpread", args: { defaultConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }] } }],
      }),
      error: 'profiles[0].pluginConfig[0].args.defaultingType: Invalid value: "System": when .defaultingType is "System", .defaultConstraints must be empty',
    },
    {
      name: "default constraint maxSkew",
      json: config({
        pluginConfig: [
          { name: "PodTopologySpread", args: { defaultingType: "List", defaultConstraints: [{ maxSkew: 0, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }] } },
        ],
      }),
      error: "profiles[0].pluginConfig[0].args.defaultConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
    },
    {
      name: "hardPodAffinityWeight",
      json: config({ pluginConfig: [{ name: "InterPodAffinity", args: { hardPodAffinityWeight: 101 } }] }),
      error: "profiles[0].pluginConfig[0].args.hardPodAffinityWeight: Invalid value: 101: not in valid range [0-100]",
    },
    {
      name: "args kubeactor does not take",
      json: config({ pluginConfig: [{ name: "NodePorts", args: {} }] }),
      error: 'profiles[0].pluginConfig[0].name: Invalid value: "NodePorts": kubeactor takes no args for this plugin',
    },
    {
      name: "addedAffinity requirement without values",
      json: config({
        pluginConfig: [
          { name: "NodeAffinity", args: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In" }] }] } } } },
        ],
      }),
      error:
        "profiles[0].pluginConfig[0].args.addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    },
    {
      name: "addedAffinity operator and preferred weight",
      json: config({
        pluginConfig: [
          {
            name: "NodeAffinity",
            args: { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: "zone", operator: "Near", values: ["a"] }] } }] } },
          },
        ],
      }),
      error:
        '[profiles[0].pluginConfig[0].args.addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100, profiles[0].pluginConfig[0].args.addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator]',
    },
    {
      name: "addedAffinity matchFields key",
      json: config({
        pluginConfig: [
          { name: "NodeAffinity", args: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "spec.x", operator: "In", values: ["a"] }] }] } } } },
        ],
      }),
      error: 'profiles[0].pluginConfig[0].args.addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key: Invalid value: "spec.x": not a valid field selector key',
    },
    {
      name: "DefaultPreemption percentage out of range",
      json: config({ pluginConfig: [{ name: "DefaultPreemption", args: { minCandidateNodesPercentage: 101 } }] }),
      error: "profiles[0].pluginConfig[0].args.minCandidateNodesPercentage: Invalid value: 101: not in valid range [0, 100]",
    },
    {
      name: "DefaultPreemption both zero",
      json: config({ pluginConfig: [{ name: "DefaultPreemption", args: { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0 } }] }),
      error:
        "[profiles[0].pluginConfig[0].args.minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute, profiles[0].pluginConfig[0].args.minCandidateNodesAbsolute: Invalid value: 0: cannot be zero at the same time as minCandidateNodesPercentage]",
    },
    {
      name: "DefaultPreemption unknown field",
      json: config({ pluginConfig: [{ name: "DefaultPreemption", args: { minCandidateNodes: 1 } }] }),
      error: 'strict decoding error: unknown field "profiles[0].pluginConfig[0].args.minCandidateNodes"',
    },
    {
      name: "duplicate pluginConfig",
      json: config({ pluginConfig: [{ name: "InterPodAffinity" }, { name: "InterPodAffinity" }] }),
      error: 'profiles[0].pluginConfig[1]: Duplicate value: "InterPodAffinity"',
    },
    {
      name: "several errors at once",
      json: { ...config(), profiles: [{ schedulerName: "a", percentageOfNodesToScore: -1 }, { schedulerName: "a" }] },
      error: '[profiles[0].percentageOfNodesToScore: Invalid value: -1: not in valid range [0-100], profiles[1].schedulerName: Duplicate value: "a"]',
    },
  ])("$name", ({ json, error }) => {
    expect(errorOf(json)).toBe(error);
  });
});

describe("profiles and args", () => {
  it("fills kube's defaults: one default-scheduler profile, leader election on", () => {
    const c = schedulerConfiguration({ apiVersion: "kubescheduler.config.k8s.io/v1", kind: "KubeSchedulerConfiguration" });
    expect(c.profiles.map((p) => p.schedulerName)).toEqual(["default-scheduler"]);
    expect(c.leaderElection).toEqual({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, namespace: "kube-system", name: "kube-scheduler" });
    expect(c.backoff).toEqual({ initialMs: 1000, maxMs: 10_000 });
  });

  it("podInitialBackoffSeconds / podMaxBackoffSeconds set the backoff queue's delays", () => {
    const c = schedulerConfiguration(config({}, { podInitialBackoffSeconds: 2, podMaxBackoffSeconds: 30 }));
    expect(c.backoff).toEqual({ initialMs: 2000, maxMs: 30_000 });
  });

  it("MostAllocated packs where LeastAllocated spreads; the profile percentage falls back to the top-level one", () => {
    const c = schedulerConfiguration(
      config(
        {},
        {
          percentageOfNodesToScore: 30,
          profiles: [
            { schedulerName: "default-scheduler", percentageOfNodesToScore: 70 },
            {
              schedulerName: "packer",
              plugins: { score: { disabled: [{ name: "NodeResourcesBalancedAllocation" }] } },
              pluginConfig: [{ name: "NodeResourcesFit", args: { scoringStrategy: { type: "MostAllocated" } } }],
            },
          ],
        },
      ),
    );
    expect(c.profiles.map((p) => [p.schedulerName, p.percentageOfNodesToScore])).toEqual([
      ["default-scheduler", 70],
      ["packer", 30],
    ]);
    const src = new FakeNodeSource([makeNode("busy"), makeNode("idle")], [makePod("existing", { cpu: "2", nodeName: "busy" })]);
    const pod = makePod("new", { cpu: "1" });
    expect(scheduleOne(c.profiles[0]!, src, pod, () => 0).node).toBe("idle");
    expect(scheduleOne(c.profiles[1]!, src, pod, () => 0).node).toBe("busy");
  });

  it("NodeAffinity addedAffinity: every pod of the profile must match it too (scheduler-enforced), and its preferences count", () => {
    const c = schedulerConfiguration(
      config({
        pluginConfig: [
          {
            name: "NodeAffinity",
            args: {
              addedAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "pool", operator: "In", values: ["batch", "gpu"] }] }] },
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: "pool", operator: "In", values: ["gpu"] }] } }],
              },
            },
          },
        ],
      }),
    );
    const profile = c.profiles[0]!;
    const src = new FakeNodeSource([makeNode("web", { labels: { pool: "web" } }), makeNode("batch", { labels: { pool: "batch" } }), makeNode("gpu", { labels: { pool: "gpu" } })]);
    const r = scheduleOne(profile, src, makePod("p"), () => 0);
    expect(r.filters.map((f) => [f.node, f.reasons[0]])).toEqual([["web", "node(s) didn't match scheduler-enforced node affinity"]]);
    expect(r.node).toBe("gpu");
    // The pod's own selector still applies on top.
    const own = scheduleOne(profile, src, makePod("q", { spec: { nodeSelector: { pool: "batch" } } }), () => 0);
    expect(own.node).toBe("batch");
    const none = scheduleOne(profile, src, makePod("r", { spec: { nodeSelector: { pool: "web" } } }), () => 0);
    expect(none.message).toBe(
      "0/3 nodes are available: 1 node(s) didn't match scheduler-enforced node affinity, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it("DefaultPreemption minCandidateNodes*: how many nodes are dry-run before choosing", () => {
    const nodes = Array.from({ length: 10 }, (_, i) => makeNode(`n${i}`, { cpu: "1" }));
    // Victims on n0..n9 with priorities 10..1: the more nodes dry-run, the cheaper the victim found.
    const pods = nodes.map((_, i) => makePod(`low-${i}`, { cpu: "1", nodeName: `n${i}`, priority: 10 - i }));
    const src = new FakeNodeSource(nodes, pods);
    const preemptor = makePod("high", { cpu: "1", priority: 100 });
    const withArgs = (args: Record<string, number>) =>
      schedulerConfiguration(config({ pluginConfig: [{ name: "DefaultPreemption", args }] })).profiles[0]!;
    // kube's defaults (10%, at least 100): all 10 nodes, the cheapest victim wins.
    expect(scheduleOne(withArgs({}), src, preemptor, () => 0).preemption?.node).toBe("n9");
    // 20% of 10 = 2 candidates, at least 1: starting at the random offset (0), n0 and n1; n1's victim is cheaper.
    expect(scheduleOne(withArgs({ minCandidateNodesPercentage: 20, minCandidateNodesAbsolute: 1 }), src, preemptor, () => 0).preemption?.node).toBe("n1");
    expect(scheduleOne(withArgs({ minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 3 }), src, preemptor, () => 0).preemption?.node).toBe("n2");
  });
});
