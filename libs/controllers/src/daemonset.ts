/**
 * The DaemonSet controller: one daemon pod on every node that should run it
 * (node selector, required node affinity, taints against the template's
 * tolerations plus the daemon ones). Each pod is pinned to its node with
 * required node affinity on metadata.name and bound by the default scheduler,
 * as kube does. The template's revisions live in ControllerRevisions; pods
 * carry `controller-revision-hash`. RollingUpdate replaces old pods within
 * maxUnavailable / maxSurge, OnDelete only where the user deleted them.
 * Expectations keep a reconcile from acting again before the informer has
 * seen its own creates and deletes.
 */
import { objectKey, type ResourceRef, type WorkQueue } from "@kubeactor/client";
import {
  CONTROLLERREVISIONS, REVISION_HASH_LABEL, RevisionCollision, deleteRevisions, ensureCurrentRevision, revisionData, revisionsToDelete, templateRevisionHash,
} from "./controller-history.ts";
import { daemonPodFor, daemonSetStatusCounts, nodeShouldRunDaemonPod, planNode, planRollingUpdate, targetNodeName } from "./daemonset-util.ts";
import { Expectations } from "./expectations.ts";
import { followOwnedPods } from "./owned-pods.ts";
import { type Controller, PODS } from "./runtime.ts";
import { clone, controllerOf, controllerRef, isNotFound, jsonEqual, matches, meta, type Obj, selectorOf, slowStartBatch } from "./util.ts";

export const DAEMONSETS: ResourceRef = { group: "apps", version: "v1", resource: "daemonsets" };
const NODES: ResourceRef = { group: "", version: "v1", resource: "nodes" };

/** Most pods created or deleted in one sync (the daemon controller's burstReplicas). */
export const DS_BURST_REPLICAS = 250;
/** Deleting a failed daemon pod on a node backs off from 1 s, doubling, to at most 15 min (failedPodsBackoff). */
const FAILED_BACKOFF_INITIAL_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60 * 1000;

const isTerminal = (p: Obj) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed";

export const daemonSetController: Controller = {
  name: "daemonset-controller",
  workers: 2,
  setup(ctx, queue: WorkQueue) {
    const dsInf = ctx.informer(DAEMONSETS);
    const podInf = ctx.informer(PODS);
    const nodeInf = ctx.informer(NODES);
    const crInf = ctx.informer(CONTROLLERREVISIONS);
    const events = ctx.recorder("daemonset-controller");
    const expectations = new Expectations();
    const failedBackoff = new Map<string, { delayMs: number; at: number }>();

    const dsKeyOf = followOwnedPods({ owners: dsInf, pods: podInf, kind: "DaemonSet", queue, expectations });
    const enqueueAll = () => {
      for (const ds of dsInf.list()) queue.add(objectKey(ds));
    };

    nodeInf.addHandler({
      onAdd: enqueueAll,
      // shouldIgnoreNodeUpdate: only labels, taints and conditions change where daemons run (and the status counts).
      onUpdate: (o, n) => {
        const [old, node] = [o as Obj, n as Obj];
        if (jsonEqual(meta(old).labels, meta(node).labels) && jsonEqual(old.spec, node.spec) && jsonEqual(old.status?.conditions?.map((c: any) => [c.type, c.status]), node.status?.conditions?.map((c: any) => [c.type, c.status]))) return;
        for (const ds of dsInf.list() as Obj[]) {
          const [was, is] = [nodeShouldRunDaemonPod(old, ds), nodeShouldRunDaemonPod(node, ds)];
          if (was.shouldRun !== is.shouldRun || was.shouldContinueRunning !== is.shouldContinueRunning) queue.add(objectKey(ds));
        }
      },
      onDelete: enqueueAll,
    });
    crInf.addHandler({
      onAdd: (cr) => { const k = dsKeyOf(cr as Obj); if (k) queue.add(k); },
      onDelete: (cr) => { const k = dsKeyOf(cr as Obj); if (k) queue.add(k); },
    });

    /** Adopt matching orphans, release owned pods that stopped matching; the pods this DaemonSet owns. */
    const claimPods = async (ds: Obj): Promise<Obj[]> => {
      const owned: Obj[] = [];
      for (const pod of podInf.byIndex("namespace", meta(ds).namespace ?? "") as Obj[]) {
        const ref = controllerOf(pod);
        if (ref && ref.uid !== meta(ds).uid) continue;
        const matching = matches(selectorOf(ds), pod);
        if (ref) {
          if (matching) owned.push(pod);
          else if (!meta(ds).deletionTimestamp) {
            const released = clone(pod);
            released.metadata.ownerReferences = released.metadata.ownerReferences!.filter((r) => r.uid !== meta(ds).uid);
            await ctx.api.update(PODS, meta(pod).namespace!, released).catch((e) => { if (!isNotFound(e)) throw e; });
          }
        } else if (matching && !meta(ds).deletionTimestamp && !meta(pod).deletionTimestamp) {
          const adopted = clone(pod);
          adopted.metadata.ownerReferences = [...(adopted.metadata.ownerReferences ?? []), controllerRef(ds)];
          owned.push((await ctx.api.update(PODS, meta(pod).namespace!, adopted)) as Obj);
        }
      }
      return owned;
    };

    /** getNodesToDaemonPods: owned pods by target node, leaving out terminal pods already being deleted. */
    const podsByNode = (pods: readonly Obj[]): Map<string, Obj[]> => {
      const out = new Map<string, Obj[]>();
      for (const pod of pods) {
        if (isTerminal(pod) && meta(pod).deletionTimestamp) continue;
        const node = targetNodeName(pod);
        if (node === undefined) continue;
        out.set(node, [...(out.get(node) ?? []), pod]);
      }
      return out;
    };

    const ownedInCache = (ds: Obj): Obj[] => (podInf.byIndex("namespace", meta(ds).namespace ?? "") as Obj[]).filter((p) => controllerOf(p)?.uid === meta(ds).uid);

    /** A failed pod on a node is deleted at most once per backoff period; the rest wait (and requeue). */
    const failedPodAllowed = (ds: Obj, pod: Obj, now: number): number => {
      const key = `${meta(ds).uid}/${targetNodeName(pod)}`;
      const b = failedBackoff.get(key);
      if (b && now - b.at < b.delayMs) return b.delayMs - (now - b.at);
      failedBackoff.set(key, { delayMs: b ? Math.min(2 * b.delayMs, FAILED_BACKOFF_MAX_MS) : FAILED_BACKOFF_INITIAL_MS, at: now });
      return 0;
    };

    /** syncNodes: creates (slow start) and deletes at most burstReplicas each, under expectations. */
    const syncNodes = async (key: string, ds: Obj, hash: string, create: readonly string[], remove: readonly Obj[]): Promise<void> => {
      const nodes = create.slice(0, DS_BURST_REPLICAS);
      const victims = remove.slice(0, DS_BURST_REPLICAS);
      expectations.expect(key, nodes.length, victims.map((p) => objectKey(p)));
      let next = 0;
      const { successes, error } = await slowStartBatch(nodes.length, 1, async () => {
        const node = nodes[next++]!;
        try {
          const pod = await ctx.api.create(PODS, meta(ds).namespace!, daemonPodFor(ds, node, hash, controllerRef(ds)));
          void events.record(ds, "Normal", "SuccessfulCreate", `Created pod: ${meta(pod).name}`);
        } catch (e) {
          if (/being terminated/.test((e as Error).message)) return;
          void events.record(ds, "Warning", "FailedCreate", `Error creating: ${(e as Error).message}`);
          throw e;
        }
      });
      for (let i = successes; i < nodes.length; i++) expectations.creationObserved(key);
      const results = await Promise.allSettled(victims.map(async (pod) => {
        try {
          await ctx.api.delete(PODS, meta(pod).namespace!, meta(pod).name);
          void events.record(ds, "Normal", "SuccessfulDelete", `Deleted pod: ${meta(pod).name}`);
        } catch (e) {
          expectations.deletionObserved(key, objectKey(pod));
          if (isNotFound(e)) return;
          void events.record(ds, "Warning", "FailedDelete", `Error deleting: ${(e as Error).message}`);
          throw e;
        }
      }));
      if (error) throw error;
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    };

    /** manage: per node what should be there, plus unscheduled pods pinned to nodes that no longer exist. */
    const manage = async (key: string, ds: Obj, nodes: readonly Obj[], byNode: Map<string, Obj[]>, hash: string, now: number): Promise<number | undefined> => {
      const create: string[] = [];
      const remove: Obj[] = [];
      let retryInMs: number | undefined;
      for (const node of nodes) {
        const plan = planNode(ds, node, byNode.get(meta(node).name) ?? [], hash, now);
        create.push(...plan.create);
        for (const pod of plan.delete) {
          if (plan.failed.includes(pod)) {
            const wait = failedPodAllowed(ds, pod, now);
            if (wait > 0) {
              retryInMs = Math.min(retryInMs ?? wait, wait);
              continue;
            }
            void events.record(ds, "Warning", "FailedDaemonPod", `Found failed daemon pod ${meta(pod).namespace}/${meta(pod).name} on node ${meta(node).name}, will try to kill it`);
          }
          remove.push(pod);
        }
      }
      const known = new Set(nodes.map((n) => meta(n).name));
      for (const [node, pods] of byNode) if (!known.has(node)) remove.push(...pods.filter((p) => !p.spec?.nodeName && !meta(p).deletionTimestamp));
      await syncNodes(key, ds, hash, create, remove);
      return retryInMs;
    };

    const storeStatus = async (ds: Obj, counts: ReturnType<typeof daemonSetStatusCounts>, observe: boolean): Promise<void> => {
      const old = ds.status ?? {};
      const observedGeneration = observe ? meta(ds).generation : old.observedGeneration;
      // Zero counts other than the four required ones are omitted, as Kubernetes' JSON does.
      const status: Record<string, unknown> = {
        currentNumberScheduled: counts.currentNumberScheduled,
        numberMisscheduled: counts.numberMisscheduled,
        desiredNumberScheduled: counts.desiredNumberScheduled,
        numberReady: counts.numberReady,
        ...(observedGeneration ? { observedGeneration } : {}),
        ...(counts.updatedNumberScheduled ? { updatedNumberScheduled: counts.updatedNumberScheduled } : {}),
        ...(counts.numberAvailable ? { numberAvailable: counts.numberAvailable } : {}),
        ...(counts.numberUnavailable ? { numberUnavailable: counts.numberUnavailable } : {}),
        ...(old.collisionCount ? { collisionCount: old.collisionCount } : {}),
        ...(old.conditions ? { conditions: old.conditions } : {}),
      };
      if (!jsonEqual(status, old)) await ctx.api.updateStatus(DAEMONSETS, meta(ds).namespace!, { ...clone(ds), status });
    };

    return async (key) => {
      const ds = dsInf.get(key) as Obj | undefined;
      if (!ds) return void expectations.delete(key);
      // A DaemonSet being deleted is left to the garbage collector.
      if (meta(ds).deletionTimestamp) return;
      const now = Date.now();
      const nodes = nodeInf.list() as Obj[];
      const pods = await claimPods(ds);
      const histories = (crInf.byIndex("namespace", meta(ds).namespace ?? "") as Obj[]).filter((h) => controllerOf(h)?.uid === meta(ds).uid);
      let current: Obj;
      try {
        current = await ensureCurrentRevision(ctx.api, ds, histories, revisionData(ds), templateRevisionHash(ds));
      } catch (e) {
        if (!(e instanceof RevisionCollision)) throw e;
        // A hash collision: count it, so the next hash (and revision name) differs.
        const bumped = clone(ds);
        bumped.status = { ...(ds.status ?? {}), collisionCount: (ds.status?.collisionCount ?? 0) + 1 };
        await ctx.api.updateStatus(DAEMONSETS, meta(ds).namespace!, bumped);
        throw e;
      }
      const hash = meta(current).labels?.[REVISION_HASH_LABEL] ?? templateRevisionHash(ds);
      let byNode = podsByNode(pods);
      if (!expectations.satisfied(key)) {
        await storeStatus(ds, daemonSetStatusCounts(ds, nodes, byNode, hash, now), false);
        return;
      }
      let failure: unknown;
      let retryInMs: number | undefined;
      try {
        retryInMs = await manage(key, ds, nodes, byNode, hash, now);
        if (expectations.satisfied(key) && ds.spec?.updateStrategy?.type === "RollingUpdate") {
          // Re-read the cache, as kube's rollingUpdate does: a pod manage just created may already be there, and must count as unavailable.
          const plan = planRollingUpdate(ds, nodes, podsByNode(ownedInCache(ds)), hash, Date.now());
          if (plan.create.length || plan.delete.length) await syncNodes(key, ds, hash, plan.create, plan.delete);
        }
        const live = new Set(pods.map((p) => meta(p).labels?.[REVISION_HASH_LABEL] ?? ""));
        await deleteRevisions(ctx.api, revisionsToDelete(histories, current, live, ds.spec?.revisionHistoryLimit ?? 10));
      } catch (e) {
        failure = e;
      }
      byNode = podsByNode(ownedInCache(ds));
      const counts = daemonSetStatusCounts(ds, nodes, byNode, hash, now);
      await storeStatus(ds, counts, true);
      if (failure) throw failure;
      const minReady = ds.spec?.minReadySeconds ?? 0;
      const waits = [retryInMs, minReady > 0 && counts.numberReady !== counts.numberAvailable ? minReady * 1000 : undefined].filter((w): w is number => w !== undefined);
      if (waits.length) return { requeueAfterMs: Math.min(...waits) };
    };
  },
};
