/**
 * The scheduler's cache: one NodeInfo per node with the pods counted against
 * it, fed by the node and pod informers (scheduled, non-terminal pods count
 * against their node). A pod the scheduler has chosen a node for is *assumed*
 * onto it at once, before the binding is written, so the next cycles see the
 * node's capacity as taken and a burst never double-books a node; a failed
 * binding *forgets* it, and the informer seeing the pod bound *confirms* it
 * (replacing the assumed copy with the real object, wherever it landed).
 */
import { type ClusterObjects, type ImageState, type Node, NodeInfo, type NodeSource, type Pod, type PodInfo, podInfoOf, podKey } from "./framework.ts";

interface Slot {
  info: NodeInfo;
  /** false while only pods (no Node object) have been seen for this name. */
  hasNode: boolean;
}

const NONE: readonly PodInfo[] = [];

export class SchedulerCache implements NodeSource {
  private readonly slots = new Map<string, Slot>();
  /** Pod key → the node it is counted on. */
  private readonly podNode = new Map<string, string>();
  private readonly assumed = new Set<string>();
  /** Namespaces, Services and controllers (set by the runnable scheduler from its informers). */
  objects: ClusterObjects | undefined;
  /** Node → pending pods nominated to it (kube's nominator), and pod key → its node. */
  private readonly nominatedOn = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNode = new Map<string, string>();

  /** Nominate a pending pod to a node (preemption chose it, or its status says so); undefined clears it. */
  nominate(pod: Pod, node: string | undefined): void {
    const key = podKey(pod);
    const old = this.nominatedNode.get(key);
    if (old !== undefined) {
      this.nominatedOn.get(old)?.delete(key);
      if (this.nominatedOn.get(old)?.size === 0) this.nominatedOn.delete(old);
      this.nominatedNode.delete(key);
    }
    if (!node) return;
    let onNode = this.nominatedOn.get(node);
    if (!onNode) this.nominatedOn.set(node, (onNode = new Map()));
    onNode.set(key, podInfoOf(pod));
    this.nominatedNode.set(key, node);
  }

  hasImages(): boolean {
    return this.images.size > 0;
  }

  hasNominatedPods(): boolean {
    return this.nominatedNode.size > 0;
  }

  nominatedPods(node: string): readonly PodInfo[] {
    const onNode = this.nominatedOn.get(node);
    return onNode ? [...onNode.values()] : NONE;
  }

  /** The list nodeInfos() returns, rebuilt only after a node comes or goes (several plugins read it every cycle). */
  private infos: NodeInfo[] | undefined;

  nodeInfos(): readonly NodeInfo[] {
    if (!this.infos) {
      this.infos = [];
      for (const s of this.slots.values()) if (s.hasNode) this.infos.push(s.info);
    }
    return this.infos;
  }

  /** Rebuilt after a node comes or goes or a pod with pod (anti-)affinity is placed or removed. */
  private withAffinity: { any: NodeInfo[]; requiredAnti: NodeInfo[] } | undefined;

  private affinityLists(): { any: NodeInfo[]; requiredAnti: NodeInfo[] } {
    if (!this.withAffinity) {
      const lists = { any: [] as NodeInfo[], requiredAnti: [] as NodeInfo[] };
      for (const info of this.nodeInfos()) {
        if (info.podsWithAffinity > 0) lists.any.push(info);
        if (info.podsWithRequiredAntiAffinity > 0) lists.requiredAnti.push(info);
      }
      this.withAffinity = lists;
    }
    return this.withAffinity;
  }

  nodesWithPodAffinity(): readonly NodeInfo[] {
    return this.affinityLists().any;
  }

  nodesWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.affinityLists().requiredAnti;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    const s = this.slots.get(name);
    return s?.hasNode ? s.info : undefined;
  }

  get nodeCount(): number {
    return this.nodeInfos().length;
  }

  addNode(node: Node): void {
    const name = node.metadata?.name ?? "";
    const slot = this.slots.get(name);
    const before = slot?.hasNode ? [...slot.info.imageStates.keys()] : [];
    if (!slot?.hasNode) this.infos = this.withAffinity = undefined;
    if (slot) {
      slot.info.setNode(node);
      slot.hasNode = true;
    } else this.slots.set(name, { info: new NodeInfo(node), hasNode: true });
    this.shareImages(this.slots.get(name)!.info, before);
  }

  /** Image name → its state shared by every node that has it (numNodes counts them, as kube's cache does). */
  private readonly images = new Map<string, ImageState>();

  /** Count the node's images (after the node changed from having `before`) and point its entries at the shared states. */
  private shareImages(info: NodeInfo, before: readonly string[]): void {
    const now = new Set(info.imageStates.keys());
    for (const name of before) if (!now.has(name)) this.releaseImage(name);
    const had = new Set(before);
    for (const [name, own] of [...info.imageStates]) {
      let shared = this.images.get(name);
      if (!shared) this.images.set(name, (shared = { size: own.size, numNodes: 0 }));
      if (!had.has(name)) shared.numNodes++;
      info.imageStates.set(name, shared);
    }
  }

  private releaseImage(name: string): void {
    const shared = this.images.get(name);
    if (!shared) return;
    if (--shared.numNodes <= 0) this.images.delete(name);
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(name: string): void {
    const slot = this.slots.get(name);
    if (!slot) return;
    if (slot.hasNode) for (const image of slot.info.imageStates.keys()) this.releaseImage(image);
    this.infos = this.withAffinity = undefined;
    // Pods still bound to a deleted node keep counting until they go (kube keeps a ghost NodeInfo too).
    if (slot.info.pods.size > 0) slot.hasNode = false;
    else this.slots.delete(name);
  }

  private slotFor(nodeName: string): Slot {
    let slot = this.slots.get(nodeName);
    if (!slot) {
      slot = { info: new NodeInfo({ metadata: { name: nodeName } } as Node), hasNode: false };
      this.slots.set(nodeName, slot);
    }
    return slot;
  }

  private place(pod: Pod, nodeName: string): void {
    const key = podKey(pod);
    this.unplace(key);
    const info = podInfoOf(pod);
    if (info.affinity) this.withAffinity = undefined;
    this.slotFor(nodeName).info.addPod(info);
    this.podNode.set(key, nodeName);
  }

  private unplace(key: string): void {
    const nodeName = this.podNode.get(key);
    if (nodeName === undefined) return;
    this.podNode.delete(key);
    const slot = this.slots.get(nodeName);
    if (!slot) return;
    if (slot.info.pods.get(key)?.affinity) this.withAffinity = undefined;
    slot.info.removePod(key);
    if (!slot.hasNode && slot.info.pods.size === 0) this.slots.delete(nodeName);
  }

  /**
   * A pod from the informer: bound and not finished → counted on its node
   * (confirming an assumption); otherwise not counted, unless it is assumed.
   */
  upsertPod(pod: Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName;
    const finished = pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
    if (nodeName) this.nominate(pod, undefined);
    else this.nominate(pod, (pod.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName || this.nominatedNode.get(key));
    if (nodeName && !finished) {
      this.assumed.delete(key);
      this.place(pod, nodeName);
    } else if (!this.assumed.has(key)) this.unplace(key);
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    this.nominate(pod, undefined);
    this.assumed.delete(key);
    this.unplace(key);
  }

  /** Count the pod on `nodeName` now, before its binding is written. */
  assume(pod: Pod, nodeName: string): void {
    const key = podKey(pod);
    this.nominate(pod, undefined);
    const copy = { ...pod, spec: { ...pod.spec, nodeName } } as Pod;
    this.place(copy, nodeName);
    this.assumed.add(key);
  }

  /** The binding failed: give the node its room back (only if the informer has not confirmed the pod meanwhile). */
  forget(key: string): void {
    if (!this.assumed.delete(key)) return;
    this.unplace(key);
  }

  /** The pod is counted on a node (bound, or assumed). */
  isCounted(key: string): boolean {
    return this.podNode.has(key);
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  get assumedCount(): number {
    return this.assumed.size;
  }
}
