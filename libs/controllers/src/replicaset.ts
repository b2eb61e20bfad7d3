/**
 * The replica machine: keeps `spec.replicas` active pods matching the
 * selector. Creates in slow-start batches (1, 2, 4, ...), deletes the pods
 * ranked cheapest first, adopts matching orphans and releases pods that no
 * longer match, and writes status (replicas, fullyLabeled, ready, available,
 * observedGeneration, ReplicaFailure). Expectations keep a reconcile from
 * acting again before the informer has seen its own creates and deletes.
 *
 * It serves apps/v1 ReplicaSets and, as kube's replication manager does by
 * running the ReplicaSet controller (pkg/controller/replication), core/v1
 * ReplicationControllers: the two differ only in their resource, the owner
 * kind on their pods, their event source, and a selector that is a plain
 * label map (util.selectorOf reads it as matchLabels).
 */
import { selectorFromSet } from "@kubeactor/api";
import { objectKey, type ResourceRef, type WorkQueue } from "@kubeactor/client";
import { Expectations } from "./expectations.ts";
import { followOwnedPods } from "./owned-pods.ts";
import { type Controller, PODS, REPLICASETS, REPLICATIONCONTROLLERS } from "./runtime.ts";
import {
  clone, controllerOf, controllerRef, isNotFound, isPodActive, isPodAvailable, isPodReady, jsonEqual, matches, meta, now, type Obj,
  rankPodsForDeletion, selectorOf, slowStartBatch,
} from "./util.ts";

/** Most pods created or deleted in one reconcile (Kubernetes' burstReplicas). */
export const BURST_REPLICAS = 500;

/** What one kind of replica owner brings to the machine. */
export interface ReplicaKind {
  /** The kind on its pods' controller references (the apiVersion comes from the object). */
  readonly kind: "ReplicaSet" | "ReplicationController";
  readonly resource: ResourceRef;
  /** Controller name and event source (kube's recorder component). */
  readonly component: string;
}

const replicaController = (k: ReplicaKind): Controller => ({
  name: k.component,
  workers: 5,
  setup(ctx, queue: WorkQueue) {
    const rsInf = ctx.informer(k.resource);
    const podInf = ctx.informer(PODS);
    const events = ctx.recorder(k.component);
    const expectations = new Expectations();

    followOwnedPods({ owners: rsInf, pods: podInf, kind: k.kind, queue, expectations });

    /** Adopt matching orphans, release owned pods that stopped matching; returns the pods this RS owns. */
    const claimPods = async (rs: Obj, pods: Obj[]): Promise<Obj[]> => {
      const owned: Obj[] = [];
      for (const pod of pods) {
        const action = claimAction(rs, pod);
        if (action === "own") owned.push(pod);
        else if (action === "release") {
          const released = clone(pod);
          released.metadata.ownerReferences = released.metadata.ownerReferences!.filter((r) => r.uid !== meta(rs).uid);
          await ctx.api.update(PODS, meta(pod).namespace!, released).catch((e) => { if (!isNotFound(e)) throw e; });
        } else if (action === "adopt") {
          const adopted = clone(pod);
          adopted.metadata.ownerReferences = [...(adopted.metadata.ownerReferences ?? []), controllerRef(rs)];
          owned.push((await ctx.api.update(PODS, meta(pod).namespace!, adopted)) as Obj);
        }
      }
      return owned;
    };

    const createPod = async (rs: Obj): Promise<void> => {
      const template = rs.spec?.template ?? {};
      const body = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          generateName: `${meta(rs).name}-`,
          namespace: meta(rs).namespace,
          ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
          ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
          ownerReferences: [controllerRef(rs)],
        },
        spec: template.spec,
      };
      try {
        const pod = await ctx.api.create(PODS, meta(rs).namespace!, body);
        void events.record(rs, "Normal", "SuccessfulCreate", `Created pod: ${meta(pod).name}`);
      } catch (e) {
        // A terminating namespace refuses new pods; that is not this controller's failure.
        if (/being terminated/.test((e as Error).message)) return;
        void events.record(rs, "Warning", "FailedCreate", `Error creating: ${(e as Error).message}`);
        throw e;
      }
    };

    const manageReplicas = async (key: string, rs: Obj, pods: Obj[]): Promise<void> => {
      const plan = replicaPlan(rs, pods);
      if (plan.create > 0) {
        const n = plan.create;
        expectations.expectCreations(key, n);
        const { successes, error } = await slowStartBatch(n, 1, () => createPod(rs));
        for (let i = successes; i < n; i++) expectations.creationObserved(key);
        if (error) throw error;
      } else if (plan.delete.length > 0) {
        const victims = plan.delete;
        expectations.expectDeletions(key, victims.map((p) => objectKey(p)));
        const results = await Promise.allSettled(victims.map(async (pod) => {
          try {
            await ctx.api.delete(PODS, meta(pod).namespace!, meta(pod).name);
            void events.record(rs, "Normal", "SuccessfulDelete", `Deleted pod: ${meta(pod).name}`);
          } catch (e) {
            expectations.deletionObserved(key, objectKey(pod));
            if (isNotFound(e)) return;
            void events.record(rs, "Warning", "FailedDelete", `Error deleting: ${(e as Error).message}`);
            throw e;
          }
        }));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
      }
    };

    return async (key) => {
      const rs = rsInf.get(key) as Obj | undefined;
      if (!rs) return void expectations.delete(key);
      const needsSync = expectations.satisfied(key) && !meta(rs).deletionTimestamp;
      const active = (podInf.byIndex("namespace", meta(rs).namespace ?? "") as Obj[]).filter(isPodActive);
      const pods = await claimPods(rs, active);
      let failure: unknown;
      if (needsSync) await manageReplicas(key, rs, pods).catch((e) => (failure = e));
      const status = replicaSetStatus(rs, pods, failure);
      if (!jsonEqual(status, rs.status ?? {})) await ctx.api.updateStatus(k.resource, meta(rs).namespace!, { ...clone(rs), status });
      if (failure) throw failure;
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && status.readyReplicas === status.replicas && status.availableReplicas !== status.replicas) return { requeueAfterMs: minReady * 1000 };
    };
  },
});

export const replicaSetController: Controller = replicaController({ kind: "ReplicaSet", resource: REPLICASETS, component: "replicaset-controller" });

/** kube's replication manager: the same machine for ReplicationControllers. */
export const replicationManager: Controller = replicaController({ kind: "ReplicationController", resource: REPLICATIONCONTROLLERS, component: "replication-controller" });

/**
 * ClaimPods' verdict on one active pod in the ReplicaSet's namespace: `own`
 * (ours and matching), `release` (ours, no longer matching), `adopt` (an
 * orphan that matches), `ignore` (another controller's, or nothing to do).
 * A ReplicaSet being deleted neither adopts nor releases.
 */
export const claimAction = (rs: Obj, pod: Obj): "own" | "release" | "adopt" | "ignore" => {
  const ref = controllerOf(pod);
  const deleting = !!meta(rs).deletionTimestamp;
  if (ref && ref.uid !== meta(rs).uid) return "ignore";
  const matching = matches(selectorOf(rs), pod);
  if (ref) return matching ? "own" : deleting ? "ignore" : "release";
  return matching && !deleting && !meta(pod).deletionTimestamp ? "adopt" : "ignore";
};

/** manageReplicas' decision: how many pods to create, or which to delete (cheapest first), at most burstReplicas. */
export const replicaPlan = (rs: Obj, pods: readonly Obj[]): { create: number; delete: Obj[] } => {
  const diff = pods.length - (rs.spec?.replicas ?? 1);
  if (diff < 0) return { create: Math.min(-diff, BURST_REPLICAS), delete: [] };
  if (diff > 0) return { create: 0, delete: rankPodsForDeletion(pods).slice(0, Math.min(diff, BURST_REPLICAS)) };
  return { create: 0, delete: [] };
};

/** calculateStatus: counts of the owned active pods, and a ReplicaFailure condition while creates or deletes fail. */
export const replicaSetStatus = (rs: Obj, pods: Obj[], failure?: unknown, at = Date.now()) => {
  const templateLabels = selectorFromSet(rs.spec?.template?.metadata?.labels ?? {});
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const count = (f: (p: Obj) => boolean) => pods.filter(f).length;
  const fully = count((p) => matches(templateLabels, p));
  const ready = count(isPodReady);
  const available = count((p) => isPodAvailable(p, minReady, at));
  let conditions = ((rs.status?.conditions ?? []) as { type: string }[]).filter((c) => c.type !== "ReplicaFailure" || failure);
  if (failure && !conditions.some((c) => c.type === "ReplicaFailure")) {
    const reason = pods.length < (rs.spec?.replicas ?? 1) ? "FailedCreate" : "FailedDelete";
    conditions = [...conditions, { type: "ReplicaFailure", status: "True", lastTransitionTime: now(), reason, message: (failure as Error).message } as { type: string }];
  }
  // Kubernetes' JSON omits zero counts except replicas.
  return {
    replicas: pods.length,
    ...(fully ? { fullyLabeledReplicas: fully } : {}),
    ...(ready ? { readyReplicas: ready } : {}),
    ...(available ? { availableReplicas: available } : {}),
    ...(meta(rs).generation ? { observedGeneration: meta(rs).generation } : {}),
    ...(conditions.length ? { conditions } : {}),
  };
};
