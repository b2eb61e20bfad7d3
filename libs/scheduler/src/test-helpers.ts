/** Builders for tests: nodes and pods as plain objects. */
import { CycleState, type FakeNodeSource, type FilterPlugin, type Node, type Pod, type ScorePlugin } from "./framework.ts";

export const makeNode = (
  name: string,
  opts: {
    cpu?: string;
    memory?: string;
    pods?: string;
    extra?: Record<string, string>;
    labels?: Record<string, string>;
    taints?: { key: string; value?: string; effect: string }[];
    unschedulable?: boolean;
  } = {},
): Node => {
  const allocatable = { cpu: opts.cpu ?? "4", memory: opts.memory ?? "8Gi", pods: opts.pods ?? "110", ...(opts.extra ?? {}) };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...(opts.labels ?? {}) } },
    spec: { ...(opts.taints ? { taints: opts.taints } : {}), ...(opts.unschedulable ? { unschedulable: true } : {}) },
    status: { capacity: allocatable, allocatable },
  } as unknown as Node;
};

export const makePod = (
  name: string,
  opts: {
    cpu?: string;
    memory?: string;
    requests?: Record<string, string>;
    nodeName?: string;
    spec?: Record<string, unknown>;
    priority?: number;
    namespace?: string;
    created?: string;
    labels?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }[];
  } = {},
): Pod => {
  const requests = { ...(opts.cpu ? { cpu: opts.cpu } : {}), ...(opts.memory ? { memory: opts.memory } : {}), ...(opts.requests ?? {}) };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: opts.namespace ?? "default",
      uid: `uid-${name}`,
      ...(opts.created ? { creationTimestamp: opts.created } : {}),
      ...(opts.labels ? { labels: opts.labels } : {}),
      ...(opts.ownerReferences ? { ownerReferences: opts.ownerReferences.map((r) => ({ uid: `uid-${r.name}`, ...r })) } : {}),
    },
    spec: {
      containers: [{ name: "c", image: "busybox", ...(Object.keys(requests).length ? { resources: { requests } } : {}) }],
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
      ...(opts.spec ?? {}),
    },
  } as unknown as Pod;
};

/** Each node's verdict: "ok" or its first reason. */
export const filterAll = (plugin: FilterPlugin, pod: Pod, src: FakeNodeSource): Record<string, string> => {
  const st = new CycleState();
  const pre = plugin.preFilter?.(st, pod, src);
  return Object.fromEntries(src.infos.map((n) => [n.name, pre?.reasons[0] ?? (plugin.filter(st, pod, n).reasons[0] ?? "ok")]));
};
/** Each node's normalised score (all nodes feasible). */
export const scoreAll = (plugin: ScorePlugin, pod: Pod, src: FakeNodeSource): Record<string, number> => {
  const st = new CycleState();
  plugin.preScore?.(st, pod, src.infos, src);
  const raw = src.infos.map((n) => plugin.score(st, pod, n));
  const norm = plugin.normalize ? plugin.normalize(st, pod, raw) : raw;
  return Object.fromEntries(src.infos.map((n, i) => [n.name, norm[i]!]));
};

