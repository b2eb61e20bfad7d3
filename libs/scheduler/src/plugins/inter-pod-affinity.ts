/**
 * InterPodAffinity (pkg/scheduler/framework/plugins/interpodaffinity).
 *
 * PreFilter counts, once per cycle over the whole cluster, per topology pair
 * (label key, value): existing pods matching all of the incoming pod's
 * required affinity terms, existing pods matching each of its required
 * anti-affinity terms, and existing pods whose required anti-affinity terms
 * match the incoming pod. Filter then only looks the node's labels up in
 * those counts, so a cycle costs O(pods) once plus O(labels) per node.
 *
 * PreScore sums, per topology pair, the weights of preferred terms (the
 * incoming pod's against existing pods, existing pods' against the incoming
 * pod, and existing pods' required affinity with hardPodAffinityWeight 1);
 * Score reads the node's pairs; NormalizeScore scales min..max to 0..100.
 */
import { matchesLabels } from "@kubeactor/api";
import {
  type AffinityTerm,
  affinityTermMatches,
  type CycleState,
  type FilterPlugin,
  type Labels,
  MAX_NODE_SCORE,
  type NodeInfo,
  type NodeSource,
  noObjects,
  type Pod,
  type PodAffinityTerms,
  podAffinityTerms,
  type PodInfo,
  type ScorePlugin,
  selectsEverything,
  success,
  unresolvable,
  unschedulable,
  type WeightedAffinityTerm,
} from "../framework.ts";

export const INTER_POD_AFFINITY = "InterPodAffinity";
export const ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
export const ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";
/** kube's InterPodAffinityArgs.hardPodAffinityWeight default. */
export const HARD_POD_AFFINITY_WEIGHT = 1;

/** Topology pair → count; the key is `${key}\u0000${value}` (neither may contain NUL). */
type Counts = Map<string, number>;
const pair = (key: string, value: string) => `${key}\u0000${value}`;
const bump = (m: Counts, labels: Labels, topologyKey: string, by: number) => {
  const v = labels[topologyKey];
  if (v === undefined) return;
  const k = pair(topologyKey, v);
  const n = (m.get(k) ?? 0) + by;
  if (n === 0) m.delete(k);
  else m.set(k, n);
};

const labelsOf = (n: NodeInfo): Labels => n.labels;

/**
 * mergeAffinityTermNamespacesIfNotEmpty: a non-empty namespaceSelector of the
 * incoming pod's terms is resolved to namespace names now, so matching an
 * existing pod needs no lookup of that pod's namespace. `{}` (every
 * namespace) stays a selector.
 */
const mergeNamespaces = <T extends AffinityTerm>(term: T, cluster: NodeSource): T => {
  if (selectsEverything(term.namespaceSelector) || term.namespaceSelector.nothing) return term;
  const namespaces = new Set(term.namespaces);
  for (const [name, labels] of (cluster.objects ?? noObjects).namespaces()) if (matchesLabels(term.namespaceSelector, labels)) namespaces.add(name);
  return { ...term, namespaces, namespaceSelector: { requirements: [], nothing: true } };
};

const incomingTerms = (pod: Pod, cluster: NodeSource): PodAffinityTerms | undefined => {
  const t = podAffinityTerms(pod);
  if (!t) return undefined;
  return {
    required: t.required.map((x) => mergeNamespaces(x, cluster)),
    requiredAnti: t.requiredAnti.map((x) => mergeNamespaces(x, cluster)),
    preferred: t.preferred.map((x) => mergeNamespaces(x, cluster)),
    preferredAnti: t.preferredAnti.map((x) => mergeNamespaces(x, cluster)),
  };
};

/** podMatchesAllAffinityTerms: false for no terms. Terms are the incoming pod's, namespaces already merged. */
const matchesAll = (terms: readonly AffinityTerm[], pod: Pod) => terms.length > 0 && terms.every((t) => affinityTermMatches(t, pod, undefined));

// ---------------------------------------------------------------- filter

interface PreFilterState {
  readonly terms: PodAffinityTerms | undefined;
  /** Pairs with existing pods that match all of the incoming pod's required affinity terms. */
  readonly affinity: Counts;
  /** Pairs with existing pods that match one of the incoming pod's required anti-affinity terms. */
  readonly antiAffinity: Counts;
  /** Pairs with existing pods whose required anti-affinity terms match the incoming pod. */
  readonly existingAntiAffinity: Counts;
  /** The incoming pod's namespace's labels. */
  readonly nsLabels: Labels;
}

const FILTER_KEY = `PreFilter${INTER_POD_AFFINITY}`;

export const interPodAffinityPreFilterState = (pod: Pod, cluster: NodeSource): PreFilterState => {
  const terms = incomingTerms(pod, cluster);
  const nsLabels = (cluster.objects ?? noObjects).namespaceLabels(pod.metadata?.namespace ?? "") ?? {};
  const existingAntiAffinity: Counts = new Map();
  const affinity: Counts = new Map();
  const antiAffinity: Counts = new Map();
  const required = terms?.required ?? [];
  const requiredAnti = terms?.requiredAnti ?? [];
  const ownTerms = required.length > 0 || requiredAnti.length > 0;
  const state: PreFilterState = { terms, affinity, antiAffinity, existingAntiAffinity, nsLabels };
  const nodes = ownTerms ? cluster.nodeInfos() : (cluster.nodesWithRequiredAntiAffinity?.() ?? cluster.nodeInfos());
  for (const info of nodes) {
    if (!ownTerms && info.podsWithRequiredAntiAffinity === 0) continue; // the common case, kept cheap
    const labels = labelsOf(info);
    for (const existing of info.pods.values()) countPod(state, pod, existing, labels, 1);
  }
  return state;
};

/** What one existing pod on a node with these labels adds to (by 1) or takes from (by −1) the counts (kube's updateWithPod). */
const countPod = (s: PreFilterState, pod: Pod, existing: PodInfo, labels: Labels, by: 1 | -1): void => {
  for (const t of existing.affinity?.requiredAnti ?? []) if (affinityTermMatches(t, pod, s.nsLabels)) bump(s.existingAntiAffinity, labels, t.topologyKey, by);
  const required = s.terms?.required ?? [];
  if (matchesAll(required, existing.pod)) for (const t of required) bump(s.affinity, labels, t.topologyKey, by);
  for (const t of s.terms?.requiredAnti ?? []) if (affinityTermMatches(t, existing.pod, undefined)) bump(s.antiAffinity, labels, t.topologyKey, by);
};

/** PreFilterExtensions: a dry run added or removed `changed` on `node`; the counts are copied before they change. */
const updateWithPod = (state: CycleState, pod: Pod, changed: PodInfo, node: NodeInfo, by: 1 | -1): void => {
  const s = state.read<PreFilterState | undefined>(FILTER_KEY, () => undefined);
  if (!s) return;
  const ownTerms = (s.terms?.required.length ?? 0) > 0 || (s.terms?.requiredAnti.length ?? 0) > 0;
  if (!ownTerms && !changed.affinity?.requiredAnti.length) return;
  const copy: PreFilterState = { ...s, affinity: new Map(s.affinity), antiAffinity: new Map(s.antiAffinity), existingAntiAffinity: new Map(s.existingAntiAffinity) };
  countPod(copy, pod, changed, labelsOf(node), by);
  state.write(FILTER_KEY, copy);
};

/** satisfyPodAffinity, with the rule that lets the first pod of a self-affine group in. */
const satisfiesAffinity = (s: PreFilterState, pod: Pod, labels: Labels): boolean => {
  const required = s.terms?.required ?? [];
  let podsExist = true;
  for (const t of required) {
    const v = labels[t.topologyKey];
    if (v === undefined) return false; // every topology key must exist on the node
    if ((s.affinity.get(pair(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // No pod anywhere matches the terms, but the pod matches its own: it may start the group.
  return s.affinity.size === 0 && matchesAll(required, pod);
};

const satisfiesAntiAffinity = (s: PreFilterState, labels: Labels): boolean => {
  if (s.antiAffinity.size === 0) return true;
  for (const t of s.terms?.requiredAnti ?? []) {
    const v = labels[t.topologyKey];
    if (v !== undefined && (s.antiAffinity.get(pair(t.topologyKey, v)) ?? 0) > 0) return false;
  }
  return true;
};

const satisfiesExistingAntiAffinity = (s: PreFilterState, labels: Labels): boolean => {
  if (s.existingAntiAffinity.size === 0) return true;
  for (const [k, v] of Object.entries(labels)) if ((s.existingAntiAffinity.get(pair(k, v)) ?? 0) > 0) return false;
  return true;
};

export const interPodAffinityFilter: FilterPlugin = {
  name: INTER_POD_AFFINITY,
  preFilter: (state, pod, cluster) => {
    state.write(FILTER_KEY, interPodAffinityPreFilterState(pod, cluster));
    return undefined;
  },
  addPod: (state, pod, changed, node) => updateWithPod(state, pod, changed, node, 1),
  removePod: (state, pod, changed, node) => updateWithPod(state, pod, changed, node, -1),
  skip: (state) => {
    const s = state.get<PreFilterState>(FILTER_KEY);
    return !!s && s.existingAntiAffinity.size === 0 && !s.terms?.required.length && !s.terms?.requiredAnti.length;
  },
  filter: (state, pod, node) => {
    const s = state.read<PreFilterState | undefined>(FILTER_KEY, () => undefined);
    if (!s) return success;
    const labels = labelsOf(node);
    // Affinity failures cannot be fixed by preempting pods (kube: UnschedulableAndUnresolvable).
    if (!satisfiesAffinity(s, pod, labels)) return unresolvable(ErrReasonAffinityRulesNotMatch);
    if (!satisfiesAntiAffinity(s, labels)) return unschedulable(ErrReasonAntiAffinityRulesNotMatch);
    if (!satisfiesExistingAntiAffinity(s, labels)) return unschedulable(ErrReasonExistingAntiAffinityRulesNotMatch);
    return success;
  },
};

// ---------------------------------------------------------------- score

/** topologyKey → value → score. */
type ScoreMap = Map<string, Map<string, number>>;
const SCORE_KEY = `PreScore${INTER_POD_AFFINITY}`;

const addScore = (m: ScoreMap, term: AffinityTerm, weight: number, pod: Pod, nsLabels: Labels | undefined, nodeLabels: Labels, multiplier: number) => {
  if (!affinityTermMatches(term, pod, nsLabels)) return;
  const v = nodeLabels[term.topologyKey];
  if (v === undefined) return;
  let byValue = m.get(term.topologyKey);
  if (!byValue) m.set(term.topologyKey, (byValue = new Map()));
  byValue.set(v, (byValue.get(v) ?? 0) + weight * multiplier);
};
const addScores = (m: ScoreMap, terms: readonly WeightedAffinityTerm[], pod: Pod, nsLabels: Labels | undefined, nodeLabels: Labels, multiplier: number) => {
  for (const t of terms) addScore(m, t, t.weight, pod, nsLabels, nodeLabels, multiplier);
};

export const interPodAffinityScoreMap = (pod: Pod, cluster: NodeSource, hardPodAffinityWeight = HARD_POD_AFFINITY_WEIGHT): ScoreMap => {
  const terms = incomingTerms(pod, cluster);
  const hasConstraints = (terms?.preferred.length ?? 0) > 0 || (terms?.preferredAnti.length ?? 0) > 0;
  const nsLabels = (cluster.objects ?? noObjects).namespaceLabels(pod.metadata?.namespace ?? "") ?? {};
  const m: ScoreMap = new Map();
  const nodes = hasConstraints ? cluster.nodeInfos() : (cluster.nodesWithPodAffinity?.() ?? cluster.nodeInfos());
  for (const info of nodes) {
    // Unless the incoming pod has preferred terms, only pods with affinity can contribute.
    if (!hasConstraints && info.podsWithAffinity === 0) continue;
    const labels = labelsOf(info);
    if (Object.keys(labels).length === 0) continue;
    for (const existing of info.pods.values()) {
      if (terms) {
        addScores(m, terms.preferred, existing.pod, undefined, labels, 1);
        addScores(m, terms.preferredAnti, existing.pod, undefined, labels, -1);
      }
      const theirs = existing.affinity;
      if (!theirs) continue;
      for (const t of theirs.required) addScore(m, t, hardPodAffinityWeight, pod, nsLabels, labels, 1);
      addScores(m, theirs.preferred, pod, nsLabels, labels, 1);
      addScores(m, theirs.preferredAnti, pod, nsLabels, labels, -1);
    }
  }
  return m;
};

export const interPodAffinityScore: ScorePlugin = {
  name: INTER_POD_AFFINITY,
  skip: (state) => state.get<ScoreMap>(SCORE_KEY)?.size === 0,
  preScore: (state: CycleState, pod, _feasible, cluster) => state.write(SCORE_KEY, interPodAffinityScoreMap(pod, cluster)),
  score: (state, _pod, node) => {
    const m = state.read<ScoreMap | undefined>(SCORE_KEY, () => undefined);
    if (!m || m.size === 0) return 0;
    const labels = labelsOf(node);
    let score = 0;
    for (const [key, byValue] of m) {
      const v = labels[key];
      if (v !== undefined) score += byValue.get(v) ?? 0;
    }
    return score;
  },
  // min..max → 0..100 (scores may be negative); all equal → 0.
  normalize: (_state, _pod, scores) => {
    if (scores.length === 0) return scores;
    const min = Math.min(...scores);
    const diff = Math.max(...scores) - min;
    return scores.map((s) => (diff > 0 ? Math.trunc((MAX_NODE_SCORE * (s - min)) / diff) : 0));
  },
};

/** InterPodAffinityArgs.hardPodAffinityWeight: what an existing pod's required affinity term adds when the incoming pod matches it. */
export const interPodAffinityScoreWith = (hardPodAffinityWeight: number): ScorePlugin => ({
  ...interPodAffinityScore,
  preScore: (state: CycleState, pod, _feasible, cluster) => state.write(SCORE_KEY, interPodAffinityScoreMap(pod, cluster, hardPodAffinityWeight)),
});
