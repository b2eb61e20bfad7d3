/**
 * Real processes and `kubectl logs` with the real kubectl against
 * `kubeactor up`: a busybox pod runs the host's shell, its log is read,
 * followed and tailed; killed from outside it is restarted (restartCount 1)
 * and `--previous` shows the dead run; the echo image serves on its pod IP;
 * RuntimeClasses decide process vs sim, and errors read as Kubernetes'.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats, freePort, type Transport } from "@kubeactor/bus";
import { kubectlBinary, kubectlFor, startProcess, until, type RunningProcess } from "@kubeactor/testing";

const haveKubectl = existsSync(kubectlBinary(32));

describe.skipIf(!haveKubectl).each([
  { bus: "nats-server child", extra: [] as string[] },
  { bus: "in-process bus", extra: ["--embedded"] },
])("kubectl logs and process containers against kubeactor up on the $bus", ({ extra }) => {
  const dataDir = mkdtempSync(join(tmpdir(), "kubeactor-logs-"));
  const kubeconfig = join(dataDir, "kubeconfig");
  let up: RunningProcess;
  /** On NATS, the test watches the log streams' subjects like any NATS client can. */
  let watcher: Transport | undefined;
  const streamMessages: { subject: string; data: string }[] = [];

  const kubectl = kubectlFor({ kubeconfig });
  const pod = async (name: string) => JSON.parse(await kubectl("get", "pod", name, "-o", "json"));
  const running = (name: string) => until(`pod ${name} Running`, async () => ((await pod(name)).status.phase === "Running" ? pod(name) : undefined), 60_000);
  const apply = (obj: object) => {
    const file = join(dataDir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(obj));
    return kubectl("create", "-f", file);
  };
  /** The pid of a process container, found through its working directory under the kubelet's data dir. */
  const pidOf = (uid: string, container: string): number | undefined => {
    const want = join(dataDir, "kubelet", "node-1", "pods", uid, "containers", container, "rootfs");
    for (const p of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
      try {
        if (readlinkSync(`/proc/${p}/cwd`) === want) return Number(p);
      } catch {}
    }
    return undefined;
  };

  beforeAll(async () => {
    const port = await freePort();
    const natsPort = await freePort();
    up = await startProcess("apps/kubeactor/src/main.ts", ["up", ...extra, "--nodes", "1", "--data-dir", dataDir, "--port", String(port), "--nats-port", String(natsPort)], {
      ready: /export KUBECONFIG=/,
    });
    if (extra.length === 0) {
      watcher = await connectNats({ servers: `127.0.0.1:${natsPort}` });
      watcher.subscribe("kube.logs.>", (m) => streamMessages.push({ subject: m.subject, data: new TextDecoder().decode(m.data) }));
      await watcher.flush();
    }
  }, 120_000);
  afterAll(async () => {
    await watcher?.close();
    await up?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    kubectl.dispose();
  });

  it("RuntimeClasses process and sim exist from the first start; a missing one is refused at admission", async () => {
    const rcs = JSON.parse(await kubectl("get", "runtimeclasses", "-o", "json"));
    expect(rcs.items.map((r: { metadata: { name: string }; handler: string }) => `${r.metadata.name}=${r.handler}`).sort()).toEqual(["process=process", "sim=sim"]);
    const err = await kubectl.fails("run", "nope", "--image=busybox", "--overrides", JSON.stringify({ spec: { runtimeClassName: "gvisor" } }), "--", "true");
    expect(err).toContain('pods "nope" is forbidden: pod rejected: RuntimeClass "gvisor" not found');
  }, 60_000);

  it("busybox runs the host shell: logs, --timestamps, --tail, -f; killed from outside it restarts and --previous shows the dead run", async () => {
    await kubectl("run", "bb", "--image=busybox", "--", "sh", "-c", "echo hello; sleep 1000");
    const p = await running("bb");
    expect(p.status.containerStatuses[0].containerID).toMatch(/^process:\/\//);
    // An IP of its node's pod CIDR (127.244.1.0/24 for node-1, unless another cluster on this host holds that one).
    const cidr: string = JSON.parse(await kubectl("get", "node", p.spec.nodeName, "-o", "json")).spec.podCIDR;
    expect(p.status.podIP.startsWith(cidr.replace(/0\/24$/, ""))).toBe(true);
    expect(await until("the log", async () => (await kubectl("logs", "bb")) === "hello\n" && "ok", 30_000)).toBe("ok");
    expect(await kubectl("logs", "bb", "--timestamps", "--tail=1")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z hello\n$/);
    expect(await kubectl("logs", "bb", "--since=1h", "--limit-bytes=3")).toBe("hel");
    expect(await kubectl("logs", "bb", `--since-time=${new Date(Date.now() - 3600_000).toISOString()}`)).toBe("hello\n");
    expect(await kubectl("logs", "bb", `--since-time=${new Date(Date.now() + 3600_000).toISOString()}`)).toBe("");
    expect(await kubectl.fails("logs", "bb", "--previous")).toContain('previous terminated container "bb" in pod "bb" not found');

    const uid = p.metadata.uid;
    const pid = await until("the process", () => pidOf(uid, "bb"));
    process.kill(pid, "SIGKILL");
    const restarted = await until(
      "restartCount 1 and Running",
      async () => {
        const q = await pod("bb");
        const s = q.status.containerStatuses[0];
        return s.restartCount === 1 && s.state.running ? q : undefined;
      },
      60_000,
    );
    expect(restarted.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 137, reason: "Error" });
    expect(await kubectl("logs", "bb", "--previous")).toBe("hello\n");
    expect(await until("the new run's log", async () => (await kubectl("logs", "bb")) === "hello\n" && "ok", 30_000)).toBe("ok");
  }, 180_000);

  it("logs -f streams new lines and ends when the client goes away", async () => {
    await kubectl("run", "ticker", "--image=kubeactor/shell", "--", "sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done");
    await running("ticker");
    const child = spawn(kubectl.binary, kubectl.argv("logs", "-f", "ticker"));
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise((r) => child.on("exit", r));
    // Lines written after the request started arrive on the open stream.
    await until("tick 3 on the stream", () => /tick 3\n/.test(out), 60_000);
    const seen = out.length;
    await until("more lines", () => out.length > seen, 30_000);
    expect(child.exitCode).toBeNull();
    const before = streamMessages.length;
    child.kill("SIGINT");
    await exited;
    if (watcher) {
      // Finished and refused reads needed no cancel; the abandoned follow does.
      expect(streamMessages.slice(0, before).filter((m) => m.subject.endsWith(".cancel"))).toEqual([]);
      // The API server told the node the reader is gone, and the node ended the stream.
      const cancel = await until("a cancel on the stream", () => streamMessages.slice(before).find((m) => m.subject.endsWith(".cancel")));
      const stream = cancel.subject.slice(0, -".cancel".length);
      await until("the node to end the stream", () => streamMessages.find((m) => m.subject === stream && JSON.parse(m.data).type === "end"));
    }
    // kubectl logs -f of a finished container ends by itself.
    await kubectl("run", "once", "--image=busybox", "--restart=Never", "--", "sh", "-c", "echo done");
    await until("once Succeeded", async () => (await pod("once")).status.phase === "Succeeded", 60_000);
    expect(await kubectl("logs", "-f", "once")).toBe("done\n");
  }, 180_000);

  it("containers: -c, --all-containers, the image's default entrypoint; sim containers have empty logs; auto simulates unknown images with an event", async () => {
    await apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "two", labels: { app: "two" } },
      spec: {
        containers: [
          { name: "a", image: "busybox", command: ["sh", "-c"], args: ["echo from-a $GREETING; sleep 1000"], env: [{ name: "GREETING", value: "hi" }] },
          { name: "b", image: "nginx:1.27" },
        ],
      },
    });
    await running("two");
    const statuses = (await pod("two")).status.containerStatuses;
    expect(statuses.find((s: { name: string }) => s.name === "a").containerID).toMatch(/^process:\/\//);
    expect(statuses.find((s: { name: string }) => s.name === "b").containerID).toMatch(/^sim:\/\//);
    await until("a's log", async () => (await kubectl("logs", "two", "-c", "a")) === "from-a hi\n" && "ok", 30_000);
    expect(await kubectl("logs", "two", "-c", "b")).toBe("");
    expect(await kubectl("logs", "two", "--all-containers")).toBe("from-a hi\n");
    expect(await kubectl("logs", "-l", "app=two", "-c", "a")).toBe("from-a hi\n");
    const events = await kubectl("get", "events", "--field-selector", "involvedObject.name=two", "-o", "json");
    expect(JSON.parse(events).items.map((e: { reason: string; message: string }) => `${e.reason}: ${e.message}`)).toContain(
      'Simulated: image "nginx:1.27" is not in the local image catalogue; the container is simulated',
    );
    expect(await kubectl.fails("logs", "two", "-c", "zzz")).toContain("container zzz is not valid for pod two");
    // kubectl picks a default container itself; the API server asks for one.
    expect(await kubectl.fails("get", "--raw", "/api/v1/namespaces/default/pods/two/log")).toContain("a container name must be specified for pod two, choose one of: [a b]");
  }, 120_000);

  it("runtimeClassName process with an image the node cannot resolve: ErrImagePull/ImagePullBackOff saying how to add it", async () => {
    await kubectl("run", "tc", "--image=tomcat:9.0.55", "--overrides", JSON.stringify({ spec: { runtimeClassName: "process" } }));
    const waiting = await until(
      "a pull error",
      async () => {
        const w = (await pod("tc")).status.containerStatuses?.[0]?.state?.waiting;
        return w && (w.reason === "ErrImagePull" || w.reason === "ImagePullBackOff") ? w : undefined;
      },
      60_000,
    );
    expect(waiting.message).toContain(`image "tomcat:9.0.55" is not in the local image catalogue: add it to ${join(dataDir, "images.json")}`);
    expect(await kubectl.fails("logs", "tc")).toMatch(/container "tc" in pod "tc" is waiting to start: (image can't be pulled|trying and failing to pull image)/);
  }, 120_000);

  it("a missing ConfigMap is CreateContainerConfigError until it exists; its volume files follow updates, env does not", async () => {
    await apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "cfg" },
      spec: {
        volumes: [{ name: "settings", configMap: { name: "settings" } }],
        containers: [
          {
            name: "app",
            image: "busybox",
            command: ["sh", "-c", 'while true; do echo "env=$MODE file=$(cat $KUBEACTOR_ROOTFS/etc/settings/mode) pod=$POD_NAME"; sleep 0.3; done'],
            env: [
              { name: "MODE", valueFrom: { configMapKeyRef: { name: "settings", key: "mode" } } },
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            ],
            volumeMounts: [{ name: "settings", mountPath: "/etc/settings" }],
          },
        ],
      },
    });
    const waiting = await until("CreateContainerConfigError", async () => {
      const w = (await pod("cfg")).status.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === "CreateContainerConfigError" ? w : undefined;
    }, 60_000);
    expect(waiting.message).toBe('configmap "settings" not found');
    await kubectl("create", "configmap", "settings", "--from-literal=mode=a");
    await running("cfg");
    await until("the first lines", async () => (await kubectl("logs", "cfg", "--tail=1")) === "env=a file=a pod=cfg\n" && "ok", 60_000);
    await kubectl("patch", "configmap", "settings", "-p", JSON.stringify({ data: { mode: "b" } }));
    await until("the file to change under the running process", async () => (await kubectl("logs", "cfg", "--tail=1")) === "env=a file=b pod=cfg\n" && "ok", 60_000);
  }, 180_000);

  it("Services of the namespace become environment variables of process containers", async () => {
    await apply({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web-api" },
      spec: { selector: { app: "x" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    });
    const ip = await kubectl("get", "service", "web-api", "-o", "jsonpath={.spec.clusterIP}");
    expect(ip).toMatch(/^127\.(9[6-9]|10\d|11[01])\./); // allocated from --service-cluster-ip-range
    await kubectl("run", "envs", "--image=busybox", "--restart=Never", "--", "sh", "-c", 'echo "$WEB_API_SERVICE_HOST $WEB_API_SERVICE_PORT $WEB_API_SERVICE_PORT_HTTP $WEB_API_PORT $WEB_API_PORT_80_TCP_ADDR"');
    await until("envs Succeeded", async () => (await pod("envs")).status.phase === "Succeeded", 60_000);
    expect(await kubectl("logs", "envs")).toBe(`${ip} 80 80 tcp://${ip}:80 ${ip}\n`);
  }, 120_000);

  it("a Deployment of the echo image gets Running with real processes that answer on their pod IPs", async () => {
    await kubectl("create", "deployment", "echo", "--image=kubeactor/echo", "--port=8080", "--replicas=2");
    const pods = await until(
      "2 Running echo pods",
      async () => {
        const list = JSON.parse(await kubectl("get", "pods", "-l", "app=echo", "-o", "json")).items;
        return list.length === 2 && list.every((p: { status: { phase: string } }) => p.status.phase === "Running") ? list : undefined;
      },
      90_000,
    );
    for (const p of pods) {
      const body = await until(`${p.metadata.name} to answer`, async () => (await fetch(`http://${p.status.podIP}:8080/where`)).json(), 30_000);
      expect(body).toMatchObject({ pod: p.metadata.name, podIP: p.status.podIP, path: "/where", namespace: "default", node: "node-1" });
    }
    const logs = await until("request lines in the logs", async () => {
      const out = await kubectl("logs", "-l", "app=echo", "--prefix");
      return (out.match(/GET \/where 200/g) ?? []).length === 2 ? out : undefined;
    });
    expect(logs).toContain(`[pod/${pods[0].metadata.name}/echo]`);
  }, 180_000);
});
