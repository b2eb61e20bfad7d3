/**
 * The cluster zone, as CoreDNS' kubernetes plugin answers it (pure: reads
 * Services, EndpointSlices and Pods through `ClusterView`):
 *
 *   <svc>.<ns>.svc.<zone>                 A → ClusterIP; headless → ready endpoint IPs;
 *                                         ExternalName → CNAME
 *   <host>.<svc>.<ns>.svc.<zone>          A → a headless endpoint (hostname or a-b-c-d)
 *   _<port>._<proto>.<svc>.<ns>.svc.<zone> SRV per named port (headless: per endpoint)
 *   <a-b-c-d>.<ns>.pod.<zone>             A → a pod's IP (only for a pod of that namespace
 *                                         with that IP: CoreDNS' `pods verified`)
 *   d.c.b.a.in-addr.arpa                  PTR → the Service or endpoint name
 *
 * Anything else is NXDOMAIN; an existing name without records of the asked
 * type is NOERROR with no answers (IPv6 questions get that). Negative
 * answers carry the zone's SOA, whose minimum is the TTL (5 s, CoreDNS' default).
 */
import { RCODE, type Question, type ResourceRecord, type Response, TYPE } from "./wire.ts";

type Obj = Record<string, any>;

export interface ClusterView {
  service(namespace: string, name: string): Obj | undefined;
  services(): readonly Obj[];
  slicesOf(namespace: string, service: string): readonly Obj[];
  podsWithIp(ip: string): readonly Obj[];
}

export const DEFAULT_ZONE = "cluster.local";
export const TTL = 5;

const dashed = (ip: string) => ip.replace(/\./g, "-");
const isIPv4 = (s: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(s);

interface EndpointAddress {
  readonly ip: string;
  readonly host: string;
  readonly ports: readonly { name: string; protocol: string; port: number }[];
}

/** Endpoints DNS publishes: ready ones, or all with publishNotReadyAddresses. */
const endpointsOf = (view: ClusterView, svc: Obj): EndpointAddress[] => {
  const all = svc.spec?.publishNotReadyAddresses === true;
  const out = new Map<string, EndpointAddress>();
  for (const slice of view.slicesOf(svc.metadata.namespace, svc.metadata.name)) {
    if (slice.addressType && slice.addressType !== "IPv4") continue;
    const ports = (slice.ports ?? []).map((p: Obj) => ({ name: p.name ?? "", protocol: p.protocol ?? "TCP", port: p.port }));
    for (const e of slice.endpoints ?? []) {
      if (!all && e.conditions?.ready === false) continue;
      for (const ip of e.addresses ?? []) out.set(ip, { ip, host: e.hostname ?? dashed(ip), ports });
    }
  }
  return [...out.values()];
};

export class ClusterZone {
  constructor(
    private readonly view: ClusterView,
    readonly zone: string = DEFAULT_ZONE,
  ) {}

  private soa(): ResourceRecord {
    return { name: this.zone, ttl: TTL, type: TYPE.SOA, mname: `ns.dns.${this.zone}`, rname: `hostmaster.${this.zone}`, serial: Math.floor(Date.now() / 1000), refresh: 7200, retry: 1800, expire: 86400, minimum: TTL };
  }

  private nxdomain(): Response {
    return { rcode: RCODE.NXDOMAIN, answers: [], authority: [this.soa()], authoritative: true };
  }

  private noData(): Response {
    return { rcode: RCODE.NOERROR, answers: [], authority: [this.soa()], authoritative: true };
  }

  /** The answer for an A (or ANY) question with `records`, NODATA for other types at an existing name. */
  private addresses(q: Question, ips: readonly string[], additional: readonly ResourceRecord[] = []): Response {
    if (q.type !== TYPE.A && q.type !== TYPE.ANY) return this.noData();
    return { rcode: RCODE.NOERROR, answers: ips.map((address) => ({ name: q.name, ttl: TTL, type: TYPE.A, address })), additional, authoritative: true };
  }

  answer(q: Question): Response {
    const name = q.name.replace(/\.$/, "").toLowerCase();
    if (name.endsWith(".in-addr.arpa")) return this.reverse(q, name);
    if (name === this.zone) return q.type === TYPE.SOA || q.type === TYPE.ANY ? { rcode: RCODE.NOERROR, answers: [this.soa()], authoritative: true } : this.noData();
    if (!name.endsWith(`.${this.zone}`)) return this.nxdomain();
    const labels = name.slice(0, -this.zone.length - 1).split(".");
    const kind = labels.at(-1);
    if (kind === "pod" && labels.length === 3) return this.pod(q, labels[0]!, labels[1]!);
    if (kind !== "svc") return this.nxdomain();
    if (labels.length === 3) return this.service(q, labels[1]!, labels[0]!);
    if (labels.length === 4) return this.endpoint(q, labels[2]!, labels[1]!, labels[0]!);
    if (labels.length === 5 && labels[0]!.startsWith("_") && labels[1]!.startsWith("_")) return this.srv(q, labels[3]!, labels[2]!, labels[0]!.slice(1), labels[1]!.slice(1));
    return this.nxdomain();
  }

  private service(q: Question, namespace: string, name: string): Response {
    const svc = this.view.service(namespace, name);
    if (!svc) return this.nxdomain();
    if (svc.spec?.type === "ExternalName") {
      return { rcode: RCODE.NOERROR, answers: [{ name: q.name, ttl: TTL, type: TYPE.CNAME, target: String(svc.spec.externalName ?? "").replace(/\.$/, "") }], authoritative: true };
    }
    const ip = svc.spec?.clusterIP;
    if (ip && ip !== "None") return this.addresses(q, [ip]);
    return this.addresses(q, endpointsOf(this.view, svc).map((e) => e.ip));
  }

  private endpoint(q: Question, namespace: string, service: string, host: string): Response {
    const svc = this.view.service(namespace, service);
    if (!svc) return this.nxdomain();
    const matches = endpointsOf(this.view, svc).filter((e) => e.host === host);
    return matches.length ? this.addresses(q, matches.map((e) => e.ip)) : this.nxdomain();
  }

  private srv(q: Question, namespace: string, service: string, port: string, proto: string): Response {
    const svc = this.view.service(namespace, service);
    if (!svc || svc.spec?.type === "ExternalName") return this.nxdomain();
    const protocol = proto.toUpperCase();
    const svcName = `${service}.${namespace}.svc.${this.zone}`;
    const sp = (svc.spec?.ports ?? []).find((p: Obj) => p.name === port && (p.protocol ?? "TCP") === protocol);
    if (!sp) return this.nxdomain();
    if (q.type !== TYPE.SRV && q.type !== TYPE.ANY) return this.noData();
    const ip = svc.spec?.clusterIP;
    if (ip && ip !== "None") {
      return {
        rcode: RCODE.NOERROR,
        answers: [{ name: q.name, ttl: TTL, type: TYPE.SRV, priority: 0, weight: 100, port: sp.port, target: svcName }],
        additional: [{ name: svcName, ttl: TTL, type: TYPE.A, address: ip }],
        authoritative: true,
      };
    }
    const eps = endpointsOf(this.view, svc).flatMap((e) => e.ports.filter((p) => p.name === port && p.protocol === protocol).map((p) => ({ e, p })));
    const weight = eps.length ? Math.max(1, Math.floor(100 / eps.length)) : 100;
    return {
      rcode: RCODE.NOERROR,
      answers: eps.map(({ e, p }) => ({ name: q.name, ttl: TTL, type: TYPE.SRV, priority: 0, weight, port: p.port, target: `${e.host}.${svcName}` })),
      additional: eps.map(({ e }) => ({ name: `${e.host}.${svcName}`, ttl: TTL, type: TYPE.A, address: e.ip })),
      authoritative: true,
    };
  }

  private pod(q: Question, dashedIp: string, namespace: string): Response {
    const ip = dashedIp.replace(/-/g, ".");
    if (!isIPv4(ip)) return this.nxdomain();
    const found = this.view.podsWithIp(ip).some((p) => p.metadata?.namespace === namespace);
    return found ? this.addresses(q, [ip]) : this.nxdomain();
  }

  private reverse(q: Question, name: string): Response {
    const octets = name.slice(0, -".in-addr.arpa".length).split(".");
    if (octets.length !== 4) return this.nxdomain();
    const ip = octets.reverse().join(".");
    const targets: string[] = [];
    for (const svc of this.view.services()) {
      const ns = svc.metadata?.namespace;
      const svcName = `${svc.metadata?.name}.${ns}.svc.${this.zone}`;
      if ((svc.spec?.clusterIPs ?? [svc.spec?.clusterIP]).includes(ip)) targets.push(svcName);
      else if (svc.spec?.clusterIP === "None") for (const e of endpointsOf(this.view, svc)) if (e.ip === ip) targets.push(`${e.host}.${svcName}`);
    }
    if (targets.length === 0) return this.nxdomain();
    if (q.type !== TYPE.PTR && q.type !== TYPE.ANY) return this.noData();
    return { rcode: RCODE.NOERROR, answers: targets.map((target) => ({ name: q.name, ttl: TTL, type: TYPE.PTR, target })), authoritative: true };
  }
}
