/**
 * A kubelet process: any number of simulated nodes sharing one pod informer
 * (dispatched by the `nodeName` index), one API client, one event recorder
 * per node and one subscription per fault subject.
 */
import { createActor, type Actor, type InspectionEvent } from "xstate";
import type { Bus, JsonObject } from "@kubeactor/bus";
import { ApiClient, EventRecorder, Informer, StoreClient, standardIndexes, stripManagedFields } from "@kubeactor/client";
import { nodeMachine, type PodSource, type PodSourceEvent } from "./node-machine.ts";
import type { PodApi } from "./pod-machine.ts";
import { SimRuntime } from "./runtime/sim.ts";
import { hostIpFor, podCidrFor } from "./runtime/ipam.ts";
import { NodeIndexClaims } from "./runtime/node-indexes.ts";
import { NO_REPLY, nodeInject, type NodeInjectEvent } from "@kubeactor/bus";
import { badRequest, statusCodeOf } from "@kubeactor/api";
import type { Backoff } from "./container-machine.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CATALOGUE_FILE, ImageCatalogue } from "./runtime/catalogue.ts";
import { ProcessRuntime, reapOrphans } from "./runtime/process.ts";
import { NodeRuntime } from "./runtime/node-runtime.ts";
import type { ObjectLookup } from "./runtime/lookup.ts";
import { serveStats } from "./stats-server.ts";
import { serveLogs } from "./log-server.ts";
import { serveStreams } from "./stream-server.ts";

export interface KubeletOptions {
  readonly bus: Bus;
  /** How many nodes (named `<namePrefix><i>`), or their names. */
  readonly nodes: number | readonly string[];
  /** Node names are `<namePrefix><index>`; default "node-", so node-1 … node-N. */
  readonly namePrefix?: string;
  /**
   * Index of the first node: decides podCIDR, InternalIP and zone, so processes sharing a cluster must not
   * overlap. Addresses are the host's (loopback): when another kubelet process on this host (another cluster)
   * holds these indexes, podCIDR and InternalIP come from the next free ones instead (runtime/node-indexes.ts).
   */
  readonly firstIndex?: number;
  readonly cpu?: string;
  readonly memory?: string;
  readonly maxPods?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly { key: string; value?: string; effect: string }[];
  /** Extended resources every node advertises, e.g. `{ "example.com/gpu": "4" }`. */
  readonly extendedResources?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
  readonly inspect?: (e: InspectionEvent) => void;
  /** Sim image pull latency (default 300 ms). */
  readonly pullMs?: number;
  /** CrashLoopBackOff timing (default 10 s doubling to 5 min, reset after 10 min). */
  readonly backoff?: Backoff;
  /** Lease renewal period (default 10 s). */
  readonly leaseRenewMs?: number;
  /** Nodes registering at once: the next ones start once these registered (default 500). */
  readonly startWave?: number;
  /** Resolve only once every node registered (default true). */
  readonly waitForReady?: boolean;
  /**
   * The kubelet's data dir: `images.json` (the user image catalogue) and
   * `kubelet/<node>/` (process containers' pod directories and logs, wiped at
   * start). Default: a temporary directory removed on stop.
   */
  readonly dataDir?: string;
  /** Process runtime: /proc sampling and configMap/secret volume refresh periods (default 1 s, 5 s). */
  readonly processPollMs?: number;
  readonly volumeSyncMs?: number;
}

export interface Kubelet {
  readonly nodes: string[];
  /** The runtime of a node (process + sim), for tests and tools. */
  runtime(node: string): NodeRuntime | undefined;
  /** The node actor, for tests and the inspector. */
  actor(node: string): Actor<typeof nodeMachine> | undefined;
  stop(): Promise<void>;
}

const PODS = { group: "", version: "v1", resource: "pods" };
/** Nodes registering at once (see startKubelet); a process with fewer starts them all together. */
const START_WAVE = 500;
/** A wave that has not registered by then (API server down, say) does not hold the next one back longer. */
const WAVE_WAIT_MS = 30_000;

export const startKubelet = async (opts: KubeletOptions): Promise<Kubelet> => {
  const log = opts.log ?? (() => {});
  const api = new ApiClient(opts.bus, "kubelet");
  const names = typeof opts.nodes === "number" ? Array.from({ length: opts.nodes }, (_, i) => `${opts.namePrefix ?? "node-"}${(opts.firstIndex ?? 1) + i}`) : [...opts.nodes];
  // Without managedFields (40% of a running pod's object, never read here: pods are only written
  // through the status subresource, which keeps the stored ones), as node agents' pod caches do.
  // Only the nodeName index is read (dispatch, stats): the standard namespace, owner and label indexes
  // would each keep a key per pod of the cluster (a label set of 150k keys at 5000 × 30) and be
  // recomputed on every pod event, for nothing.
  const informer = new Informer(opts.bus, new StoreClient(opts.bus), {
    group: "",
    resource: "pods",
    log,
    transform: stripManagedFields,
    indexes: { nodeName: standardIndexes.nodeName! },
  });

  // One informer, many nodes: handlers dispatch by spec.nodeName.
  const listeners = new Map<string, (e: PodSourceEvent) => void>();
  const nodeOf = (p: JsonObject) => (p.spec as { nodeName?: string } | undefined)?.nodeName;
  informer.addHandler({
    onAdd: (p) => listeners.get(nodeOf(p) ?? "")?.({ type: "POD", pod: p }),
    onUpdate: (_o, p) => listeners.get(nodeOf(p) ?? "")?.({ type: "POD", pod: p }),
    onDelete: (p) => listeners.get(nodeOf(p) ?? "")?.({ type: "POD_DELETED", pod: p }),
  });
  const created = (p: JsonObject) => String((p.metadata as { creationTimestamp?: string } | undefined)?.creationTimestamp ?? "");
  const podSource: PodSource = (node, listener) => {
    listeners.set(node, listener);
    // Oldest first, as the kubelet admits pods (HandlePodAdditions): what ran before a restart fits again.
    for (const p of informer.byIndex("nodeName", node).sort((a, b) => created(a).localeCompare(created(b)))) listener({ type: "POD", pod: p });
    return () => {
      if (listeners.get(node) === listener) listeners.delete(node);
    };
  };
  // The process' Node objects (labels, taints, allocatable), for admission.
  const nodeInformer = new Informer(opts.bus, new StoreClient(opts.bus), { group: "", resource: "nodes", log, indexes: {} });
  await Promise.all([informer.start(), nodeInformer.start()]);
  // `kubeactor up` bootstraps kube-node-lease; a kubelet started against a bare API server makes sure it exists.
  await api
    .create({ group: "", version: "v1", resource: "namespaces" }, "", { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-node-lease" } })
    .catch(() => {});

  const podApi: PodApi = {
    // Replies are kept by the status writer until the informer catches up: the same shape as the cache.
    getPod: (ns, name) => api.get(PODS, ns, name).then(stripManagedFields),
    // Without spec: a status update keeps the stored spec whatever the body says (kube's status strategy;
    // the kubelet itself sends a patch of status only), so a third of the bytes would be decoded, defaulted
    // and dropped by the API server on every status write.
    updatePodStatus: ({ spec: _spec, ...pod }) => api.updateStatus(PODS, (pod.metadata as { namespace: string }).namespace, pod).then(stripManagedFields),
    deletePod: async (ns, name, uid) => {
      try {
        await api.delete(PODS, ns, name, { gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (e) {
        const code = statusCodeOf(e);
        if (code !== 404 && code !== 409) throw e; // 409: a newer pod of the same name; ours is gone
      }
    },
  };

  const tempDir = opts.dataDir ? undefined : mkdtempSync(join(tmpdir(), "kubeactor-kubelet-"));
  const dataDir = opts.dataDir ?? tempDir!;
  // Looked at once a second at most: an edit of images.json applies to pods started a second later.
  const catalogue = new ImageCatalogue(join(dataDir, CATALOGUE_FILE), log, 1000);
  const orUndefined = (e: unknown) => {
    if (statusCodeOf(e) === 404) return undefined;
    throw e;
  };
  const lookup: ObjectLookup = {
    configMap: (ns, name) => api.get({ group: "", version: "v1", resource: "configmaps" }, ns, name).catch(orUndefined),
    secret: (ns, name) => api.get({ group: "", version: "v1", resource: "secrets" }, ns, name).catch(orUndefined),
    services: async (ns) => ((await api.list({ group: "", version: "v1", resource: "services" }, ns)).items ?? []) as JsonObject[],
    runtimeClass: (name) => api.get({ group: "node.k8s.io", version: "v1", resource: "runtimeclasses" }, "", name).catch(orUndefined),
    persistentVolumeClaim: (ns, name) => api.get({ group: "", version: "v1", resource: "persistentvolumeclaims" }, ns, name).catch(orUndefined),
    persistentVolume: (name) => api.get({ group: "", version: "v1", resource: "persistentvolumes" }, "", name).catch(orUndefined),
  };
  const runtimes = new Map<string, NodeRuntime>();
  const nodeDirOf = (node: string) => join(dataDir, "kubelet", node);
  const reaped = reapOrphans(names.map(nodeDirOf));
  if (reaped) log(`kubelet: killed ${reaped} process group(s) a previous kubelet left running`);
  const actors = new Map<string, Actor<typeof nodeMachine>>();
  // Pod IPs and InternalIPs are host addresses: another kubelet on this host must not hand out the same ones.
  const firstIndex = opts.firstIndex ?? 1;
  const claims = new NodeIndexClaims();
  let firstAddress = firstIndex;
  try {
    firstAddress = claims.claim(firstIndex, names.length);
  } catch (e) {
    log(`kubelet: could not claim node indexes on this host (${(e as Error).message}); pod IPs may clash with another kubelet's`);
  }
  if (firstAddress !== firstIndex)
    log(`kubelet: another kubelet on this host uses pod CIDRs from ${podCidrFor(firstIndex)}: this one's start at ${podCidrFor(firstAddress)}`);
  const releaseClaims = () => claims.release();
  process.once("exit", releaseClaims);
  names.forEach((name, i) => {
    const index = firstIndex + i;
    const podCIDR = podCidrFor(firstAddress + i);
    const sim = new SimRuntime({ podCIDR, ...(opts.pullMs !== undefined ? { pullMs: opts.pullMs } : {}) });
    // Sandboxes do not outlive the kubelet process: what a previous run left is stale.
    const nodeDir = nodeDirOf(name);
    rmSync(nodeDir, { recursive: true, force: true });
    const proc = new ProcessRuntime({
      dataDir: nodeDir,
      catalogue,
      nodeName: name,
      lookup,
      log,
      ...(opts.processPollMs ? { pollMs: opts.processPollMs } : {}),
      ...(opts.volumeSyncMs ? { volumeSyncMs: opts.volumeSyncMs } : {}),
    });
    const runtime = new NodeRuntime(sim, proc);
    const recorder = new EventRecorder(api, { component: "kubelet", host: name }, log);
    runtimes.set(name, runtime);
    const actor = createActor(nodeMachine, {
      id: `kubelet/${name}`,
      input: {
        config: {
          name,
          index,
          podCIDR,
          hostIP: hostIpFor(firstAddress + i),
          cpu: opts.cpu ?? "4",
          memory: opts.memory ?? "8Gi",
          maxPods: opts.maxPods ?? 110,
          labels: opts.labels ?? {},
          taints: opts.taints ?? [],
          runtimeVersion: runtime.version,
          ...(opts.extendedResources ? { extendedResources: opts.extendedResources } : {}),
        },
        getNode: (n) => nodeInformer.get(n),
        api,
        podSource,
        podDeps: {
          runtime,
          api: podApi,
          record: (pod, type, reason, message, fieldPath) => void recorder.record(pod, type, reason, message, fieldPath),
          log,
          lookup,
          nodeAllocatable: { cpu: opts.cpu ?? "4", memory: opts.memory ?? "8Gi" },
          ...(opts.backoff ? { backoff: opts.backoff } : {}),
        },
        record: (node, type, reason, message) => void recorder.record(node, type, reason, message),
        log,
        ...(opts.leaseRenewMs ? { leaseRenewMs: opts.leaseRenewMs } : {}),
      },
      ...(opts.inspect ? { inspect: opts.inspect } : {}),
    });
    actors.set(name, actor);
  });
  /** Resolves once the node is registered (its Node and Lease written). */
  const registered = (a: Actor<typeof nodeMachine>) =>
    new Promise<void>((resolve) => {
      const check = () => a.getSnapshot().matches({ Active: "Registered" });
      if (check()) return resolve();
      const sub = a.subscribe(() => {
        if (check()) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
  // Nodes start in waves, each once the previous one registered (or after WAVE_WAIT_MS): 5000 nodes
  // registering at once sent ~40k requests (Nodes, Leases, statuses, Events) in one burst, which waited
  // past the bus' timeout and were all retried on top (5000 nodes took 185 s to register over NATS, with
  // 8000 timeouts; one process 17–32 s with 2400 lease renewals timed out).
  let stopping = false;
  let waveTimer: NodeJS.Timeout | undefined;
  const starting = (async () => {
    const all = [...actors.values()];
    const size = Math.max(1, opts.startWave ?? START_WAVE);
    for (let i = 0; i < all.length && !stopping; i += size) {
      const wave = all.slice(i, i + size);
      for (const a of wave) a.start();
      if (i + size >= all.length) break;
      await Promise.race([Promise.all(wave.map(registered)), new Promise<void>((r) => (waveTimer = setTimeout(r, WAVE_WAIT_MS)))]);
      clearTimeout(waveTimer);
    }
  })();

  const inject = (node: string, e: NodeInjectEvent): string => {
    const actor = actors.get(node)!;
    switch (e.type) {
      case "node.stop":
        actor.send({ type: "STOP" });
        return "stopped";
      case "node.start":
        actor.send({ type: "START" });
        return "started";
      case "node.pressure":
        actor.send({ type: "SET_CONDITION", condition: e.condition, status: e.status ? "True" : "False" });
        return `${e.condition}=${e.status ? "True" : "False"}`;
      case "node.condition":
        actor.send({
          type: "SET_CONDITION",
          condition: e.condition,
          status: e.status,
          ...(e.reason ? { reason: e.reason } : {}),
          ...(e.message ? { message: e.message } : {}),
        });
        return `${e.condition}=${e.status}`;
      case "container.exit": {
        if (!runtimes.get(node)!.crash(e, e.exitCode ?? 1)) {
          throw badRequest(`no running container ${e.container} in pod ${e.namespace}/${e.pod} on node ${node}`);
        }
        return `container ${e.namespace}/${e.pod}/${e.container} exited with ${e.exitCode ?? 1}`;
      }
    }
  };
  const subs = [
    // One wildcard subscription per process; only the process running the node answers.
    opts.bus.serve(nodeInject, (e, p) => {
      const node = p.node!;
      if (!actors.has(node)) return NO_REPLY;
      const result = inject(node, e);
      log(`inject ${node}: ${result}`);
      return { node, result };
    }),
    serveLogs({ bus: opts.bus, runtime: (n) => runtimes.get(n), pod: (ns, name) => informer.get(`${ns}/${name}`), log }),
    serveStreams({ bus: opts.bus, runtime: (n) => runtimes.get(n), pod: (ns, name) => informer.get(`${ns}/${name}`), log }),
    serveStats({ bus: opts.bus, runtime: (n) => runtimes.get(n), podsOn: (n) => informer.byIndex("nodeName", n), windowMs: opts.processPollMs ?? 1000 }),
  ];
  await opts.bus.transport.flush();

  if (opts.waitForReady ?? true) {
    await starting;
    await Promise.all([...actors.values()].map(registered));
  }

  return {
    nodes: names,
    runtime: (n) => runtimes.get(n),
    actor: (n) => actors.get(n),
    stop: async () => {
      stopping = true;
      clearTimeout(waveTimer);
      for (const s of subs) s.unsubscribe();
      informer.stop();
      nodeInformer.stop();
      for (const a of actors.values()) a.stop();
      for (const r of runtimes.values()) r.close();
      claims.release();
      process.off("exit", releaseClaims);
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
};
