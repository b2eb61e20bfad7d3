/**
 * A node fails under a running Deployment, end to end in one process: store,
 * API server (default tolerations 2 s), controller manager (grace period 2 s),
 * scheduler and three simulated nodes, one per zone. `node.stop` arrives over
 * the bus as any NATS client would send it; the control loops must notice,
 * taint, evict and replace; `node.start` must heal the node.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus, nodeInject } from "@kubeactor/bus";
import { type ControllerManager, startControllerManager } from "@kubeactor/controllers";
import { type RunningScheduler, startScheduler } from "@kubeactor/scheduler";
import { startTestCluster, type TestCluster, transportCases, until } from "@kubeactor/testing";
import { type Kubelet, startKubelet } from "../src/index.ts";

const PODS = { group: "", version: "v1", resource: "pods" };
const NODES = { group: "", version: "v1", resource: "nodes" };
const DEPLOYMENTS = { group: "apps", version: "v1", resource: "deployments" };
const UNREACHABLE = "node.kubernetes.io/unreachable";

describe.each(transportCases())("a failed node over the $name bus", (tc) => {
  let cluster: TestCluster;
  let manager: ControllerManager;
  let scheduler: RunningScheduler;
  let kubelet: Kubelet;
  let injector: Bus;
  const logs: string[] = [];
  const quiet = { log: () => {} };

  beforeAll(async () => {
    await tc.setup();
    cluster = await startTestCluster(tc, { defaultTolerationSeconds: { notReady: 2, unreachable: 2 } });
    manager = await startControllerManager({
      bus: new Bus(await tc.connect("controller-manager"), quiet),
      log: (l) => logs.push(l),
      nodeLifecycle: { nodeMonitorGracePeriodMs: 2000, nodeMonitorPeriodMs: 250 },
    });
    scheduler = await startScheduler({ bus: new Bus(await tc.connect("scheduler"), quiet), log: (l) => logs.push(l) });
    kubelet = await startKubelet({ bus: new Bus(await tc.connect("kubelet"), quiet), nodes: 3, pullMs: 20, leaseRenewMs: 400, log: (l) => logs.push(l) });
    injector = new Bus(await tc.connect("injector"), quiet);
  });

  afterAll(async () => {
    await kubelet?.stop();
    await scheduler?.stop();
    await manager?.stop();
    if (process.env.NODE_FAILURE_LOG) console.log(logs.join("\n"));
    await cluster?.stop();
    await tc.teardown();
  });

  const pods = async () => ((await cluster.api.list(PODS, "default")).items as any[]).filter((p) => p.metadata.labels?.app === "web");
  const node = async (name: string) => (await cluster.api.get(NODES, "", name)) as any;
  const ready = (n: any) => n.status.conditions.find((c: any) => c.type === "Ready")?.status;
  const ourTaints = (n: any) => ((n.spec.taints ?? []) as any[]).filter((t) => t.key.startsWith("node.kubernetes.io/")).map((t) => `${t.key}:${t.effect}`).sort();
  const available = async () => ((await cluster.api.get(DEPLOYMENTS, "default", "web")) as any).status?.availableReplicas ?? 0;

  it("evicts the pods of a stopped node, recreates them elsewhere and untaints the node when it returns", async () => {
    await cluster.api.create(DEPLOYMENTS, "default", {
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" },
      spec: {
        replicas: 3, selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "nginx", image: "nginx:1.27" }] } },
      },
    });
    await until("3 available", async () => (await available()) === 3, 30_000);
    const before = await pods();
    // The API server gave every pod the short default tolerations.
    expect(before[0].spec.tolerations).toContainEqual({ key: UNREACHABLE, operator: "Exists", effect: "NoExecute", tolerationSeconds: 2 });
    const victim = before[0].spec.nodeName as string;
    const doomed = new Set(before.filter((p) => p.spec.nodeName === victim).map((p) => p.metadata.uid));

    const answer = await injector.request(nodeInject, { type: "node.stop" }, { params: { node: victim } });
    expect(answer).toEqual({ node: victim, result: "stopped" });

    const tainted = await until("node Unknown and tainted", async () => {
      const n = await node(victim);
      return ready(n) === "Unknown" && ourTaints(n).length === 2 && n;
    }, 20_000);
    expect(ourTaints(tainted)).toEqual([`${UNREACHABLE}:NoExecute`, `${UNREACHABLE}:NoSchedule`]);
    expect(tainted.status.conditions.find((c: any) => c.type === "Ready")).toMatchObject({ reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status." });

    // Two seconds of toleration later the pods go; the ReplicaSet replaces them on the healthy nodes.
    await until("pods of the stopped node evicted", async () => !(await pods()).some((p) => doomed.has(p.metadata.uid)), 30_000);
    await until("3 available again, none on the stopped node", async () => {
      const now = await pods();
      return (await available()) === 3 && now.length === 3 && now.every((p) => p.spec.nodeName !== victim && p.status.phase === "Running") && now;
    }, 30_000);
    const events = (await cluster.api.list({ group: "", version: "v1", resource: "events" }, "default")).items as any[];
    expect(events.filter((e) => e.reason === "TaintManagerEviction").map((e) => e.message)).toEqual(
      expect.arrayContaining(before.filter((p) => doomed.has(p.metadata.uid)).map((p) => `Marking for deletion Pod default/${p.metadata.name}`)),
    );

    // The kubelet comes back: Ready again, taints lifted.
    expect(await injector.request(nodeInject, { type: "node.start" }, { params: { node: victim } })).toEqual({ node: victim, result: "started" });
    await until("node Ready and untainted", async () => {
      const n = await node(victim);
      return ready(n) === "True" && ourTaints(n).length === 0;
    }, 20_000);
    expect(await available()).toBe(3);
  }, 120_000);
});
