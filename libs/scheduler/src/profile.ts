/**
 * The default profile: which plugins run, in which order, with which weights.
 * This is the whole scheduling policy in one place, mirroring kube-scheduler's
 * default plugin set (pkg/scheduler/apis/config/v1/default_plugins.go) for the
 * plugins kubeactor has.
 */
import type { FilterPlugin, ScorePlugin } from "./framework.ts";
import { balancedAllocation } from "./plugins/balanced-allocation.ts";
import { imageLocality } from "./plugins/image-locality.ts";
import { interPodAffinityFilter, interPodAffinityScore } from "./plugins/inter-pod-affinity.ts";
import { nodeAffinityFilter, nodeAffinityScore } from "./plugins/node-affinity.ts";
import { nodeName } from "./plugins/node-name.ts";
import { nodePorts } from "./plugins/node-ports.ts";
import { nodeResourcesFitFilter, nodeResourcesFitScore, type ScoringStrategy } from "./plugins/node-resources-fit.ts";
import { podTopologySpreadFilter, podTopologySpreadScore } from "./plugins/pod-topology-spread.ts";
import { nodeUnschedulable } from "./plugins/node-unschedulable.ts";
import { taintTolerationFilter, taintTolerationScore } from "./plugins/taint-toleration.ts";

export interface WeightedScorePlugin {
  readonly plugin: ScorePlugin;
  readonly weight: number;
}

export interface Profile {
  /** `spec.schedulerName` this profile serves. */
  readonly schedulerName: string;
  /** Run in order; a node's first failing filter is its verdict (kube stops there too). */
  readonly filters: readonly FilterPlugin[];
  readonly scores: readonly WeightedScorePlugin[];
  /** Stop filtering once this share of nodes is feasible; 0 or absent: kube's adaptive default. */
  readonly percentageOfNodesToScore?: number;
  /** PostFilter DefaultPreemption; on unless a configuration disables it. */
  readonly preemption?: boolean;
  /** DefaultPreemptionArgs: how many candidate nodes a preemption dry-runs before choosing (kube's defaults 10% / 100 when absent). */
  readonly preemptionArgs?: { readonly minCandidateNodesPercentage: number; readonly minCandidateNodesAbsolute: number };
}

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";

export const defaultProfile = (opts: { scoringStrategy?: ScoringStrategy } = {}): Profile => ({
  schedulerName: DEFAULT_SCHEDULER_NAME,
  // kube-scheduler's filter order, which is also cheapest first: the order decides
  // which reason a node reports when several would fail, so keeping kube's order
  // keeps the `0/N nodes are available` counts identical to kube's.
  filters: [
    nodeUnschedulable, // one field and one toleration check
    nodeName, // string compare; only pods that name a node can fail it
    taintTolerationFilter, // the node's few taints against the pod's tolerations
    nodeAffinityFilter, // nodeSelector + required terms against the node's labels
    nodePorts, // host ports, usually none
    nodeResourcesFitFilter, // quantities against allocatable minus requested
    podTopologySpreadFilter, // PreFilter counts matching pods per domain once; per node one lookup per constraint
    interPodAffinityFilter, // PreFilter counts pods per topology pair once; per node a few map lookups
  ],
  // kube-scheduler's default weights.
  scores: [
    { plugin: taintTolerationScore, weight: 3 }, // avoid PreferNoSchedule taints strongly
    { plugin: nodeAffinityScore, weight: 2 }, // preferred node affinity terms
    { plugin: podTopologySpreadScore, weight: 2 }, // spread a controller's pods (system defaults: hostname, zone)
    { plugin: interPodAffinityScore, weight: 2 }, // preferred pod (anti-)affinity, both directions
    { plugin: nodeResourcesFitScore(opts.scoringStrategy), weight: 1 }, // LeastAllocated: spread load
    { plugin: balancedAllocation, weight: 1 }, // keep cpu:memory usage balanced per node
    { plugin: imageLocality, weight: 1 }, // nodes that already have the images start sooner
  ],
});
