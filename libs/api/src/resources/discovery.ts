/** discovery.k8s.io/v1 EndpointSlice. */
import * as Schema from "effect/Schema";
import { Int, StringMap, objectFields } from "../meta.ts";
import { ObjectReference } from "./core.ts";

const o = Schema.optional;
const Str = Schema.String;
const Bool = Schema.Boolean;
const Arr = Schema.Array;

/** The label naming the Service a slice belongs to. */
export const LABEL_SERVICE_NAME = "kubernetes.io/service-name";
/** The label naming the controller that manages a slice. */
export const LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
/** The value of LABEL_MANAGED_BY on slices the EndpointSlice controller owns. */
export const ENDPOINTSLICE_CONTROLLER_NAME = "endpointslice-controller.k8s.io";

export const EndpointConditions = Schema.Struct({ ready: o(Bool), serving: o(Bool), terminating: o(Bool) });
export const EndpointHints = Schema.Struct({
  forZones: o(Arr(Schema.Struct({ name: Str }))),
  forNodes: o(Arr(Schema.Struct({ name: Str }))),
});
export const Endpoint = Schema.Struct({
  addresses: Arr(Str),
  conditions: o(EndpointConditions),
  hostname: o(Str),
  targetRef: o(ObjectReference),
  deprecatedTopology: o(StringMap),
  nodeName: o(Str),
  zone: o(Str),
  hints: o(EndpointHints),
});
export const EndpointSlicePort = Schema.Struct({ name: o(Str), protocol: o(Str), port: o(Int), appProtocol: o(Str) });

export const EndpointSlice = Schema.Struct({
  ...objectFields,
  /** IPv4, IPv6 or FQDN. */
  addressType: Str,
  /** Always present in Kubernetes' JSON (no omitempty); optional here so a partial object still decodes. */
  endpoints: o(Arr(Endpoint)),
  ports: o(Arr(EndpointSlicePort)),
});
