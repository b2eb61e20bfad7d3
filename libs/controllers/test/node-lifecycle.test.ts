import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { startTestCluster, type TestCluster, transportCases, until } from "@kubeactor/testing";
import { ControllerRuntime, nodeLifecycleControllerWith, PODS, TAINT_NODE_UNREACHABLE } from "../src/index.ts";

const NODES = { group: "", version: "v1", resource: "nodes" };
const LEASES = { group: "coordination.k8s.io", version: "v1", resource: "leases" };
const EVENTS = { group: "", version: "v1", resource: "events" };

const jsonEq = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const metaTime = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
const microTime = () => new Date().toISOString().replace(/Z$/, "000Z");

describe.each(transportCases())("node lifecycle controller over the $name bus", (tc) => {
  let c: TestCluster;
  let runtime: ControllerRuntime;
  const logs: string[] = [];
  const NODE = "node-1";
  const NS = "default";

  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    runtime = new ControllerRuntime(new Bus(await tc.connect("controller-manager"), { log: () => {} }), (l) => logs.push(l));
    runtime.register(nodeLifecycleControllerWith({ nodeMonitorGracePeriodMs: 1500, nodeMonitorPeriodMs: 200, evictionRate: 1 }));
    await runtime.syncInformers();
    runtime.runWorkers();
  });
  afterAll(async () => {
    await runtime?.stop();
    if (process.env.CM_LOG) console.log(logs.join("\n"));
    await c?.stop();
    await tc.teardown();
  });

  // A second, healthy node: with every node down the controller would enter master disruption mode and evict nothing.
  const OTHER = "node-2";
  const getNode = async (name = NODE) => (await c.api.get(NODES, "", name)) as any;
  const postReady = (name = NODE) => until("Ready posted", () => postReadyOnce(name).then(() => true));
  const postReadyOnce = async (name: string) => {
    const node = await getNode(name);
    const at = metaTime();
    const conditions = ["MemoryPressure", "DiskPressure", "PIDPressure"].map((type) => ({
      type, status: "False", reason: `KubeletHas${type === "PIDPressure" ? "SufficientPID" : "No" + type}`, lastHeartbeatTime: at, lastTransitionTime: at,
    }));
    conditions.push({ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: at, lastTransitionTime: at });
    await c.api.updateStatus(NODES, "", { ...node, status: { ...node.status, conditions } });
  };
  const renew = async (name = NODE) => {
    const lease: any = await c.api.get(LEASES, "kube-node-lease", name);
    await c.api.update(LEASES, "kube-node-lease", { ...lease, spec: { ...lease.spec, renewTime: microTime() } });
  };
  const register = async (name: string) => {
    await c.api.create(NODES, "", { apiVersion: "v1", kind: "Node", metadata: { name } });
    await postReady(name);
    await c.api.create(LEASES, "kube-node-lease", {
      apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: "kube-node-lease" },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
    });
  };
  /** A kubelet renewing `name`'s lease every 300 ms until stopped. */
  const startRenewing = (name: string) => {
    let on = true;
    let last = Date.now();
    const loop = (async () => {
      while (on) {
        await renew(name).then(() => (last = Date.now()), () => {});
        await sleep(300);
      }
    })();
    return { lastRenewAt: () => last, stop: async () => { on = false; await loop; } };
  };
  let other: ReturnType<typeof startRenewing> | undefined;
  const pod = (name: string, tolerations?: unknown[]) => ({
    apiVersion: "v1", kind: "Pod", metadata: { name, namespace: NS },
    spec: { nodeName: NODE, containers: [{ name: "c", image: "nginx" }], ...(tolerations ? { tolerations } : {}) },
  });
  const exists = (name: string) => c.api.get(PODS, NS, name).then(() => true, () => false);
  const ourTaints = (node: any) => ((node.spec?.taints ?? []) as any[]).filter((t) => t.key.startsWith("node.kubernetes.io/"));

  it("taints an unreachable node, evicts by toleration and untaints it on recovery", async () => {
    await register(OTHER);
    other = startRenewing(OTHER);
    await register(NODE);
    const unreachableFor = (s: number) => [{ key: TAINT_NODE_UNREACHABLE, operator: "Exists", effect: "NoExecute", tolerationSeconds: s }];
    await c.api.create(PODS, NS, pod("tolerates-3s", unreachableFor(3)));
    await c.api.create(PODS, NS, pod("tolerates-0s", unreachableFor(0)));
    // No tolerations: DefaultTolerationSeconds admission gives it 300 s.
    const dflt: any = await c.api.create(PODS, NS, pod("default-tolerations"));
    expect(dflt.spec.tolerations).toContainEqual({ key: TAINT_NODE_UNREACHABLE, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 });
    const p: any = await c.api.get(PODS, NS, "default-tolerations");
    await c.api.updateStatus(PODS, NS, { ...p, status: { ...p.status, phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: metaTime() }] } });

    // A kubelet renewing every 300 ms keeps the node healthy past the grace period.
    await until("RegisteredNode event", async () =>
      ((await c.api.list(EVENTS, NS)).items as any[]).find((e) => e.reason === "RegisteredNode" && e.involvedObject.name === NODE && e.message === `Node ${NODE} event: Registered Node ${NODE} in Controller`));
    const renewer = startRenewing(NODE);
    await sleep(2500);
    expect(ourTaints(await getNode())).toEqual([]);
    expect((await getNode()).status.conditions.find((x: any) => x.type === "Ready").status).toBe("True");

    // The kubelet goes away.
    await renewer.stop();
    const lastRenewAt = renewer.lastRenewAt();
    const tainted = await until("unreachable taint", async () => {
      const n = await getNode();
      return ourTaints(n).some((t) => t.key === TAINT_NODE_UNREACHABLE && t.effect === "NoExecute") ? n : undefined;
    });
    const taintSeenAt = Date.now();
    expect(await exists("tolerates-3s")).toBe(true);
    expect(taintSeenAt - lastRenewAt).toBeGreaterThanOrEqual(1400);
    expect(ourTaints(tainted).map((t) => `${t.key}:${t.effect}`).sort()).toEqual([`${TAINT_NODE_UNREACHABLE}:NoExecute`, `${TAINT_NODE_UNREACHABLE}:NoSchedule`]);
    expect(ourTaints(tainted).find((t) => t.effect === "NoExecute").timeAdded).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const type of ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]) {
      expect(tainted.status.conditions.find((x: any) => x.type === type)).toMatchObject({
        status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.",
      });
    }
    await until("NodeNotReady event", async () =>
      ((await c.api.list(EVENTS, NS)).items as any[]).find((e) => e.reason === "NodeNotReady" && e.involvedObject.name === NODE && e.message === `Node ${NODE} status is now: NodeNotReady` && e.type === "Normal" && e.source.component === "node-controller"));

    // Not tolerated (tolerationSeconds 0): at once. 3 s: about three seconds after the taint (room for a slow observer). 300 s: stays.
    await until("tolerates-0s evicted", async () => !(await exists("tolerates-0s")), 5000);
    await until("tolerates-3s evicted", async () => !(await exists("tolerates-3s")), 12000);
    const evictedAfter = Date.now() - taintSeenAt;
    expect(evictedAfter).toBeGreaterThanOrEqual(2000);
    // The lower bound proves tolerationSeconds is honoured; the upper one only catches "never" (machines here are shared and slow).
    expect(evictedAfter).toBeLessThan(12000);
    const events = ((await c.api.list(EVENTS, NS)).items as any[]).filter((e) => e.reason === "TaintManagerEviction").map((e) => e.message);
    expect(events).toEqual(expect.arrayContaining([`Marking for deletion Pod ${NS}/tolerates-0s`, `Marking for deletion Pod ${NS}/tolerates-3s`]));
    expect(await exists("default-tolerations")).toBe(true);
    // MarkPodsNotReady
    await until("pod marked not ready", async () =>
      ((await c.api.get(PODS, NS, "default-tolerations")) as any).status.conditions.find((x: any) => x.type === "Ready")?.status === "False");

    // The kubelet comes back: lease renewed and Ready=True.
    await renew();
    await postReady();
    await until("taints removed", async () => ourTaints(await getNode()).length === 0);
    await sleep(600);
    const healthy = await getNode();
    expect(ourTaints(healthy)).toEqual([]);
    expect(healthy.status.conditions.find((x: any) => x.type === "Ready").status).toBe("True");
    expect(await exists("default-tolerations")).toBe(true);
    expect(ourTaints(await getNode(OTHER))).toEqual([]);
  }, 15_000);

  it("evicts nothing while every zone is fully disrupted (master disruption mode)", async () => {
    await other!.stop();
    // Both nodes lose their leases: the only zone has no Ready node left. (Whichever goes first may be tainted NoExecute
    // while the other is still Ready; entering master disruption mode lifts that taint again.)
    const unknown = async (name: string) => (await getNode(name)).status.conditions.find((x: any) => x.type === "Ready").status === "Unknown";
    await until("both nodes Unknown", async () => (await unknown(NODE)) && (await unknown(OTHER)));
    await until("master disruption mode", () => logs.includes("node-lifecycle: Controller detected that all Nodes are not-Ready. Entering master disruption mode."));
    const onlyNoSchedule = [`${TAINT_NODE_UNREACHABLE}:NoSchedule`];
    const taintList = async (name: string) => ourTaints(await getNode(name)).map((t) => `${t.key}:${t.effect}`);
    await until("NoExecute taints lifted", async () => jsonEq(await taintList(NODE), onlyNoSchedule) && jsonEq(await taintList(OTHER), onlyNoSchedule));
    await c.api.create(PODS, NS, pod("stays", [{ key: TAINT_NODE_UNREACHABLE, operator: "Exists", effect: "NoExecute", tolerationSeconds: 0 }]));
    await sleep(1500); // several monitor periods
    for (const name of [NODE, OTHER]) expect(await taintList(name)).toEqual(onlyNoSchedule);
    expect(await exists("stays")).toBe(true);

    // One node back: the zone is no longer fully disrupted; after one token (1/s here, the bucket starts drained) the other node is tainted NoExecute and the pod goes.
    const back = startRenewing(OTHER);
    await postReady(OTHER);
    await until("stays evicted", async () => !(await exists("stays")), 12_000);
    expect(ourTaints(await getNode()).map((t) => `${t.key}:${t.effect}`).sort()).toEqual([`${TAINT_NODE_UNREACHABLE}:NoExecute`, `${TAINT_NODE_UNREACHABLE}:NoSchedule`]);
    await back.stop();
  }, 30_000);
});
