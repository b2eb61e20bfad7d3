/**
 * The StatefulSet controller: pods `<set>-<ordinal>` with stable hostnames
 * (and the Service subdomain), created in order and each Ready before the
 * next (OrderedReady) or all at once (Parallel), scaled down from the highest
 * ordinal, and rolled from the highest ordinal down to the partition
 * (RollingUpdate) or only where the user deleted a pod (OnDelete). The
 * template's revisions live in ControllerRevisions; each pod's
 * `controller-revision-hash` label names its revision. Each
 * volumeClaimTemplate becomes the claim `<template>-<set>-<ordinal>`, created
 * before its pod and mounted by it; claims outlive their pods (the Retain
 * retention policy: scaled-down or deleted sets keep their data).
 */
import { objectKey, type ResourceRef, type WorkQueue } from "@kubeactor/client";
import {
  CONTROLLERREVISIONS, REVISION_HASH_LABEL, RevisionCollision, deleteRevisions, ensureCurrentRevision, revisionData, revisionsToDelete, templateRevisionHash,
} from "./controller-history.ts";
import { cachedControllerKey } from "./owned-pods.ts";
import { type Controller, PODS } from "./runtime.ts";
import { planStatefulSet, podNameFor, podRevision, statefulClaimsFor, statefulPodFor, statefulSetStatus, templateOfRevision } from "./statefulset-util.ts";
import { clone, controllerOf, controllerRef, isAlreadyExists, isConflict, isNotFound, jsonEqual, matches, meta, type Obj, selectorOf } from "./util.ts";

export const STATEFULSETS: ResourceRef = { group: "apps", version: "v1", resource: "statefulsets" };
const PVCS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };


export const statefulSetController: Controller = {
  name: "statefulset-controller",
  workers: 2,
  setup(ctx, queue: WorkQueue) {
    const setInf = ctx.informer(STATEFULSETS);
    const podInf = ctx.informer(PODS);
    const crInf = ctx.informer(CONTROLLERREVISIONS);
    const events = ctx.recorder("statefulset-controller");

    const setKeyOf = cachedControllerKey(setInf, "StatefulSet");
    const onPod = (p: unknown) => {
      const pod = p as Obj;
      const key = setKeyOf(pod);
      if (key) return queue.add(key);
      if (controllerOf(pod)) return;
      for (const set of setInf.byIndex("namespace", meta(pod).namespace ?? "") as Obj[]) if (matches(selectorOf(set), pod)) queue.add(objectKey(set));
    };
    setInf.addHandler({ onAdd: (s) => queue.add(objectKey(s)), onUpdate: (_, s) => queue.add(objectKey(s)), onDelete: (s) => queue.add(objectKey(s)) });
    podInf.addHandler({
      onAdd: onPod,
      onUpdate: (o, p) => {
        const oldKey = setKeyOf(o as Obj);
        if (oldKey && oldKey !== setKeyOf(p as Obj)) queue.add(oldKey);
        onPod(p);
      },
      onDelete: onPod,
    });
    crInf.addHandler({ onAdd: (cr) => { const k = setKeyOf(cr as Obj); if (k) queue.add(k); }, onDelete: (cr) => { const k = setKeyOf(cr as Obj); if (k) queue.add(k); } });

    /** Adopt matching orphans, release owned pods that stopped matching; the pods this set owns. */
    const claimPods = async (set: Obj): Promise<Obj[]> => {
      const owned: Obj[] = [];
      for (const pod of podInf.byIndex("namespace", meta(set).namespace ?? "") as Obj[]) {
        const ref = controllerOf(pod);
        if (ref && ref.uid !== meta(set).uid) continue;
        const matching = matches(selectorOf(set), pod);
        if (ref && matching) owned.push(pod);
        else if (ref) {
          const released = clone(pod);
          released.metadata.ownerReferences = released.metadata.ownerReferences!.filter((r) => r.uid !== meta(set).uid);
          await ctx.api.update(PODS, meta(pod).namespace!, released).catch((e) => { if (!isNotFound(e)) throw e; });
        } else if (matching && !meta(pod).deletionTimestamp) {
          const adopted = clone(pod);
          adopted.metadata.ownerReferences = [...(adopted.metadata.ownerReferences ?? []), controllerRef(set)];
          owned.push((await ctx.api.update(PODS, meta(pod).namespace!, adopted)) as Obj);
        }
      }
      return owned;
    };

    /** createPersistentVolumeClaims: each claim template's claim exists before the pod (an existing claim is kept, data and all). */
    const createClaims = async (set: Obj, ordinal: number): Promise<void> => {
      for (const claim of statefulClaimsFor(set, ordinal)) {
        try {
          await ctx.api.create(PVCS, meta(set).namespace!, claim);
          void events.record(set, "Normal", "SuccessfulCreate", `create Claim ${meta(claim).name} Pod ${podNameFor(set, ordinal)} in StatefulSet ${meta(set).name} success`);
        } catch (e) {
          if (isAlreadyExists(e)) continue;
          void events.record(set, "Warning", "FailedCreate", `create Claim ${meta(claim).name} for Pod ${podNameFor(set, ordinal)} in StatefulSet ${meta(set).name} failed error: ${(e as Error).message}`);
          throw e;
        }
      }
    };

    const createPod = async (set: Obj, template: any, revisionName: string, ordinal: number): Promise<void> => {
      const name = podNameFor(set, ordinal);
      await createClaims(set, ordinal);
      try {
        await ctx.api.create(PODS, meta(set).namespace!, statefulPodFor(set, template, revisionName, ordinal, controllerRef(set)));
        void events.record(set, "Normal", "SuccessfulCreate", `create Pod ${name} in StatefulSet ${meta(set).name} successful`);
      } catch (e) {
        // The informer has not shown our own create yet, or the old pod is still terminating: the next sync sees it.
        if (isAlreadyExists(e)) return;
        void events.record(set, "Warning", "FailedCreate", `create Pod ${name} in StatefulSet ${meta(set).name} failed error: ${(e as Error).message}`);
        throw e;
      }
    };

    const deletePod = async (set: Obj, pod: Obj): Promise<void> => {
      try {
        // The uid precondition: a stale cache must never delete the pod that replaced this one.
        await ctx.api.delete(PODS, meta(pod).namespace!, meta(pod).name, { preconditions: { uid: meta(pod).uid } });
        void events.record(set, "Normal", "SuccessfulDelete", `delete Pod ${meta(pod).name} in StatefulSet ${meta(set).name} successful`);
      } catch (e) {
        if (isNotFound(e) || isConflict(e)) return;
        void events.record(set, "Warning", "FailedDelete", `delete Pod ${meta(pod).name} in StatefulSet ${meta(set).name} failed error: ${(e as Error).message}`);
        throw e;
      }
    };

    return async (key) => {
      const set = setInf.get(key) as Obj | undefined;
      if (!set || meta(set).deletionTimestamp) return;
      const pods = await claimPods(set);
      const histories = (crInf.byIndex("namespace", meta(set).namespace ?? "") as Obj[]).filter((h) => controllerOf(h)?.uid === meta(set).uid);
      let update: Obj;
      try {
        update = await ensureCurrentRevision(ctx.api, set, histories, revisionData(set), templateRevisionHash(set));
      } catch (e) {
        if (!(e instanceof RevisionCollision)) throw e;
        const bumped = clone(set);
        bumped.status = { ...(set.status ?? {}), collisionCount: (set.status?.collisionCount ?? 0) + 1 };
        await ctx.api.updateStatus(STATEFULSETS, meta(set).namespace!, bumped);
        throw e;
      }
      const current = histories.find((h) => meta(h).name === set.status?.currentRevision) ?? update;
      let failure: unknown;
      try {
        for (const step of planStatefulSet(set, pods, meta(update).name)) {
          if (step.op === "create") {
            const revision = step.revision === "current" ? current : update;
            await createPod(set, templateOfRevision(revision), meta(revision).name, step.ordinal);
          } else await deletePod(set, step.pod);
        }
        const live = new Set(pods.map((p) => podRevision(p)));
        const liveHashes = new Set(histories.filter((h) => live.has(meta(h).name) || meta(h).name === meta(current).name).map((h) => meta(h).labels?.[REVISION_HASH_LABEL] ?? ""));
        await deleteRevisions(ctx.api, revisionsToDelete(histories, update, liveHashes, set.spec?.revisionHistoryLimit ?? 10));
      } catch (e) {
        failure = e;
      }
      const counts = statefulSetStatus(set, pods, meta(current).name, meta(update).name);
      const old = set.status ?? {};
      // Zero counts other than replicas and availableReplicas are omitted, as Kubernetes' JSON does.
      const status: Record<string, unknown> = {
        observedGeneration: meta(set).generation,
        replicas: counts.replicas,
        ...(counts.readyReplicas ? { readyReplicas: counts.readyReplicas } : {}),
        ...(counts.currentReplicas ? { currentReplicas: counts.currentReplicas } : {}),
        ...(counts.updatedReplicas ? { updatedReplicas: counts.updatedReplicas } : {}),
        currentRevision: counts.currentRevision,
        updateRevision: counts.updateRevision,
        collisionCount: old.collisionCount ?? 0,
        availableReplicas: counts.availableReplicas,
      };
      if (!jsonEqual(status, old)) await ctx.api.updateStatus(STATEFULSETS, meta(set).namespace!, { ...clone(set), status });
      if (failure) throw failure;
      const minReady = set.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && counts.readyReplicas !== counts.availableReplicas) return { requeueAfterMs: minReady * 1000 };
    };
  },
};
