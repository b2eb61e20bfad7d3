/**
 * NodeResourcesBalancedAllocation (pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go):
 * favours nodes whose cpu and memory would be used in equal proportion after
 * placing the pod: score = (1 − standard deviation of the fractions) × 100,
 * on actual requests (not the non-zero defaults).
 */
import { MAX_NODE_SCORE, podRequests, type ScorePlugin } from "../framework.ts";

export const BALANCED_ALLOCATION = "NodeResourcesBalancedAllocation";
const REQUESTS_KEY = `${BALANCED_ALLOCATION}/requests`;

const addFraction = (fractions: number[], requested: number, capacity: number) => {
  if (capacity !== 0) fractions.push(Math.min(1, requested / capacity));
};

export const balancedAllocation: ScorePlugin = {
  name: BALANCED_ALLOCATION,
  score: (state, pod, node) => {
    const req = state.memo(REQUESTS_KEY, podRequests, pod);
    const [cpu, memory] = [node.allocatable.milliCPU, node.allocatable.memory];
    let std = 0;
    // The usual node (both resources): no array.
    if (cpu !== 0 && memory !== 0)
      return Math.trunc((1 - Math.abs(Math.min(1, (node.requested.milliCPU + req.milliCPU) / cpu) - Math.min(1, (node.requested.memory + req.memory) / memory)) / 2) * MAX_NODE_SCORE);
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
