import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findResource } from "@kubeactor/api";
import { Bus } from "@kubeactor/bus";
import { startTestCluster, type TestCluster, transportCases, until } from "@kubeactor/testing";
import { type ControllerManager, ENDPOINTS, ENDPOINTSLICES, NAMESPACES, PODS, SERVICES, selectControllers, startControllerManager } from "../src/index.ts";


const service = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1", kind: "Service", metadata: { name, labels: { tier: "front" } },
  spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http" }], ...extra },
});
const pod = (name: string, app = "web") => ({
  apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app } },
  spec: { nodeName: "node-a", containers: [{ name: "c", image: "nginx", ports: [{ name: "http", containerPort: 8080 }] }] },
});

it("serves discovery.k8s.io/v1 EndpointSlice", () => {
  expect(findResource("discovery.k8s.io", "v1", "endpointslices")).toMatchObject({
    kind: "EndpointSlice", listKind: "EndpointSliceList", singular: "endpointslice", namespaced: true, shortNames: [], hasGeneration: false,
    verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
  });
});

describe.each(transportCases())("endpoints controllers over the $name bus", (tc) => {
  let c: TestCluster;
  let manager: ControllerManager;
  const logs: string[] = [];
  const ns = `ep-${tc.name}`;

  /** What a kubelet would report: Running with an IP, Ready or not. */
  const setStatus = async (name: string, ip: string, ready: boolean) => {
    const p = (await c.api.get(PODS, ns, name)) as any;
    await c.api.updateStatus(PODS, ns, {
      ...p,
      status: { phase: "Running", podIP: ip, podIPs: [{ ip }], conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
    });
  };
  const endpoints = () => c.api.get(ENDPOINTS, ns, "web") as Promise<any>;
  const slices = async (svc = "web") =>
    ((await c.api.list(ENDPOINTSLICES, ns, { labelSelector: `kubernetes.io/service-name=${svc}` })).items ?? []) as any[];
  const ips = (list?: { ip: string }[]) => (list ?? []).map((a) => a.ip).sort();
  const byIp = (s: any[]) => Object.fromEntries(s.flatMap((x) => x.endpoints ?? []).map((e: any) => [e.addresses[0], e.conditions]));

  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    manager = await startControllerManager({
      bus: new Bus(await tc.connect("controller-manager"), { log: () => {} }),
      controllers: ["endpoints", "endpointslice", "garbagecollector"],
      log: (l) => logs.push(l),
    });
    await c.api.create(NAMESPACES, "", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  });
  afterAll(async () => {
    await manager?.stop();
    if (process.env.CM_LOG) console.log(logs.join("\n"));
    await c?.stop();
    await tc.teardown();
  });

  it("registers both controllers by default", () => {
    expect(selectControllers()).toEqual(expect.arrayContaining(["endpoints", "endpointslice"]));
    expect(manager.controllers).toEqual(["garbagecollector", "endpoints", "endpointslice"]);
  });

  it("publishes ready and not-ready pods as Endpoints and an EndpointSlice, follows changes, cleans up", { timeout: 15_000 }, async () => {
    const svc = (await c.api.create(SERVICES, ns, service("web"))) as any;
    // A selectorless Service is left alone.
    await c.api.create(SERVICES, ns, { apiVersion: "v1", kind: "Service", metadata: { name: "manual" }, spec: { ports: [{ port: 80 }] } });
    for (const n of ["a", "b", "c", "pending"]) await c.api.create(PODS, ns, pod(n));
    await c.api.create(PODS, ns, pod("other", "db"));
    await setStatus("a", "10.0.0.1", true);
    await setStatus("b", "10.0.0.2", true);
    await setStatus("c", "10.0.0.3", false);
    await setStatus("other", "10.0.0.9", true);
    // "pending" has no podIP: skipped.

    const ep = await until("Endpoints with 2 ready, 1 not ready", async () => {
      const e = await endpoints();
      const s = e.subsets?.[0];
      return e.subsets?.length === 1 && ips(s.addresses).join() === "10.0.0.1,10.0.0.2" && ips(s.notReadyAddresses).join() === "10.0.0.3" ? e : undefined;
    });
    expect(ep.subsets[0].ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    expect(ep.subsets[0].addresses[0]).toMatchObject({ ip: "10.0.0.1", nodeName: "node-a", targetRef: { kind: "Pod", namespace: ns, name: "a" } });
    expect(ep.subsets[0].addresses[0].targetRef.uid).toBeTruthy();
    expect(ep.metadata.labels).toMatchObject({ tier: "front", "endpoints.kubernetes.io/managed-by": "endpoint-controller" });
    expect(ep.metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"]).toBeTruthy();

    const [slice] = await until("one slice with 3 endpoints", async () => {
      const s = await slices();
      return s.length === 1 && s[0].endpoints?.length === 3 ? s : undefined;
    });
    expect(slice.metadata.name.startsWith("web-")).toBe(true);
    expect(slice.metadata.labels).toMatchObject({ "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io", tier: "front" });
    expect(slice.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Service", name: "web", uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slice.addressType).toBe("IPv4");
    expect(slice.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    expect(byIp([slice])).toEqual({
      "10.0.0.1": { ready: true, serving: true, terminating: false },
      "10.0.0.2": { ready: true, serving: true, terminating: false },
      "10.0.0.3": { ready: false, serving: false, terminating: false },
    });
    expect(slice.endpoints.find((e: any) => e.addresses[0] === "10.0.0.1")).toMatchObject({ nodeName: "node-a", targetRef: { kind: "Pod", name: "a", namespace: ns } });

    // Idempotent: nothing changes, nothing is written.
    const rv = { ep: ep.metadata.resourceVersion, slice: slice.metadata.resourceVersion };
    await new Promise((r) => setTimeout(r, 300));
    expect((await endpoints()).metadata.resourceVersion).toBe(rv.ep);
    expect((await slices())[0].metadata.resourceVersion).toBe(rv.slice);

    // b turns NotReady, c turns Ready.
    await setStatus("b", "10.0.0.2", false);
    await setStatus("c", "10.0.0.3", true);
    await until("b not ready, c ready", async () => {
      const s = (await endpoints()).subsets?.[0];
      return s && ips(s.addresses).join() === "10.0.0.1,10.0.0.3" && ips(s.notReadyAddresses).join() === "10.0.0.2";
    });
    await until("slice conditions follow", async () => {
      const m = byIp(await slices());
      return m["10.0.0.2"]?.ready === false && m["10.0.0.3"]?.ready === true;
    });

    // A terminating pod (bound, graceful delete): gone from Endpoints, terminating in the slice.
    await c.api.delete(PODS, ns, "a");
    await until("a leaves Endpoints", async () => !ips((await endpoints()).subsets?.[0]?.addresses).includes("10.0.0.1"));
    await until("a terminating in the slice", async () => {
      const m = byIp(await slices());
      return m["10.0.0.1"]?.terminating === true && m["10.0.0.1"].serving === true && m["10.0.0.1"].ready === false;
    });
    // Deleted for good: gone from the slice too.
    await c.api.delete(PODS, ns, "a", { gracePeriodSeconds: 0 });
    await until("a leaves the slice", async () => !("10.0.0.1" in byIp(await slices())));

    // Relabelled pod leaves the Service.
    const cur = (await c.api.get(PODS, ns, "c")) as any;
    await c.api.update(PODS, ns, { ...cur, metadata: { ...cur.metadata, labels: { app: "other" } } });
    await until("c leaves both", async () => {
      const e = await endpoints();
      return !JSON.stringify(e.subsets ?? []).includes("10.0.0.3") && !("10.0.0.3" in byIp(await slices()));
    });

    // The selectorless Service never got Endpoints or slices from the controllers.
    await expect(c.api.get(ENDPOINTS, ns, "manual")).rejects.toThrow();
    expect(await slices("manual")).toEqual([]);

    // Deleting the Service removes its Endpoints and slices.
    await c.api.delete(SERVICES, ns, "web");
    await until("Endpoints deleted", async () => c.api.get(ENDPOINTS, ns, "web").then(() => false, () => true));
    await until("slices deleted", async () => (await slices()).length === 0);
  });

  it("a Service with no ready pods keeps one placeholder slice; >100 pods split into slices", { timeout: 15_000 }, async () => {
    await c.api.create(SERVICES, ns, { ...service("empty"), spec: { selector: { app: "nothing" }, ports: [{ port: 80 }] } });
    const [placeholder] = await until("placeholder slice", async () => {
      const s = await slices("empty");
      return s.length === 1 ? s : undefined;
    });
    expect(placeholder.endpoints ?? []).toEqual([]);
    await until("empty Endpoints", async () => {
      const e = (await c.api.get(ENDPOINTS, ns, "empty")) as any;
      return (e.subsets ?? []).length === 0;
    });

    await c.api.create(SERVICES, ns, { ...service("many"), spec: { selector: { app: "many" }, ports: [{ port: 80, targetPort: 8080 }] } });
    await Promise.all(Array.from({ length: 120 }, (_, i) => c.api.create(PODS, ns, pod(`m${i}`, "many"))));
    await Promise.all(Array.from({ length: 120 }, (_, i) => setStatus(`m${i}`, `10.1.${Math.floor(i / 200)}.${i % 200}`, true)));
    const s = await until("120 endpoints in 2 slices", async () => {
      const list = await slices("many");
      return list.reduce((n, x) => n + (x.endpoints?.length ?? 0), 0) === 120 ? list : undefined;
    }, 10_000);
    expect(s.length).toBe(2);
    expect(s.every((x) => x.endpoints.length <= 100)).toBe(true);
    const ep = (await c.api.get(ENDPOINTS, ns, "many")) as any;
    expect(ep.subsets[0].addresses.length).toBe(120);
  });
});
