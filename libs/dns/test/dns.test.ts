import { Resolver } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { type DnsServer, startDnsServer } from "@kubeactor/dns";
import { call, startTestCluster, type TestCluster, transportCases, until } from "@kubeactor/testing";

const NS = "/api/v1/namespaces/default";
const SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";
const net = `127.${64 + Math.floor(Math.random() * 32)}.${Math.floor(Math.random() * 256)}`;

describe.each(transportCases())("cluster DNS over the $name bus", (tc) => {
  let c: TestCluster;
  let dns: DnsServer;
  let r: Resolver;
  let webIP: string;

  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc, { serviceClusterIpRange: `${net}.0/25` });
    dns = await startDnsServer({ bus: new Bus(await tc.connect("dns"), { log: () => {} }), port: 0, log: () => {} });
    r = new Resolver({ timeout: 2000, tries: 2 });
    r.setServers([`127.0.0.1:${dns.port}`]);
    const web = await call(c.url, "POST", `${NS}/services`, { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { ports: [{ name: "http", port: 80 }] } });
    webIP = web.body.spec.clusterIP;
    await call(c.url, "POST", `${NS}/services`, { apiVersion: "v1", kind: "Service", metadata: { name: "db" }, spec: { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] } });
    await call(c.url, "POST", SLICES, {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "db-1", labels: { "kubernetes.io/service-name": "db" } },
      addressType: "IPv4",
      endpoints: [
        { addresses: [`${net}.200`], hostname: "db-0", conditions: { ready: true } },
        { addresses: [`${net}.201`], conditions: { ready: true } },
        { addresses: [`${net}.202`], conditions: { ready: false } },
      ],
      ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
    });
    await call(c.url, "POST", `${NS}/services`, { apiVersion: "v1", kind: "Service", metadata: { name: "ext" }, spec: { type: "ExternalName", externalName: "example.com" } });
    await call(c.url, "POST", `${NS}/pods`, { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    const pod = (await call(c.url, "GET", `${NS}/pods/p`)).body;
    pod.status = { ...pod.status, podIP: `${net}.50`, podIPs: [{ ip: `${net}.50` }] };
    expect((await call(c.url, "PUT", `${NS}/pods/p/status`, pod)).code).toBe(200);
  });
  afterAll(async () => {
    await dns?.stop();
    await c?.stop();
    await tc.teardown();
  });

  it("answers A for a Service's ClusterIP and follows its deletion", async () => {
    expect(await until("web's A record", () => r.resolve4("web.default.svc.cluster.local"))).toEqual([webIP]);
    await call(c.url, "POST", `${NS}/services`, { apiVersion: "v1", kind: "Service", metadata: { name: "gone" }, spec: { ports: [{ port: 80 }] } });
    await until("gone's A record", () => r.resolve4("gone.default.svc.cluster.local"));
    await call(c.url, "DELETE", `${NS}/services/gone`);
    const code = await until("NXDOMAIN for gone", () => r.resolve4("gone.default.svc.cluster.local").then(() => undefined, (e: NodeJS.ErrnoException) => e.code));
    expect(code).toBe("ENOTFOUND");
  });

  it("answers a headless Service with its ready endpoints, and endpoint hostnames", async () => {
    const ips = await until("db's endpoints", async () => {
      const a = await r.resolve4("db.default.svc.cluster.local");
      return a.length === 2 ? a : undefined;
    });
    expect(ips.sort()).toEqual([`${net}.200`, `${net}.201`]);
    expect(await r.resolve4("db-0.db.default.svc.cluster.local")).toEqual([`${net}.200`]);
  });

  it("answers SRV for named ports", async () => {
    await until("web", () => r.resolve4("web.default.svc.cluster.local"));
    expect(await r.resolveSrv("_http._tcp.web.default.svc.cluster.local")).toEqual([{ name: "web.default.svc.cluster.local", port: 80, priority: 0, weight: 100 }]);
    const db = await until("db SRV", async () => {
      const s = await r.resolveSrv("_pg._tcp.db.default.svc.cluster.local");
      return s.length === 2 ? s : undefined;
    });
    expect(db.map((s) => s.name).sort()).toEqual([`${net.replace(/\./g, "-")}-201.db.default.svc.cluster.local`, "db-0.db.default.svc.cluster.local"].sort());
  });

  it("answers PTR for a ClusterIP, CNAME for ExternalName, pod records, and NXDOMAIN otherwise", async () => {
    expect(await until("PTR", () => r.reverse(webIP))).toEqual(["web.default.svc.cluster.local"]);
    expect(await until("CNAME", () => r.resolveCname("ext.default.svc.cluster.local"))).toEqual(["example.com"]);
    expect(await until("pod A", () => r.resolve4(`${net.replace(/\./g, "-")}-50.default.pod.cluster.local`))).toEqual([`${net}.50`]);
    for (const name of ["nope.default.svc.cluster.local", `${net.replace(/\./g, "-")}-50.other.pod.cluster.local`, "example.org"]) {
      await expect(r.resolve4(name)).rejects.toMatchObject({ code: "ENOTFOUND" });
    }
  });

  it("answers over TCP too", async () => {
    const { connect } = await import("node:net");
    const { decodeQuery, encodeResponse, TYPE } = await import("@kubeactor/dns");
    // A query built with our encoder (a response with no answers is a well-formed message with the question).
    const query = encodeResponse({ id: 7, opcode: 0, recursionDesired: true, questions: [{ name: "web.default.svc.cluster.local", type: TYPE.A, class: 1 }], ednsUdpSize: undefined }, { rcode: 0, answers: [] });
    query.writeUInt16BE(0x0100, 2);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = connect(dns.port, "127.0.0.1", () => s.write(Buffer.concat([Buffer.from([0, query.length]), query])));
      let buf = Buffer.alloc(0);
      s.on("data", (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          s.end();
          resolve(buf.subarray(2));
        }
      });
      s.on("error", reject);
    });
    expect(reply.readUInt16BE(0)).toBe(7);
    expect(reply.readUInt16BE(6)).toBe(1);
    expect([...reply.subarray(reply.length - 4)].join(".")).toBe(webIP);
    expect(decodeQuery(reply).questions[0]!.name).toBe("web.default.svc.cluster.local");
  });
});
