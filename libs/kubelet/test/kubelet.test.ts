import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { startTestCluster, transportCases, type TestCluster } from "@kubeactor/testing";
import { startKubelet, type Kubelet } from "../src/index.ts";
import { nodeInject } from "@kubeactor/bus";

const PODS = { group: "", version: "v1", resource: "pods" };
const NODES = { group: "", version: "v1", resource: "nodes" };
const LEASES = { group: "coordination.k8s.io", version: "v1", resource: "leases" };

const until = async <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 8000): Promise<T> => {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const podBody = (name: string, annotations: Record<string, string> = {}, restartPolicy = "Always") => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, annotations },
  spec: { restartPolicy, terminationGracePeriodSeconds: 5, containers: [{ name: "app", image: "nginx:1.27" }] },
});

describe.each(transportCases())("kubelet over $name", (tc) => {
  let cluster: TestCluster;
  let kubelet: Kubelet;
  let bus: Bus;

  beforeAll(async () => {
    await tc.setup();
    cluster = await startTestCluster(tc);
    bus = new Bus(await tc.connect("kubelet"), { log: () => {} });
    kubelet = await startKubelet({ bus, nodes: 3, pullMs: 20, backoff: { initialMs: 200, maxMs: 1000, resetMs: 60_000 } });
  });

  afterAll(async () => {
    await kubelet?.stop();
    await cluster?.stop();
    await tc.teardown();
  });

  it("starts many nodes in waves: a wave registers before the next one starts", async () => {
    const registering = new Map<string, number>();
    const registered = new Map<string, number>();
    let step = 0;
    const waves = await startKubelet({
      bus,
      nodes: 5,
      namePrefix: "wave-",
      firstIndex: 10,
      startWave: 2,
      pullMs: 20,
      inspect: (e) => {
        if (e.type !== "@xstate.snapshot" || !(e.actorRef as unknown as { id?: string }).id?.startsWith("kubelet/wave-")) return;
        const name = (e.actorRef as unknown as { id: string }).id.slice("kubelet/".length);
        const s = e.snapshot as { matches?(v: unknown): boolean };
        if (s.matches?.({ Active: "Registering" }) && !registering.has(name)) registering.set(name, ++step);
        if (s.matches?.({ Active: "Registered" }) && !registered.has(name)) registered.set(name, ++step);
      },
    });
    try {
      expect(waves.nodes).toEqual(["wave-10", "wave-11", "wave-12", "wave-13", "wave-14"]);
      // Every node registered once startKubelet resolved.
      expect([...registered.keys()].sort()).toEqual(waves.nodes);
      // wave-12 and wave-13 (the second wave) began registering only after wave-10 and wave-11 had; wave-14 after them.
      const last = (names: string[], m: Map<string, number>) => Math.max(...names.map((n) => m.get(n)!));
      const first = (names: string[], m: Map<string, number>) => Math.min(...names.map((n) => m.get(n)!));
      expect(first(["wave-12", "wave-13"], registering)).toBeGreaterThan(last(["wave-10", "wave-11"], registered));
      expect(registering.get("wave-14")!).toBeGreaterThan(last(["wave-12", "wave-13"], registered));
      for (const name of waves.nodes) await cluster.api.get(NODES, "", name);
    } finally {
      await waves.stop();
      for (const name of ["wave-10", "wave-11", "wave-12", "wave-13", "wave-14"]) await cluster.api.delete(NODES, "", name).catch(() => {});
    }
  });

  it("a second kubelet on the host (another cluster's, same node indexes) gets pod CIDRs and InternalIPs of its own", async () => {
    // Pod IPs are the host's loopback addresses: two kubelets handing out the same ones made their process pods fight
    // for one address:port (EADDRINUSE restarts) and each one's probes and Services reach the other's servers.
    const other = await startKubelet({ bus, nodes: 1, namePrefix: "other-", pullMs: 20 });
    try {
      const nodeOf = (name: string) => until(`node ${name}`, () => cluster.api.get(NODES, "", name)) as Promise<any>;
      const ours = await Promise.all(kubelet.nodes.map(nodeOf));
      const theirs = await nodeOf("other-1");
      const internalIP = (n: any) => n.status.addresses.find((a: any) => a.type === "InternalIP").address;
      expect(ours.map((n) => n.spec.podCIDR)).not.toContain(theirs.spec.podCIDR);
      expect(ours.map(internalIP)).not.toContain(internalIP(theirs));
      // The zone (from the index asked for) is unchanged: only the addresses moved.
      expect(theirs.metadata.labels["topology.kubernetes.io/zone"]).toBe("zone-b");
    } finally {
      await other.stop();
      await cluster.api.delete(NODES, "", "other-1").catch(() => {});
    }
  });

  it("registers three Ready nodes with leases", async () => {
    expect(kubelet.nodes).toEqual(["node-1", "node-2", "node-3"]);
    for (const [i, name] of kubelet.nodes.entries()) {
      const node: any = await until(`node ${name} Ready`, async () => {
        const n: any = await cluster.api.get(NODES, "", name);
        return n.status?.conditions?.find((c: any) => c.type === "Ready")?.status === "True" && n;
      });
      expect(node.metadata.labels).toMatchObject({
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": "kubeactor-sim",
        "topology.kubernetes.io/zone": `zone-${"abc"[(i + 1) % 3]}`,
      });
      // 127.244.<i>.0/24 for node-i, unless another cluster on this host (a test beside this one) holds those: the next free ones.
      expect(node.spec.podCIDR).toMatch(/^127\.244\.\d+\.0\/24$/);
      expect(node.status.capacity).toMatchObject({ cpu: "4", memory: "8Gi", pods: "110" });
      expect(node.status.nodeInfo).toMatchObject({ kubeletVersion: "v1.32.0", containerRuntimeVersion: "kubeactor://0.1.0", operatingSystem: "linux", architecture: "amd64" });
      expect(node.status.addresses.map((a: any) => a.type)).toEqual(["InternalIP", "Hostname"]);
      expect(node.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual(["MemoryPressure=False", "DiskPressure=False", "PIDPressure=False", "Ready=True"]);
      const lease: any = await until(`lease ${name}`, () => cluster.api.get(LEASES, "kube-node-lease", name));
      expect(lease.spec).toMatchObject({ holderIdentity: name, leaseDurationSeconds: 40 });
      expect(lease.spec.renewTime).toMatch(/\.\d{6}Z$/);
    }
  });

  it("runs a bound pod: Running, Ready, an IP from the node's CIDR", async () => {
    await cluster.api.create(PODS, "default", podBody("web"));
    await cluster.api.bind("default", "web", "node-1");
    const pod: any = await until("web Running and Ready", async () => {
      const p: any = await cluster.api.get(PODS, "default", "web");
      return p.status.phase === "Running" && p.status.conditions.find((c: any) => c.type === "Ready")?.status === "True" && p;
    });
    const node: any = await cluster.api.get(NODES, "", "node-1");
    expect(pod.status.podIP.startsWith(node.spec.podCIDR.replace(/0\/24$/, ""))).toBe(true);
    expect(pod.status.hostIP).toBe(node.status.addresses.find((a: any) => a.type === "InternalIP").address);
    expect(pod.status.qosClass).toBe("BestEffort");
    expect(pod.status.startTime).toBeTruthy();
    expect(pod.status.conditions.map((c: any) => c.type).sort()).toEqual(["ContainersReady", "Initialized", "PodReadyToStartContainers", "PodScheduled", "Ready"]);
    expect(pod.status.containerStatuses[0]).toMatchObject({ name: "app", ready: true, started: true, restartCount: 0, image: "nginx:1.27" });
    // The kubelet caches pods without managedFields; its status writes keep the stored ones and add its own.
    expect(pod.metadata.managedFields.map((m: any) => [m.manager, m.subresource ?? ""])).toEqual(expect.arrayContaining([["kubelet", "status"]]));
    expect(pod.metadata.managedFields.length).toBeGreaterThanOrEqual(2);
  });

  it("restarts a container that exits by script, counting restarts", async () => {
    await cluster.api.create(PODS, "default", podBody("flaky", { "sim.kubeactor.io/run-seconds": "0.3", "sim.kubeactor.io/exit-code": "1" }));
    await cluster.api.bind("default", "flaky", "node-2");
    const pod: any = await until("flaky restarted twice", async () => {
      const p: any = await cluster.api.get(PODS, "default", "flaky");
      return (p.status.containerStatuses?.[0]?.restartCount ?? 0) >= 2 && p;
    });
    expect(pod.status.phase).toBe("Running");
    expect(pod.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 1, reason: "Error" });
  });

  it("crash-container over the bus increments restartCount", async () => {
    const pod: any = await cluster.api.get(PODS, "default", "web");
    const before = pod.status.containerStatuses[0].restartCount;
    const injector = new Bus(await tc.connect("injector"), { log: () => {} });
    const answer = await injector.request(nodeInject, { type: "container.exit", namespace: "default", pod: "web", container: "app", exitCode: 137 }, { params: { node: "node-1" } });
    expect(answer).toEqual({ node: "node-1", result: "container default/web/app exited with 137" });
    // a clear error for a container that is not there; a malformed event never reaches the node
    const missing = await injector.request(nodeInject, { type: "container.exit", namespace: "default", pod: "nope", container: "app" }, { params: { node: "node-1" } }).catch((e) => e);
    expect(missing.status).toMatchObject({ code: 400, message: "no running container app in pod default/nope on node node-1" });
    const malformed = await injector.request(nodeInject, { type: "node.explode" } as never, { params: { node: "node-1" } }).catch((e) => e);
    expect(malformed.status.code).toBe(400);
    const after: any = await until("web restarted", async () => {
      const p: any = await cluster.api.get(PODS, "default", "web");
      const cs = p.status.containerStatuses[0];
      return cs.restartCount === before + 1 && cs.state.running && p;
    });
    expect(after.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 137, reason: "Error" });
  });

  it("deletes a pod after stopping it gracefully", async () => {
    await cluster.api.create(PODS, "default", podBody("bye", { "sim.kubeactor.io/stop-seconds": "0.3" }));
    await cluster.api.bind("default", "bye", "node-3");
    await until("bye Running", async () => ((await cluster.api.get(PODS, "default", "bye")) as any).status.phase === "Running");
    const ip = ((await cluster.api.get(PODS, "default", "bye")) as any).status.podIP;
    expect(kubelet.runtime("node-3")!.ipsInUse).toBe(1);
    const t0 = Date.now();
    const marked: any = await cluster.api.delete(PODS, "default", "bye");
    expect(marked.metadata.deletionTimestamp).toBeTruthy();
    await until("bye gone", async () => {
      try {
        await cluster.api.get(PODS, "default", "bye");
        return false;
      } catch (e) {
        return (e as any).status?.code === 404;
      }
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    const node3: any = await cluster.api.get(NODES, "", "node-3");
    expect(ip.startsWith(node3.spec.podCIDR.replace(/0\/24$/, ""))).toBe(true);
    expect(kubelet.runtime("node-3")!.ipsInUse).toBe(0);
  });

  it("set-condition over the bus reports the condition; Ready=False makes the node NotReady", async () => {
    const injector = new Bus(await tc.connect("injector2"), { log: () => {} });
    injector.notify(nodeInject, { node: "node-2" }, { type: "node.pressure", condition: "MemoryPressure", status: true });
    injector.notify(nodeInject, { node: "node-2" }, { type: "node.condition", condition: "Ready", status: "False" });
    const node: any = await until("node-2 NotReady with MemoryPressure", async () => {
      const n: any = await cluster.api.get(NODES, "", "node-2");
      const c = (t: string) => n.status.conditions.find((x: any) => x.type === t);
      return c("MemoryPressure").status === "True" && c("Ready").status === "False" && n;
    });
    expect(node.status.conditions.find((x: any) => x.type === "MemoryPressure").reason).toBe("KubeletHasInsufficientMemory");
    expect(kubelet.actor("node-2")!.getSnapshot().matches({ Active: { Registered: { condition: "NotReady" } } })).toBe(true);
    injector.notify(nodeInject, { node: "node-2" }, { type: "node.condition", condition: "Ready", status: "True" });
    await until("node-2 Ready again", async () => {
      const n: any = await cluster.api.get(NODES, "", "node-2");
      return n.status.conditions.find((x: any) => x.type === "Ready").status === "True";
    });
  });

  it("rejects a pod bound straight to a node it does not fit, as the kubelet's admission does", async () => {
    const bound = (name: string, spec: Record<string, unknown>) => ({
      apiVersion: "v1", kind: "Pod", metadata: { name },
      spec: { nodeName: "node-3", terminationGracePeriodSeconds: 5, containers: [{ name: "app", image: "nginx:1.27" }], ...spec },
    });
    const requests = (cpu: string) => ({ containers: [{ name: "app", image: "nginx:1.27", resources: { requests: { cpu } } }] });
    await cluster.api.create(PODS, "default", bound("fits", requests("2")));
    await until("fits Running", async () => ((await cluster.api.get(PODS, "default", "fits")) as any).status.phase === "Running");

    await cluster.api.create(PODS, "default", bound("too-big", requests("3")));
    const rejected: any = await until("too-big Failed", async () => {
      const p: any = await cluster.api.get(PODS, "default", "too-big");
      return p.status.phase === "Failed" && p;
    });
    expect(rejected.status).toMatchObject({
      phase: "Failed",
      reason: "OutOfcpu",
      message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 3000, used: 2000, capacity: 4000",
      qosClass: "Burstable",
    });
    expect(rejected.status.containerStatuses).toBeUndefined();
    const events = await until("OutOfcpu event", async () =>
      ((await cluster.api.list({ group: "", version: "v1", resource: "events" }, "default")).items as any[]).filter((e) => e.involvedObject.name === "too-big" && e.reason === "OutOfcpu"));
    expect(events[0]).toMatchObject({ type: "Warning", message: "Node didn't have enough resource: cpu, requested: 3000, used: 2000, capacity: 4000" });

    await cluster.api.create(PODS, "default", bound("wrong-node", { nodeSelector: { disktype: "ssd" } }));
    const affinity: any = await until("wrong-node Failed", async () => {
      const p: any = await cluster.api.get(PODS, "default", "wrong-node");
      return p.status.phase === "Failed" && p;
    });
    expect(affinity.status).toMatchObject({ reason: "NodeAffinity", message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });

    // A rejected pod never ran: deleting it (gracefully) removes it at once.
    await cluster.api.delete(PODS, "default", "too-big");
    await until("too-big gone", async () => cluster.api.get(PODS, "default", "too-big").then(() => false, (e: any) => e.status?.code === 404));
    // Its room was never taken: a pod of 2 cpus still fits next to "fits".
    await cluster.api.create(PODS, "default", bound("fits-too", requests("2")));
    await until("fits-too Running", async () => ((await cluster.api.get(PODS, "default", "fits-too")) as any).status.phase === "Running");
    for (const name of ["fits", "fits-too", "wrong-node"]) await cluster.api.delete(PODS, "default", name, { gracePeriodSeconds: 0 } as never);
  });
});
