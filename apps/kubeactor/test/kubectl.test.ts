/**
 * What a user does on day one, with the real kubectl: start `kubeactor up`,
 * check readiness, create / get / delete a ConfigMap from a file, stop, start
 * again on the same data dir and find the data. Run on the nats-server child
 * and on the in-process bus.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "@kubeactor/bus";
import { repoRoot, startProcess, type RunningProcess } from "@kubeactor/testing";

const run = promisify(execFile);
const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
const DISPATCHER = "/usr/bin/kubectl";
const haveKubectl = existsSync(KUBECTL);

const up = async (dataDir: string, extra: string[]): Promise<{ proc: RunningProcess; port: number; natsPort: number }> => {
  const port = await freePort();
  const natsPort = await freePort();
  const proc = await startProcess(
    "apps/kubeactor/src/main.ts",
    ["up", "--data-dir", dataDir, "--port", String(port), "--nats-port", String(natsPort), ...extra],
    { ready: /export KUBECONFIG=/ },
  );
  return { proc, port, natsPort };
};

describe.each([
  { bus: "nats-server child", extra: [] as string[] },
  { bus: "in-process bus", extra: ["--embedded"] },
])("kubectl against kubeactor up on the $bus", ({ extra }) => {
  const dataDir = mkdtempSync(join(tmpdir(), "kubeactor-up-"));
  const kubeconfig = join(dataDir, "kubeconfig");
  const kubectl = async (args: string[], bin = KUBECTL) => {
    const cache = mkdtempSync(join(tmpdir(), "kubectl-cache-"));
    try {
      const { stdout } = await run(bin, ["--kubeconfig", kubeconfig, "--cache-dir", cache, ...args], { timeout: 20_000 });
      return stdout;
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it.skipIf(!haveKubectl)(
    "creates, lists and deletes ConfigMaps, and keeps data across a restart",
    async () => {
      let { proc, natsPort } = await up(dataDir, extra);
      try {
        expect(proc.output()).toContain(`export KUBECONFIG=${kubeconfig}`);
        expect(await kubectl(["get", "--raw", "/readyz"])).toBe("ok");
        const nsList = JSON.parse(await kubectl(["get", "namespaces", "-o", "json"]));
        expect(nsList.items.map((n: any) => n.metadata.name).sort()).toEqual(["default", "kube-node-lease", "kube-public", "kube-system"]);

        const file = join(dataDir, "cm.json");
        writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { greeting: "hello" } }));
        expect(await kubectl(["create", "-f", file])).toBe("configmap/x created\n");
        const keep = join(dataDir, "keep.json");
        writeFileSync(keep, JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "keep" }, data: { k: "v" } }));
        await kubectl(["create", "-f", keep], DISPATCHER);

        const list = JSON.parse(await kubectl(["get", "configmaps", "-o", "json"]));
        expect(list.items.map((i: any) => i.metadata.name).sort()).toEqual(["keep", "x"]);
        const one = JSON.parse(await kubectl(["get", "configmap", "x", "-o", "json"]));
        expect(one.data).toEqual({ greeting: "hello" });

        const err = await kubectl(["create", "-f", file]).catch((e) => e.stderr as string);
        expect(err).toContain('configmaps "x" already exists');

        expect(await kubectl(["delete", "configmap", "x"])).toBe('configmap "x" deleted\n');
        const gone = await kubectl(["get", "configmap", "x"]).catch((e) => e.stderr as string);
        expect(gone).toContain('configmaps "x" not found');

        // kubectl's generators send protobuf; tables come back rendered by the server
        expect(await kubectl(["create", "configmap", "gen", "--from-literal=a=b"])).toBe("configmap/gen created\n");
        expect(await kubectl(["label", "configmap", "gen", "tier=web"])).toBe("configmap/gen labeled\n");
        const table = await kubectl(["get", "configmaps", "--show-labels"]);
        expect(table.split("\n")[0]).toMatch(/^NAME\s+DATA\s+AGE\s+LABELS$/);
        expect(table).toMatch(/gen\s+1\s+\S+\s+tier=web/);
        await kubectl(["delete", "configmap", "gen"]);

        // the pod-creation workflow: deployment → replicaset → pods scheduled onto simulated nodes → Running
        expect(await kubectl(["get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"])).toBe("node-1 node-2 node-3");
        await kubectl(["create", "deployment", "web", "--image=nginx:1.27", "--replicas=3"]);
        expect(await kubectl(["rollout", "status", "deployment/web", "--timeout=60s"])).toContain('deployment "web" successfully rolled out');
        const pods = JSON.parse(await kubectl(["get", "pods", "-l", "app=web", "-o", "json"]));
        expect(pods.items).toHaveLength(3);
        for (const pod of pods.items) {
          expect(pod.status.phase).toBe("Running");
          expect(pod.spec.nodeName).toMatch(/^node-[123]$/);
        }
        if (!extra.includes("--embedded")) {
          // break a container from outside, over NATS: the kubelet restarts it
          const [pod] = pods.items;
          const { stdout } = await run(process.execPath, [
            "--import", "tsx", "apps/kubeactor/src/main.ts", "inject", "container.exit",
            pod.spec.nodeName, `default/${pod.metadata.name}`, "nginx", "137", "--nats", `nats://127.0.0.1:${natsPort}`,
          ], { cwd: repoRoot });
          expect(stdout).toContain("exited with 137");
          let restarts = 0;
          for (let i = 0; i < 50 && restarts === 0; i++) {
            await new Promise((r) => setTimeout(r, 100));
            restarts = JSON.parse(await kubectl(["get", "pod", pod.metadata.name, "-o", "json"])).status.containerStatuses[0].restartCount;
          }
          expect(restarts).toBe(1);
        }
        await kubectl(["delete", "deployment", "web"]);

        expect(await proc.stop("SIGTERM")).toBe(0);
        ({ proc } = await up(dataDir, extra));
        const after = JSON.parse(await kubectl(["get", "configmaps", "-o", "json"]));
        expect(after.items.map((i: any) => i.metadata.name)).toEqual(["keep"]);
        // the deployment's garbage (replicasets, pods) was collected before the restart or right after it
        const leftovers = async () => JSON.parse(await kubectl(["get", "replicasets,pods", "-o", "json"])).items.length;
        for (let i = 0; i < 50 && (await leftovers()) > 0; i++) await new Promise((r) => setTimeout(r, 200));
        expect(await leftovers()).toBe(0);
        expect(readFileSync(kubeconfig, "utf8")).toContain("server: http://127.0.0.1:");
      } finally {
        await proc.stop();
      }
    },
    90_000,
  );
});
