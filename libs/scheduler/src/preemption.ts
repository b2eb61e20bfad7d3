/**
 * DefaultPreemption's PostFilter (pkg/scheduler/framework/plugins/defaultpreemption
 * and framework/preemption), pure: when no node fits, find nodes where
 * evicting lower-priority pods would make the pod fit, choose the victims on
 * each (remove every lower-priority pod, then give back as many as still
 * fit — those whose eviction would violate a PodDisruptionBudget before the
 * others, each group most important first), and pick the node whose victims
 * violate the fewest budgets, then matter least. The caller evicts the
 * victims and sets the pod's status.nominatedNodeName.
 */
import { labelSelectorFromApi, matchesLabels, type Selector } from "@kubeactor/api";
import {
  ErrNoPreemptionVictims,
  ErrPreemptionNotHelpful,
  filterOnChangedNode,
  hasPreFilterExtensions,
  nodesAvailableMessage,
  runFiltersWithNominatedPods,
  updatePreFilterState,
} from "./algorithm.ts";
import type { CycleState, DisruptionBudget, NodeInfo, NodeSource, Pod, PodInfo, Status } from "./framework.ts";
import type { Profile } from "./profile.ts";

export const podPriority = (pod: Pod): number => pod.spec?.priority ?? 0;

const startMs = (pod: Pod): number => {
  const t = (pod.status as { startTime?: string } | undefined)?.startTime ?? pod.metadata?.creationTimestamp;
  const ms = t ? Date.parse(String(t)) : NaN;
  return Number.isNaN(ms) ? Number.MAX_SAFE_INTEGER : ms;
};

/** util.MoreImportantPod: higher priority, then the one that started earlier. */
export const moreImportant = (a: Pod, b: Pod): boolean => {
  const [pa, pb] = [podPriority(a), podPriority(b)];
  if (pa !== pb) return pa > pb;
  return startMs(a) < startMs(b);
};

/** The condition kube-scheduler puts on a victim before deleting it. */
export const DISRUPTION_TARGET = "DisruptionTarget";
export const REASON_PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler";

const terminatingByPreemption = (pod: Pod): boolean =>
  !!pod.metadata?.deletionTimestamp &&
  ((pod.status as { conditions?: { type: string; reason?: string }[] } | undefined)?.conditions ?? []).some(
    (c) => c.type === DISRUPTION_TARGET && c.reason === REASON_PREEMPTION_BY_SCHEDULER,
  );

export interface Candidate {
  readonly node: string;
  /** Most important first. */
  readonly victims: readonly Pod[];
  /** How many victims' evictions would violate a PodDisruptionBudget (0 when absent). */
  readonly pdbViolations?: number;
}

/** A budget with its selector parsed once per preemption; budgets with a missing, empty or invalid selector match nothing here. */
interface ParsedBudget {
  readonly namespace: string;
  readonly selector: Selector;
  readonly allowed: number;
  readonly disrupted: Readonly<Record<string, string>>;
}
export const parseBudgets = (pdbs: readonly DisruptionBudget[]): ParsedBudget[] => {
  const out: ParsedBudget[] = [];
  for (const pdb of pdbs) {
    let selector: Selector;
    try {
      selector = labelSelectorFromApi(pdb.spec?.selector);
    } catch {
      continue;
    }
    if (selector.requirements.length === 0) continue;
    out.push({ namespace: pdb.metadata?.namespace ?? "", selector, allowed: pdb.status?.disruptionsAllowed ?? 0, disrupted: pdb.status?.disruptedPods ?? {} });
  }
  return out;
};

/**
 * filterPodsWithPDBViolation: walking the pods in order, each one spends a
 * disruption of every budget selecting it (unless the API server already
 * recorded it in the budget's disruptedPods); a pod that drives any budget
 * below zero is violating. Order is kept within each group.
 */
export const splitByBudgetViolation = <T extends { pod: Pod }>(pods: readonly T[], budgets: readonly ParsedBudget[]): { violating: T[]; nonViolating: T[] } => {
  const allowed = budgets.map((b) => b.allowed);
  const violating: T[] = [];
  const nonViolating: T[] = [];
  for (const p of pods) {
    const labels = p.pod.metadata?.labels ?? {};
    const name = p.pod.metadata?.name ?? "";
    const namespace = p.pod.metadata?.namespace ?? "default";
    let violated = false;
    // A pod without labels matches no budget.
    if (Object.keys(labels).length > 0)
      budgets.forEach((b, i) => {
        if (b.namespace !== namespace || !matchesLabels(b.selector, labels) || b.disrupted[name] !== undefined) return;
        if (--allowed[i]! < 0) violated = true;
      });
    (violated ? violating : nonViolating).push(p);
  }
  return { violating, nonViolating };
};

export interface PreemptionResult {
  /** The PostFilter message for the FitError ("" when preemption found a node, as kube). */
  readonly message: string;
  readonly candidate?: Candidate;
}

/** PodEligibleToPreemptOthers: a reason when the pod may not preempt. */
export const preemptionIneligibility = (pod: Pod, source: NodeSource, nominatedStatus: Status | undefined): string | undefined => {
  if ((pod.spec as { preemptionPolicy?: string } | undefined)?.preemptionPolicy === "Never") return "not eligible due to preemptionPolicy=Never";
  const nominated = (pod.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName;
  if (!nominated || nominatedStatus?.code === "UnschedulableAndUnresolvable") return undefined;
  const info = source.nodeInfos().find((n) => n.name === nominated);
  // Victims chosen last time are still leaving: wait for them rather than preempt more.
  for (const p of info?.pods.values() ?? []) if (podPriority(p.pod) < podPriority(pod) && terminatingByPreemption(p.pod)) return "not eligible due to a terminating pod on the nominated node";
  return undefined;
};

/**
 * SelectVictimsOnNode: the victims, or the status that says why this node
 * cannot help. With the cycle's PreFilter `state` (and plugins that can
 * update it pod by pod), a dry run costs the pods on this node only, as
 * kube's AddPod / RemovePod extensions make it; otherwise every PreFilter is
 * recomputed over the changed cluster at each step.
 */
export const selectVictimsOnNode = (
  profile: Profile,
  source: NodeSource,
  pod: Pod,
  node: NodeInfo,
  cycleState?: CycleState,
  budgets: readonly ParsedBudget[] = [],
): { victims: Pod[]; pdbViolations: number } | { status: Status } => {
  const copy = node.clone();
  const state = cycleState && hasPreFilterExtensions(profile) ? cycleState.clone() : undefined;
  const potential: PodInfo[] = [];
  for (const p of node.pods.values())
    if (podPriority(p.pod) < podPriority(pod)) {
      potential.push(p);
      copy.removePod(p.key);
      if (state) updatePreFilterState(profile, state, pod, p, copy, false);
    }
  if (potential.length === 0) return { status: { code: "UnschedulableAndUnresolvable", reasons: [ErrNoPreemptionVictims] } };
  const fits = (): Status | undefined =>
    state ? runFiltersWithNominatedPods(profile, state, pod, copy, source)?.status : filterOnChangedNode(profile, source, pod, copy);
  const without = fits();
  if (without) return { status: without };
  // Reprieve the most important first — budget-violating pods before the others —: each one that still leaves room stays.
  const order = (a: PodInfo, b: PodInfo) => (moreImportant(a.pod, b.pod) ? -1 : moreImportant(b.pod, a.pod) ? 1 : 0);
  potential.sort(order);
  const { violating, nonViolating } = splitByBudgetViolation(potential, budgets);
  const victims: Pod[] = [];
  const reprieve = (p: PodInfo): boolean => {
    copy.addPod(p);
    if (state) updatePreFilterState(profile, state, pod, p, copy, true);
    if (!fits()) return true;
    copy.removePod(p.key);
    if (state) updatePreFilterState(profile, state, pod, p, copy, false);
    victims.push(p.pod);
    return false;
  };
  let pdbViolations = 0;
  for (const p of violating) if (!reprieve(p)) pdbViolations++;
  for (const p of nonViolating) reprieve(p);
  if (violating.length > 0 && nonViolating.length > 0) victims.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
  return { victims, pdbViolations };
};

/**
 * pickOneNodeForPreemption: the fewest PodDisruptionBudget violations, then
 * the lowest highest-priority victim, then the lowest sum of priorities, then
 * the fewest victims, then the latest start among the most important
 * victims, then the first.
 */
export const pickOneNode = (candidates: readonly Candidate[]): Candidate | undefined => {
  if (candidates.length === 0) return undefined;
  const empty = candidates.find((c) => c.victims.length === 0);
  if (empty) return empty;
  const keep = (list: readonly Candidate[], key: (c: Candidate) => number): Candidate[] => {
    const best = Math.min(...list.map(key));
    return list.filter((c) => key(c) === best);
  };
  let list = keep(candidates, (c) => c.pdbViolations ?? 0);
  if (list.length > 1) list = keep(list, (c) => podPriority(c.victims[0]!));
  // Each priority offset by 2^31 so negative priorities cannot make a longer list look cheaper.
  if (list.length > 1) list = keep(list, (c) => c.victims.reduce((s, v) => s + podPriority(v) + 2 ** 31, 0));
  if (list.length > 1) list = keep(list, (c) => c.victims.length);
  if (list.length > 1)
    list = keep(list, (c) => {
      const top = podPriority(c.victims[0]!);
      return -Math.min(...c.victims.filter((v) => podPriority(v) === top).map(startMs));
    });
  return list[0];
};

/** DefaultPreemptionArgs: at least this share of the potential nodes, and at least this many, are dry-run. */
export interface PreemptionArgs {
  readonly minCandidateNodesPercentage: number;
  readonly minCandidateNodesAbsolute: number;
}
/** kube's defaults. */
export const DEFAULT_PREEMPTION_ARGS: PreemptionArgs = { minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 100 };

/** calculateNumCandidates: the percentage of the potential nodes, at least the absolute number, at most them all. */
export const numCandidates = (args: PreemptionArgs, potential: number): number =>
  Math.min(potential, Math.max(Math.trunc((potential * args.minCandidateNodesPercentage) / 100), args.minCandidateNodesAbsolute));

/**
 * The whole PostFilter: eligibility, dry runs from a random offset until
 * enough candidates are found (by default 10% of the potential nodes, at
 * least 100: the profile's DefaultPreemptionArgs),
 * the choice of node. Without a candidate the message explains every node,
 * as `preemption: 0/N nodes are available: ...`.
 */
export const defaultPreemption = (
  profile: Profile,
  source: NodeSource,
  pod: Pod,
  failures: readonly { node: NodeInfo; status: Status }[],
  random: () => number = Math.random,
  /** The cycle's PreFilter state, computed over `source`: dry runs start from it. */
  state?: CycleState,
): PreemptionResult => {
  const nominated = (pod.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName;
  const why = preemptionIneligibility(pod, source, failures.find((f) => f.node.name === nominated)?.status);
  if (why) return { message: `preemption: ${why}` };
  const statuses: Status[] = [];
  const potential: NodeInfo[] = [];
  for (const { node, status } of failures) {
    if (status.code === "UnschedulableAndUnresolvable") statuses.push({ code: status.code, reasons: [ErrPreemptionNotHelpful] });
    else potential.push(node);
  }
  const candidates: Candidate[] = [];
  const budgets = parseBudgets(source.objects?.podDisruptionBudgets?.() ?? []);
  if (potential.length > 0) {
    const wanted = numCandidates(profile.preemptionArgs ?? DEFAULT_PREEMPTION_ARGS, potential.length);
    const offset = Math.floor(random() * potential.length) % potential.length;
    for (let i = 0; i < potential.length && candidates.length < wanted; i++) {
      const node = potential[(offset + i) % potential.length]!;
      const r = selectVictimsOnNode(profile, source, pod, node, state, budgets);
      if ("victims" in r) candidates.push({ node: node.name, victims: r.victims, pdbViolations: r.pdbViolations });
      else statuses.push(r.status);
    }
  }
  const chosen = pickOneNode(candidates);
  if (chosen) return { message: "", candidate: chosen };
  return { message: `preemption: ${nodesAvailableMessage(failures.length, statuses)}` };
};
