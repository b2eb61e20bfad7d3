/**
 * Probe handlers against real servers and processes: httpGet (status codes,
 * named ports, headers, refused connections), tcpSocket, grpc health over
 * HTTP/2, exec through the process runtime's execSync; and a liveness
 * probe on a real echo process that kills and restarts it.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createServer as createH2Server, type Http2Server } from "node:http2";
import { createServer as createTcpServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { until } from "@kubeactor/testing";
import {
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
  ImageCatalogue,
  type PodApi,
  podMachine,
  ProcessRuntime,
  PROBE_USER_AGENT,
  runProbeOn,
  type ProbeSpec,
} from "../src/index.ts";

const listen = <S extends Server | Http2Server>(s: S): Promise<number> =>
  new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port)));
const signal = () => new AbortController().signal;
const target = (ports: { name?: string; containerPort: number }[] = []) =>
  runProbeOn({ runtime: undefined as never, containerId: "", podIP: "127.0.0.1", ports, simulated: false, containerName: "web" });

describe("probe handlers", () => {
  let http: Server;
  let httpPort = 0;
  let seen: IncomingHttpHeaders = {};
  let grpc: Http2Server;
  let grpcPort = 0;
  const health: Record<string, number> = { "": 1, sick: 2 };

  beforeAll(async () => {
    http = createServer((req, res) => {
      seen = req.headers;
      if (req.url!.startsWith("/hop/")) {
        const n = Number(req.url!.slice(5));
        res.writeHead(302, { Location: n > 0 ? `/hop/${n - 1}` : "/200" }).end();
        return;
      }
      if (req.url === "/away") return void res.writeHead(301, { Location: "http://example.invalid/" }).end("moved");
      const code = Number(req.url!.slice(1)) || 200;
      res.writeHead(code).end("body");
    });
    httpPort = await listen(http);
    grpc = createH2Server();
    grpc.on("stream", (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on("data", (b: Buffer) => chunks.push(b));
      stream.on("end", () => {
        if (headers[":path"] !== "/grpc.health.v1.Health/Check") {
          stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "12", "grpc-message": "unknown service" }, { endStream: true });
          return;
        }
        const req = Buffer.concat(chunks);
        const service = req.length > 7 ? req.subarray(7).toString() : "";
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(encodeHealthCheckResponse(health[service] ?? 3));
      });
    });
    grpcPort = await listen(grpc);
  });
  afterAll(() => {
    http.close();
    grpc.close();
  });

  it("httpGet: 200–399 pass, others fail with the status code; named ports; kube-probe User-Agent; httpHeaders override", async () => {
    const run = (h: ProbeSpec["httpGet"]) => target([{ name: "web", containerPort: httpPort }])("liveness", { httpGet: h! }, signal());
    expect(await run({ port: httpPort, path: "/200" })).toEqual({ result: "success", output: "body" });
    expect((await run({ port: "web", path: "/302" })).result).toBe("success");
    expect(seen["user-agent"]).toBe(PROBE_USER_AGENT);
    expect(await run({ port: httpPort, path: "/500" })).toEqual({ result: "failure", output: "HTTP probe failed with statuscode: 500" });
    expect(await run({ port: httpPort, path: "/404", httpHeaders: [{ name: "X-Probe", value: "yes" }, { name: "user-agent", value: "mine" }] })).toMatchObject({ result: "failure" });
    expect(seen).toMatchObject({ "x-probe": "yes", "user-agent": "mine" });
    const refused = await run({ port: 1, path: "/healthz" });
    expect(refused).toEqual({ result: "failure", output: 'Get "http://127.0.0.1:1/healthz": dial tcp 127.0.0.1:1: connect: connection refused' });
    await expect(run({ port: "nope" })).rejects.toThrow("couldn't find port: nope");
    // Redirects: followed on the same host (at most 10), a redirect elsewhere passes with a warning.
    expect(await run({ port: httpPort, path: "/hop/3" })).toEqual({ result: "success", output: "body" });
    expect((await run({ port: httpPort, path: "/hop/20" })).output).toMatch(/stopped after 10 redirects$/);
    expect(await run({ port: httpPort, path: "/away" })).toEqual({ result: "success", output: "Probe terminated redirects, Response body: moved", warning: true });
  });

  it("tcpSocket: a connection passes, a refused one fails as Go words it", async () => {
    const tcp = createTcpServer((s) => s.end());
    const port = await listen(tcp as unknown as Server);
    expect((await target()("readiness", { tcpSocket: { port } }, signal())).result).toBe("success");
    expect(await target()("readiness", { tcpSocket: { port: 1 } }, signal())).toEqual({ result: "failure", output: "dial tcp 127.0.0.1:1: connect: connection refused" });
    tcp.close();
  });

  it("grpc: grpc.health.v1.Health/Check over HTTP/2 — SERVING passes, NOT_SERVING fails, refused fails", async () => {
    expect(decodeHealthCheckResponse(encodeHealthCheckResponse(2))).toBe(2);
    expect(encodeHealthCheckRequest("ab")).toEqual(Buffer.from([0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62]));
    const run = (service?: string, port = grpcPort) => target()("liveness", { grpc: { port, ...(service !== undefined ? { service } : {}) } }, signal());
    expect(await run()).toEqual({ result: "success", output: "service is healthy" });
    expect(await run("sick")).toEqual({ result: "failure", output: 'service unhealthy (responded with "NOT_SERVING")' });
    expect(await run("other")).toEqual({ result: "failure", output: 'service unhealthy (responded with "SERVICE_UNKNOWN")' });
    const refused = await run("", 1);
    expect(refused.result).toBe("failure");
    expect(refused.output).toContain('failed to connect service "127.0.0.1:1"');
  });

  it("simulated containers pass unless sim.kubeactor.io/probe-fail names the kind", async () => {
    const sim = (annotations: Record<string, string>) => runProbeOn({ runtime: undefined as never, containerId: "", podIP: "", ports: [], simulated: true, containerName: "web", annotations });
    expect((await sim({})("liveness", { httpGet: { port: 1 } }, signal())).result).toBe("success");
    expect((await sim({ "sim.kubeactor.io/probe-fail": "readiness" })("readiness", { exec: { command: ["x"] } }, signal())).result).toBe("failure");
    expect((await sim({ "sim.kubeactor.io/web.probe-fail": "liveness" })("readiness", { exec: { command: ["x"] } }, signal())).result).toBe("success");
  });
});

describe("probes on real processes", () => {
  let dir: string;
  let rt: ProcessRuntime;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "kubeactor-probes-"));
    rt = new ProcessRuntime({ dataDir: dir, catalogue: new ImageCatalogue(join(dir, "images.json")), podCIDR: "127.250.9.0/24", pollMs: 200 });
  });
  afterEach(() => {
    rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exec runs beside the container with its environment; exit code decides; a slow command times out", async () => {
    const sb = { name: "web", namespace: "default", uid: "uid-exec", runtimeHandler: "process" };
    const sandboxId = await rt.runPodSandbox(sb);
    const id = await rt.createContainer(sandboxId, { name: "app", image: "busybox", kind: "regular", attempt: 0, command: ["sleep", "60"], envs: [{ name: "GREETING", value: "hi" }] }, sb);
    await rt.startContainer(id);
    const probe = runProbeOn({ runtime: rt, containerId: id, podIP: "", ports: [], simulated: false, containerName: "app" });
    const ip = (await rt.podSandboxStatus(sandboxId)).ip;
    expect(await probe("liveness", { exec: { command: ["sh", "-c", "echo $GREETING $POD_IP"] } }, signal())).toEqual({ result: "success", output: `hi ${ip}\n` });
    expect(await probe("liveness", { exec: { command: ["sh", "-c", "echo broken >&2; exit 3"] } }, signal())).toEqual({ result: "failure", output: "broken\n" });
    expect(await probe("liveness", { exec: { command: ["sleep", "5"] }, timeoutSeconds: 1 }, signal())).toEqual({ result: "failure", output: 'command "sleep 5" timed out' });
    expect((await rt.execSync(id, ["no-such-binary-xyz"], 1)).exitCode).toBe(127);
    await rt.stopContainer(id, 0);
    await expect(rt.execSync(id, ["true"], 1)).rejects.toThrow("not running");
  });

  it("a failing liveness probe on the echo server kills it (Killing event) and the restart counts", async () => {
    let current: any = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web", namespace: "default", uid: "uid-live", resourceVersion: "1" },
      spec: {
        nodeName: "node-1",
        runtimeClassName: undefined,
        terminationGracePeriodSeconds: 5,
        containers: [
          {
            name: "web",
            image: "kubeactor/echo",
            ports: [{ name: "http", containerPort: 8080 }],
            livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1, failureThreshold: 2 },
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
      status: { phase: "Pending" },
    };
    const api: PodApi = {
      getPod: async () => current,
      updatePodStatus: async (p) => (current = { ...current, metadata: { ...current.metadata, resourceVersion: String(Number(current.metadata.resourceVersion) + 1) }, status: p.status }),
      deletePod: async () => {},
    };
    const events: string[] = [];
    const actor = createActor(podMachine, {
      input: { pod: current, nodeName: "node-1", hostIP: "127.0.0.1", deps: { runtime: rt, api, record: (_p, type, reason, message) => events.push(`${type} ${reason} ${message}`) } },
    }).start();
    const status = () => current.status.containerStatuses?.[0];
    await until("ready", async () => (status()?.ready ? true : undefined), 20_000);
    const ip = current.status.podIP as string;
    await fetch(`http://${ip}:8080/fail`).then((r) => r.text());
    await until("restarted", async () => (status()?.restartCount === 1 && status()?.ready ? true : undefined), 30_000);
    expect(events).toContain("Normal Killing Container web failed liveness probe, will be restarted");
    // Exactly failureThreshold 503s; probes that ran before the server listened add `connection refused` ones, as with the kubelet.
    expect(events.filter((e) => e.includes("statuscode"))).toEqual(Array(2).fill("Warning Unhealthy Liveness probe failed: HTTP probe failed with statuscode: 503"));
    // SIGTERM lets the echo server exit 0; the new run is healthy again.
    expect(status().lastState.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(await (await fetch(`http://${ip}:8080/healthz`)).text()).toBe("ok\n");
    actor.stop();
  }, 60_000);
});
