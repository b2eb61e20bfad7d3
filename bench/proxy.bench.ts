/**
 * kube-proxy benchmark: HTTP through a ClusterIP against HTTP straight to the
 * backend, on this machine, with everything as it runs in production: a real
 * nats-server, the store and kube-proxy as their own processes, the backends
 * in a process of their own, the load generator and the API server here.
 * Run with `npm run bench:proxy`; figures go to bench/results/proxy.json.
 *
 *   throughput   closed loop, CLIENTS keep-alive connections, requests/s and p99,
 *                through the proxy and direct; ratio = proxied / direct (target ≥ 0.7)
 *   connect      a new TCP connection per request (connect + one request), p50/p99
 *   failover     an EndpointSlice switched from backend A to backend B; time from
 *                the API write returning until a new connection reaches B, p99
 *                (target ≤ 100 ms)
 *
 * Knobs: BENCH_DURATION_MS (default 5000), BENCH_CLIENTS (16), BENCH_SWITCHES (200),
 * BENCH_ROUNDS (3 interleaved throughput rounds per side; the median round is reported).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, platform, release } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Bus, connectNats } from "@kubeactor/bus";
import { startApiServer } from "@kubeactor/apiserver";
import { call, startProcess } from "@kubeactor/testing";
import { cleanupAll, installCleanupHandlers, stopChild, tempDir, trackChild } from "./lib/cleanup.ts";
import { startNats, startStoreProcess } from "./lib/kubeactor.ts";
import { runClosedLoop } from "./lib/load.ts";
import { round, summarise } from "./lib/stats.ts";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const SWITCHES = Number(process.env.BENCH_SWITCHES ?? 200);
const CONNECTS = 500;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_MS = 1000;
const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(here, "results", "proxy.json");
const SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";

const get = (ip: string, port: number, agent: Agent | false): Promise<string> =>
  new Promise((resolve, reject) => {
    const req = request({ host: ip, port, path: "/", agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });

const sliceBody = (ip: string, port: number) => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { name: "bench-1", labels: { "kubernetes.io/service-name": "bench" } },
  addressType: "IPv4",
  endpoints: [{ addresses: [ip], conditions: { ready: true } }],
  ports: [{ name: "http", port, protocol: "TCP" }],
});

const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const main = async () => {
  installCleanupHandlers();
  const net = `127.${64 + Math.floor(Math.random() * 32)}.${Math.floor(Math.random() * 256)}`;
  const [ipA, ipB] = [`${net}.200`, `${net}.201`];
  console.log("proxy bench: starting nats-server, store, kube-proxy and backends");
  const nats = await startNats();
  const store = await startStoreProcess(tempDir("proxy"), nats.url);
  const bus = new Bus(await connectNats({ servers: nats.url, name: "bench-apiserver" }), { log: () => {} });
  const api = await startApiServer({ bus, port: 0, serviceClusterIpRange: `${net}.0/25`, log: () => {} });
  const proxy = await startProcess("apps/kube-proxy/src/main.ts", ["--nats", nats.url, "--dns-port", "0", "--nodeport-addresses="], { ready: /kube-proxy: ready/, timeoutMs: 60_000 });
  trackChild(proxy.child);
  const backends = await startProcess("bench/lib/http-backend.ts", [ipA, ipB], { ready: /backends ready/, timeoutMs: 60_000 });
  trackChild(backends.child);
  const ports = new Map([...backends.output().matchAll(/backend (\S+) (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));

  const svc = await call(api.url, "POST", "/api/v1/namespaces/default/services", {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "bench" },
    spec: { ports: [{ name: "http", port: 8080 }] },
  });
  const clusterIP: string = svc.body.spec.clusterIP;
  await call(api.url, "POST", SLICES, sliceBody(ipA, ports.get(ipA)!));
  await waitFor("the ClusterIP to answer", () => get(clusterIP, 8080, false));

  const throughput = async (ip: string, port: number) => {
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const r = await runClosedLoop({ clients: CLIENTS, warmupMs: WARMUP_MS, durationMs: DURATION_MS, op: () => get(ip, port, agent) });
    agent.destroy();
    return r;
  };
  console.log(`throughput: ${CLIENTS} keep-alive clients, ${ROUNDS} rounds of ${DURATION_MS} ms per side`);
  // Interleaved rounds, so a noisy neighbour or a warming JIT does not favour one side.
  const rounds = { direct: [] as Awaited<ReturnType<typeof throughput>>[], proxied: [] as Awaited<ReturnType<typeof throughput>>[] };
  for (let i = 0; i < ROUNDS; i++) {
    rounds.direct.push(await throughput(ipA, ports.get(ipA)!));
    rounds.proxied.push(await throughput(clusterIP, 8080));
  }
  /** The round with the median throughput of each side. */
  const median = (rs: Awaited<ReturnType<typeof throughput>>[]) => [...rs].sort((x, y) => x.opsPerSec - y.opsPerSec)[Math.floor(rs.length / 2)]!;
  const direct = median(rounds.direct);
  const proxied = median(rounds.proxied);
  const ratio = round(proxied.opsPerSec / direct.opsPerSec, 3);

  const connectLatency = async (ip: string, port: number) => {
    const samples: number[] = [];
    for (let i = 0; i < CONNECTS; i++) {
      const t0 = performance.now();
      await get(ip, port, false);
      samples.push(performance.now() - t0);
    }
    return summarise(samples.slice(50));
  };
  console.log(`connect: ${CONNECTS} new connections each`);
  const connectDirect = await connectLatency(ipA, ports.get(ipA)!);
  const connectProxied = await connectLatency(clusterIP, 8080);

  console.log(`failover: ${SWITCHES} endpoint switches`);
  const switches: number[] = [];
  let current = ipA;
  for (let i = 0; i < SWITCHES; i++) {
    const next = current === ipA ? ipB : ipA;
    const slice = (await call(api.url, "GET", `${SLICES}/bench-1`)).body;
    const body = { ...sliceBody(next, ports.get(next)!), metadata: { ...sliceBody(next, 0).metadata, resourceVersion: slice.metadata.resourceVersion } };
    const put = await call(api.url, "PUT", `${SLICES}/bench-1`, body);
    if (put.code !== 200) throw new Error(`switching endpoints: ${JSON.stringify(put.body)}`);
    const t0 = performance.now();
    for (;;) {
      const who = await get(clusterIP, 8080, false).catch(() => "");
      if (who === next) break;
      if (performance.now() - t0 > 10_000) throw new Error(`traffic did not move to ${next} within 10 s`);
    }
    switches.push(performance.now() - t0);
    current = next;
    await new Promise((r) => setTimeout(r, 60 + Math.random() * 40));
  }
  const failover = summarise(switches);

  const result = {
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, platform: platform(), release: release(), node: process.version },
    when: new Date().toISOString(),
    throughput: {
      clients: CLIENTS,
      durationMs: DURATION_MS,
      rounds: ROUNDS,
      allRounds: { direct: rounds.direct.map((r) => r.opsPerSec), proxied: rounds.proxied.map((r) => r.opsPerSec) },
      direct: { requestsPerSec: direct.opsPerSec, p50Ms: direct.p50Ms, p99Ms: direct.p99Ms, errors: direct.errors },
      proxied: { requestsPerSec: proxied.opsPerSec, p50Ms: proxied.p50Ms, p99Ms: proxied.p99Ms, errors: proxied.errors },
      ratio,
      target: 0.7,
    },
    connect: { samples: connectDirect.count, direct: connectDirect, proxied: connectProxied },
    endpointChangeToTraffic: { switches: failover.count, ...failover, target: { p99Ms: 100 } },
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(result, null, 2) + "\n");
  console.log(`
requests/s      direct ${direct.opsPerSec}  proxied ${proxied.opsPerSec}  ratio ${ratio} (target ≥ 0.7)
p99 (ms)        direct ${direct.p99Ms}  proxied ${proxied.p99Ms}
connect p50/p99 direct ${connectDirect.p50Ms}/${connectDirect.p99Ms} ms  proxied ${connectProxied.p50Ms}/${connectProxied.p99Ms} ms
endpoint change → traffic  p50 ${failover.p50Ms} ms  p99 ${failover.p99Ms} ms  max ${failover.maxMs} ms (target p99 ≤ 100)
written to ${RESULTS}`);

  await api.close();
  await bus.close();
  await stopChild(proxy.child);
  await stopChild(backends.child);
  await store.stop();
  await stopChild(nats.process);
};

main()
  .then(() => {
    cleanupAll();
    process.exit(0);
  })
  .catch((e) => {
    console.error(`proxy bench failed: ${(e as Error).stack ?? e}`);
    cleanupAll();
    process.exit(1);
  });
