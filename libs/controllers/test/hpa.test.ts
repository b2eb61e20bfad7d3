/**
 * The horizontal pod autoscaler controller on an in-process cluster and a
 * simulated clock: the API server reads pod CPU from a stand-in kubelet
 * (`kube.node.node-a.stats`), the controller scales the Deployment through
 * its scale subresource, and scales down only once the simulated clock has
 * passed the downscale stabilization window.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rfc3339 } from "@kubeactor/api";
import { Bus, type BusSubscription, nodeStats } from "@kubeactor/bus";
import { type MemoryCluster, startMemoryCluster, until } from "@kubeactor/testing";
import { type ControllerManager, DEPLOYMENTS, HORIZONTALPODAUTOSCALERS, NAMESPACES, PODS, startControllerManager } from "../src/index.ts";

const NS = "autoscaled";
const WINDOW_MS = 60_000;
const EVENTS = { group: "", version: "v1", resource: "events" };

describe("horizontal pod autoscaler controller", () => {
  let c: MemoryCluster;
  let manager: ControllerManager;
  let kubelet: BusSubscription;
  /** The simulated clock the controller reads. */
  let clock = Date.now();
  /** What every pod's container reports. */
  let podCpu = "250m";

  const replicas = async () => ((await c.api.get(DEPLOYMENTS, NS, "web")) as any).spec.replicas as number;
  const hpaStatus = async () => ((await c.api.get(HORIZONTALPODAUTOSCALERS, NS, "web")) as any).status;
  const rescales = async () =>
    (((await c.api.list(EVENTS, NS)) as any).items as { reason: string; message: string }[]).filter((e) => e.reason === "SuccessfulRescale").map((e) => e.message);

  beforeAll(async () => {
    c = await startMemoryCluster();
    const bus = new Bus(await c.connect("kubelet"), { log: () => {} });
    // A kubelet's summary for node-a: every running pod of the namespace at podCpu.
    kubelet = bus.serve(
      nodeStats,
      async () => {
        const pods = ((await c.api.list(PODS, NS)) as any).items as { metadata: { name: string } }[];
        return {
          node: "node-a",
          timestamp: rfc3339(clock),
          window: "1s",
          usage: { cpu: "0", memory: "0" },
          pods: pods.map((p) => ({ namespace: NS, name: p.metadata.name, containers: [{ name: "app", usage: { cpu: podCpu, memory: "1Mi" } }] })),
        };
      },
      { params: { node: "node-a" } },
    );
    manager = await startControllerManager({
      bus: new Bus(await c.connect("controller-manager"), { log: () => {} }),
      controllers: ["horizontalpodautoscaling"],
      horizontalPodAutoscaler: { syncPeriodMs: 100, downscaleStabilizationMs: WINDOW_MS, now: () => clock },
    });
  });
  afterAll(async () => {
    await manager?.stop();
    kubelet?.unsubscribe();
    await c?.stop();
  });

  it("scales up in steps to maxReplicas, then down only after the window", { timeout: 60_000 }, async () => {
    await c.api.create(NAMESPACES, "", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    await c.api.create(DEPLOYMENTS, NS, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "nginx", resources: { requests: { cpu: "100m" } } }] } },
      },
    });
    // Two running, long-ready pods (no ReplicaSet controller here: the pod count stays 2 whatever the scale says).
    for (const name of ["web-a", "web-b"]) {
      const pod = (await c.api.create(PODS, NS, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, labels: { app: "web" } },
        spec: { nodeName: "node-a", containers: [{ name: "app", image: "nginx", resources: { requests: { cpu: "100m" } } }] },
      })) as any;
      const long = rfc3339(clock - 3_600_000);
      await c.api.updateStatus(PODS, NS, { ...pod, status: { phase: "Running", startTime: long, conditions: [{ type: "Ready", status: "True", lastTransitionTime: long }] } });
    }
    await c.api.create(HORIZONTALPODAUTOSCALERS, NS, {
      apiVersion: "autoscaling/v1",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "web" },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, maxReplicas: 10, targetCPUUtilizationPercentage: 50 },
    });

    // 2 pods at 250% want 10; each sync may at most double (at least 4): 4, 8, then the maximum.
    await until("scaled to maxReplicas", async () => (await replicas()) === 10, 30_000);
    // Events are recorded after the scale write and listed by name, not in order.
    const expected = [4, 8, 10].map((n) => `New size: ${n}; reason: cpu resource utilization (percentage of request) above target`);
    await until("three SuccessfulRescale events", async () => (await rescales()).length === 3, 30_000);
    expect((await rescales()).sort()).toEqual(expected.sort());
    const up = await until("status after the last rescale", async () => {
      const s = await hpaStatus();
      return s?.currentReplicas === 10 ? s : undefined;
    }, 30_000);
    expect(up).toMatchObject({ desiredReplicas: 10, currentCPUUtilizationPercentage: 250, observedGeneration: 1, lastScaleTime: rfc3339(clock) });

    // Usage drops to 10%: the window still holds recommendations of 10.
    podCpu = "10m";
    await until("low utilization measured", async () => (await hpaStatus())?.currentCPUUtilizationPercentage === 10, 30_000);
    await new Promise((r) => setTimeout(r, 1000)); // ~10 more syncs at the same simulated time
    expect(await replicas()).toBe(10);
    const annotations = ((await c.api.get(HORIZONTALPODAUTOSCALERS, NS, "web")) as any).metadata.annotations;
    expect(JSON.parse(annotations["autoscaling.alpha.kubernetes.io/conditions"])).toContainEqual(
      expect.objectContaining({ type: "AbleToScale", status: "True", reason: "ScaleDownStabilized" }),
    );

    // Past the window, the low recommendation (2 pods at 20% of target → 1) wins.
    clock += WINDOW_MS + 1000;
    await until("scaled down", async () => (await replicas()) === 1, 30_000);
    await until("the scale-down event", async () => (await rescales()).includes("New size: 1; reason: All metrics below target"), 30_000);
  });
});
