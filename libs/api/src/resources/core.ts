/** core/v1 resources other than Pod. */
import * as Schema from "effect/Schema";
import { described as d, Int, IntOrString, Loose, ResourceList, StringMap, Time, objectFields } from "../meta.ts";

const o = Schema.optional;
const Str = Schema.String;
const Bool = Schema.Boolean;
const Arr = Schema.Array;

export const ObjectReference = Schema.Struct({
  kind: o(Str),
  namespace: o(Str),
  name: o(Str),
  uid: o(Str),
  apiVersion: o(Str),
  resourceVersion: o(Str),
  fieldPath: o(Str),
});

export const Namespace = Schema.Struct({
  ...objectFields,
  spec: o(Schema.Struct({ finalizers: o(Arr(Str)) })),
  status: o(
    Schema.Struct({
      phase: o(Str),
      conditions: o(Arr(Schema.Struct({ type: Str, status: Str, lastTransitionTime: o(Time), reason: o(Str), message: o(Str) }))),
    }),
  ),
});

export const Taint = Schema.Struct({ key: Str, value: o(Str), effect: Str, timeAdded: o(Time) });
export const NodeCondition = Schema.Struct({
  type: Str,
  status: Str,
  lastHeartbeatTime: o(Time),
  lastTransitionTime: o(Time),
  reason: o(Str),
  message: o(Str),
});
export const NodeSpec = Schema.Struct({
  podCIDR: o(Str),
  podCIDRs: o(Arr(Str)),
  providerID: o(Str),
  unschedulable: o(Bool),
  taints: o(Arr(Taint)),
  configSource: o(Loose),
  externalID: o(Str),
});
export const NodeSystemInfo = Schema.Struct({
  machineID: Str,
  systemUUID: Str,
  bootID: Str,
  kernelVersion: Str,
  osImage: Str,
  containerRuntimeVersion: Str,
  kubeletVersion: Str,
  kubeProxyVersion: o(Str),
  operatingSystem: Str,
  architecture: Str,
  swap: o(Loose),
});
export const NodeStatus = Schema.Struct({
  capacity: o(ResourceList),
  allocatable: o(ResourceList),
  phase: o(Str),
  conditions: o(Arr(NodeCondition)),
  addresses: o(Arr(Schema.Struct({ type: Str, address: Str }))),
  daemonEndpoints: o(Schema.Struct({ kubeletEndpoint: o(Schema.Struct({ Port: Int })) })),
  nodeInfo: o(NodeSystemInfo),
  images: o(Arr(Schema.Struct({ names: o(Arr(Str)), sizeBytes: o(Int) }))),
  volumesInUse: o(Arr(Str)),
  volumesAttached: o(Arr(Schema.Struct({ name: Str, devicePath: Str }))),
  config: o(Loose),
  runtimeHandlers: o(Arr(Loose)),
  features: o(Loose),
});
export const Node = Schema.Struct({ ...objectFields, spec: o(NodeSpec), status: o(NodeStatus) });

export const ServicePort = Schema.Struct({
  name: o(Str),
  protocol: o(Str),
  appProtocol: o(Str),
  port: Int,
  targetPort: o(IntOrString),
  nodePort: o(Int),
});
export const LoadBalancerIngress = Schema.Struct({
  ip: o(Str),
  hostname: o(Str),
  ipMode: o(Str),
  ports: o(Arr(Schema.Struct({ port: Int, protocol: Str, error: o(Str) }))),
});
export const ServiceSpec = Schema.Struct({
  ports: d(Arr(ServicePort), "The ports the service exposes and where each one forwards to."),
  selector: d(StringMap, "Traffic goes to the pods whose labels match this selector. Without a selector, endpoints are managed by hand."),
  clusterIP: d(Str, 'The service\'s virtual IP, normally allocated by the cluster. "None" makes a headless service.'),
  clusterIPs: d(Arr(Str), "The service's virtual IPs, one per IP family; the first equals clusterIP."),
  type: d(Str, "ClusterIP (the default), NodePort, LoadBalancer or ExternalName: how the service is exposed."),
  externalIPs: d(Arr(Str), "IPs outside the cluster on which nodes also accept traffic for this service."),
  sessionAffinity: d(Str, "ClientIP keeps each client on one pod; None (the default) does not."),
  loadBalancerIP: o(Str),
  loadBalancerSourceRanges: o(Arr(Str)),
  externalName: o(Str),
  externalTrafficPolicy: o(Str),
  healthCheckNodePort: o(Int),
  publishNotReadyAddresses: o(Bool),
  sessionAffinityConfig: o(Schema.Struct({ clientIP: o(Schema.Struct({ timeoutSeconds: o(Int) })) })),
  ipFamilies: o(Arr(Str)),
  ipFamilyPolicy: o(Str),
  allocateLoadBalancerNodePorts: o(Bool),
  loadBalancerClass: o(Str),
  internalTrafficPolicy: o(Str),
  trafficDistribution: o(Str),
}).annotations({ documentation: "The desired state of a Service: its ports, its selector and how it is exposed." });
export const ServiceStatus = Schema.Struct({
  loadBalancer: o(Schema.Struct({ ingress: o(Arr(LoadBalancerIngress)) })),
  conditions: o(Arr(Loose)),
});
export const Service = Schema.Struct({
  ...objectFields,
  spec: d(ServiceSpec, "How the service is exposed and which pods receive its traffic."),
  status: d(ServiceStatus, "The service's most recently observed state (load balancer ingress). Read-only."),
}).annotations({ documentation: "A Service is a stable name and virtual IP for a set of pods, with a load-balancing proxy in front of them." });

export const EndpointAddress = Schema.Struct({ ip: Str, hostname: o(Str), nodeName: o(Str), targetRef: o(ObjectReference) });
export const EndpointPort = Schema.Struct({ name: o(Str), port: Int, protocol: o(Str), appProtocol: o(Str) });
export const EndpointSubset = Schema.Struct({
  addresses: o(Arr(EndpointAddress)),
  notReadyAddresses: o(Arr(EndpointAddress)),
  ports: o(Arr(EndpointPort)),
});
export const Endpoints = Schema.Struct({ ...objectFields, subsets: o(Arr(EndpointSubset)) });

export const ConfigMap = Schema.Struct({
  ...objectFields,
  immutable: o(Bool),
  data: o(StringMap),
  /** base64 text on the wire. */
  binaryData: o(StringMap),
});

export const Secret = Schema.Struct({
  ...objectFields,
  immutable: o(Bool),
  /** base64 text on the wire. */
  data: o(StringMap),
  /** write-only convenience: merged into data on write. */
  stringData: o(StringMap),
  type: o(Str),
});

export const ServiceAccount = Schema.Struct({
  ...objectFields,
  secrets: o(Arr(ObjectReference)),
  imagePullSecrets: o(Arr(Schema.Struct({ name: o(Str) }))),
  automountServiceAccountToken: o(Bool),
});

export const EventSource = Schema.Struct({ component: o(Str), host: o(Str) });
/** core/v1 Event (what `kubectl get events` and `kubectl describe` read). */
export const Event = Schema.Struct({
  ...objectFields,
  involvedObject: o(ObjectReference),
  reason: o(Str),
  message: o(Str),
  source: o(EventSource),
  firstTimestamp: o(Time),
  lastTimestamp: o(Time),
  count: o(Int),
  type: o(Str),
  eventTime: o(Time),
  series: o(Schema.Struct({ count: o(Int), lastObservedTime: o(Time) })),
  action: o(Str),
  related: o(ObjectReference),
  reportingComponent: o(Str),
  reportingInstance: o(Str),
});
