// GENERATED from the `patchStrategy`/`patchMergeKey` struct tags of k8s.io/api (core/v1, apps/v1, batch/v1,
// coordination/v1 @ kubernetes/api 10b39a39bcee995dfe7cd5e8e7b922be5e46f1e2) and k8s.io/apimachinery meta/v1
// (@ eed236ceee2c19c2753a3d93ac0631dc20750454). Pruned: only fields that carry a strategy, or that lead to a
// struct which (transitively) contains one, are listed. Every other list is atomic (replaced wholesale).
//   s: patchStrategy ("merge", "retainKeys", "merge,retainKeys", "replace")
//   k: patchMergeKey     l: 1 = list of objects, 0 = list of scalars     t: struct type of the field / list element

export interface FieldMeta {
  readonly s?: string;
  readonly k?: string;
  readonly l?: 0 | 1;
  readonly t?: string;
}

export type SchemaTable = Readonly<Record<string, Readonly<Record<string, FieldMeta>>>>;

export const BUILTIN_TYPES: SchemaTable = {
  "core.Pod": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "core.PodSpec" },
    status: { t: "core.PodStatus" },
  },
  "meta.ObjectMeta": {
    ownerReferences: { s: "merge", k: "uid", l: 1 },
    finalizers: { s: "merge", l: 0 },
  },
  "core.PodSpec": {
    volumes: { s: "merge,retainKeys", k: "name", l: 1, t: "core.Volume" },
    initContainers: { s: "merge", k: "name", l: 1, t: "core.Container" },
    containers: { s: "merge", k: "name", l: 1, t: "core.Container" },
    ephemeralContainers: { s: "merge", k: "name", l: 1, t: "core.EphemeralContainer" },
    imagePullSecrets: { s: "merge", k: "name", l: 1 },
    hostAliases: { s: "merge", k: "ip", l: 1 },
    topologySpreadConstraints: { s: "merge", k: "topologyKey", l: 1 },
    schedulingGates: { s: "merge", k: "name", l: 1 },
    resourceClaims: { s: "merge,retainKeys", k: "name", l: 1 },
    evictionResponders: { s: "merge", k: "name", l: 1 },
  },
  "core.Volume": {
    ephemeral: { t: "core.EphemeralVolumeSource" },
  },
  "core.EphemeralVolumeSource": {
    volumeClaimTemplate: { t: "core.PersistentVolumeClaimTemplate" },
  },
  "core.PersistentVolumeClaimTemplate": {
    metadata: { t: "meta.ObjectMeta" },
  },
  "core.Container": {
    ports: { s: "merge", k: "containerPort", l: 1 },
    env: { s: "merge", k: "name", l: 1 },
    volumeMounts: { s: "merge", k: "mountPath", l: 1 },
    volumeDevices: { s: "merge", k: "devicePath", l: 1 },
  },
  "core.EphemeralContainer": {
    ports: { s: "merge", k: "containerPort", l: 1 },
    env: { s: "merge", k: "name", l: 1 },
    volumeMounts: { s: "merge", k: "mountPath", l: 1 },
    volumeDevices: { s: "merge", k: "devicePath", l: 1 },
  },
  "core.PodStatus": {
    conditions: { s: "merge", k: "type", l: 1 },
    hostIPs: { s: "merge", k: "ip", l: 1 },
    podIPs: { s: "merge", k: "ip", l: 1 },
    initContainerStatuses: { l: 1, t: "core.ContainerStatus" },
    containerStatuses: { l: 1, t: "core.ContainerStatus" },
    ephemeralContainerStatuses: { l: 1, t: "core.ContainerStatus" },
    resourceClaimStatuses: { s: "merge,retainKeys", k: "name", l: 1 },
    nodeAllocatableResourceClaimStatuses: { s: "merge", k: "resourceClaimName", l: 1, t: "core.NodeAllocatableResourceClaimStatus" },
    volumeHealth: { l: 1, t: "core.PodVolumeHealth" },
  },
  "core.ContainerStatus": {
    volumeMounts: { s: "merge", k: "mountPath", l: 1 },
    allocatedResourcesStatus: { s: "merge", k: "name", l: 1 },
  },
  "core.NodeAllocatableResourceClaimStatus": {
    mapping: { s: "merge", k: "name", l: 1 },
    overhead: { s: "merge", k: "name", l: 1 },
  },
  "core.PodVolumeHealth": {
    healthConditions: { s: "merge", k: "status", l: 1 },
  },
  "core.PodTemplate": {
    metadata: { t: "meta.ObjectMeta" },
    template: { t: "core.PodTemplateSpec" },
  },
  "core.PodTemplateSpec": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "core.PodSpec" },
  },
  "core.ReplicationController": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "core.ReplicationControllerSpec" },
    status: { t: "core.ReplicationControllerStatus" },
  },
  "core.ReplicationControllerSpec": {
    template: { t: "core.PodTemplateSpec" },
  },
  "core.ReplicationControllerStatus": {
    conditions: { s: "merge", k: "type", l: 1 },
  },
  "core.Service": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "core.ServiceSpec" },
    status: { t: "core.ServiceStatus" },
  },
  "core.ServiceSpec": {
    ports: { s: "merge", k: "port", l: 1 },
  },
  "core.ServiceStatus": {
    conditions: { s: "merge", k: "type", l: 1 },
  },
  "core.Node": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "core.NodeSpec" },
    status: { t: "core.NodeStatus" },
  },
  "core.NodeSpec": {
    podCIDRs: { s: "merge", l: 0 },
  },
  "core.NodeStatus": {
    conditions: { s: "merge", k: "type", l: 1 },
    addresses: { s: "merge", k: "type", l: 1 },
  },
  "core.Namespace": {
    metadata: { t: "meta.ObjectMeta" },
    status: { t: "core.NamespaceStatus" },
  },
  "core.NamespaceStatus": {
    conditions: { s: "merge", k: "type", l: 1 },
  },
  "core.ConfigMap": {
    metadata: { t: "meta.ObjectMeta" },
  },
  "core.Secret": {
    metadata: { t: "meta.ObjectMeta" },
  },
  "core.ServiceAccount": {
    metadata: { t: "meta.ObjectMeta" },
    secrets: { s: "merge", k: "name", l: 1 },
  },
  "core.Endpoints": {
    metadata: { t: "meta.ObjectMeta" },
  },
  "core.Event": {
    metadata: { t: "meta.ObjectMeta" },
  },
  "core.PersistentVolume": {
    metadata: { t: "meta.ObjectMeta" },
  },
  "core.PersistentVolumeClaim": {
    metadata: { t: "meta.ObjectMeta" },
    status: { t: "core.PersistentVolumeClaimStatus" },
  },
  "core.PersistentVolumeClaimStatus": {
    conditions: { s: "merge", k: "type", l: 1 },
    healthStatus: { t: "core.VolumeHealthStatus" },
  },
  "core.VolumeHealthStatus": {
    healthConditions: { s: "merge", k: "status", l: 1 },
  },
  "core.LimitRange": {
    metadata: { t: "meta.ObjectMeta" },
  },
  "core.ResourceQuota": {
    metadata: { t: "meta.ObjectMeta" },
  },
  "apps.Deployment": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "apps.DeploymentSpec" },
    status: { t: "apps.DeploymentStatus" },
  },
  "apps.DeploymentSpec": {
    template: { t: "core.PodTemplateSpec" },
    strategy: { s: "retainKeys" },
  },
  "apps.DeploymentStatus": {
    conditions: { s: "merge", k: "type", l: 1 },
  },
  "apps.ReplicaSet": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "apps.ReplicaSetSpec" },
    status: { t: "apps.ReplicaSetStatus" },
  },
  "apps.ReplicaSetSpec": {
    template: { t: "core.PodTemplateSpec" },
  },
  "apps.ReplicaSetStatus": {
    conditions: { s: "merge", k: "type", l: 1 },
  },
  "apps.StatefulSet": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "apps.StatefulSetSpec" },
    status: { t: "apps.StatefulSetStatus" },
  },
  "apps.StatefulSetSpec": {
    template: { t: "core.PodTemplateSpec" },
    volumeClaimTemplates: { l: 1, t: "core.PersistentVolumeClaim" },
  },
  "apps.StatefulSetStatus": {
    conditions: { s: "merge", k: "type", l: 1 },
  },
  "apps.DaemonSet": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "apps.DaemonSetSpec" },
    status: { t: "apps.DaemonSetStatus" },
  },
  "apps.DaemonSetSpec": {
    template: { t: "core.PodTemplateSpec" },
  },
  "apps.DaemonSetStatus": {
    conditions: { s: "merge", k: "type", l: 1 },
  },
  "apps.ControllerRevision": {
    metadata: { t: "meta.ObjectMeta" },
  },
  "batch.Job": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "batch.JobSpec" },
    status: { t: "batch.JobStatus" },
  },
  "batch.JobSpec": {
    template: { t: "core.PodTemplateSpec" },
    scheduling: { t: "batch.JobSchedulingConfiguration" },
  },
  "batch.JobSchedulingConfiguration": {
    resourceClaims: { s: "merge", k: "name", l: 1 },
  },
  "batch.JobStatus": {
    conditions: { s: "merge", k: "type", l: 1 },
  },
  "batch.CronJob": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "batch.CronJobSpec" },
  },
  "batch.CronJobSpec": {
    jobTemplate: { t: "batch.JobTemplateSpec" },
  },
  "batch.JobTemplateSpec": {
    metadata: { t: "meta.ObjectMeta" },
    spec: { t: "batch.JobSpec" },
  },
  "coord.Lease": {
    metadata: { t: "meta.ObjectMeta" },
  },
};

/** Kind → root struct. Kinds that share a name across groups (e.g. events.k8s.io Event) map to the core type. */
export const BUILTIN_KINDS: Readonly<Record<string, string>> = {
  Pod: "core.Pod",
  PodTemplate: "core.PodTemplate",
  ReplicationController: "core.ReplicationController",
  Service: "core.Service",
  Node: "core.Node",
  Namespace: "core.Namespace",
  ConfigMap: "core.ConfigMap",
  Secret: "core.Secret",
  ServiceAccount: "core.ServiceAccount",
  Endpoints: "core.Endpoints",
  Event: "core.Event",
  PersistentVolume: "core.PersistentVolume",
  PersistentVolumeClaim: "core.PersistentVolumeClaim",
  LimitRange: "core.LimitRange",
  ResourceQuota: "core.ResourceQuota",
  Deployment: "apps.Deployment",
  ReplicaSet: "apps.ReplicaSet",
  StatefulSet: "apps.StatefulSet",
  DaemonSet: "apps.DaemonSet",
  ControllerRevision: "apps.ControllerRevision",
  Job: "batch.Job",
  CronJob: "batch.CronJob",
  Lease: "coord.Lease",
};
