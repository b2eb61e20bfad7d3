/**
 * What XState inspection costs: the same cluster (`kubeactor up` in one
 * process on a nats-server child) rolls out the same Deployment with
 * `--inspect` off and on, alternating rounds so that machine noise hits both
 * sides alike, while a NATS subscriber (standing in for `kubeactor inspect`)
 * consumes every inspection record. Throughput is pods Running per second,
 * from create to all available and from scale-to-zero to all pods gone.
 * Run with `npm run bench:inspect`; figures go to bench/results/inspect.json.
 *
 * Environment knobs:
 *   BENCH_REPLICAS  pods per rollout (default 600)
 *   BENCH_NODES     simulated nodes (default 20)
 *   BENCH_ROUNDS    rounds per side (default 3)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { freePort } from "@kubeactor/bus";
import { startCluster } from "../apps/kubeactor/src/up.ts";
import { cleanupAll, installCleanupHandlers, removeDir, tempDir } from "./lib/cleanup.ts";
import { round } from "./lib/stats.ts";

const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 600);
const NODES = Number(process.env.BENCH_NODES ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), "results", "inspect.json");

interface Round {
  readonly inspect: boolean;
  readonly rolloutSeconds: number;
  readonly teardownSeconds: number;
  readonly podsPerSecond: number;
  readonly inspectionRecords: number;
}

const api = async (base: string, method: string, path: string, body?: unknown, contentType = "application/json") => {
  const res = await fetch(`${base}${path}`, { method, headers: { "Content-Type": contentType }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { code: res.status, body: (await res.json()) as any };
};

const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 600_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const oneRound = async (inspect: boolean): Promise<Round> => {
  const dataDir = tempDir("inspect");
  const port = await freePort();
  const natsPort = await freePort();
  const cluster = await startCluster({ dataDir, port, natsPort, nodes: NODES, inspect }, () => {});
  const nc = await connect({ servers: `nats://127.0.0.1:${natsPort}`, name: "bench-inspect-viewer" });
  let records = 0;
  const sub = nc.subscribe("kube.inspect.>", {
    callback: (err, msg) => {
      if (err) return;
      JSON.parse(msg.string()); // what a viewer does with each record
      records++;
    },
  });
  try {
    const base = cluster.apiUrl;
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "load" },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: "load" } },
        template: { metadata: { labels: { app: "load" } }, spec: { containers: [{ name: "c", image: "nginx", resources: { requests: { cpu: "1m" } } }] } },
      },
    };
    const t0 = performance.now();
    const created = await api(base, "POST", "/apis/apps/v1/namespaces/default/deployments", deployment);
    if (created.code !== 201) throw new Error(`create: ${JSON.stringify(created.body)}`);
    await waitFor("all replicas available", async () => (await api(base, "GET", "/apis/apps/v1/namespaces/default/deployments/load")).body.status?.availableReplicas === REPLICAS);
    const rolloutSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await api(base, "PATCH", "/apis/apps/v1/namespaces/default/deployments/load", { spec: { replicas: 0 } }, "application/merge-patch+json");
    await waitFor("all pods gone", async () => (await api(base, "GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dload&limit=1")).body.items.length === 0);
    const teardownSeconds = (performance.now() - t1) / 1000;
    return {
      inspect,
      rolloutSeconds: round(rolloutSeconds),
      teardownSeconds: round(teardownSeconds),
      podsPerSecond: round(REPLICAS / rolloutSeconds, 1),
      inspectionRecords: records,
    };
  } finally {
    sub.unsubscribe();
    await nc.close();
    await cluster.stop();
    removeDir(dataDir);
  }
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const main = async () => {
  installCleanupHandlers();
  console.log(`inspection overhead: ${REPLICAS} pods on ${NODES} simulated nodes, ${ROUNDS} rounds per side, ${cpus().length} cores`);
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const inspect of [false, true]) {
      const r = await oneRound(inspect);
      rounds.push(r);
      console.log(
        `  inspect ${inspect ? "on " : "off"}: rollout ${r.rolloutSeconds.toFixed(2)} s (${r.podsPerSecond} pods/s), teardown ${r.teardownSeconds.toFixed(2)} s, ${r.inspectionRecords} inspection records`,
      );
    }
  }
  const side = (on: boolean) => rounds.filter((r) => r.inspect === on);
  const offRate = mean(side(false).map((r) => r.podsPerSecond));
  const onRate = mean(side(true).map((r) => r.podsPerSecond));
  const offTotal = mean(side(false).map((r) => r.rolloutSeconds + r.teardownSeconds));
  const onTotal = mean(side(true).map((r) => r.rolloutSeconds + r.teardownSeconds));
  const summary = {
    replicas: REPLICAS,
    nodes: NODES,
    rounds: ROUNDS,
    podsPerSecondOff: round(offRate, 1),
    podsPerSecondOn: round(onRate, 1),
    rolloutThroughputRatio: round(onRate / offRate),
    /** Cost of inspection on the whole create + teardown cycle (target ≤ 5 %). */
    overheadPercent: round((onTotal / offTotal - 1) * 100, 1),
  };
  console.log(
    `\nrollout: ${summary.podsPerSecondOff} pods/s off, ${summary.podsPerSecondOn} on (ratio ${summary.rolloutThroughputRatio}); create + teardown overhead ${summary.overheadPercent} % (target ≤ 5 %)`,
  );
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, summary, rounds }, null, 2) + "\n");
  console.log(`written ${RESULTS}`);
};

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
