/**
 * The DaemonSet controller's decisions as pure functions (pkg/controller/daemon
 * and its util package): which nodes should run the daemon pod, what pod to
 * create for a node, what `manage` creates and deletes per node, what a
 * rolling update deletes (maxSurge 0) or creates (maxSurge > 0), and the
 * status counts.
 */
import { requirementMatches } from "@kubeactor/api";
import type { JsonObject } from "@kubeactor/bus";
import { REVISION_HASH_LABEL } from "./controller-history.ts";
import { scaledValue } from "./deployment-util.ts";
import { type Taint, type Toleration, toleratesTaint } from "./node-lifecycle.ts";
import { clone, isPodAvailable, isPodReady, meta, type Obj } from "./util.ts";

/** Pods carry the DaemonSet's template generation under this label (deprecated, still set by kube). */
export const TEMPLATE_GENERATION_LABEL = "pod-template-generation";
export const TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation";

/** What AddOrUpdateDaemonPodTolerations adds: daemons keep running through node conditions and cordons. */
export const daemonTolerations = (hostNetwork: boolean): Toleration[] => [
  { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
  ...(hostNetwork ? [{ key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule" }] : []),
];

/** AddOrUpdateTolerationInPodSpec for each daemon toleration: one matching key/operator/value/effect is replaced, else appended. */
export const withDaemonTolerations = (tolerations: readonly Toleration[] | undefined, hostNetwork: boolean): Toleration[] => {
  const out = [...(tolerations ?? [])];
  for (const t of daemonTolerations(hostNetwork)) {
    const i = out.findIndex((o) => (o.key ?? "") === t.key && (o.operator ?? "Equal") === t.operator && (o.value ?? "") === "" && (o.effect ?? "") === t.effect);
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
};

type NodeSelectorRequirement = { key: string; operator: string; values?: string[] };
type NodeSelectorTerm = { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] };

const OPERATORS: Record<string, "in" | "notin" | "exists" | "!" | "gt" | "lt"> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!", Gt: "gt", Lt: "lt" };
const requirementHolds = (r: NodeSelectorRequirement, labels: Record<string, string>): boolean => {
  const op = OPERATORS[r.operator];
  return op !== undefined && requirementMatches({ key: r.key, operator: op, values: r.values ?? [] }, labels);
};
/** A node selector term: all expressions on labels and all fields (metadata.name) hold; an empty term matches nothing. */
const termMatches = (term: NodeSelectorTerm, node: Obj): boolean => {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = (meta(node).labels ?? {}) as Record<string, string>;
  return exprs.every((r) => requirementHolds(r, labels)) && fields.every((r) => r.key === "metadata.name" && requirementHolds(r, { "metadata.name": meta(node).name }));
};

/** GetRequiredNodeAffinity(pod).Match(node): nodeSelector and required node affinity. */
export const fitsNodeAffinity = (podSpec: any, node: Obj): boolean => {
  const labels = (meta(node).labels ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries((podSpec?.nodeSelector ?? {}) as Record<string, string>)) if (labels[k] !== v) return false;
  const required = podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return ((required.nodeSelectorTerms ?? []) as NodeSelectorTerm[]).some((t) => termMatches(t, node));
};

/**
 * NodeShouldRunDaemonPod: `shouldRun` — a new daemon pod belongs on the node
 * (name, node selector / required affinity, no untolerated NoSchedule or
 * NoExecute taint); `shouldContinueRunning` — an existing one may stay (only
 * an untolerated NoExecute taint, or a mismatched name / affinity, evicts it).
 */
export const nodeShouldRunDaemonPod = (node: Obj, ds: Obj): { shouldRun: boolean; shouldContinueRunning: boolean } => {
  const podSpec = ds.spec?.template?.spec ?? {};
  if (podSpec.nodeName && podSpec.nodeName !== meta(node).name) return { shouldRun: false, shouldContinueRunning: false };
  if (!fitsNodeAffinity(podSpec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = withDaemonTolerations(podSpec.tolerations, podSpec.hostNetwork === true);
  const untolerated = ((node.spec?.taints ?? []) as Taint[]).filter((t) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerations.some((tol) => toleratesTaint(tol, t)));
  if (untolerated.length === 0) return { shouldRun: true, shouldContinueRunning: true };
  return { shouldRun: false, shouldContinueRunning: !untolerated.some((t) => t.effect === "NoExecute") };
};

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become exactly "metadata.name In [node]". */
export const pinToNode = (affinity: any, nodeName: string): any => {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [nodeName] }] }] };
  const out = clone(affinity ?? {});
  out.nodeAffinity = { ...(out.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required };
  return out;
};

/** util.GetTargetNodeName: the pod's node, or the node its pinning affinity names while it is unscheduled. */
export const targetNodeName = (pod: Obj): string | undefined => {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of (pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) as NodeSelectorTerm[])
    for (const f of term.matchFields ?? []) if (f.key === "metadata.name" && f.operator === "In" && f.values?.length === 1) return f.values[0];
  return undefined;
};

export const templateGeneration = (ds: Obj): string | undefined => meta(ds).annotations?.[TEMPLATE_GENERATION_ANNOTATION];

/** CreatePodTemplate + the pin: the pod body the controller creates on `nodeName`. */
export const daemonPodFor = (ds: Obj, nodeName: string, hash: string, ownerRef: unknown): JsonObject => {
  const template = clone(ds.spec?.template ?? {});
  const spec = template.spec ?? {};
  spec.tolerations = withDaemonTolerations(spec.tolerations, spec.hostNetwork === true);
  spec.affinity = pinToNode(spec.affinity, nodeName);
  const generation = templateGeneration(ds);
  const labels = { ...(template.metadata?.labels ?? {}), ...(generation !== undefined ? { [TEMPLATE_GENERATION_LABEL]: generation } : {}), [REVISION_HASH_LABEL]: hash };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${meta(ds).name}-`,
      namespace: meta(ds).namespace,
      labels,
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [ownerRef],
    },
    spec,
  } as JsonObject;
};

/** util.IsPodUpdated: the pod carries the current hash or the current template generation. */
export const isPodUpdated = (pod: Obj, hash: string, generation: string | undefined): boolean => {
  const labels = meta(pod).labels ?? {};
  return (hash !== "" && labels[REVISION_HASH_LABEL] === hash) || (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation);
};

const created = (p: Obj) => Date.parse(meta(p).creationTimestamp ?? "") || 0;
/** podByCreationTimestampAndPhase: Running before others at equal time, then oldest first. */
const byAge = (a: Obj, b: Obj): number => created(a) - created(b) || meta(a).name.localeCompare(meta(b).name);

/** SurgeCount / UnavailableCount over the nodes that should run the pod, both rounded up; 0/0 becomes maxUnavailable 1. */
export const surgeAndUnavailable = (ds: Obj, desired: number): { maxSurge: number; maxUnavailable: number } => {
  const ru = ds.spec?.updateStrategy?.type === "RollingUpdate" ? (ds.spec.updateStrategy.rollingUpdate ?? {}) : undefined;
  const maxSurge = ru ? scaledValue(ru.maxSurge, desired, true) : 0;
  let maxUnavailable = ru ? scaledValue(ru.maxUnavailable, desired, true) : 0;
  if (desired > 0 && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
};
const allowsSurge = (ds: Obj): boolean => surgeAndUnavailable(ds, 1).maxSurge > 0;

export interface NodePlan {
  /** Nodes that get a new daemon pod. */
  create: string[];
  /** Pods to delete (excess, failed, or on nodes that should not run them). */
  delete: Obj[];
  /** Failed pods among `delete` (the FailedDaemonPod event). */
  failed: Obj[];
}

/**
 * podsShouldBeOnNode for one node: create where the pod belongs and none
 * exists; replace failed pods; keep one running pod (with surge: the oldest
 * new one, plus the oldest old one while the new one is not yet available);
 * delete every pod where it may not continue running.
 */
export const planNode = (ds: Obj, node: Obj, pods: readonly Obj[], hash: string, at = Date.now()): NodePlan => {
  const plan: NodePlan = { create: [], delete: [], failed: [] };
  const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
  if (shouldRun && pods.length === 0) {
    plan.create.push(meta(node).name);
    return plan;
  }
  if (!shouldContinueRunning) {
    plan.delete.push(...pods.filter((p) => !meta(p).deletionTimestamp));
    return plan;
  }
  const running: Obj[] = [];
  for (const pod of pods) {
    if (meta(pod).deletionTimestamp) continue;
    if (pod.status?.phase === "Failed") {
      plan.delete.push(pod);
      plan.failed.push(pod);
    } else running.push(pod);
  }
  running.sort(byAge);
  if (!allowsSurge(ds)) {
    plan.delete.push(...running.slice(1));
    return plan;
  }
  if (running.length <= 1) {
    if (running.length === 0 && shouldRun) plan.create.push(meta(node).name);
    return plan;
  }
  let oldestNew: Obj | undefined, oldestOld: Obj | undefined;
  for (const pod of running) {
    const isNew = meta(pod).labels?.[REVISION_HASH_LABEL] === hash;
    if (isNew && !oldestNew) oldestNew = pod;
    else if (!isNew && !oldestOld) oldestOld = pod;
    else plan.delete.push(pod);
  }
  if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, at))) plan.delete.push(oldestOld);
  return plan;
};

/** findUpdatedPodsOnNode: at most one new and one old non-deleted pod, else `ok: false` (manage prunes first). */
const updatedPodsOnNode = (pods: readonly Obj[], hash: string, generation: string | undefined): { newPod?: Obj; oldPod?: Obj; ok: boolean } => {
  let newPod: Obj | undefined, oldPod: Obj | undefined;
  for (const pod of pods) {
    if (meta(pod).deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { newPod, oldPod, ok: true };
};

/**
 * rollingUpdate. maxSurge 0: delete old pods — every unavailable one, and
 * available ones while fewer than maxUnavailable nodes are unavailable — and
 * let manage create the replacements once they are gone. maxSurge > 0:
 * create new pods next to old ones (at once where the old one is
 * unavailable, at most maxSurge at a time otherwise) and delete each old pod
 * once the new one beside it is available.
 */
export const planRollingUpdate = (ds: Obj, nodes: readonly Obj[], nodeToPods: ReadonlyMap<string, readonly Obj[]>, hash: string, at = Date.now()): { create: string[]; delete: Obj[] } => {
  const generation = templateGeneration(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: Obj) => isPodAvailable(p, minReady, at);
  const nodeByName = new Map(nodes.map((n) => [meta(n).name, n]));
  const desired = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).length;
  const { maxSurge, maxUnavailable } = surgeAndUnavailable(ds, desired);
  const entries = [...nodeToPods].sort(([a], [b]) => a.localeCompare(b));
  if (maxSurge === 0) {
    let numUnavailable = 0;
    const replace: Obj[] = [];
    const candidates: Obj[] = [];
    for (const [, pods] of entries) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(pods, hash, generation);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) numUnavailable++;
      else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod && !available(oldPod)) {
        replace.push(oldPod);
        numUnavailable++;
      } else if (oldPod && numUnavailable < maxUnavailable) candidates.push(oldPod);
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    return { create: [], delete: [...replace, ...candidates.slice(0, remaining)] };
  }
  const toDelete: Obj[] = [];
  const shouldNotRun: Obj[] = [];
  const candidateNodes: string[] = [];
  const allowedNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const [nodeName, pods] of entries) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(pods, hash, generation);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (oldPod ? available(oldPod) : newPod && available(newPod)) numAvailable++;
    if (!oldPod) continue;
    const node = nodeByName.get(nodeName);
    const shouldRun = node ? nodeShouldRunDaemonPod(node, ds).shouldRun : false;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun) toDelete.push(oldPod);
        else allowedNodes.push(nodeName);
      } else if (!shouldRun) shouldNotRun.push(oldPod);
      else if (numSurge < maxSurge) candidateNodes.push(nodeName);
    } else if (!available(newPod)) numSurge++;
    else toDelete.push(oldPod);
  }
  // With surge the owner expects full availability: pods on nodes that no longer qualify go only once others took over.
  const deletable = Math.min(Math.max(0, numAvailable - desired), shouldNotRun.length);
  toDelete.push(...shouldNotRun.slice(0, deletable));
  const remainingSurge = Math.min(Math.max(0, maxSurge - numSurge), candidateNodes.length);
  return { create: [...allowedNodes, ...candidateNodes.slice(0, remainingSurge)], delete: toDelete };
};

/** updateDaemonSetStatus: per node that should run the pod, the oldest daemon pod decides ready/available/updated. */
export const daemonSetStatusCounts = (ds: Obj, nodes: readonly Obj[], nodeToPods: ReadonlyMap<string, readonly Obj[]>, hash: string, at = Date.now()) => {
  const generation = templateGeneration(ds);
  let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
  for (const node of nodes) {
    const pods = [...(nodeToPods.get(meta(node).name) ?? [])].sort(byAge);
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) {
      if (pods.length > 0) misscheduled++;
      continue;
    }
    desired++;
    const pod = pods[0];
    if (!pod) continue;
    current++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, ds.spec?.minReadySeconds ?? 0, at)) available++;
    }
    if (isPodUpdated(pod, hash, generation)) updated++;
  }
  return {
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
};

