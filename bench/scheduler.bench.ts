/**
 * Scheduler benchmark: kube-scheduler's scheduler_perf shapes through the real
 * scheduler actor (startScheduler) binding into the real store.
 *
 *   SchedulingBasic    5000 nodes, 1000 initial pods, then 10000 measured pods
 *   TopologySpreading  5000 nodes in 3 zones, 1000 initial pods, then 2000 pods
 *                      with a zone DoNotSchedule constraint (maxSkew 1)
 *   PreemptionBasic    500 nodes filled with 2000 low-priority pods (900m cpu
 *                      each, 4 per 4-cpu node), then 500 high-priority pods
 *                      (3 cpu) that each must preempt three of them
 *
 * Shape (BENCH_SHAPE): by default `processes`, as a deployment runs it and
 * as scheduler_perf runs etcd + kube-apiserver + kube-scheduler: nats-server,
 * the store (apps/store), the API server (apps/apiserver) and the scheduler
 * (apps/scheduler) each in their own process, so the work spreads over the
 * cores; this process only creates the pods and watches them bound.
 * `scheduler-process` keeps the store and the API server in this process and
 * runs only the scheduler apart; `inline` runs all three here (each with its
 * own bus connection, as in `kubeactor up`; BENCH_TRANSPORT=memory for the
 * in-process bus). Nodes are
 * plain Node objects created through the API (no kubelets); low-priority pods
 * have terminationGracePeriodSeconds 0, so a preempted victim is gone at once
 * (with no kubelet nothing would finish a graceful deletion).
 *
 * podsPerSecond = measured pods / (first measured create → last measured
 * bound); latency = create call → the watch event that shows spec.nodeName.
 * Run with `npm run bench:scheduler`; figures go to bench/results/scheduler.json.
 *
 * Environment knobs (defaults are the reported setup):
 *   BENCH_SCALE (1): multiplies every node and pod count (0.1 for a quick run)
 *   BENCH_POD_SCALE (BENCH_SCALE): multiplies the pod counts only
 *   BENCH_WORKLOADS (all): comma-separated subset, e.g. SchedulingBasic
 *   BENCH_CONCURRENCY (50): creates in flight
 *   BENCH_TRANSPORT (nats): nats or memory
 *   BENCH_TIMEOUT_S (300): per phase
 *   BENCH_SHAPE (processes): processes, scheduler-process or inline (see
 *     Shape); BENCH_SCHEDULER=process / inline still select the latter two
 *   BENCH_CYCLES=1: count the scheduler's cycle records (kube.scheduler.cycle)
 *     over the measured phase: cycles (retries show as more cycles than pods)
 *     and decisionMsPerCycle (their mean durationMs, wall clock)
 *   BENCH_CPU_PROFILE_DIR: every child node process (store, API server,
 *     scheduler) writes a .cpuprofile there when it stops (bench/lib/cpu-profile.mjs),
 *     covering the measured phase only (SIGUSR2 starts it over); the pid of each is printed
 *
 * CPU per measured pod, from the measured phase (first measured create, or
 * the scheduler's start with BENCH_PRECREATED, to the last bound), from
 * /proc/<pid>/stat for children: cpuMsPerPod has one entry per process
 * (bench = this process: the pod creator and its watch, plus whatever runs
 * inline; store, apiserver, scheduler, nats-server) and their total.
 * processCpuMsPerPod (this process) and schedulerCpuMsPerPod (the scheduler,
 * wherever it runs apart) are kept for comparison with earlier results.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Bus, connectNats, createMemoryTransport, MemoryHub, schedulerCycle } from "@kubeactor/bus";
import { startApiServer } from "@kubeactor/apiserver";
import { ApiClient, Informer, StoreClient } from "@kubeactor/client";
import { startScheduler } from "@kubeactor/scheduler";
import { startStoreComponent } from "@kubeactor/store";
import { startProcess } from "@kubeactor/testing";
import { cleanupAll, installCleanupHandlers, removeDir, stopChild, tempDir, trackChild } from "./lib/cleanup.ts";
import { cpuMsOf } from "./lib/cpu.ts";
import { startNats, startStoreProcess } from "./lib/kubeactor.ts";
import { round, summarise } from "./lib/stats.ts";

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const POD_SCALE = Number(process.env.BENCH_POD_SCALE ?? SCALE);
const ONLY = process.env.BENCH_WORKLOADS?.split(",").filter(Boolean);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
/** nats (a real nats-server, the default: it routes subjects on the other core) or memory (the in-process bus). */
const TRANSPORT = process.env.BENCH_TRANSPORT ?? "nats";
/**
 * BENCH_PRECREATED=1: the measured pods are created while the scheduler is
 * stopped, then a fresh scheduler starts; podsPerSecond and latencies then
 * count from the moment it is ready (informers synced): the API's create
 * rate is left out.
 * Figures go to bench/results/scheduler-precreated[-process|-inline].json by shape.
 */
const PRECREATED = process.env.BENCH_PRECREATED === "1";
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 300) * 1000;
type Shape = "processes" | "scheduler-process" | "inline";
const SHAPE = (process.env.BENCH_SHAPE ??
  (process.env.BENCH_SCHEDULER === "process" ? "scheduler-process" : process.env.BENCH_SCHEDULER === "inline" ? "inline" : process.env.BENCH_TRANSPORT === "memory" ? "inline" : "processes")) as Shape;
if (!["processes", "scheduler-process", "inline"].includes(SHAPE)) throw new Error(`BENCH_SHAPE=${SHAPE}: expected processes, scheduler-process or inline`);
if (SHAPE !== "inline" && TRANSPORT !== "nats") throw new Error(`BENCH_SHAPE=${SHAPE} needs BENCH_TRANSPORT=nats`);
const SCHEDULER_PROCESS = SHAPE !== "inline";
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR;
const CYCLES = process.env.BENCH_CYCLES === "1";
/** Children get the profiling preload when BENCH_CPU_PROFILE_DIR is set. */
const childEnv = PROFILE_DIR ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${join(dirname(fileURLToPath(import.meta.url)), "lib", "cpu-profile.mjs")}`.trim() } : {};
const NS = "default";
const here = dirname(fileURLToPath(import.meta.url));
/**
 * scheduler.json (processes), scheduler-process.json (scheduler-process), scheduler-inline.json (inline);
 * with BENCH_PRECREATED scheduler-precreated[-process|-inline].json.
 */
const RESULTS = join(
  here,
  "results",
  `scheduler${PRECREATED ? "-precreated" : ""}${SHAPE === "scheduler-process" ? "-process" : SHAPE === "inline" ? "-inline" : ""}.json`,
);

const NODES = { group: "", version: "v1", resource: "nodes" };
const PODS = { group: "", version: "v1", resource: "pods" };
const PRIORITY_CLASSES = { group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses" };

type Obj = any;
const n = (v: number) => Math.max(1, Math.round(v * SCALE));
const p = (v: number) => Math.max(1, Math.round(v * POD_SCALE));

interface Workload {
  readonly name: string;
  readonly nodes: number;
  readonly initPods: number;
  readonly measuredPods: number;
  /** kube-scheduler's scheduler_perf threshold (pods/s). */
  readonly threshold: number;
  readonly node: (i: number) => Obj;
  readonly initPod: (i: number) => Obj;
  readonly measuredPod: (i: number) => Obj;
  readonly priorityClasses?: readonly Obj[];
}

/** scheduler_perf's node-default: 4 cpu, 32Gi, 110 pods. */
const node = (i: number, opts: { labels?: Record<string, string>; pods?: string } = {}) => {
  const allocatable = { cpu: "4", memory: "32Gi", pods: opts.pods ?? "110" };
  const name = `node-${i}`;
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...(opts.labels ?? {}) } },
    status: { capacity: allocatable, allocatable, conditions: [{ type: "Ready", status: "True" }] },
  };
};
const pod = (name: string, opts: { cpu?: string; labels?: Record<string, string>; spec?: Obj } = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: NS, ...(opts.labels ? { labels: opts.labels } : {}) },
  spec: {
    containers: [{ name: "pause", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: opts.cpu ?? "100m", memory: "500Mi" } } }],
    ...(opts.spec ?? {}),
  },
});

const ZONES = ["moon-1", "moon-2", "moon-3"];
const WORKLOADS: readonly Workload[] = [
  {
    name: "SchedulingBasic",
    nodes: n(5000),
    initPods: p(1000),
    measuredPods: p(10000),
    threshold: 270,
    node: (i) => node(i),
    initPod: (i) => pod(`init-${i}`),
    measuredPod: (i) => pod(`pod-${i}`),
  },
  {
    name: "TopologySpreading",
    nodes: n(5000),
    initPods: p(1000),
    measuredPods: p(2000),
    threshold: 85,
    node: (i) => node(i, { labels: { "topology.kubernetes.io/zone": ZONES[i % ZONES.length]! } }),
    initPod: (i) => pod(`init-${i}`),
    measuredPod: (i) =>
      pod(`spread-${i}`, {
        labels: { color: "blue" },
        spec: {
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { color: "blue" } } },
          ],
        },
      }),
  },
  {
    name: "PreemptionBasic",
    nodes: n(500),
    initPods: n(500) * 4,
    measuredPods: n(500),
    threshold: 18,
    node: (i) => node(i),
    initPod: (i) => pod(`low-${i}`, { cpu: "900m", spec: { priorityClassName: "low", terminationGracePeriodSeconds: 0 } }),
    measuredPod: (i) => pod(`high-${i}`, { cpu: "3", spec: { priorityClassName: "high" } }),
    priorityClasses: [
      { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "low" }, value: 10 },
      { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "high" }, value: 1000 },
    ],
  },
];

interface BenchScheduler {
  progress(): string;
  /** The scheduler's process when it runs apart. */
  readonly pid?: number;
  stop(): Promise<void>;
}

/** A request that timed out on a loaded machine is tried again; AlreadyExists then means the first try went through. */
const withRetry = async (fn: () => Promise<unknown>, tries = 5): Promise<unknown> => {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const code = (e as { status?: { code?: number } }).status?.code;
      if (code === 409 && i > 1) return undefined;
      if (i >= tries || (code !== 504 && !/timed out/.test((e as Error).message))) throw e;
    }
  }
};

/** Run `fn(i)` for i in [0, count) with at most CONCURRENCY in flight. */
const pool = async (count: number, fn: (i: number) => Promise<unknown>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
};

const waitFor = async (what: string, done: () => boolean, progress: () => string) => {
  const deadline = performance.now() + TIMEOUT_MS;
  let lastLog = performance.now();
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${what}: timed out after ${TIMEOUT_MS / 1000} s (${progress()})`);
    if (performance.now() - lastLog > 10_000) {
      console.error(`bench: ${what}: ${progress()}`);
      lastLog = performance.now();
    }
    await new Promise((r) => setTimeout(r, 20));
  }
};

const runWorkload = async (w: Workload) => {
  const hub = new MemoryHub();
  const nats = TRANSPORT === "nats" ? await startNats() : undefined;
  const connect = async () => new Bus(nats ? await connectNats({ servers: nats.url, name: "bench" }) : createMemoryTransport(hub), { log: () => {} });
  const quiet = () => {};
  const dir = tempDir(`scheduler-${w.name}`);
  /** Child processes whose CPU is measured, by role. */
  const pids: Record<string, number | undefined> = { ...(nats ? { nats: nats.process.pid } : {}) };
  let stopServers: () => Promise<void>;
  if (SHAPE === "processes") {
    const store = await startStoreProcess(dir, nats!.url, [], childEnv);
    pids.store = store.proc.child.pid;
    const api = await startProcess("apps/apiserver/src/main.ts", ["--nats", nats!.url, "--port", "0"], { ready: /serving the Kubernetes API/, timeoutMs: 120_000, env: childEnv });
    trackChild(api.child);
    pids.apiserver = api.child.pid;
    stopServers = async () => {
      await stopChild(api.child);
      await store.stop();
    };
  } else {
    const store = await startStoreComponent({ bus: await connect(), dir });
    const apiserver = await startApiServer({ bus: await connect(), port: 0, log: quiet });
    stopServers = async () => {
      await apiserver.close();
      await store.stop();
    };
  }
  const benchBus = await connect();
  const api = new ApiClient(benchBus);
  for (const pc of w.priorityClasses ?? []) await api.create(PRIORITY_CLASSES, "", pc);

  const t0 = performance.now();
  await pool(w.nodes, async (i) => {
    const body = w.node(i);
    const created = ((await withRetry(() => api.create(NODES, "", body))) ?? (await api.get(NODES, "", body.metadata.name))) as Obj;
    await withRetry(() => api.updateStatus(NODES, "", { ...created, status: body.status }));
  });
  console.error(`bench: ${w.name}: ${w.nodes} nodes created in ${round((performance.now() - t0) / 1000)} s`);

  // Create → bound, from watch events.
  const createdAt = new Map<string, number>();
  const boundAt = new Map<string, number>();
  // No indexes: only the handlers read it (the standard four cost this process CPU on every pod event).
  const watch = new Informer(benchBus, new StoreClient(benchBus), { group: "", resource: "pods", log: quiet, indexes: {} });
  const onPod = (o: Obj) => {
    const name = o.metadata?.name as string;
    if (o.spec?.nodeName && !boundAt.has(name)) boundAt.set(name, performance.now());
  };
  watch.addHandler({ onAdd: onPod, onUpdate: (_old, o) => onPod(o) });
  await watch.start();
  // BENCH_CYCLES=1: the scheduler's own account of each decision (kube.scheduler.cycle): cycles run and time spent deciding.
  // Off by default: a subscriber makes nats-server deliver every cycle record, which a deployment without an inspector does not.
  const cycles = { count: 0, ms: 0 };
  const cycleSub = CYCLES
    ? benchBus.subscribe(schedulerCycle, {}, (c) => {
        cycles.count++;
        cycles.ms += c.durationMs;
      })
    : undefined;

  const startSched = async (): Promise<BenchScheduler> => {
    if (!SCHEDULER_PROCESS) {
      const running = await startScheduler({ bus: await connect(), log: quiet });
      return { progress: () => `scheduler queue ${JSON.stringify(running.queue.lengths)}, ${JSON.stringify(running.actor?.getSnapshot().context ?? {})}`, stop: () => running.stop() };
    }
    const proc = await startProcess("apps/scheduler/src/main.ts", ["--nats", nats!.url, "--leader-elect=false"], { ready: /scheduler: ready/, timeoutMs: 120_000, env: childEnv });
    trackChild(proc.child);
    return { progress: () => "scheduler in its own process", pid: proc.child.pid!, stop: () => stopChild(proc.child) };
  };
  /** CPU milliseconds so far of this process and of every child by role. */
  const cpuNow = (): Record<string, number> => {
    const { user, system } = process.cpuUsage();
    const out: Record<string, number> = { bench: (user + system) / 1000 };
    for (const [role, pid] of Object.entries({ ...pids, ...(scheduler.pid ? { scheduler: scheduler.pid } : {}) })) out[role] = cpuMsOf(pid);
    return out;
  };
  let scheduler = await startSched();
  /** With BENCH_CPU_PROFILE_DIR: the children's profiles start over here, so they cover the measured phase only. */
  const restartProfiles = () => {
    if (!PROFILE_DIR) return;
    for (const [role, pid] of Object.entries({ ...pids, scheduler: scheduler.pid })) if (role !== "nats" && pid) process.kill(pid, "SIGUSR2");
  };
  if (PROFILE_DIR) console.error(`bench: profiles in ${PROFILE_DIR}: ${JSON.stringify({ ...pids, scheduler: scheduler.pid })}`);
  const createPods = (count: number, make: (i: number) => Obj) =>
    pool(count, async (i) => {
      const body = make(i);
      createdAt.set(body.metadata.name, performance.now());
      await withRetry(() => api.create(PODS, NS, body));
    });

  const t1 = performance.now();
  await createPods(w.initPods, w.initPod);
  const initNames = Array.from({ length: w.initPods }, (_, i) => w.initPod(i).metadata.name as string);
  const initBound = () => initNames.filter((x) => boundAt.has(x)).length;
  await waitFor(`${w.name} initial pods`, () => initBound() === w.initPods, () => `${initBound()}/${w.initPods} bound`);
  console.error(`bench: ${w.name}: ${w.initPods} initial pods bound in ${round((performance.now() - t1) / 1000)} s`);

  const names = Array.from({ length: w.measuredPods }, (_, i) => w.measuredPod(i).metadata.name as string);
  const bound = () => names.filter((x) => boundAt.has(x)).length;
  if (PRECREATED) await scheduler.stop();
  let start = performance.now();
  let cpu0 = cpuNow();
  restartProfiles();
  let cycles0 = { ...cycles };
  await createPods(w.measuredPods, w.measuredPod);
  const createdAll = performance.now();
  const createSeconds = (createdAll - start) / 1000;
  if (PRECREATED) {
    const t = performance.now();
    scheduler = await startSched();
    console.error(`bench: ${w.name}: scheduler restarted (informers synced) in ${round((performance.now() - t) / 1000)} s`);
    // Counted from the moment it is ready to schedule.
    start = performance.now();
    cpu0 = cpuNow();
    restartProfiles();
    cycles0 = { ...cycles };
    for (const name of names) createdAt.set(name, start);
  }
  console.error(`bench: ${w.name}: ${w.measuredPods} pods created in ${round(createSeconds)} s, ${bound()} bound by then`);
  let timedOut = false;
  try {
    await waitFor(
      `${w.name} measured pods`,
      () => bound() === w.measuredPods,
      () => `${bound()}/${w.measuredPods} bound; ${scheduler.progress()}`,
    );
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    timedOut = true;
  }
  const cpu1 = cpuNow();
  const cycles1 = { ...cycles };
  const boundNames = names.filter((x) => boundAt.has(x));
  const end = Math.max(...boundNames.map((x) => boundAt.get(x)!));
  const latency = summarise(boundNames.map((x) => boundAt.get(x)! - createdAt.get(x)!));
  const podsPerSecond = round(boundNames.length / ((end - start) / 1000), 1);
  const perPod = (ms: number) => round(ms / Math.max(1, boundNames.length), 2);
  const cpuMsPerPod: Record<string, number> = {};
  for (const role of Object.keys(cpu1)) cpuMsPerPod[role] = perPod(cpu1[role]! - (cpu0[role] ?? 0));
  cpuMsPerPod.total = round(Object.values(cpuMsPerPod).reduce((a, b) => a + b, 0), 2);
  const result = {
    workload: w.name,
    nodes: w.nodes,
    initPods: w.initPods,
    measuredPods: w.measuredPods,
    boundPods: boundNames.length,
    ...(timedOut ? { timedOut: true } : {}),
    podsPerSecond,
    /** The API's create rate alone (creates in flight: BENCH_CONCURRENCY): a ceiling for podsPerSecond. */
    createsPerSecond: round(w.measuredPods / createSeconds, 1),
    ...(PRECREATED ? { precreated: true } : {}),
    shape: SHAPE,
    scheduler: SCHEDULER_PROCESS ? "process" : "inline",
    cpuMsPerPod,
    processCpuMsPerPod: cpuMsPerPod.bench!,
    ...(SCHEDULER_PROCESS ? { schedulerCpuMsPerPod: cpuMsPerPod.scheduler! } : {}),
    /** Scheduling cycles over the measured phase (more than the pods: retries), and their mean duration (the decision alone, wall clock). */
    ...(CYCLES ? { cycles: cycles1.count - cycles0.count, decisionMsPerCycle: round((cycles1.ms - cycles0.ms) / Math.max(1, cycles1.count - cycles0.count), 3) } : {}),
    p50LatencyMs: round(latency.p50Ms, 1),
    p99LatencyMs: round(latency.p99Ms, 1),
    kubeSchedulerThreshold: w.threshold,
    ratioToKubeScheduler: round(podsPerSecond / w.threshold, 2),
    loadAverage: loadavg().map((l) => round(l, 2)),
  };
  console.log(JSON.stringify(result));

  await scheduler.stop();
  watch.stop();
  cycleSub?.unsubscribe();
  await stopServers();
  await nats?.stop();
  removeDir(dir);
  return result;
};

const main = async () => {
  installCleanupHandlers();
  const results: Awaited<ReturnType<typeof runWorkload>>[] = [];
  for (const w of WORKLOADS) if (!ONLY || ONLY.includes(w.name)) results.push(await runWorkload(w));
  mkdirSync(dirname(RESULTS), { recursive: true });
  // A run of some workloads (BENCH_WORKLOADS) replaces only their entries.
  const previous = existsSync(RESULTS) ? ((JSON.parse(readFileSync(RESULTS, "utf8")) as { results?: { workload: string }[] }).results ?? []) : [];
  const merged = [...previous.filter((r) => !results.some((x) => x.workload === r.workload)), ...results].sort(
    (a, b) => WORKLOADS.findIndex((w) => w.name === a.workload) - WORKLOADS.findIndex((w) => w.name === b.workload),
  );
  writeFileSync(
    RESULTS,
    `${JSON.stringify({ date: new Date().toISOString(), machine: { cpus: cpus().length, platform: platform(), release: release(), node: process.version }, scale: SCALE, results: merged }, null, 2)}\n`,
  );
  console.error(`bench: figures in ${RESULTS}`);
};

main()
  .then(() => {
    cleanupAll();
    process.exit(0);
  })
  .catch((e) => {
    console.error(`bench: ${(e as Error).stack ?? e}`);
    cleanupAll();
    process.exit(1);
  });
