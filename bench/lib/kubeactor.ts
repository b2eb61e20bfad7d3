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
 * (`npm start`, their `dev` scripts): a 32 MiB young-generation semi-space
 * (V8's default is 16). Both allocate tens of KiB of short-lived objects per
 * request; at 5000 creates/s the default scavenged the API server every
 * ~450 creates, each pause a latency spike for every request in flight.
 * bench/api.bench.ts measured (BENCH_GC_STATS=1): scavenges per create halved
 * and GC milliseconds per create cut ~3x in the API server; the same setting
 * bench/nodes.bench.ts gives its children.
 */
export const SERVER_V8_FLAGS = "--max-semi-space-size=32";

/** `env` for a store or API server child: SERVER_V8_FLAGS added to NODE_OPTIONS (before any given there, so those win). */
export const serverEnv = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...env,
  NODE_OPTIONS: [SERVER_V8_FLAGS, env.NODE_OPTIONS ?? process.env.NODE_OPTIONS].filter(Boolean).join(" "),
});

export const startNats = async (opts: { jetstream?: boolean } = {}): Promise<RunningNats> => {
  const nats = await startNatsServer({ jetstream: opts.jetstream ?? false });
  trackChild(nats.process);
  return nats;
};

/** `extraArgs` e.g. `--store-backend jetstream` (then natsUrl must have JetStream). */
/** `env` is added to the child's environment (e.g. a profiling NODE_OPTIONS). */
export const startStoreProcess = async (dataDir: string, natsUrl: string, extraArgs: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningStore> => {
  const t0 = performance.now();
  const proc = await startProcess("apps/store/src/main.ts", ["--data-dir", dataDir, "--nats", natsUrl, ...extraArgs], {
    ready: /store: serving/,
    timeoutMs: 60_000,
    env: serverEnv(env),
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
