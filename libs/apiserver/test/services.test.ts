import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { startApiServer } from "@kubeactor/apiserver";
import { writeKubeconfig } from "@kubeactor/runtime";
import { startStoreComponent } from "@kubeactor/store";
import { call, memoryCase, startTestCluster, type TestCluster, transportCases } from "@kubeactor/testing";

const svc = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name },
  spec: { ports: [{ port: 80, targetPort: 8080 }], selector: { app: name }, ...spec },
});
const SVCS = "/api/v1/namespaces/default/services";
const inRange = (ip: string) => {
  const [a, b] = ip.split(".").map(Number);
  return a === 127 && b! >= 96 && b! <= 111;
};

describe.each(transportCases())("Service IP and NodePort allocation over the $name bus", (tc) => {
  let c: TestCluster;
  let url: string;
  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    url = c.url;
  });
  afterAll(async () => {
    await c?.stop();
    await tc.teardown();
  });

  it("has the kubernetes Service on the first address, pointing at the API server", async () => {
    const k = await call(url, "GET", `${SVCS}/kubernetes`);
    expect(k.code).toBe(200);
    expect(k.body.spec).toMatchObject({ clusterIP: "127.96.0.1", clusterIPs: ["127.96.0.1"], ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: Number(new URL(url).port) }] });
    const slice = await call(url, "GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes");
    expect(slice.body.endpoints[0].addresses).toEqual(["127.0.0.1"]);
    expect(slice.body.ports[0].port).toBe(Number(new URL(url).port));
    const ep = await call(url, "GET", "/api/v1/namespaces/default/endpoints/kubernetes");
    expect(ep.body.subsets[0].addresses).toEqual([{ ip: "127.0.0.1" }]);
  });

  it("allocates a ClusterIP in the range with the IP family defaults, and honours a requested one", async () => {
    const a = await call(url, "POST", SVCS, svc("alloc-a"));
    expect(a.code).toBe(201);
    expect(inRange(a.body.spec.clusterIP)).toBe(true);
    expect(a.body.spec.clusterIPs).toEqual([a.body.spec.clusterIP]);
    expect(a.body.spec).toMatchObject({ ipFamilies: ["IPv4"], ipFamilyPolicy: "SingleStack" });
    const b = await call(url, "POST", SVCS, svc("alloc-b", { clusterIP: "127.96.0.10" }));
    expect(b.code).toBe(201);
    expect(b.body.spec.clusterIPs).toEqual(["127.96.0.10"]);
  });

  it("rejects a taken or out-of-range ClusterIP with Kubernetes' message", async () => {
    await call(url, "POST", SVCS, svc("taken-a", { clusterIP: "127.96.0.20" }));
    const taken = await call(url, "POST", SVCS, svc("taken-b", { clusterIP: "127.96.0.20" }));
    expect(taken.code).toBe(422);
    expect(taken.body.message).toBe('Service "taken-b" is invalid: spec.clusterIPs: Invalid value: []string{"127.96.0.20"}: failed to allocate IP 127.96.0.20: provided IP is already allocated');
    const outside = await call(url, "POST", SVCS, svc("outside", { clusterIP: "10.0.0.5" }));
    expect(outside.code).toBe(422);
    expect(outside.body.message).toContain("the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 127.96.0.0/12");
  });

  it("releases the IP on delete", async () => {
    await call(url, "POST", SVCS, svc("release-a", { clusterIP: "127.96.0.30" }));
    expect((await call(url, "POST", SVCS, svc("release-b", { clusterIP: "127.96.0.30" }))).code).toBe(422);
    expect((await call(url, "DELETE", `${SVCS}/release-a`)).code).toBe(200);
    expect((await call(url, "POST", SVCS, svc("release-b", { clusterIP: "127.96.0.30" }))).code).toBe(201);
  });

  it("gives headless Services no address and ExternalName Services none at all", async () => {
    const h = await call(url, "POST", SVCS, svc("headless", { clusterIP: "None" }));
    expect(h.body.spec).toMatchObject({ clusterIP: "None", clusterIPs: ["None"] });
    const e = await call(url, "POST", SVCS, { apiVersion: "v1", kind: "Service", metadata: { name: "ext" }, spec: { type: "ExternalName", externalName: "example.com" } });
    expect(e.code).toBe(201);
    expect(e.body.spec.clusterIP).toBeUndefined();
    expect(e.body.spec.ipFamilies).toBeUndefined();
  });

  it("allocates NodePorts for NodePort and LoadBalancer Services and rejects a taken one", async () => {
    const np = await call(url, "POST", SVCS, svc("np", { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }));
    expect(np.code).toBe(201);
    expect(np.body.spec.ports[0].nodePort).toBe(30080);
    const lb = await call(url, "POST", SVCS, svc("lb", { type: "LoadBalancer" }));
    expect(lb.body.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(lb.body.spec.ports[0].nodePort).toBeLessThanOrEqual(32767);
    const clash = await call(url, "POST", SVCS, svc("np-2", { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }));
    expect(clash.code).toBe(422);
    expect(clash.body.message).toBe('Service "np-2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    const low = await call(url, "POST", SVCS, svc("np-3", { type: "NodePort", ports: [{ port: 80, nodePort: 8080 }] }));
    expect(low.body.message).toContain("provided port is not in the valid range. The range of valid ports is 30000-32767");
    const none = await call(url, "POST", SVCS, svc("lb-none", { type: "LoadBalancer", allocateLoadBalancerNodePorts: false }));
    expect(none.body.spec.ports[0].nodePort).toBeUndefined();
    const local = await call(url, "POST", SVCS, svc("lb-local", { type: "LoadBalancer", externalTrafficPolicy: "Local" }));
    expect(local.body.spec.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    const hc = await call(url, "POST", SVCS, svc("lb-hc", { type: "LoadBalancer", externalTrafficPolicy: "Local", healthCheckNodePort: 30080 }));
    expect(hc.code).toBe(500);
    expect(hc.body.message).toBe("Internal error occurred: failed to allocate requested HealthCheck NodePort 30080: provided port is already allocated");
  });

  it("keeps allocated values across a PUT that omits them, and drops NodePorts when the type goes back to ClusterIP", async () => {
    const created = (await call(url, "POST", SVCS, svc("sticky", { type: "NodePort" }))).body;
    const put = await call(url, "PUT", `${SVCS}/sticky`, { ...svc("sticky", { type: "NodePort" }), metadata: { name: "sticky" } });
    expect(put.code).toBe(200);
    expect(put.body.spec.clusterIP).toBe(created.spec.clusterIP);
    expect(put.body.spec.ports[0].nodePort).toBe(created.spec.ports[0].nodePort);
    const back = await call(url, "PUT", `${SVCS}/sticky`, { ...put.body, spec: { ...put.body.spec, type: "ClusterIP" } });
    expect(back.code).toBe(200);
    expect(back.body.spec.ports[0].nodePort).toBeUndefined();
    // The port is free again.
    const again = await call(url, "POST", SVCS, svc("sticky-2", { type: "NodePort", ports: [{ port: 80, nodePort: created.spec.ports[0].nodePort }] }));
    expect(again.code).toBe(201);
  });

  it("gives concurrent creates distinct addresses", async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => call(url, "POST", SVCS, svc(`many-${i}`, { type: "NodePort" }))));
    expect(replies.every((r) => r.code === 201)).toBe(true);
    expect(new Set(replies.map((r) => r.body.spec.clusterIP)).size).toBe(20);
    expect(new Set(replies.map((r) => r.body.spec.ports[0].nodePort)).size).toBe(20);
  });
});

describe("Service allocation after a restart", () => {
  it("derives the allocated addresses from the stored Services, so none is handed out twice", async () => {
    const tc = memoryCase();
    await tc.setup();
    const dir = mkdtempSync(join(tmpdir(), "kubeactor-svc-"));
    const quiet = { log: () => {} };
    const store = await startStoreComponent({ bus: new Bus(await tc.connect(), quiet), dir });
    // A /28 leaves 14 addresses: the kubernetes Service and 13 more.
    const range = "127.100.0.0/28";
    let api = await startApiServer({ bus: new Bus(await tc.connect(), quiet), port: 0, serviceClusterIpRange: range, log: () => {} });
    const first = await Promise.all(Array.from({ length: 6 }, (_, i) => call(api.url, "POST", SVCS, svc(`r-${i}`))));
    await api.close();
    api = await startApiServer({ bus: new Bus(await tc.connect(), quiet), port: 0, serviceClusterIpRange: range, log: () => {} });
    const second = await Promise.all(Array.from({ length: 7 }, (_, i) => call(api.url, "POST", SVCS, svc(`s-${i}`))));
    const ips = [...first, ...second].map((r) => r.body.spec.clusterIP);
    expect(new Set([...ips, "127.100.0.1"]).size).toBe(14);
    const full = await call(api.url, "POST", SVCS, svc("one-too-many"));
    expect(full.code).toBe(500);
    expect(full.body.message).toContain("range is full");
    await api.close();
    await store.stop();
    await tc.teardown();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("Services with the real kubectl", () => {
  const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
  it.skipIf(!existsSync(KUBECTL))("shows the allocated ClusterIP and NodePort, and kubectl prints Kubernetes' conflict message", async () => {
    const tc = memoryCase();
    await tc.setup();
    const c = await startTestCluster(tc);
    const dir = mkdtempSync(join(tmpdir(), "kubectl-svc-"));
    writeKubeconfig(join(dir, "kubeconfig"), c.url);
    const kubectl = (...args: string[]) =>
      new Promise<{ code: number; out: string; err: string }>((resolve) => {
        execFile(KUBECTL, ["--kubeconfig", join(dir, "kubeconfig"), "--cache-dir", join(dir, "cache"), ...args], { timeout: 30_000 }, (e, out, err) =>
          resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
        );
      });
    try {
      expect((await kubectl("create", "service", "nodeport", "web", "--tcp=80:8080", "--node-port=30080")).code).toBe(0);
      const table = (await kubectl("get", "svc", "web", "--no-headers")).out.trim().split(/\s+/);
      expect(table[1]).toBe("NodePort");
      expect(table[2]).toMatch(/^127\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
      expect(table[4]).toBe("80:30080/TCP");
      const clash = await kubectl("create", "service", "nodeport", "web-2", "--tcp=80:8080", "--node-port=30080");
      expect(clash.code).not.toBe(0);
      expect(clash.err.trim()).toBe('error: failed to create NodePort service: Service "web-2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    } finally {
      await c.stop();
      await tc.teardown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
