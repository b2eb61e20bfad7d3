/**
 * networking.k8s.io/v1 Ingress, IngressClass and NetworkPolicy. They are
 * stored, validated and printed as Kubernetes does; as in a cluster without
 * an ingress controller or a policy-enforcing network plugin, nothing acts on
 * them yet (kube-proxy serves Services only).
 */
import * as Schema from "effect/Schema";
import { described as d, describedRequired as dr, Int, IntOrString, LabelSelector, objectFields } from "../meta.ts";

const Str = Schema.String;
const Strings = Schema.Array(Str);

const TypedLocalObjectReference = Schema.Struct({
  apiGroup: d(Str, "The group of the referenced resource; the core group when absent."),
  kind: dr(Str, "The kind of the referenced resource."),
  name: dr(Str, "The name of the referenced resource."),
});

export const IngressServiceBackend = Schema.Struct({
  name: dr(Str, "The referenced service, in the same namespace as the Ingress."),
  port: d(
    Schema.Struct({ name: d(Str, "The port's name on the Service."), number: d(Int, "The port's number on the Service.") }),
    "The port of the referenced service: a name or a number.",
  ),
});

export const IngressBackend = Schema.Struct({
  service: d(IngressServiceBackend, "A Service to send the traffic to. Mutually exclusive with resource."),
  resource: d(TypedLocalObjectReference, "Another object in the Ingress' namespace to send the traffic to. Mutually exclusive with service."),
}).annotations({ documentation: "Where matching traffic goes." });

export const HTTPIngressPath = Schema.Struct({
  path: d(Str, 'The path matched against the request\'s path; must start with "/" unless pathType is ImplementationSpecific.'),
  // Required (validation says so with kube's message); optional here so a missing one reaches validation.
  pathType: d(Str, 'How path is matched: "Exact", "Prefix" (by "/"-separated elements) or "ImplementationSpecific" (up to the IngressClass).'),
  backend: d(IngressBackend, "Where requests matching the path go."),
});

export const IngressRule = Schema.Struct({
  host: d(Str, 'The fully qualified domain name the rule applies to, possibly with a leading "*." wildcard; all hosts when absent.'),
  http: d(Schema.Struct({ paths: dr(Schema.Array(HTTPIngressPath), "The paths and their backends.") }), "HTTP routing by path."),
});

export const IngressSpec = Schema.Struct({
  ingressClassName: d(Str, "The IngressClass (and so the controller) that implements this Ingress."),
  defaultBackend: d(IngressBackend, "Where requests no rule matches go."),
  tls: d(
    Schema.Array(Schema.Struct({ hosts: d(Strings, "The hosts in the certificate."), secretName: d(Str, "The Secret holding the certificate and key.") })),
    "TLS termination: hosts and the Secret with their certificate.",
  ),
  rules: d(Schema.Array(IngressRule), "Host and path rules; without any, all traffic goes to defaultBackend."),
});

const LoadBalancerIngress = Schema.Struct({
  ip: d(Str, "An IP address of the load balancer."),
  hostname: d(Str, "A DNS name of the load balancer."),
  ports: d(Schema.Array(Schema.Struct({ port: Int, protocol: Str, error: Schema.optional(Str) })), "The ports it listens on."),
});

export const Ingress = Schema.Struct({
  ...objectFields,
  spec: d(IngressSpec, "The rules and backends of the Ingress."),
  status: d(
    Schema.Struct({ loadBalancer: d(Schema.Struct({ ingress: d(Schema.Array(LoadBalancerIngress), "The load balancer's addresses.") }), "The load balancer's state.") }),
    "The current state, written by the ingress controller.",
  ),
}).annotations({ documentation: "Routes outside HTTP(S) traffic to Services by host and path; an ingress controller implements it." });

export const IngressClass = Schema.Struct({
  ...objectFields,
  spec: d(
    Schema.Struct({
      controller: d(Str, 'The name of the controller that implements the class, as "example.com/ingress-controller".'),
      parameters: d(
        Schema.Struct({
          apiGroup: d(Str, "The group of the parameters resource."),
          kind: dr(Str, "The kind of the parameters resource."),
          name: dr(Str, "The name of the parameters resource."),
          scope: d(Str, '"Cluster" (the default) or "Namespace".'),
          namespace: d(Str, "The namespace of a Namespace-scoped parameters resource."),
        }),
        "A resource holding the controller's configuration for this class.",
      ),
    }),
    "The controller and its parameters.",
  ),
}).annotations({ documentation: "A kind of Ingress and the controller that implements it." });

const NetworkPolicyPort = Schema.Struct({
  protocol: d(Str, '"TCP" (the default), "UDP" or "SCTP".'),
  port: d(IntOrString, "A port number or a named port on the pods; all ports when absent."),
  endPort: d(Int, "With a numeric port, the last port of a range."),
});

const NetworkPolicyPeer = Schema.Struct({
  podSelector: d(LabelSelector, "Pods selected in the policy's namespace, or in the namespaces namespaceSelector picks."),
  namespaceSelector: d(LabelSelector, "Namespaces whose pods (all, or those podSelector picks) are selected."),
  ipBlock: d(
    Schema.Struct({ cidr: dr(Str, "The block, as 192.168.1.0/24 or 2001:db8::/64."), except: d(Strings, "Blocks inside cidr to leave out.") }),
    "An IP block; mutually exclusive with the selectors.",
  ),
});

export const NetworkPolicySpec = Schema.Struct({
  podSelector: d(LabelSelector, "The pods the policy applies to; an empty selector selects every pod in the namespace."),
  ingress: d(
    Schema.Array(Schema.Struct({ ports: d(Schema.Array(NetworkPolicyPort), "Allowed ports."), from: d(Schema.Array(NetworkPolicyPeer), "Allowed sources.") })),
    "Allowed incoming traffic.",
  ),
  egress: d(
    Schema.Array(Schema.Struct({ ports: d(Schema.Array(NetworkPolicyPort), "Allowed ports."), to: d(Schema.Array(NetworkPolicyPeer), "Allowed destinations.") })),
    "Allowed outgoing traffic.",
  ),
  policyTypes: d(Strings, '"Ingress", "Egress" or both: which directions the policy restricts. Defaults from the rules present.'),
});

export const NetworkPolicy = Schema.Struct({
  ...objectFields,
  spec: d(NetworkPolicySpec, "Which pods the policy selects and what traffic they may have."),
}).annotations({ documentation: "Which traffic the selected pods may send and receive; a network plugin enforces it." });
