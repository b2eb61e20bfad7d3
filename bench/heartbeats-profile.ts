/**
 * Node heartbeats alone, for profiling and side-by-side comparisons: store
 * (memory backend) + API server + one kubelet with N nodes in one process on
 * the in-process bus, plus a watch on kube-node-lease (as bench:nodes counts
 * renewals), no pods. Prints the CPU time per lease renewal over each round;
 * on a shared machine compare that, not wall time.
 *
 *   node --import tsx bench/heartbeats-profile.ts                        # 1000 nodes, 2 rounds of 20 s
 *   NODES=1000 ROUNDS=1 SECONDS_PER_ROUND=20 PROFILE_DIR=/tmp/hb node --import tsx bench/heartbeats-profile.ts
 *   NODES=100 LEASE_MS=100 node --import tsx bench/heartbeats-profile.ts   # 1000 renewals/s: the per-renewal cost
 *                                                                          # stands out from fixed costs and noise
 *
 * PROFILE_DIR writes one .cpuprofile per round (the V8 sampling profiler, 200 µs): open it in Chrome
 * DevTools or speedscope, or print its top functions with `node bench/lib/cpu-profile-top.mjs FILE`.
 */
import { Session } from "node:inspector/promises";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";
import { Bus } from "@kubeactor/bus";
import { openWatchStream, StoreClient } from "@kubeactor/client";
import { startKubelet } from "@kubeactor/kubelet";
import { startApiServer } from "@kubeactor/apiserver";
import { createMemoryBackend, startStoreComponent } from "@kubeactor/store";
import { memoryCase } from "@kubeactor/testing";
import { removeDir, tempDir } from "./lib/cleanup.ts";

const NODES = Number(process.env.NODES ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const SECONDS = Number(process.env.SECONDS_PER_ROUND ?? 20);
const PROFILE_DIR = process.env.PROFILE_DIR;
const LEASE_MS = Number(process.env.LEASE_MS ?? 10_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const main = async () => {
  const tc = memoryCase();
  await tc.setup();
  const dir = tempDir("kubeactor-heartbeats-");
  const quiet = { log: () => {} };
  const store = await startStoreComponent({ bus: new Bus(await tc.connect("store"), quiet), dir, backend: createMemoryBackend(), backendName: "memory" });
  const apiserver = await startApiServer({ bus: new Bus(await tc.connect("apiserver"), quiet), port: 0, log: () => {} });
  const watchBus = new Bus(await tc.connect("watch"), quiet);
  let renewals = 0;
  const watch = await openWatchStream(watchBus, new StoreClient(watchBus), { group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease" }, {
    onList: () => {},
    onEvent: (e) => e.type === "MODIFIED" && renewals++,
    onError: (e) => console.error(`lease watch: ${(e as Error).message}`),
  });
  const kubelet = await startKubelet({ bus: new Bus(await tc.connect("kubelet"), quiet), nodes: NODES, maxPods: 110, leaseRenewMs: LEASE_MS, log: (l) => /lease|status/.test(l) && console.error(l) });
  console.error(`${NODES} nodes registered; one lease period to settle`);
  await sleep(Math.min(LEASE_MS, 10_000) + 1000);
  const session = new Session();
  if (PROFILE_DIR) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
  }
  for (let round = 1; round <= ROUNDS; round++) {
    if (PROFILE_DIR) await session.post("Profiler.start");
    const r0 = renewals;
    const c0 = cpuMs();
    await sleep(SECONDS * 1000);
    const used = cpuMs() - c0;
    const n = renewals - r0;
    if (PROFILE_DIR) {
      const { profile } = await session.post("Profiler.stop");
      const file = join(PROFILE_DIR, `heartbeats-${NODES}-${round}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      console.error(`wrote ${file}`);
    }
    console.log(`round ${round}: ${n} renewals (${(n / SECONDS).toFixed(1)}/s), ${(used / Math.max(1, n)).toFixed(3)} CPU-ms each, ${((used / (SECONDS * 1000)) * 100).toFixed(1)}% of a core (load ${loadavg()[0]!.toFixed(1)})`);
  }
  watch.stop();
  await kubelet.stop();
  await apiserver.close();
  await store.stop();
  removeDir(dir);
  await tc.teardown();
  process.exit(0);
};

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
