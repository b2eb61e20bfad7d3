/**
 * Persistent storage: core/v1 PersistentVolume and PersistentVolumeClaim,
 * storage.k8s.io/v1 StorageClass. The PV controller (libs/controllers
 * persistentvolume.ts) binds claims and provisions hostPath volumes for the
 * local-path class; the kubelet mounts a bound claim's hostPath into process
 * containers. Volume sources other than hostPath and local are stored and
 * printed but nothing mounts them (no CSI, no attach/detach).
 */
import * as Schema from "effect/Schema";
import { described as d, describedRequired as dr, LabelSelector, Loose, ResourceList, StringMap, Time, objectFields } from "../meta.ts";
import { ObjectReference } from "./core.ts";
import { NodeSelector } from "./pod.ts";

const Str = Schema.String;
const Strings = Schema.Array(Str);

/** The annotation that marks the StorageClass PVCs without storageClassName get. */
export const DEFAULT_STORAGE_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
/** The pre-GA annotation kube still honours. */
export const BETA_DEFAULT_STORAGE_CLASS_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class";
/** StorageObjectInUseProtection's finalizers: a claim (volume) in use by a pod (claim) is not removed. */
export const PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection";
export const PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection";
/** The deprecated annotation kube reads before spec.storageClassName. */
export const BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";
/** kubeactor's provisioner: a hostPath directory under the cluster's data dir per claim (rancher's local-path idea). */
export const LOCAL_PATH_PROVISIONER = "kubeactor.io/local-path";
/** The default StorageClass the API server creates at first start, named as kind names it. */
export const DEFAULT_STORAGE_CLASS_NAME = "standard";
export const PERSISTENT_VOLUME_ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"] as const;

export const TypedLocalObjectReference = Schema.Struct({
  apiGroup: d(Str, "The group of the referenced resource; the core group when absent."),
  kind: dr(Str, "The kind of the referenced resource."),
  name: dr(Str, "The name of the referenced resource."),
});

export const VolumeNodeAffinity = Schema.Struct({
  required: d(NodeSelector, "The nodes this volume can be reached from."),
}).annotations({ documentation: "Which nodes a volume can be used on; pods using it are scheduled there." });

export const PersistentVolumeSpec = Schema.Struct({
  capacity: d(ResourceList, "The volume's size, as `storage: 10Gi`."),
  accessModes: d(Strings, "How the volume can be mounted: ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod."),
  claimRef: d(ObjectReference, "The claim bound to this volume (or reserved for it, when set by hand)."),
  persistentVolumeReclaimPolicy: d(Str, "What happens when the claim is released: Retain (the default for volumes created by hand), Delete (the default for provisioned ones) or Recycle."),
  storageClassName: d(Str, "The StorageClass this volume belongs to; only claims of that class bind to it."),
  mountOptions: d(Strings, "Mount options; not used by kubeactor's hostPath volumes."),
  volumeMode: d(Str, "Filesystem (the default) or Block."),
  nodeAffinity: d(VolumeNodeAffinity, "The nodes the volume can be used from."),
  volumeAttributesClassName: d(Str, "The VolumeAttributesClass of the volume."),
  hostPath: d(Schema.Struct({ path: dr(Str, "The directory on the node."), type: d(Str, "What must be at path (DirectoryOrCreate, Directory, ...).") }), "A directory on the node: what kubeactor mounts."),
  local: d(Schema.Struct({ path: dr(Str, "The directory or device on the node."), fsType: d(Str, "The filesystem type of a block device.") }), "A local disk or directory of one node (needs nodeAffinity)."),
  // Network and cloud sources: stored and printed, never mounted here.
  csi: d(Loose, "A volume of an external CSI driver (not mounted by kubeactor)."),
  nfs: d(Loose, "An NFS export (not mounted by kubeactor)."),
  iscsi: d(Loose, "An iSCSI disk (not mounted by kubeactor)."),
  fc: d(Loose, "A Fibre Channel disk (not mounted by kubeactor)."),
  cephfs: d(Loose, "A CephFS mount (not mounted by kubeactor)."),
  rbd: d(Loose, "A Rados block device (not mounted by kubeactor)."),
  glusterfs: d(Loose, "A GlusterFS volume (not mounted by kubeactor)."),
  gcePersistentDisk: d(Loose, "A GCE disk (not mounted by kubeactor)."),
  awsElasticBlockStore: d(Loose, "An AWS EBS disk (not mounted by kubeactor)."),
  azureDisk: d(Loose, "An Azure disk (not mounted by kubeactor)."),
  azureFile: d(Loose, "An Azure file share (not mounted by kubeactor)."),
  cinder: d(Loose, "A Cinder volume (not mounted by kubeactor)."),
  flexVolume: d(Loose, "A FlexVolume (not mounted by kubeactor)."),
  vsphereVolume: d(Loose, "A vSphere disk (not mounted by kubeactor)."),
  portworxVolume: d(Loose, "A Portworx volume (not mounted by kubeactor)."),
});

export const PersistentVolumeStatus = Schema.Struct({
  phase: d(Str, "Pending, Available, Bound, Released or Failed."),
  message: d(Str, "Why the volume is in its phase, for people."),
  reason: d(Str, "Why the volume is in its phase, for tools."),
  lastPhaseTransitionTime: d(Time, "When the phase last changed."),
});

export const PersistentVolume = Schema.Struct({
  ...objectFields,
  spec: d(PersistentVolumeSpec, "The volume: its size, access modes, source and the claim bound to it."),
  status: d(PersistentVolumeStatus, "The volume's phase, kept by the persistent volume controller."),
}).annotations({ documentation: "A piece of storage in the cluster, made by hand or provisioned for a claim." });

export const VolumeResourceRequirements = Schema.Struct({
  requests: d(ResourceList, "The minimum size, as `storage: 1Gi`."),
  limits: d(ResourceList, "The maximum size."),
});

export const PersistentVolumeClaimSpec = Schema.Struct({
  accessModes: d(Strings, "The access modes the volume must offer."),
  selector: d(LabelSelector, "A label query over the volumes that may be bound."),
  resources: d(VolumeResourceRequirements, "The size the volume must have at least."),
  volumeName: d(Str, "The volume bound to this claim (or wanted by it, when set by hand)."),
  storageClassName: d(Str, 'The StorageClass wanted; the default class when absent, no class when "".'),
  volumeMode: d(Str, "Filesystem (the default) or Block."),
  dataSource: d(TypedLocalObjectReference, "An object to populate the new volume from (not supported by kubeactor's provisioner)."),
  dataSourceRef: d(
    Schema.Struct({ apiGroup: d(Str, "The group."), kind: dr(Str, "The kind."), name: dr(Str, "The name."), namespace: d(Str, "The namespace.") }),
    "An object to populate the new volume from (not supported by kubeactor's provisioner).",
  ),
  volumeAttributesClassName: d(Str, "The VolumeAttributesClass wanted."),
});

export const PersistentVolumeClaimCondition = Schema.Struct({
  type: Str,
  status: Str,
  lastProbeTime: Schema.optional(Time),
  lastTransitionTime: Schema.optional(Time),
  reason: Schema.optional(Str),
  message: Schema.optional(Str),
});

export const PersistentVolumeClaimStatus = Schema.Struct({
  phase: d(Str, "Pending, Bound or Lost."),
  accessModes: d(Strings, "The access modes of the bound volume."),
  capacity: d(ResourceList, "The size of the bound volume."),
  conditions: d(Schema.Array(PersistentVolumeClaimCondition), "Resizing conditions."),
  allocatedResources: d(ResourceList, "What was allocated while resizing."),
  allocatedResourceStatuses: d(StringMap, "The state of resizes per resource."),
  currentVolumeAttributesClassName: d(Str, "The VolumeAttributesClass in use."),
  modifyVolumeStatus: d(Loose, "The state of a VolumeAttributesClass change."),
});

export const PersistentVolumeClaim = Schema.Struct({
  ...objectFields,
  spec: d(PersistentVolumeClaimSpec, "What the claim asks for."),
  status: d(PersistentVolumeClaimStatus, "The claim's phase and bound volume's size, kept by the persistent volume controller."),
}).annotations({ documentation: "A user's request for storage; bound to one PersistentVolume." });

export const TopologySelectorTerm = Schema.Struct({
  matchLabelExpressions: d(Schema.Array(Schema.Struct({ key: Str, values: Strings })), "Label requirements the nodes must meet."),
});

export const StorageClass = Schema.Struct({
  ...objectFields,
  provisioner: dr(Str, "The provisioner that makes volumes of this class (kubeactor.io/local-path makes hostPath directories)."),
  parameters: d(StringMap, "Parameters for the provisioner."),
  reclaimPolicy: d(Str, "The reclaim policy of the volumes provisioned: Delete (the default) or Retain."),
  mountOptions: d(Strings, "Mount options of the volumes provisioned."),
  allowVolumeExpansion: d(Schema.Boolean, "Whether claims of this class may grow."),
  volumeBindingMode: d(Str, "Immediate (the default: bind or provision at once) or WaitForFirstConsumer (when a pod using the claim is scheduled)."),
  allowedTopologies: d(Schema.Array(TopologySelectorTerm), "Where volumes may be provisioned."),
}).annotations({ documentation: "A class of storage: which provisioner makes its volumes and how." });
