/**
 * NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods that
 * tolerate `node.kubernetes.io/unschedulable:NoSchedule` (pkg/scheduler/framework/plugins/nodeunschedulable).
 */
import { type FilterPlugin, success, tolerationsTolerateTaint, unresolvable } from "../framework.ts";

export const NODE_UNSCHEDULABLE = "NodeUnschedulable";
export const ErrReasonUnschedulable = "node(s) were unschedulable";
export const TaintNodeUnschedulable = "node.kubernetes.io/unschedulable";

export const nodeUnschedulable: FilterPlugin = {
  name: NODE_UNSCHEDULABLE,
  filter: (_state, pod, node) => {
    if (!node.unschedulable) return success;
    const tolerated = tolerationsTolerateTaint(pod.spec?.tolerations, { key: TaintNodeUnschedulable, effect: "NoSchedule" });
    return tolerated ? success : unresolvable(ErrReasonUnschedulable);
  },
};
