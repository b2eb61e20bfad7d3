/**
 * NodeResourcesBalancedAllocation (pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go):
 * favours nodes whose cpu and memory would be used in equal proportion after
 * placing the pod: score = (1 − standard deviation of the fractions) × 100,
 * on actual requests (not the non-zero defaults).
 */
import { ALLOC_CPU, ALLOC_MEMORY, type CycleState, MAX_NODE_SCORE, podRequests, REQ_CPU, REQ_MEMORY, type Resources, type ScorePlugin } from "../framework.ts";

export const BALANCED_ALLOCATION = "NodeResourcesBalancedAllocation";
const REQUESTS_KEY = `${BALANCED_ALLOCATION}/requests`;

const addFraction = (fractions: number[], requested: number, capacity: number) => {
  if (capacity !== 0) fractions.push(Math.min(1, requested / capacity));
};

/** The pod's requests for the cycle `state` belongs to, asked of the state once per cycle rather than per node (as NodeResourcesFit does). */
let requestsState: CycleState | undefined;
let requests: Resources;

export const balancedAllocation: ScorePlugin = {
  name: BALANCED_ALLOCATION,
  score: (state, pod, node) => {
    if (state !== requestsState) {
      requests = state.memo(REQUESTS_KEY, podRequests, pod);
      requestsState = state;
    }
    const req = requests;
    // From the node's dense amounts (see ALLOC_CPU): the usual node (both resources) needs no other object and no array.
    const v = node.amounts;
    const cpu = v[ALLOC_CPU]!;
    const memory = v[ALLOC_MEMORY]!;
    let std = 0;
    if (cpu !== 0 && memory !== 0)
      return Math.trunc((1 - Math.abs(Math.min(1, (v[REQ_CPU]! + req.milliCPU) / cpu) - Math.min(1, (v[REQ_MEMORY]! + req.memory) / memory)) / 2) * MAX_NODE_SCORE);
    const fractions: number[] = [];
    addFraction(fractions, node.requested.milliCPU + req.milliCPU, cpu);
    addFraction(fractions, node.requested.memory + req.memory, memory);
    if (fractions.length === 2) std = Math.abs(fractions[0]! - fractions[1]!) / 2;
    else if (fractions.length > 2) {
      const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
      std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
    }
    return Math.trunc((1 - std) * MAX_NODE_SCORE);
  },
};
