/**
 * The cluster DNS server (CoreDNS' role): answers the cluster zone over UDP
 * and TCP on one loopback address and port, from informers on Services,
 * EndpointSlices and Pods (read from the store like every component, so an
 * answer follows a change as soon as the watch delivers it).
 *
 * A malformed query gets FORMERR, a non-QUERY opcode NOTIMP; a question
 * outside the zone gets NXDOMAIN (there is no upstream to forward to).
 * UDP answers larger than 512 bytes (or the client's EDNS size) are
 * truncated with TC set, and clients retry over TCP.
 */
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server, type Socket as TcpSocket } from "node:net";
import type { Bus } from "@kubeactor/bus";
import { Informer, StoreClient } from "@kubeactor/client";
import { ClusterZone, type ClusterView, DEFAULT_ZONE } from "./records.ts";
import { decodeQuery, DnsFormatError, encodeResponse, errorResponse, RCODE } from "./wire.ts";

export interface DnsServerOptions {
  readonly bus: Bus;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 10053; 0 picks a free port (the same for UDP and TCP). */
  readonly port?: number;
  /** Default cluster.local. */
  readonly zone?: string;
  readonly log?: (line: string) => void;
}

export interface DnsServer {
  readonly host: string;
  readonly port: number;
  readonly zone: ClusterZone;
  stop(): Promise<void>;
}

export const DEFAULT_DNS_PORT = 10053;
/** Ports tried when the caller asks for any free one (port 0) and the one UDP picked is taken for TCP. */
const PICK_ATTEMPTS = 10;
type Obj = Record<string, any>;

/** The reply bytes for one query message; never throws. */
export const handleMessage = (zone: ClusterZone, msg: Buffer, maxSize: number): Buffer => {
  try {
    const q = decodeQuery(msg);
    if (q.opcode !== 0 || q.questions.length !== 1) {
      return encodeResponse(q, { rcode: q.opcode !== 0 ? RCODE.NOTIMP : RCODE.FORMERR, answers: [] });
    }
    return encodeResponse(q, zone.answer(q.questions[0]!), q.ednsUdpSize !== undefined ? Math.max(maxSize, q.ednsUdpSize) : maxSize);
  } catch (e) {
    return errorResponse(msg, e instanceof DnsFormatError ? RCODE.FORMERR : RCODE.SERVFAIL);
  }
};

const serveTcp = (zone: ClusterZone, sock: TcpSocket) => {
  let buf = Buffer.alloc(0);
  sock.setTimeout(10_000, () => sock.destroy());
  sock.on("error", () => {});
  sock.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const len = buf.readUInt16BE(0);
      const reply = handleMessage(zone, buf.subarray(2, 2 + len), 65535);
      buf = buf.subarray(2 + len);
      const framed = Buffer.alloc(2);
      framed.writeUInt16BE(reply.length);
      sock.write(Buffer.concat([framed, reply]));
    }
  });
};

const bindUdp = (host: string, port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", reject);
    s.bind({ address: host, port, exclusive: true }, () => {
      s.off("error", reject);
      resolve(s);
    });
  });

const listenTcp = (server: Server, host: string, port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });

export const startDnsServer = async (opts: DnsServerOptions): Promise<DnsServer> => {
  const log = opts.log ?? ((line: string) => console.error(`dns: ${line}`));
  const host = opts.host ?? "127.0.0.1";
  const store = new StoreClient(opts.bus);
  const services = new Informer(opts.bus, store, { group: "", resource: "services", log });
  const slices = new Informer(opts.bus, store, { group: "discovery.k8s.io", resource: "endpointslices", log });
  const pods = new Informer(opts.bus, store, { group: "", resource: "pods", log });
  pods.addIndex("podIP", (p) => ((p as Obj).status?.podIPs ?? []).map((x: Obj) => x.ip).concat((p as Obj).status?.podIP ? [(p as Obj).status.podIP] : []));
  await Promise.all([services.start(), slices.start(), pods.start()]);
  const view: ClusterView = {
    service: (ns, name) => services.get(`${ns}/${name}`) as Obj | undefined,
    services: () => services.list() as Obj[],
    slicesOf: (ns, name) => (slices.byIndex("label", `kubernetes.io/service-name=${name}`) as Obj[]).filter((s) => s.metadata?.namespace === ns),
    podsWithIp: (ip) => pods.byIndex("podIP", ip) as Obj[],
  };
  const zone = new ClusterZone(view, opts.zone ?? DEFAULT_ZONE);

  const stopInformers = () => [services, slices, pods].forEach((i) => i.stop());
  let udp: Socket | undefined;
  const tcp = createServer((sock) => serveTcp(zone, sock));
  const port = opts.port ?? DEFAULT_DNS_PORT;
  // Port 0: let UDP pick, then take the same number for TCP. That number may
  // be taken for TCP by another process, so a picked port is tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      udp = await bindUdp(host, port);
      await listenTcp(tcp, host, udp.address().port);
      break;
    } catch (e) {
      udp?.close();
      udp = undefined;
      if (port === 0 && attempt < PICK_ATTEMPTS && (e as NodeJS.ErrnoException).code === "EADDRINUSE") continue;
      stopInformers();
      throw new Error(`dns: cannot listen on ${host}:${port}: ${(e as Error).message}`);
    }
  }
  const sock = udp;
  sock.on("error", (e) => log(`udp: ${e.message}`));
  sock.on("message", (msg, rinfo) => sock.send(handleMessage(zone, msg, 512), rinfo.port, rinfo.address));
  return {
    host,
    port: sock.address().port,
    zone,
    stop: async () => {
      stopInformers();
      await new Promise<void>((r) => sock.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
};
