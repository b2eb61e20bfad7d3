/**
 * The pure decisions of the persistent volume controller
 * (pkg/controller/volume/persistentvolume): which volume a claim binds to,
 * what a volume's phase should be, which pods use a claim, and the volume
 * the local-path provisioner makes for a claim.
 */
import { compareQuantity, LOCAL_PATH_PROVISIONER, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER, tryParseQuantity } from "@kubeactor/api";
import { join } from "node:path";
import { matches, meta, type Obj, selectorOf } from "./util.ts";

/** Annotations the controller writes, as kube names them. */
export const ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
export const ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller";
export const ANN_PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";
export const ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node";
export const ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner";
export const HOSTNAME_LABEL = "kubernetes.io/hostname";
export { LOCAL_PATH_PROVISIONER, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER };

const BETA_CLASS = "volume.beta.kubernetes.io/storage-class";
const DEFAULT_CLASS_ANNOTATIONS = ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"];

/** GetDefaultClass: the newest class annotated default (then the first by name), or undefined. */
export const defaultClassName = (classes: readonly Obj[]): string | undefined => {
  const defaults = classes.filter((c) => DEFAULT_CLASS_ANNOTATIONS.some((a) => meta(c).annotations?.[a] === "true"));
  defaults.sort((a, b) => {
    const ta = meta(a).creationTimestamp ?? "";
    const tb = meta(b).creationTimestamp ?? "";
    return ta !== tb ? (ta > tb ? -1 : 1) : meta(a).name < meta(b).name ? -1 : 1;
  });
  return defaults[0] ? meta(defaults[0]).name : undefined;
};

/** A claim the retroactive default class applies to: no storageClassName at all and no beta class annotation. */
export const wantsDefaultClass = (claim: Obj): boolean => claim.spec?.storageClassName === undefined && meta(claim).annotations?.[BETA_CLASS] === undefined;

/** GetPersistentVolumeClaimClass / GetPersistentVolumeClass: the beta annotation wins. */
export const classOf = (o: Obj): string => {
  const ann = meta(o).annotations ?? {};
  return BETA_CLASS in ann ? ann[BETA_CLASS]! : (o.spec?.storageClassName ?? "");
};

const storageOf = (list: unknown) => tryParseQuantity(((list ?? {}) as Record<string, string>).storage ?? "0");

/** The claim a volume's claimRef names, as `namespace/name`. */
export const claimKeyOf = (pv: Obj): string | undefined => {
  const ref = pv.spec?.claimRef;
  return ref?.name ? `${ref.namespace ?? ""}/${ref.name}` : undefined;
};

/** Whether pv.spec.claimRef names this claim (and, once the uid is set, this very claim). */
export const isVolumeBoundToClaim = (pv: Obj, claim: Obj): boolean => {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.name !== meta(claim).name || (ref.namespace ?? "") !== meta(claim).namespace) return false;
  return !ref.uid || ref.uid === meta(claim).uid;
};

/** Every mode the claim asks for is offered by the volume. */
const offersModes = (pv: Obj, claim: Obj): boolean => {
  const offered: string[] = pv.spec?.accessModes ?? [];
  return ((claim.spec?.accessModes ?? []) as string[]).every((m) => offered.includes(m));
};

/** The node names a volume's required node affinity allows (undefined: any node). */
const affinityAllows = (pv: Obj, node: Obj | undefined): boolean => {
  const terms: { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[] = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  if (terms.length === 0 || !node) return true;
  const labels = meta(node).labels ?? {};
  return terms.some((t) =>
    (t.matchExpressions ?? []).every((e) => {
      const v = labels[e.key];
      switch (e.operator) {
        case "In":
          return v !== undefined && (e.values ?? []).includes(v);
        case "NotIn":
          return v === undefined || !(e.values ?? []).includes(v);
        case "Exists":
          return v !== undefined;
        case "DoesNotExist":
          return v === undefined;
        default:
          return false;
      }
    }),
  );
};

/**
 * findMatchingVolume: a volume pre-bound to the claim wins; otherwise the
 * smallest unbound volume of the claim's class and volume mode that offers
 * its access modes, is at least its request, matches its selector and (for
 * a claim waiting for its first consumer) can be reached from its node.
 * Volumes being deleted, pre-bound elsewhere or not Available are skipped.
 */
export const findMatchingVolume = (claim: Obj, volumes: readonly Obj[], node?: Obj): Obj | undefined => {
  const request = storageOf(claim.spec?.resources?.requests);
  if (!request) return undefined;
  const cls = classOf(claim);
  const mode = claim.spec?.volumeMode ?? "Filesystem";
  const selector = claim.spec?.selector ? selectorOf(claim) : undefined;
  let best: Obj | undefined;
  let bestSize: ReturnType<typeof storageOf>;
  for (const pv of volumes) {
    if (meta(pv).deletionTimestamp) continue;
    const size = storageOf(pv.spec?.capacity);
    if (!size || compareQuantity(size, request) < 0) continue;
    if ((pv.spec?.volumeMode ?? "Filesystem") !== mode || !offersModes(pv, claim) || !affinityAllows(pv, node)) continue;
    if (pv.spec?.claimRef) {
      if (isVolumeBoundToClaim(pv, claim)) return pv;
      continue;
    }
    if (classOf(pv) !== cls) continue;
    if (selector && !matches(selector, pv)) continue;
    // A volume Pending (just created) or Released is not offered to new claims.
    if (pv.status?.phase && pv.status.phase !== "Available") continue;
    if (!best || compareQuantity(size, bestSize!) < 0) {
      best = pv;
      bestSize = size;
    }
  }
  return best;
};

/** checkVolumeSatisfyClaim: why a volume a claim names by volumeName cannot serve it, or undefined. */
export const volumeMismatch = (pv: Obj, claim: Obj): string | undefined => {
  const size = storageOf(pv.spec?.capacity);
  const request = storageOf(claim.spec?.resources?.requests);
  if (!size || !request || compareQuantity(size, request) < 0) return "requested PV is too small";
  if (classOf(pv) !== classOf(claim)) return "storageClassName does not match";
  if ((pv.spec?.volumeMode ?? "Filesystem") !== (claim.spec?.volumeMode ?? "Filesystem")) return "incompatible volumeMode";
  if (!offersModes(pv, claim)) return "incompatible accessMode";
  return undefined;
};

/** The phase a volume should show, from its claimRef and the claim the cache holds. */
export const desiredVolumePhase = (pv: Obj, claim: Obj | undefined): "Available" | "Bound" | "Released" => {
  const ref = pv.spec?.claimRef;
  if (!ref) return "Available";
  // Pre-bound by hand to a claim that does not exist yet: waiting for it.
  if (!ref.uid) return "Available";
  if (claim && meta(claim).uid === ref.uid) return "Bound";
  return "Released";
};

/** Pods that hold a claim: scheduled pods naming it in a persistentVolumeClaim volume (pvc-protection's podUsesPVC). */
export const podsUsingClaim = (pods: readonly Obj[], namespace: string, claimName: string): Obj[] =>
  pods.filter(
    (p) =>
      meta(p).namespace === namespace &&
      !!p.spec?.nodeName &&
      ((p.spec?.volumes ?? []) as { persistentVolumeClaim?: { claimName?: string } }[]).some((v) => v.persistentVolumeClaim?.claimName === claimName),
  );

/** The claims a pod names, as `namespace/name` keys. */
export const claimKeysOfPod = (pod: Obj): string[] =>
  ((pod.spec?.volumes ?? []) as { persistentVolumeClaim?: { claimName?: string } }[])
    .map((v) => v.persistentVolumeClaim?.claimName)
    .filter((n): n is string => !!n)
    .map((n) => `${meta(pod).namespace}/${n}`);

/** The local-path directory of a claim's volume: `<volumesDir>/pvc-<claim uid>`. */
export const localPathOf = (volumesDir: string, claim: Obj): string => join(volumesDir, `pvc-${meta(claim).uid}`);

/**
 * The PersistentVolume the local-path provisioner makes for a claim: named
 * `pvc-<claim uid>` as kube's provisioners name theirs, pre-bound to the
 * claim, a hostPath directory (created on first mount), pinned to the node
 * the first consumer runs on when the class waits for one.
 */
export const provisionedVolume = (claim: Obj, storageClass: Obj, volumesDir: string, node?: string): Obj => ({
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: {
    name: `pvc-${meta(claim).uid}`,
    annotations: { [ANN_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER },
  } as unknown as Obj["metadata"],
  spec: {
    capacity: { storage: claim.spec?.resources?.requests?.storage },
    accessModes: claim.spec?.accessModes ?? [],
    persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? "Delete",
    storageClassName: meta(storageClass).name,
    volumeMode: claim.spec?.volumeMode ?? "Filesystem",
    hostPath: { path: localPathOf(volumesDir, claim), type: "DirectoryOrCreate" },
    claimRef: {
      kind: "PersistentVolumeClaim",
      apiVersion: "v1",
      namespace: meta(claim).namespace,
      name: meta(claim).name,
      uid: meta(claim).uid,
      resourceVersion: meta(claim).resourceVersion,
    },
    ...(node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: "In", values: [node] }] }] } } } : {}),
    ...(storageClass.mountOptions ? { mountOptions: storageClass.mountOptions } : {}),
  },
});
