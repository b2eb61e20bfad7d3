/**
 * PodDisruptionBudgets with the real kubectl: `create pdb` (a protobuf body),
 * `-f` YAML, `get pdb` columns, `describe pdb`, validation errors.
 */
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type Kubectl, kubectlBinary, type KubectlCluster, kubectlFor, startKubectlCluster, until } from "@kubeactor/testing";

describe.skipIf(!existsSync(kubectlBinary(32)))("kubectl and PodDisruptionBudgets", () => {
  let k: KubectlCluster;
  let kubectl: Kubectl;
  const failure = (...args: string[]) => kubectl.fails(...args);
  beforeAll(async () => {
    k = await startKubectlCluster("kubectl-pdb");
    kubectl = kubectlFor({ kubeconfig: k.kubeconfig });
  });
  afterAll(async () => {
    kubectl?.dispose();
    await k?.stop();
  });

  it("creates, lists and describes budgets", { timeout: 120_000 }, async () => {
    expect(await kubectl("api-resources", "--api-group=policy", "--no-headers")).toMatch(/^poddisruptionbudgets\s+pdb\s+policy\/v1\s+true\s+PodDisruptionBudget\n/);
    // the legacy per-group-version list (older clients, controllers) has it too, with its status subresource
    const legacy = (await call(k.cluster.url, "GET", "/apis/policy/v1")).body;
    expect(legacy.resources.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(["poddisruptionbudgets", "poddisruptionbudgets/status"]));
    expect(legacy.resources.find((r: { name: string }) => r.name === "poddisruptionbudgets")).toMatchObject({ kind: "PodDisruptionBudget", namespaced: true, shortNames: ["pdb"] });
    // kubectl 1.32 sends `create pdb` as protobuf
    expect(await kubectl("create", "pdb", "web", "--selector=app=web", "--min-available=2")).toBe("poddisruptionbudget.policy/web created\n");
    const file = join(k.dir, "pdb.yaml");
    writeFileSync(
      file,
      `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db}
spec:
  maxUnavailable: 25%
  selector: {matchLabels: {app: db}}
`,
    );
    expect(await kubectl("create", "-f", file)).toBe("poddisruptionbudget.policy/db created\n");

    const table = await kubectl("get", "pdb");
    const [header, ...rows] = table.trimEnd().split("\n");
    expect(header).toMatch(/^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/);
    expect(rows.map((r) => r.split(/\s{2,}/).slice(0, 4))).toEqual([
      ["db", "N/A", "25%", "0"],
      ["web", "2", "N/A", "0"],
    ]);

    const described = await kubectl("describe", "pdb", "web");
    expect(described).toMatch(/^Name:\s+web$/m);
    expect(described).toMatch(/^Min available:\s+2$/m);
    expect(described).toMatch(/^Selector:\s+app=web$/m);

    expect(described).toMatch(/^Status:\n\s+Allowed disruptions:\s+0\n\s+Current:\s+0\n\s+Desired:\s+0\n\s+Total:\s+0$/m);

    // the OpenAPI documents come from the registry
    const explained = await kubectl("explain", "pdb.spec");
    expect(explained).toContain("FIELD: spec <PodDisruptionBudgetSpec>");
    expect(explained).toMatch(/maxUnavailable\t</);
    expect(explained).toMatch(/unhealthyPodEvictionPolicy\t<string>/);

    const both = join(k.dir, "both.yaml");
    writeFileSync(both, "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: both}\nspec: {minAvailable: 1, maxUnavailable: 1}\n");
    expect(await failure("create", "-f", both)).toContain("minAvailable and maxUnavailable cannot be both set");
  });

  it("drain waits for a budget as against a real cluster, then evicts", { timeout: 120_000 }, async () => {
    const file = join(k.dir, "node.yaml");
    writeFileSync(
      file,
      `apiVersion: v1
kind: Node
metadata: {name: guarded-node}
---
apiVersion: v1
kind: Pod
metadata: {name: guarded, namespace: default, labels: {app: guarded}}
spec:
  nodeName: guarded-node
  terminationGracePeriodSeconds: 0
  containers: [{name: c, image: busybox}]
`,
    );
    await kubectl("create", "-f", file);
    const pod = (await call(k.cluster.url, "GET", "/api/v1/namespaces/default/pods/guarded")).body;
    await call(k.cluster.url, "PUT", "/api/v1/namespaces/default/pods/guarded/status", { ...pod, status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } });
    const PDB = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";
    const created = await call(k.cluster.url, "POST", PDB, { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "guarded" }, spec: { minAvailable: 1, selector: { matchLabels: { app: "guarded" } } } });
    const blocked = { observedGeneration: 1, expectedPods: 1, currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: 0 };
    expect((await call(k.cluster.url, "PUT", `${PDB}/guarded/status`, { ...created.body, status: blocked })).code).toBe(200);

    const drain = spawn(kubectl.binary, kubectl.argv("drain", "guarded-node", "--force", "--timeout=90s"));
    let stdout = "";
    let stderr = "";
    drain.stdout.on("data", (d) => (stdout += d));
    drain.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => drain.on("exit", resolve));
    try {
      await until("drain refused by the budget", () => stderr.includes("(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget."), 60_000);
      expect(stderr).toContain('error when evicting pods/"guarded" -n "default"');
      expect((await call(k.cluster.url, "GET", "/api/v1/namespaces/default/pods/guarded")).body.metadata.deletionTimestamp).toBeUndefined();
      // the disruption controller would allow one once another replica is healthy
      const current = (await call(k.cluster.url, "GET", `${PDB}/guarded`)).body;
      await call(k.cluster.url, "PUT", `${PDB}/guarded/status`, { ...current, status: { ...blocked, currentHealthy: 2, disruptionsAllowed: 1 } });
      expect(await exited).toBe(0);
      expect(stdout).toContain("pod/guarded evicted");
      expect(stdout).toContain("node/guarded-node drained");
    } finally {
      drain.kill();
    }
  });
});
