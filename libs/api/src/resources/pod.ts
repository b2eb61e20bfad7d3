/** core/v1 Pod and the PodSpec / PodTemplateSpec shapes reused by apps/v1. */
import * as Schema from "effect/Schema";
import { Int, IntOrString, LabelSelector, Loose, ObjectMeta, ResourceList, StringMap, Time, objectFields } from "../meta.ts";

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
  name: Str,
  image: o(Str),
  command: o(Arr(Str)),
  args: o(Arr(Str)),
  workingDir: o(Str),
  ports: o(Arr(ContainerPort)),
  envFrom: o(Arr(EnvFromSource)),
  env: o(Arr(EnvVar)),
  resources: o(ResourceRequirements),
  resizePolicy: o(Arr(Schema.Struct({ resourceName: Str, restartPolicy: Str }))),
  restartPolicy: o(Str),
  volumeMounts: o(Arr(VolumeMount)),
  volumeDevices: o(Arr(VolumeDevice)),
  livenessProbe: o(Probe),
  readinessProbe: o(Probe),
  startupProbe: o(Probe),
  lifecycle: o(Lifecycle),
  terminationMessagePath: o(Str),
  terminationMessagePolicy: o(Str),
  imagePullPolicy: o(Str),
  /** Kept loose: capabilities, seLinuxOptions, seccompProfile... are passed through unchecked. */
  securityContext: o(Loose),
  stdin: o(Bool),
  stdinOnce: o(Bool),
  tty: o(Bool),
} as const;
export const Container = Schema.Struct(containerFields);
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
  volumes: o(Arr(Volume)),
  initContainers: o(Arr(Container)),
  containers: Arr(Container),
  ephemeralContainers: o(Arr(EphemeralContainer)),
  restartPolicy: o(Str),
  terminationGracePeriodSeconds: o(Int),
  activeDeadlineSeconds: o(Int),
  dnsPolicy: o(Str),
  nodeSelector: o(StringMap),
  serviceAccountName: o(Str),
  serviceAccount: o(Str),
  automountServiceAccountToken: o(Bool),
  nodeName: o(Str),
  hostNetwork: o(Bool),
  hostPID: o(Bool),
  hostIPC: o(Bool),
  shareProcessNamespace: o(Bool),
  /** Kept loose (runAsUser, fsGroup, seccompProfile, sysctls...). */
  securityContext: o(Loose),
  imagePullSecrets: o(Arr(LocalObjectReference)),
  hostname: o(Str),
  subdomain: o(Str),
  affinity: o(Affinity),
  schedulerName: o(Str),
  tolerations: o(Arr(Toleration)),
  hostAliases: o(Arr(Schema.Struct({ ip: Str, hostnames: o(Arr(Str)) }))),
  priorityClassName: o(Str),
  priority: o(Int),
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
});
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

export const Pod = Schema.Struct({ ...objectFields, spec: o(PodSpec), status: o(PodStatus) });
export type Pod = typeof Pod.Type;

/** core/v1 Binding (pods/binding subresource body). */
export const Binding = Schema.Struct({
  ...objectFields,
  target: Schema.Struct({ kind: o(Str), namespace: o(Str), name: o(Str), uid: o(Str), apiVersion: o(Str) }),
});
/** policy/v1 Eviction (pods/eviction subresource body). */
export const Eviction = Schema.Struct({ ...objectFields, deleteOptions: o(Loose) });
