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
export const ErrReasonEnforced = "node(s) didn't match scheduler-enforced node affinity";

interface Requirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | undefined;
}
export interface Term {
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
  const selector = pod.spec?.nodeSelector;
  if (selector) for (const k in selector) if (labels[k] !== selector[k]) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return required.nodeSelectorTerms.some((t) => termMatches(t, node));
};

/** NodeAffinityArgs.addedAffinity: node affinity every pod of the profile gets on top of its own. */
export interface AddedAffinity {
  readonly requiredDuringSchedulingIgnoredDuringExecution?: { readonly nodeSelectorTerms: readonly Term[] } | undefined;
  readonly preferredDuringSchedulingIgnoredDuringExecution?: readonly { readonly weight: number; readonly preference: Term }[] | undefined;
}

const preferredScore = (terms: readonly { weight: number; preference: Term }[] | undefined, node: Node): number => {
  let total = 0;
  for (const p of terms ?? []) if (p.weight !== 0 && termMatches(p.preference, node)) total += p.weight;
  return total;
};

/**
 * The plugin with NodeAffinityArgs: a node must also match the added required
 * terms (one of them; failing says `scheduler-enforced`, before the pod's own
 * rules are checked, as kube), and the added preferred terms' weights count
 * with the pod's own.
 */
export const nodeAffinityPlugins = (added?: AddedAffinity): { filter: FilterPlugin; score: ScorePlugin } => {
  const enforced = added?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const preferred = added?.preferredDuringSchedulingIgnoredDuringExecution;
  return {
    filter: {
      name: NODE_AFFINITY,
      skip: (_state, pod) => !enforced && !pod.spec?.nodeSelector && !pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      filter: (_state, pod, node) => {
        if (enforced && !enforced.some((t) => termMatches(t, node.node))) return unresolvable(ErrReasonEnforced);
        return podMatchesNodeSelectorAndAffinity(pod, node.node) ? success : unresolvable(ErrReasonPod);
      },
    },
    score: {
      name: NODE_AFFINITY,
      skip: (_state, pod) => !preferred?.length && !pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length,
      score: (_state, pod, node) =>
        preferredScore(pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution, node.node) + preferredScore(preferred, node.node),
      normalize: (_state, _pod, scores) => defaultNormalize(scores, false),
    },
  };
};

const plain = nodeAffinityPlugins();
export const nodeAffinityFilter: FilterPlugin = plain.filter;
export const nodeAffinityScore: ScorePlugin = plain.score;
