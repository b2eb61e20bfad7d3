/**
 * Preemption on a whole cluster (simulated kubelet, controllers, scheduler)
 * with a PodDisruptionBudget: the scheduler reads budgets through its
 * informer and preempts on the node where no budget is violated, even though
 * the victim there has the higher priority.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { type ControllerManager, startControllerManager } from "@kubeactor/controllers";
import { type Kubelet, startKubelet } from "@kubeactor/kubelet";
import { type MemoryCluster, startMemoryCluster, until } from "@kubeactor/testing";
import { type RunningScheduler, startScheduler } from "../src/index.ts";

const PODS = { group: "", version: "v1", resource: "pods" };
const PRIORITY_CLASSES = { group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses" };
const PDBS = { group: "policy", version: "v1", resource: "poddisruptionbudgets" };
type PodObj = { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status?: { phase?: string; nominatedNodeName?: string } };

describe("preemption and PodDisruptionBudgets", () => {
  let cluster: MemoryCluster;
  let controllers: ControllerManager;
  let kubelet: Kubelet;
  let scheduler: RunningScheduler;
  const quiet = { log: () => {} };
  const pod = async (name: string) => (await cluster.api.get(PODS, "default", name)) as unknown as PodObj;

  beforeAll(async () => {
    cluster = await startMemoryCluster();
    controllers = await startControllerManager({ bus: new Bus(await cluster.connect("controller-manager"), quiet), ...quiet });
    kubelet = await startKubelet({ bus: new Bus(await cluster.connect("kubelet"), quiet), nodes: 2, cpu: "1", pullMs: 10, ...quiet });
    scheduler = await startScheduler({ bus: new Bus(await cluster.connect("scheduler"), quiet), ...quiet });
  }, 60_000);
  afterAll(async () => {
    await scheduler?.stop();
    await kubelet?.stop();
    await controllers?.stop();
    await cluster?.stop();
  });

  it("preempts the pod no budget protects", async () => {
    const [first, second] = kubelet.nodes;
    for (const [name, value] of [["pdb-lowest", 5], ["pdb-low", 10], ["pdb-high", 1000]] as const)
      await cluster.api.create(PRIORITY_CLASSES, "", { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name }, value });
    const make = (name: string, priorityClassName: string, node?: string) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, labels: { app: name } },
      spec: {
        priorityClassName,
        ...(node ? { nodeSelector: { "kubernetes.io/hostname": node } } : {}),
        terminationGracePeriodSeconds: 1,
        containers: [{ name: "c", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "800m" } } }],
      },
    });
    await cluster.api.create(PDBS, "default", { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "guarded" }, spec: { minAvailable: 1, selector: { matchLabels: { app: "guarded" } } } });
    // Without the budget, the lower-priority "guarded" would be the victim.
    await cluster.api.create(PODS, "default", make("guarded", "pdb-lowest", first));
    await cluster.api.create(PODS, "default", make("free", "pdb-low", second));
    for (const name of ["guarded", "free"]) await until(`${name} running`, async () => ((await pod(name)).status?.phase === "Running" ? true : undefined), 30_000);
    await until("budget counted", async () => {
      const s = ((await cluster.api.get(PDBS, "default", "guarded")) as { status?: { currentHealthy?: number; disruptionsAllowed?: number } }).status;
      return s?.currentHealthy === 1 && s.disruptionsAllowed === 0 ? true : undefined;
    }, 30_000);

    await cluster.api.create(PODS, "default", make("vip", "pdb-high"));
    const bound = await until("vip bound", async () => {
      const p = await pod("vip");
      return p.spec.nodeName ? p : undefined;
    }, 60_000);
    expect(bound.spec.nodeName).toBe(second);
    expect(bound.status?.nominatedNodeName).toBe(second);
    expect((await pod("guarded")).metadata.deletionTimestamp).toBeUndefined();
    await until("free gone", async () => ((await cluster.api.list(PODS, "default")) as { items: PodObj[] }).items.every((p) => p.metadata.name !== "free") || undefined, 30_000);
  }, 120_000);
});
