/**
 * The Service REST storage's allocators (kube-apiserver's ipallocator and
 * portallocator): ClusterIPs from `--service-cluster-ip-range`, NodePorts
 * from 30000–32767, and the `kubernetes` Service in `default`.
 *
 * The store is the truth: the allocated sets are read from the stored
 * Services at every allocation, inside one lock that also covers the write.
 * So a delete releases its IP and ports by itself, a restart cannot
 * double-allocate, and there is no bitmap to repair. The cost is one list of
 * Services per Service write, which is cheap next to a Service's life.
 * (One API server per cluster: two API servers would need the lock in the store.)
 */
import { type FieldCause, internalError, intToIpv4, invalid, ipv4ToInt, isIPv4 } from "@kubeactor/api";
import type { StoreClient } from "@kubeactor/client";
import { metaOf, type Obj } from "./objects.ts";

/**
 * kubeadm's 10.96.0.0/12, moved into loopback: 127.96.0.0–127.111.255.255.
 * Linux routes all of 127.0.0.0/8 to `lo`, so kube-proxy can bind every
 * ClusterIP without setup. It stays clear of 127.0.0.0/16 (127.0.0.1 and
 * friends) and of the pod CIDRs the kubelet hands out.
 */
export const DEFAULT_SERVICE_CIDR = "127.96.0.0/12";
export const DEFAULT_NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;


export interface Cidr {
  readonly text: string;
  /** The network address as an integer. */
  readonly base: number;
  readonly size: number;
}

/** Throws an Error naming the text when it is not an IPv4 CIDR with at least 4 addresses. */
export const parseCidr = (text: string): Cidr => {
  const [ip, bitsText] = text.split("/");
  const bits = Number(bitsText);
  if (!ip || !isIPv4(ip) || !Number.isInteger(bits) || bits < 1 || bits > 30) throw new Error(`invalid service CIDR ${JSON.stringify(text)}: want an IPv4 range such as ${DEFAULT_SERVICE_CIDR}`);
  const size = 2 ** (32 - bits);
  return { text, base: ipv4ToInt(ip) - (ipv4ToInt(ip) % size), size };
};

export interface ServiceAllocatorOptions {
  readonly serviceCidr?: string;
  readonly nodePortRange?: { readonly min: number; readonly max: number };
}

type Port = { name?: string; port?: number; protocol?: string; nodePort?: number; targetPort?: unknown };
type Spec = {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  ports?: Port[];
  allocateLoadBalancerNodePorts?: boolean;
  externalTrafficPolicy?: string;
  healthCheckNodePort?: number;
};
const specOf = (o: Obj): Spec => ((o.spec ??= {}) as Spec);
const typeOf = (s: Spec) => s.type ?? "ClusterIP";
const needsClusterIP = (s: Spec) => typeOf(s) !== "ExternalName";
const needsNodePorts = (s: Spec) => typeOf(s) === "NodePort" || (typeOf(s) === "LoadBalancer" && s.allocateLoadBalancerNodePorts !== false);
const needsHealthCheckPort = (s: Spec) => typeOf(s) === "LoadBalancer" && s.externalTrafficPolicy === "Local";

/** Go's %#v of a []string, as field.Invalid prints the clusterIPs value. */
const goStrings = (v: readonly string[]) => `[]string{${v.map((s) => JSON.stringify(s)).join(", ")}}`;
const cause = (field: string, shown: string, detail: string): FieldCause => ({ reason: "FieldValueInvalid", field, message: `Invalid value: ${shown}: ${detail}` });

export class ServiceAllocator {
  readonly cidr: Cidr;
  readonly nodePorts: { readonly min: number; readonly max: number };
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: StoreClient,
    opts: ServiceAllocatorOptions = {},
  ) {
    this.cidr = parseCidr(opts.serviceCidr ?? DEFAULT_SERVICE_CIDR);
    this.nodePorts = opts.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
  }

  /** The first address of the range: the `kubernetes` Service's, as in Kubernetes. */
  get firstIP(): string {
    return intToIpv4(this.cidr.base + 1);
  }

  /** Runs `fn` (allocate, then write) after every earlier Service write has finished. */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  /** Addresses and ports held by stored Services other than `except` (namespace/name). */
  private async used(except?: string): Promise<{ ips: Set<number>; ports: Set<number> }> {
    const { items } = await this.store.listAll({ group: "", resource: "services" });
    const ips = new Set<number>();
    const ports = new Set<number>();
    for (const svc of items as Obj[]) {
      const m = metaOf(svc);
      if (`${m.namespace}/${m.name}` === except) continue;
      const s = specOf(svc);
      for (const ip of s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])) if (isIPv4(ip)) ips.add(ipv4ToInt(ip));
      for (const p of s.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
      if (s.healthCheckNodePort) ports.add(s.healthCheckNodePort);
    }
    return { ips, ports };
  }

  /**
   * Fills spec.clusterIP(s), ipFamilies, ipFamilyPolicy and nodePorts of a new
   * Service (already defaulted and validated); 422 with Kubernetes' messages
   * when a requested value is taken or out of range, 500 when a range is full.
   */
  async allocateCreate(svc: Obj): Promise<void> {
    const m = metaOf(svc);
    await this.allocate(svc, undefined, await this.used(`${m.namespace}/${m.name}`));
  }

  /** The same for an update from `old`: values `old` already held stay with the Service. */
  async allocateUpdate(svc: Obj, old: Obj): Promise<void> {
    const m = metaOf(svc);
    await this.allocate(svc, old, await this.used(`${m.namespace}/${m.name}`));
  }

  private async allocate(svc: Obj, old: Obj | undefined, used: { ips: Set<number>; ports: Set<number> }): Promise<void> {
    const s = specOf(svc);
    const causes: FieldCause[] = [];
    if (!needsClusterIP(s)) {
      delete s.clusterIP;
      delete s.clusterIPs;
      delete s.ipFamilies;
      delete s.ipFamilyPolicy;
    } else {
      this.allocateIP(s, old ? specOf(old) : undefined, used.ips, causes);
      s.ipFamilies = ["IPv4"];
      s.ipFamilyPolicy ??= "SingleStack";
    }
    // A LoadBalancer with allocateLoadBalancerNodePorts=false keeps NodePorts the user asked for.
    if (needsNodePorts(s) || typeOf(s) === "LoadBalancer") this.allocateNodePorts(s, used.ports, causes, needsNodePorts(s));
    else for (const p of s.ports ?? []) delete p.nodePort;
    if (causes.length) throw invalid("Service", "", metaOf(svc).name ?? "", causes);
    if (needsHealthCheckPort(s)) {
      if (s.healthCheckNodePort) {
        const problems: FieldCause[] = [];
        this.claimPort(s.healthCheckNodePort, "spec.healthCheckNodePort", used.ports, problems);
        // Kubernetes reports this one as an internal error, not a field error.
        if (problems.length) throw internalError(`failed to allocate requested HealthCheck NodePort ${s.healthCheckNodePort}: ${problems[0]!.message.replace(/^Invalid value: \d+: /, "")}`);
      } else s.healthCheckNodePort = this.freePort(used.ports);
    } else delete s.healthCheckNodePort;
  }

  private allocateIP(s: Spec, old: Spec | undefined, used: Set<number>, causes: FieldCause[]): void {
    const requested = s.clusterIP || s.clusterIPs?.[0];
    if (requested === "None") {
      s.clusterIP = "None";
      s.clusterIPs = ["None"];
      return;
    }
    if (requested) {
      s.clusterIP = requested;
      s.clusterIPs = s.clusterIPs?.length ? s.clusterIPs : [requested];
      if (s.clusterIPs[0] !== requested) {
        causes.push(cause("spec.clusterIPs", goStrings(s.clusterIPs), "first value must match `clusterIP`"));
        return;
      }
      // The Service keeps its own address across updates.
      const mine = old && (old.clusterIPs ?? [old.clusterIP]).includes(requested);
      if (mine) return;
      if (!isIPv4(requested)) {
        causes.push(cause("spec.clusterIPs[0]", JSON.stringify(requested), "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
        return;
      }
      const n = ipv4ToInt(requested);
      const why =
        n <= this.cidr.base || n >= this.cidr.base + this.cidr.size - 1
          ? `the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.cidr.text}`
          : used.has(n)
            ? "provided IP is already allocated"
            : undefined;
      if (why) causes.push(cause("spec.clusterIPs", goStrings(s.clusterIPs), `failed to allocate IP ${requested}: ${why}`));
      return;
    }
    const ip = intToIpv4(this.freeIP(used));
    s.clusterIP = ip;
    s.clusterIPs = [ip];
  }

  /**
   * A random free address. Like Kubernetes, dynamic allocation prefers the
   * upper part of the range and leaves the lower band (1/16 of it, 16–256
   * addresses) to users who ask for a fixed address, such as DNS's.
   */
  private freeIP(used: Set<number>): number {
    const first = this.cidr.base + 1;
    const count = this.cidr.size - 2;
    const band = Math.min(Math.max(16, Math.floor(this.cidr.size / 16)), 256);
    const pick = (from: number, n: number) => {
      const start = Math.floor(Math.random() * n);
      for (let i = 0; i < n; i++) {
        const ip = from + ((start + i) % n);
        if (!used.has(ip)) return ip;
      }
      return undefined;
    };
    const ip = count > band ? (pick(first + band, count - band) ?? pick(first, band)) : pick(first, count);
    if (ip === undefined) throw internalError("failed to allocate a serviceIP: range is full");
    return ip;
  }

  private allocateNodePorts(s: Spec, used: Set<number>, causes: FieldCause[], allocateMissing: boolean): void {
    // One number may serve the same port over two protocols (DNS over TCP and UDP).
    const mine = new Map<number, number>();
    (s.ports ?? []).forEach((p, i) => {
      if (p.nodePort) {
        const seen = mine.get(p.port ?? 0);
        if (seen !== p.nodePort) this.claimPort(p.nodePort, `spec.ports[${i}].nodePort`, used, causes);
        mine.set(p.port ?? 0, p.nodePort);
      }
    });
    for (const p of s.ports ?? []) {
      if (p.nodePort || !allocateMissing) continue;
      const again = mine.get(p.port ?? 0);
      p.nodePort = again ?? this.freePort(used);
      mine.set(p.port ?? 0, p.nodePort);
    }
  }

  private claimPort(port: number, field: string, used: Set<number>, causes: FieldCause[]): void {
    const { min, max } = this.nodePorts;
    if (port < min || port > max) causes.push(cause(field, String(port), `provided port is not in the valid range. The range of valid ports is ${min}-${max}`));
    else if (used.has(port)) causes.push(cause(field, String(port), "provided port is already allocated"));
    else used.add(port);
  }

  private freePort(used: Set<number>): number {
    const { min, max } = this.nodePorts;
    const n = max - min + 1;
    const start = Math.floor(Math.random() * n);
    for (let i = 0; i < n; i++) {
      const port = min + ((start + i) % n);
      if (!used.has(port)) {
        used.add(port);
        return port;
      }
    }
    throw internalError("failed to allocate a nodePort: range is full");
  }
}

/**
 * Before an update is validated (Kubernetes' patchAllocatedValues and
 * dropTypeDependentFields): a client that sends the Service without the
 * values the server allocated keeps them, and values the new type cannot
 * use are dropped when the client left them as they were.
 */
export const carryAllocatedValues = (body: Obj, current: Obj): void => {
  const s = specOf(body);
  const o = specOf(current);
  if (needsClusterIP(s) && needsClusterIP(o)) {
    if (!s.clusterIP && !s.clusterIPs?.length) {
      if (o.clusterIP) s.clusterIP = o.clusterIP;
      if (o.clusterIPs) s.clusterIPs = [...o.clusterIPs];
    } else if (s.clusterIP && !s.clusterIPs?.length && s.clusterIP === o.clusterIP && o.clusterIPs) s.clusterIPs = [...o.clusterIPs];
  }
  if (!needsClusterIP(s) && needsClusterIP(o) && (s.clusterIP ?? o.clusterIP) === o.clusterIP) {
    delete s.clusterIP;
    delete s.clusterIPs;
  }
  const oldPorts = o.ports ?? [];
  const find = (p: Port) => oldPorts.find((q) => q.port === p.port && (q.protocol ?? "TCP") === (p.protocol ?? "TCP"));
  for (const p of s.ports ?? []) {
    const prev = find(p);
    if (needsNodePorts(s) && needsNodePorts(o) && !p.nodePort && prev?.nodePort) p.nodePort = prev.nodePort;
    if (!needsNodePorts(s) && p.nodePort && prev?.nodePort === p.nodePort) delete p.nodePort;
  }
  if (needsHealthCheckPort(s) && needsHealthCheckPort(o) && !s.healthCheckNodePort) s.healthCheckNodePort = o.healthCheckNodePort;
  if (!needsHealthCheckPort(s) && s.healthCheckNodePort === o.healthCheckNodePort) delete s.healthCheckNodePort;
};

export const isServices = (info: { group: string; resource: string }): boolean => info.group === "" && info.resource === "services";
