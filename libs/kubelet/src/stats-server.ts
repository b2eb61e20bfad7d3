/**
 * The kubelet's summary for metrics: answers `kube.node.<node>.stats` for the
 * nodes this process runs with each running container's CPU and memory (from
 * /proc for processes, the `cpu` / `memory` sim annotations for simulated
 * containers, 0 without them) and the node's total, their sum. The API server
 * turns it into metrics.k8s.io NodeMetrics / PodMetrics (`kubectl top`).
 */
import { formatQuantity, parseQuantity, type Quantity } from "@kubeactor/api";
import { type Bus, type BusSubscription, type JsonObject, NO_REPLY, nodeStats, type NodeStats, type ResourceUsage } from "@kubeactor/bus";
import type { NodeRuntime } from "./runtime/node-runtime.ts";
import { rfc3339 } from "./runtime/clock.ts";
import { runtimeContainerId } from "./pod-status.ts";

export interface StatsServerOptions {
  readonly bus: Bus;
  readonly runtime: (node: string) => NodeRuntime | undefined;
  /** The pods bound to a node, as this kubelet knows them (its informer). */
  readonly podsOn: (node: string) => readonly JsonObject[];
  /** The process runtime samples /proc this often; the CPU rate is averaged over it. */
  readonly windowMs?: number;
}

type ContainerStatus = { name: string; containerID?: string; state?: { running?: object } };

const ZERO: Quantity = parseQuantity("0");
const quantity = (v: string | undefined): Quantity => {
  if (!v) return ZERO;
  try {
    return parseQuantity(v);
  } catch {
    return ZERO;
  }
};

/** One node's reading: running containers of Running pods only, as the summary API reports them. */
export const nodeStatsOf = (node: string, runtime: NodeRuntime, pods: readonly JsonObject[], windowMs: number, now = new Date()): NodeStats => {
  let cpu = 0n;
  let memory = 0n;
  const out: NodeStats["pods"][number][] = [];
  for (const pod of pods) {
    const status = (pod.status ?? {}) as { phase?: string; containerStatuses?: ContainerStatus[] };
    if (status.phase !== "Running") continue;
    const meta = pod.metadata as { namespace?: string; name?: string };
    const containers: { name: string; usage: ResourceUsage }[] = [];
    for (const c of status.containerStatuses ?? []) {
      if (!c.state?.running || !c.containerID) continue;
      let reading: { cpu?: string; memory?: string } = {};
      try {
        reading = runtime.usage(runtimeContainerId(c.containerID));
      } catch {
        continue; // the runtime no longer has it (it just exited)
      }
      const q = { cpu: quantity(reading.cpu), memory: quantity(reading.memory) };
      cpu += q.cpu.nanos;
      memory += q.memory.nanos;
      containers.push({ name: c.name, usage: { cpu: formatQuantity(q.cpu), memory: formatQuantity(q.memory) } });
    }
    if (containers.length > 0) out.push({ namespace: meta.namespace ?? "", name: meta.name ?? "", containers });
  }
  return {
    node,
    timestamp: rfc3339(now.getTime()),
    window: `${windowMs / 1000}s`,
    usage: { cpu: formatQuantity({ nanos: cpu, format: "DecimalSI" }), memory: formatQuantity({ nanos: memory, format: "BinarySI" }) },
    pods: out,
  };
};

export const serveStats = (opts: StatsServerOptions): BusSubscription =>
  opts.bus.serve(nodeStats, (_req, params) => {
    const node = params.node!;
    const runtime = opts.runtime(node);
    if (!runtime) return NO_REPLY;
    return nodeStatsOf(node, runtime, opts.podsOn(node), opts.windowMs ?? 1000);
  });
