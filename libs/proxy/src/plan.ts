/**
 * What kube-proxy should be serving, computed from Services, EndpointSlices
 * and the node addresses (pure; the sync loop applies it). One entry per
 * Service port, with its ready endpoints and the addresses to listen on:
 * the ClusterIP, every node address at the NodePort, and loopback
 * externalIPs. A LoadBalancer's ingress is its ClusterIP (as `minikube
 * tunnel` does), so it needs no listener of its own.
 *
 * Headless and ExternalName Services get no entry (DNS answers for them);
 * neither does a Service port without ready endpoints: with no listener its
 * connections are refused, as Kubernetes' REJECT rule does.
 */
import type { Affinity, Endpoint } from "./balancer.ts";

type Obj = Record<string, any>;

export type Protocol = "TCP" | "UDP";

export interface ListenAddress {
  readonly ip: string;
  readonly port: number;
}

export interface ServicePortPlan {
  /** `namespace/name:port-name` — kube-proxy's ServicePortName. */
  readonly key: string;
  readonly protocol: Protocol;
  readonly endpoints: readonly Endpoint[];
  readonly affinity: Affinity | undefined;
  readonly addresses: readonly ListenAddress[];
}

export interface LoadBalancerStatus {
  readonly namespace: string;
  readonly name: string;
  readonly ingressIp: string;
}

export interface Plan {
  readonly ports: readonly ServicePortPlan[];
  readonly loadBalancers: readonly LoadBalancerStatus[];
  /** Service ports kube-proxy cannot serve, with why (logged once by the caller). */
  readonly skipped: readonly string[];
}

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export const isLoopback = (ip: string): boolean => /^127\.\d+\.\d+\.\d+$/.test(ip);

/** An endpoint gets new connections only when ready (unset counts as ready) and not terminating. */
const usable = (e: Obj): boolean => e?.conditions?.ready !== false && e?.conditions?.terminating !== true;

/** The ready endpoints of a Service port from the Service's slices, deduplicated. */
export const readyEndpoints = (slices: readonly Obj[], portName: string, protocol: string): Endpoint[] => {
  const out = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.addressType && slice.addressType !== "IPv4") continue;
    const port = (slice.ports ?? []).find((p: Obj) => (p.name ?? "") === portName && (p.protocol ?? "TCP") === protocol);
    if (!port?.port) continue;
    for (const e of slice.endpoints ?? []) {
      if (!usable(e)) continue;
      for (const ip of e.addresses ?? []) out.set(`${ip}:${port.port}`, { ip, port: port.port });
    }
  }
  return [...out.values()];
};

export const computePlan = (services: readonly Obj[], slicesOf: (namespace: string, name: string) => readonly Obj[], nodeAddresses: readonly string[]): Plan => {
  const ports: ServicePortPlan[] = [];
  const loadBalancers: LoadBalancerStatus[] = [];
  const skipped: string[] = [];
  for (const svc of services) {
    const spec = svc.spec ?? {};
    const { namespace = "", name = "" } = svc.metadata ?? {};
    const clusterIP: string | undefined = spec.clusterIP;
    if (spec.type === "ExternalName" || !clusterIP || clusterIP === "None") continue;
    if (spec.type === "LoadBalancer") loadBalancers.push({ namespace, name, ingressIp: clusterIP });
    const slices = slicesOf(namespace, name);
    const affinity = spec.sessionAffinity === "ClientIP" ? { timeoutSeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800 } : undefined;
    for (const p of spec.ports ?? []) {
      const protocol = p.protocol ?? "TCP";
      const key = `${namespace}/${name}:${p.name ?? ""}`;
      if (protocol !== "TCP" && protocol !== "UDP") {
        skipped.push(`${key}/${protocol}: protocol ${protocol} is not supported by the userspace proxy`);
        continue;
      }
      const endpoints = readyEndpoints(slices, p.name ?? "", protocol);
      if (endpoints.length === 0) continue;
      const addresses: ListenAddress[] = [{ ip: clusterIP, port: p.port }];
      if (p.nodePort) for (const ip of nodeAddresses) addresses.push({ ip, port: p.nodePort });
      for (const ip of spec.externalIPs ?? []) if (isLoopback(ip)) addresses.push({ ip, port: p.port });
      ports.push({ key, protocol, endpoints, affinity, addresses });
    }
  }
  return { ports, loadBalancers, skipped };
};
