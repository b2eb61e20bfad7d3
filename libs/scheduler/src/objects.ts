/**
 * The scheduler's view of the objects plugins read besides nodes and pods:
 * namespaces (pod affinity's namespaceSelector), Services, ReplicaSets,
 * StatefulSets and ReplicationControllers (the selector of the system default
 * topology spreading), PodDisruptionBudgets (which victims preemption
 * prefers), each from its informer's cache.
 */
import type { JsonObject } from "@kubeactor/bus";
import type { Informer } from "@kubeactor/client";
import type { ApiLabelSelector, ClusterObjects, ControllerSelector, DisruptionBudget, Labels } from "./framework.ts";

export interface ObjectInformers {
  readonly namespaces?: Informer;
  readonly services?: Informer;
  readonly replicaSets?: Informer;
  readonly statefulSets?: Informer;
  readonly replicationControllers?: Informer;
  readonly podDisruptionBudgets?: Informer;
}

type Meta = { name?: string; namespace?: string; labels?: Record<string, string> };
const meta = (o: JsonObject) => (o.metadata ?? {}) as Meta;

export const informerObjects = (i: ObjectInformers): ClusterObjects => ({
  namespaceLabels: (name) => {
    const ns = i.namespaces?.get(name);
    return ns ? (meta(ns).labels ?? {}) : undefined;
  },
  namespaces: () => (i.namespaces?.list() ?? []).map((ns) => [meta(ns).name ?? "", (meta(ns).labels ?? {}) as Labels] as const),
  serviceSelectors: (namespace) =>
    (i.services?.byIndex("namespace", namespace) ?? []).map((s) => ((s.spec as { selector?: Labels } | undefined)?.selector ?? {}) as Labels),
  controllerSelector: (namespace, owner): ControllerSelector | undefined => {
    const key = `${namespace}/${owner.name}`;
    if (owner.kind === "ReplicationController") {
      const rc = i.replicationControllers?.get(key);
      const set = (rc?.spec as { selector?: Labels } | undefined)?.selector;
      return rc ? { set: set ?? {} } : undefined;
    }
    const from = owner.kind === "ReplicaSet" ? i.replicaSets : owner.kind === "StatefulSet" ? i.statefulSets : undefined;
    const obj = from?.get(key);
    const selector = (obj?.spec as { selector?: ApiLabelSelector } | undefined)?.selector;
    return obj && selector ? { selector } : undefined;
  },
  podDisruptionBudgets: () => (i.podDisruptionBudgets?.list() ?? []) as DisruptionBudget[],
});
