/**
 * The node lifecycle controller (kube-controller-manager's `nodelifecycle`),
 * with its NoExecute taint manager. One queue, two kinds of keys:
 *
 *   `node:<name>`   monitorNodeHealth for one node: a node whose lease (or Ready
 *                   heartbeat) has not been seen renewed for
 *                   `nodeMonitorGracePeriodMs` gets its kubelet conditions set to
 *                   Unknown; the Ready condition decides the taints
 *                   (False → not-ready, Unknown → unreachable, True → none, each
 *                   NoExecute + NoSchedule). Requeued every `nodeMonitorPeriodMs`.
 *                   A new NoExecute taint waits for a token of the node's zone
 *                   (node-eviction.ts: per-zone states and rates, none at all
 *                   while every zone is fully disrupted).
 *   `zones`         recomputes every zone's state each `nodeMonitorPeriodMs`
 *                   (handleDisruption) and sets the zones' eviction rates.
 *   `pod:<ns>/<n>`  the taint manager: a pod bound to a node with NoExecute taints
 *                   it does not tolerate is deleted at once; one it tolerates for
 *                   `tolerationSeconds` is deleted that long after the taint was
 *                   added (grace 0 when the node is unreachable: no kubelet is left
 *                   to finish a graceful delete).
 *
 * "Renewed" is judged by this controller's clock when it observes a change of
 * the lease's renewTime or the Ready heartbeat (Kubernetes' probeTimestamp),
 * so clock skew between kubelet and controller does not matter.
 */
import { objectKey } from "@kubeactor/client";
import {
  allFullyDisrupted, computeZoneState, DEFAULT_EVICTION_RATES, type EvictionRates, TokenBucket, zoneEvictionRate, zoneKey, type ZoneState,
} from "./node-eviction.ts";
import { type Controller, PODS } from "./runtime.ts";
import { clone, isNotFound, jsonEqual, meta, now as metaNow, type Obj } from "./util.ts";

const NODE_REF = { group: "", version: "v1", resource: "nodes" };
const LEASE_REF = { group: "coordination.k8s.io", version: "v1", resource: "leases" };
const LEASE_NAMESPACE = "kube-node-lease";

export const TAINT_NODE_NOT_READY = "node.kubernetes.io/not-ready";
export const TAINT_NODE_UNREACHABLE = "node.kubernetes.io/unreachable";
/** The conditions the kubelet owns, set to Unknown when it stops posting. */
export const KUBELET_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] as const;

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}
export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}
interface NodeCondition {
  type: string;
  status: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface NodeLifecycleOptions extends Partial<EvictionRates> {
  /** How long a node may go without a renewed lease / Ready heartbeat before it is Unknown (Kubernetes: 40 s). */
  readonly nodeMonitorGracePeriodMs?: number;
  /** How often every node's health is checked (Kubernetes: 5 s). */
  readonly nodeMonitorPeriodMs?: number;
  /** The controller's clock (ms). */
  readonly now?: () => number;
}

export const NODE_MONITOR_GRACE_PERIOD_MS = 40_000;
export const NODE_MONITOR_PERIOD_MS = 5_000;

/** v1.Toleration.ToleratesTaint. */
export const toleratesTaint = (t: Toleration, taint: Taint): boolean => {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === "Exists") return true;
  if (!t.key) return false; // an empty key needs operator Exists
  return (t.value ?? "") === (taint.value ?? "");
};

/**
 * When the taint manager evicts `pod` from a node with `taints`: `undefined`
 * (never: no NoExecute taint, or tolerated forever), or ms from `nowMs` (0 = now).
 * Per taint, the shortest `tolerationSeconds` of the tolerations matching it
 * counts (≤ 0 means at once), from the time the taint was added (`addedAt`).
 */
export const evictionDelayMs = (
  tolerations: readonly Toleration[],
  taints: readonly Taint[],
  nowMs: number,
  addedAt: (taint: Taint) => number,
): number | undefined => {
  let deadline = Infinity;
  for (const taint of taints) {
    if (taint.effect !== "NoExecute") continue;
    const matching = tolerations.filter((t) => toleratesTaint(t, taint));
    if (matching.length === 0) return 0;
    const seconds = Math.min(...matching.map((t) => (typeof t.tolerationSeconds === "number" ? t.tolerationSeconds : Infinity)));
    if (seconds === Infinity) continue;
    if (seconds <= 0) return 0;
    deadline = Math.min(deadline, addedAt(taint) + seconds * 1000);
  }
  return deadline === Infinity ? undefined : Math.max(0, deadline - nowMs);
};

/** The taint keys the node's Ready status calls for (NoExecute and NoSchedule each). */
export const taintKeysFor = (readyStatus: string | undefined): string[] =>
  readyStatus === "False" ? [TAINT_NODE_NOT_READY] : readyStatus === "True" ? [] : [TAINT_NODE_UNREACHABLE];

const OUR_KEYS = new Set([TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]);
const EFFECTS = ["NoSchedule", "NoExecute"] as const;

/** The node's taints with ours made to match `readyStatus`; others untouched, kept ones keep their timeAdded. */
export const reconcileTaints = (current: readonly Taint[], readyStatus: string | undefined, at: string): Taint[] => {
  const wanted = taintKeysFor(readyStatus);
  const out = current.filter((t) => !OUR_KEYS.has(t.key) || (wanted.includes(t.key) && (EFFECTS as readonly string[]).includes(t.effect)));
  for (const key of wanted)
    for (const effect of EFFECTS)
      if (!out.some((t) => t.key === key && t.effect === effect)) out.push(effect === "NoExecute" ? { key, effect, timeAdded: at } : { key, effect });
  return out;
};

/** The node status with every kubelet condition Unknown (tryUpdateNodeHealth); heartbeats are kept. */
export const markConditionsUnknown = (status: { conditions?: NodeCondition[] } | undefined, creationTimestamp: string | undefined, at: string) => {
  const conditions = (status?.conditions ?? []).map((c) => ({ ...c }));
  for (const type of KUBELET_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type, status: "Unknown", reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status.",
        ...(creationTimestamp ? { lastHeartbeatTime: creationTimestamp } : {}), lastTransitionTime: at,
      });
    } else if (c.status !== "Unknown") {
      Object.assign(c, { status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: at });
    }
  }
  return { ...(status ?? {}), conditions };
};

const readyOf = (node: Obj): NodeCondition | undefined => ((node.status?.conditions ?? []) as NodeCondition[]).find((c) => c.type === "Ready");
const taintsOf = (node: Obj | undefined): Taint[] => ((node?.spec?.taints ?? []) as Taint[]);

interface NodeHealth {
  /** When this controller last saw the lease or the Ready heartbeat change (its own clock). */
  probe: number;
  heartbeat?: string;
  renewTime?: string;
}

export const nodeLifecycleControllerWith = (opts: NodeLifecycleOptions = {}): Controller => ({
  name: "node-lifecycle-controller",
  workers: 2,
  setup(ctx, queue) {
    const grace = opts.nodeMonitorGracePeriodMs ?? NODE_MONITOR_GRACE_PERIOD_MS;
    const period = opts.nodeMonitorPeriodMs ?? NODE_MONITOR_PERIOD_MS;
    const clock = opts.now ?? Date.now;
    const nodeInf = ctx.informer(NODE_REF);
    const leaseInf = ctx.informer(LEASE_REF);
    const podInf = ctx.informer(PODS);
    const events = ctx.recorder("node-controller");
    const rates: EvictionRates = {
      evictionRate: opts.evictionRate ?? DEFAULT_EVICTION_RATES.evictionRate,
      secondaryEvictionRate: opts.secondaryEvictionRate ?? DEFAULT_EVICTION_RATES.secondaryEvictionRate,
      unhealthyZoneThreshold: opts.unhealthyZoneThreshold ?? DEFAULT_EVICTION_RATES.unhealthyZoneThreshold,
      largeClusterSizeThreshold: opts.largeClusterSizeThreshold ?? DEFAULT_EVICTION_RATES.largeClusterSizeThreshold,
    };
    let zoneStates = new Map<string, ZoneState>();
    const zoneSizes = new Map<string, number>();
    /** One token bucket per zone: how fast its nodes get the NoExecute taint. */
    const buckets = new Map<string, TokenBucket>();
    const bucketFor = (zone: string, t: number) => {
      let b = buckets.get(zone);
      if (!b) buckets.set(zone, (b = new TokenBucket(zoneEvictionRate(zoneStates.get(zone) ?? "Normal", zoneSizes.get(zone) ?? 0, rates), t)));
      return b;
    };
    const masterDisruption = () => allFullyDisrupted(zoneStates);
    const health = new Map<string, NodeHealth>();
    /** Exact (ms) times of the taints this controller added; timeAdded only has seconds. */
    const addedAt = new Map<string, number>();
    const taintId = (node: string, t: Taint) => `${node}|${t.key}|${t.effect}`;

    const enqueuePodsOn = (node: string) => {
      for (const p of podInf.byIndex("nodeName", node)) queue.add(`pod:${objectKey(p)}`);
    };
    const noExecute = (n: Obj | undefined) => taintsOf(n).filter((t) => t.effect === "NoExecute");

    nodeInf.addHandler({
      onAdd: (n) => {
        queue.add(`node:${meta(n).name}`);
        if (noExecute(n as Obj).length) enqueuePodsOn(meta(n).name);
      },
      onUpdate: (o, n) => {
        queue.add(`node:${meta(n).name}`);
        if (!jsonEqual(noExecute(o as Obj), noExecute(n as Obj))) enqueuePodsOn(meta(n).name);
      },
      onDelete: (n) => queue.add(`node:${meta(n).name}`),
    });
    leaseInf.addHandler({
      onAdd: (l) => meta(l).namespace === LEASE_NAMESPACE && queue.add(`node:${meta(l).name}`),
      onUpdate: (_, l) => meta(l).namespace === LEASE_NAMESPACE && queue.add(`node:${meta(l).name}`),
    });
    podInf.addHandler({
      onAdd: (p) => (p as Obj).spec?.nodeName && queue.add(`pod:${objectKey(p)}`),
      onUpdate: (_, p) => (p as Obj).spec?.nodeName && queue.add(`pod:${objectKey(p)}`),
    });

    /**
     * handleDisruption: every zone's state from its nodes' Ready statuses
     * (`overlay` is a status this controller just wrote and its cache may
     * not hold yet); entering or leaving "all zones fully disrupted" requeues
     * every node so taints follow.
     */
    const refreshZones = (t: number, overlay?: { name: string; ready: string | undefined }) => {
      const groups = new Map<string, (string | undefined)[]>();
      for (const n of nodeInf.list() as Obj[]) {
        const zone = zoneKey(meta(n).labels);
        const ready = overlay && meta(n).name === overlay.name ? overlay.ready : readyOf(n)?.status;
        (groups.get(zone) ?? groups.set(zone, []).get(zone)!).push(ready);
      }
      const next = new Map([...groups].map(([zone, ready]) => [zone, computeZoneState(ready, rates.unhealthyZoneThreshold).state] as const));
      zoneSizes.clear();
      for (const [zone, ready] of groups) zoneSizes.set(zone, ready.length);
      const wasAll = masterDisruption();
      const isAll = allFullyDisrupted(next);
      for (const zone of buckets.keys()) if (!next.has(zone)) buckets.delete(zone);
      if (isAll) {
        for (const b of buckets.values()) b.setRate(0, t);
      } else {
        for (const [zone, state] of next) {
          if (wasAll || zoneStates.get(zone) !== state) bucketFor(zone, t).setRate(zoneEvictionRate(state, zoneSizes.get(zone)!, rates), t);
          if (zoneStates.has(zone) && zoneStates.get(zone) !== state) ctx.log(`node-lifecycle: zone "${zone.replace("\x00", "")}" is now ${state}`);
        }
      }
      zoneStates = next;
      if (isAll !== wasAll) {
        ctx.log(isAll
          ? "node-lifecycle: Controller detected that all Nodes are not-Ready. Entering master disruption mode."
          : "node-lifecycle: Controller detected that some Nodes are Ready. Exiting master disruption mode.");
        for (const n of nodeInf.list()) queue.add(`node:${meta(n).name}`);
      }
    };

    /** MarkPodsNotReady: the node's pods stop being Ready (so endpoints drop them). */
    const markPodsNotReady = async (nodeName: string) => {
      for (const p of podInf.byIndex("nodeName", nodeName) as Obj[]) {
        const conds = (p.status?.conditions ?? []) as NodeCondition[];
        if (meta(p).deletionTimestamp || !conds.some((c) => c.type === "Ready" && c.status !== "False")) continue;
        const pod = clone(p);
        pod.status.conditions = conds.map((c) => (c.type === "Ready" ? { ...c, status: "False", lastTransitionTime: metaNow(new Date(clock())) } : c));
        await ctx.api.updateStatus(PODS, meta(p).namespace!, pod).catch((e) => { if (!isNotFound(e)) throw e; });
      }
    };

    const syncNode = async (name: string) => {
      const cached = nodeInf.get(name) as Obj | undefined;
      if (!cached) {
        if (health.has(name)) {
          const gone = { apiVersion: "v1", kind: "Node", metadata: { name, uid: name } };
          void events.record(gone, "Normal", "RemovingNode", `Node ${name} event: Removing Node ${name} from Controller`);
        }
        health.delete(name);
        for (const k of addedAt.keys()) if (k.startsWith(`${name}|`)) addedAt.delete(k);
        return;
      }
      const t = clock();
      const at = metaNow(new Date(t));
      const heartbeat = readyOf(cached)?.lastHeartbeatTime;
      const renewTime = (leaseInf.get(`${LEASE_NAMESPACE}/${name}`) as Obj | undefined)?.spec?.renewTime as string | undefined;
      let h = health.get(name);
      if (!h) {
        health.set(name, (h = { probe: t, heartbeat, renewTime }));
        void events.record(cached, "Normal", "RegisteredNode", `Node ${name} event: Registered Node ${name} in Controller`);
      }
      else if (h.heartbeat !== heartbeat || h.renewTime !== renewTime) Object.assign(h, { probe: t, heartbeat, renewTime });

      let node = cached;
      const observedReady = readyOf(cached)?.status;
      if (t - h.probe > grace) {
        const status = markConditionsUnknown(cached.status, meta(cached).creationTimestamp, at);
        if (!jsonEqual(status, cached.status ?? {})) {
          node = (await ctx.api.updateStatus(NODE_REF, "", { ...clone(cached), status })) as Obj;
          ctx.log(`node-lifecycle: node ${name} stopped posting status; conditions Unknown`);
        }
      }
      const currentReady = readyOf(node)?.status;
      if (observedReady === "True" && currentReady !== "True") {
        void events.record(node, "Normal", "NodeNotReady", `Node ${name} status is now: NodeNotReady`);
        await markPodsNotReady(name);
      }

      // No Ready condition yet (a kubelet that never posted): no taint until the grace period marks it Unknown.
      let taints = currentReady === undefined ? taintsOf(node) : reconcileTaints(taintsOf(node), currentReady, at);
      let requeueAfterMs = period;
      const ourNoExecute = (x: Taint) => OUR_KEYS.has(x.key) && x.effect === "NoExecute";
      if (taints.some(ourNoExecute)) {
        const fresh = !taintsOf(node).some(ourNoExecute);
        // A new eviction is decided on an up-to-date view of the zones, as upstream's taint pass runs after handleDisruption.
        if (fresh) refreshZones(t, { name, ready: currentReady });
        const zone = zoneKey(meta(node).labels);
        if (masterDisruption()) taints = taints.filter((x) => !ourNoExecute(x));
        else if (fresh && !bucketFor(zone, t).tryAccept(t)) {
          taints = taints.filter((x) => !ourNoExecute(x));
          requeueAfterMs = Math.min(period, Math.max(10, bucketFor(zone, t).waitMs(t)));
        }
      }
      if (!jsonEqual(taints, taintsOf(node))) {
        const before = new Set(taintsOf(node).map((x) => taintId(name, x)));
        const next = clone(node);
        next.spec = { ...(next.spec ?? {}) };
        if (taints.length) next.spec.taints = taints;
        else delete next.spec.taints;
        // Recorded before the write: the informer may deliver the tainted node (and the taint manager act on it) before update() returns.
        const fresh = taints.map((x) => taintId(name, x)).filter((id) => !before.has(id));
        for (const id of fresh) addedAt.set(id, t);
        try {
          await ctx.api.update(NODE_REF, "", next);
        } catch (e) {
          for (const id of fresh) addedAt.delete(id);
          throw e;
        }
        const after = new Set(taints.map((x) => taintId(name, x)));
        for (const id of before) if (!after.has(id)) addedAt.delete(id);
        ctx.log(`node-lifecycle: node ${name} taints now ${taints.map((x) => `${x.key}:${x.effect}`).join(",") || "none"}`);
      }
      return { requeueAfterMs };
    };

    const syncPod = async (key: string) => {
      const pod = podInf.get(key) as Obj | undefined;
      if (!pod || meta(pod).deletionTimestamp || !pod.spec?.nodeName) return;
      const nodeName = pod.spec.nodeName as string;
      const taints = taintsOf(nodeInf.get(nodeName) as Obj | undefined);
      const t = clock();
      const delay = evictionDelayMs((pod.spec.tolerations ?? []) as Toleration[], taints, t, (taint) => {
        const parsed = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
        return addedAt.get(taintId(nodeName, taint)) ?? (Number.isFinite(parsed) ? parsed : t);
      });
      if (delay === undefined) return;
      if (delay > 0) return { requeueAfterMs: delay };
      const unreachable = taints.some((x) => x.key === TAINT_NODE_UNREACHABLE && x.effect === "NoExecute");
      void events.record(pod, "Normal", "TaintManagerEviction", `Marking for deletion Pod ${key}`);
      ctx.log(`node-lifecycle: evicting pod ${key} from node ${nodeName}`);
      await ctx.api
        .delete(PODS, meta(pod).namespace!, meta(pod).name, unreachable ? { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0 } : undefined)
        .catch((e) => { if (!isNotFound(e)) throw e; });
    };

    queue.add("zones");
    return async (key) => {
      if (key === "zones") {
        refreshZones(clock());
        return { requeueAfterMs: period };
      }
      if (key.startsWith("node:")) return syncNode(key.slice(5));
      if (key.startsWith("pod:")) return syncPod(key.slice(4));
    };
  },
});

/** With Kubernetes' defaults (grace 40 s, checked every 5 s). */
export const nodeLifecycleController: Controller = nodeLifecycleControllerWith();
