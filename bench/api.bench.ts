/**
 * API server benchmark: requests/s and latency of the kubeactor API server
 * (its own process, on a real nats-server, with the store as its own process,
 * as `npm run dev` runs them) for GET one object, LIST 10k pods (JSON and
 * Table), CREATE (ConfigMaps, and Pods: defaulting, validation and pod
 * admission on top) and PATCH at 1 and 32 clients, side by side with:
 *  - the same operation sent straight to the store over the bus (what the
 *    API server adds: HTTP, decoding, defaulting, validation, admission);
 *  - a bare node:http server (a child process) answering GET with the same
 *    bytes (the floor for any HTTP server in Node on this machine);
 * plus the latency of discovery (aggregated /apis) and OpenAPI documents.
 * The load generator (this process) speaks keep-alive HTTP/1.1 through a lean
 * client over `net` sockets (bench/lib/http-client.ts), one socket per
 * concurrent client, to every server alike; it shares the machine's cores
 * with the servers, so its own CPU per operation is reported too.
 * Run with `npm run bench:api`; figures go to bench/results/api.json.
 *
 *   BENCH_DURATION_MS  measured window per point (default 3000)
 *   BENCH_LIST_PODS    pods in the LIST test (default 10000)
 *   BENCH_POINTS       comma-separated subset of get,create,pods,patch,list,documents (default all)
 *   BENCH_API_PROFILE  a directory: the API server and the store run under the CPU profiler (bench/lib/profiled.ts),
 *                      one profile of each one's measured window per point at 32 clients (DIR/apiserver, DIR/store)
 *   BENCH_SERVER_NODE_OPTIONS  node options for the store and API server processes, after their V8_FLAGS
 *                      (bench/lib/kubeactor.ts), so they win: e.g. --max-semi-space-size=16 for V8's default
 *   BENCH_GC_STATS     1: the store and the API server count their garbage collections (bench/lib/gc-stats.mjs)
 *                      and each point reports scavenges per 1000 operations, GC pause ms per operation, and how
 *                      many pauses of 1 ms or more fell in its measured window (with the longest three)
 *   BENCH_API_ENTRY    another build of the API server to run, relative to the repository (e.g. an esbuild
 *                      bundle, whose profile keeps function names and lines; or an older commit's, for A/B)
 *
 * Each point also reports `cpuMsPerOp`: CPU milliseconds per operation of the
 * API server, the store, nats-server (and the bare server), read from /proc,
 * the figure that holds on a busy machine where latency does not.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, type JsonObject } from "@kubeactor/bus";
import { startProcess } from "@kubeactor/testing";
import { cleanupAll, installCleanupHandlers, stopChild, tempDir, trackChild } from "./lib/cleanup.ts";
import { connectClient, serverEnv, V8_FLAGS, startNats, startStoreProcess, storeDirOf } from "./lib/kubeactor.ts";
import { cpuMeter } from "./lib/cpu.ts";
import { HttpClient, type HttpReply } from "./lib/http-client.ts";
import { type LoadResult, runClosedLoop } from "./lib/load.ts";
import { round, summarise, type LatencySummary } from "./lib/stats.ts";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const WARMUP_MS = 500;
const LIST_PODS = Number(process.env.BENCH_LIST_PODS ?? 10_000);
const CLIENTS = [1, 32] as const;
const POINTS = new Set((process.env.BENCH_POINTS ?? "get,create,pods,patch,list,documents").split(","));
const PROFILE_DIR = process.env.BENCH_API_PROFILE ? resolve(process.env.BENCH_API_PROFILE) : undefined;
const here = dirname(fileURLToPath(import.meta.url));
const GC_STATS_DIR = process.env.BENCH_GC_STATS === "1" ? tempDir("gc-stats") : undefined;
/** Environment added for the store and API server processes (on top of their V8_FLAGS, see serverEnv). */
const extraServerEnv: NodeJS.ProcessEnv = (() => {
  const extra = [process.env.BENCH_SERVER_NODE_OPTIONS, GC_STATS_DIR ? `--import=${join(here, "lib", "gc-stats.mjs")}` : undefined].filter(Boolean);
  return { ...(extra.length > 0 ? { NODE_OPTIONS: [process.env.NODE_OPTIONS, ...extra].filter(Boolean).join(" ") } : {}), ...(GC_STATS_DIR ? { BENCH_GC_STATS_DIR: GC_STATS_DIR } : {}) };
})();
interface GcTotals {
  scavenges: number;
  scavengeMs: number;
  majors: number;
  majorMs: number;
  /** [epoch ms, pause ms] of pauses ≥ 1 ms (bench/lib/gc-stats.mjs). */
  longPauses: [number, number][];
}
const gcTotalsOf = (pid: number | undefined): GcTotals => {
  try {
    return JSON.parse(readFileSync(join(GC_STATS_DIR!, `${pid}.json`), "utf8")) as GcTotals;
  } catch {
    return { scavenges: 0, scavengeMs: 0, majors: 0, majorMs: 0, longPauses: [] };
  }
};
const RESULTS = join(here, "results", "api.json");
const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

/**
 * The load generator's HTTP client: lean keep-alive HTTP/1.1 over `net`
 * sockets (bench/lib/http-client.ts; one socket per concurrent client, as
 * client-go talks to kube-apiserver and as wrk/autocannon load servers), the
 * same for every server measured so the ratios stay honest. node:http's
 * `request()` spent ~0.09 CPU-ms per request here, on the cores the servers use.
 */
const httpClients = new Map<string, HttpClient>();
const http = (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpReply> => {
  let c = httpClients.get(base);
  if (!c) httpClients.set(base, (c = new HttpClient(base)));
  return c.request(method, path, body, headers);
};

const configMap = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "bench" }, data: { key: "value".repeat(50) } });

/** A pod as a user or a ReplicaSet controller sends it. */
const newPod = (name: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "bench", labels: { app: "bench" } },
  spec: { containers: [{ name: "web", image: "nginx:1.27", ports: [{ containerPort: 80 }], resources: { requests: { cpu: "100m", memory: "64Mi" } } }] },
});

/** A running pod as the store holds it after scheduling and the kubelet's status updates. */
const pod = (i: number): JsonObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: `pod-${i}`,
    namespace: "list",
    uid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    creationTimestamp: "2026-01-01T00:00:00Z",
    labels: { app: "bench", "pod-template-hash": "abc12" },
    generation: 1,
  },
  spec: {
    nodeName: `node-${i % 100}`,
    containers: [{ name: "web", image: "nginx:1.27", ports: [{ containerPort: 80, protocol: "TCP" }], resources: { requests: { cpu: "100m", memory: "64Mi" } } }],
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    dnsPolicy: "ClusterFirst",
    schedulerName: "default-scheduler",
  },
  status: {
    phase: "Running",
    podIP: `10.0.${Math.floor(i / 250)}.${i % 250}`,
    hostIP: "192.168.0.1",
    startTime: "2026-01-01T00:00:01Z",
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2026-01-01T00:00:02Z" }],
    containerStatuses: [{ name: "web", ready: true, restartCount: 0, image: "nginx:1.27", imageID: "sim://nginx", started: true, state: { running: { startedAt: "2026-01-01T00:00:01Z" } } }],
  },
});

/** A bare node:http server in a child process that answers every request with `body`. */
const startBareServer = async (dir: string, body: Buffer): Promise<{ url: string; pid: number | undefined; stop: () => Promise<void> }> => {
  const file = join(dir, "reply.json");
  writeFileSync(file, body);
  const port = await freePort();
  const script = `const b=require("fs").readFileSync(${JSON.stringify(file)});require("http").createServer((q,r)=>{q.resume();q.on("end",()=>{r.writeHead(200,{"Content-Type":"application/json","Content-Length":b.length});r.end(b)})}).listen(${port},"127.0.0.1",()=>console.log("ready"))`;
  const child = trackChild(spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] }));
  await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => stopChild(child) };
};

/** The processes whose CPU each point reports (set once they run). */
const measured: Record<string, number | undefined> = {};

/**
 * One closed-loop point, with the CPU milliseconds each measured process
 * spent per operation (warm-up included on both sides of the division).
 */
const point = async (name: string, clients: number, op: (c: number, seq: number) => Promise<unknown>, durationMs = DURATION_MS) => {
  let done = 0;
  const meter = cpuMeter(measured);
  const gcProcs = GC_STATS_DIR ? (["apiserver", "store"] as const).filter((p) => measured[p] !== undefined) : [];
  const gcStart = gcProcs.map((p) => gcTotalsOf(measured[p]));
  const windowStart = Date.now() + WARMUP_MS;
  const self = process.cpuUsage();
  // Every process a point exercises is profiled: the API server's points also drive the store.
  const profiled = PROFILE_DIR && clients === 32 ? [name.startsWith("apiserver") ? measured.apiserver : undefined, name.startsWith("apiserver") || name.startsWith("store") ? measured.store : undefined].filter((p) => p !== undefined) : [];
  const profileStart = profiled.length > 0 ? setTimeout(() => profiled.forEach((p) => process.kill(p, "SIGUSR2")), WARMUP_MS) : undefined;
  const r = await runClosedLoop({ clients, warmupMs: WARMUP_MS, durationMs, op: (c, seq) => op(c, seq).then(() => done++) });
  const own = process.cpuUsage(self);
  if (profileStart) {
    clearTimeout(profileStart);
    profiled.forEach((p) => process.kill(p, "SIGUSR2"));
  }
  const used = { ...meter.since(), loadGenerator: (own.user + own.system) / 1000 };
  const cpuMsPerOp = Object.fromEntries(Object.entries(used).map(([p, ms]) => [p, round(ms / Math.max(done, 1), 4)]));
  const cpu = Object.entries(cpuMsPerOp)
    .filter(([p]) => p !== "loadGenerator")
    .map(([p, ms]) => `${p} ${ms}`)
    .join(", ");
  console.log(`  ${name.padEnd(34)} ${String(clients).padStart(3)} clients  ${String(r.opsPerSec).padStart(9)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  cpu ms/op: ${cpu}`);
  const n = Math.max(done, 1);
  const gcPerOp = Object.fromEntries(
    gcProcs.map((p, i) => {
      const end = gcTotalsOf(measured[p]);
      const start = gcStart[i]!;
      // Pauses inside the measured window (after the warm-up), longest first.
      const pauses = end.longPauses.filter(([t]) => t >= windowStart).map(([, ms]) => ms).sort((a, b) => b - a);
      return [
        p,
        {
          scavengesPer1kOps: round(((end.scavenges - start.scavenges) * 1000) / n, 2),
          gcMsPerOp: round((end.scavengeMs - start.scavengeMs + end.majorMs - start.majorMs) / n, 4),
          majors: end.majors - start.majors,
          pausesOver1Ms: pauses.length,
          longestPausesMs: pauses.slice(0, 3),
        },
      ];
    }),
  );
  if (gcProcs.length > 0) console.log(`  ${"".padEnd(34)} gc: ${gcProcs.map((p) => `${p} ${gcPerOp[p]!.scavengesPer1kOps} scavenges/1k ops, ${gcPerOp[p]!.gcMsPerOp} ms/op, ${gcPerOp[p]!.majors} major, ${gcPerOp[p]!.pausesOver1Ms} pauses ≥ 1 ms (longest ${gcPerOp[p]!.longestPausesMs.join(", ") || "-"})`).join("; ")}`);
  return { ...r, cpuMsPerOp, ...(gcProcs.length > 0 ? { gcPerOp } : {}) };
};

/** Latency of one request repeated `n` times, one at a time. */
const sequential = async (n: number, op: () => Promise<unknown>): Promise<LatencySummary> => {
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op();
    latencies.push(performance.now() - t0);
  }
  return summarise(latencies);
};

const ratio = (api: LoadResult, base: LoadResult) => ({
  throughput: round(api.opsPerSec / base.opsPerSec, 3),
  p99: round(api.p99Ms / base.p99Ms, 2),
});

const main = async () => {
  installCleanupHandlers();
  const loadAtStart = loadavg().map((l) => round(l, 2));
  const dir = tempDir("api");
  console.log("starting nats-server, the store and the API server (each its own process)...");
  const nats = await startNats();
  const store = await startStoreProcess(storeDirOf(dir), nats.url, [], extraServerEnv, PROFILE_DIR && join(PROFILE_DIR, "store"));
  const apiEnv = serverEnv("apiserver", extraServerEnv);
  const port = await freePort();
  const apiArgs = ["--port", String(port), "--nats", nats.url];
  const apiEntry = process.env.BENCH_API_ENTRY ?? "apps/apiserver/src/main.ts";
  const apiProc = PROFILE_DIR
    ? await startProcess("bench/lib/profiled.ts", [join(PROFILE_DIR, "apiserver"), apiEntry, ...apiArgs], { ready: /serving the Kubernetes API/, timeoutMs: 60_000, env: apiEnv })
    : await startProcess(apiEntry, apiArgs, { ready: /serving the Kubernetes API/, timeoutMs: 60_000, env: apiEnv });
  trackChild(apiProc.child);
  const api = `http://127.0.0.1:${port}`;
  measured.apiserver = apiProc.child.pid;
  measured.store = store.proc.child.pid;
  measured.nats = nats.process.pid;
  const { bus, client } = await connectClient(nats.url, "bench");

  await http(api, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } });
  await http(api, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "list" } });
  await http(api, "POST", "/api/v1/namespaces/bench/configmaps", configMap("target"));
  const key = { group: "", resource: "configmaps", namespace: "bench", name: "target" };

  const results: Record<string, unknown> = {};
  if (POINTS.has("get")) {
    console.log("\nGET one ConfigMap");
    const getBytes = (await http(api, "GET", "/api/v1/namespaces/bench/configmaps/target")).body;
    const bare = await startBareServer(dir, getBytes);
    measured.bareHttp = bare.pid;
    for (const clients of CLIENTS) {
      const apiGet = await point("apiserver GET", clients, () => http(api, "GET", "/api/v1/namespaces/bench/configmaps/target"));
      const storeGet = await point("store get over the bus", clients, () => client.get(key));
      const bareGet = await point("bare node:http, same bytes", clients, () => http(bare.url, "GET", "/"));
      results[`get_${clients}`] = { apiserver: apiGet, store: storeGet, bareHttp: bareGet, vsStore: ratio(apiGet, storeGet), vsBareHttp: ratio(apiGet, bareGet) };
    }
    httpClients.get(bare.url)?.close();
    await bare.stop();
    delete measured.bareHttp;
  }

  if (POINTS.has("create")) {
    console.log("\nCREATE ConfigMaps");
    for (const clients of CLIENTS) {
      const apiCreate = await point("apiserver POST", clients, (_c, seq) => http(api, "POST", "/api/v1/namespaces/bench/configmaps", configMap(`api-${clients}-${seq}`)));
      const storeCreate = await point("store create over the bus", clients, (_c, seq) =>
        client.create({ ...key, name: `store-${clients}-${seq}` }, { ...configMap(`store-${clients}-${seq}`), metadata: { name: `store-${clients}-${seq}`, namespace: "bench", uid: `u-${clients}-${seq}` } } as JsonObject),
      );
      results[`create_${clients}`] = { apiserver: apiCreate, store: storeCreate, vsStore: ratio(apiCreate, storeCreate) };
    }
  }

  if (POINTS.has("pods")) {
    console.log("\nCREATE Pods (defaults, validation, pod admission; nothing schedules them)");
    for (const clients of CLIENTS) {
      const apiCreate = await point("apiserver POST pod", clients, (_c, seq) => http(api, "POST", "/api/v1/namespaces/bench/pods", newPod(`api-${clients}-${seq}`)));
      results[`create_pod_${clients}`] = { apiserver: apiCreate };
    }
  }

  if (POINTS.has("patch")) {
    console.log("\nPATCH (merge) a ConfigMap (each client its own object, so no write races)");
    for (let c = 0; c < 32; c++) await http(api, "POST", "/api/v1/namespaces/bench/configmaps", configMap(`patch-${c}`));
    for (const clients of CLIENTS) {
      const apiPatch = await point("apiserver PATCH", clients, (c, seq) =>
        http(api, "PATCH", `/api/v1/namespaces/bench/configmaps/patch-${c}`, { data: { n: String(seq) } }, { "Content-Type": "application/merge-patch+json" }),
      );
      // the store's equivalent: read, then compare-and-swap write (what the API server does underneath)
      const storePatch = await point("store get + update over the bus", clients, async (c, seq) => {
        const k = { ...key, name: `patch-${c}` };
        const cur = await client.get(k);
        return client.update(k, { ...cur, data: { n: String(seq) } } as JsonObject, (cur.metadata as { resourceVersion: string }).resourceVersion);
      });
      results[`patch_${clients}`] = { apiserver: apiPatch, store: storePatch, vsStore: ratio(apiPatch, storePatch) };
    }
  }

  if (POINTS.has("list")) {
    console.log(`\nLIST ${LIST_PODS} pods`);
    for (let i = 0; i < LIST_PODS; i += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, LIST_PODS - i) }, (_, j) =>
          client.create({ group: "", resource: "pods", namespace: "list", name: `pod-${i + j}` }, pod(i + j)),
        ),
      );
    }
    const listDuration = Math.max(DURATION_MS, 5000);
    const listJson = await point("apiserver LIST (JSON)", 1, () => http(api, "GET", "/api/v1/namespaces/list/pods"), listDuration);
    const listTable = await point("apiserver LIST (Table, kubectl get)", 1, () => http(api, "GET", "/api/v1/namespaces/list/pods", undefined, { Accept: TABLE_ACCEPT }), listDuration);
    const storeList = await point("store list over the bus", 1, () => client.listAll({ group: "", resource: "pods", namespace: "list" }), listDuration);
    // Selectors on a list the watch cache cannot answer (an exact resourceVersion): the store filters every pod.
    const { revision } = await client.listPage({ group: "", resource: "pods", namespace: "list", limit: 1 });
    const exact = `resourceVersion=${revision}&resourceVersionMatch=Exact`;
    const byNode = await point("apiserver LIST spec.nodeName=node-7, Exact", 1, () => http(api, "GET", `/api/v1/namespaces/list/pods?fieldSelector=spec.nodeName%3Dnode-7&${exact}`), listDuration);
    const byLabel = await point("apiserver LIST app=other (none), Exact", 1, () => http(api, "GET", `/api/v1/namespaces/list/pods?labelSelector=app%3Dother&${exact}`), listDuration);
    results.list_10k = {
      pods: LIST_PODS,
      json: listJson,
      table: listTable,
      store: storeList,
      jsonVsStore: ratio(listJson, storeList),
      tableVsStore: ratio(listTable, storeList),
      exactFieldSelector: byNode,
      exactLabelSelector: byLabel,
    };
  }

  if (POINTS.has("documents")) {
    console.log("\ndiscovery and OpenAPI (one request at a time)");
    const docs: Record<string, LatencySummary> = {
      aggregatedApis: await sequential(200, () => http(api, "GET", "/apis", undefined, { Accept: AGGREGATED })),
      legacyCoreV1: await sequential(200, () => http(api, "GET", "/api/v1")),
      openapiV3Index: await sequential(200, () => http(api, "GET", "/openapi/v3")),
      openapiV3AppsV1: await sequential(200, () => http(api, "GET", "/openapi/v3/apis/apps/v1")),
      openapiV2Protobuf: await sequential(100, () => http(api, "GET", "/openapi/v2", undefined, { Accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" })),
    };
    for (const [name, s] of Object.entries(docs)) console.log(`  ${name.padEnd(20)} p50 ${s.p50Ms} ms  p99 ${s.p99Ms} ms`);
    results.documents = docs;
  }

  const out = {
    date: new Date().toISOString(),
    loadAverage: { start: loadAtStart, end: loadavg().map((l) => round(l, 2)) },
    setup: "nats-server, store process and API server process on one machine; the load generator is this process: a lean keep-alive HTTP/1.1 client over net sockets (bench/lib/http-client.ts), one socket per concurrent client",
    serverNodeOptions: Object.fromEntries(Object.entries(V8_FLAGS).map(([c, flags]) => [c, [flags, process.env.BENCH_SERVER_NODE_OPTIONS].filter(Boolean).join(" ")])),
    durationMsPerPoint: DURATION_MS,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGiB: round(totalmem() / 2 ** 30, 1), os: `${platform()} ${release()}`, node: process.version },
    results,
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(out, null, 2) + "\n");
  console.log(`\nwrote ${RESULTS}`);

  for (const c of httpClients.values()) c.close();
  await bus.close();
  await stopChild(apiProc.child);
  await store.stop();
  await nats.stop();
};

main()
  .catch((e) => {
    console.error(`bench: ${(e as Error).stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
