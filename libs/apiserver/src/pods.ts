/**
 * Pod specifics of the registry: the status a new pod starts with (phase
 * Pending, its QoS class) and the `binding` subresource the scheduler uses to
 * place it — both as kube-apiserver's pod strategy does them.
 */
import { conflict, parseQuantity, compareQuantity, badRequest, forbidden, isStatusError, type ResourceInfo } from "@kubeactor/api";
import type { StoreClient } from "@kubeactor/client";
import { metaOf, nowTimestamp, type Obj } from "./objects.ts";

/** The Priority admission plugin: priorityClassName → spec.priority and spec.preemptionPolicy (see priority.ts). */
export { admitPodPriority } from "./priority.ts";

type Resources = { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
type Container = { resources?: Resources };

/** Guaranteed: every container limits cpu and memory and requests equal limits; BestEffort: nothing set; else Burstable. */
/** The core/v1 pods resource. */
export const isPods = (info: { group: string; resource: string }): boolean => info.group === "" && info.resource === "pods";

export const qosClass = (spec: { containers?: Container[]; initContainers?: Container[] }): string => {
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let anySet = false;
  let guaranteed = all.length > 0;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ["cpu", "memory"]) {
      const has = (m: Record<string, string | number>) => m[r] !== undefined && compareQuantity(parseQuantity(m[r]!), parseQuantity(0)) !== 0;
      if (has(req) || has(lim)) anySet = true;
      if (!has(lim)) guaranteed = false;
      else if (req[r] !== undefined && compareQuantity(parseQuantity(req[r]!), parseQuantity(lim[r]!)) !== 0) guaranteed = false;
    }
  }
  if (!anySet) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
};

/** `--default-not-ready-toleration-seconds` / `--default-unreachable-toleration-seconds` (Kubernetes: 300 each). */
export interface DefaultTolerationSeconds {
  readonly notReady: number;
  readonly unreachable: number;
}
export const DEFAULT_TOLERATION_SECONDS: DefaultTolerationSeconds = { notReady: 300, unreachable: 300 };

/**
 * The DefaultTolerationSeconds admission plugin: a pod that does not tolerate
 * the not-ready / unreachable NoExecute taints gets tolerations for them
 * (300 s unless the flags say otherwise), so it is evicted that long after
 * its node goes away, not at once.
 */
export const addDefaultTolerations = (pod: Obj, seconds: DefaultTolerationSeconds = DEFAULT_TOLERATION_SECONDS): void => {
  const spec = (pod.spec ??= {}) as { tolerations?: { key?: string; operator?: string; effect?: string; tolerationSeconds?: number }[] };
  const tolerations = (spec.tolerations ??= []);
  for (const [key, tolerationSeconds] of [["node.kubernetes.io/not-ready", seconds.notReady], ["node.kubernetes.io/unreachable", seconds.unreachable]] as const) {
    const covered = tolerations.some(
      (t) => (t.operator === "Exists" && (t.key === undefined || t.key === "") && (!t.effect || t.effect === "NoExecute")) || (t.key === key && (!t.effect || t.effect === "NoExecute")),
    );
    if (!covered) tolerations.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds });
  }
};

/** Kubernetes resets a new pod's status: Pending, with its QoS class. */
export const initialPodStatus = (pod: Obj): void => {
  pod.status = { phase: "Pending", qosClass: qosClass((pod.spec ?? {}) as never) };
};

/** The pod after a Binding: its node set and PodScheduled=True. 409 when it is already bound. */
export const bindPod = (pod: Obj, binding: Obj): Obj => {
  const target = (binding.target ?? {}) as { kind?: string; name?: string };
  if (!target.name) throw badRequest("target.name: Required value");
  if (target.kind !== undefined && target.kind !== "" && target.kind !== "Node") throw badRequest(`target.kind: Unsupported value: "${target.kind}"`);
  const spec = (pod.spec ?? {}) as { nodeName?: string };
  const name = metaOf(pod).name ?? "";
  if (spec.nodeName) throw conflict({ group: "", resource: "pods/binding" }, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
  if (metaOf(pod).deletionTimestamp) throw conflict({ group: "", resource: "pods/binding" }, name, `pod ${name} is being deleted, cannot be assigned to a host`);
  // Copies of what changes only (spec, status, its conditions): `pod` may be the watch cache's frozen object, and a
  // deep copy of the whole pod was most of the binding's CPU in the API server. The store encodes the result at once.
  const status = (pod.status ?? {}) as { conditions?: { type: string }[] };
  const conditions = (status.conditions ?? []).filter((c) => c.type !== "PodScheduled");
  conditions.push({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: nowTimestamp() } as never);
  return { ...pod, spec: { ...spec, nodeName: target.name }, status: { ...status, conditions } };
};

/**
 * The RuntimeClass admission plugin: a pod naming a RuntimeClass that does
 * not exist is refused (403), and the class' scheduling constraints are
 * merged into the pod (its nodeSelector; its tolerations when not already there).
 */
export const admitRuntimeClass = async (store: StoreClient, info: ResourceInfo, name: string, pod: Obj): Promise<void> => {
  const spec = (pod.spec ?? {}) as { runtimeClassName?: string; nodeSelector?: Record<string, string>; tolerations?: unknown[] };
  if (!spec.runtimeClassName) return;
  let rc: Obj;
  try {
    rc = await store.get({ group: "node.k8s.io", resource: "runtimeclasses", namespace: "", name: spec.runtimeClassName });
  } catch (e) {
    if (isStatusError(e) && e.status.code === 404) throw forbidden(info, name, `pod rejected: RuntimeClass "${spec.runtimeClassName}" not found`);
    throw e;
  }
  const scheduling = (rc.scheduling ?? {}) as { nodeSelector?: Record<string, string>; tolerations?: unknown[] };
  for (const [k, v] of Object.entries(scheduling.nodeSelector ?? {})) {
    if (spec.nodeSelector?.[k] !== undefined && spec.nodeSelector[k] !== v) {
      throw forbidden(info, name, `pod rejected: conflict: runtimeClass.scheduling.nodeSelector[${k}] = ${v}; pod.spec.nodeSelector[${k}] = ${spec.nodeSelector[k]}`);
    }
    (spec.nodeSelector ??= {})[k] = v;
  }
  for (const t of scheduling.tolerations ?? []) {
    if (!(spec.tolerations ?? []).some((x) => JSON.stringify(x) === JSON.stringify(t))) (spec.tolerations ??= []).push(t);
  }
  pod.spec = spec;
};
