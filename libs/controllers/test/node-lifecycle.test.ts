import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { startTestCluster, type TestCluster, transportCases, until } from "@kubeactor/testing";
import { ControllerRuntime, nodeLifecycleControllerWith, PODS, TAINT_NODE_UNREACHABLE } from "../src/index.ts";

const NODES = { group: "", version: "v1", resource: "nodes" };
const LEASES = { group: "coordination.k8s.io", version: "v1", resource: "leases" };
const EVENTS = { group: "", version: "v1", resource: "events" };

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
    runtime.register(nodeLifecycleControllerWith({ nodeMonitorGracePeriodMs: 1500, nodeMonitorPeriodMs: 200 }));
    await runtime.syncInformers();
    runtime.runWorkers();
  });
  afterAll(async () => {
    await runtime?.stop();
    if (process.env.CM_LOG) console.log(logs.join("\n"));
    await c?.stop();
    await tc.teardown();
  });

  const getNode = async () => (await c.api.get(NODES, "", NODE)) as any;
  const postReady = () => until("Ready posted", () => postReadyOnce().then(() => true));
  const postReadyOnce = async () => {
    const node = await getNode();
    const at = metaTime();
    const conditions = ["MemoryPressure", "DiskPressure", "PIDPressure"].map((type) => ({
      type, status: "False", reason: `KubeletHas${type === "PIDPressure" ? "SufficientPID" : "No" + type}`, lastHeartbeatTime: at, lastTransitionTime: at,
    }));
    conditions.push({ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: at, lastTransitionTime: at });
    await c.api.updateStatus(NODES, "", { ...node, status: { ...node.status, conditions } });
  };
  const renew = async () => {
    const lease: any = await c.api.get(LEASES, "kube-node-lease", NODE);
    await c.api.update(LEASES, "kube-node-lease", { ...lease, spec: { ...lease.spec, renewTime: microTime() } });
  };
  const pod = (name: string, tolerations?: unknown[]) => ({
    apiVersion: "v1", kind: "Pod", metadata: { name, namespace: NS },
    spec: { nodeName: NODE, containers: [{ name: "c", image: "nginx" }], ...(tolerations ? { tolerations } : {}) },
  });
  const exists = (name: string) => c.api.get(PODS, NS, name).then(() => true, () => false);
  const ourTaints = (node: any) => ((node.spec?.taints ?? []) as any[]).filter((t) => t.key.startsWith("node.kubernetes.io/"));

  it("taints an unreachable node, evicts by toleration and untaints it on recovery", async () => {
    await c.api.create(NODES, "", { apiVersion: "v1", kind: "Node", metadata: { name: NODE } });
    await postReady();
    await c.api.create(LEASES, "kube-node-lease", {
      apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: NODE, namespace: "kube-node-lease" },
      spec: { holderIdentity: NODE, leaseDurationSeconds: 40, renewTime: microTime() },
    });
    const unreachableFor = (s: number) => [{ key: TAINT_NODE_UNREACHABLE, operator: "Exists", effect: "NoExecute", tolerationSeconds: s }];
    await c.api.create(PODS, NS, pod("tolerates-3s", unreachableFor(3)));
    await c.api.create(PODS, NS, pod("tolerates-0s", unreachableFor(0)));
    // No tolerations: DefaultTolerationSeconds admission gives it 300 s.
    const dflt: any = await c.api.create(PODS, NS, pod("default-tolerations"));
    expect(dflt.spec.tolerations).toContainEqual({ key: TAINT_NODE_UNREACHABLE, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 });
    const p: any = await c.api.get(PODS, NS, "default-tolerations");
    await c.api.updateStatus(PODS, NS, { ...p, status: { ...p.status, phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: metaTime() }] } });

    // A kubelet renewing every 300 ms keeps the node healthy past the grace period.
    let renewing = true;
    let lastRenewAt = Date.now();
    const renewer = (async () => {
      while (renewing) {
        await renew().then(() => (lastRenewAt = Date.now()), () => {});
        await sleep(300);
      }
    })();
    await sleep(2500);
    expect(ourTaints(await getNode())).toEqual([]);
    expect((await getNode()).status.conditions.find((x: any) => x.type === "Ready").status).toBe("True");

    // The kubelet goes away.
    renewing = false;
    await renewer;
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
  }, 15_000);
});
