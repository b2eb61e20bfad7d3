/**
 * pods/eviction against PodDisruptionBudgets, with kube-apiserver's codes,
 * messages and status bookkeeping. No disruption controller runs here: the
 * budgets' status is written by the test, as the controller would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startMemoryCluster, type TestCluster } from "@kubeactor/testing";

const PODS = "/api/v1/namespaces/default/pods";
const PDBS = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";
const eviction = (name: string, deleteOptions?: unknown) => ({
  apiVersion: "policy/v1",
  kind: "Eviction",
  metadata: { name, namespace: "default" },
  ...(deleteOptions ? { deleteOptions } : {}),
});

describe("eviction honours PodDisruptionBudgets", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startMemoryCluster();
  });
  afterAll(() => c?.stop());

  /** A pod on a node, Running, Ready or not — what a kubelet would have reported. */
  const runningPod = async (name: string, app: string, ready = true, phase = "Running") => {
    const created = await call(c.url, "POST", PODS, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, labels: { app } },
      spec: { nodeName: "node-1", containers: [{ name: "c", image: "busybox" }] },
    });
    expect(created.code).toBe(201);
    const pod = created.body;
    const res = await call(c.url, "PUT", `${PODS}/${name}/status`, {
      ...pod,
      status: { ...pod.status, phase, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
    });
    expect(res.code).toBe(200);
  };
  /** A budget with the status the disruption controller would have written. */
  const budget = async (name: string, selector: unknown, status: Record<string, unknown>, spec: Record<string, unknown> = { minAvailable: 2 }) => {
    const created = await call(c.url, "POST", PDBS, { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name }, spec: { selector, ...spec } });
    expect(created.code).toBe(201);
    const res = await call(c.url, "PUT", `${PDBS}/${name}/status`, { ...created.body, status: { observedGeneration: 1, expectedPods: 3, ...status } });
    expect(res.code).toBe(200);
  };
  const get = async (path: string) => (await call(c.url, "GET", path)).body;

  it("spends the budget: 201 while disruptions are allowed, then 429 with the DisruptionBudget cause", async () => {
    for (const n of ["web-0", "web-1", "web-2"]) await runningPod(n, "web");
    await budget("web", { matchLabels: { app: "web" } }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2 });

    const ok = await call(c.url, "POST", `${PODS}/web-0/eviction`, eviction("web-0"));
    expect(ok).toEqual({ code: 201, body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 } });
    const status = (await get(`${PDBS}/web`)).status;
    expect(status.disruptionsAllowed).toBe(0);
    expect(Object.keys(status.disruptedPods)).toEqual(["web-0"]);
    expect(status.conditions).toMatchObject([{ type: "DisruptionAllowed", status: "False", reason: "InsufficientPods" }]);
    const evicted = await get(`${PODS}/web-0`);
    expect(evicted.metadata.deletionTimestamp).toBeTruthy();
    expect(evicted.status.conditions).toContainEqual(
      expect.objectContaining({ type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI", message: "Eviction API: evicting" }),
    );

    const refused = await call(c.url, "POST", `${PODS}/web-1/eviction`, eviction("web-1"));
    expect(refused.code).toBe(429);
    expect(refused.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: VIOLATION,
      reason: "TooManyRequests",
      details: { causes: [{ reason: "DisruptionBudget", message: "The disruption budget web needs 2 healthy pods and has 3 currently" }] },
      code: 429,
    });
    expect((await get(`${PODS}/web-1`)).metadata.deletionTimestamp).toBeUndefined();
  });

  it("deletes pods that disrupt nothing new without consulting the budget", async () => {
    await budget("batch", { matchLabels: { app: "batch" } }, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 2 });
    await call(c.url, "POST", PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: "batch-pending", labels: { app: "batch" } }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    expect((await call(c.url, "POST", `${PODS}/batch-pending/eviction`, eviction("batch-pending"))).code).toBe(201);
    await runningPod("batch-done", "batch", false, "Succeeded");
    expect((await call(c.url, "POST", `${PODS}/batch-done/eviction`, eviction("batch-done"))).code).toBe(201);
    expect((await get(`${PDBS}/batch`)).status.disruptedPods).toBeUndefined();
  });

  it("lets an unready pod go while the budget is healthy, or always under AlwaysAllow", async () => {
    await runningPod("db-0", "db", false);
    await runningPod("db-1", "db", false);
    await budget("db", { matchLabels: { app: "db" } }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 });
    const unhealthy = await call(c.url, "POST", `${PODS}/db-0/eviction`, eviction("db-0"));
    expect(unhealthy.code).toBe(429);
    expect(unhealthy.body.details.causes[0].message).toBe("The disruption budget db needs 2 healthy pods and has 1 currently");

    const pdb = await get(`${PDBS}/db`);
    await call(c.url, "PUT", `${PDBS}/db/status`, { ...pdb, status: { ...pdb.status, currentHealthy: 2 } });
    expect((await call(c.url, "POST", `${PODS}/db-0/eviction`, eviction("db-0"))).code).toBe(201);
    expect((await get(`${PDBS}/db`)).status).toMatchObject({ disruptionsAllowed: 0, currentHealthy: 2 });

    await runningPod("cache-0", "cache", false);
    await budget("cache", { matchLabels: { app: "cache" } }, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 2 }, { minAvailable: 2, unhealthyPodEvictionPolicy: "AlwaysAllow" });
    expect((await call(c.url, "POST", `${PODS}/cache-0/eviction`, eviction("cache-0"))).code).toBe(201);
  });

  it("refuses pods under two budgets (500) and budgets the controller has not seen yet (429)", async () => {
    await runningPod("twin", "twin");
    await budget("twin-a", { matchLabels: { app: "twin" } }, { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0 });
    await budget("twin-b", { matchExpressions: [{ key: "app", operator: "In", values: ["twin"] }] }, { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0 });
    const two = await call(c.url, "POST", `${PODS}/twin/eviction`, eviction("twin"));
    expect(two).toEqual({
      code: 500,
      body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.", code: 500 },
    });

    await runningPod("fresh", "fresh");
    await budget("fresh", { matchLabels: { app: "fresh" } }, { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, observedGeneration: 0 });
    const stale = await call(c.url, "POST", `${PODS}/fresh/eviction`, eviction("fresh"));
    expect(stale.code).toBe(429);
    expect(stale.body.details).toEqual({ causes: [{ reason: "DisruptionBudget", message: "The disruption budget fresh is still being processed by the server." }], retryAfterSeconds: 10 });

    // a budget with an empty selector protects nothing from evictions
    await runningPod("loose", "loose");
    await budget("everything", {}, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 5 });
    expect((await call(c.url, "POST", `${PODS}/loose/eviction`, eviction("loose"))).code).toBe(201);
  });

  it("a dry run spends nothing", async () => {
    await runningPod("dry", "dry");
    await budget("dry", { matchLabels: { app: "dry" } }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2 });
    expect((await call(c.url, "POST", `${PODS}/dry/eviction`, eviction("dry", { dryRun: ["All"] }))).code).toBe(201);
    expect((await get(`${PDBS}/dry`)).status.disruptionsAllowed).toBe(1);
    expect((await get(`${PODS}/dry`)).metadata.deletionTimestamp).toBeUndefined();
  });
});
