/**
 * Node benchmark: N simulated nodes heartbeating (a Lease renewed every 10 s
 * each) with 10–30 pods per node, on a store + API server. Up to 1000 nodes
 * everything runs in one process on the in-process bus (as `kubeactor up
 * --embedded` runs them); from 5000 nodes the kubelet runs as its own process
 * (apps/kubelet) on a nats-server, as `turbo dev` runs the components: one
 * process has one main thread, and at 5000 nodes it cannot carry 500 lease
 * renewals/s, 100 pod starts/s and a multi-GiB heap's GC (p99 2.8 s at 82.8/s
 * achieved); split, the work and the heap are spread over two processes (and
 * cores), and side by side at 1000 nodes × 30 (load 10–14) the split fill
 * cost 4.5 CPU-ms per pod start summed over the processes against 7.5–8 in
 * one. Run with `npm run bench:nodes`; figures go to bench/results/nodes.json
 * (each result's `bus` says which shape it measured).
 *
 * Per size, in a fresh child process (so memory figures do not inherit the
 * previous size's garbage):
 *   1. nodes register → heap / RSS delta per node (Node + Lease in the store,
 *      the node actor, the kubelet's informers: everything a node costs);
 *   2. steady state, nodes only → CPU share of the heartbeats;
 *   3. pods created already bound (spec.nodeName: the scheduler is not part of
 *      this figure) until every one is Running → heap / RSS delta per pod;
 *   4. steady state with pods → CPU share;
 *   5. 100 pods/s offered (bound, round robin) for BENCH_LATENCY_SECONDS →
 *      create → Running latency p50 / p99, seen by a watch.
 * Controllers and the scheduler do not run: the figures are the kubelet side
 * plus the store and API server serving it. The store keeps its state in
 * memory (no fsync) unless BENCH_NODES_DURABLE=1: on a disk shared with other
 * work an fsync can take most of a second, and every pod start is a chain of
 * durable writes (create, status, status, events), so the figure would be the
 * disk's, not the nodes'. `npm run bench:store` measures durable writes.
 *
 * Environment knobs:
 *   BENCH_NODES_SIZES     comma-separated node counts (default 100,1000)
 *   BENCH_NODES_LARGE=1   also run 5000 nodes (long; needs several GiB)
 *   BENCH_PODS_PER_NODE   "10-30" (default) or a fixed number; the issue's large target is
 *                         BENCH_NODES_SIZES=5000 BENCH_PODS_PER_NODE=30 (150k pods)
 *   BENCH_FILL_CONCURRENCY pod creates in flight during the fill (default 64)
 *   BENCH_FILL_PENDING    at most this many fill pods created and not yet Running (default 1000), as a rollout's
 *                         surge limit: with the kubelet in its own process the creates would otherwise outrun it
 *   BENCH_FILL_SECONDS    stop creating fill pods after this long (default: no limit); the run then goes on
 *                         with the pods created by then (fill.pods, fill.plannedPods and fill.stoppedBy say so),
 *                         so a size too large for the time at hand still gives every figure
 *   BENCH_HISTORY_LIMIT   the store's watch history window (default: the store's, 20k events);
 *                         a small one shows how watches cope with falling out of it
 *   BENCH_STEADY_SECONDS  steady-state window (default 20; ≥ 10 s covers one lease period)
 *   BENCH_LATENCY_SECONDS 100 pods/s window (default 10)
 *   BENCH_NODES_DURABLE=1 the file store with fsync instead of the memory one
 *   BENCH_NODES_RESULTS   where to write (default bench/results/nodes.json; sizes not run are kept)
 *   BENCH_HEAP_SNAPSHOTS  a directory: heap snapshots with nodes only and with pods (after both memory
 *                         figures), for attributing each pod's memory (libs/kubelet/README.md)
 *   BENCH_KUBELET_PROCESS=1 the kubelet runs in its own process (apps/kubelet, as `turbo dev` runs it) and
 *                         everything talks over a nats-server, so two cores work (=0: one process; default: split
 *                         from 5000 nodes, one process below); RSS and CPU figures are then
 *                         the SUM over the bench process (store + API server + watches), the kubelet process
 *                         and nats-server; heap figures stay the bench process' own (the kubelet's heap is not
 *                         reachable from here).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { constants, PerformanceObserver, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { writeHeapSnapshot } from "node:v8";
import { Bus, connectNats, startNatsServer, type JsonObject, type Transport } from "@kubeactor/bus";
import { ApiClient, openWatchStream, StoreClient, type WatchStreamOptions } from "@kubeactor/client";
import { startKubelet } from "@kubeactor/kubelet";
import { startApiServer } from "@kubeactor/apiserver";
import { createMemoryBackend, startStoreComponent } from "@kubeactor/store";
import { memoryCase } from "@kubeactor/testing";
import { removeDir, tempDir } from "./lib/cleanup.ts";
import { round, summarise, type LatencySummary } from "./lib/stats.ts";

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = process.env.BENCH_NODES_RESULTS ?? join(here, "results", "nodes.json");
const PODS = { group: "", version: "v1", resource: "pods" };
const NAMESPACES = { group: "", version: "v1", resource: "namespaces" };
const LEASE_PERIOD_S = 10;
const OFFERED_RATE = 100;
const FILL_CONCURRENCY = Number(process.env.BENCH_FILL_CONCURRENCY ?? 64);
const FILL_PENDING = Number(process.env.BENCH_FILL_PENDING ?? 1000);
const HISTORY_LIMIT = process.env.BENCH_HISTORY_LIMIT ? Number(process.env.BENCH_HISTORY_LIMIT) : undefined;
const STEADY_S = Number(process.env.BENCH_STEADY_SECONDS ?? 20);
const FILL_SECONDS = Number(process.env.BENCH_FILL_SECONDS ?? Infinity);
const LATENCY_S = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const [PPN_MIN, PPN_MAX] = (process.env.BENCH_PODS_PER_NODE ?? "10-30").split("-").map(Number).concat([NaN]) as [number, number];
const podsPerNodeMax = Number.isFinite(PPN_MAX) ? PPN_MAX : PPN_MIN;

/** The shape of a size: the kubelet in its own process on a nats-server, or everything in one process (see the header). */
const kubeletProcessFor = (n: number): boolean =>
  process.env.BENCH_KUBELET_PROCESS === "1" ? true : process.env.BENCH_KUBELET_PROCESS === "0" ? false : n >= SPLIT_FROM_NODES;
const SPLIT_FROM_NODES = 5000;
/** This child's size runs split (set by runSize). */
let SPLIT = false;
const KUBELET_MAIN = join(here, "..", "apps", "kubelet", "src", "main.ts");

const MiB = 1048576;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The other processes of the cluster under test (split mode: the kubelet and nats-server), for RSS and CPU sums. */
const others: number[] = [];
const procRssBytes = (pid: number): number => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
};
/** utime + stime of a process, in ms (clock ticks of 10 ms). */
const procCpuMs = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
};
/** CPU time so far of each process (this one first, then `others`), in ms: which side a split run saturates. */
const cpuMsEach = (): number[] => {
  const own = process.cpuUsage();
  return [(own.user + own.system) / 1000, ...others.map(procCpuMs)];
};
/** Per-process shares of a CPU interval, e.g. "bench 40%, kubelet 70%, nats 10%" of one core (split mode only). */
const shares = (before: number[], wallMs: number): string =>
  SPLIT ? ` [${cpuMsEach().map((c, i) => `${["store+apiserver+bench", "nats-server", "kubelet"][i] ?? `process ${i}`} ${round(((c - before[i]!) / wallMs) * 100, 1)}%`).join(", ")} of one core]` : "";
/** CPU time so far of every process of the cluster under test, in ms. */
const cpuMs = (): number => cpuMsEach().reduce((sum, ms) => sum + ms, 0);
/** Main-thread GC pauses so far, in ms (V8's concurrent marking and sweeping threads are in the CPU figures only). */
let gcPauseMs = 0;
/** The part of it in scavenges (young generation); the rest is mark-compact work on the old generation. */
let scavengeMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcPauseMs += e.duration;
    if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavengeMs += e.duration;
  }
}).observe({ entryTypes: ["gc"] });
const mem = () => {
  global.gc?.();
  global.gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss + others.reduce((sum, pid) => sum + procRssBytes(pid), 0) };
};

/** apps/kubelet in its own process (same node flags: heap limit, tsx), resolved once every node is registered. */
const spawnKubelet = (n: number, natsUrl: string, dataDir: string, log: (line: string) => void) =>
  new Promise<{ nodes: string[]; pid: number; stop(): Promise<void> }>((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, KUBELET_MAIN, "--nodes", String(n), "--max-pods", "110", "--nats", natsUrl, "--data-dir", dataDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<void>((r) => child.on("exit", () => r()));
    let ready = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      if (!ready && /nodes ready/.test(d)) {
        ready = true;
        resolve({
          nodes: Array.from({ length: n }, (_, i) => `node-${i + 1}`),
          pid: child.pid!,
          stop: async () => {
            child.kill("SIGTERM");
            await exited;
          },
        });
      }
    });
    let tail = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      const lines = (tail + d).split("\n");
      tail = lines.pop()!;
      for (const l of lines) if (/informer|lease|status|error|slow/i.test(l)) log(`kubelet process: ${l}`);
    });
    child.on("exit", (code) => !ready && reject(new Error(`kubelet process exited with ${code} before its nodes were ready`)));
  });

const SNAPSHOTS = process.env.BENCH_HEAP_SNAPSHOTS;
const snapshot = (file: string) => {
  if (!SNAPSHOTS) return;
  mkdirSync(SNAPSHOTS, { recursive: true });
  writeHeapSnapshot(join(SNAPSHOTS, file));
};

interface SteadyState {
  readonly seconds: number;
  /** CPU time of this process over wall time, in % of one core (the machine has `cores`). */
  readonly cpuPercentOfOneCore: number;
  readonly leaseRenewalsPerSec: number;
  /** CPU time per lease renewal (the whole process: kubelet, API server, store, watches): load-independent. */
  readonly cpuMsPerRenewal: number;
  /** The machine's 1-minute load average at the end (2 cores shared with other work). */
  readonly loadAverage: number;
}

interface SizeResult {
  readonly nodes: number;
  readonly podsPerNode: string;
  readonly pods: number;
  readonly registerSeconds: number;
  readonly perNode: { heapKiB: number; rssKiB: number };
  readonly steadyNodesOnly: SteadyState;
  readonly fill: { pods: number; plannedPods?: number; stoppedBy?: string; seconds: number; podsPerSec: number; cpuMsPerPod: number; gcPauseMsPerPod: number; scavengePauseMsPerPod?: number; writesPerPod: number; podWritesPerPod: number; leaseRenewalsPerSec: number; loadAverage: number };
  readonly perPod: { heapKiB: number; rssKiB: number };
  readonly steadyWithPods: SteadyState;
  readonly startupLatency: LatencySummary & { offeredPerSec: number; achievedPerSec: number; notRunning: number; loadAverage: number };
  readonly totals: { heapMiB: number; rssMiB: number };
  /** The shape measured (setup.components describes each): sizes run at different times may differ. */
  readonly bus: "in-process" | "nats-server";
}

/** One seeded pods-per-node draw, so every run places the same pods. */
const podsPerNode = (i: number) => PPN_MIN + ((i * 2654435761) % 4294967296) % (podsPerNodeMax - PPN_MIN + 1);

const podBody = (name: string, node: string, namespace: string): JsonObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace, labels: { app: "bench" } },
  spec: {
    nodeName: node,
    terminationGracePeriodSeconds: 0,
    containers: [{ name: "app", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "10m", memory: "16Mi" } } }],
  },
});

const runSize = async (n: number): Promise<SizeResult> => {
  SPLIT = kubeletProcessFor(n);
  const log = (line: string) => console.error(`[${n} nodes] ${line}`);
  // Split mode: every component on a nats-server (the kubelet is another process); else the in-process bus.
  const nats = SPLIT ? await startNatsServer({ jetstream: false }) : undefined;
  const mc = memoryCase();
  const opened: Transport[] = [];
  const tc = nats
    ? {
        setup: async () => {},
        connect: async (name: string) => {
          const t = await connectNats({ servers: nats.url, name });
          opened.push(t);
          return t;
        },
        teardown: async () => {
          await Promise.all(opened.splice(0).map((t) => t.close()));
          await nats.stop();
        },
      }
    : mc;
  await tc.setup();
  if (nats?.process.pid) others.push(nats.process.pid);
  const dir = tempDir("kubeactor-nodes-bench-");
  const durable = process.env.BENCH_NODES_DURABLE === "1";
  const store = await startStoreComponent({
    bus: new Bus(await tc.connect("store"), { log: () => {} }),
    dir,
    ...(durable ? {} : { backend: createMemoryBackend(HISTORY_LIMIT ? { historyLimit: HISTORY_LIMIT } : {}), backendName: "memory" }),
  });
  const apiserver = await startApiServer({ bus: new Bus(await tc.connect("apiserver"), { log: () => {} }), port: 0, log: () => {} });
  const api = new ApiClient(new Bus(await tc.connect("bench"), { log: () => {} }));

  // The bench's own view: running pods and lease renewals, from two watches (as a dashboard would
  // watch; no cache of its own, so the memory figures are the cluster's, not a second copy of every pod).
  const watchBus = new Bus(await tc.connect("bench-watch"), { log: () => {} });
  const watchStore = new StoreClient(watchBus);
  const createdAt = new Map<string, number>();
  const runningAt = new Map<string, number>();
  const seen = (p: JsonObject) => {
    const name = (p.metadata as { name: string }).name;
    if ((p.status as { phase?: string } | undefined)?.phase === "Running" && !runningAt.has(name)) {
      runningAt.set(name, performance.now());
      if (name.startsWith("fill-")) fillRunning++;
    }
  };
  let fillRunning = 0;
  let renewals = 0;
  const watches: { stop(): void }[] = [];
  /** A watch that lists and watches again when it fails (410 Expired), as an informer would. */
  const follow = async (what: WatchStreamOptions, onObject: (o: JsonObject, type: string) => void) => {
    const open = async (): Promise<void> => {
      const stream = await openWatchStream(watchBus, watchStore, what, {
        onList: (items) => items.forEach((o) => onObject(o, "LISTED")),
        onEvent: (e) => onObject(e.object, e.type),
        onError: (e) => {
          log(`${what.resource} watch: ${(e as Error).message}; watching again`);
          setTimeout(() => void open(), 500);
        },
      });
      watches.push(stream);
    };
    await open();
  };
  await follow({ group: "", resource: "pods" }, (p, type) => type !== "DELETED" && seen(p));
  await follow({ group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease" }, (_l, type) => type === "MODIFIED" && renewals++);

  const steady = async (what: string): Promise<SteadyState> => {
    const r0 = renewals;
    const c0 = cpuMs();
    const each0 = cpuMsEach();
    const t0 = performance.now();
    await sleep(STEADY_S * 1000);
    const used = cpuMs() - c0;
    const wall = performance.now() - t0;
    const s = {
      seconds: round(wall / 1000, 1),
      cpuPercentOfOneCore: round((used / wall) * 100, 1),
      leaseRenewalsPerSec: round(((renewals - r0) / wall) * 1000, 1),
      cpuMsPerRenewal: round(used / Math.max(1, renewals - r0), 3),
      loadAverage: round(loadavg()[0]!, 1),
    };
    log(`steady state (${what}): CPU ${s.cpuPercentOfOneCore}% of one core, ${s.leaseRenewalsPerSec} lease renewals/s, ${s.cpuMsPerRenewal} CPU-ms each (load ${s.loadAverage})${shares(each0, wall)}`);
    return s;
  };

  const base = mem();
  const t0 = performance.now();
  const kubelet = nats
    ? await spawnKubelet(n, nats.url, join(dir, "kubelet-data"), log)
    : await startKubelet({ bus: new Bus(await tc.connect("kubelet"), { log: () => {} }), nodes: n, maxPods: 110, log: (l) => { if (/informer|lease|status/.test(l)) log(`kubelet: ${l}`); } });
  if ("pid" in kubelet) others.push(kubelet.pid);
  const registerSeconds = round((performance.now() - t0) / 1000, 1);
  log(`${n} nodes registered in ${registerSeconds} s`);
  await sleep(LEASE_PERIOD_S * 1000); // every node through its first renewal period
  const withNodes = mem();
  const perNode = { heapKiB: round((withNodes.heap - base.heap) / n / 1024, 1), rssKiB: round((withNodes.rss - base.rss) / n / 1024, 1) };
  log(`per node: heap ${perNode.heapKiB} KiB, RSS ${perNode.rssKiB} KiB`);
  snapshot(`nodes-${n}-a-nodes.heapsnapshot`);
  const steadyNodesOnly = await steady("nodes only");

  // Fill: every node gets its 10–30 pods, created bound, 64 creates in flight. Round robin over the
  // nodes, as a scheduler spreads a large rollout: a node's second pod comes after its first one
  // pulled the image, so it gets `Pulled ... already present on machine` (IfNotPresent) instead
  // of a pull of its own, as on a real node. Node by node, a node's 30 pods all arrived within its
  // first 300 ms pull and every one pulled (Pulling + Pulled: a store write more per pod).
  const jobs: [string, string][] = [];
  for (let j = 0; j < podsPerNodeMax; j++) for (let i = 0; i < n; i++) if (j < podsPerNode(i)) jobs.push([`fill-${i}-${j}`, kubelet.nodes[i]!]);
  const namespace = "bench";
  await api.create(NAMESPACES, "", { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  const f0 = performance.now();
  const fc0 = cpuMs();
  const gc0 = gcPauseMs;
  const sc0 = scavengeMs;
  let lastProgress = { t: performance.now(), cpu: fc0, each: cpuMsEach(), gc: gc0, scavenge: sc0, running: 0 };
  const rev0 = store.backend.revision;
  const renewals0 = renewals;
  // Progress every 10 s: a 150k-pod fill runs for many minutes.
  const progress = setInterval(() => {
    const m = process.memoryUsage();
    const rss = m.rss + others.reduce((sum, pid) => sum + procRssBytes(pid), 0);
    const now = performance.now();
    const secs = (now - f0) / 1000;
    const cpu = cpuMs();
    // The last 10 s on their own: the averages since the start hide how a pod's cost grows with the heap.
    const started = Math.max(1, fillRunning - lastProgress.running);
    const recent = `last ${round((now - lastProgress.t) / 1000, 0)} s: ${round((started * 1000) / (now - lastProgress.t), 1)} pods/s, ${round((cpu - lastProgress.cpu) / started, 1)} CPU-ms and ${round((gcPauseMs - lastProgress.gc) / started, 1)} GC-pause-ms each (${round((scavengeMs - lastProgress.scavenge) / started, 1)} of it scavenges)${shares(lastProgress.each, now - lastProgress.t)}`;
    lastProgress = { t: now, cpu, each: cpuMsEach(), gc: gcPauseMs, scavenge: scavengeMs, running: fillRunning };
    log(
      `${next} created, ${fillRunning} of ${jobs.length} Running after ${round(secs, 0)} s (${round(fillRunning / secs, 1)} pods/s, ` +
        `${round((cpu - fc0) / Math.max(1, fillRunning), 2)} CPU-ms each; ${recent}); heap ${round(m.heapUsed / MiB, 0)} MiB, RSS ${round(rss / MiB, 0)} MiB${SPLIT ? " (sum)" : ""}, load ${round(loadavg()[0]!, 1)}`,
    );
  }, 10_000);
  let next = 0;
  /** A create that timed out under load is sent again; AlreadyExists then means the first one got through. */
  const createRetrying = async (name: string, node: string): Promise<void> => {
    for (;;) {
      try {
        await api.create(PODS, namespace, podBody(name, node, namespace));
        return;
      } catch (e) {
        const code = (e as { status?: { code?: number } }).status?.code;
        if (code === 409) return;
        if (code !== 504) throw e;
        log(`create ${name}: ${(e as Error).message}; again`);
      }
    }
  };
  await Promise.all(
    Array.from({ length: FILL_CONCURRENCY }, async () => {
      while (next < jobs.length && performance.now() - f0 < FILL_SECONDS * 1000) {
        // Through the event loop, as a request from the network would arrive: on the in-process bus a
        // create and all it sets off is one chain of microtasks, and back-to-back creates would keep
        // timers (lease renewals, watch repairs) from ever running during the fill.
        await new Promise((r) => setImmediate(r));
        // No more than FILL_PENDING pods created and not yet Running, as a rollout's surge limit keeps it: with the
        // kubelet in its own process creates are cheap for the API server and would pile work onto the kubelet
        // until its requests time out (in one process the creates wait for the CPU the pod starts take anyway).
        while (next - fillRunning >= FILL_PENDING && performance.now() - f0 < FILL_SECONDS * 1000) await sleep(20);
        if (next >= jobs.length || performance.now() - f0 >= FILL_SECONDS * 1000) break;
        const [name, node] = jobs[next++]!;
        await createRetrying(name, node);
      }
    }),
  );
  // With BENCH_FILL_SECONDS, the fill stops creating at its deadline: the rest of the run measures the pods created by then.
  const filled = next;
  const stopped = filled < jobs.length;
  log(`${filled} pods created in ${round((performance.now() - f0) / 1000, 1)} s${stopped ? ` (BENCH_FILL_SECONDS reached: ${jobs.length - filled} of the planned ${jobs.length} not created)` : ""}; waiting for Running`);
  while (fillRunning < filled) await sleep(250);
  clearInterval(progress);
  const fillSeconds = (performance.now() - f0) / 1000;
  const fc = cpuMs() - fc0;
  const fill = {
    pods: filled,
    ...(stopped ? { plannedPods: jobs.length, stoppedBy: `BENCH_FILL_SECONDS=${FILL_SECONDS}` } : {}),
    seconds: round(fillSeconds, 1),
    podsPerSec: round(filled / fillSeconds, 1),
    cpuMsPerPod: round(fc / Math.max(1, filled), 2),
    /** Main-thread GC pauses per pod start (the bench process'). */
    gcPauseMsPerPod: round((gcPauseMs - gc0) / Math.max(1, filled), 2),
    /** The scavenges' part of it (young generation); the rest is the old generation's mark-compact pauses. */
    scavengePauseMsPerPod: round((scavengeMs - sc0) / Math.max(1, filled), 2),
    /** Store writes per pod start (create, status updates, events; lease renewals during the fill included). */
    writesPerPod: round((store.backend.revision - rev0) / Math.max(1, filled), 2),
    /** The same without the lease renewals seen during the fill (those depend on how long the fill took, not on the pods). */
    podWritesPerPod: round((store.backend.revision - rev0 - (renewals - renewals0)) / Math.max(1, filled), 2),
    /** Heartbeats during the fill (n / 10 s when every node keeps renewing on time). */
    leaseRenewalsPerSec: round((renewals - renewals0) / fillSeconds, 1),
    loadAverage: round(loadavg()[0]!, 1),
  };
  log(`all ${filled} pods Running after ${fill.seconds} s (${fill.podsPerSec} pods/s, ${fill.cpuMsPerPod} CPU-ms per pod start (${fill.gcPauseMsPerPod} ms of it GC pauses), ${fill.writesPerPod} store writes per pod (${fill.podWritesPerPod} without lease renewals), ${fill.leaseRenewalsPerSec} lease renewals/s, load ${fill.loadAverage})`);
  await sleep(2000); // last status writes and events settle
  const withPods = mem();
  const perPod = { heapKiB: round((withPods.heap - withNodes.heap) / Math.max(1, filled) / 1024, 1), rssKiB: round((withPods.rss - withNodes.rss) / Math.max(1, filled) / 1024, 1) };
  log(`per pod: heap ${perPod.heapKiB} KiB, RSS ${perPod.rssKiB} KiB`);
  snapshot(`nodes-${n}-b-pods.heapsnapshot`);
  const steadyWithPods = await steady("with pods");

  // Startup latency at 100 pods/s offered, open loop: a create is sent every 10 ms whatever happened to the last.
  const total = OFFERED_RATE * LATENCY_S;
  const l0 = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = l0 + (i * 1000) / OFFERED_RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const name = `lat-${i}`;
    createdAt.set(name, performance.now());
    sends.push(api.create(PODS, namespace, podBody(name, kubelet.nodes[i % n]!, namespace)).catch((e) => log(`create ${name}: ${(e as Error).message}`)));
  }
  await Promise.all(sends);
  const achievedPerSec = round(total / ((performance.now() - l0) / 1000), 1);
  const deadline = performance.now() + 60_000;
  while ([...createdAt.keys()].some((k) => !runningAt.has(k)) && performance.now() < deadline) await sleep(100);
  const latencies = [...createdAt].filter(([k]) => runningAt.has(k)).map(([k, t]) => runningAt.get(k)! - t);
  const startupLatency = { ...summarise(latencies), offeredPerSec: OFFERED_RATE, achievedPerSec, notRunning: total - latencies.length, loadAverage: round(loadavg()[0]!, 1) };
  log(`startup latency at ${OFFERED_RATE} pods/s: p50 ${startupLatency.p50Ms} ms, p99 ${startupLatency.p99Ms} ms (${startupLatency.notRunning} not Running in time)`);
  const final = mem();

  for (const w of watches) w.stop();
  await kubelet.stop();
  await apiserver.close();
  await store.stop();
  removeDir(dir);
  await tc.teardown();
  return {
    nodes: n,
    podsPerNode: process.env.BENCH_PODS_PER_NODE ?? "10-30",
    pods: filled + total,
    registerSeconds,
    perNode,
    steadyNodesOnly,
    fill,
    perPod,
    steadyWithPods,
    startupLatency,
    totals: { heapMiB: round(final.heap / MiB, 0), rssMiB: round(final.rss / MiB, 0) },
    bus: SPLIT ? "nats-server" : "in-process",
  };
};

/**
 * The size's process runs with this process' flags and a young generation of 2 × 32 MiB (V8's default
 * is 16 MiB a semi-space): a pod start's short-lived objects (in-flight requests, statuses, events
 * waiting out the 300 ms pull) otherwise survive two scavenges, get promoted and die in the old
 * generation, whose mark-compact grows with the heap (the GC share of a 150k-pod run).
 */
const childFlags = () => (process.execArgv.some((a) => a.startsWith("--max-semi-space-size")) ? process.execArgv : [...process.execArgv, "--max-semi-space-size=32"]);

/** Runs one size in a child process with the same flags (--expose-gc, heap limit) and returns its result line. */
const runChild = (n: number): Promise<SizeResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...childFlags(), fileURLToPath(import.meta.url), "--size", String(n)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code, signal) => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (line) resolve(JSON.parse(line.slice(7)) as SizeResult);
      else reject(new Error(`${n} nodes: child exited with ${signal ?? code} and no result${signal === "SIGKILL" || code === 134 ? " (out of memory?)" : ""}`));
    });
  });

const main = async () => {
  const sizeArg = process.argv.indexOf("--size");
  if (sizeArg !== -1) {
    const result = await runSize(Number(process.argv[sizeArg + 1]));
    console.log(`RESULT ${JSON.stringify(result)}`);
    process.exit(0);
  }
  if (!global.gc) console.error("note: run with --expose-gc (npm run bench:nodes does) for stable memory figures");
  const sizes = (process.env.BENCH_NODES_SIZES ?? "100,1000").split(",").map(Number);
  if (process.env.BENCH_NODES_LARGE === "1" && !sizes.includes(5000)) sizes.push(5000);
  const results: (SizeResult | { nodes: number; error: string })[] = [];
  for (const n of sizes) {
    try {
      results.push(await runChild(n));
    } catch (e) {
      console.error((e as Error).message);
      results.push({ nodes: n, error: (e as Error).message });
    }
  }

  console.log("\nnodes   pods     register  KiB/node(heap/rss)  KiB/pod(heap/rss)  CPU nodes-only  CPU with pods  CPU-ms/renewal  fill pods/s  CPU-ms/pod  startup p50 / p99 @100/s  load");
  for (const r of results) {
    if ("error" in r) {
      console.log(`${String(r.nodes).padEnd(8)} failed: ${r.error}`);
      continue;
    }
    console.log(
      `${String(r.nodes).padEnd(8)} ${String(r.pods).padEnd(8)} ${`${r.registerSeconds} s`.padEnd(9)} ${`${r.perNode.heapKiB} / ${r.perNode.rssKiB}`.padEnd(19)} ${`${r.perPod.heapKiB} / ${r.perPod.rssKiB}`.padEnd(18)} ${`${r.steadyNodesOnly.cpuPercentOfOneCore}%`.padEnd(15)} ${`${r.steadyWithPods.cpuPercentOfOneCore}%`.padEnd(14)} ${String(r.steadyNodesOnly.cpuMsPerRenewal).padEnd(15)} ${String(r.fill.podsPerSec).padEnd(12)} ${String(r.fill.cpuMsPerPod).padEnd(11)} ${`${Math.round(r.startupLatency.p50Ms)} / ${Math.round(r.startupLatency.p99Ms)} ms`.padEnd(25)} ${r.fill.loadAverage}`,
    );
  }
  const best = results.filter((r): r is SizeResult => !("error" in r)).sort((a, b) => b.nodes - a.nodes)[0];
  /** RSS for a cluster of this shape, from the measured per-node and per-pod deltas (base process not included). */
  const projectGiB = (r: SizeResult, nodes: number, pods: number) => round((nodes * r.perNode.rssKiB + pods * r.perPod.rssKiB) / 1024 / 1024, 1);
  console.log("\nKWOK's published claim: 1,000 nodes and 100,000 pods on one machine, creating 20 nodes or pods per second.");
  if (best) {
    console.log(
      `kubeactor, largest size measured here: ${best.nodes} nodes and ${best.pods} pods (${round(best.pods / best.nodes, 1)} per node) in ${best.totals.rssMiB} MiB RSS;\n` +
        `  pods started ${best.fill.podsPerSec}/s wall-clock (created bound, no scheduler; load average ${best.fill.loadAverage} on ${cpus().length} cores), ` +
        `${best.fill.cpuMsPerPod} CPU-ms per pod start ≈ ${round(1000 / best.fill.cpuMsPerPod, 0)} pods/s per free core;\n` +
        `  startup latency p50 ${Math.round(best.startupLatency.p50Ms)} ms / p99 ${Math.round(best.startupLatency.p99Ms)} ms at ${best.startupLatency.achievedPerSec}/s achieved of 100/s offered (Kubernetes' SLO: p99 ≤ 5 s; target 1 s);\n` +
        `  projected from the per-node / per-pod RSS: 1k nodes + 100k pods ≈ ${projectGiB(best, 1000, 100_000)} GiB, 5k nodes + 150k pods ≈ ${projectGiB(best, 5000, 150_000)} GiB (target 8 GiB).`,
    );
  }

  // Sizes not run this time keep their last figures (a 5000-node run need not repeat 100 and 1000).
  const previous = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, "utf8")) as { setup?: { podsPerNode?: string; bus?: SizeResult["bus"] }; results?: (SizeResult | { nodes: number; error: string })[] })
    : undefined;
  const kept = (previous?.results ?? [])
    .filter((r) => !sizes.includes(r.nodes))
    .map((r) => ("error" in r || r.podsPerNode ? r : { ...r, podsPerNode: previous?.setup?.podsPerNode ?? "10-30" }))
    // Files from before `bus` was recorded per size had one shape for all, in setup.
    .map((r) => ("error" in r || r.bus ? r : { ...r, bus: previous?.setup?.bus ?? "in-process" }));
  const allResults = [...kept, ...results].sort((a, b) => a.nodes - b.nodes);
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(
    RESULTS,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { platform: `${platform()} ${release()}`, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 1024 ** 3, 1), node: process.version },
        setup: {
          // Each result's `bus` says which of the two it measured.
          components: {
            "in-process": "store + API server + one kubelet with all nodes, in one process; no controllers, no scheduler",
            "nats-server":
              "store + API server + the bench's watches in one process, one kubelet process (apps/kubelet) with all nodes, nats-server between them; no controllers, no scheduler; RSS and CPU summed over the three processes, heap the first one's only",
          },
          store: process.env.BENCH_NODES_DURABLE === "1" ? "file backend (fsync)" : "memory backend (no fsync)",
          podsCreatedBound: true,
          leaseRenewSeconds: LEASE_PERIOD_S,
          steadySeconds: STEADY_S,
          latencyOfferedPerSec: OFFERED_RATE,
          latencySeconds: LATENCY_S,
        },
        kwokClaim: { nodes: 1000, pods: 100_000, createPerSec: 20 },
        results: allResults,
      },
      null,
      2,
    ) + "\n",
  );
  console.log(`\nwrote ${RESULTS}`);
};

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
