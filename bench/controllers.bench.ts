/**
 * Controller benchmark: how long the control plane takes to bring a
 * 1000-replica Deployment to fully available on 100 simulated nodes, then to
 * roll it out to a new image (maxSurge 25%, maxUnavailable 25%); the
 * controllers' reconciles per second and queue depths over time, sampled.
 *
 * Shape: a real nats-server and the store as its own process (as in
 * `npm run dev`); the API server, controller manager, scheduler and the
 * kubelet (all 100 nodes) share this process, as in `kubeactor up`, so
 * `node --cpu-prof` on this process profiles the controllers.
 * Run with `npm run bench:controllers`; figures go to bench/results/controllers.json.
 *
 * Environment knobs (defaults are the reported setup):
 *   BENCH_REPLICAS (1000), BENCH_NODES (100), BENCH_SAMPLE_MS (1000), BENCH_TIMEOUT_S (900)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Bus, connectNats } from "@kubeactor/bus";
import { startApiServer } from "@kubeactor/apiserver";
import { ApiClient } from "@kubeactor/client";
import { type ControllerManager, DEPLOYMENTS, REPLICASETS, startControllerManager } from "@kubeactor/controllers";
import { startKubelet } from "@kubeactor/kubelet";
import { startScheduler } from "@kubeactor/scheduler";
import { cleanupAll, installCleanupHandlers, tempDir } from "./lib/cleanup.ts";
import { startNats, startStoreProcess } from "./lib/kubeactor.ts";
import { round } from "./lib/stats.ts";

const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 1000);
const NODES = Number(process.env.BENCH_NODES ?? 100);
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 1000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 900) * 1000;
const NS = "default";

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(here, "results", "controllers.json");

type Obj = any;
interface Sample {
  readonly t: number;
  readonly phase: string;
  /** Deepest queue per controller since the previous sample, and the scheduler's pending pods (active + backoff + in flight). */
  readonly depth: Record<string, number>;
  /** Reconciles per second per controller since the previous sample. */
  readonly reconcilesPerSec: Record<string, number>;
  readonly available: number;
}

const deployment = (image: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "bench", namespace: NS },
  spec: {
    replicas: REPLICAS,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    selector: { matchLabels: { app: "bench" } },
    template: { metadata: { labels: { app: "bench" } }, spec: { containers: [{ name: "web", image }] } },
  },
});

const main = async () => {
  installCleanupHandlers();
  const log = (line: string) => console.log(`bench: ${line}`);
  const nats = await startNats();
  const store = await startStoreProcess(tempDir("controllers"), nats.url);
  const connect = async (name: string) => new Bus(await connectNats({ servers: nats.url, name }), { log: () => {} });
  const quiet = () => {};
  const apiserver = await startApiServer({ bus: await connect("apiserver"), port: 0, log: quiet });
  const manager: ControllerManager = await startControllerManager({ bus: await connect("controller-manager"), log: quiet });
  const scheduler = await startScheduler({ bus: await connect("scheduler"), log: quiet });
  const t0 = performance.now();
  const kubelet = await startKubelet({ bus: await connect("kubelet"), nodes: NODES, log: quiet });
  log(`${NODES} simulated nodes registered in ${round((performance.now() - t0) / 1000)} s`);
  const api = new ApiClient(await connect("bench"));

  const runtime = () => manager.actor.getSnapshot().context.runtime;
  const processed = (): Record<string, number> => Object.fromEntries(runtime().queueStats().map((q) => [q.name, q.processed]));
  const samples: Sample[] = [];
  let phase = "create";
  let available = 0;
  let last = { at: performance.now(), processed: processed() };
  const start = performance.now();
  // Queues drain in well under a second: the depth reported per sample is the
  // deepest seen by a 20 ms probe since the previous sample.
  const depthNow = (): Record<string, number> => {
    const l = scheduler.queue.lengths;
    return { ...Object.fromEntries(runtime().queueStats().map((q) => [q.name, q.depth])), scheduler: l.active + l.backoff + l.inFlight };
  };
  let deepest: Record<string, number> = {};
  const probe = setInterval(() => {
    for (const [k, v] of Object.entries(depthNow())) deepest[k] = Math.max(deepest[k] ?? 0, v);
  }, 20);
  const sampler = setInterval(() => {
    const now = performance.now();
    const stats = runtime().queueStats();
    const dt = (now - last.at) / 1000;
    const cur = Object.fromEntries(stats.map((q) => [q.name, q.processed]));
    samples.push({
      t: round((now - start) / 1000),
      phase,
      depth: deepest,
      reconcilesPerSec: Object.fromEntries(stats.map((q) => [q.name, round((q.processed - (last.processed[q.name] ?? 0)) / dt)])),
      available,
    });
    deepest = {};
    last = { at: now, processed: cur };
  }, SAMPLE_MS);

  /** Polls the Deployment until `done` holds; returns the seconds it took and the reconciles per controller meanwhile. */
  const phaseRun = async (name: string, act: () => Promise<unknown>, done: (d: Obj) => Promise<boolean>) => {
    phase = name;
    const before = processed();
    const begin = performance.now();
    await act();
    for (;;) {
      const d = (await api.get(DEPLOYMENTS, NS, "bench")) as Obj;
      available = d.status?.availableReplicas ?? 0;
      if (await done(d)) break;
      if (performance.now() - begin > TIMEOUT_MS) throw new Error(`${name}: not done after ${TIMEOUT_MS / 1000} s (status ${JSON.stringify(d.status)})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - begin) / 1000;
    const after = processed();
    const reconciles: Record<string, number> = {};
    for (const [k, n] of Object.entries(after)) if (n - (before[k] ?? 0) > 0) reconciles[k] = n - (before[k] ?? 0);
    const total = Object.values(reconciles).reduce((a, b) => a + b, 0);
    const result = { seconds: round(seconds), reconciles, reconcilesPerSec: round(total / seconds) };
    log(`${name}: ${result.seconds} s, ${total} reconciles (${result.reconcilesPerSec}/s): ${JSON.stringify(reconciles)}`);
    return result;
  };

  const settled = (generation: number) => async (d: Obj) => {
    const s = d.status ?? {};
    if (s.observedGeneration !== generation || s.updatedReplicas !== REPLICAS || s.availableReplicas !== REPLICAS || s.replicas !== REPLICAS) return false;
    // Complete also means the old ReplicaSets are scaled to zero.
    const sets = ((await api.list(REPLICASETS, NS)).items ?? []) as Obj[];
    return sets.filter((rs) => (rs.spec?.replicas ?? 0) > 0).length === 1;
  };

  const create = await phaseRun("create", () => api.create(DEPLOYMENTS, NS, deployment("nginx:1.27")), settled(1));
  const rollout = await phaseRun(
    "rollout",
    async () => {
      const d = (await api.get(DEPLOYMENTS, NS, "bench")) as Obj;
      await api.update(DEPLOYMENTS, NS, { ...d, spec: { ...d.spec, template: deployment("nginx:1.28").spec.template } });
    },
    settled(2),
  );
  clearInterval(sampler);
  clearInterval(probe);

  const peak = (p: string) => {
    const in_ = samples.filter((s) => s.phase === p);
    const keys = new Set(in_.flatMap((s) => Object.keys(s.depth)));
    return Object.fromEntries([...keys].map((k) => [k, Math.max(0, ...in_.map((s) => s.depth[k] ?? 0))]));
  };
  const result = {
    benchmark: "controllers",
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30), os: `${platform()} ${release()}`, node: process.version },
    setup: { replicas: REPLICAS, nodes: NODES, strategy: "RollingUpdate maxSurge 25% maxUnavailable 25%", sampleMs: SAMPLE_MS, bus: "nats-server", store: "separate process (file backend, fsync)" },
    create: { ...create, peakQueueDepth: peak("create") },
    rollout: { ...rollout, peakQueueDepth: peak("rollout") },
    samples,
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  log(`peak queue depth: create ${JSON.stringify(result.create.peakQueueDepth)}, rollout ${JSON.stringify(result.rollout.peakQueueDepth)}`);
  log(`figures written to ${RESULTS}`);

  await kubelet.stop();
  await scheduler.stop();
  await manager.stop();
  await apiserver.close();
  await store.stop();
  await nats.stop();
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
