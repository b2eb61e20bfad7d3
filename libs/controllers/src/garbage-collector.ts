/**
 * The garbage collector: the owner graph is read from ownerReferences in the
 * informer caches of the monitored resources (the `ownerUid` index gives an
 * owner's dependents). Three jobs, one reconcile per object:
 * - Background: an object whose owners are all gone is deleted;
 * - Foreground: an owner marked `foregroundDeletion` deletes its dependents and
 *   drops the finalizer once no dependent with blockOwnerDeletion is left;
 * - Orphan: an owner marked `orphan` removes its references from its
 *   dependents, then drops the finalizer.
 * An owner missing from the cache is confirmed with a live GET (the
 * dependent's informer may be ahead of the owner's) before anything is deleted.
 */
import { findResourceByKind, parseApiVersion } from "@kubeactor/api";
import type { JsonObject } from "@kubeactor/bus";
import { objectKey, type Informer, type ResourceRef } from "@kubeactor/client";
import { type Controller, DEPLOYMENTS, PODS, REPLICASETS, REPLICATIONCONTROLLERS, SERVICEACCOUNTS } from "./runtime.ts";
import { clone, isNotFound, jsonEqual, meta, type Obj, type OwnerReference } from "./util.ts";

const core = (resource: string): ResourceRef => ({ group: "", version: "v1", resource });
/** The resources whose owner references are followed. */
export const GC_RESOURCES: readonly ResourceRef[] = [PODS, REPLICASETS, REPLICATIONCONTROLLERS, DEPLOYMENTS, SERVICEACCOUNTS, core("configmaps"), core("secrets"), core("services"), core("endpoints"), { group: "discovery.k8s.io", version: "v1", resource: "endpointslices" }, { group: "batch", version: "v1", resource: "jobs" }, { group: "batch", version: "v1", resource: "cronjobs" }, { group: "apps", version: "v1", resource: "daemonsets" }, { group: "apps", version: "v1", resource: "statefulsets" }, { group: "apps", version: "v1", resource: "controllerrevisions" }];

const ORPHAN = "orphan";
const FOREGROUND = "foregroundDeletion";
const id = (r: { group: string; resource: string }) => `${r.group}/${r.resource}`;

export const garbageCollector: Controller = {
  name: "garbage-collector",
  workers: 5,
  setup(ctx, queue) {
    const monitored = new Map<string, { ref: ResourceRef; inf: Informer }>(GC_RESOURCES.map((ref) => [id(ref), { ref, inf: ctx.informer(ref) }]));
    const itemKey = (rid: string, o: JsonObject) => `${rid}|${objectKey(o)}`;

    const dependents = (owner: JsonObject): { rid: string; obj: Obj }[] =>
      [...monitored].flatMap(([rid, m]) => (m.inf.byIndex("ownerUid", meta(owner).uid) as Obj[]).map((obj) => ({ rid, obj })));
    const ownerItem = (ref: OwnerReference, ns: string): string | undefined => {
      const info = findResourceByKind(ref.apiVersion, ref.kind);
      return info && monitored.has(id(info)) ? `${id(info)}|${info.namespaced ? `${ns}/` : ""}${ref.name}` : undefined;
    };
    const interesting = (o: JsonObject) => (meta(o).ownerReferences?.length ?? 0) > 0 || !!meta(o).deletionTimestamp;

    for (const [rid, { inf }] of monitored) {
      inf.addHandler({
        onAdd: (o) => interesting(o) && queue.add(itemKey(rid, o)),
        onUpdate: (old, o) => {
          // Like the graph builder, only changes the collector decides on (owner
          // references, deletion, finalizers) or a resync (same object) enqueue:
          // a pod's status updates are none of its business.
          if (interesting(o) && (old === o || gcRelevantChange(old, o))) queue.add(itemKey(rid, o));
          // A dependent that dropped a reference may be what a foreground owner waits for.
          for (const r of meta(old).ownerReferences ?? []) {
            const k = ownerItem(r, meta(old).namespace ?? "");
            if (k && !meta(o).ownerReferences?.some((x) => x.uid === r.uid)) queue.add(k);
          }
        },
        onDelete: (o) => {
          for (const d of dependents(o)) queue.add(itemKey(d.rid, d.obj));
          for (const r of meta(o).ownerReferences ?? []) {
            const k = ownerItem(r, meta(o).namespace ?? "");
            if (k) queue.add(k);
          }
        },
      });
    }

    /** The live owner, or undefined when it is gone (404 or a different uid); "unknown" for kinds we cannot look up. */
    const lookupOwner = async (ref: OwnerReference, ns: string): Promise<Obj | undefined | "unknown"> => {
      const info = findResourceByKind(ref.apiVersion, ref.kind);
      if (!info) return "unknown";
      const ownerNs = info.namespaced ? ns : "";
      const cached = monitored.get(id(info))?.inf.get(ownerNs ? `${ownerNs}/${ref.name}` : ref.name) as Obj | undefined;
      if (cached && meta(cached).uid === ref.uid) return cached;
      try {
        const live = (await ctx.api.get({ ...parseApiVersion(ref.apiVersion), resource: info.resource }, ownerNs, ref.name)) as Obj;
        return meta(live).uid === ref.uid ? live : undefined;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    };

    const update = (ref: ResourceRef, o: Obj) => ctx.api.update(ref, meta(o).namespace ?? "", o).catch((e) => { if (!isNotFound(e)) throw e; });
    const del = (ref: ResourceRef, o: Obj, propagationPolicy: string) =>
      ctx.api.delete(ref, meta(o).namespace ?? "", meta(o).name, { propagationPolicy, preconditions: { uid: meta(o).uid } }).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    const withoutFinalizer = (o: Obj, f: string) => {
      const copy = clone(o);
      copy.metadata.finalizers = (copy.metadata.finalizers ?? []).filter((x) => x !== f);
      return copy;
    };

    return async (item) => {
      const bar = item.indexOf("|");
      const m = monitored.get(item.slice(0, bar));
      const obj = m?.inf.get(item.slice(bar + 1)) as Obj | undefined;
      if (!m || !obj) return;
      const { uid, deletionTimestamp } = meta(obj);

      if (deletionTimestamp) {
        const deps = dependents(obj);
        const action = deletingOwnerAction(obj, deps.map((d) => d.obj));
        if (action === "orphanDependents") {
          for (const d of deps) {
            const copy = clone(d.obj);
            copy.metadata.ownerReferences = copy.metadata.ownerReferences!.filter((r) => r.uid !== uid);
            await update(monitored.get(d.rid)!.ref, copy);
          }
          return void (await update(m.ref, withoutFinalizer(obj, ORPHAN)));
        }
        if (action === "releaseForeground") return void (await update(m.ref, withoutFinalizer(obj, FOREGROUND)));
        if (action === "deleteDependents") {
          for (const d of deps) {
            if (meta(d.obj).deletionTimestamp) continue;
            await del(monitored.get(d.rid)!.ref, d.obj, dependents(d.obj).length ? "Foreground" : "Background");
          }
          return { requeueAfterMs: 5000 };
        }
        return;
      }

      const refs = meta(obj).ownerReferences ?? [];
      if (refs.length === 0) return;
      const owners: { ref: OwnerReference; state: OwnerState }[] = [];
      for (const ref of refs) owners.push({ ref, state: ownerState(await lookupOwner(ref, meta(obj).namespace ?? "")) });
      const verdict = dependentAction(obj, owners, () => dependents(obj).length > 0);
      if (verdict.type === "keepOwners") {
        const copy = clone(obj);
        copy.metadata.ownerReferences = verdict.refs;
        return void (await update(m.ref, copy));
      }
      if (verdict.type === "delete") await del(m.ref, obj, verdict.policy);
    };
  },
};

/** True when an update changes what the collector decides on: owner references, deletion or finalizers. */
export const gcRelevantChange = (old: JsonObject, o: JsonObject): boolean => {
  const [a, b] = [meta(old), meta(o)];
  return a.deletionTimestamp !== b.deletionTimestamp || !jsonEqual(a.ownerReferences ?? [], b.ownerReferences ?? []) || !jsonEqual(a.finalizers ?? [], b.finalizers ?? []);
};

/** What the collector found for one owner reference: gone, being deleted in the foreground, or there. */
export type OwnerState = "gone" | "waitingForeground" | "present";

/** lookupOwner's answer as an OwnerState ("unknown": a kind we cannot look up counts as present). */
export const ownerState = (owner: Obj | undefined | "unknown"): OwnerState =>
  owner === undefined ? "gone"
    : owner !== "unknown" && meta(owner).deletionTimestamp && meta(owner).finalizers?.includes(FOREGROUND) ? "waitingForeground"
    : "present";

/**
 * An owner marked for deletion (attemptToDelete of the owner): `orphanDependents`
 * (orphan finalizer), `releaseForeground` (foreground, no blocking dependent
 * left), `deleteDependents` (foreground, dependents still block), or `none`.
 */
export const deletingOwnerAction = (owner: Obj, dependents: readonly Obj[]): "orphanDependents" | "releaseForeground" | "deleteDependents" | "none" => {
  const { uid, deletionTimestamp, finalizers = [] } = meta(owner);
  if (!deletionTimestamp) return "none";
  if (finalizers.includes(ORPHAN)) return "orphanDependents";
  if (!finalizers.includes(FOREGROUND)) return "none";
  const blocking = dependents.filter((d) => meta(d).ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion));
  return blocking.length === 0 ? "releaseForeground" : "deleteDependents";
};

/**
 * A live dependent (attemptToDelete of the item): with an owner still there it
 * only drops references to owners that are gone or going (`keepOwners`), or
 * does nothing; with none left it is deleted — in the foreground when an
 * owner waits for it and it has dependents itself, else per its own
 * finalizers (orphan, foreground), else in the background.
 */
export const dependentAction = (
  obj: Obj,
  owners: readonly { ref: OwnerReference; state: OwnerState }[],
  /** Asked only when it matters (it walks every monitored resource's index). */
  hasDependents: () => boolean,
): { type: "none" } | { type: "keepOwners"; refs: OwnerReference[] } | { type: "delete"; policy: "Foreground" | "Orphan" | "Background" } => {
  const solid = owners.filter((o) => o.state === "present").map((o) => o.ref);
  const waiting = owners.some((o) => o.state === "waitingForeground");
  if (owners.length === 0) return { type: "none" };
  if (solid.length) return solid.length === owners.length ? { type: "none" } : { type: "keepOwners", refs: solid };
  const finalizers = meta(obj).finalizers ?? [];
  const policy = waiting && hasDependents() ? "Foreground" : finalizers.includes(ORPHAN) ? "Orphan" : finalizers.includes(FOREGROUND) ? "Foreground" : "Background";
  return { type: "delete", policy };
};
