/**
 * One scheduling cycle's decision, pure: filter every node (a node's verdict
 * is its first failing filter, as in kube-scheduler), score the feasible ones
 * (normalise, weight, sum), pick the highest total with ties broken at random
 * (kube's reservoir sampling), and on no fit build kube-scheduler's message.
 * Every (node, plugin, verdict) and (node, plugin, score) is returned so the
 * caller can publish and show why.
 */
import { type Code, CycleState, type FilterPlugin, type NodeInfo, type NodeSource, type Pod, type PodInfo, podInfoOf, podKey, type Status } from "./framework.ts";
import { type Candidate, defaultPreemption, type PreemptionResult } from "./preemption.ts";
import type { Profile } from "./profile.ts";

export interface FilterRecord {
  readonly node: string;
  readonly plugin: string;
  readonly code: Code;
  readonly reasons: readonly string[];
}

export interface ScoreRecord {
  readonly node: string;
  readonly plugin: string;
  readonly raw: number;
  readonly normalized: number;
  readonly weight: number;
}

/** One score plugin's scores over the feasible nodes (same order as `feasible`). */
export interface PluginScores {
  readonly plugin: string;
  readonly weight: number;
  readonly raw: readonly number[];
  readonly normalized: readonly number[];
}

export interface CycleResult {
  /** Nodes considered. */
  readonly numNodes: number;
  readonly feasible: readonly string[];
  /** Failing verdicts only: one per infeasible node (its first failing plugin). */
  readonly filters: readonly FilterRecord[];
  /** Every (feasible node, plugin) score; built from `pluginScores` when first read. */
  readonly scores: readonly ScoreRecord[];
  /** The same scores by plugin, as computed (no object per node and plugin). */
  readonly pluginScores?: readonly PluginScores[];
  readonly totals: readonly { node: string; score: number }[];
  /** The same totals as plain numbers (same order as `feasible`), when scored: `totals` is then built on first read. */
  readonly totalScores?: readonly number[];
  /** The chosen node, or undefined when nothing fits. */
  readonly node?: string;
  /** kube-scheduler's FailedScheduling message when nothing fits. */
  readonly message?: string;
  /** Nothing fits, but evicting these pods (most important first) from this node would make room. */
  readonly preemption?: Candidate;
}

/** kube-scheduler's ErrNoNodesAvailable. */
export const ErrNoNodesAvailable = "no nodes available to schedule pods";
export const ErrPreemptionNotHelpful = "Preemption is not helpful for scheduling";
export const ErrNoPreemptionVictims = "No preemption victims found for incoming pod";

/** Where runPreFilters leaves the filters this cycle runs (those that did not Skip). */
const ACTIVE_FILTERS = "framework/activeFilters";
const activeFilters = (profile: Profile, state: CycleState): readonly FilterPlugin[] => state.get<readonly FilterPlugin[]>(ACTIVE_FILTERS) ?? profile.filters;

/** `active`: the cycle's filters (activeFilters), when the caller has looked them up once for many nodes. */
export const runFilters = (profile: Profile, state: CycleState, pod: Pod, node: NodeInfo, active?: readonly FilterPlugin[]): { plugin: string; status: Status } | undefined => {
  for (const f of active ?? activeFilters(profile, state)) {
    const status = f.filter(state, pod, node);
    if (status.code !== "Success") return { plugin: f.name, status };
  }
  return undefined;
};

/**
 * RunFilterPluginsWithNominatedPods: pods of equal or higher priority
 * nominated to the node (their victims are leaving) count as already there,
 * so a lower-priority pod cannot take the room a preemption made; the node
 * must also pass without them (anti-affinity to them must not decide).
 * (kube also updates the PreFilter state with them; here filters see them
 * through the node only.)
 */
export const runFiltersWithNominatedPods = (
  profile: Profile,
  state: CycleState,
  pod: Pod,
  node: NodeInfo,
  source: NodeSource,
  active?: readonly FilterPlugin[],
): { plugin: string; status: Status } | undefined => {
  const onNode = source.nominatedPods?.(node.name);
  if (!onNode || onNode.length === 0) return runFilters(profile, state, pod, node, active); // the usual case: no copy, no arrays
  const key = podKey(pod);
  const priority = pod.spec?.priority ?? 0;
  const nominated = onNode.filter((p) => p.key !== key && (p.pod.spec?.priority ?? 0) >= priority);
  if (nominated.length > 0) {
    const withThem = node.clone();
    for (const p of nominated) withThem.addPod(p);
    const verdict = runFilters(profile, state, pod, withThem, active);
    if (verdict) return verdict;
  }
  return runFilters(profile, state, pod, node, active);
};

/**
 * `0/N nodes are available: <count reason, ...>.` — FitError.Error(): every
 * reason of every failing node counted, `"<count> <reason>"` strings sorted as
 * strings, joined with ", ".
 */
export const nodesAvailableMessage = (numNodes: number, statuses: readonly Status[]): string => {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${numNodes} nodes are available${parts.length ? `: ${parts.join(", ")}` : ""}`;
};

/** The cluster with one node replaced (a preemption dry run's copy without its victims). */
export const replacingNode = (source: NodeSource, replacement: NodeInfo): NodeSource => ({
  nodeInfos: () => source.nodeInfos().map((n) => (n.name === replacement.name ? replacement : n)),
  objects: source.objects,
  ...(source.nominatedPods ? { nominatedPods: (node: string) => source.nominatedPods!(node) } : {}),
  ...(source.hasNominatedPods ? { hasNominatedPods: () => source.hasNominatedPods!() } : {}),
  ...(source.hasImages ? { hasImages: () => source.hasImages!() || replacement.imageStates.size > 0 } : {}),
});

/** Filters for a dry run on a changed node: PreFilter state is recomputed against the changed cluster. */
export const filterOnChangedNode = (profile: Profile, source: NodeSource, pod: Pod, node: NodeInfo): Status | undefined => {
  const state = new CycleState();
  const changed = replacingNode(source, node);
  const pre = runPreFilters(profile, state, pod, changed);
  if (pre) return pre.status;
  return runFiltersWithNominatedPods(profile, state, pod, node, changed)?.status;
};

/** Every filter whose PreFilter depends on the cluster's pods can update its state for one pod (PreFilterExtensions). */
export const hasPreFilterExtensions = (profile: Profile): boolean => profile.filters.every((f) => !f.preFilter || (f.addPod && f.removePod));

/** PreFilterExtensions AddPod / RemovePod of every filter plugin: `changed` was added to or removed from `node`. */
export const updatePreFilterState = (profile: Profile, state: CycleState, pod: Pod, changed: PodInfo, node: NodeInfo, added: boolean): void => {
  for (const f of profile.filters) (added ? f.addPod : f.removePod)?.(state, pod, changed, node);
};

/** kube's FitError with its PostFilter (preemption) message: each part ends with one period. */
export const fitErrorMessage = (numNodes: number, filterStatuses: readonly Status[], postFilterMsg?: string): string => {
  let msg = `${nodesAvailableMessage(numNodes, filterStatuses)}.`;
  if (postFilterMsg) msg += ` ${postFilterMsg.replace(/\.$/, "")}.`;
  return msg;
};

/** PreFilter of every filter plugin in order; the first rejection is returned with its plugin. Plugins that Skip are left out of the cycle's filters. */
export const runPreFilters = (profile: Profile, state: CycleState, pod: Pod, source: NodeSource): { plugin: string; status: Status } | undefined => {
  for (const f of profile.filters) {
    const status = f.preFilter?.(state, pod, source);
    if (status && status.code !== "Success") return { plugin: f.name, status };
  }
  state.write(ACTIVE_FILTERS, profile.filters.filter((f) => !f.skip?.(state, pod)));
  return undefined;
};

/** kube's minFeasibleNodesToFind and minFeasibleNodesPercentageToFind. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/**
 * numFeasibleNodesToFind: every node in clusters under 100 nodes; otherwise
 * the given percentage, or adaptively 50% − 1% per 125 nodes (at least 5%),
 * and never fewer than 100 nodes.
 */
export const numFeasibleNodesToFind = (percentage: number | undefined, numAllNodes: number): number => {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage ?? 0;
  if (pct <= 0) pct = Math.max(50 - Math.trunc(numAllNodes / 125), MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
  if (pct >= 100) return numAllNodes;
  return Math.max(Math.trunc((numAllNodes * pct) / 100), MIN_FEASIBLE_NODES_TO_FIND);
};

/** Where the next cycle starts filtering (kube's nextStartNodeIndex), so every node gets its turn. */
export interface NodeCursor {
  next: number;
}

/** The PostFilter point: DefaultPreemption unless the profile disabled it. */
const postFilter = (...args: Parameters<typeof defaultPreemption>): PreemptionResult =>
  args[0].preemption === false ? { message: "" } : defaultPreemption(...args);

export const scheduleOne = (profile: Profile, source: NodeSource, pod: Pod, random: () => number = Math.random, cursor?: NodeCursor): CycleResult => {
  const state = new CycleState();
  const infos = source.nodeInfos();
  if (infos.length === 0) return { numNodes: 0, feasible: [], filters: [], scores: [], totals: [], message: ErrNoNodesAvailable };

  const rejected = runPreFilters(profile, state, pod, source);
  if (rejected) {
    // kube's FitError names a PreFilter rejection once, not once per node.
    const { plugin, status } = rejected;
    const failures = infos.map((node) => ({ node, status }));
    const post = postFilter(profile, source, pod, failures, random);
    const message = `0/${infos.length} nodes are available: ${status.reasons.join(", ")}.${post.message ? ` ${post.message.replace(/\.$/, "")}.` : ""}`;
    const filters = infos.map((n) => ({ node: n.name, plugin, code: status.code, reasons: status.reasons }));
    return { numNodes: infos.length, feasible: [], filters, scores: [], totals: [], message, ...(post.candidate ? { preemption: post.candidate } : {}) };
  }

  const feasible: NodeInfo[] = [];
  const filters: FilterRecord[] = [];
  const failures: { node: NodeInfo; status: Status }[] = [];
  const active = activeFilters(profile, state);
  // Nominated pods are rare (a preemption in progress): when there are none, no node needs to be asked about them.
  const withNominated = source.hasNominatedPods?.() !== false;
  const check = (info: NodeInfo) => {
    const verdict = withNominated ? runFiltersWithNominatedPods(profile, state, pod, info, source, active) : runFilters(profile, state, pod, info, active);
    if (!verdict) feasible.push(info);
    else {
      filters.push({ node: info.name, plugin: verdict.plugin, code: verdict.status.code, reasons: verdict.status.reasons });
      failures.push({ node: info, status: verdict.status });
    }
  };
  // A pod that preempted tries its nominated node first; if it fits, that is the only candidate.
  const nominated = (pod.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName;
  const nominatedInfo = nominated ? infos.find((n) => n.name === nominated) : undefined;
  if (nominatedInfo && !runFiltersWithNominatedPods(profile, state, pod, nominatedInfo, source)) feasible.push(nominatedInfo);
  else {
    // Stop once enough feasible nodes are found, starting where the last cycle stopped (kube's nextStartNodeIndex).
    const toFind = numFeasibleNodesToFind(profile.percentageOfNodesToScore, infos.length);
    const start = cursor ? cursor.next % infos.length : 0;
    let processed = 0;
    for (; processed < infos.length && feasible.length < toFind; processed++) check(infos[(start + processed) % infos.length]!);
    if (cursor) cursor.next = (start + processed) % infos.length;
  }

  if (feasible.length === 0) {
    const statuses = failures.map((f) => f.status);
    // PostFilter: DefaultPreemption, with this cycle's PreFilter state. A found candidate adds nothing to the message (kube's status is Success).
    const post = postFilter(profile, source, pod, failures, random, state);
    const message = fitErrorMessage(infos.length, statuses, post.message || undefined);
    return { numNodes: infos.length, feasible: [], filters, scores: [], totals: [], message, ...(post.candidate ? { preemption: post.candidate } : {}) };
  }

  const base = { numNodes: infos.length, feasible: feasible.map((n) => n.name), filters };
  // As kube-scheduler: one feasible node needs no scoring.
  if (feasible.length === 1) return { ...base, scores: [], totals: [{ node: feasible[0]!.name, score: 0 }], node: feasible[0]!.name };

  const totals: number[] = new Array<number>(feasible.length).fill(0);
  for (const { plugin } of profile.scores) plugin.preScore?.(state, pod, feasible, source);
  const pluginScores: PluginScores[] = [];
  for (const { plugin, weight } of profile.scores) {
    if (plugin.skip?.(state, pod)) continue;
    const raw = new Array<number>(feasible.length);
    for (let i = 0; i < feasible.length; i++) raw[i] = plugin.score(state, pod, feasible[i]!);
    const normalized = plugin.normalize ? plugin.normalize(state, pod, raw) : raw;
    for (let i = 0; i < feasible.length; i++) totals[i]! += normalized[i]! * weight;
    pluginScores.push({ plugin: plugin.name, weight, raw, normalized });
  }
  // selectHost: a node chosen uniformly among the highest totals, as kube's reservoir sampling chooses, with one
  // draw instead of one per tie (SchedulingBasic ties hundreds of nodes: each draw allocated a number). The draw
  // counts from the last tie, so a constant `random` picks the node the reservoir would: 0 the last, ~1 the first.
  let highest = totals[0]!;
  let ties = 0;
  for (let i = 0; i < totals.length; i++) {
    const t = totals[i]!;
    if (t > highest) {
      highest = t;
      ties = 1;
    } else if (t === highest) ties++;
  }
  let skip = ties - 1 - Math.min(ties - 1, Math.floor(random() * ties));
  let best = 0;
  for (; best < totals.length; best++) if (totals[best] === highest && skip-- === 0) break;
  return withLazyScores({ ...base, pluginScores, totalScores: totals, node: feasible[best]!.name });
};

/** Per-(node, plugin) records for the nodes at `indices` of `feasible` (all when absent), plugin by plugin, in node order. */
export const scoreRecords = (feasible: readonly string[], pluginScores: readonly PluginScores[], indices?: readonly number[]): ScoreRecord[] => {
  const out: ScoreRecord[] = [];
  const which = indices ?? [...feasible.keys()];
  for (const p of pluginScores)
    for (const i of which) out.push({ node: feasible[i]!, plugin: p.plugin, raw: p.raw[i]!, normalized: p.normalized[i]!, weight: p.weight });
  return out;
};

/**
 * `scores` and `totals` as properties computed on first read: most cycles
 * publish the best nodes' only, and an object per (node, plugin) or per node
 * for ~500 nodes was most of a cycle's garbage.
 */
const withLazyScores = (r: Omit<CycleResult, "scores" | "totals"> & { pluginScores: readonly PluginScores[]; totalScores: readonly number[] }): CycleResult => {
  let scores: ScoreRecord[] | undefined;
  let totals: { node: string; score: number }[] | undefined;
  Object.defineProperty(r, "scores", { enumerable: true, get: () => (scores ??= scoreRecords(r.feasible, r.pluginScores)) });
  return Object.defineProperty(r, "totals", { enumerable: true, get: () => (totals ??= r.feasible.map((node, i) => ({ node, score: r.totalScores[i]! }))) }) as CycleResult;
};

/** For convenience in tests and tools: the pod info a NodeInfo would hold. */
export { podInfoOf };
