/**
 * `kubeactor up`: the whole cluster in one process, in the foreground — the
 * bus (a nats-server child, a given NATS, or in-process), the store, the API
 * server, the controller manager, the scheduler and N simulated nodes, each on
 * its own bus connection as separate processes would be — with the kubeconfig
 * written to the data dir.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { startApiServer } from "@kubeactor/apiserver";
import {
  type HorizontalPodAutoscalerOptions,
  horizontalPodAutoscalerFlags,
  nodeLifecycleFlags,
  type NodeLifecycleOptions,
  resourceQuotaFlags,
  type ResourceQuotaOptions,
  startControllerManager,
} from "@kubeactor/controllers";
import { startDnsServer } from "@kubeactor/dns";
import { startKubelet } from "@kubeactor/kubelet";
import { startScheduler } from "@kubeactor/scheduler";
import { startKubeProxy } from "@kubeactor/proxy";
import { chooseBus, connectComponent, inspectFlag, onShutdown, writeKubeconfig } from "@kubeactor/runtime";
import { chooseStoreBackend, startStoreComponent, storeBackendFlags } from "@kubeactor/store";

export const upFlags = {
  "data-dir": { type: "string", default: ".kubeactor", help: "directory for the store, the NATS data and the kubeconfig" },
  port: { type: "int", default: 6443, help: "port of the Kubernetes API (HTTP)" },
  nodes: { type: "int", default: 3, help: "number of simulated nodes (node-1 … node-N)" },
  nats: { type: "string", help: "use the NATS server at this URL instead of starting one" },
  "nats-port": { type: "int", default: 4222, help: "port for the nats-server kubeactor starts" },
  embedded: { type: "bool", default: false, help: "use the in-process bus even when nats-server is installed" },
  inspect: { ...inspectFlag, help: "publish every component's XState inspection on kube.inspect.<component> (see kubeactor inspect)" },
  "default-not-ready-toleration-seconds": { type: "int", default: 300, help: "tolerationSeconds of the not-ready:NoExecute toleration added to pods without one" },
  "default-unreachable-toleration-seconds": { type: "int", default: 300, help: "tolerationSeconds of the unreachable:NoExecute toleration added to pods without one" },
  ...nodeLifecycleFlags,
  ...horizontalPodAutoscalerFlags,
  ...resourceQuotaFlags,
  "service-cluster-ip-range": { type: "string", default: "127.96.0.0/12", help: "ClusterIPs come from this range (inside 127.0.0.0/8, so kube-proxy can bind them)" },
  "dns-port": { type: "int", default: 10053, help: "cluster DNS on 127.0.0.1:<port>, UDP and TCP (0: no DNS server)" },
  ...storeBackendFlags,
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
  /** The API server's DefaultTolerationSeconds (300 s each by default). */
  readonly defaultTolerationSeconds?: { readonly notReady?: number; readonly unreachable?: number };
  /** The node lifecycle controller's grace period and eviction rates. */
  readonly nodeLifecycle?: NodeLifecycleOptions;
  /** The horizontal pod autoscaler's sync period and downscale stabilization window. */
  readonly horizontalPodAutoscaler?: HorizontalPodAutoscalerOptions;
  /** The resourcequota controller's full recount period. */
  readonly resourceQuota?: ResourceQuotaOptions;
  /** Default 127.96.0.0/12. */
  readonly serviceClusterIpRange?: string;
  /** Default 10053; 0 turns DNS off. */
  readonly dnsPort?: number;
  /** `file` (default) or `jetstream` (a KV bucket on the bus's NATS server). */
  readonly storeBackend?: { readonly backend?: string; readonly bucket?: string; readonly replicas?: number };
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
    /** A component's bus connection, and its inspector when --inspect is on. */
    const componentBus = async (name: string) => {
      const component = await connectComponent(bus, name, !!opts.inspect);
      stops.push(async () => component.stopInspection());
      return component.options;
    };
    const storeDir = join(dataDir, "store");
    const choice = chooseStoreBackend({ ...opts.storeBackend, backend: opts.storeBackend?.backend, dir: storeDir, natsUrl: bus.url });
    const store = await startStoreComponent({ ...(await componentBus("store")), dir: storeDir, ...choice });
    stops.push(() => store.stop());
    log(`store: serving revision ${store.backend.revision} (${store.backend.stats.objects} objects) from ${choice.where}`);
    const api = await startApiServer({
      bus: await bus.connect("apiserver"),
      port: opts.port,
      log,
      ...(opts.defaultTolerationSeconds ? { defaultTolerationSeconds: opts.defaultTolerationSeconds } : {}),
      ...(opts.serviceClusterIpRange ? { serviceClusterIpRange: opts.serviceClusterIpRange } : {}),
    });
    stops.push(() => api.close());
    log(`apiserver: serving the Kubernetes API on ${api.url}`);
    // Leader election as in a real cluster, with one identity per host and data
    // directory (client-go's `<hostname>_<id>` shape): a run restarted after
    // kill -9 finds its own unexpired lease and renews it at once instead of
    // waiting 15 s for it to expire.
    const leaderElection = { identity: `${hostname()}_kubeactor-up-${createHash("sha256").update(dataDir).digest("hex").slice(0, 10)}` };
    const controllers = await startControllerManager({
      ...(await componentBus("controller-manager")),
      log: console.error,
      leaderElection,
      volumesDir: join(dataDir, "volumes"),
      ...(opts.nodeLifecycle ? { nodeLifecycle: opts.nodeLifecycle } : {}),
      ...(opts.horizontalPodAutoscaler ? { horizontalPodAutoscaler: opts.horizontalPodAutoscaler } : {}),
      ...(opts.resourceQuota ? { resourceQuota: opts.resourceQuota } : {}),
    });
    stops.push(() => controllers.stop());
    log("controller-manager: ready");
    const scheduler = await startScheduler({ ...(await componentBus("scheduler")), log: console.error, leaderElection });
    stops.push(() => scheduler.stop());
    log("scheduler: ready");
    if (opts.nodes > 0) {
      const kubelet = await startKubelet({ ...(await componentBus("kubelet")), nodes: opts.nodes, dataDir, log: console.error });
      stops.push(() => kubelet.stop());
      log(`kubelet: ${kubelet.nodes.length} simulated nodes ready (${kubelet.nodes.join(", ")})`);
    }
    // One kube-proxy for all simulated nodes: every ClusterIP and NodePort
    // address can be bound once per host (see libs/proxy/README.md).
    const proxy = await startKubeProxy({ ...(await componentBus("kube-proxy")), log: (line) => console.error(`kube-proxy: ${line}`) });
    stops.push(() => proxy.stop());
    log("kube-proxy: ready (ClusterIPs, and NodePorts on 127.0.0.1 and loopback node addresses)");
    const dnsPort = opts.dnsPort ?? 10053;
    if (dnsPort > 0) {
      try {
        const dns = await startDnsServer({ bus: await bus.connect("dns"), port: dnsPort, log: (line) => console.error(`dns: ${line}`) });
        stops.push(() => dns.stop());
        log(`dns: serving cluster.local on ${dns.host}:${dns.port} (UDP and TCP)`);
      } catch (e) {
        // A second cluster on this host holds the port: the cluster works without names.
        console.error(`${(e as Error).message}; continuing without cluster DNS (pick another --dns-port)`);
      }
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
