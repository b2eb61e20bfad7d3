/**
 * `kubectl top` against `kubeactor up`: metrics.k8s.io served from the
 * kubelets' readings — a simulated container reports its `cpu` / `memory`
 * sim annotations, a real process what /proc says — with kubectl's own
 * columns, label selectors, per-container rows and metrics-server's errors.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@kubeactor/bus";
import { kubectlBinary, kubectlFor, startProcess, until, type RunningProcess } from "@kubeactor/testing";


describe.skipIf(!existsSync(kubectlBinary(33)))("kubectl top against kubeactor up", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kubeactor-top-"));
  const kubeconfig = join(dataDir, "kubeconfig");
  let up: RunningProcess;
  let url: string;
  const kubectl = kubectlFor({ kubeconfig, minor: 33 });
  const rows = (text: string) => text.trim().split("\n").map((l) => l.trim().split(/\s+/));

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    up = await startProcess("apps/kubeactor/src/main.ts", ["up", "--embedded", "--nodes", "2", "--dns-port", "0", "--data-dir", dataDir, "--port", String(port)], {
      ready: /export KUBECONFIG=/,
    });
  }, 90_000);
  afterAll(async () => {
    await up?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    kubectl.dispose();
  });

  it("prints node and pod usage from sim annotations and real processes", { timeout: 90_000 }, async () => {
    await kubectl("run", "sim", "--image=nginx", "--labels=app=sim", "--annotations=sim.kubeactor.io/cpu=250m", "--annotations=sim.kubeactor.io/memory=64Mi");
    await kubectl("run", "busy", "--image=busybox", "--labels=app=busy", "--", "sh", "-c", "while true; do :; done");
    await kubectl("wait", "--for=condition=Ready", "pod/sim", "pod/busy", "--timeout=60s");

    const pods = await until(
      "both pods in kubectl top",
      async () => {
        const out = await kubectl("top", "pods").catch(() => "");
        return /busy\s+[1-9]\d*m/.test(out) && /sim\s+250m\s+64Mi/.test(out) ? out : undefined;
      },
      30_000,
    );
    expect(rows(pods)[0]).toEqual(["NAME", "CPU(cores)", "MEMORY(bytes)"]);
    expect(rows(await kubectl("top", "pods", "-l", "app=sim", "--containers"))).toEqual([
      ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"],
      ["sim", "sim", "250m", "64Mi"],
    ]);

    const nodes = rows(await kubectl("top", "nodes"));
    expect(nodes[0]).toEqual(["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]);
    expect(nodes.slice(1).map((r) => r[0])).toEqual(["node-1", "node-2"]);
    // the node is the sum of its pods: sim's 250m sits on one of them (of 4 cpu: 6 %)
    const simNode = JSON.parse(await kubectl("get", "pod", "sim", "-o", "json")).spec.nodeName;
    const metrics = JSON.parse(await kubectl("get", "--raw", `/apis/metrics.k8s.io/v1beta1/nodes/${simNode}`));
    expect(metrics).toMatchObject({ kind: "NodeMetrics", apiVersion: "metrics.k8s.io/v1beta1", metadata: { name: simNode }, window: "1s" });
  });

  it("answers like metrics-server for what it has no reading of", async () => {
    const missing = await fetch(`${url}/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toBe('podmetrics.metrics.k8s.io "default/nope" not found');
    expect(await kubectl.fails("top", "node", "node-9")).toBe(
      'Error from server (NotFound): nodemetrics.metrics.k8s.io "node-9" not found\n',
    );
    const post = await fetch(`${url}/apis/metrics.k8s.io/v1beta1/nodes`, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
    expect(post.status).toBe(405);
    const groups = (await (await fetch(`${url}/apis/metrics.k8s.io/v1beta1`)).json()) as { resources: { name: string; kind: string; verbs: string[] }[] };
    expect(groups.resources.map((r) => [r.name, r.kind, r.verbs])).toEqual([
      ["nodes", "NodeMetrics", ["get", "list"]],
      ["pods", "PodMetrics", ["get", "list"]],
    ]);
  });
});
