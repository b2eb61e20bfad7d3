/**
 * A rolling update on a whole in-process cluster (controllers, scheduler,
 * simulated nodes), checked at every revision a watch observes: the
 * ReplicaSets' replicas never sum above replicas + maxSurge, and available
 * pods never drop below replicas - maxUnavailable.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus, type JsonObject } from "@kubeactor/bus";
import { Informer, StoreClient } from "@kubeactor/client";
import { type Kubelet, startKubelet } from "@kubeactor/kubelet";
import { type RunningScheduler, startScheduler } from "@kubeactor/scheduler";
import { startTestCluster, type TestCluster, transportCases, until } from "@kubeactor/testing";
import { type ControllerManager, DEPLOYMENTS, NAMESPACES, startControllerManager } from "../src/index.ts";

const REPLICAS = 10;
// 30% of 10 rounds up to 3 surge pods; 25% of 10 rounds down to 2 unavailable.
const STRATEGY = { type: "RollingUpdate", rollingUpdate: { maxSurge: "30%", maxUnavailable: "25%" } };
const MAX_TOTAL = REPLICAS + 3;
const MIN_AVAILABLE = REPLICAS - 2;

type Obj = any;
const available = (p: Obj) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True");

describe.each(transportCases())("a rolling update over the $name bus", (tc) => {
  let c: TestCluster;
  let manager: ControllerManager;
  let scheduler: RunningScheduler;
  let kubelet: Kubelet;
  const informers: Informer[] = [];
  const ns = `rollout-${tc.name}`;

  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    const connect = async (name: string) => new Bus(await tc.connect(name), { log: () => {} });
    manager = await startControllerManager({ bus: await connect("controller-manager"), controllers: ["replicaset", "deployment", "garbagecollector"], log: () => {} });
    scheduler = await startScheduler({ bus: await connect("scheduler"), log: () => {} });
    kubelet = await startKubelet({ bus: await connect("kubelet"), nodes: 4, pullMs: 50 });
    await c.api.create(NAMESPACES, "", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  });
  afterAll(async () => {
    for (const i of informers) i.stop();
    await kubelet?.stop();
    await scheduler?.stop();
    await manager?.stop();
    await c?.stop();
    await tc.teardown();
  });

  it("never exceeds maxSurge nor maxUnavailable at any observed revision", { timeout: 60_000 }, async () => {
    const bus = new Bus(await tc.connect("observer"), { log: () => {} });
    const store = new StoreClient(bus);
    const pods = new Informer(bus, store, { group: "", resource: "pods", namespace: ns, resyncMs: 0 });
    const replicaSets = new Informer(bus, store, { group: "apps", resource: "replicasets", namespace: ns, resyncMs: 0 });
    informers.push(pods, replicaSets);
    let checking = false;
    const violations: string[] = [];
    let observed = { pods: 0, replicaSets: 0, minAvailable: Infinity, maxTotal: 0 };
    const checkPods = () => {
      observed.pods++;
      const n = pods.list().filter(available).length;
      if (!checking) return;
      observed.minAvailable = Math.min(observed.minAvailable, n);
      if (n < MIN_AVAILABLE) violations.push(`only ${n} available pods at revision ${pods.revision}`);
    };
    const checkReplicaSets = () => {
      observed.replicaSets++;
      const total = replicaSets.list().reduce((sum, rs: Obj) => sum + (rs.spec?.replicas ?? 0), 0);
      if (!checking) return;
      observed.maxTotal = Math.max(observed.maxTotal, total);
      if (total > MAX_TOTAL) violations.push(`ReplicaSets sum to ${total} replicas at revision ${replicaSets.revision}`);
    };
    pods.addHandler({ onAdd: checkPods, onUpdate: checkPods, onDelete: checkPods });
    replicaSets.addHandler({ onAdd: checkReplicaSets, onUpdate: checkReplicaSets, onDelete: checkReplicaSets });
    await Promise.all([pods.start(), replicaSets.start()]);

    const template = (image: string) => ({ metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image }] } });
    await c.api.create(DEPLOYMENTS, ns, {
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" },
      spec: { replicas: REPLICAS, strategy: STRATEGY, selector: { matchLabels: { app: "web" } }, template: template("nginx:1.27") },
    });
    const complete = async (generation: number) => {
      const d = (await c.api.get(DEPLOYMENTS, ns, "web")) as Obj;
      const s = d.status ?? {};
      return s.observedGeneration === generation && s.updatedReplicas === REPLICAS && s.availableReplicas === REPLICAS && s.replicas === REPLICAS ? d : undefined;
    };
    const d = await until("10 available replicas", () => complete(1), 30_000);
    await until("the observer sees them", () => pods.list().filter(available).length === REPLICAS);

    checking = true;
    await c.api.update(DEPLOYMENTS, ns, { ...d, spec: { ...d.spec, template: template("nginx:1.28") } } as JsonObject);
    await until("the rollout to complete", () => complete(2), 40_000);
    await until("old pods gone", () => pods.list().length === REPLICAS && pods.list().every((p: Obj) => p.spec.containers[0].image === "nginx:1.28"), 20_000);

    expect(violations).toEqual([]);
    // The checks saw the rollout actually use its budget (it did not just run one pod at a time).
    expect(observed.maxTotal).toBe(MAX_TOTAL);
    expect(observed.minAvailable).toBeGreaterThanOrEqual(MIN_AVAILABLE);
    expect(observed.minAvailable).toBeLessThan(REPLICAS);
    expect(observed.pods).toBeGreaterThan(REPLICAS * 3);
  });
});
