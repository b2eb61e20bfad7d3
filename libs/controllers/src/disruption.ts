/**
 * The disruption controller: keeps every PodDisruptionBudget's status —
 * expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed,
 * observedGeneration, the DisruptionAllowed condition — and forgets
 * status.disruptedPods entries (written by the eviction subresource) once the
 * pod is being deleted or two minutes have passed. Like upstream it also
 * resets a pod's DisruptionTarget condition to False when the pod was not
 * deleted within two minutes of it (an eviction or preemption whose delete
 * never happened); those pods go through the same queue under a
 * `stale-pod:` key. The decisions are the pure functions of disruption-util.ts.
 *
 * Percentages count against the owners' scale: a ReplicaSet's replicas, or
 * its Deployment's when the ReplicaSet belongs to one, a ReplicationController's
 * or a StatefulSet's replicas. Other owners (DaemonSets — kube has no finder
 * for them either —, custom scale subresources) make the budget fail safe
 * (SyncFailed).
 */
import { rfc3339 } from "@kubeactor/api";
import type { ResourceRef } from "@kubeactor/client";
import { objectKey } from "@kubeactor/client";
import { decideBudget, failSafeStatus, type ScaleFinder, selectsPod, staleDisruptionWait } from "./disruption-util.ts";
import { type Controller, DEPLOYMENTS, PODS, REPLICASETS, REPLICATIONCONTROLLERS } from "./runtime.ts";
import { STATEFULSETS } from "./statefulset.ts";
import { controllerOf, isNotFound, meta, type Obj } from "./util.ts";

export const PODDISRUPTIONBUDGETS: ResourceRef = { group: "policy", version: "v1", resource: "poddisruptionbudgets" };
const COMPONENT = "controllermanager";
const STALE = "stale-pod:";

export const disruptionController: Controller = {
  name: "disruption-controller",
  workers: 2,
  setup(ctx, queue) {
    const pdbInf = ctx.informer(PODDISRUPTIONBUDGETS);
    const podInf = ctx.informer(PODS);
    const rsInf = ctx.informer(REPLICASETS);
    const depInf = ctx.informer(DEPLOYMENTS);
    const stsInf = ctx.informer(STATEFULSETS);
    const rcInf = ctx.informer(REPLICATIONCONTROLLERS);
    const events = ctx.recorder(COMPONENT);

    const budgetsIn = (namespace: string) => pdbInf.byIndex("namespace", namespace) as Obj[];
    const enqueueFor = (p: unknown) => {
      const pod = p as Obj;
      for (const pdb of budgetsIn(meta(pod).namespace ?? "")) if (selectsPod(pdb, pod)) queue.add(objectKey(pdb));
    };
    // A scale change moves percentage budgets; every budget of the namespace is recounted (cheap, and rare).
    const enqueueNamespace = (o: unknown) => {
      for (const pdb of budgetsIn(meta(o as Obj).namespace ?? "")) queue.add(objectKey(pdb));
    };
    pdbInf.addHandler({ onAdd: (o) => queue.add(objectKey(o)), onUpdate: (_, o) => queue.add(objectKey(o)) });
    const checkStale = (p: unknown) => {
      const wait = staleDisruptionWait(p as Obj, Date.now());
      if (wait === undefined) return;
      if (wait === 0) queue.add(`${STALE}${objectKey(p as Obj)}`);
      else queue.addAfter(`${STALE}${objectKey(p as Obj)}`, wait);
    };
    podInf.addHandler({
      onAdd: (p) => {
        enqueueFor(p);
        checkStale(p);
      },
      // A relabelled pod may leave one budget and join another.
      onUpdate: (a, b) => {
        enqueueFor(a);
        enqueueFor(b);
        checkStale(b);
      },
      onDelete: enqueueFor,
    });
    const scaleChanged = (a: unknown, b: unknown) => {
      if ((a as Obj).spec?.replicas !== (b as Obj).spec?.replicas) enqueueNamespace(b);
    };
    rsInf.addHandler({ onAdd: enqueueNamespace, onUpdate: scaleChanged, onDelete: enqueueNamespace });
    depInf.addHandler({ onAdd: enqueueNamespace, onUpdate: scaleChanged, onDelete: enqueueNamespace });
    stsInf.addHandler({ onAdd: enqueueNamespace, onUpdate: scaleChanged, onDelete: enqueueNamespace });
    rcInf.addHandler({ onAdd: enqueueNamespace, onUpdate: scaleChanged, onDelete: enqueueNamespace });

    /** The finders of upstream for the kinds served here: Deployment (through its ReplicaSet), ReplicaSet, ReplicationController, StatefulSet. */
    const findScale: ScaleFinder = (pod) => {
      const ref = controllerOf(pod);
      const ns = meta(pod).namespace;
      const direct = ref?.kind === "StatefulSet" ? stsInf : ref?.kind === "ReplicationController" && ref.apiVersion === "v1" ? rcInf : undefined;
      if (ref && direct) {
        const owner = direct.get(`${ns}/${ref.name}`) as Obj | undefined;
        return owner && meta(owner).uid === ref.uid ? { uid: ref.uid, scale: owner.spec?.replicas ?? 1 } : undefined;
      }
      if (ref?.kind !== "ReplicaSet") return undefined;
      const rs = rsInf.get(`${ns}/${ref.name}`) as Obj | undefined;
      if (!rs || meta(rs).uid !== ref.uid) return undefined;
      const owner = controllerOf(rs);
      if (owner?.kind === "Deployment") {
        const dep = depInf.get(`${ns}/${owner.name}`) as Obj | undefined;
        if (!dep || meta(dep).uid !== owner.uid) return undefined;
        return { uid: owner.uid, scale: dep.spec?.replicas ?? 1 };
      }
      return { uid: ref.uid, scale: rs.spec?.replicas ?? 1 };
    };

    const writeStatus = async (pdb: Obj, status: unknown) => {
      await ctx.api.updateStatus(PODDISRUPTIONBUDGETS, meta(pdb).namespace ?? "", { ...pdb, status } as Obj).catch((e) => {
        if (!isNotFound(e)) throw e; // a conflict retries through the queue with the fresh copy
      });
    };

    /** syncStalePodDisruption: DisruptionTarget back to False on a pod nobody deleted. */
    const resetStale = async (key: string) => {
      const pod = podInf.get(key) as Obj | undefined;
      if (!pod) return;
      const wait = staleDisruptionWait(pod, Date.now());
      if (wait === undefined) return;
      if (wait > 0) return { requeueAfterMs: wait };
      const at = rfc3339();
      const conditions = ((pod.status?.conditions ?? []) as { type: string }[]).map((c) =>
        c.type === "DisruptionTarget" ? { type: "DisruptionTarget", status: "False", lastTransitionTime: at } : c,
      );
      await ctx.api.updateStatus(PODS, meta(pod).namespace ?? "", { ...pod, status: { ...pod.status, conditions } } as Obj).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    };

    return async (key) => {
      if (key.startsWith(STALE)) return resetStale(key.slice(STALE.length));
      const pdb = pdbInf.get(key) as Obj | undefined;
      if (!pdb || meta(pdb).deletionTimestamp) return;
      const ns = meta(pdb).namespace ?? "";
      const pods = (podInf.byIndex("namespace", ns) as Obj[]).filter((p) => selectsPod(pdb, p));
      const now = Date.now();
      let decision;
      try {
        decision = decideBudget(pdb, pods, findScale, now);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        ctx.log(`disruption: failed to sync PDB ${key}: ${message}`);
        void events.record(pdb, "Warning", "CalculateExpectedPodCountFailed", `Failed to calculate the number of expected pods: ${message}`);
        await writeStatus(pdb, failSafeStatus(pdb, message, now));
        return;
      }
      if (decision.noPods) void events.record(pdb, "Normal", "NoPods", "No matching pods found");
      if (decision.unmanaged.length > 0)
        void events.record(
          pdb,
          "Warning",
          "UnmanagedPods",
          `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector ?? null)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
        );
      for (const name of decision.expired) {
        const pod = pods.find((p) => meta(p).name === name);
        if (pod) void events.record(pod, "Warning", "NotDeleted", `Pod was expected by PDB ${ns}/${meta(pdb).name} to be deleted but it wasn't`);
      }
      if (decision.status) await writeStatus(pdb, decision.status);
      if (decision.recheckAt !== undefined) return { requeueAfterMs: Math.max(0, decision.recheckAt - now) + 1000 };
    };
  },
};
