/**
 * The store process alone under closed-loop creates (1 KiB ConfigMaps, as
 * bench:api's "store create over the bus"), for profiling and side-by-side
 * comparisons: prints throughput, latency and the store process's CPU per
 * create for each round. On a shared machine compare CPU per create, not
 * latency.
 *
 *   node --import tsx bench/store-profile.ts                       # 32 clients, 3 rounds of 5 s
 *   CLIENTS=64 DURATION_MS=10000 PROFILE_DIR=/tmp/prof node --import tsx bench/store-profile.ts
 *
 * PROFILE_DIR runs the store with `node --cpu-prof` (the profile is written when it exits);
 * PRELOAD=<file.mjs> adds `--import <file>` to the store's node (e.g. an event-loop delay monitor).
 */
import { spawn } from "node:child_process";
import type { JsonObject } from "@kubeactor/bus";
import { installCleanupHandlers, removeDir, tempDir, trackChild } from "./lib/cleanup.ts";
import { cpuMsOf } from "./lib/cpu.ts";
import { connectClient, startNats } from "./lib/kubeactor.ts";
import { runClosedLoop } from "./lib/load.ts";

const CLIENTS = Number(process.env.CLIENTS ?? 32);
const DURATION_MS = Number(process.env.DURATION_MS ?? 5000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const VALUE = "x".repeat(1024);

const main = async () => {
  installCleanupHandlers();
  const nats = await startNats();
  const dir = tempDir("store-profile");
  const nodeArgs = [
    ...(process.env.PROFILE_DIR ? ["--cpu-prof", "--cpu-prof-dir", process.env.PROFILE_DIR] : []),
    ...(process.env.PRELOAD ? ["--import", process.env.PRELOAD] : []),
  ];
  const store = trackChild(
    spawn(process.execPath, [...nodeArgs, "--import", "tsx", "apps/store/src/main.ts", "--data-dir", dir, "--nats", nats.url], { stdio: ["ignore", "pipe", "inherit"] }),
  );
  await new Promise<void>((resolve) => store.stdout!.on("data", (d: Buffer) => String(d).includes("store: serving") && resolve()));
  const { client, bus } = await connectClient(nats.url, "store-profile");
  for (let round = 1; round <= ROUNDS; round++) {
    let done = 0;
    const cpu0 = cpuMsOf(store.pid);
    const r = await runClosedLoop({
      clients: CLIENTS,
      warmupMs: 1000,
      durationMs: DURATION_MS,
      op: (c, seq) => {
        const name = `r${round}-${c}-${seq}`;
        const object: JsonObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "bench", uid: `u-${name}` }, data: { value: VALUE } };
        return client.create({ group: "", resource: "configmaps", namespace: "bench", name }, object).then(() => done++);
      },
    });
    const cpu = cpuMsOf(store.pid) - cpu0;
    console.log(
      `round ${round}: ${CLIENTS} clients ${r.opsPerSec}/s p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms max ${r.maxMs} ms; store CPU ${(cpu / Math.max(1, done)).toFixed(4)} ms per create`,
    );
  }
  await bus.close();
  store.kill("SIGINT");
  await new Promise((resolve) => store.on("exit", resolve));
  await nats.stop();
  removeDir(dir);
};

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
