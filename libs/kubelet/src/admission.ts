/**
 * Pod admission, as the kubelet's predicateAdmitHandler does it before it
 * starts a pod: a pod bound straight to the node (spec.nodeName, no
 * scheduler) or a race the scheduler lost must still fit. The checks are the
 * scheduler's own predicates (as upstream reuses them), against the node's
 * allocatable and the pods this node already admitted and that are not
 * finished:
 *
 *   OS label / spec.os → NodeResourcesFit (pods, cpu, memory, ephemeral-storage,
 *   extended resources the node has) → NodeAffinity (nodeSelector + required
 *   affinity) → NodeName → NodePorts → TaintToleration (NoExecute taints only)
 *
 * Only the first failure is reported; the kubelet turns it into a Failed pod
 * with that reason and `Pod was rejected: <message>`.
 */
import type { JsonObject } from "@kubeactor/bus";
import {
  CycleState, ErrReasonNodeName, ErrReasonNodePorts, ErrReasonPod, NODE_AFFINITY, NODE_NAME, NODE_PORTS, NodeInfo, nodePorts,
  type Node, type Pod, type PodInfo, podInfoOf, podMatchesNodeSelectorAndAffinity, podRequests, TAINT_TOLERATION, tolerationsTolerateTaint,
} from "@kubeactor/scheduler";

export type AdmitResult = { readonly admit: true } | { readonly admit: false; readonly reason: string; readonly message: string };

/** tainttoleration.ErrReasonNotMatch: the kubelet names no taint. */
export const ErrReasonTaintsNotTolerated = "node(s) had taints that the pod didn't tolerate";
/** The prefix of a rejected pod's status.message (kubelet rejectPod). */
export const REJECTED_PREFIX = "Pod was rejected: ";

const OS_LABEL = "kubernetes.io/os";
const NODE_OS = "linux";

/** lifecycle's reason constants: OutOfcpu, OutOfmemory, OutOfephemeral-storage, OutOfpods, OutOf<extended resource>. */
const outOf = (resource: string) => `OutOf${resource}`;

const insufficient = (resource: string, requested: number, used: number, capacity: number): AdmitResult => ({
  admit: false,
  reason: outOf(resource),
  message: `Node didn't have enough resource: ${resource}, requested: ${requested}, used: ${used}, capacity: ${capacity}`,
});
const predicateFailed = (name: string, desc: string): AdmitResult => ({ admit: false, reason: name, message: `Predicate ${name} failed: ${desc}` });

/** Extended resources are outside the kubernetes.io namespace (IsExtendedResourceName). */
const isExtended = (name: string) => name.includes("/") && !name.startsWith("kubernetes.io/") && !name.startsWith("requests.");

/**
 * The admitted pods' parsed requests and ports, per pod object: each admission sums every active
 * pod of the node, so without this a node of 30–110 pods parsed the same quantities again for
 * every pod it admitted. A pod object is replaced (so re-parsed) only when the informer delivers
 * a newer version.
 */
const infos = new WeakMap<Pod, PodInfo>();
const infoOf = (p: Pod): PodInfo => {
  let info = infos.get(p);
  if (!info) infos.set(p, (info = podInfoOf(p)));
  return info;
};

/** Every check in upstream order; the first failure is the answer. */
const check = (pod: Pod, node: Node, active: readonly Pod[]): AdmitResult => {
  // The node's OS label counts as the kubelet's own OS whatever it says (rejectPodAdmissionBasedOnOSSelector).
  const podOS = (pod.metadata?.labels as Record<string, string> | undefined)?.[OS_LABEL];
  if (podOS !== undefined && podOS !== NODE_OS) {
    return { admit: false, reason: "PodOSSelectorNodeLabelDoesNotMatch", message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label" };
  }
  const os = (pod.spec as { os?: { name?: string } } | undefined)?.os?.name;
  if (os !== undefined && os !== NODE_OS) return { admit: false, reason: "PodOSNotSupported", message: "Failed to admit pod as the OS field doesn't match node OS" };

  const info = new NodeInfo(node);
  for (const p of active) info.addPod(infoOf(p));

  // NodeResourcesFit (noderesources.Fits with every failure; the first one is reported).
  if (info.pods.size + 1 > info.allowedPodNumber) return insufficient("pods", 1, info.pods.size, info.allowedPodNumber);
  const req = podRequests(pod);
  // removeMissingExtendedResources: cluster-level extended resources the node does not know are not checked.
  for (const name of Object.keys(req.scalar)) if (isExtended(name) && info.allocatable.scalar[name] === undefined) delete req.scalar[name];
  const fits: [string, number, number, number][] = [
    ["cpu", req.milliCPU, info.requested.milliCPU, info.allocatable.milliCPU],
    ["memory", req.memory, info.requested.memory, info.allocatable.memory],
    ["ephemeral-storage", req.ephemeralStorage, info.requested.ephemeralStorage, info.allocatable.ephemeralStorage],
    ...Object.entries(req.scalar).map(([name, want]): [string, number, number, number] => [name, want, info.requested.scalar[name] ?? 0, info.allocatable.scalar[name] ?? 0]),
  ];
  for (const [name, want, used, capacity] of fits) if (want > 0 && want > capacity - used) return insufficient(name, want, used, capacity);

  if (!podMatchesNodeSelectorAndAffinity(pod, node)) return predicateFailed(NODE_AFFINITY, ErrReasonPod);
  if (pod.spec?.nodeName && pod.spec.nodeName !== node.metadata?.name) return predicateFailed(NODE_NAME, ErrReasonNodeName);
  if (nodePorts.filter(new CycleState(), pod, info).code !== "Success") return predicateFailed(NODE_PORTS, ErrReasonNodePorts);
  for (const taint of node.spec?.taints ?? []) {
    // The kubelet is only interested in NoExecute taints; NoSchedule ones were the scheduler's business.
    if (taint.effect === "NoExecute" && !tolerationsTolerateTaint(pod.spec?.tolerations, taint)) return predicateFailed(TAINT_TOLERATION, ErrReasonTaintsNotTolerated);
  }
  return { admit: true };
};

/**
 * Whether `pod` may run on `node` next to the `active` pods (admitted, not
 * finished). Never throws: a check that fails unexpectedly (say, an
 * unparsable quantity) rejects the pod with UnexpectedAdmissionError.
 */
export const admitPod = (pod: JsonObject, node: JsonObject, active: readonly JsonObject[]): AdmitResult => {
  try {
    return check(pod as unknown as Pod, node as unknown as Node, active as unknown as Pod[]);
  } catch (e) {
    return { admit: false, reason: "UnexpectedAdmissionError", message: `GeneralPredicates failed due to ${(e as Error).message}, which is unexpected.` };
  }
};
