/**
 * NodeAffinity (pkg/scheduler/framework/plugins/nodeaffinity): the filter
 * requires spec.nodeSelector (all labels) and, when present, one of the
 * required node selector terms (each term ANDs its matchExpressions and
 * matchFields; an empty term matches nothing). The score sums the weights of
 * the preferred terms a node matches, normalised to [0, 100].
 */
import { defaultNormalize, type FilterPlugin, type Node, type Pod, type ScorePlugin, success, unresolvable } from "../framework.ts";

export const NODE_AFFINITY = "NodeAffinity";
export const ErrReasonPod = "node(s) didn't match Pod's node affinity/selector";

interface Requirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | undefined;
}
interface Term {
  readonly matchExpressions?: readonly Requirement[] | undefined;
  readonly matchFields?: readonly Requirement[] | undefined;
}

const INT = /^[+-]?\d+$/;

/** One requirement against a label set (labels.Requirement.Matches, with Gt/Lt on integers). */
export const requirementMatches = (r: Requirement, labels: Readonly<Record<string, string>>): boolean => {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case "In":
      return has && values.includes(v!);
    case "NotIn":
      return !has || !values.includes(v!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      if (!has || values.length !== 1 || !INT.test(values[0]!) || !INT.test(v!)) return false;
      const [a, b] = [BigInt(v!), BigInt(values[0]!)];
      return r.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false;
  }
};

/** matchFields supports only `metadata.name` with In/NotIn, as the API validates. */
const fieldMatches = (r: Requirement, node: Node): boolean =>
  r.key === "metadata.name" && (r.operator === "In" || r.operator === "NotIn") && requirementMatches(r, { "metadata.name": node.metadata?.name ?? "" });

export const termMatches = (term: Term, node: Node): boolean => {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = (node.metadata?.labels ?? {}) as Record<string, string>;
  return exprs.every((r) => requirementMatches(r, labels)) && fields.every((r) => fieldMatches(r, node));
};

/** Both halves of the required placement: nodeSelector and required node affinity. */
export const podMatchesNodeSelectorAndAffinity = (pod: Pod, node: Node): boolean => {
  const labels = (node.metadata?.labels ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return required.nodeSelectorTerms.some((t) => termMatches(t, node));
};

export const nodeAffinityFilter: FilterPlugin = {
  name: NODE_AFFINITY,
  filter: (_state, pod, node) => (podMatchesNodeSelectorAndAffinity(pod, node.node) ? success : unresolvable(ErrReasonPod)),
};

export const nodeAffinityScore: ScorePlugin = {
  name: NODE_AFFINITY,
  score: (_state, pod, node) => {
    let total = 0;
    for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [])
      if (p.weight !== 0 && termMatches(p.preference, node.node)) total += p.weight;
    return total;
  },
  normalize: (_state, _pod, scores) => defaultNormalize(scores, false),
};
