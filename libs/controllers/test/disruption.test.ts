/**
 * PodDisruptionBudgets on a whole in-process cluster: the disruption
 * controller's status, and the eviction subresource honouring it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { call, type MemoryCluster, startMemoryCluster, until } from "@kubeactor/testing";
import { type ControllerManager, DEPLOYMENTS, NAMESPACES, PODDISRUPTIONBUDGETS, PODS, REPLICATIONCONTROLLERS, startControllerManager } from "../src/index.ts";

const deployment = (name: string, replicas: number) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "nginx" }] } } },
});
const budget = (name: string, app: string, spec: Record<string, unknown>) => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name },
  spec: { selector: { matchLabels: { app } }, ...spec },
});

describe("PodDisruptionBudgets", () => {
  let c: MemoryCluster;
  let manager: ControllerManager;
  const items = async (ref: typeof PODS, ns: string, labelSelector?: string) =>
    (await c.api.list(ref, ns, labelSelector ? { labelSelector } : undefined)).items as any[];
  /** What a kubelet would report: the pods Running and Ready (or not). */
  const setReady = async (ns: string, selector: string, ready = true) => {
    for (const pod of await items(PODS, ns, selector)) {
      if (pod.metadata.deletionTimestamp) continue;
      const at = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
      await c.api.updateStatus(PODS, ns, {
        ...pod,
        metadata: { ...pod.metadata, resourceVersion: undefined },
        status: { ...pod.status, phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: at }] },
      });
    }
  };
  const status = async (ns: string, name: string) => ((await c.api.get(PODDISRUPTIONBUDGETS, ns, name)) as any).status;

  beforeAll(async () => {
    c = await startMemoryCluster();
    manager = await startControllerManager({ bus: new Bus(await c.connect("controller-manager"), { log: () => {} }), controllers: ["replicaset", "replicationcontroller", "deployment", "disruption"] });
  });
  afterAll(async () => {
    await manager?.stop();
    await c?.stop();
  });

  it("counts pods against the owning Deployment's scale and keeps the DisruptionAllowed condition", { timeout: 60_000 }, async () => {
    const ns = "budgets";
    await c.api.create(NAMESPACES, "", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await c.api.create(DEPLOYMENTS, ns, deployment("web", 4));
    await c.api.create(PODDISRUPTIONBUDGETS, ns, budget("web-pct", "web", { minAvailable: "50%" }));
    await c.api.create(PODDISRUPTIONBUDGETS, ns, budget("web-max", "web", { maxUnavailable: 1 }));
    await until("condition", async () => (await items(PODS, ns, "app=web")).length === 4, 30_000);
    // not ready yet: nothing may be disrupted
    await until("condition", async () => (await status(ns, "web-pct"))?.expectedPods === 4, 30_000);
    expect(await status(ns, "web-pct")).toMatchObject({
      expectedPods: 4,
      desiredHealthy: 2,
      currentHealthy: 0,
      disruptionsAllowed: 0,
      observedGeneration: 1,
      conditions: [{ type: "DisruptionAllowed", status: "False", reason: "InsufficientPods" }],
    });
    await setReady(ns, "app=web");
    await until("condition", async () => (await status(ns, "web-pct"))?.currentHealthy === 4 && (await status(ns, "web-max"))?.currentHealthy === 4, 30_000);
    expect(await status(ns, "web-pct")).toMatchObject({ desiredHealthy: 2, disruptionsAllowed: 2, conditions: [{ status: "True", reason: "SufficientPods" }] });
    expect(await status(ns, "web-max")).toMatchObject({ expectedPods: 4, desiredHealthy: 3, disruptionsAllowed: 1 });

    // a spec change is observed with the new generation
    const pct = (await c.api.get(PODDISRUPTIONBUDGETS, ns, "web-pct")) as any;
    await c.api.update(PODDISRUPTIONBUDGETS, ns, { ...pct, spec: { ...pct.spec, minAvailable: "100%" } });
    await until("condition", async () => (await status(ns, "web-pct"))?.observedGeneration === 2, 30_000);
    expect(await status(ns, "web-pct")).toMatchObject({ desiredHealthy: 4, disruptionsAllowed: 0, conditions: [{ status: "False", reason: "InsufficientPods", observedGeneration: 2 }] });
  });

  it("evictions spend the budget the controller computed, and it recovers as replacements get Ready", { timeout: 60_000 }, async () => {
    const ns = "evictions";
    const PODS_URL = `/api/v1/namespaces/${ns}/pods`;
    const evict = (name: string) => call(c.url, "POST", `${PODS_URL}/${name}/eviction`, { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace: ns } });
    await c.api.create(NAMESPACES, "", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await c.api.create(DEPLOYMENTS, ns, deployment("api", 2));
    await c.api.create(PODDISRUPTIONBUDGETS, ns, budget("api", "api", { maxUnavailable: 1 }));
    await until("pods", async () => (await items(PODS, ns, "app=api")).length === 2, 30_000);
    await setReady(ns, "app=api");
    await until("budget allows one", async () => (await status(ns, "api"))?.disruptionsAllowed === 1, 30_000);

    const [first, second] = (await items(PODS, ns, "app=api")).map((p) => p.metadata.name as string);
    expect((await evict(first!)).code).toBe(201);
    const refused = await evict(second!);
    expect(refused.code).toBe(429);
    expect(refused.body.details.causes[0].message).toMatch(/^The disruption budget api needs 1 healthy pods and has [12] currently$/);

    // the ReplicaSet replaces the evicted pod; once it is Ready the budget allows one again, and the eviction entry is gone
    await until("replacement", async () => (await items(PODS, ns, "app=api")).filter((p) => !p.metadata.deletionTimestamp).length === 2, 30_000);
    await setReady(ns, "app=api");
    await until("budget recovers", async () => {
      const s = await status(ns, "api");
      return s?.disruptionsAllowed === 1 && s.currentHealthy === 2 && s.disruptedPods === undefined;
    }, 30_000);
    expect((await evict(second!)).code).toBe(201);
  });

  it("counts a percentage against a ReplicationController's replicas, following its scale", { timeout: 60_000 }, async () => {
    const ns = "rc-budgets";
    await c.api.create(NAMESPACES, "", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const rc = { apiVersion: "v1", kind: "ReplicationController", metadata: { name: "legacy" }, spec: { replicas: 4, template: deployment("legacy", 0).spec.template } };
    await c.api.create(REPLICATIONCONTROLLERS, ns, rc);
    await c.api.create(PODDISRUPTIONBUDGETS, ns, budget("legacy-pct", "legacy", { maxUnavailable: "50%" }));
    await until("4 pods", async () => (await items(PODS, ns, "app=legacy")).length === 4, 30_000);
    await setReady(ns, "app=legacy");
    await until("budget counted", async () => (await status(ns, "legacy-pct"))?.currentHealthy === 4, 30_000);
    expect(await status(ns, "legacy-pct")).toMatchObject({ expectedPods: 4, desiredHealthy: 2, disruptionsAllowed: 2, conditions: [{ status: "True", reason: "SufficientPods" }] });
    const current = (await c.api.get(REPLICATIONCONTROLLERS, ns, "legacy")) as any;
    await c.api.update(REPLICATIONCONTROLLERS, ns, { ...current, metadata: { ...current.metadata, resourceVersion: undefined }, spec: { ...current.spec, replicas: 6 } });
    await until("expected follows the scale", async () => (await status(ns, "legacy-pct"))?.expectedPods === 6, 30_000);
  });
});
