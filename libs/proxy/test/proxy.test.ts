import { Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { startKubeProxy, type RunningKubeProxy } from "@kubeactor/proxy";
import { call, startTestCluster, type TestCluster, transportCases, until } from "@kubeactor/testing";
import { type Backend, get, randomLoopbackNet, sliceFor, startHttpBackend, startUdpEcho, udpRequest } from "./backends.ts";

const SVCS = "/api/v1/namespaces/default/services";
const SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";

/** Which backends `n` new connections reach. */
const spread = async (ip: string, port: number, n = 30): Promise<Set<string>> => {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add(await get(ip, port));
  return seen;
};

describe.each(transportCases())("kube-proxy with real traffic over the $name bus", (tc) => {
  let c: TestCluster;
  let proxy: RunningKubeProxy;
  let backends: Backend[];
  const net = randomLoopbackNet();
  const nodeAddress = `${net}.250`;
  let clusterIP: string;
  let nodePort: number;

  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc, { serviceClusterIpRange: `${net}.0/25` });
    proxy = await startKubeProxy({ bus: new Bus(await tc.connect("kube-proxy"), { log: () => {} }), nodePortAddresses: [nodeAddress], log: () => {} });
    backends = await Promise.all(["a", "b", "c"].map((n, i) => startHttpBackend(n, `${net}.${200 + i}`)));
    const svc = await call(c.url, "POST", SVCS, { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { type: "NodePort", ports: [{ name: "http", port: 8080 }] } });
    expect(svc.code).toBe(201);
    clusterIP = svc.body.spec.clusterIP;
    nodePort = svc.body.spec.ports[0].nodePort;
    for (const b of backends) expect((await call(c.url, "POST", SLICES, sliceFor("web", b))).code).toBe(201);
  });
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
    await c?.stop();
    await tc.teardown();
  });

  it("spreads new connections through the ClusterIP and the NodePort over all three backends", async () => {
    await until("the ClusterIP to reach a, b and c", async () => (await spread(clusterIP, 8080)).size === 3, 20_000);
    expect([...(await spread(clusterIP, 8080))].sort()).toEqual(["a", "b", "c"]);
    expect([...(await spread(nodeAddress, nodePort))].sort()).toEqual(["a", "b", "c"]);
  });

  it("takes a not-ready endpoint out of the rotation and keeps an established connection through an endpoint change", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const pinned = await get(clusterIP, 8080, agent);
    const victim = backends.find((b) => b.name === pinned)!;
    const slice = `${SLICES}/web-${victim.name}`;
    const current = (await call(c.url, "GET", slice)).body;
    current.endpoints[0].conditions = { ready: false };
    expect((await call(c.url, "PUT", slice, current)).code).toBe(200);
    await until(`${victim.name} to leave the rotation`, async () => !(await spread(clusterIP, 8080, 12)).has(victim.name), 20_000);
    expect((await spread(clusterIP, 8080)).has(victim.name)).toBe(false);
    expect((await spread(nodeAddress, nodePort)).has(victim.name)).toBe(false);
    // The kept-alive connection still reaches the endpoint it was spliced to.
    expect(await get(clusterIP, 8080, agent)).toBe(pinned);
    agent.destroy();
    current.endpoints[0].conditions = { ready: true };
    const back = (await call(c.url, "GET", slice)).body;
    back.endpoints[0].conditions = { ready: true };
    expect((await call(c.url, "PUT", slice, back)).code).toBe(200);
    await until(`${victim.name} to return`, async () => (await spread(clusterIP, 8080, 12)).has(victim.name), 20_000);
  });

  it("refuses connections to a Service with no ready endpoints", async () => {
    const svc = await call(c.url, "POST", SVCS, { apiVersion: "v1", kind: "Service", metadata: { name: "empty" }, spec: { ports: [{ name: "http", port: 8080 }] } });
    const b = backends[0]!;
    await call(c.url, "POST", SLICES, sliceFor("empty", b));
    await until("empty to serve", () => get(svc.body.spec.clusterIP, 8080).then((r) => r === b.name), 20_000);
    const slice = (await call(c.url, "GET", `${SLICES}/empty-${b.name}`)).body;
    slice.endpoints[0].conditions = { ready: false };
    await call(c.url, "PUT", `${SLICES}/empty-${b.name}`, slice);
    const err = await until("connections to be refused", () => get(svc.body.spec.clusterIP, 8080).then(() => undefined, (e: NodeJS.ErrnoException) => e.code), 20_000);
    expect(["ECONNREFUSED", "ECONNRESET"]).toContain(err);
  });

  it("keeps a client on one backend with sessionAffinity ClientIP", async () => {
    const svc = await call(c.url, "POST", SVCS, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "sticky" },
      spec: { sessionAffinity: "ClientIP", ports: [{ name: "http", port: 8080 }] },
    });
    for (const b of backends) await call(c.url, "POST", SLICES, sliceFor("sticky", b));
    const ip = svc.body.spec.clusterIP;
    await until("sticky to serve", () => get(ip, 8080), 20_000);
    // Wait until all three slices are in the plan, then every request lands on one backend.
    await until("sticky's three endpoints", () => proxy.proxier.balancer("default/sticky:http")?.size === 3, 20_000);
    expect((await spread(ip, 8080, 15)).size).toBe(1);
  });

  it("proxies UDP", async () => {
    const echo = await startUdpEcho(`${net}.210`);
    const svc = await call(c.url, "POST", SVCS, { apiVersion: "v1", kind: "Service", metadata: { name: "udp" }, spec: { ports: [{ name: "dns", port: 5353, protocol: "UDP" }] } });
    await call(c.url, "POST", SLICES, sliceFor("udp", { name: "echo", ip: `${net}.210`, port: echo.port }, true, "dns", "UDP"));
    expect(await until("a UDP reply through the ClusterIP", () => udpRequest(svc.body.spec.clusterIP, 5353, "ping", 500), 20_000)).toBe("echo:ping");
    echo.close();
  });

  it("gives a LoadBalancer Service its ClusterIP as ingress address, served by a local listener", async () => {
    const svc = await call(c.url, "POST", SVCS, { apiVersion: "v1", kind: "Service", metadata: { name: "lb" }, spec: { type: "LoadBalancer", ports: [{ name: "http", port: 8081 }] } });
    await call(c.url, "POST", SLICES, sliceFor("lb", backends[1]!));
    const ingress = await until("status.loadBalancer.ingress", async () => (await call(c.url, "GET", `${SVCS}/lb`)).body.status?.loadBalancer?.ingress?.[0]?.ip, 20_000);
    expect(ingress).toBe(svc.body.spec.clusterIP);
    expect(await until("the load balancer to answer", () => get(ingress, 8081), 20_000)).toBe(backends[1]!.name);
  });

  it("runs its sync loop as a machine that settles in Idle", async () => {
    await until("the sync machine to idle", () => proxy.actor.getSnapshot().value === "Idle", 20_000);
    expect(proxy.actor.getSnapshot().context.syncs).toBeGreaterThan(1);
  });
});
