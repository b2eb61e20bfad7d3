/**
 * The kubeactor side as it runs in production: a real nats-server and the
 * store as its own process (apps/store/src/main.ts through tsx), so every
 * request crosses two sockets and a process boundary, as etcd's do.
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Bus, connectNats, type RunningNats, startNatsServer } from "@kubeactor/bus";
import { StoreClient } from "@kubeactor/client";
import { startProcess, type RunningProcess } from "@kubeactor/testing";
import { stopChild, trackChild } from "./cleanup.ts";

export interface RunningStore {
  readonly proc: RunningProcess;
  /** Milliseconds from spawn to the `store: serving` line. */
  readonly readyMs: number;
  /** The object count the store printed when it became ready. */
  readonly objects: number;
  stop(): Promise<void>;
}

/**
 * V8 flags of the store and the API server as their start scripts run them
 * (their `dev` scripts; `npm start` runs every component in one process with
 * the API server's): the young generation's semi-space size (V8's default is
 * 16 MiB), measured with bench/api.bench.ts (BENCH_GC_STATS=1), CREATE at 32 clients:
 *  - the API server allocates tens of KiB of short-lived objects per request
 *    and keeps almost none: 32 MiB halved its scavenges per create and cut
 *    GC milliseconds per create ~3x against the default;
 *  - the store keeps every object it writes, and a scavenge's pause grows
 *    with what survives it, so a bigger young generation only makes rarer,
 *    longer stalls for the same total GC time: 8 MiB cut its pauses from
 *    ~7 to ~2 ms (the store alone, 32 clients: p99 8.2 / 7.0 → 5.6 / 5.6 ms).
 */
export const V8_FLAGS = { store: "--max-semi-space-size=8", apiserver: "--max-semi-space-size=32" } as const;

/** `env` for a store or API server child: its V8_FLAGS added to NODE_OPTIONS (before any given there, so those win). */
export const serverEnv = (component: keyof typeof V8_FLAGS, env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...env,
  NODE_OPTIONS: [V8_FLAGS[component], env.NODE_OPTIONS ?? process.env.NODE_OPTIONS].filter(Boolean).join(" "),
});

export const startNats = async (opts: { jetstream?: boolean } = {}): Promise<RunningNats> => {
  const nats = await startNatsServer({ jetstream: opts.jetstream ?? false });
  trackChild(nats.process);
  return nats;
};

/**
 * `extraArgs` e.g. `--store-backend jetstream` (then natsUrl must have JetStream).
 * `env` is added to the child's environment (e.g. a profiling NODE_OPTIONS).
 * `profileDir` runs the store under bench/lib/profiled.ts (SIGUSR2 starts and stops a profile).
 */
export const startStoreProcess = async (dataDir: string, natsUrl: string, extraArgs: readonly string[] = [], env: NodeJS.ProcessEnv = {}, profileDir?: string): Promise<RunningStore> => {
  const t0 = performance.now();
  const args = ["--data-dir", dataDir, "--nats", natsUrl, ...extraArgs];
  const proc = await startProcess(profileDir ? "bench/lib/profiled.ts" : "apps/store/src/main.ts", profileDir ? [profileDir, "apps/store/src/main.ts", ...args] : args, {
    ready: /store: serving/,
    timeoutMs: 60_000,
    env: serverEnv("store", env),
  });
  const readyMs = performance.now() - t0;
  trackChild(proc.child);
  const m = /\((\d+) objects\)/.exec(proc.output());
  return { proc, readyMs, objects: m ? Number(m[1]) : Number.NaN, stop: () => stopChild(proc.child) };
};

export const storeDirOf = (dataDir: string): string => join(dataDir, "store");

export const connectClient = async (url: string, name: string): Promise<{ bus: Bus; client: StoreClient }> => {
  const bus = new Bus(await connectNats({ servers: url, name }), { log: (l) => console.error(`bench: ${l}`) });
  return { bus, client: new StoreClient(bus) };
};
