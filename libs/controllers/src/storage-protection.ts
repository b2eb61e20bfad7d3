/**
 * The `pvc-protection` and `pv-protection` controllers: a claim being
 * deleted keeps its `kubernetes.io/pvc-protection` finalizer while a
 * scheduled pod names it; a volume being deleted keeps
 * `kubernetes.io/pv-protection` while it is Bound. As in kube, "no pod uses
 * the claim" is confirmed with a live pod list before the finalizer goes.
 */
import { objectKey, type WorkQueue } from "@kubeactor/client";
import { PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES } from "./persistentvolume.ts";
import { claimKeysOfPod, podsUsingClaim, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from "./persistentvolume-util.ts";
import { type Controller, PODS } from "./runtime.ts";
import { clone, isNotFound, meta, type Obj } from "./util.ts";

const withoutFinalizer = (o: Obj, finalizer: string): Obj => {
  const next = clone(o);
  next.metadata.finalizers = (meta(o).finalizers ?? []).filter((f) => f !== finalizer);
  return next;
};
const ignoreNotFound = (e: unknown) => {
  if (!isNotFound(e)) throw e;
};

export const pvcProtectionController: Controller = {
  name: "pvc-protection-controller",
  setup(ctx, queue: WorkQueue) {
    const pvcInf = ctx.informer(PERSISTENT_VOLUME_CLAIMS);
    const podInf = ctx.informer(PODS);
    const onClaim = (c: Obj) => {
      if (meta(c).deletionTimestamp && meta(c).finalizers?.includes(PVC_PROTECTION_FINALIZER)) queue.add(objectKey(c));
    };
    pvcInf.addHandler({ onAdd: (c) => onClaim(c as Obj), onUpdate: (_, c) => onClaim(c as Obj) });
    // A pod going away (or finishing) may release a claim being deleted.
    const onPod = (p: Obj) => {
      for (const k of claimKeysOfPod(p)) {
        const c = pvcInf.get(k) as Obj | undefined;
        if (c) onClaim(c);
      }
    };
    podInf.addHandler({ onUpdate: (_, p) => onPod(p as Obj), onDelete: (p) => onPod(p as Obj) });
    return async (key) => {
      const claim = pvcInf.get(key) as Obj | undefined;
      if (!claim || !meta(claim).deletionTimestamp || !meta(claim).finalizers?.includes(PVC_PROTECTION_FINALIZER)) return;
      const ns = meta(claim).namespace!;
      if (podsUsingClaim(podInf.byIndex("namespace", ns) as Obj[], ns, meta(claim).name).length > 0) return;
      const live = ((await ctx.api.list(PODS, ns)).items ?? []) as Obj[];
      if (podsUsingClaim(live, ns, meta(claim).name).length > 0) return { requeueAfterMs: 1000 };
      await ctx.api.update(PERSISTENT_VOLUME_CLAIMS, ns, withoutFinalizer(claim, PVC_PROTECTION_FINALIZER)).catch(ignoreNotFound);
    };
  },
};

export const pvProtectionController: Controller = {
  name: "pv-protection-controller",
  setup(ctx, queue: WorkQueue) {
    const pvInf = ctx.informer(PERSISTENT_VOLUMES);
    const onVolume = (pv: Obj) => {
      if (meta(pv).deletionTimestamp && meta(pv).finalizers?.includes(PV_PROTECTION_FINALIZER)) queue.add(objectKey(pv));
    };
    pvInf.addHandler({ onAdd: (pv) => onVolume(pv as Obj), onUpdate: (_, pv) => onVolume(pv as Obj) });
    return async (key) => {
      const pv = pvInf.get(key) as Obj | undefined;
      if (!pv || !meta(pv).deletionTimestamp || !meta(pv).finalizers?.includes(PV_PROTECTION_FINALIZER)) return;
      if (pv.status?.phase === "Bound") return;
      await ctx.api.update(PERSISTENT_VOLUMES, "", withoutFinalizer(pv, PV_PROTECTION_FINALIZER)).catch(ignoreNotFound);
    };
  },
};
