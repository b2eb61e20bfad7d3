/**
 * The persistent volume binder (kube-controller-manager's
 * `persistentvolume-binder`) with kubeactor's local-path provisioner.
 * Claims and volumes share one queue: `claim:<ns>/<name>` and
 * `volume:<name>`. A claim binds to the smallest matching Available volume
 * (or the one pre-bound to it), else the provisioner makes a hostPath volume
 * `pvc-<uid>` under `volumesDir` for claims of a `kubeactor.io/local-path`
 * class. A volume's phase follows its claim (Available, Bound, Released);
 * a released volume is kept (Retain) or deleted with its directory (Delete).
 *
 * WaitForFirstConsumer without a scheduler volume plugin: a claim of such a
 * class binds once a pod using it is scheduled; the pod's node becomes the
 * claim's `volume.kubernetes.io/selected-node` (what kube-scheduler writes)
 * and the provisioned volume's node affinity. The kubelet holds that pod in
 * ContainerCreating until the claim is bound.
 */
import { mkdir, rm } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { objectKey, type ResourceRef, type WorkQueue } from "@kubeactor/client";
import {
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_PROVISIONED_BY,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  claimKeyOf,
  claimKeysOfPod,
  classOf,
  defaultClassName,
  desiredVolumePhase,
  findMatchingVolume,
  isVolumeBoundToClaim,
  LOCAL_PATH_PROVISIONER,
  podsUsingClaim,
  provisionedVolume,
  volumeMismatch,
  wantsDefaultClass,
} from "./persistentvolume-util.ts";
import { type Controller, PODS } from "./runtime.ts";
import { clone, isAlreadyExists, isNotFound, meta, now, type Obj } from "./util.ts";

export const PERSISTENT_VOLUMES: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
export const PERSISTENT_VOLUME_CLAIMS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
export const STORAGE_CLASSES: ResourceRef = { group: "storage.k8s.io", version: "v1", resource: "storageclasses" };
const NODES: ResourceRef = { group: "", version: "v1", resource: "nodes" };

export interface PersistentVolumeOptions {
  /** Where local-path volumes live (`<data-dir>/volumes`); without it nothing is provisioned. */
  readonly volumesDir?: string;
}

/** Removes a provisioned directory, refusing anything that is not `<volumesDir>/pvc-*`. */
const removeVolumeDir = async (volumesDir: string, path: string): Promise<void> => {
  const abs = resolve(path);
  if (dirname(abs) !== resolve(volumesDir) || !basename(abs).startsWith("pvc-")) throw new Error(`refusing to remove ${path}: not a local-path volume under ${volumesDir}`);
  await rm(abs, { recursive: true, force: true });
};

export const persistentVolumeControllerWith = (opts: PersistentVolumeOptions): Controller => ({
  name: "persistentvolume-binder-controller",
  setup(ctx, queue: WorkQueue) {
    const pvInf = ctx.informer(PERSISTENT_VOLUMES);
    const pvcInf = ctx.informer(PERSISTENT_VOLUME_CLAIMS);
    const scInf = ctx.informer(STORAGE_CLASSES);
    const podInf = ctx.informer(PODS);
    const nodeInf = ctx.informer(NODES);
    const events = ctx.recorder("persistentvolume-controller");

    const onVolume = (pv: Obj) => {
      queue.add(`volume:${meta(pv).name}`);
      const claim = claimKeyOf(pv);
      if (claim) queue.add(`claim:${claim}`);
    };
    const onClaim = (c: Obj) => {
      queue.add(`claim:${objectKey(c)}`);
      if (c.spec?.volumeName) queue.add(`volume:${c.spec.volumeName}`);
    };
    pvInf.addHandler({ onAdd: (pv) => onVolume(pv as Obj), onUpdate: (_, pv) => onVolume(pv as Obj), onDelete: (pv) => onVolume(pv as Obj) });
    pvcInf.addHandler({ onAdd: (c) => onClaim(c as Obj), onUpdate: (_, c) => onClaim(c as Obj), onDelete: (c) => onClaim(c as Obj) });
    // A new or changed class may be the default an unclassed claim waits for, or the class a claim names.
    const onClass = () => {
      for (const c of pvcInf.list() as Obj[]) if (!c.spec?.volumeName) queue.add(`claim:${objectKey(c)}`);
    };
    scInf.addHandler({ onAdd: onClass, onUpdate: onClass });
    // A scheduled pod is a WaitForFirstConsumer claim's consumer.
    const onPod = (p: Obj) => {
      if (p.spec?.nodeName) for (const k of claimKeysOfPod(p)) queue.add(`claim:${k}`);
    };
    podInf.addHandler({ onAdd: (p) => onPod(p as Obj), onUpdate: (_, p) => onPod(p as Obj) });

    const setVolumePhase = async (pv: Obj, phase: string, message?: string): Promise<Obj> => {
      if (pv.status?.phase === phase && (message === undefined || pv.status?.message === message)) return pv;
      const next = clone(pv);
      next.status = { ...(message ? { message } : {}), phase, lastPhaseTransitionTime: now() };
      return (await ctx.api.updateStatus(PERSISTENT_VOLUMES, "", next)) as Obj;
    };

    /** bind(): the volume's claimRef, both phases, the claim's volumeName and annotations, its status. */
    const bind = async (pv: Obj, claim: Obj): Promise<void> => {
      let volume = pv;
      const ref = pv.spec?.claimRef;
      if (!ref?.uid || ref.uid !== meta(claim).uid) {
        const next = clone(pv);
        next.spec.claimRef = { kind: "PersistentVolumeClaim", namespace: meta(claim).namespace, name: meta(claim).name, uid: meta(claim).uid, apiVersion: "v1", resourceVersion: meta(claim).resourceVersion };
        if (!ref) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: "yes" };
        volume = (await ctx.api.update(PERSISTENT_VOLUMES, "", next)) as Obj;
      }
      volume = await setVolumePhase(volume, "Bound");
      let current = claim;
      const annotations = meta(claim).annotations ?? {};
      if (claim.spec?.volumeName !== meta(volume).name || annotations[ANN_BIND_COMPLETED] !== "yes") {
        const next = clone(claim);
        const byController = !claim.spec?.volumeName;
        next.spec.volumeName = meta(volume).name;
        next.metadata.annotations = { ...annotations, [ANN_BIND_COMPLETED]: "yes", ...(byController ? { [ANN_BOUND_BY_CONTROLLER]: "yes" } : {}) };
        current = (await ctx.api.update(PERSISTENT_VOLUME_CLAIMS, meta(claim).namespace!, next)) as Obj;
      }
      const status = { phase: "Bound", accessModes: volume.spec?.accessModes ?? [], capacity: volume.spec?.capacity ?? {} };
      if (JSON.stringify({ ...current.status, ...status }) !== JSON.stringify(current.status ?? {})) {
        const next = clone(current);
        next.status = { ...(current.status ?? {}), ...status };
        await ctx.api.updateStatus(PERSISTENT_VOLUME_CLAIMS, meta(claim).namespace!, next);
      }
    };

    const setClaimLost = async (claim: Obj, reason: string, message: string): Promise<void> => {
      if (claim.status?.phase === "Lost") return;
      void events.record(claim, "Warning", reason, message);
      const next = clone(claim);
      next.status = { ...(claim.status ?? {}), phase: "Lost" };
      await ctx.api.updateStatus(PERSISTENT_VOLUME_CLAIMS, meta(claim).namespace!, next);
    };

    /** Provisions a local-path volume for the claim (pre-bound to it); the claim binds when the volume is seen. */
    const provision = async (claim: Obj, sc: Obj, node: string | undefined): Promise<void> => {
      const annotations = meta(claim).annotations ?? {};
      if (annotations[ANN_STORAGE_PROVISIONER] !== LOCAL_PATH_PROVISIONER || (node && annotations[ANN_SELECTED_NODE] !== node)) {
        const next = clone(claim);
        next.metadata.annotations = { ...annotations, [ANN_STORAGE_PROVISIONER]: LOCAL_PATH_PROVISIONER, ...(node ? { [ANN_SELECTED_NODE]: node } : {}) };
        await ctx.api.update(PERSISTENT_VOLUME_CLAIMS, meta(claim).namespace!, next);
        return; // the update brings the claim back through the queue
      }
      const pv = provisionedVolume(claim, sc, opts.volumesDir!, node);
      void events.record(claim, "Normal", "Provisioning", `External provisioner is provisioning volume for claim "${objectKey(claim)}"`);
      await mkdir(pv.spec.hostPath.path, { recursive: true, mode: 0o777 });
      try {
        await ctx.api.create(PERSISTENT_VOLUMES, "", pv);
        void events.record(claim, "Normal", "ProvisioningSucceeded", `Successfully provisioned volume ${meta(pv).name}`);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    };

    const syncUnboundClaim = async (claim: Obj): Promise<void> => {
      // Retroactive default class: a claim created while no class was the default gets the one there is now.
      if (wantsDefaultClass(claim)) {
        const name = defaultClassName(scInf.list() as Obj[]);
        if (name !== undefined) {
          const next = clone(claim);
          next.spec.storageClassName = name;
          await ctx.api.update(PERSISTENT_VOLUME_CLAIMS, meta(claim).namespace!, next);
          return; // the update brings the claim back through the queue
        }
      }
      const cls = classOf(claim);
      const sc = cls ? (scInf.get(cls) as Obj | undefined) : undefined;
      let node: string | undefined;
      if (sc?.volumeBindingMode === "WaitForFirstConsumer") {
        node = meta(claim).annotations?.[ANN_SELECTED_NODE] ?? podsUsingClaim(podInf.byIndex("namespace", meta(claim).namespace!) as Obj[], meta(claim).namespace!, meta(claim).name)[0]?.spec.nodeName;
        if (!node) {
          void events.record(claim, "Normal", "WaitForFirstConsumer", "waiting for first consumer to be created before binding");
          return;
        }
      }
      const pv = findMatchingVolume(claim, pvInf.list() as Obj[], node ? (nodeInf.get(node) as Obj | undefined) : undefined);
      if (pv) return bind(pv, claim);
      if (!cls) return void events.record(claim, "Normal", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
      if (!sc) return void events.record(claim, "Warning", "ProvisioningFailed", `storageclass.storage.k8s.io "${cls}" not found`);
      if (sc.provisioner !== LOCAL_PATH_PROVISIONER || !opts.volumesDir) {
        void events.record(
          claim,
          "Normal",
          "ExternalProvisioning",
          `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
        );
        return;
      }
      await provision(claim, sc, node);
    };

    const syncClaim = async (key: string): Promise<void> => {
      const claim = pvcInf.get(key) as Obj | undefined;
      if (!claim || meta(claim).deletionTimestamp) return;
      const name = claim.spec?.volumeName;
      if (!name) return syncUnboundClaim(claim);
      const pv = pvInf.get(name) as Obj | undefined;
      const completed = meta(claim).annotations?.[ANN_BIND_COMPLETED] === "yes";
      if (!pv) {
        if (completed) await setClaimLost(claim, "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
        else void events.record(claim, "Warning", "FailedBinding", `volume "${name}" not found`);
        return;
      }
      if (!pv.spec?.claimRef) {
        // The user named an unclaimed volume: it must fit the claim.
        const mismatch = volumeMismatch(pv, claim);
        if (mismatch) return void events.record(claim, "Warning", "VolumeMismatch", `Cannot bind to requested volume "${name}": ${mismatch}`);
        return bind(pv, claim);
      }
      if (isVolumeBoundToClaim(pv, claim)) return bind(pv, claim);
      if (completed) await setClaimLost(claim, "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly");
      else void events.record(claim, "Warning", "FailedBinding", `volume "${name}" already bound to a different claim.`);
    };

    /** A released volume's reclaim policy: Retain keeps it, Delete removes a provisioned one with its directory. */
    const reclaim = async (pv: Obj): Promise<void> => {
      const policy = pv.spec?.persistentVolumeReclaimPolicy ?? "Retain";
      if (policy === "Retain") return;
      if (policy === "Delete" && meta(pv).annotations?.[ANN_PROVISIONED_BY] === LOCAL_PATH_PROVISIONER && opts.volumesDir) {
        await removeVolumeDir(opts.volumesDir, pv.spec.hostPath?.path ?? "");
        await ctx.api.delete(PERSISTENT_VOLUMES, "", meta(pv).name).catch((e) => {
          if (!isNotFound(e)) throw e;
        });
        return;
      }
      const [reason, message] =
        policy === "Delete"
          ? ["VolumeFailedDelete", `error getting deleter volume plugin for volume "${meta(pv).name}": no deletable volume plugin matched`]
          : ["VolumeFailedRecycle", "No recycler plugin found for the volume!"];
      if (pv.status?.phase === "Failed") return;
      void events.record(pv, "Warning", reason, message);
      await setVolumePhase(pv, "Failed", message);
    };

    const syncVolume = async (name: string): Promise<void> => {
      const pv = pvInf.get(name) as Obj | undefined;
      if (!pv) return;
      const key = claimKeyOf(pv);
      let claim = key ? (pvcInf.get(key) as Obj | undefined) : undefined;
      let phase = desiredVolumePhase(pv, claim);
      if (phase === "Released" && key) {
        // The cache may lag behind a claim just created: ask the API server before releasing.
        const [ns, n] = key.split("/") as [string, string];
        claim = (await ctx.api.get(PERSISTENT_VOLUME_CLAIMS, ns, n).catch((e) => {
          if (isNotFound(e)) return undefined;
          throw e;
        })) as Obj | undefined;
        phase = desiredVolumePhase(pv, claim);
      }
      if (phase === "Released" && pv.status?.phase === "Failed") return;
      const updated = await setVolumePhase(pv, phase);
      // A volume being deleted only follows its claim (so pv-protection can let it go); it is not reclaimed.
      if (phase === "Released" && !meta(pv).deletionTimestamp) await reclaim(updated);
    };

    return async (key) => {
      if (key.startsWith("claim:")) await syncClaim(key.slice("claim:".length));
      else if (key.startsWith("volume:")) await syncVolume(key.slice("volume:".length));
    };
  },
});

/** The binder without a provisioner directory: local-path claims wait (see persistentVolumeControllerWith). */
export const persistentVolumeController = persistentVolumeControllerWith({});
