/**
 * Store benchmark: kubeactor's store (file backend behind NATS; creates also
 * on the JetStream KV backend) against etcd
 * on the same machine, same payload, same concurrency, both durable (fsync
 * before acknowledging). Run with `npm run bench:store`; figures go to
 * bench/results/store.json.
 *
 * Environment knobs (for quick iterations, defaults are the reported setup):
 *   BENCH_DURATION_MS  measured window per write point (default 5000)
 *   BENCH_RESTART_OBJECTS  objects for the restart test (default 100000)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Etcd3 } from "etcd3";
import { type Bus, type JsonObject, watchChange } from "@kubeactor/bus";
import { createFileBackend } from "@kubeactor/store";
import { cleanupAll, installCleanupHandlers, removeDir, tempDir } from "./lib/cleanup.ts";
import { startEtcd } from "./lib/etcd.ts";
import { connectClient, startNats, startStoreProcess, storeDirOf } from "./lib/kubeactor.ts";
import { type LoadResult, runAtRate, runClosedLoop } from "./lib/load.ts";
import { round, summarise, type LatencySummary } from "./lib/stats.ts";

const CONCURRENCY = [1, 8, 64] as const;
const WARMUP_MS = 1000;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const VALUE_BYTES = 1024;
const WATCHERS = 100;
/** Connections the watchers are spread over: watchers are separate components (API servers) in reality, not one socket. */
const WATCH_CONNECTIONS = 4;
const WATCH_RATE = 200;
const WATCH_DURATION_MS = 5000;
/** Writes in the first second are delivered but not counted: connection set-up and JIT are not watch latency. */
const WATCH_WARMUP_WRITES = WATCH_RATE;
const RESTART_OBJECTS = Number(process.env.BENCH_RESTART_OBJECTS ?? 100_000);

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(here, "results", "store.json");

// One random 1 KiB value shared by every object: JSON-safe, incompressible enough, identical bytes on both sides.
const VALUE = Buffer.from(Array.from({ length: (VALUE_BYTES * 3) / 4 }, () => Math.floor(Math.random() * 256))).toString("base64");

/** A ConfigMap as the API server would hand it to storage. */
const configMap = (namespace: string, name: string): JsonObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, uid: `bench-${namespace}-${name}`, creationTimestamp: "2025-01-01T00:00:00Z" },
  data: { value: VALUE },
});

const etcdKey = (namespace: string, name: string) => `/registry/configmaps/${namespace}/${name}`;

/** Kubernetes' create in etcd: put only if the key has never been written (ModRevision == 0), in one txn. */
const etcdCreate = (etcd: Etcd3, namespace: string, name: string) => {
  const key = etcdKey(namespace, name);
  return etcd
    .if(key, "Mod", "==", 0)
    .then(etcd.put(key).value(JSON.stringify(configMap(namespace, name))))
    .commit()
    .then((r) => {
      if (!r.succeeded) throw new Error(`${key} already exists`);
    });
};

const log = (line: string) => console.log(line);
const fmt = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");

// ---------------------------------------------------------------- writes

/**
 * Both systems run side by side and the points alternate (kubeactor, etcd at 1
 * client, then at 8, ...), so a noisy neighbour or disk hiccup hits both
 * rather than biasing one system's whole series. The idle one only ticks.
 */
const writesSideBySide = async (natsUrl: string): Promise<{ kubeactor: LoadResult[]; etcd: LoadResult[] }> => {
  const storeData = tempDir("store-writes");
  const etcdData = tempDir("etcd-writes");
  const store = await startStoreProcess(storeData, natsUrl);
  const etcdServer = await startEtcd(etcdData);
  // One connection (one etcd3 client) shared by all clients on each side, like one API server's storage client.
  const { bus, client } = await connectClient(natsUrl, "bench-writer");
  const etcd = new Etcd3({ hosts: etcdServer.url });
  try {
    const out = { kubeactor: [] as LoadResult[], etcd: [] as LoadResult[] };
    for (const clients of CONCURRENCY) {
      const ns = `w${clients}`;
      const k = await runClosedLoop({
        clients,
        warmupMs: WARMUP_MS,
        durationMs: DURATION_MS,
        op: (_c, seq) => client.create({ group: "", resource: "configmaps", namespace: ns, name: `cm-${seq}` }, configMap(ns, `cm-${seq}`)),
      });
      log(`  kubeactor ${String(clients).padStart(2)} clients: ${fmt(k.opsPerSec, 0)} creates/s, p50 ${fmt(k.p50Ms)} ms, p99 ${fmt(k.p99Ms)} ms`);
      const e = await runClosedLoop({ clients, warmupMs: WARMUP_MS, durationMs: DURATION_MS, op: (_c, seq) => etcdCreate(etcd, ns, `cm-${seq}`) });
      log(`  etcd      ${String(clients).padStart(2)} clients: ${fmt(e.opsPerSec, 0)} creates/s, p50 ${fmt(e.p50Ms)} ms, p99 ${fmt(e.p99Ms)} ms`);
      out.kubeactor.push(k);
      out.etcd.push(e);
    }
    return out;
  } finally {
    await bus.close();
    etcd.close();
    await store.stop();
    await etcdServer.stop();
    removeDir(storeData);
    removeDir(etcdData);
  }
};

/**
 * The same creates on the JetStream KV backend (`--store-backend jetstream`):
 * its own nats-server with JetStream (one store per bus: two would share the
 * kube.store.* queue group), run after the file/etcd pairs.
 */
const jetstreamWrites = async (): Promise<LoadResult[]> => {
  const nats = await startNats({ jetstream: true });
  const storeData = tempDir("store-jetstream");
  const store = await startStoreProcess(storeData, nats.url, ["--store-backend", "jetstream"]);
  const { bus, client } = await connectClient(nats.url, "bench-writer-js");
  try {
    const out: LoadResult[] = [];
    for (const clients of CONCURRENCY) {
      const ns = `j${clients}`;
      const j = await runClosedLoop({
        clients,
        warmupMs: WARMUP_MS,
        durationMs: DURATION_MS,
        op: (_c, seq) => client.create({ group: "", resource: "configmaps", namespace: ns, name: `cm-${seq}` }, configMap(ns, `cm-${seq}`)),
      });
      log(`  jetstream ${String(clients).padStart(2)} clients: ${fmt(j.opsPerSec, 0)} creates/s, p50 ${fmt(j.p50Ms)} ms, p99 ${fmt(j.p99Ms)} ms`);
      out.push(j);
    }
    return out;
  } finally {
    await bus.close();
    await store.stop();
    await nats.stop();
    removeDir(storeData);
  }
};

// ---------------------------------------------------------------- watch

interface WatchResult extends LatencySummary {
  readonly watchers: number;
  readonly writes: number;
  readonly expected: number;
  readonly missing: number;
}

/**
 * Latency = delivery to a watcher minus the moment the writer started the
 * create (both clocks in this process), so it includes the durable commit:
 * a watcher can never see a write earlier than that, on either system.
 */
const collectWatch = async (
  writes: (sent: Map<string, number>) => Promise<number>,
  deliveries: number[],
  delivered: () => number,
): Promise<WatchResult> => {
  const sent = new Map<string, number>();
  const total = await writes(sent);
  const expected = total * WATCHERS;
  const deadline = Date.now() + 10_000;
  while (delivered() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return { watchers: WATCHERS, writes: total, expected, missing: expected - delivered(), ...summarise(deliveries) };
};

const kubeactorWatch = async (natsUrl: string): Promise<WatchResult> => {
  const dataDir = tempDir("store-watch");
  const store = await startStoreProcess(dataDir, natsUrl);
  const writer = await connectClient(natsUrl, "bench-watch-writer");
  const conns: Bus[] = [];
  try {
    for (let i = 0; i < WATCH_CONNECTIONS; i++) conns.push((await connectClient(natsUrl, `bench-watcher-${i}`)).bus);
    const latencies: number[] = [];
    let sent: Map<string, number> | undefined;
    for (let w = 0; w < WATCHERS; w++) {
      conns[w % WATCH_CONNECTIONS]!.subscribe(watchChange, { group: "", resource: "configmaps", namespace: "watch" }, (event) => {
        const t = sent?.get((event.object.metadata as { name: string }).name);
        if (t !== undefined) latencies.push(performance.now() - t);
      });
    }
    // Subscriptions are live on the server only after a round trip.
    await Promise.all(conns.map((b) => b.transport.flush()));
    const r = await collectWatch(
      (s) => {
        sent = s;
        return runAtRate({
          ratePerSec: WATCH_RATE,
          durationMs: WATCH_DURATION_MS + (WATCH_WARMUP_WRITES / WATCH_RATE) * 1000,
          op: (i) => {
            if (i >= WATCH_WARMUP_WRITES) s.set(`cm-${i}`, performance.now());
            return writer.client.create({ group: "", resource: "configmaps", namespace: "watch", name: `cm-${i}` }, configMap("watch", `cm-${i}`));
          },
        }).then((n) => n - WATCH_WARMUP_WRITES);
      },
      latencies,
      () => latencies.length,
    );
    log(`  kubeactor: ${r.count} deliveries, p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms, missing ${r.missing}`);
    return r;
  } finally {
    await Promise.all(conns.map((b) => b.close()));
    await writer.bus.close();
    await store.stop();
    removeDir(dataDir);
  }
};

const etcdWatch = async (): Promise<WatchResult> => {
  const dataDir = tempDir("etcd-watch");
  const etcd = await startEtcd(dataDir);
  const writer = new Etcd3({ hosts: etcd.url });
  const conns = Array.from({ length: WATCH_CONNECTIONS }, () => new Etcd3({ hosts: etcd.url }));
  try {
    const latencies: number[] = [];
    let sent: Map<string, number> | undefined;
    const prefix = etcdKey("watch", "");
    const watchers = await Promise.all(
      Array.from({ length: WATCHERS }, (_, w) => conns[w % WATCH_CONNECTIONS]!.watch().prefix(prefix).create()),
    );
    for (const watcher of watchers) {
      watcher.on("put", (kv) => {
        const t = sent?.get(kv.key.toString().slice(prefix.length));
        if (t !== undefined) latencies.push(performance.now() - t);
      });
    }
    const r = await collectWatch(
      (s) => {
        sent = s;
        return runAtRate({
          ratePerSec: WATCH_RATE,
          durationMs: WATCH_DURATION_MS + (WATCH_WARMUP_WRITES / WATCH_RATE) * 1000,
          op: (i) => {
            if (i >= WATCH_WARMUP_WRITES) s.set(`cm-${i}`, performance.now());
            return etcdCreate(writer, "watch", `cm-${i}`);
          },
        }).then((n) => n - WATCH_WARMUP_WRITES);
      },
      latencies,
      () => latencies.length,
    );
    log(`  etcd:      ${r.count} deliveries, p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms, missing ${r.missing}`);
    await Promise.all(watchers.map((w) => w.cancel()));
    return r;
  } finally {
    writer.close();
    for (const c of conns) c.close();
    await etcd.stop();
    removeDir(dataDir);
  }
};

// ---------------------------------------------------------------- restart

interface KubeactorRestart {
  readonly objects: number;
  readonly fillMs: number;
  /** `createFileBackend(dir).open()` in this process: snapshot + log replay only. */
  readonly engineOpenMs: number;
  readonly engineObjects: number;
  /** Spawn of the store process to its `store: serving` line: what an operator waits for. */
  readonly processReadyMs: number;
  readonly processObjects: number;
  /** Same, for an empty data dir: the part of processReadyMs that is Node + tsx + imports, not data. */
  readonly processReadyEmptyMs: number;
  readonly dataBytes: number;
}

interface EtcdRestart {
  readonly objects: number;
  readonly fillMs: number;
  /** Spawn to the first successful linearizable read. */
  readonly readyMs: number;
  readonly readyEmptyMs: number;
  readonly countAfterRestart: number;
}

const dirBytes = async (dir: string): Promise<number> => {
  const { readdir, stat } = await import("node:fs/promises");
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))).size;
  }
  return total;
};

const kubeactorRestart = async (natsUrl: string): Promise<KubeactorRestart> => {
  const dataDir = tempDir("store-restart");
  const dir = storeDirOf(dataDir);
  try {
    // Fill through the engine directly (no bus): only the resulting files matter here,
    // and batches of concurrent creates let group commit make this take seconds, not minutes.
    const t0 = performance.now();
    const filler = createFileBackend({ dir });
    await filler.open();
    const BATCH = 1000;
    for (let i = 0; i < RESTART_OBJECTS; i += BATCH) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(RESTART_OBJECTS, i + BATCH); j++) batch.push(filler.create(`/core/configmaps/restart/cm-${j}`, configMap("restart", `cm-${j}`)));
      await Promise.all(batch);
    }
    await filler.close();
    const fillMs = performance.now() - t0;
    const dataBytes = await dirBytes(dir);

    const t1 = performance.now();
    const reopened = createFileBackend({ dir });
    await reopened.open();
    const engineOpenMs = performance.now() - t1;
    const engineObjects = reopened.stats.objects;
    await reopened.close();

    // Node caches nothing between processes, so the first spawn is as cold as the second.
    const emptyDir = tempDir("store-empty");
    const empty = await startStoreProcess(emptyDir, natsUrl);
    await empty.stop();
    removeDir(emptyDir);

    const proc = await startStoreProcess(dataDir, natsUrl);
    await proc.stop();
    const r = {
      objects: RESTART_OBJECTS,
      fillMs: round(fillMs, 0),
      engineOpenMs: round(engineOpenMs, 1),
      engineObjects,
      processReadyMs: round(proc.readyMs, 1),
      processObjects: proc.objects,
      processReadyEmptyMs: round(empty.readyMs, 1),
      dataBytes,
    };
    log(
      `  kubeactor: filled ${RESTART_OBJECTS} in ${fmt(fillMs / 1000, 1)} s (${fmt(dataBytes / 2 ** 20, 0)} MiB); engine open ${fmt(engineOpenMs, 0)} ms (${engineObjects} objects); ` +
        `process ready ${fmt(proc.readyMs, 0)} ms (${proc.objects} objects; empty ${fmt(empty.readyMs, 0)} ms)`,
    );
    return r;
  } finally {
    removeDir(dataDir);
  }
};

const etcdRestart = async (): Promise<EtcdRestart> => {
  const dataDir = tempDir("etcd-restart");
  try {
    const first = await startEtcd(dataDir);
    const readyEmptyMs = first.readyMs;
    const client = new Etcd3({ hosts: first.url });
    const t0 = performance.now();
    // 100 puts per txn (etcd's --max-txn-ops is 128), 8 txns in flight: fast to fill, same end state.
    const PER_TXN = 100;
    const txns: number[] = [];
    for (let i = 0; i < RESTART_OBJECTS; i += PER_TXN) txns.push(i);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < txns.length) {
          const start = txns[next++]!;
          const ops = [];
          for (let j = start; j < Math.min(RESTART_OBJECTS, start + PER_TXN); j++) ops.push(client.put(etcdKey("restart", `cm-${j}`)).value(JSON.stringify(configMap("restart", `cm-${j}`))));
          // Guarded like a create so a retried txn could never double-write; every key is new, so it always succeeds.
          const r = await client.if(etcdKey("restart", `cm-${start}`), "Mod", "==", 0).then(...ops).commit();
          if (!r.succeeded) throw new Error(`etcd fill: txn at ${start} did not apply`);
        }
      }),
    );
    const fillMs = performance.now() - t0;
    client.close();
    await first.stop();

    const second = await startEtcd(dataDir, first.ports);
    const check = new Etcd3({ hosts: second.url });
    const countAfterRestart = await check.getAll().prefix(etcdKey("restart", "")).count();
    check.close();
    await second.stop();
    log(`  etcd:      filled ${RESTART_OBJECTS} in ${fmt(fillMs / 1000, 1)} s; ready ${fmt(second.readyMs, 0)} ms (${countAfterRestart} objects; empty ${fmt(readyEmptyMs, 0)} ms)`);
    return { objects: RESTART_OBJECTS, fillMs: round(fillMs, 0), readyMs: round(second.readyMs, 1), readyEmptyMs: round(readyEmptyMs, 1), countAfterRestart };
  } finally {
    removeDir(dataDir);
  }
};

// ---------------------------------------------------------------- report

const ratio = (a: number, b: number) => round(a / b, 2);

const main = async () => {
  installCleanupHandlers();
  const started = performance.now();
  log(`store benchmark: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), Node ${process.version}, ${VALUE_BYTES} B values, ${DURATION_MS} ms per point`);

  const nats = await startNats();
  try {
    log("durable creates (closed loop, one request in flight per client):");
    const { kubeactor: kWrites, etcd: eWrites } = await writesSideBySide(nats.url);
    log("durable creates on the JetStream KV backend (nats-server with JetStream, file storage):");
    const jWrites = await jetstreamWrites();

    log(`watch delivery to ${WATCHERS} watchers, ${WATCH_RATE} creates/s for ${WATCH_DURATION_MS / 1000} s after 1 s warm-up:`);
    const kWatch = await kubeactorWatch(nats.url);
    const eWatch = await etcdWatch();

    log(`restart with ${RESTART_OBJECTS} objects:`);
    const kRestart = await kubeactorRestart(nats.url);
    const eRestart = await etcdRestart();

    const writes = CONCURRENCY.map((clients, i) => {
      const k = kWrites[i]!;
      const e = eWrites[i]!;
      const j = jWrites[i]!;
      return {
        clients,
        kubeactor: k,
        etcd: e,
        ratio: { throughput: ratio(k.opsPerSec, e.opsPerSec), p50: ratio(k.p50Ms, e.p50Ms), p99: ratio(k.p99Ms, e.p99Ms) },
        jetstream: j,
        jetstreamRatioToEtcd: { throughput: ratio(j.opsPerSec, e.opsPerSec), p50: ratio(j.p50Ms, e.p50Ms), p99: ratio(j.p99Ms, e.p99Ms) },
      };
    });
    const at64 = writes.find((w) => w.clients === 64)!;
    const targets = {
      throughputAt64: { target: "kubeactor creates/s >= 2x etcd at 64 clients", value: at64.ratio.throughput, met: at64.ratio.throughput >= 2 },
      p99At64: { target: "kubeactor p99 <= etcd p99 at 64 clients", value: at64.ratio.p99, met: at64.kubeactor.p99Ms <= at64.etcd.p99Ms },
      restart: {
        target: `store process ready with ${RESTART_OBJECTS} objects <= 3000 ms`,
        value: kRestart.processReadyMs,
        met: kRestart.processReadyMs <= 3000 && kRestart.processObjects === RESTART_OBJECTS,
      },
    };

    // ------------------------------------------------------------ table
    const rows: string[][] = [["figure", "kubeactor", "etcd", "kubeactor/etcd"]];
    for (const w of writes) {
      rows.push([`creates/s, ${w.clients} clients`, fmt(w.kubeactor.opsPerSec, 0), fmt(w.etcd.opsPerSec, 0), `${fmt(w.ratio.throughput)}x`]);
      rows.push([`  p50 ms`, fmt(w.kubeactor.p50Ms), fmt(w.etcd.p50Ms), `${fmt(w.ratio.p50)}x`]);
      rows.push([`  p99 ms`, fmt(w.kubeactor.p99Ms), fmt(w.etcd.p99Ms), `${fmt(w.ratio.p99)}x`]);
      rows.push([`  jetstream backend creates/s`, fmt(w.jetstream.opsPerSec, 0), "", `${fmt(w.jetstreamRatioToEtcd.throughput)}x`]);
      rows.push([`  jetstream backend p50 / p99 ms`, `${fmt(w.jetstream.p50Ms)} / ${fmt(w.jetstream.p99Ms)}`, "", ""]);
    }
    rows.push([`watch p50 ms (${WATCHERS} watchers)`, fmt(kWatch.p50Ms), fmt(eWatch.p50Ms), `${fmt(ratio(kWatch.p50Ms, eWatch.p50Ms))}x`]);
    rows.push([`watch p99 ms`, fmt(kWatch.p99Ms), fmt(eWatch.p99Ms), `${fmt(ratio(kWatch.p99Ms, eWatch.p99Ms))}x`]);
    rows.push([`watch deliveries missing`, String(kWatch.missing), String(eWatch.missing), ""]);
    rows.push([`restart ms, ${RESTART_OBJECTS} objects (process)`, fmt(kRestart.processReadyMs, 0), fmt(eRestart.readyMs, 0), `${fmt(ratio(kRestart.processReadyMs, eRestart.readyMs))}x`]);
    rows.push([`  of which empty-start ms`, fmt(kRestart.processReadyEmptyMs, 0), fmt(eRestart.readyEmptyMs, 0), ""]);
    rows.push([`  engine open only ms`, fmt(kRestart.engineOpenMs, 0), "", ""]);
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    log("");
    for (const [i, r] of rows.entries()) {
      log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
      if (i === 0) log(widths.map((w) => "-".repeat(w)).join("  "));
    }
    log("");
    for (const t of Object.values(targets)) log(`${t.met ? "MET    " : "MISSED "} ${t.target} (${t.value})`);

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGiB: round(totalmem() / 2 ** 30, 1), os: `${platform()} ${release()}`, node: process.version },
      config: {
        concurrency: CONCURRENCY,
        warmupMs: WARMUP_MS,
        durationMs: DURATION_MS,
        valueBytes: VALUE_BYTES,
        objectBytes: JSON.stringify(configMap("w64", "cm-100000")).length,
        watchers: WATCHERS,
        watchConnections: WATCH_CONNECTIONS,
        watchRatePerSec: WATCH_RATE,
        watchDurationMs: WATCH_DURATION_MS,
        watchWarmupWrites: WATCH_WARMUP_WRITES,
        restartObjects: RESTART_OBJECTS,
        kubeactor: "nats-server + apps/store (file backend, fsync) as separate processes; clients share one NATS connection",
        etcd: "etcd 3.4 single member on loopback, default fsync; clients share one etcd3 client; create = txn(mod_revision==0, put)",
        jetstream: "apps/store --store-backend jetstream on its own nats-server 2.9 with JetStream (file storage, R1; nats-server acknowledges before fsync, it syncs on a timer: not the same durability as the other two); same clients",
      },
      writes,
      watch: { kubeactor: kWatch, etcd: eWatch },
      restart: { kubeactor: kRestart, etcd: eRestart },
      targets,
      totalMs: round(performance.now() - started, 0),
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, JSON.stringify(result, null, 2) + "\n");
    log(`\nwrote ${RESULTS} (${fmt(result.totalMs / 1000, 0)} s)`);
  } finally {
    await nats.stop();
    cleanupAll();
  }
};

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
