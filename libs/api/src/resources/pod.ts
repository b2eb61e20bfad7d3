/** core/v1 Pod and the PodSpec / PodTemplateSpec shapes reused by apps/v1. */
import * as Schema from "effect/Schema";
import { described as d, describedRequired as dr, Int, IntOrString, LabelSelector, Loose, ObjectMeta, ResourceList, StringMap, Time, objectFields } from "../meta.ts";

const o = Schema.optional;
const Str = Schema.String;
const Bool = Schema.Boolean;
const Arr = Schema.Array;

export const ObjectFieldSelector = Schema.Struct({ apiVersion: o(Str), fieldPath: Str });
export const ResourceFieldSelector = Schema.Struct({ containerName: o(Str), resource: Str, divisor: o(Schema.Union(Str, Schema.Number)) });
export const ConfigMapKeySelector = Schema.Struct({ name: o(Str), key: Str, optional: o(Bool) });
export const SecretKeySelector = Schema.Struct({ name: o(Str), key: Str, optional: o(Bool) });
export const EnvVarSource = Schema.Struct({
  fieldRef: o(ObjectFieldSelector),
  resourceFieldRef: o(ResourceFieldSelector),
  configMapKeyRef: o(ConfigMapKeySelector),
  secretKeyRef: o(SecretKeySelector),
});
export const EnvVar = Schema.Struct({ name: Str, value: o(Str), valueFrom: o(EnvVarSource) });
export const EnvFromSource = Schema.Struct({
  prefix: o(Str),
  configMapRef: o(Schema.Struct({ name: o(Str), optional: o(Bool) })),
  secretRef: o(Schema.Struct({ name: o(Str), optional: o(Bool) })),
});
export const ContainerPort = Schema.Struct({
  name: o(Str),
  hostPort: o(Int),
  containerPort: Int,
  protocol: o(Str),
  hostIP: o(Str),
});
export const ResourceRequirements = Schema.Struct({
  limits: o(ResourceList),
  requests: o(ResourceList),
  claims: o(Arr(Schema.Struct({ name: Str, request: o(Str) }))),
});
export const VolumeMount = Schema.Struct({
  name: Str,
  readOnly: o(Bool),
  recursiveReadOnly: o(Str),
  mountPath: Str,
  subPath: o(Str),
  mountPropagation: o(Str),
  subPathExpr: o(Str),
});
export const VolumeDevice = Schema.Struct({ name: Str, devicePath: Str });
export const HTTPHeader = Schema.Struct({ name: Str, value: Str });
export const ExecAction = Schema.Struct({ command: o(Arr(Str)) });
export const HTTPGetAction = Schema.Struct({
  path: o(Str),
  port: IntOrString,
  host: o(Str),
  scheme: o(Str),
  httpHeaders: o(Arr(HTTPHeader)),
});
export const TCPSocketAction = Schema.Struct({ port: IntOrString, host: o(Str) });
export const GRPCAction = Schema.Struct({ port: Int, service: o(Str) });
export const Probe = Schema.Struct({
  exec: o(ExecAction),
  httpGet: o(HTTPGetAction),
  tcpSocket: o(TCPSocketAction),
  grpc: o(GRPCAction),
  initialDelaySeconds: o(Int),
  timeoutSeconds: o(Int),
  periodSeconds: o(Int),
  successThreshold: o(Int),
  failureThreshold: o(Int),
  terminationGracePeriodSeconds: o(Int),
});
export const LifecycleHandler = Schema.Struct({
  exec: o(ExecAction),
  httpGet: o(HTTPGetAction),
  tcpSocket: o(TCPSocketAction),
  sleep: o(Schema.Struct({ seconds: Int })),
});
export const Lifecycle = Schema.Struct({ postStart: o(LifecycleHandler), preStop: o(LifecycleHandler), stopSignal: o(Str) });

const containerFields = {
  name: dr(Str, "The container's name, a DNS label unique within the pod. Cannot be updated."),
  image: d(Str, "The container image to run (for example nginx:1.27)."),
  command: d(Arr(Str), "The entrypoint, run without a shell. Replaces the image's ENTRYPOINT; $(VAR) references to environment variables are expanded."),
  args: d(Arr(Str), "Arguments to the entrypoint. Replace the image's CMD; $(VAR) references to environment variables are expanded."),
  workingDir: d(Str, "The working directory; the image's default when empty."),
  ports: d(Arr(ContainerPort), "Ports the container exposes. Informational: a port not listed here can still be reached."),
  envFrom: d(Arr(EnvFromSource), "Sources (ConfigMaps, Secrets) whose keys become environment variables. Variables in env win over these."),
  env: d(Arr(EnvVar), "Environment variables to set in the container."),
  resources: d(ResourceRequirements, "Compute resources (cpu, memory) the container requests and is limited to."),
  resizePolicy: o(Arr(Schema.Struct({ resourceName: Str, restartPolicy: Str }))),
  restartPolicy: o(Str),
  volumeMounts: o(Arr(VolumeMount)),
  volumeDevices: o(Arr(VolumeDevice)),
  livenessProbe: d(Probe, "Periodic check of container liveness; the container is restarted when it fails."),
  readinessProbe: d(Probe, "Periodic check of container readiness; the pod is removed from service endpoints when it fails."),
  startupProbe: d(Probe, "Checked until it succeeds once; liveness and readiness probes wait for it."),
  lifecycle: d(Lifecycle, "Actions the kubelet runs after the container starts and before it stops."),
  terminationMessagePath: o(Str),
  terminationMessagePolicy: o(Str),
  imagePullPolicy: d(Str, "Always, Never or IfNotPresent. Defaults to Always for the :latest tag, IfNotPresent otherwise."),
  /** Kept loose: capabilities, seLinuxOptions, seccompProfile... are passed through unchecked. */
  securityContext: o(Loose),
  stdin: o(Bool),
  stdinOnce: o(Bool),
  tty: o(Bool),
} as const;
export const Container = Schema.Struct(containerFields).annotations({ documentation: "One application container of a pod." });
export type Container = typeof Container.Type;
export const EphemeralContainer = Schema.Struct({ ...containerFields, targetContainerName: o(Str) });

const KeyToPath = Schema.Struct({ key: Str, path: Str, mode: o(Int) });
export const Volume = Schema.Struct({
  name: Str,
  emptyDir: o(Schema.Struct({ medium: o(Str), sizeLimit: o(Schema.Union(Str, Schema.Number)) })),
  hostPath: o(Schema.Struct({ path: Str, type: o(Str) })),
  configMap: o(Schema.Struct({ name: o(Str), items: o(Arr(KeyToPath)), defaultMode: o(Int), optional: o(Bool) })),
  secret: o(Schema.Struct({ secretName: o(Str), items: o(Arr(KeyToPath)), defaultMode: o(Int), optional: o(Bool) })),
  persistentVolumeClaim: o(Schema.Struct({ claimName: Str, readOnly: o(Bool) })),
  /** Kept loose: projected sources (serviceAccountToken, downwardAPI, configMap, secret, clusterTrustBundle). */
  projected: o(Loose),
  downwardAPI: o(Loose),
  nfs: o(Loose),
  csi: o(Loose),
  ephemeral: o(Loose),
  image: o(Loose),
  // In-tree and deprecated sources: kept loose so manifests that use them are not refused as unknown fields.
  gcePersistentDisk: o(Loose),
  awsElasticBlockStore: o(Loose),
  gitRepo: o(Loose),
  iscsi: o(Loose),
  glusterfs: o(Loose),
  rbd: o(Loose),
  flexVolume: o(Loose),
  cinder: o(Loose),
  cephfs: o(Loose),
  flocker: o(Loose),
  fc: o(Loose),
  azureFile: o(Loose),
  vsphereVolume: o(Loose),
  quobyte: o(Loose),
  azureDisk: o(Loose),
  photonPersistentDisk: o(Loose),
  portworxVolume: o(Loose),
  scaleIO: o(Loose),
  storageos: o(Loose),
});
export type Volume = typeof Volume.Type;

export const NodeSelectorRequirement = Schema.Struct({ key: Str, operator: Str, values: o(Arr(Str)) });
export const NodeSelectorTerm = Schema.Struct({
  matchExpressions: o(Arr(NodeSelectorRequirement)),
  matchFields: o(Arr(NodeSelectorRequirement)),
});
export const NodeSelector = Schema.Struct({ nodeSelectorTerms: Arr(NodeSelectorTerm) });
export const NodeAffinity = Schema.Struct({
  requiredDuringSchedulingIgnoredDuringExecution: o(NodeSelector),
  preferredDuringSchedulingIgnoredDuringExecution: o(Arr(Schema.Struct({ weight: Int, preference: NodeSelectorTerm }))),
});
export const PodAffinityTerm = Schema.Struct({
  labelSelector: o(LabelSelector),
  namespaces: o(Arr(Str)),
  topologyKey: Str,
  namespaceSelector: o(LabelSelector),
  matchLabelKeys: o(Arr(Str)),
  mismatchLabelKeys: o(Arr(Str)),
});
export const WeightedPodAffinityTerm = Schema.Struct({ weight: Int, podAffinityTerm: PodAffinityTerm });
export const PodAffinity = Schema.Struct({
  requiredDuringSchedulingIgnoredDuringExecution: o(Arr(PodAffinityTerm)),
  preferredDuringSchedulingIgnoredDuringExecution: o(Arr(WeightedPodAffinityTerm)),
});
export const Affinity = Schema.Struct({ nodeAffinity: o(NodeAffinity), podAffinity: o(PodAffinity), podAntiAffinity: o(PodAffinity) });
export const Toleration = Schema.Struct({
  key: o(Str),
  operator: o(Str),
  value: o(Str),
  effect: o(Str),
  tolerationSeconds: o(Int),
});
export type Toleration = typeof Toleration.Type;
export const TopologySpreadConstraint = Schema.Struct({
  maxSkew: Int,
  topologyKey: Str,
  whenUnsatisfiable: Str,
  labelSelector: o(LabelSelector),
  minDomains: o(Int),
  nodeAffinityPolicy: o(Str),
  nodeTaintsPolicy: o(Str),
  matchLabelKeys: o(Arr(Str)),
});
export const LocalObjectReference = Schema.Struct({ name: o(Str) });

export const PodSpec = Schema.Struct({
  volumes: d(Arr(Volume), "Volumes that containers of the pod can mount."),
  initContainers: d(Arr(Container), "Containers run one after another, each to completion, before the app containers start."),
  containers: dr(Arr(Container), "The pod's containers. There must be at least one; the list cannot be changed once the pod exists."),
  ephemeralContainers: d(Arr(EphemeralContainer), "Temporary containers added to a running pod for debugging (kubectl debug)."),
  restartPolicy: d(Str, "Always, OnFailure or Never: when the kubelet restarts the pod's containers. Defaults to Always."),
  terminationGracePeriodSeconds: d(Int, "Seconds the pod has to stop gracefully after SIGTERM before it is killed. Defaults to 30."),
  activeDeadlineSeconds: d(Int, "How long the pod may be active on a node before the kubelet fails it."),
  dnsPolicy: d(Str, "ClusterFirst (the default), ClusterFirstWithHostNet, Default or None."),
  nodeSelector: d(StringMap, "Labels a node must have for the pod to be scheduled onto it."),
  serviceAccountName: d(Str, "The ServiceAccount the pod runs as. Defaults to default."),
  serviceAccount: o(Str),
  automountServiceAccountToken: o(Bool),
  nodeName: d(Str, "The node the pod is bound to. Set by the scheduler; setting it yourself bypasses scheduling."),
  hostNetwork: o(Bool),
  hostPID: o(Bool),
  hostIPC: o(Bool),
  shareProcessNamespace: o(Bool),
  /** Kept loose (runAsUser, fsGroup, seccompProfile, sysctls...). */
  securityContext: o(Loose),
  imagePullSecrets: o(Arr(LocalObjectReference)),
  hostname: o(Str),
  subdomain: o(Str),
  affinity: d(Affinity, "Node affinity and pod (anti-)affinity scheduling constraints."),
  schedulerName: d(Str, "The scheduler that places this pod. Defaults to default-scheduler."),
  tolerations: d(Arr(Toleration), "Taints the pod tolerates."),
  hostAliases: o(Arr(Schema.Struct({ ip: Str, hostnames: o(Arr(Str)) }))),
  priorityClassName: d(Str, "The PriorityClass whose value becomes the pod's priority."),
  priority: d(Int, "The pod's priority, filled in from priorityClassName by admission."),
  dnsConfig: o(Loose),
  readinessGates: o(Arr(Schema.Struct({ conditionType: Str }))),
  runtimeClassName: o(Str),
  enableServiceLinks: o(Bool),
  preemptionPolicy: o(Str),
  overhead: o(ResourceList),
  topologySpreadConstraints: o(Arr(TopologySpreadConstraint)),
  setHostnameAsFQDN: o(Bool),
  os: o(Schema.Struct({ name: Str })),
  hostUsers: o(Bool),
  schedulingGates: o(Arr(Schema.Struct({ name: Str }))),
  resourceClaims: o(Arr(Loose)),
  resources: o(ResourceRequirements),
}).annotations({ documentation: "The desired state of a pod: its containers, volumes and where and how it runs." });
export type PodSpec = typeof PodSpec.Type;

export const PodTemplateSpec = Schema.Struct({ metadata: o(ObjectMeta), spec: o(PodSpec) });

export const PodCondition = Schema.Struct({
  type: Str,
  observedGeneration: o(Int),
  status: Str,
  lastProbeTime: o(Time),
  lastTransitionTime: o(Time),
  reason: o(Str),
  message: o(Str),
});
export const ContainerState = Schema.Struct({
  waiting: o(Schema.Struct({ reason: o(Str), message: o(Str) })),
  running: o(Schema.Struct({ startedAt: o(Time) })),
  terminated: o(
    Schema.Struct({
      exitCode: Int,
      signal: o(Int),
      reason: o(Str),
      message: o(Str),
      startedAt: o(Time),
      finishedAt: o(Time),
      containerID: o(Str),
    }),
  ),
});
export const ContainerStatus = Schema.Struct({
  name: Str,
  state: o(ContainerState),
  lastState: o(ContainerState),
  ready: Bool,
  restartCount: Int,
  image: Str,
  imageID: Str,
  containerID: o(Str),
  started: o(Bool),
  allocatedResources: o(ResourceList),
  resources: o(ResourceRequirements),
  volumeMounts: o(Arr(Loose)),
  user: o(Loose),
  allocatedResourcesStatus: o(Arr(Loose)),
  stopSignal: o(Str),
});
export type ContainerStatus = typeof ContainerStatus.Type;
const IP = Schema.Struct({ ip: Str });
export const PodStatus = Schema.Struct({
  observedGeneration: o(Int),
  phase: o(Str),
  conditions: o(Arr(PodCondition)),
  message: o(Str),
  reason: o(Str),
  nominatedNodeName: o(Str),
  hostIP: o(Str),
  hostIPs: o(Arr(IP)),
  podIP: o(Str),
  podIPs: o(Arr(IP)),
  startTime: o(Time),
  initContainerStatuses: o(Arr(ContainerStatus)),
  containerStatuses: o(Arr(ContainerStatus)),
  ephemeralContainerStatuses: o(Arr(ContainerStatus)),
  qosClass: o(Str),
  resize: o(Str),
  resourceClaimStatuses: o(Arr(Loose)),
});
export type PodStatus = typeof PodStatus.Type;

export const Pod = Schema.Struct({
  ...objectFields,
  spec: d(PodSpec, "What the pod should run."),
  status: d(PodStatus, "What the kubelet last reported about the pod. Read-only."),
}).annotations({ documentation: "A Pod is a group of containers scheduled together onto one node." });
export type Pod = typeof Pod.Type;

/** core/v1 Binding (pods/binding subresource body). */
export const Binding = Schema.Struct({
  ...objectFields,
  target: Schema.Struct({ kind: o(Str), namespace: o(Str), name: o(Str), uid: o(Str), apiVersion: o(Str) }),
});
/** policy/v1 Eviction (pods/eviction subresource body). */
export const Eviction = Schema.Struct({ ...objectFields, deleteOptions: o(Loose) });
