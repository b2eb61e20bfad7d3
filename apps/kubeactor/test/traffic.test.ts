/**
 * Real traffic through a real cluster (`kubeactor up` child, the real
 * kubectl): a Deployment of 3 `kubeactor/echo` process pods behind a
 * ClusterIP and a NodePort Service. Every pod answers through both; a pod
 * whose readiness probe fails leaves the rotation; a rolling update under
 * steady load loses no request; a process killed from outside is restarted
 * and counted; a selector-less Service with hand-written Endpoints carries
 * traffic through its mirrored EndpointSlice.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, kubectlBinary, kubectlFor, type RunningProcess, startProcess, until } from "@kubeactor/testing";


/** One GET on a fresh connection (no keep-alive: every request is balanced anew). */
const get = (host: string, port: number, path = "/"): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false, headers: { Connection: "close" }, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
const podOf = async (host: string, port: number) => JSON.parse((await get(host, port)).body).pod as string;

describe.skipIf(!existsSync(kubectlBinary(32)))("traffic through Services to process pods", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kubeactor-traffic-"));
  const kubeconfig = join(dataDir, "kubeconfig");
  const net = `127.${64 + Math.floor(Math.random() * 32)}.${Math.floor(Math.random() * 256)}`;
  let up: RunningProcess;
  let clusterIP = "";
  let nodePort = 0;

  /** 130 s: `rollout status --timeout=120s` must fail on its own timeout first. */
  const kubectl = kubectlFor({ kubeconfig, timeoutMs: 130_000 });
  const apply = (obj: object) => {
    const file = join(dataDir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(obj));
    return kubectl("apply", "-f", file);
  };
  type Pod = { metadata: { name: string; uid: string; deletionTimestamp?: string }; status: { podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount: number; ready: boolean; containerID?: string; lastState?: unknown }[] } };
  const pods = async (): Promise<Pod[]> => JSON.parse(await kubectl("get", "pods", "-l", "app=echo", "-o", "json")).items;
  const isReady = (p: Pod) => p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  const readyPods = async () => (await pods()).filter((p) => isReady(p) && !p.metadata.deletionTimestamp);
  /** Pod names answering through host:port, sampled until `want` distinct ones answered (or `tries` requests). */
  const reached = async (host: string, port: number, tries: number) => {
    const seen = new Set<string>();
    for (let i = 0; i < tries; i++) seen.add(await podOf(host, port));
    return seen;
  };

  beforeAll(async () => {
    const [port, natsPort, dnsPort] = [await freePort(), await freePort(), await freePort()];
    up = await startProcess(
      "apps/kubeactor/src/main.ts",
      ["up", "--embedded", "--nodes", "2", "--data-dir", dataDir, "--port", String(port), "--nats-port", String(natsPort), "--dns-port", String(dnsPort), "--service-cluster-ip-range", `${net}.0/24`],
      { ready: /export KUBECONFIG=/, timeoutMs: 90_000 },
    );
    await apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "echo" },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "echo" } },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: { app: "echo" } },
          spec: {
            runtimeClassName: "process",
            terminationGracePeriodSeconds: 10,
            containers: [
              {
                name: "echo",
                image: "kubeactor/echo:1",
                ports: [{ name: "http", containerPort: 8080 }],
                readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1, failureThreshold: 1 },
                livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5, failureThreshold: 3 },
              },
            ],
          },
        },
      },
    });
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "echo" }, spec: { selector: { app: "echo" }, ports: [{ port: 80, targetPort: "http" }] } });
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "echo-np" }, spec: { type: "NodePort", selector: { app: "echo" }, ports: [{ port: 80, targetPort: 8080 }] } });
    clusterIP = JSON.parse(await kubectl("get", "svc", "echo", "-o", "json")).spec.clusterIP;
    nodePort = JSON.parse(await kubectl("get", "svc", "echo-np", "-o", "json")).spec.ports[0].nodePort;
    await until("3 ready echo pods", async () => ((await readyPods()).length === 3 ? true : undefined), 90_000);
  }, 180_000);

  afterAll(async () => {
    await up?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    kubectl.dispose();
  });

  it("HTTP through the ClusterIP and the NodePort reaches each of the 3 replicas", async () => {
    const names = new Set((await readyPods()).map((p) => p.metadata.name));
    // Round robin: once the proxy has all 3 endpoints, 6 requests cover them.
    await until("all 3 pods through the ClusterIP", async () => ((await reached(clusterIP, 80, 6)).size === 3 ? true : undefined), 30_000);
    expect(await reached(clusterIP, 80, 6)).toEqual(names);
    expect(await reached("127.0.0.1", nodePort, 6)).toEqual(names);
    // ... and on every node's own address, as on a real cluster.
    const nodes = JSON.parse(await kubectl("get", "nodes", "-o", "json")).items as { status: { addresses: { type: string; address: string }[] } }[];
    for (const n of nodes) {
      const ip = n.status.addresses.find((a) => a.type === "InternalIP")!.address;
      await until(`the NodePort on ${ip}`, async () => ((await reached(ip, nodePort, 6)).size === 3 ? true : undefined), 30_000);
    }
  }, 90_000);

  it("a pod whose readiness probe fails leaves the rotation, and comes back when it passes", async () => {
    const [victim] = await readyPods();
    const ip = victim!.status.podIP!;
    await get(ip, 8080, "/fail");
    await until("the pod unready", async () => ((await pods()).find((p) => p.metadata.name === victim!.metadata.name && !isReady(p)) ? true : undefined), 30_000);
    await until("the pod out of the rotation", async () => (!(await reached(clusterIP, 80, 6)).has(victim!.metadata.name) ? true : undefined), 30_000);
    const seen = await reached(clusterIP, 80, 12);
    expect(seen.has(victim!.metadata.name)).toBe(false);
    expect(seen.size).toBe(2);
    const events = await kubectl("get", "events", "--field-selector", `involvedObject.name=${victim!.metadata.name},reason=Unhealthy`, "-o", "json");
    // (A probe that ran before the server listened may have added a `connection refused` one, as with the kubelet.)
    expect(JSON.parse(events).items.map((e: { message: string }) => e.message)).toContain("Readiness probe failed: HTTP probe failed with statuscode: 503");
    await get(ip, 8080, "/recover");
    await until("the pod back in the rotation", async () => ((await reached(clusterIP, 80, 6)).has(victim!.metadata.name) ? true : undefined), 30_000);
  }, 90_000);

  it("a rolling update under steady load completes with zero failed requests", async () => {
    const before = new Set((await pods()).map((p) => p.metadata.uid));
    let ok = 0;
    const failures: string[] = [];
    let stop = false;
    // Two clients, one request at a time each, fresh connections.
    const client = async () => {
      while (!stop) {
        try {
          const r = await get(clusterIP, 80);
          if (r.status === 200) ok++;
          else failures.push(`status ${r.status}`);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    const load = Promise.all([client(), client()]);
    await kubectl("set", "image", "deployment/echo", "echo=kubeactor/echo:2");
    await kubectl("rollout", "status", "deployment/echo", "--timeout=120s");
    await until("old pods gone", async () => ((await pods()).every((p) => !before.has(p.metadata.uid)) ? true : undefined), 60_000);
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
    // (A readiness probe of a new pod may time out once on a loaded machine: it comes back at the next one;
    // a liveness restart there adds a 10 s back-off first, so the wait is generous.)
    await until("3 ready pods", async () => ((await readyPods()).length === 3 ? true : undefined), 90_000);
  }, 200_000);

  it("a Service without a selector reaches the addresses of its hand-written Endpoints (mirrored into an EndpointSlice)", async () => {
    const [target] = await readyPods();
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "manual" }, spec: { ports: [{ name: "web", port: 80, targetPort: 8080 }] } });
    await apply({
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: "manual", labels: { team: "x" } },
      subsets: [{ addresses: [{ ip: target!.status.podIP! }], ports: [{ name: "web", port: 8080 }] }],
    });
    const slice = await until("the mirrored slice", async () => JSON.parse(await kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=manual", "-o", "json")).items[0], 30_000);
    expect(slice.metadata.labels).toMatchObject({ "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io", team: "x" });
    expect(slice.metadata.ownerReferences[0]).toMatchObject({ kind: "Endpoints", name: "manual" });
    expect(slice.endpoints).toEqual([{ addresses: [target!.status.podIP], conditions: { ready: true } }]);
    const ip = JSON.parse(await kubectl("get", "svc", "manual", "-o", "json")).spec.clusterIP;
    expect(await until("traffic through the selector-less Service", () => podOf(ip, 80), 30_000)).toBe(target!.metadata.name);
  }, 60_000);

  it("a process killed from outside is restarted and its restartCount increments", async () => {
    // After the rolling update, wait for the old pods to be gone: a victim picked among them would be deleted, not restarted.
    await until("3 ready pods and no others", async () => (await pods()).length === 3 && (await readyPods()).length === 3, 60_000);
    const ready = await readyPods();
    const victim = ready.find((p) => p.status.containerStatuses?.[0]?.restartCount === 0) ?? ready[0];
    const before = victim!.status.containerStatuses![0]!;
    // Nothing restarts these pods on its own: a restart before the kill (its lastState says why) is a bug of its own.
    expect(before, "the victim had restarted before the kill").toMatchObject({ restartCount: 0 });
    // The container's main process: the leader of its own process group (the runtime starts it detached),
    // working in the container's rootfs. Exactly one: a wrong or second match would kill something else.
    const want = `/pods/${victim!.metadata.uid}/containers/echo/rootfs`;
    const leaders = readdirSync("/proc")
      .filter((n) => /^\d+$/.test(n))
      .filter((p) => {
        try {
          const stat = readFileSync(`/proc/${p}/stat`, "utf8");
          return readlinkSync(`/proc/${p}/cwd`).endsWith(want) && stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2] === p;
        } catch {
          return false;
        }
      });
    expect(leaders).toHaveLength(1);
    process.kill(Number(leaders[0]), "SIGKILL");
    const after = await until(
      "the victim restarted and ready again",
      async () => (await pods()).find((p) => p.metadata.uid === victim!.metadata.uid && (p.status.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && isReady(p)),
      60_000,
    );
    // One kill, one restart: the run that ended is the one killed, by SIGKILL (128 + 9).
    expect(after.status.containerStatuses![0]).toMatchObject({
      restartCount: 1,
      lastState: { terminated: { exitCode: 137, reason: "Error", containerID: before.containerID } },
    });
    expect(await podOf(after.status.podIP!, 8080)).toBe(victim!.metadata.name);
  }, 90_000);
});
