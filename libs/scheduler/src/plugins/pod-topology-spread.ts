/**
 * PodTopologySpread (pkg/scheduler/framework/plugins/podtopologyspread).
 *
 * Filter (whenUnsatisfiable: DoNotSchedule): PreFilter counts, per
 * constraint, the matching pods in each topology domain over the whole
 * cluster (nodes that carry every constraint's key and pass the constraint's
 * nodeAffinityPolicy / nodeTaintsPolicy). A node passes when
 * `pods in its domain + (1 if the pod matches itself) − global minimum ≤ maxSkew`,
 * where the global minimum is 0 while there are fewer domains than minDomains.
 *
 * Score (ScheduleAnyway): fewer matching pods in the node's domains is
 * better, each constraint weighted by log(number of domains + 2), reversed
 * and normalised. A pod without constraints gets the system defaults
 * (hostname maxSkew 3, zone maxSkew 5, both ScheduleAnyway) with a selector
 * built from the Services selecting it and its ReplicaSet / StatefulSet /
 * ReplicationController, exactly when kube-scheduler would.
 */
import { labelSelectorFromApi, matchesLabels, newRequirement, type Selector, selectorFromSet } from "@kubeactor/api";
import {
  type ClusterObjects,
  type CycleState,
  type FilterPlugin,
  type Labels,
  MAX_NODE_SCORE,
  type NodeInfo,
  type NodeSource,
  noObjects,
  type Pod,
  type PodInfo,
  type ScorePlugin,
  selectsEverything,
  success,
  tolerationsTolerateTaint,
  unresolvable,
  unschedulable,
} from "../framework.ts";
import { podMatchesNodeSelectorAndAffinity } from "./node-affinity.ts";

export const POD_TOPOLOGY_SPREAD = "PodTopologySpread";
export const ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const ErrReasonNodeLabelNotMatch = `${ErrReasonConstraintsNotMatch} (missing required label)`;

export const LABEL_HOSTNAME = "kubernetes.io/hostname";
export const LABEL_ZONE = "topology.kubernetes.io/zone";

export interface ApiConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly whenUnsatisfiable: string;
  readonly labelSelector?: Parameters<typeof labelSelectorFromApi>[0];
  readonly minDomains?: number | undefined;
  readonly nodeAffinityPolicy?: string | undefined;
  readonly nodeTaintsPolicy?: string | undefined;
  readonly matchLabelKeys?: readonly string[] | undefined;
}

/** kube-scheduler's systemDefaultConstraints (defaultingType: System). */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly ApiConstraint[] = [
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: "ScheduleAnyway", maxSkew: 3 },
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: "ScheduleAnyway", maxSkew: 5 },
];

interface Constraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: Selector;
  readonly minDomains: number;
  readonly honorNodeAffinity: boolean;
  readonly honorNodeTaints: boolean;
}

const safe = (f: () => Selector): Selector => {
  try {
    return f();
  } catch {
    return { requirements: [], nothing: true };
  }
};

/** filterTopologySpreadConstraints: those with this action, matchLabelKeys merged in, kube's defaults for the policies. */
const toConstraints = (cs: readonly ApiConstraint[], podLabels: Labels, action: string): Constraint[] =>
  cs
    .filter((c) => c.whenUnsatisfiable === action)
    .map((c) => {
      let selector = safe(() => labelSelectorFromApi(c.labelSelector));
      const keys = (c.matchLabelKeys ?? []).filter((k) => Object.hasOwn(podLabels, k));
      if (keys.length && !selector.nothing)
        selector = safe(() => ({ requirements: [...selector.requirements, ...keys.map((k) => newRequirement(k, "=", [podLabels[k]!]))] }));
      return {
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector,
        minDomains: c.minDomains ?? 1,
        honorNodeAffinity: (c.nodeAffinityPolicy ?? "Honor") === "Honor",
        honorNodeTaints: (c.nodeTaintsPolicy ?? "Ignore") === "Honor",
      };
    });

/**
 * helper.DefaultSelector: the union of the selecting Services' selectors,
 * plus the pod's controller's selector (ReplicationController: merged as a
 * set; ReplicaSet / StatefulSet: their requirements added).
 */
export const defaultSelector = (pod: Pod, objects: ClusterObjects): Selector => {
  const ns = pod.metadata?.namespace ?? "";
  const podLabels = pod.metadata?.labels ?? {};
  let set: Record<string, string> = {};
  for (const sel of objects.serviceSelectors(ns)) {
    // GetPodServices: a Service with an empty selector selects nothing.
    if (Object.keys(sel).length === 0 || !matchesLabels(selectorFromSet(sel), podLabels)) continue;
    set = { ...set, ...sel };
  }
  let selector = selectorFromSet(set);
  const owner = (pod.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (!owner) return selector;
  const kind = `${owner.apiVersion}/${owner.kind}`;
  if (kind !== "v1/ReplicationController" && kind !== "apps/v1/ReplicaSet" && kind !== "apps/v1/StatefulSet") return selector;
  const controller = objects.controllerSelector(ns, { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name });
  if (!controller) return selector;
  if ("set" in controller) selector = selectorFromSet({ ...set, ...controller.set });
  else {
    const other = safe(() => labelSelectorFromApi(controller.selector));
    if (!other.nothing) selector = { requirements: [...selector.requirements, ...other.requirements] };
  }
  return selector;
};

const constraintsFor = (pod: Pod, objects: ClusterObjects, action: string, cluster: readonly ApiConstraint[]): Constraint[] => {
  const own = pod.spec?.topologySpreadConstraints ?? [];
  const labels = pod.metadata?.labels ?? {};
  if (own.length > 0) return toConstraints(own, labels, action);
  const defaults = toConstraints(cluster, labels, action);
  if (defaults.length === 0) return [];
  const selector = defaultSelector(pod, objects);
  if (selectsEverything(selector)) return [];
  return defaults.map((c) => ({ ...c, selector }));
};

const labelsOf = (n: NodeInfo): Labels => n.labels;
/** Per node: a loop, not `every` with a closure (tsx names each closure it creates). */
const hasAllKeys = (labels: Labels, cs: readonly Constraint[]) => {
  for (const c of cs) if (!Object.hasOwn(labels, c.topologyKey)) return false;
  return true;
};

/** matchNodeInclusionPolicies. */
const nodeIncluded = (c: Constraint, pod: Pod, node: NodeInfo): boolean => {
  if (c.honorNodeAffinity && !podMatchesNodeSelectorAndAffinity(pod, node.node)) return false;
  if (c.honorNodeTaints)
    for (const t of node.taints)
      if ((t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerationsTolerateTaint(pod.spec?.tolerations, t)) return false;
  return true;
};

/** countPodsMatchSelector: same namespace, not terminating. */
const countMatching = (node: NodeInfo, selector: Selector, namespace: string): number => {
  if (selectsEverything(selector) || selector.nothing) return 0;
  let n = 0;
  for (const { pod } of node.pods.values())
    if (!pod.metadata?.deletionTimestamp && pod.metadata?.namespace === namespace && matchesLabels(selector, pod.metadata?.labels ?? {})) n++;
  return n;
};

// ---------------------------------------------------------------- filter

interface PreFilterState {
  readonly constraints: readonly Constraint[];
  /** Per constraint: domain value → matching pods (domains with none included). */
  readonly domains: readonly Map<string, number>[];
  /** Per constraint, computed once per state rather than per node: the global minimum (0 below minDomains), and 1 if the pod matches its own selector. */
  readonly mins: readonly number[];
  readonly selfMatch: readonly number[];
}

/** The per-constraint figures every node's filter compares against. */
const withMins = (pod: Pod, constraints: readonly Constraint[], domains: readonly Map<string, number>[]): PreFilterState => {
  const podLabels = pod.metadata?.labels ?? {};
  const mins = constraints.map((c, i) => {
    const d = domains[i]!;
    // The global minimum counts as 0 while there are fewer eligible domains than minDomains.
    if (d.size < c.minDomains) return 0;
    let min = Infinity;
    for (const n of d.values()) min = Math.min(min, n);
    return min;
  });
  return { constraints, domains, mins, selfMatch: constraints.map((c) => (matchesLabels(c.selector, podLabels) ? 1 : 0)) };
};

const CONSTRAINTS_NOT_MATCH = unschedulable(ErrReasonConstraintsNotMatch);
const NODE_LABEL_NOT_MATCH = unresolvable(ErrReasonNodeLabelNotMatch);
const FILTER_KEY = `PreFilter${POD_TOPOLOGY_SPREAD}`;

export const podTopologySpreadPreFilterState = (pod: Pod, cluster: NodeSource, defaults: readonly ApiConstraint[] = SYSTEM_DEFAULT_CONSTRAINTS): PreFilterState => {
  const constraints = constraintsFor(pod, cluster.objects ?? noObjects, "DoNotSchedule", defaults);
  const domains = constraints.map(() => new Map<string, number>());
  if (constraints.length === 0) return withMins(pod, constraints, domains);
  const ns = pod.metadata?.namespace ?? "";
  // Every node is visited each cycle: what does not depend on the node is decided once.
  const placementFree = !pod.spec?.nodeSelector && !pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const everyNode = constraints.map((c) => !c.honorNodeTaints && (placementFree || !c.honorNodeAffinity));
  for (const info of cluster.nodeInfos()) {
    const labels = labelsOf(info);
    if (!hasAllKeys(labels, constraints)) continue;
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i]!;
      if (!everyNode[i] && !nodeIncluded(c, pod, info)) continue;
      const v = labels[c.topologyKey]!;
      const m = domains[i]!;
      const n = info.numPods === 0 ? 0 : countMatching(info, c.selector, ns);
      const before = m.get(v);
      if (before === undefined || n > 0) m.set(v, (before ?? 0) + n);
    }
  }
  return withMins(pod, constraints, domains);
};

/** One pod counted as PreFilter counts it (same namespace, not terminating, matching the selector). */
const podCounts = (c: Constraint, changed: Pod, namespace: string): boolean =>
  !changed.metadata?.deletionTimestamp &&
  changed.metadata?.namespace === namespace &&
  !selectsEverything(c.selector) &&
  !c.selector.nothing &&
  matchesLabels(c.selector, changed.metadata?.labels ?? {});

/** PreFilterExtensions (kube's updateWithPod): a dry run added or removed `changed` on `node`; changed domains are copied first. */
const updateWithPod = (state: CycleState, pod: Pod, changed: PodInfo, node: NodeInfo, by: 1 | -1): void => {
  const s = state.read<PreFilterState | undefined>(FILTER_KEY, () => undefined);
  if (!s || s.constraints.length === 0) return;
  const labels = labelsOf(node);
  if (!hasAllKeys(labels, s.constraints)) return;
  const ns = pod.metadata?.namespace ?? "";
  let domains: Map<string, number>[] | undefined;
  s.constraints.forEach((c, i) => {
    if (!nodeIncluded(c, pod, node) || !podCounts(c, changed.pod, ns)) return;
    domains ??= [...s.domains];
    const m = (domains[i] = new Map(domains[i]!));
    const v = labels[c.topologyKey]!;
    m.set(v, (m.get(v) ?? 0) + by);
  });
  if (domains) state.write(FILTER_KEY, withMins(pod, s.constraints, domains));
};

const extensions: Pick<FilterPlugin, "addPod" | "removePod"> = {
  addPod: (state, pod, changed, node) => updateWithPod(state, pod, changed, node, 1),
  removePod: (state, pod, changed, node) => updateWithPod(state, pod, changed, node, -1),
};

export const podTopologySpreadFilter: FilterPlugin = {
  name: POD_TOPOLOGY_SPREAD,
  preFilter: (state, pod, cluster) => {
    state.write(FILTER_KEY, podTopologySpreadPreFilterState(pod, cluster));
    return undefined;
  },
  ...extensions,
  skip: (state) => !state.get<PreFilterState>(FILTER_KEY)?.constraints.length,
  filter: (state, _pod, node) => {
    const s = state.get<PreFilterState>(FILTER_KEY);
    if (!s || s.constraints.length === 0) return success;
    const labels = labelsOf(node);
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = labels[c.topologyKey];
      if (v === undefined) return NODE_LABEL_NOT_MATCH;
      if ((s.domains[i]!.get(v) ?? 0) + s.selfMatch[i]! - s.mins[i]! > c.maxSkew) return CONSTRAINTS_NOT_MATCH;
    }
    return success;
  },
};

// ---------------------------------------------------------------- score

interface PreScoreState {
  readonly constraints: readonly Constraint[];
  /** Feasible nodes (by position) that are not scored: missing a topology key when all are required. */
  readonly ignored: readonly boolean[];
  readonly ignoredNames: ReadonlySet<string>;
  /** Per constraint (not hostname): domain value → matching pods. */
  readonly counts: readonly Map<string, number>[];
  readonly weights: readonly number[];
}
const SCORE_KEY = `PreScore${POD_TOPOLOGY_SPREAD}`;

export const podTopologySpreadPreScoreState = (
  pod: Pod,
  feasible: readonly NodeInfo[],
  cluster: NodeSource,
  defaults: readonly ApiConstraint[] = SYSTEM_DEFAULT_CONSTRAINTS,
): PreScoreState | undefined => {
  const objects = cluster.objects ?? noObjects;
  const constraints = constraintsFor(pod, objects, "ScheduleAnyway", defaults);
  if (constraints.length === 0 || feasible.length === 0) return undefined;
  // Only the pod's own constraints need every key on a node: nodes without a zone still get hostname spreading.
  const requireAll = (pod.spec?.topologySpreadConstraints ?? []).length > 0;
  const counts = constraints.map(() => new Map<string, number>());
  const ignored = feasible.map((n) => requireAll && !hasAllKeys(labelsOf(n), constraints));
  const ignoredNames = new Set(feasible.filter((_, i) => ignored[i]).map((n) => n.name));
  feasible.forEach((n, j) => {
    if (ignored[j]) return;
    constraints.forEach((c, i) => {
      if (c.topologyKey !== LABEL_HOSTNAME) counts[i]!.set(labelsOf(n)[c.topologyKey] ?? "", 0);
    });
  });
  const scored = feasible.length - ignoredNames.size;
  const weights = constraints.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? scored : counts[i]!.size) + 2));
  const ns = pod.metadata?.namespace ?? "";
  for (const info of cluster.nodeInfos()) {
    const labels = labelsOf(info);
    if (requireAll && !hasAllKeys(labels, constraints)) continue;
    constraints.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME || !nodeIncluded(c, pod, info)) return;
      const v = labels[c.topologyKey] ?? "";
      const m = counts[i]!;
      // Only domains of candidate nodes matter.
      if (m.has(v)) m.set(v, m.get(v)! + countMatching(info, c.selector, ns));
    });
  }
  return { constraints, ignored, ignoredNames, counts, weights };
};

export const podTopologySpreadScore: ScorePlugin = {
  name: POD_TOPOLOGY_SPREAD,
  skip: (state) => !state.get<PreScoreState>(SCORE_KEY),
  preScore: (state, pod, feasible, cluster) => state.write(SCORE_KEY, podTopologySpreadPreScoreState(pod, feasible, cluster)),
  score: (state, pod, node) => {
    const s = state.read<PreScoreState | undefined>(SCORE_KEY, () => undefined);
    if (!s || s.ignoredNames.has(node.name)) return 0;
    const labels = labelsOf(node);
    let score = 0;
    s.constraints.forEach((c, i) => {
      const v = labels[c.topologyKey];
      if (v === undefined) return;
      const cnt = c.topologyKey === LABEL_HOSTNAME ? countMatching(node, c.selector, pod.metadata?.namespace ?? "") : (s.counts[i]!.get(v) ?? 0);
      score += cnt * s.weights[i]! + (c.maxSkew - 1);
    });
    return Math.round(score);
  },
  // Fewer matching pods is better: (max + min − s) / max, ignored nodes 0.
  normalize: (state, _pod, scores) => {
    const s = state.read<PreScoreState | undefined>(SCORE_KEY, () => undefined);
    if (!s) return scores;
    let min = Infinity;
    let max = 0;
    scores.forEach((v, i) => {
      if (s.ignored[i]) return;
      min = Math.min(min, v);
      max = Math.max(max, v);
    });
    return scores.map((v, i) => (s.ignored[i] ? 0 : max === 0 ? MAX_NODE_SCORE : Math.trunc((MAX_NODE_SCORE * (max + min - v)) / max)));
  },
};

/**
 * PodTopologySpreadArgs.defaultConstraints: the constraints pods without their
 * own get (defaultingType List); the plain plugins use the system defaults.
 */
export const podTopologySpreadPlugins = (defaults: readonly ApiConstraint[]): { filter: FilterPlugin; score: ScorePlugin } => ({
  filter: {
    ...podTopologySpreadFilter,
    preFilter: (state, pod, cluster) => {
      state.write(FILTER_KEY, podTopologySpreadPreFilterState(pod, cluster, defaults));
      return undefined;
    },
  },
  score: { ...podTopologySpreadScore, preScore: (state, pod, feasible, cluster) => state.write(SCORE_KEY, podTopologySpreadPreScoreState(pod, feasible, cluster, defaults)) },
});
