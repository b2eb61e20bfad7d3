/**
 * `kubeactor up`: the whole cluster in one process, in the foreground — the
 * bus (a nats-server child, a given NATS, or in-process), the store, the API
 * server, the controller manager, the scheduler and N simulated nodes, each on
 * its own bus connection as separate processes would be — with the kubeconfig
 * written to the data dir.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { startApiServer } from "@kubeactor/apiserver";
import { startControllerManager } from "@kubeactor/controllers";
import { createInspector } from "@kubeactor/inspect";
import { startKubelet } from "@kubeactor/kubelet";
import { startScheduler } from "@kubeactor/scheduler";
import { chooseBus, onShutdown, writeKubeconfig } from "@kubeactor/runtime";
import { startStoreComponent } from "@kubeactor/store";

export const upFlags = {
  "data-dir": { type: "string", default: ".kubeactor", help: "directory for the store, the NATS data and the kubeconfig" },
  port: { type: "int", default: 6443, help: "port of the Kubernetes API (HTTP)" },
  nodes: { type: "int", default: 3, help: "number of simulated nodes (node-1 … node-N)" },
  nats: { type: "string", help: "use the NATS server at this URL instead of starting one" },
  "nats-port": { type: "int", default: 4222, help: "port for the nats-server kubeactor starts" },
  embedded: { type: "bool", default: false, help: "use the in-process bus even when nats-server is installed" },
  inspect: { type: "bool", default: false, help: "publish every component's XState inspection on kube.inspect.<component> (see kubeactor inspect)" },
} as const;

export interface UpOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly nodes: number;
  readonly nats?: string;
  readonly natsPort: number;
  readonly embedded?: boolean;
  /** Publish XState inspection events (opt-in: XState's inspect hook costs throughput). */
  readonly inspect?: boolean;
}

export interface RunningCluster {
  readonly apiUrl: string;
  readonly kubeconfig: string;
  readonly busDescription: string;
  stop(): Promise<void>;
}

export const startCluster = async (opts: UpOptions, log: (line: string) => void = console.log): Promise<RunningCluster> => {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const bus = await chooseBus({ ...(opts.nats ? { nats: opts.nats } : {}), natsPort: opts.natsPort, dataDir, embedded: !!opts.embedded });
  log(`bus: ${bus.description}`);
  const stops: (() => Promise<void>)[] = [() => bus.stop()];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((e) => console.error(`shutdown: ${(e as Error).message}`));
  };
  try {
    const store = await startStoreComponent({ bus: await bus.connect("store"), dir: join(dataDir, "store") });
    stops.push(() => store.stop());
    log(`store: serving revision ${store.backend.revision} (${store.backend.stats.objects} objects) from ${join(dataDir, "store")}`);
    const api = await startApiServer({ bus: await bus.connect("apiserver"), port: opts.port, log });
    stops.push(() => api.close());
    log(`apiserver: serving the Kubernetes API on ${api.url}`);
    /** A component's bus connection, and its inspector when --inspect is on. */
    const componentBus = async (name: string) => {
      const b = await bus.connect(name);
      if (!opts.inspect) return { bus: b };
      const inspector = createInspector({ bus: b, component: name });
      stops.push(async () => inspector.stop());
      return { bus: b, inspect: inspector.inspect };
    };
    const controllers = await startControllerManager({ ...(await componentBus("controller-manager")), log: console.error });
    stops.push(() => controllers.stop());
    log("controller-manager: ready");
    const scheduler = await startScheduler({ ...(await componentBus("scheduler")), log: console.error });
    stops.push(() => scheduler.stop());
    log("scheduler: ready");
    if (opts.nodes > 0) {
      const kubelet = await startKubelet({ ...(await componentBus("kubelet")), nodes: opts.nodes, dataDir, log: console.error });
      stops.push(() => kubelet.stop());
      log(`kubelet: ${kubelet.nodes.length} simulated nodes ready (${kubelet.nodes.join(", ")})`);
    }
    const kubeconfig = join(dataDir, "kubeconfig");
    writeKubeconfig(kubeconfig, api.url);
    return { apiUrl: api.url, kubeconfig, busDescription: bus.description, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
};

export const runUp = async (opts: UpOptions): Promise<void> => {
  const cluster = await startCluster(opts);
  console.log(`kubeactor is up. To use it:\n\n  export KUBECONFIG=${cluster.kubeconfig}\n  kubectl get namespaces\n`);
  onShutdown(async () => {
    await cluster.stop();
    console.log("kubeactor stopped");
  });
};
