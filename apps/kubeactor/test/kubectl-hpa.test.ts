/**
 * `kubectl autoscale` against `kubeactor up`: an autoscaling/v1
 * HorizontalPodAutoscaler (created by kubectl 1.32, and by 1.33 falling back
 * from autoscaling/v2, which is not served) scales a Deployment whose
 * simulated pods report more CPU than the target, shows kube 1.32's `get hpa`
 * columns and `describe hpa`, and scales back down only once the downscale
 * stabilization window (30 s here, through the controller manager's flag)
 * has passed.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@kubeactor/bus";
import { kubectlBinary, kubectlFor, startProcess, until, type RunningProcess } from "@kubeactor/testing";

const STABILIZATION_S = 30;

const deployment = (name: string, cpu: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name }, annotations: { "sim.kubeactor.io/cpu": cpu } },
      spec: { containers: [{ name: "app", image: "nginx", resources: { requests: { cpu: "100m" } } }] },
    },
  },
});

describe.skipIf(!existsSync(kubectlBinary(32)) || !existsSync(kubectlBinary(33)))("kubectl autoscale against kubeactor up", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kubeactor-hpa-"));
  const kubeconfig = join(dataDir, "kubeconfig");
  let up: RunningProcess;
  const kubectl = kubectlFor({ kubeconfig, minor: 32 });
  const kubectl33 = kubectlFor({ kubeconfig, minor: 33 });
  const rows = (text: string) => text.trim().split("\n").map((l) => l.trim().split(/\s+/));
  const replicas = async (name: string): Promise<number> => (await kubectl.json("get", "deployment", name)).spec.replicas;

  beforeAll(async () => {
    const port = await freePort();
    up = await startProcess(
      "apps/kubeactor/src/main.ts",
      [
        "up", "--embedded", "--nodes", "2", "--dns-port", "0", "--data-dir", dataDir, "--port", String(port),
        "--horizontal-pod-autoscaler-sync-period", "2s",
        "--horizontal-pod-autoscaler-downscale-stabilization", `${STABILIZATION_S}s`,
      ],
      { ready: /export KUBECONFIG=/ },
    );
    const file = join(dataDir, "deployments.json");
    writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items: [deployment("web", "250m"), deployment("api", "250m")] }));
    await kubectl("apply", "-f", file);
    await kubectl("rollout", "status", "deployment/web", "deployment/api", "--timeout=90s");
  }, 150_000);
  afterAll(async () => {
    await up?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    kubectl.dispose();
    kubectl33.dispose();
  });

  it("kubectl 1.32 autoscales a deployment up to --max on CPU, with 1.32's columns and describe", { timeout: 180_000 }, async () => {
    expect(await kubectl("autoscale", "deployment", "web", "--cpu-percent=50", "--min=1", "--max=5")).toBe("horizontalpodautoscaler.autoscaling/web autoscaled\n");
    const hpa = await kubectl.json("get", "hpa", "web");
    expect(hpa).toMatchObject({
      apiVersion: "autoscaling/v1",
      kind: "HorizontalPodAutoscaler",
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 },
    });

    // 1 pod at 250% of its request against 50% wants 5; one sync may go to 4, the next to the maximum.
    await until("web scaled to 5", async () => (await replicas("web")) === 5, 120_000);
    const table = await until(
      "get hpa showing 5 replicas at 250%",
      async () => {
        const t = rows(await kubectl("get", "hpa"));
        return t[1]?.[2] === "250%/50%" && t[1]?.[5] === "5" ? t : undefined;
      },
      60_000,
    );
    expect(table[0]).toEqual(["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]);
    expect(table[1]!.slice(0, 6)).toEqual(["web", "Deployment/web", "250%/50%", "1", "5", "5"]);

    const described = await kubectl("describe", "hpa", "web");
    expect(described).toMatch(/Reference:\s+Deployment\/web/);
    expect(described).toMatch(/Target CPU utilization:\s+50%/);
    expect(described).toMatch(/Current CPU utilization:\s+250%/);
    expect(described).toMatch(/Min replicas:\s+1/);
    expect(described).toMatch(/Max replicas:\s+5/);
    expect(described).toMatch(/Deployment pods:\s+5 current \/ 5 desired/);
    expect(described).toMatch(/SuccessfulRescale\s+.*New size: 4; reason: cpu resource utilization \(percentage of request\) above target/);
    expect(described).toMatch(/SuccessfulRescale\s+.*New size: 5; reason: cpu resource utilization \(percentage of request\) above target/);
    const conditions = JSON.parse((await kubectl.json("get", "hpa", "web")).metadata.annotations["autoscaling.alpha.kubernetes.io/conditions"]);
    expect(conditions.map((c: { type: string; status: string }) => [c.type, c.status])).toEqual([
      ["AbleToScale", "True"],
      ["ScalingActive", "True"],
      ["ScalingLimited", "True"],
    ]);
  });

  it("scales down only after the stabilization window once usage drops", { timeout: 180_000 }, async () => {
    const dropped = Date.now();
    await kubectl("patch", "deployment", "web", "-p", JSON.stringify({ spec: { template: { metadata: { annotations: { "sim.kubeactor.io/cpu": "10m" } } } } }));
    // The measured utilization falls while the window still holds the earlier recommendations of 5.
    await until(
      "low utilization measured while still at 5 replicas",
      async () => {
        const hpa = await kubectl.json("get", "hpa", "web");
        return hpa.status.currentCPUUtilizationPercentage < 50 && (await replicas("web")) === 5;
      },
      120_000,
    );
    await until("web scaled down to 1", async () => (await replicas("web")) === 1, 120_000);
    // The last high sample was taken at most one sync period before the patch.
    expect(Date.now() - dropped).toBeGreaterThanOrEqual((STABILIZATION_S - 2) * 1000);
    expect(await kubectl("describe", "hpa", "web")).toMatch(/SuccessfulRescale\s+.*New size: 1; reason: All metrics below target/);
  });

  it("reports pods without a CPU request, and rejects a zero target with kube's message", { timeout: 120_000 }, async () => {
    await kubectl("create", "deployment", "norequest", "--image=nginx");
    await kubectl("autoscale", "deployment", "norequest", "--cpu-percent=50", "--max=3");
    const events = await until(
      "FailedGetResourceMetric for the missing request",
      async () => {
        const out = await kubectl("get", "events", "--field-selector", "involvedObject.name=norequest,involvedObject.kind=HorizontalPodAutoscaler");
        return /missing request for cpu in container nginx of Pod norequest-/.test(out) ? out : undefined;
      },
      60_000,
    );
    expect(events).toMatch(/FailedGetResourceMetric\s+horizontalpodautoscaler\/norequest\s+missing request for cpu in container nginx of Pod norequest-/);
    expect(events).toMatch(/FailedComputeMetricsReplicas\s+horizontalpodautoscaler\/norequest\s+invalid metrics \(1 invalid out of 1\), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu/);
    expect(rows(await kubectl("get", "hpa", "norequest"))[1]!.slice(0, 6)).toEqual(["norequest", "Deployment/norequest", "<unknown>/50%", "1", "3", "1"]);
    expect(await replicas("norequest")).toBe(1);
    expect(await kubectl.fails("autoscale", "deployment", "norequest", "--name=zero", "--cpu-percent=0", "--max=3")).toBe(
      'The HorizontalPodAutoscaler "zero" is invalid: spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0\n',
    );
  });

  it("kubectl 1.33 falls back to autoscaling/v1 and its autoscaler scales too", { timeout: 180_000 }, async () => {
    expect(await kubectl33("autoscale", "deployment", "api", "--cpu-percent=50", "--min=1", "--max=3")).toBe("horizontalpodautoscaler.autoscaling/api autoscaled\n");
    expect(await kubectl33.json("get", "hpa", "api")).toMatchObject({ apiVersion: "autoscaling/v1", spec: { maxReplicas: 3, targetCPUUtilizationPercentage: 50 } });
    await until("api scaled to 3", async () => (await replicas("api")) === 3, 120_000);
    expect(await kubectl33("explain", "hpa.spec.targetCPUUtilizationPercentage")).toMatch(/targetCPUUtilizationPercentage/);
  });
});
