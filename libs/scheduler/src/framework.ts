/**
 * The scheduling framework, after kube-scheduler's: a cycle state shared by
 * the plugins for one pod, filter plugins that say whether a node can take
 * the pod (with kube-scheduler's reasons), score plugins that rank the nodes
 * that can, and NodeInfo — a node with the pods on it and what they use.
 *
 * Plugins are pure functions of (cycle state, pod, node info): they never do
 * I/O and never change the NodeInfo they are given.
 */
import {
  type LabelSelector as ApiLabelSelector,
  labelSelectorFromApi,
  matchesLabels,
  milliValue,
  newRequirement,
  nothing,
  parseQuantity,
  type Selector,
  value,
  type Node as NodeSchema,
  type Pod as PodSchema,
} from "@kubeactor/api";

export type Pod = PodSchema;
export type Node = typeof NodeSchema.Type;
export type Labels = Readonly<Record<string, string>>;
export type { ApiLabelSelector };
type Container = NonNullable<NonNullable<Pod["spec"]>["containers"]>[number];

/** kube-scheduler's status codes for filters (Error is a thrown exception here). */
export type Code = "Success" | "Unschedulable" | "UnschedulableAndUnresolvable";

export interface Status {
  readonly code: Code;
  /** Human reasons, exactly as kube-scheduler words them; they are counted into `0/N nodes are available: ...`. */
  readonly reasons: readonly string[];
}

export const success: Status = { code: "Success", reasons: [] };
export const unschedulable = (...reasons: string[]): Status => ({ code: "Unschedulable", reasons });
export const unresolvable = (...reasons: string[]): Status => ({ code: "UnschedulableAndUnresolvable", reasons });

/** kube-scheduler's MaxNodeScore: every score plugin's normalised output lies in [0, 100]. */
export const MAX_NODE_SCORE = 100;

/** Per-cycle data: plugins compute what depends only on the pod once (PreFilter/PreScore) and read it per node. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  read<T>(key: string, compute: () => T): T {
    // Called per node per plugin: one lookup on the hot path.
    let v = this.data.get(key) as T | undefined;
    if (v === undefined && !this.data.has(key)) this.data.set(key, (v = compute()));
    return v as T;
  }
  /** `read` without a closure per call (filters and scores run it per node): `compute(arg)` once. */
  memo<A, T>(key: string, compute: (arg: A) => T, arg: A): T {
    let v = this.data.get(key) as T | undefined;
    if (v === undefined && !this.data.has(key)) this.data.set(key, (v = compute(arg)));
    return v as T;
  }
  /** What a PreFilter / PreScore wrote, or undefined. */
  get<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, v: unknown): void {
    this.data.set(key, v);
  }
  /**
   * A copy for a preemption dry run (kube's CycleState.Clone): the entries are
   * shared, so a plugin's addPod/removePod must write a new value rather than
   * change the one it read.
   */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, v);
    return c;
  }
}

export interface FilterPlugin {
  readonly name: string;
  /**
   * PreFilter: once per cycle, before any node is filtered, compute what depends
   * on the pod and the whole cluster (every node, not only those filtered) into
   * `state`. A non-Success status rejects every node with it.
   */
  preFilter?(state: CycleState, pod: Pod, cluster: NodeSource): Status | undefined;
  /**
   * PreFilterExtensions (AddPod / RemovePod): bring this plugin's PreFilter
   * state in `state` up to date after `changed` was added to or removed from
   * `node`, as a dry run does, instead of recomputing it over the cluster.
   * Required of every plugin whose PreFilter counts pods; without them a dry
   * run recomputes every PreFilter. Write a new value: `state` may be a clone.
   */
  addPod?(state: CycleState, pod: Pod, changed: PodInfo, node: NodeInfo): void;
  /**
   * PreFilter's Skip (asked after every PreFilter ran): true when this filter
   * would pass every node for this pod, so the cycle does not run it.
   */
  skip?(state: CycleState, pod: Pod): boolean;
  removePod?(state: CycleState, pod: Pod, changed: PodInfo, node: NodeInfo): void;
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status;
}

export interface ScorePlugin {
  readonly name: string;
  /** PreScore: once per cycle, with the feasible nodes (in scoring order) and the whole cluster. */
  preScore?(state: CycleState, pod: Pod, feasible: readonly NodeInfo[], cluster: NodeSource): void;
  /** PreScore's Skip (asked after PreScore): true when every node would score 0 after normalising; the cycle neither runs nor reports it. */
  skip?(state: CycleState, pod: Pod): boolean;
  /** A raw score; without `normalize` it must already lie in [0, MAX_NODE_SCORE]. */
  score(state: CycleState, pod: Pod, node: NodeInfo): number;
  /** Rewrites the raw scores of all feasible nodes (same order) into [0, MAX_NODE_SCORE]. */
  normalize?(state: CycleState, pod: Pod, scores: number[]): number[];
}

/** kube-scheduler's pluginhelper.DefaultNormalizeScore: scale to [0, max], optionally reversed. */
export const defaultNormalize = (scores: number[], reverse: boolean, max = MAX_NODE_SCORE): number[] => {
  // Loops, not Math.max(...scores) and map: this runs per score plugin over ~500 nodes every cycle.
  let highest = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > highest) highest = scores[i]!;
  const out = new Array<number>(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const n = highest === 0 ? 0 : Math.trunc((max * scores[i]!) / highest);
    out[i] = reverse ? max - n : n;
  }
  return out;
};

// ---------------------------------------------------------------- resources

/** CPU in millicores, memory and ephemeral storage in bytes, extended resources in their units. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  scalar: Record<string, number>;
}

export const emptyResources = (): Resources => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: {} });

/** kube-scheduler's defaults for containers that request nothing, so scoring still spreads them (pkg/scheduler/util). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

type ResourceList = Readonly<Record<string, string | number>> | undefined;

/**
 * Parsed quantities by their text: a cluster's pods repeat a few request strings ("100m", "500Mi"), and every pod
 * was parsed ~6 times (its cycle, its assumption, its confirmation; requests with and without the scoring defaults).
 * Bounded: cleared when full.
 */
const parsedQuantities = new Map<string, number>();
const PARSED_QUANTITIES_MAX = 4096;

const num = (q: string | number, milli: boolean): number => {
  // A JSON number parses as its text does.
  const key = milli ? `m${q}` : `${q}`;
  let n = parsedQuantities.get(key);
  if (n === undefined) {
    const parsed = parseQuantity(q);
    n = Number(milli ? milliValue(parsed) : value(parsed));
    if (parsedQuantities.size >= PARSED_QUANTITIES_MAX) parsedQuantities.clear();
    parsedQuantities.set(key, n);
  }
  return n;
};

/** What the scheduler accounts: cpu, memory, ephemeral-storage and extended/hugepages resources (not `pods`). */
export const isScalarResource = (name: string): boolean =>
  name.startsWith("hugepages-") || name.startsWith("attachable-volumes-") || (name.includes("/") && !name.startsWith("kubernetes.io/"));

export const resourcesFromList = (list: ResourceList): Resources => {
  const r = emptyResources();
  for (const [name, q] of Object.entries(list ?? {})) {
    if (name === "cpu") r.milliCPU = num(q, true);
    else if (name === "memory") r.memory = num(q, false);
    else if (name === "ephemeral-storage") r.ephemeralStorage = num(q, false);
    else if (isScalarResource(name)) r.scalar[name] = num(q, false);
  }
  return r;
};

export const addResources = (a: Resources, b: Resources, sign = 1): Resources => {
  const scalar = { ...a.scalar };
  for (const [k, v] of Object.entries(b.scalar)) scalar[k] = (scalar[k] ?? 0) + sign * v;
  return {
    milliCPU: a.milliCPU + sign * b.milliCPU,
    memory: a.memory + sign * b.memory,
    ephemeralStorage: a.ephemeralStorage + sign * b.ephemeralStorage,
    scalar,
  };
};

/**
 * `target += sign * b` in place: a NodeInfo's running totals change with
 * every pod placed, and a new object each time scattered them over the heap,
 * away from their NodeInfo (a cycle reads them on ~500 nodes).
 */
const addResourcesInPlace = (target: Resources, b: Resources, sign: number): void => {
  target.milliCPU += sign * b.milliCPU;
  target.memory += sign * b.memory;
  target.ephemeralStorage += sign * b.ephemeralStorage;
  for (const k in b.scalar) target.scalar[k] = (target.scalar[k] ?? 0) + sign * b.scalar[k]!;
};

const maxResources = (a: Resources, b: Resources): Resources => {
  const scalar = { ...a.scalar };
  for (const [k, v] of Object.entries(b.scalar)) scalar[k] = Math.max(scalar[k] ?? 0, v);
  return {
    milliCPU: Math.max(a.milliCPU, b.milliCPU),
    memory: Math.max(a.memory, b.memory),
    ephemeralStorage: Math.max(a.ephemeralStorage, b.ephemeralStorage),
    scalar,
  };
};

const containerRequests = (c: Container, nonZero: boolean): Resources => {
  const req = (c.resources?.requests ?? undefined) as ResourceList;
  const r = resourcesFromList(req);
  if (nonZero) {
    if (req?.cpu === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (req?.memory === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
};

/**
 * A pod's effective request, as kube-scheduler computes it (k8s.io/component-helpers
 * resource.PodRequests): the larger of (sum of app containers + restartable init
 * containers, i.e. sidecars) and each regular init container's request plus the
 * sidecars started before it; then the pod overhead on top. `nonZero` applies the
 * scoring defaults (100m CPU, 200Mi memory) to containers that request nothing.
 */
export const podRequests = (pod: Pod, nonZero = false): Resources => {
  const spec = pod.spec;
  // The usual pod (no init containers): the sum of its containers, plus the overhead, added up in one object.
  if (!spec?.initContainers?.length) {
    const total = emptyResources();
    for (const c of spec?.containers ?? []) addResourcesInPlace(total, containerRequests(c, nonZero), 1);
    if (spec?.overhead) addResourcesInPlace(total, resourcesFromList(spec.overhead as ResourceList), 1);
    return total;
  }
  let sum = emptyResources();
  for (const c of spec?.containers ?? []) sum = addResources(sum, containerRequests(c, nonZero));
  let sidecars = emptyResources();
  let initMax = emptyResources();
  for (const c of spec?.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if ((c as { restartPolicy?: string }).restartPolicy === "Always") {
      sidecars = addResources(sidecars, r);
      initMax = maxResources(initMax, sidecars);
    } else {
      initMax = maxResources(initMax, addResources(r, sidecars));
    }
  }
  let total = maxResources(addResources(sum, sidecars), initMax);
  if (spec?.overhead) total = addResources(total, resourcesFromList(spec.overhead as ResourceList));
  return total;
};

// ---------------------------------------------------------------- node info

export interface HostPort {
  readonly ip: string;
  readonly protocol: string;
  readonly port: number;
}

/** The host ports a pod asks for (containers and sidecars), with kube's defaults (0.0.0.0, TCP). */
export const podHostPorts = (pod: Pod): HostPort[] => {
  const out: HostPort[] = [];
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => (c as { restartPolicy?: string }).restartPolicy === "Always")];
  for (const c of containers)
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || "0.0.0.0", protocol: p.protocol || "TCP", port: p.hostPort });
    }
  return out;
};

export interface PodInfo {
  readonly key: string;
  readonly pod: Pod;
  readonly requests: Resources;
  readonly nonZeroRequests: Resources;
  readonly ports: readonly HostPort[];
  /** Parsed pod (anti-)affinity terms (kube's PodInfo), present only when the pod has any. */
  readonly affinity?: PodAffinityTerms | undefined;
}

export const podKey = (pod: Pod): string => `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;

export const podInfoOf = (pod: Pod): PodInfo => ({
  key: podKey(pod),
  pod,
  requests: podRequests(pod),
  nonZeroRequests: podRequests(pod, true),
  ports: podHostPorts(pod),
  affinity: podAffinityTerms(pod),
});

export interface ImageState {
  readonly size: number;
  /** How many nodes have the image (ImageLocality spreads its score by it). */
  numNodes: number;
}

/**
 * A node as the plugins see it: the Node object, the pods counted against it
 * (bound or assumed), what they request, the host ports they hold and the
 * images the node has. Mutated only by the cache (and fake sources in tests).
 */
const NO_TAINTS: readonly Taint[] = [];

/**
 * Indices into NodeInfo.amounts: allocatable, requested and non-zero-requested cpu (millicores), memory and
 * ephemeral storage (bytes), side by side in one small typed array (kept on the heap next to its header).
 * NodeResourcesFit and BalancedAllocation read them on ~500 nodes per cycle; through `allocatable`,
 * `requested` and `nonZeroRequested` each read reached into another object, and memory (beyond small
 * integers) into a boxed number: ~6 cache misses per node, most of the filter's time while other processes
 * share the cores.
 */
export const ALLOC_CPU = 0;
export const ALLOC_MEMORY = 1;
export const ALLOC_EPHEMERAL = 2;
export const REQ_CPU = 3;
export const REQ_MEMORY = 4;
export const REQ_EPHEMERAL = 5;
export const NONZERO_CPU = 6;
export const NONZERO_MEMORY = 7;
const AMOUNTS = 8;
const NO_LABELS: Labels = Object.freeze({});

export class NodeInfo {
  /**
   * metadata.name and labels, spec.taints and spec.unschedulable, kept here: every cycle
   * reads them on every node it considers, and the Node object (parsed from a
   * watch event) lies elsewhere in the heap.
   */
  name = "";
  labels: Labels = NO_LABELS;
  taints: readonly Taint[] = NO_TAINTS;
  unschedulable = false;
  /** pods.size, without reaching into the Map's table. */
  numPods = 0;
  readonly pods = new Map<string, PodInfo>();
  requested: Resources = emptyResources();
  /** Requests with the scoring defaults for containers that request nothing. */
  nonZeroRequested: Resources = emptyResources();
  usedPorts: HostPort[] = [];
  allocatable: Resources = emptyResources();
  /** The same figures for cpu, memory and ephemeral storage, dense (ALLOC_CPU, ...); kept in step by setNode, addPod and removePod. */
  amounts = new Float64Array(AMOUNTS);
  allowedPodNumber = 0;
  /** Image name → state, for ImageLocality. */
  imageStates = new Map<string, ImageState>();
  /** Pods with any pod (anti-)affinity, and those with required anti-affinity (InterPodAffinity reads only these). */
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;

  constructor(public node: Node) {
    this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    this.name = node.metadata?.name ?? "";
    this.labels = node.metadata?.labels ?? NO_LABELS;
    this.taints = node.spec?.taints?.length ? node.spec.taints : NO_TAINTS;
    this.unschedulable = node.spec?.unschedulable === true;
    // kube-scheduler reads status.allocatable only; a node without it falls back to capacity here,
    // which is what allocatable defaults to when the kubelet reserves nothing.
    const list = (node.status?.allocatable ?? node.status?.capacity) as ResourceList;
    // Written into the object the NodeInfo was born with, which lies next to it (clones copy it).
    const fresh = resourcesFromList(list);
    const a = this.allocatable;
    a.milliCPU = fresh.milliCPU;
    a.memory = fresh.memory;
    a.ephemeralStorage = fresh.ephemeralStorage;
    a.scalar = fresh.scalar;
    this.amounts[ALLOC_CPU] = a.milliCPU;
    this.amounts[ALLOC_MEMORY] = a.memory;
    this.amounts[ALLOC_EPHEMERAL] = a.ephemeralStorage;
    this.allowedPodNumber = list?.pods !== undefined ? num(list.pods, false) : 0;
    this.imageStates = new Map();
    for (const image of node.status?.images ?? [])
      for (const name of image.names ?? []) this.imageStates.set(name, { size: image.sizeBytes ?? 0, numNodes: 1 });
  }

  addPod(info: PodInfo): void {
    if (this.pods.has(info.key)) this.removePod(info.key);
    this.pods.set(info.key, info);
    this.numPods = this.pods.size;
    if (info.affinity) {
      this.podsWithAffinity++;
      if (info.affinity.requiredAnti.length > 0) this.podsWithRequiredAntiAffinity++;
    }
    addResourcesInPlace(this.requested, info.requests, 1);
    addResourcesInPlace(this.nonZeroRequested, info.nonZeroRequests, 1);
    this.syncRequested();
    if (info.ports.length > 0) this.usedPorts = [...this.usedPorts, ...info.ports];
  }

  removePod(key: string): boolean {
    const info = this.pods.get(key);
    if (!info) return false;
    this.pods.delete(key);
    this.numPods = this.pods.size;
    if (info.affinity) {
      this.podsWithAffinity--;
      if (info.affinity.requiredAnti.length > 0) this.podsWithRequiredAntiAffinity--;
    }
    addResourcesInPlace(this.requested, info.requests, -1);
    addResourcesInPlace(this.nonZeroRequested, info.nonZeroRequests, -1);
    this.syncRequested();
    if (info.ports.length === 0) return true;
    const remaining = [...info.ports];
    this.usedPorts = this.usedPorts.filter((p) => {
      const i = remaining.findIndex((q) => q.ip === p.ip && q.protocol === p.protocol && q.port === p.port);
      if (i < 0) return true;
      remaining.splice(i, 1);
      return false;
    });
    return true;
  }

  private syncRequested(): void {
    const v = this.amounts;
    v[REQ_CPU] = this.requested.milliCPU;
    v[REQ_MEMORY] = this.requested.memory;
    v[REQ_EPHEMERAL] = this.requested.ephemeralStorage;
    v[NONZERO_CPU] = this.nonZeroRequested.milliCPU;
    v[NONZERO_MEMORY] = this.nonZeroRequested.memory;
  }

  /** A copy the caller may change (preemption dry runs, tests); the Node object and image states are shared. */
  clone(): NodeInfo {
    // Field by field: the constructor would parse the node's quantities again (a dry run clones hundreds of nodes).
    const c: NodeInfo = Object.create(NodeInfo.prototype);
    Object.assign(c, {
      name: this.name,
      labels: this.labels,
      taints: this.taints,
      unschedulable: this.unschedulable,
      numPods: this.numPods,
      node: this.node,
      pods: new Map(this.pods),
      requested: { ...this.requested, scalar: { ...this.requested.scalar } },
      nonZeroRequested: { ...this.nonZeroRequested, scalar: { ...this.nonZeroRequested.scalar } },
      usedPorts: this.usedPorts,
      allocatable: { ...this.allocatable, scalar: { ...this.allocatable.scalar } },
      amounts: this.amounts.slice(),
      allowedPodNumber: this.allowedPodNumber,
      imageStates: this.imageStates,
      podsWithAffinity: this.podsWithAffinity,
      podsWithRequiredAntiAffinity: this.podsWithRequiredAntiAffinity,
    });
    return c;
  }
}

/**
 * The objects besides nodes and pods that plugins read: namespaces (pod
 * affinity's namespaceSelector) and what selects a pod (the system default
 * topology spreading: Services, and the pod's controller).
 */
export interface ClusterObjects {
  namespaceLabels(name: string): Labels | undefined;
  /** Every namespace with its labels. */
  namespaces(): Iterable<readonly [string, Labels]>;
  /** `spec.selector` of every Service in the namespace. */
  serviceSelectors(namespace: string): Iterable<Labels>;
  /**
   * The label selector of the pod's controller: a LabelSelector for ReplicaSets
   * and StatefulSets, a label map for ReplicationControllers; undefined when
   * that controller is unknown.
   */
  controllerSelector(namespace: string, owner: { apiVersion: string; kind: string; name: string }): ControllerSelector | undefined;
  /** Every PodDisruptionBudget (preemption prefers victims that violate none); absent means none. */
  podDisruptionBudgets?(): readonly DisruptionBudget[];
}

/** The parts of a policy/v1 PodDisruptionBudget preemption reads. */
export interface DisruptionBudget {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: { readonly selector?: ApiLabelSelector };
  readonly status?: { readonly disruptionsAllowed?: number; readonly disruptedPods?: Readonly<Record<string, string>> };
}

export type ControllerSelector = { readonly set: Labels } | { readonly selector: ApiLabelSelector };

/** No namespaces, services or controllers: what a node source without objects offers. */
export const noObjects: ClusterObjects = {
  namespaceLabels: () => undefined,
  namespaces: () => [],
  serviceSelectors: () => [],
  controllerSelector: () => undefined,
};

/** Where a scheduling cycle gets its nodes: the cache in production, a fixed list in tests. */
export interface NodeSource {
  /** Every node, in a stable order (the order feasible nodes and scores are reported in). */
  nodeInfos(): readonly NodeInfo[];
  /** Namespaces, services and controllers; absent means none. */
  readonly objects?: ClusterObjects | undefined;
  /** Pending pods nominated to this node by an earlier preemption (kube's nominator). */
  nominatedPods?(node: string): readonly PodInfo[];
  /** false when no pod is nominated anywhere, so a cycle need not ask node by node (absent: ask). */
  hasNominatedPods?(): boolean;
  /** false when no node reports any image (ImageLocality then need not look at each node; absent: look). */
  hasImages?(): boolean;
  /**
   * The nodes with a pod that has any pod (anti-)affinity, and those with a pod
   * that has required anti-affinity (kube's HavePodsWithAffinityNodeInfoList
   * and HavePodsWithRequiredAntiAffinityNodeInfoList): InterPodAffinity reads
   * only these unless the incoming pod has terms of its own. Absent: every node.
   */
  nodesWithPodAffinity?(): readonly NodeInfo[];
  nodesWithRequiredAntiAffinity?(): readonly NodeInfo[];
}

/** Static objects for tests. */
export interface FakeObjects {
  readonly namespaces?: Record<string, Labels>;
  readonly services?: { namespace: string; selector: Labels }[];
  readonly controllers?: { namespace: string; kind: string; name: string; selector: ControllerSelector }[];
  readonly podDisruptionBudgets?: DisruptionBudget[];
}

export const fakeObjects = (o: FakeObjects): ClusterObjects => ({
  namespaceLabels: (name) => o.namespaces?.[name],
  namespaces: () => Object.entries(o.namespaces ?? {}),
  serviceSelectors: (ns) => (o.services ?? []).filter((s) => s.namespace === ns).map((s) => s.selector),
  controllerSelector: (ns, owner) => o.controllers?.find((c) => c.namespace === ns && c.kind === owner.kind && c.name === owner.name)?.selector,
  podDisruptionBudgets: () => o.podDisruptionBudgets ?? [],
});

/** A fixed-order node source for tests: the nodes as given, with the given pods bound to them. */
export class FakeNodeSource implements NodeSource {
  readonly infos: NodeInfo[];
  readonly objects: ClusterObjects | undefined;
  constructor(nodes: readonly Node[], pods: readonly Pod[] = [], objects?: FakeObjects) {
    this.infos = nodes.map((n) => new NodeInfo(n));
    for (const p of pods) this.infos.find((i) => i.name === p.spec?.nodeName)?.addPod(podInfoOf(p));
    countImageNodes(this.infos);
    this.objects = objects ? fakeObjects(objects) : undefined;
  }
  nodeInfos(): readonly NodeInfo[] {
    return this.infos;
  }
}

/** Sets every image's `numNodes` to the number of the given nodes that have it (the cache keeps this incrementally). */
export const countImageNodes = (infos: readonly NodeInfo[]): void => {
  const counts = new Map<string, number>();
  for (const i of infos) for (const name of i.imageStates.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const i of infos) for (const [name, st] of i.imageStates) st.numNodes = counts.get(name) ?? 1;
};

// ---------------------------------------------------------------- helpers shared by plugins

export type Taint = NonNullable<NonNullable<Node["spec"]>["taints"]>[number];
type Toleration = NonNullable<NonNullable<Pod["spec"]>["tolerations"]>[number];

/** v1helper.Toleration.ToleratesTaint. */
export const toleratesTaint = (t: Toleration, taint: { key: string; value?: string | undefined; effect: string }): boolean => {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? "Equal") {
    case "Exists":
      return true;
    case "Equal":
    case "":
      return (t.value ?? "") === (taint.value ?? "");
    default:
      return false;
  }
};

export const tolerationsTolerateTaint = (ts: readonly Toleration[] | undefined, taint: Taint | { key: string; value?: string; effect: string }): boolean =>
  (ts ?? []).some((t) => toleratesTaint(t, taint));

// ---------------------------------------------------------------- pod affinity terms

/** kube's framework.AffinityTerm: a PodAffinityTerm with its selectors parsed. */
export interface AffinityTerm {
  readonly namespaces: ReadonlySet<string>;
  readonly selector: Selector;
  readonly namespaceSelector: Selector;
  readonly topologyKey: string;
}
export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

export interface PodAffinityTerms {
  readonly required: readonly AffinityTerm[];
  readonly requiredAnti: readonly AffinityTerm[];
  readonly preferred: readonly WeightedAffinityTerm[];
  readonly preferredAnti: readonly WeightedAffinityTerm[];
}

type ApiAffinityTerm = NonNullable<NonNullable<NonNullable<NonNullable<Pod["spec"]>["affinity"]>["podAffinity"]>["requiredDuringSchedulingIgnoredDuringExecution"]>[number];

const safeSelector = (sel: ApiLabelSelector | undefined): Selector => {
  try {
    return labelSelectorFromApi(sel);
  } catch {
    return nothing; // validation rejects bad selectors; an old object that has one matches nothing
  }
};

/**
 * newAffinityTerm: no namespaces and no namespaceSelector mean the pod's own
 * namespace. matchLabelKeys / mismatchLabelKeys add `key in (v)` / `key notin (v)`
 * for the pod's own label values (kube-apiserver merges them at creation;
 * kubeactor's API server does not, so the scheduler does).
 */
export const newAffinityTerm = (pod: Pod, term: ApiAffinityTerm): AffinityTerm => {
  const ns = pod.metadata?.namespace ?? "";
  const namespaces = new Set<string>(term.namespaces?.length || term.namespaceSelector ? (term.namespaces ?? []) : [ns]);
  let selector = safeSelector(term.labelSelector);
  const labels = pod.metadata?.labels ?? {};
  const extra = [
    ...(term.matchLabelKeys ?? []).filter((k) => Object.hasOwn(labels, k)).map((k) => ({ k, op: "in" as const })),
    ...(term.mismatchLabelKeys ?? []).filter((k) => Object.hasOwn(labels, k)).map((k) => ({ k, op: "notin" as const })),
  ];
  if (extra.length && !selector.nothing) {
    try {
      selector = { requirements: [...selector.requirements, ...extra.map(({ k, op }) => newRequirement(k, op, [labels[k]!]))] };
    } catch {
      /* an invalid key cannot be in labels that passed validation */
    }
  }
  return { namespaces, selector, namespaceSelector: safeSelector(term.namespaceSelector), topologyKey: term.topologyKey };
};

/** AffinityTerm.Matches: the pod's namespace is listed or its labels match the namespace selector, and its labels match. */
export const affinityTermMatches = (term: AffinityTerm, pod: Pod, nsLabels: Labels | undefined): boolean => {
  const ns = pod.metadata?.namespace ?? "";
  // Without namespace labels only an empty selector (every namespace) can match, as labels.Set(nil) in kube.
  if (!term.namespaces.has(ns) && !matchesLabels(term.namespaceSelector, nsLabels ?? {})) return false;
  return matchesLabels(term.selector, pod.metadata?.labels ?? {});
};

/** A selector with no requirements: `{}`, which selects everything (labels.Selector.Empty()). */
export const selectsEverything = (s: Selector): boolean => !s.nothing && s.requirements.length === 0;

/** The pod's parsed affinity terms, or undefined when it has no pod (anti-)affinity at all. */
export const podAffinityTerms = (pod: Pod): PodAffinityTerms | undefined => {
  const a = pod.spec?.affinity;
  if (!a?.podAffinity && !a?.podAntiAffinity) return undefined;
  const req = (ts: readonly ApiAffinityTerm[] | undefined) => (ts ?? []).map((t) => newAffinityTerm(pod, t));
  const pref = (ts: readonly { weight: number; podAffinityTerm: ApiAffinityTerm }[] | undefined) =>
    (ts ?? []).map((t) => ({ ...newAffinityTerm(pod, t.podAffinityTerm), weight: t.weight }));
  return {
    required: req(a.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAnti: req(a.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    preferred: pref(a.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAnti: pref(a.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
};
