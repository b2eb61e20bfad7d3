/**
 * The DefaultStorageClass admission plugin
 * (plugin/pkg/admission/storage/storageclass/setdefault): a claim created
 * without spec.storageClassName (absent, not "") and without the beta
 * storage-class annotation gets the default StorageClass — the one annotated
 * `storageclass.kubernetes.io/is-default-class: "true"`, the newest if
 * several are (by creationTimestamp, then name, as kube 1.28+ picks). With no
 * default class the claim is left alone: `""` would bind only class-less PVs.
 *
 * Also the PersistentVolumeClaimResize plugin: a claim's storage request may
 * grow only when its StorageClass has `allowVolumeExpansion: true`
 * (kubeactor then records the new request; nothing resizes the directory).
 */
import { BETA_DEFAULT_STORAGE_CLASS_ANNOTATION, BETA_STORAGE_CLASS_ANNOTATION, DEFAULT_STORAGE_CLASS_ANNOTATION, forbidden, tryParseQuantity } from "@kubeactor/api";
import type { StoreClient } from "@kubeactor/client";
import { metaOf, type Obj } from "./objects.ts";

/** Where the plugin reads StorageClasses: the watch cache's lister, or the store. */
export interface StorageClasses {
  list(): Promise<readonly object[]>;
}

/** The core/v1 persistentvolumeclaims resource. */
export const isClaims = (info: { group: string; resource: string }): boolean => info.group === "" && info.resource === "persistentvolumeclaims";

export const storeStorageClasses = (store: StoreClient): StorageClasses => ({
  list: async () => (await store.listAll({ group: "storage.k8s.io", resource: "storageclasses" })).items,
});

const isDefault = (sc: Obj): boolean => {
  const ann = metaOf(sc).annotations ?? {};
  return ann[DEFAULT_STORAGE_CLASS_ANNOTATION] === "true" || ann[BETA_DEFAULT_STORAGE_CLASS_ANNOTATION] === "true";
};

/** The default class's name, or undefined (GetDefaultClass). */
export const defaultStorageClassName = (classes: readonly object[]): string | undefined => {
  let best: Obj | undefined;
  for (const sc of classes as Obj[]) {
    if (!isDefault(sc)) continue;
    if (!best) {
      best = sc;
      continue;
    }
    const a = metaOf(sc).creationTimestamp ?? "";
    const b = metaOf(best).creationTimestamp ?? "";
    if (a > b || (a === b && (metaOf(sc).name ?? "") < (metaOf(best).name ?? ""))) best = sc;
  }
  return best ? metaOf(best).name : undefined;
};

/** Mutates a claim being created. */
export const admitDefaultStorageClass = async (classes: StorageClasses, pvc: Obj): Promise<void> => {
  const spec = (pvc.spec ??= {}) as { storageClassName?: string };
  if (spec.storageClassName !== undefined) return;
  if (metaOf(pvc).annotations?.[BETA_STORAGE_CLASS_ANNOTATION] !== undefined) return;
  const name = defaultStorageClassName(await classes.list());
  if (name !== undefined) spec.storageClassName = name;
};

const CLAIMS = { group: "", resource: "persistentvolumeclaims" };
const requestOf = (pvc: Obj) => tryParseQuantity(((pvc.spec as { resources?: { requests?: { storage?: string } } } | undefined)?.resources?.requests?.storage) ?? "0");

/** Refuses a claim update that grows its request unless its class allows expansion (403, kube's words). */
export const admitClaimResize = async (classes: StorageClasses, pvc: Obj, old: Obj): Promise<void> => {
  const next = requestOf(pvc);
  const prev = requestOf(old);
  if (!next || !prev || next.nanos <= prev.nanos) return;
  const ann = metaOf(old).annotations ?? {};
  const cls = BETA_STORAGE_CLASS_ANNOTATION in ann ? ann[BETA_STORAGE_CLASS_ANNOTATION] : (old.spec as { storageClassName?: string } | undefined)?.storageClassName;
  const sc = cls ? ((await classes.list()) as Obj[]).find((c) => metaOf(c).name === cls) : undefined;
  if (sc?.allowVolumeExpansion !== true) {
    throw forbidden(CLAIMS, metaOf(old).name ?? "", "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize");
  }
};
