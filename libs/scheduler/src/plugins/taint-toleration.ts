/**
 * TaintToleration (pkg/scheduler/framework/plugins/tainttoleration): the filter
 * rejects nodes with a NoSchedule/NoExecute taint the pod does not tolerate
 * (the first one found is named); the score counts PreferNoSchedule taints the
 * pod does not tolerate, fewer is better (reverse-normalised).
 */
import { defaultNormalize, type FilterPlugin, type Pod, type ScorePlugin, success, tolerationsTolerateTaint, unresolvable } from "../framework.ts";

export const TAINT_TOLERATION = "TaintToleration";
const PREFER_NO_SCHEDULE_KEY = `${TAINT_TOLERATION}/preferNoSchedule`;
export const errReasonUntoleratedTaint = (key: string, value: string | undefined) => `node(s) had untolerated taint {${key}: ${value ?? ""}}`;

export const taintTolerationFilter: FilterPlugin = {
  name: TAINT_TOLERATION,
  filter: (_state, pod, node) => {
    for (const taint of node.taints) {
      if (taint.effect !== "NoSchedule" && taint.effect !== "NoExecute") continue;
      if (!tolerationsTolerateTaint(pod.spec?.tolerations, taint)) return unresolvable(errReasonUntoleratedTaint(taint.key, taint.value));
    }
    return success;
  },
};

/** Only tolerations that can apply to PreferNoSchedule (that effect, or any effect) count. */
const preferNoScheduleTolerations = (pod: Pod) => (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === "PreferNoSchedule");

export const taintTolerationScore: ScorePlugin = {
  name: TAINT_TOLERATION,
  score: (state, pod, node) => {
    const taints = node.taints;
    if (taints.length === 0) return 0;
    const tolerations = state.memo(PREFER_NO_SCHEDULE_KEY, preferNoScheduleTolerations, pod);
    let intolerable = 0;
    for (const taint of taints)
      if (taint.effect === "PreferNoSchedule" && !tolerationsTolerateTaint(tolerations, taint)) intolerable++;
    return intolerable;
  },
  normalize: (_state, _pod, scores) => defaultNormalize(scores, true),
};
