/**
 * PersistentVolume, PersistentVolumeClaim and StorageClass rows, as
 * printers.go prints them in Kubernetes 1.32 (printPersistentVolume,
 * printPersistentVolumeClaim, printStorageClass). Descriptions are the
 * types' SwaggerDoc texts.
 */
import { BETA_DEFAULT_STORAGE_CLASS_ANNOTATION, BETA_STORAGE_CLASS_ANNOTATION, canonicalQuantity, DEFAULT_STORAGE_CLASS_ANNOTATION } from "@kubeactor/api";
import { ageCol, ageOf, col, isObj, nameCol, nameOf, type Obj, type Printer, type PrinterEntry, rec, str, type TableColumn } from "./cells.ts";

const MODE_SHORT: [string, string][] = [["ReadWriteOnce", "RWO"], ["ReadOnlyMany", "ROX"], ["ReadWriteMany", "RWX"], ["ReadWriteOncePod", "RWOP"]];
/** helper.GetAccessModesAsString: the short names in a fixed order, joined by ",". */
export const accessModesString = (modes: unknown): string => {
  const list = Array.isArray(modes) ? modes : [];
  return MODE_SHORT.filter(([m]) => list.includes(m)).map(([, s]) => s).join(",");
};
/** resource.Quantity.String() of `storage`: "0" when absent. */
const storageOf = (list: unknown): string => {
  const v = rec(list).storage;
  if (typeof v !== "string" && typeof v !== "number") return "0";
  try {
    return canonicalQuantity(v);
  } catch {
    return String(v);
  }
};
/** GetPersistentVolume(Claim)Class: the beta annotation wins over spec.storageClassName. */
const classOf = (o: Obj): string => {
  const ann = rec(rec(o.metadata).annotations);
  return BETA_STORAGE_CLASS_ANNOTATION in ann ? str(ann[BETA_STORAGE_CLASS_ANNOTATION]) : str(rec(o.spec).storageClassName);
};
const phaseOf = (o: Obj): string => (rec(o.metadata).deletionTimestamp ? "Terminating" : str(rec(o.status).phase));
const unsetOr = (v: unknown): string => (typeof v === "string" ? v : "<unset>");

const pvColumns = [
  nameCol(),
  col("Capacity", "string", "capacity is the description of the persistent volume's resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity"),
  col("Access Modes", "string", "accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes"),
  col("Reclaim Policy", "string", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming"),
  col("Status", "string", "phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase"),
  col("Claim", "string", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding"),
  col("StorageClass", "string", "StorageClass of the pv"),
  col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
  col("Reason", "string", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
  ageCol(),
  col("VolumeMode", "string", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.", 1),
];
const printPersistentVolume: Printer = (o, now) => {
  const spec = rec(o.spec);
  const ref = isObj(spec.claimRef) ? `${str(spec.claimRef.namespace)}/${str(spec.claimRef.name)}` : "";
  return {
    cells: [
      nameOf(o), storageOf(spec.capacity), accessModesString(spec.accessModes), str(spec.persistentVolumeReclaimPolicy),
      phaseOf(o), ref, classOf(o), unsetOr(spec.volumeAttributesClassName), str(rec(o.status).reason), ageOf(o, now), unsetOr(spec.volumeMode),
    ],
  };
};

const pvcColumns = [
  nameCol(),
  col("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
  col("Volume", "string", "volumeName is the binding reference to the PersistentVolume backing this claim."),
  col("Capacity", "string", "capacity represents the actual resources of the underlying volume."),
  col("Access Modes", "string", "accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1"),
  col("StorageClass", "string", "StorageClass of the pvc"),
  col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
  ageCol(),
  col("VolumeMode", "string", "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.", 1),
];
const printPersistentVolumeClaim: Printer = (o, now) => {
  const spec = rec(o.spec);
  const status = rec(o.status);
  const bound = str(spec.volumeName) !== "";
  return {
    cells: [
      nameOf(o), phaseOf(o), str(spec.volumeName), bound ? storageOf(status.capacity) : "", bound ? accessModesString(status.accessModes) : "",
      classOf(o), unsetOr(spec.volumeAttributesClassName), ageOf(o, now), unsetOr(spec.volumeMode),
    ],
  };
};

const scColumns: TableColumn[] = [
  nameCol(),
  col("Provisioner", "string", "provisioner indicates the type of the provisioner."),
  col("ReclaimPolicy", "string", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete."),
  col("VolumeBindingMode", "string", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature."),
  col("AllowVolumeExpansion", "string", "allowVolumeExpansion shows whether the storage class allow volume expand."),
  ageCol(),
];
/** storageutil.IsDefaultAnnotation: the GA or the beta annotation is "true". */
export const isDefaultStorageClass = (o: Obj): boolean => {
  const ann = rec(rec(o.metadata).annotations);
  return ann[DEFAULT_STORAGE_CLASS_ANNOTATION] === "true" || ann[BETA_DEFAULT_STORAGE_CLASS_ANNOTATION] === "true";
};
const printStorageClass: Printer = (o, now) => {
  const name = nameOf(o) + (isDefaultStorageClass(o) ? " (default)" : "");
  const reclaim = typeof o.reclaimPolicy === "string" ? o.reclaimPolicy : "Delete";
  const binding = typeof o.volumeBindingMode === "string" ? o.volumeBindingMode : "Immediate";
  return { cells: [name, str(o.provisioner), reclaim, binding, o.allowVolumeExpansion === true, ageOf(o, now)] };
};

/** Entries for the printers map, keyed `${group}/${resource}`. */
export const storagePrinters: [string, PrinterEntry][] = [
  ["/persistentvolumes", { columns: pvColumns, print: printPersistentVolume }],
  ["/persistentvolumeclaims", { columns: pvcColumns, print: printPersistentVolumeClaim }],
  ["storage.k8s.io/storageclasses", { columns: scColumns, print: printStorageClass }],
];
