/** The scheduler process with `--config`: a second profile schedules the pods that name it, with its own plugins and args. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { natsCase, repoRoot, type RunningProcess, startProcess, startTestCluster, type TestCluster, until } from "@kubeactor/testing";
import { makeNode, makePod } from "../src/test-helpers.ts";

const NODES = { group: "", version: "v1", resource: "nodes" };
const PODS = { group: "", version: "v1", resource: "pods" };

const CONFIG = `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
leaderElection:
  leaderElect: false
profiles:
  - schedulerName: default-scheduler
  - schedulerName: bin-packing-scheduler
    plugins:
      score:
        disabled:
          - name: NodeResourcesBalancedAllocation
    pluginConfig:
      - name: NodeResourcesFit
        args:
          scoringStrategy:
            type: MostAllocated
`;

describe("apps/scheduler --config", () => {
  const tc = natsCase();
  let c: TestCluster;
  let proc: RunningProcess;
  const dir = mkdtempSync(join(tmpdir(), "kubeactor-scheduler-config-"));

  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    for (const name of ["busy", "idle"]) {
      const node = makeNode(name);
      const created = await c.api.create(NODES, "", node as never);
      await c.api.updateStatus(NODES, "", { ...created, status: node.status } as never);
    }
    await c.api.create(PODS, "default", makePod("existing", { cpu: "2", nodeName: "busy" }) as never);
    writeFileSync(join(dir, "config.yaml"), CONFIG);
    proc = await startProcess("apps/scheduler/src/main.ts", ["--nats", tc.url()!, "--config", join(dir, "config.yaml")], { ready: /scheduler: ready/, timeoutMs: 60_000 });
  }, 90_000);
  afterAll(async () => {
    await proc?.stop();
    await c?.stop();
    await tc.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  const nodeOf = (name: string) => until(`${name} bound`, async () => ((await c.api.get(PODS, "default", name)) as { spec?: { nodeName?: string } }).spec?.nodeName, 30_000);

  it("spreads with the default profile and packs with the profile a pod names", async () => {
    await c.api.create(PODS, "default", makePod("spread", { cpu: "1" }) as never);
    await c.api.create(PODS, "default", makePod("packed", { cpu: "1", spec: { schedulerName: "bin-packing-scheduler" } }) as never);
    expect(await nodeOf("spread")).toBe("idle");
    expect(await nodeOf("packed")).toBe("busy");
  });

  it("refuses an invalid file with a one-line message naming the field", () => {
    writeFileSync(join(dir, "bad.yaml"), CONFIG.replace("NodeResourcesBalancedAllocation", "Foo"));
    const out = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "apps/scheduler/src/main.ts"), "--nats", tc.url()!, "--config", join(dir, "bad.yaml")], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(out.status).toBe(1);
    expect(out.stderr.trim().split("\n")[0]).toBe('scheduler: profiles[1].plugins.score.disabled[0]: Invalid value: "Foo": unknown plugin');
  });
});
