/**
 * NodeResourcesFit (pkg/scheduler/framework/plugins/noderesources/fit.go).
 * The filter checks the pod count and every resource the pod requests against
 * the node's allocatable minus what its pods (bound and assumed) request; it
 * reports every shortage, and a shortage the node could never satisfy
 * (request > allocatable) makes the status unresolvable, so preemption skips it.
 * The score is a resource-allocation strategy over cpu and memory (weight 1
 * each): LeastAllocated (the default), MostAllocated or RequestedToCapacityRatio.
 */
import {
  ALLOC_CPU,
  ALLOC_EPHEMERAL,
  ALLOC_MEMORY,
  type CycleState,
  type FilterPlugin,
  MAX_NODE_SCORE,
  type NodeInfo,
  NONZERO_CPU,
  NONZERO_MEMORY,
  type Pod,
  podRequests,
  REQ_CPU,
  REQ_EPHEMERAL,
  REQ_MEMORY,
  type Resources,
  type ScorePlugin,
  type Status,
  success,
} from "../framework.ts";

export const NODE_RESOURCES_FIT = "NodeResourcesFit";
const NON_ZERO_REQUESTS_KEY = `${NODE_RESOURCES_FIT}/nonZeroRequests`;
const REQUESTS_KEY = `${NODE_RESOURCES_FIT}/requests`;
export const ErrReasonTooManyPods = "Too many pods";
export const insufficient = (resource: string) => `Insufficient ${resource}`;

/**
 * The pod's requests for the cycle `state` belongs to. The filter and the score run on ~500 nodes per cycle:
 * the last cycle's answer is kept beside its state, so each asks the state's map once per cycle, not once per node.
 */
let requestsState: CycleState | undefined;
let requests: Resources;
/** The extended resources the pod requests (usually none), as a list: `for in` over an empty object per node was not free. */
let requestedScalars: readonly string[] = [];
const requestsOf = (state: CycleState, pod: Pod): Resources => {
  if (state !== requestsState) {
    requests = state.memo(REQUESTS_KEY, podRequests, pod);
    requestedScalars = Object.keys(requests.scalar);
    requestsState = state;
  }
  return requests;
};
const nonZeroRequests = (pod: Pod): Resources => podRequests(pod, true);
let nonZeroState: CycleState | undefined;
let nonZero: Resources;
const nonZeroRequestsOf = (state: CycleState, pod: Pod): Resources => {
  if (state !== nonZeroState) {
    nonZero = state.memo(NON_ZERO_REQUESTS_KEY, nonZeroRequests, pod);
    nonZeroState = state;
  }
  return nonZero;
};

/** One resource against the node's room (a top-level function: the filter runs per node). */
const check = (reasons: string[], acc: { unresolvable: boolean }, name: string, want: number, allocatable: number, used: number) => {
  if (want > 0 && want > allocatable - used) {
    reasons.push(insufficient(name));
    if (want > allocatable) acc.unresolvable = true;
  }
};

/**
 * Whether every requested resource fits: the common answer, found without allocating (and without closures: tsx
 * names each one it creates), from the node's dense amounts (see ALLOC_CPU); a resource the pod does not
 * request is not read at all.
 */
const fitsAll = (req: Resources, scalars: readonly string[], node: NodeInfo): boolean => {
  if (node.numPods + 1 > node.allowedPodNumber) return false;
  const v = node.amounts;
  if (req.milliCPU > 0 && req.milliCPU > v[ALLOC_CPU]! - v[REQ_CPU]!) return false;
  if (req.memory > 0 && req.memory > v[ALLOC_MEMORY]! - v[REQ_MEMORY]!) return false;
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > v[ALLOC_EPHEMERAL]! - v[REQ_EPHEMERAL]!) return false;
  for (let i = 0; i < scalars.length; i++) {
    const name = scalars[i]!;
    const want = req.scalar[name]!;
    if (want > 0 && want > (node.allocatable.scalar[name] ?? 0) - (node.requested.scalar[name] ?? 0)) return false;
  }
  return true;
};

export const nodeResourcesFitFilter: FilterPlugin = {
  name: NODE_RESOURCES_FIT,
  filter: (state, pod, node): Status => {
    if (fitsAll(requestsOf(state, pod), requestedScalars, node)) return success;
    const reasons: string[] = [];
    const acc = { unresolvable: false };
    if (node.pods.size + 1 > node.allowedPodNumber) reasons.push(ErrReasonTooManyPods);
    const req = requestsOf(state, pod);
    check(reasons, acc, "cpu", req.milliCPU, node.allocatable.milliCPU, node.requested.milliCPU);
    check(reasons, acc, "memory", req.memory, node.allocatable.memory, node.requested.memory);
    check(reasons, acc, "ephemeral-storage", req.ephemeralStorage, node.allocatable.ephemeralStorage, node.requested.ephemeralStorage);
    for (const name in req.scalar) check(reasons, acc, name, req.scalar[name]!, node.allocatable.scalar[name] ?? 0, node.requested.scalar[name] ?? 0);
    if (reasons.length === 0) return success;
    return { code: acc.unresolvable ? "UnschedulableAndUnresolvable" : "Unschedulable", reasons };
  },
};

/** Resources scored and their weights (NodeResourcesFitArgs.scoringStrategy.resources); cpu and memory, weight 1, by default. */
export type ScoredResources = readonly { readonly name: string; readonly weight: number }[];

export type ScoringStrategy = (
  | { readonly type: "LeastAllocated" }
  | { readonly type: "MostAllocated" }
  /** Points (utilisation %, score 0..10) as in the scheduler config; scores are scaled by 10 like kube's. */
  | { readonly type: "RequestedToCapacityRatio"; readonly shape: readonly { utilization: number; score: number }[] }
) & { readonly resources?: ScoredResources };

const RESOURCES: ScoredResources = [
  { name: "cpu", weight: 1 },
  { name: "memory", weight: 1 },
];

const amount = (r: Resources, name: string) =>
  name === "cpu" ? r.milliCPU : name === "memory" ? r.memory : name === "ephemeral-storage" ? r.ephemeralStorage : (r.scalar[name] ?? 0);
/** `amount` of the node's allocatable and non-zero requests, cpu and memory from its dense amounts. */
const allocatableOf = (node: NodeInfo, name: string) =>
  name === "cpu" ? node.amounts[ALLOC_CPU]! : name === "memory" ? node.amounts[ALLOC_MEMORY]! : amount(node.allocatable, name);
const nonZeroRequestedOf = (node: NodeInfo, name: string) =>
  name === "cpu" ? node.amounts[NONZERO_CPU]! : name === "memory" ? node.amounts[NONZERO_MEMORY]! : amount(node.nonZeroRequested, name);

const leastRequested = (requested: number, capacity: number) =>
  capacity === 0 || requested > capacity ? 0 : Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);

const mostRequested = (requested: number, capacity: number) =>
  capacity === 0 ? 0 : Math.trunc((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);

/** helper.BuildBrokenLinearFunction over the shape, after scaling its scores to [0, 100]. */
const brokenLinear = (shape: readonly { utilization: number; score: number }[]) => {
  const pts = shape.map((p) => ({ u: p.utilization, s: p.score * (MAX_NODE_SCORE / 10) }));
  return (u: number): number => {
    for (let i = 0; i < pts.length; i++) {
      const p = pts[i]!;
      if (u <= p.u) {
        if (i === 0) return pts[0]!.s;
        const q = pts[i - 1]!;
        return q.s + Math.trunc(((p.s - q.s) * (u - q.u)) / (p.u - q.u));
      }
    }
    return pts[pts.length - 1]?.s ?? 0;
  };
};

/** The score half of NodeResourcesFit: requests counted with the non-zero defaults, so empty pods still spread. */
export const nodeResourcesFitScore = (strategy: ScoringStrategy = { type: "LeastAllocated" }): ScorePlugin => {
  const rtc = strategy.type === "RequestedToCapacityRatio" ? brokenLinear(strategy.shape) : undefined;
  const resources = strategy.resources ?? RESOURCES;
  const one = (requested: number, capacity: number): number => {
    if (strategy.type === "LeastAllocated") return leastRequested(requested, capacity);
    if (strategy.type === "MostAllocated") return mostRequested(requested, capacity);
    if (capacity === 0) return 0;
    return rtc!(Math.trunc((Math.min(requested, capacity) * 100) / capacity));
  };
  return {
    name: NODE_RESOURCES_FIT,
    score: (state, pod, node: NodeInfo) => {
      const req = nonZeroRequestsOf(state, pod);
      let total = 0;
      let weights = 0;
      for (const r of resources) {
        const capacity = allocatableOf(node, r.name);
        if (capacity === 0) continue; // kube skips resources the node does not have
        total += one(nonZeroRequestedOf(node, r.name) + amount(req, r.name), capacity) * r.weight;
        weights += r.weight;
      }
      return weights === 0 ? 0 : Math.trunc(total / weights);
    },
  };
};
