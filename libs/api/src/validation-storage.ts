/**
 * PersistentVolume, PersistentVolumeClaim and StorageClass: defaulting
 * (SetDefaults_PersistentVolume/Claim, SetDefaults_StorageClass), the
 * strategies' create-time status, and validation with the field paths and
 * messages of pkg/apis/core/validation and pkg/apis/storage/validation.
 */
import { canonicalQuantities, formatQuantity, parseQuantity, QuantityParseError } from "./quantity.ts";
import { labelSelectorFromApi } from "./selectors.ts";
import type { FieldCause } from "./status.ts";
import { BETA_STORAGE_CLASS_ANNOTATION, PERSISTENT_VOLUME_ACCESS_MODES, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from "./resources/storage.ts";
import { forbiddenCause, invalidCause, isDNS1123Subdomain, isQualifiedName, notSupportedCause, requiredCause } from "./validation.ts";
import { type Obj, isObj, objAt } from "./plain.ts";

const RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"] as const;
const SC_RECLAIM_POLICIES = ["Delete", "Retain"] as const;
const VOLUME_MODES = ["Block", "Filesystem"] as const;
const BINDING_MODES = ["Immediate", "WaitForFirstConsumer"] as const;
/** PV sources: exactly one must be given. Order as ValidatePersistentVolumeSpec checks them. */
const PV_SOURCES = [
  "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "glusterfs", "flexVolume", "nfs", "rbd", "quobyte", "cinder", "cephfs",
  "iscsi", "fc", "flocker", "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume", "azureDisk", "scaleIO", "local",
  "storageos", "csi",
];

export const defaultPersistentVolume = (pv: Obj): void => {
  const spec = objAt(pv, "spec");
  if (!spec["persistentVolumeReclaimPolicy"]) spec["persistentVolumeReclaimPolicy"] = "Retain";
  if (!spec["volumeMode"]) spec["volumeMode"] = "Filesystem";
  canonicalQuantities(spec["capacity"]);
  const status = objAt(pv, "status");
  if (!status["phase"]) status["phase"] = "Pending";
};

export const defaultPersistentVolumeClaim = (pvc: Obj): void => {
  const spec = objAt(pvc, "spec");
  if (!spec["volumeMode"]) spec["volumeMode"] = "Filesystem";
  if (isObj(spec["resources"])) {
    canonicalQuantities(spec["resources"]["requests"]);
    canonicalQuantities(spec["resources"]["limits"]);
  }
  const status = objAt(pvc, "status");
  if (!status["phase"]) status["phase"] = "Pending";
  canonicalQuantities(status["capacity"]);
};

export const defaultStorageClass = (sc: Obj): void => {
  if (!sc["reclaimPolicy"]) sc["reclaimPolicy"] = "Delete";
  if (!sc["volumeBindingMode"]) sc["volumeBindingMode"] = "Immediate";
};

const addFinalizer = (obj: Obj, finalizer: string): void => {
  const meta = objAt(obj, "metadata");
  const list = Array.isArray(meta["finalizers"]) ? (meta["finalizers"] as string[]) : [];
  if (!list.includes(finalizer)) meta["finalizers"] = [...list, finalizer];
};

/**
 * Create time: the strategies start a volume or claim with an empty status
 * (phase Pending once defaulted), and the StorageObjectInUseProtection
 * admission plugin adds the protection finalizer the PV controller removes
 * when nothing uses the object any more.
 */
export const prepareStorageForCreate = (kind: string, obj: Obj, now: string): void => {
  if (kind === "PersistentVolume") {
    obj["status"] = { phase: "Pending", lastPhaseTransitionTime: now };
    addFinalizer(obj, PV_PROTECTION_FINALIZER);
  } else if (kind === "PersistentVolumeClaim") {
    obj["status"] = { phase: "Pending" };
    addFinalizer(obj, PVC_PROTECTION_FINALIZER);
  }
};

const validateAccessModes = (modes: unknown, field: string, requiredDetail?: string): FieldCause[] => {
  const out: FieldCause[] = [];
  const list = Array.isArray(modes) ? modes : [];
  if (list.length === 0) return [requiredCause(field, requiredDetail)];
  for (const m of list) {
    if (!(PERSISTENT_VOLUME_ACCESS_MODES as readonly unknown[]).includes(m)) out.push(notSupportedCause(field, m, [...PERSISTENT_VOLUME_ACCESS_MODES].sort()));
  }
  if (list.includes("ReadWriteOncePod") && list.length > 1) out.push(forbiddenCause(field, "may not use ReadWriteOncePod with other access modes"));
  return out;
};

/** ValidatePositiveQuantityValue + ValidateResourceQuantityValue for storage. */
const validateStorageQuantity = (v: unknown, field: string): FieldCause[] => {
  let q;
  try {
    q = parseQuantity(v as string | number);
  } catch (e) {
    return [invalidCause(field, v, e instanceof QuantityParseError ? e.message : String(e))];
  }
  if (q.nanos <= 0n) return [invalidCause(field, formatQuantity(q), "must be greater than zero")];
  return [];
};

const validateClassName = (v: unknown, field: string): FieldCause[] =>
  typeof v === "string" && v !== "" ? isDNS1123Subdomain(v).map((m) => invalidCause(field, v, m)) : [];

const validateVolumeMode = (v: unknown, field: string): FieldCause[] =>
  v === undefined || (VOLUME_MODES as readonly unknown[]).includes(v) ? [] : [notSupportedCause(field, v, VOLUME_MODES)];

const noBacksteps = (path: string, field: string): FieldCause[] =>
  path.split("/").includes("..") ? [invalidCause(field, path, "must not contain '..'")] : [];

export const validatePersistentVolume = (pv: Obj): FieldCause[] => {
  const spec = isObj(pv["spec"]) ? pv["spec"] : {};
  const out: FieldCause[] = [];
  out.push(...validateAccessModes(spec["accessModes"], "spec.accessModes"));
  const capacity = isObj(spec["capacity"]) ? spec["capacity"] : {};
  const keys = Object.keys(capacity);
  if (keys.length === 0) out.push(requiredCause("spec.capacity"));
  else if (!keys.includes("storage") || keys.length > 1) out.push(notSupportedCause("spec.capacity", capacity, ["storage"]));
  if (capacity["storage"] !== undefined) out.push(...validateStorageQuantity(capacity["storage"], "spec.capacity[storage]"));
  const policy = spec["persistentVolumeReclaimPolicy"];
  if (policy !== undefined && !(RECLAIM_POLICIES as readonly unknown[]).includes(policy))
    out.push(notSupportedCause("spec.persistentVolumeReclaimPolicy", policy, RECLAIM_POLICIES));
  out.push(...validateClassName(spec["storageClassName"], "spec.storageClassName"));
  out.push(...validateVolumeMode(spec["volumeMode"], "spec.volumeMode"));
  const sources = PV_SOURCES.filter((s) => spec[s] !== undefined);
  if (sources.length === 0) out.push(requiredCause("spec", "must specify a volume type"));
  for (const extra of sources.slice(1)) out.push(forbiddenCause(`spec.${extra}`, "may not specify more than 1 volume type"));
  const hostPath = spec["hostPath"];
  if (isObj(hostPath)) {
    const path = typeof hostPath["path"] === "string" ? hostPath["path"] : "";
    if (path === "") out.push(requiredCause("spec.hostPath.path"));
    else {
      out.push(...noBacksteps(path, "spec.hostPath.path"));
      if (path.replace(/\/+$/, "") === "") out.push(forbiddenCause("spec.hostPath.path", "may not be '/'"));
    }
  }
  const local = spec["local"];
  if (isObj(local)) {
    const path = typeof local["path"] === "string" ? local["path"] : "";
    if (path === "") out.push(requiredCause("spec.local.path"));
    else out.push(...noBacksteps(path, "spec.local.path"));
    if (!isObj(spec["nodeAffinity"])) out.push(requiredCause("spec.nodeAffinity", "Local volume requires node affinity"));
  }
  const affinity = spec["nodeAffinity"];
  if (isObj(affinity) && !isObj(affinity["required"])) out.push(requiredCause("spec.nodeAffinity.required", "must have at least one node selector term"));
  return out;
};

export const validatePersistentVolumeClaim = (pvc: Obj): FieldCause[] => {
  const spec = isObj(pvc["spec"]) ? pvc["spec"] : {};
  const out: FieldCause[] = [];
  out.push(...validateAccessModes(spec["accessModes"], "spec.accessModes", "at least 1 access mode is required"));
  if (isObj(spec["selector"])) {
    try {
      labelSelectorFromApi(spec["selector"] as never);
    } catch (e) {
      out.push(invalidCause("spec.selector", spec["selector"], e instanceof Error ? e.message : String(e)));
    }
  }
  const requests = isObj(spec["resources"]) && isObj(spec["resources"]["requests"]) ? spec["resources"]["requests"] : {};
  if (requests["storage"] === undefined) out.push(requiredCause("spec.resources[storage]"));
  else out.push(...validateStorageQuantity(requests["storage"], "spec.resources[storage]"));
  out.push(...validateClassName(spec["storageClassName"], "spec.storageClassName"));
  out.push(...validateVolumeMode(spec["volumeMode"], "spec.volumeMode"));
  return out;
};

export const validateStorageClass = (sc: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  const provisioner = sc["provisioner"];
  if (typeof provisioner !== "string" || provisioner === "") out.push(requiredCause("provisioner", typeof provisioner === "string" ? provisioner : ""));
  else out.push(...isQualifiedName(provisioner.toLowerCase()).map((m) => invalidCause("provisioner", provisioner, m)));
  const policy = sc["reclaimPolicy"];
  if (policy !== undefined && !(SC_RECLAIM_POLICIES as readonly unknown[]).includes(policy)) out.push(notSupportedCause("reclaimPolicy", policy, SC_RECLAIM_POLICIES));
  const mode = sc["volumeBindingMode"];
  if (mode === undefined) out.push(requiredCause("volumeBindingMode"));
  else if (!(BINDING_MODES as readonly unknown[]).includes(mode)) out.push(notSupportedCause("volumeBindingMode", mode, BINDING_MODES));
  return out;
};

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * ValidatePersistentVolumeClaimUpdate: the spec is fixed once created, except
 * that volumeName may be set once (binding), an absent storageClassName once
 * (the retroactive default class) and a bound claim's storage request may
 * grow (expansion; kubeactor records it, nothing resizes).
 */
export const validatePersistentVolumeClaimUpdate = (pvc: Obj, old: Obj): FieldCause[] => {
  const ns = structuredClone(isObj(pvc["spec"]) ? pvc["spec"] : {});
  const os = structuredClone(isObj(old["spec"]) ? old["spec"] : {});
  if (!os["volumeName"]) os["volumeName"] = ns["volumeName"];
  // validateStorageClassUpgradeFromNil: a claim created without a class may get one once (retroactive default class).
  const oldAnn = isObj(old["metadata"]) && isObj(old["metadata"]["annotations"]) ? old["metadata"]["annotations"] : {};
  if (os["storageClassName"] === undefined && typeof ns["storageClassName"] === "string" && oldAnn[BETA_STORAGE_CLASS_ANNOTATION] === undefined)
    os["storageClassName"] = ns["storageClassName"];
  const phase = isObj(pvc["status"]) ? pvc["status"]["phase"] : undefined;
  const newReq = isObj(ns["resources"]) && isObj(ns["resources"]["requests"]) ? ns["resources"]["requests"] : undefined;
  const oldReq = isObj(os["resources"]) && isObj(os["resources"]["requests"]) ? os["resources"]["requests"] : undefined;
  const out: FieldCause[] = [];
  if (phase === "Bound" && newReq && oldReq) {
    try {
      if (parseQuantity(newReq["storage"] as string).nanos < parseQuantity(oldReq["storage"] as string).nanos)
        out.push(forbiddenCause("spec.resources.requests.storage", "field can not be less than previous value"));
    } catch {
      // invalid quantities are reported by validatePersistentVolumeClaim
    }
    newReq["storage"] = oldReq["storage"];
  }
  if (ns["volumeAttributesClassName"] !== os["volumeAttributesClassName"] && phase === "Bound") os["volumeAttributesClassName"] = ns["volumeAttributesClassName"];
  if (!same(ns, os)) out.unshift(forbiddenCause("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
  return out;
};

/** ValidatePersistentVolumeUpdate: the source, volumeMode and a set nodeAffinity are fixed. */
export const validatePersistentVolumeUpdate = (pv: Obj, old: Obj): FieldCause[] => {
  const ns = isObj(pv["spec"]) ? pv["spec"] : {};
  const os = isObj(old["spec"]) ? old["spec"] : {};
  const out: FieldCause[] = [];
  if (PV_SOURCES.some((s) => !same(ns[s], os[s]))) out.push(forbiddenCause("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"));
  if (!same(ns["volumeMode"], os["volumeMode"])) out.push(invalidCause("spec.volumeMode", ns["volumeMode"] ?? "", "field is immutable"));
  if (os["nodeAffinity"] !== undefined && !same(ns["nodeAffinity"], os["nodeAffinity"])) out.push(invalidCause("nodeAffinity", ns["nodeAffinity"] ?? "", "field is immutable"));
  return out;
};

/** ValidateStorageClassUpdate. */
export const validateStorageClassUpdate = (sc: Obj, old: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  if (!same(sc["parameters"], old["parameters"])) out.push(forbiddenCause("parameters", "updates to parameters are forbidden."));
  if (sc["provisioner"] !== old["provisioner"]) out.push(forbiddenCause("provisioner", "updates to provisioner are forbidden."));
  if (sc["reclaimPolicy"] !== old["reclaimPolicy"]) out.push(forbiddenCause("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
  if (sc["volumeBindingMode"] !== old["volumeBindingMode"]) out.push(invalidCause("volumeBindingMode", sc["volumeBindingMode"] ?? "", "field is immutable"));
  return out;
};
