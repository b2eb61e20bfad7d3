/**
 * metrics.k8s.io/v1beta1, served the way metrics-server serves it but read
 * live: each request lists the nodes or pods it is about (through the same
 * handlers, so label and field selectors work) and asks each node concerned
 * for its reading (`kube.node.<node>.stats`), in parallel with a short
 * timeout. A node that does not answer is left out of a list, and a single
 * object without a reading is NotFound — what `kubectl top` expects from
 * metrics-server. Nothing is stored or cached.
 */
import { findResource, isStatusError, methodNotAllowed, notFound } from "@kubeactor/api";
import { type Bus, type NodeStats, nodeStats } from "@kubeactor/bus";
import type { Reply, ResourceHandlers } from "./handlers.ts";
import { nowTimestamp } from "./objects.ts";
import type { ResourceTarget } from "./routes.ts";

type Obj = Record<string, unknown>;
type Meta = { name?: string; namespace?: string; labels?: Record<string, string> };

const NODES = findResource("", "v1", "nodes")!;
const PODS = findResource("", "v1", "pods")!;
/** How long a node has to answer; a busy or stopped node is left out rather than stalling `kubectl top`. */
const STATS_TIMEOUT_MS = 2000;
/** Readings asked at once: enough for thousands of simulated nodes without flooding the bus. */
const CONCURRENCY = 64;

const metaOf = (o: Obj): Meta => (o.metadata ?? {}) as Meta;

/** Every node's reading (undefined when it did not answer), at most CONCURRENCY requests in flight. */
const readNodes = async (bus: Bus, nodes: readonly string[]): Promise<Map<string, NodeStats>> => {
  const out = new Map<string, NodeStats>();
  let next = 0;
  const worker = async () => {
    while (next < nodes.length) {
      const node = nodes[next++]!;
      try {
        out.set(node, await bus.request(nodeStats, {}, { params: { node }, timeoutMs: STATS_TIMEOUT_MS }));
      } catch {
        // no reading: left out, as metrics-server leaves out nodes it could not scrape
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, nodes.length) }, worker));
  return out;
};

const nodeMetrics = (node: Obj, s: NodeStats): Obj => {
  const m = metaOf(node);
  return {
    metadata: { name: m.name, creationTimestamp: nowTimestamp(), ...(m.labels ? { labels: m.labels } : {}) },
    timestamp: s.timestamp,
    window: s.window,
    usage: { cpu: s.usage.cpu, memory: s.usage.memory },
  };
};

const podMetrics = (pod: Obj, s: NodeStats): Obj | undefined => {
  const m = metaOf(pod);
  const reading = s.pods.find((p) => p.namespace === m.namespace && p.name === m.name);
  if (!reading) return undefined;
  return {
    metadata: { name: m.name, namespace: m.namespace, creationTimestamp: nowTimestamp(), ...(m.labels ? { labels: m.labels } : {}) },
    timestamp: s.timestamp,
    window: s.window,
    containers: reading.containers.map((c) => ({ name: c.name, usage: { cpu: c.usage.cpu, memory: c.usage.memory } })),
  };
};

/** metrics-server's NotFound: `podmetrics.metrics.k8s.io "default/web" not found`, `nodemetrics.metrics.k8s.io "node-9" not found`. */
const noMetrics = (t: ResourceTarget, name: string) =>
  t.info.kind === "NodeMetrics" ? notFound({ group: "metrics.k8s.io", resource: "nodemetrics" }, name) : notFound({ group: "metrics.k8s.io", resource: "podmetrics" }, `${t.namespace}/${name}`);
const orNoMetrics = async <T>(t: ResourceTarget, name: string, read: () => Promise<T>): Promise<T> => {
  try {
    return await read();
  } catch (e) {
    if (isStatusError(e) && e.status.code === 404) throw noMetrics(t, name);
    throw e;
  }
};

const list = (kind: string, items: Obj[]): Obj => ({ kind, apiVersion: "metrics.k8s.io/v1beta1", metadata: {}, items });
const single = (kind: string, item: Obj): Obj => ({ kind, apiVersion: "metrics.k8s.io/v1beta1", ...item });

/** GET (one or a list) on metrics.k8s.io nodes or pods; every other method has no route, as on metrics-server. */
export const serveMetrics = async (bus: Bus, handlers: ResourceHandlers, t: ResourceTarget, method: string, q: URLSearchParams): Promise<Reply> => {
  if (method !== "GET" || q.get("watch") === "true" || q.get("watch") === "1" || t.subresource !== undefined) throw methodNotAllowed();
  const target = (info: typeof NODES): ResourceTarget => ({ kind: "resource", info, namespace: info.namespaced ? t.namespace : "", watchPrefix: false });
  if (t.info.kind === "NodeMetrics") {
    const nodes =
      t.name !== undefined
        ? [(await orNoMetrics(t, t.name, () => handlers.get(target(NODES), t.name!))).body as Obj]
        : (((await handlers.list(target(NODES), q)).body as { items: Obj[] }).items ?? []);
    const readings = await readNodes(bus, nodes.map((n) => metaOf(n).name ?? ""));
    const items = nodes.flatMap((n) => {
      const s = readings.get(metaOf(n).name ?? "");
      return s ? [nodeMetrics(n, s)] : [];
    });
    if (t.name !== undefined) {
      if (items.length === 0) throw noMetrics(t, t.name);
      return { code: 200, body: single("NodeMetrics", items[0]!) };
    }
    return { code: 200, body: list("NodeMetricsList", items) };
  }
  const pods =
    t.name !== undefined
      ? [(await orNoMetrics(t, t.name, () => handlers.get(target(PODS), t.name!))).body as Obj]
      : (((await handlers.list(target(PODS), q)).body as { items: Obj[] }).items ?? []);
  const running = pods.filter((p) => (p.status as { phase?: string } | undefined)?.phase === "Running" && (p.spec as { nodeName?: string } | undefined)?.nodeName);
  const readings = await readNodes(bus, [...new Set(running.map((p) => (p.spec as { nodeName: string }).nodeName))]);
  const items = running.flatMap((p) => {
    const s = readings.get((p.spec as { nodeName: string }).nodeName);
    const m = s && podMetrics(p, s);
    return m ? [m] : [];
  });
  if (t.name !== undefined) {
    if (items.length === 0) throw noMetrics(t, t.name);
    return { code: 200, body: single("PodMetrics", items[0]!) };
  }
  return { code: 200, body: list("PodMetricsList", items) };
};
