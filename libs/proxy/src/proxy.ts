/**
 * The runnable kube-proxy: informers on Services, EndpointSlices and Nodes
 * (read from the store, as every component does) wake the sync machine;
 * each sync computes the plan from the caches, applies it to the userspace
 * proxier, and publishes LoadBalancer ingress addresses through the API.
 *
 * NodePorts listen on the InternalIP of every node this proxy serves when
 * that address is a loopback one (anything else cannot be bound on this
 * host and is logged once), plus `nodePortAddresses` (default 127.0.0.1, so
 * `localhost:<nodePort>` works as with kube-proxy's iptables mode).
 */
import { type AnyActorRef, createActor, fromPromise, type InspectionEvent } from "xstate";
import type { Bus, JsonObject } from "@kubeactor/bus";
import { ApiClient, Informer, StoreClient } from "@kubeactor/client";
import { computePlan, isLoopback, type LoadBalancerStatus, SERVICE_NAME_LABEL } from "./plan.ts";
import { type ApplyResult, Proxier } from "./proxier.ts";
import { syncMachine } from "./sync-machine.ts";

export interface KubeProxyOptions {
  readonly bus: Bus;
  /** Nodes whose NodePorts this proxy serves (`--node-name`); every node when absent. */
  readonly nodeNames?: readonly string[];
  /** More addresses for NodePorts (`--nodeport-addresses`); default ["127.0.0.1"]. */
  readonly nodePortAddresses?: readonly string[];
  /** `--min-sync-period` (default 50 ms): changes are coalesced into at most one sync per period. */
  readonly minSyncPeriodMs?: number;
  /** `--sync-period` (default 30 s): a full sync even without changes (retries failed binds). */
  readonly syncPeriodMs?: number;
  readonly log?: (line: string) => void;
  readonly inspect?: (event: InspectionEvent) => void;
}

export interface RunningKubeProxy {
  readonly actor: AnyActorRef;
  readonly proxier: Proxier;
  stop(): Promise<void>;
}

const SERVICES = { group: "", version: "v1", resource: "services" };
type Obj = Record<string, any>;

const internalIP = (node: Obj): string | undefined => (node.status?.addresses ?? []).find((a: Obj) => a.type === "InternalIP")?.address;

export const startKubeProxy = async (opts: KubeProxyOptions): Promise<RunningKubeProxy> => {
  const log = opts.log ?? ((line: string) => console.error(`kube-proxy: ${line}`));
  const store = new StoreClient(opts.bus);
  const api = new ApiClient(opts.bus);
  const proxier = new Proxier();
  const services = new Informer(opts.bus, store, { group: "", resource: "services", log });
  const slices = new Informer(opts.bus, store, { group: "discovery.k8s.io", resource: "endpointslices", log });
  const nodes = new Informer(opts.bus, store, { group: "", resource: "nodes", log });
  const extraAddresses = opts.nodePortAddresses ?? ["127.0.0.1"];
  const warned = new Set<string>();
  const warnOnce = (line: string) => {
    if (warned.has(line)) return;
    warned.add(line);
    log(line);
  };

  const nodeAddresses = (): string[] => {
    const out = new Set(extraAddresses);
    for (const node of nodes.list() as Obj[]) {
      const name = node.metadata?.name;
      if (opts.nodeNames && !opts.nodeNames.includes(name)) continue;
      const ip = internalIP(node);
      if (!ip) continue;
      if (isLoopback(ip)) out.add(ip);
      else warnOnce(`node ${name}'s InternalIP ${ip} is not a loopback address; its NodePorts are served on ${extraAddresses.join(", ") || "no address"} only`);
    }
    return [...out];
  };

  const slicesOf = (namespace: string, name: string) =>
    (slices.byIndex("label", `${SERVICE_NAME_LABEL}=${name}`) as Obj[]).filter((s) => s.metadata?.namespace === namespace);

  /** status.loadBalancer.ingress = the ClusterIP, written only when it differs. */
  const publishLoadBalancers = async (lbs: readonly LoadBalancerStatus[]) => {
    const want = new Map(lbs.map((l) => [`${l.namespace}/${l.name}`, l.ingressIp]));
    for (const svc of services.list() as Obj[]) {
      const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
      const ip = want.get(key);
      const ingress = svc.status?.loadBalancer?.ingress ?? [];
      const wanted = ip ? [{ ip, ipMode: "VIP" }] : [];
      if (JSON.stringify(ingress) === JSON.stringify(wanted)) continue;
      if (!ip && svc.spec?.type === "LoadBalancer") continue;
      const next = structuredClone(svc) as Obj;
      next.status = { ...(next.status ?? {}), loadBalancer: ip ? { ingress: wanted } : {} };
      try {
        await api.updateStatus(SERVICES, svc.metadata.namespace, next as JsonObject);
      } catch (e) {
        log(`updating the load balancer status of ${key}: ${(e as Error).message}`);
      }
    }
  };

  let lastFailed = "";
  const sync = async (): Promise<ApplyResult> => {
    const plan = computePlan(services.list() as Obj[], slicesOf, nodeAddresses());
    for (const s of plan.skipped) warnOnce(s);
    const result = await proxier.apply(plan);
    const failed = result.failed.join("\n");
    if (failed && failed !== lastFailed) log(`cannot listen on:\n  ${result.failed.join("\n  ")}`);
    lastFailed = failed;
    await publishLoadBalancers(plan.loadBalancers);
    return result;
  };

  await Promise.all([services.start(), slices.start(), nodes.start()]);
  const actor = createActor(syncMachine.provide({ actors: { sync: fromPromise(sync) } }), {
    systemId: "kube-proxy",
    input: { minSyncPeriodMs: opts.minSyncPeriodMs ?? 50, syncPeriodMs: opts.syncPeriodMs ?? 30_000 },
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
  });
  const changed = () => actor.send({ type: "CHANGED" });
  const onAny = { onAdd: changed, onUpdate: (a: JsonObject, b: JsonObject) => a !== b && changed(), onDelete: changed };
  services.addHandler(onAny);
  slices.addHandler(onAny);
  // Heartbeats change nothing here; only a node's addresses do.
  nodes.addHandler({ onAdd: changed, onDelete: changed, onUpdate: (a, b) => internalIP(a as Obj) !== internalIP(b as Obj) && changed() });
  actor.start();

  return {
    actor,
    proxier,
    stop: async () => {
      actor.stop();
      for (const inf of [services, slices, nodes]) inf.stop();
      await proxier.stop();
    },
  };
};
