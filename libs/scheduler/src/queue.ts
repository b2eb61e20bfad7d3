/**
 * The scheduling queue, after kube-scheduler's PriorityQueue:
 * - activeQ: pods to try now, highest `spec.priority` first, then oldest
 *   (creation time, then arrival);
 * - backoffQ: pods that failed recently, held for 1 s doubling per attempt up
 *   to 10 s, moved to activeQ by `flushBackoff()` (call it every second);
 * - unschedulable: pods no node fits, parked until a cluster event that could
 *   help one of the plugins that rejected them (`onClusterEvent`), or until
 *   they have waited 5 minutes (`flushUnschedulable()`).
 * A pod whose scheduling cycle overlapped a helpful event goes to backoffQ
 * instead of being parked, so the event is not lost (kube's moveRequestCycle).
 * A pod that preempted waits for its victims instead (`awaitVictims`): no
 * other event retries it meanwhile (it would only preempt again), and the
 * last victim's deletion moves it straight to activeQ, as kube's
 * asynchronous preemption activates the preemptor when it is done.
 * The queue holds the latest pod object per `namespace/name`; it does no I/O
 * and reads time only through `now`.
 */
import { type Pod, podKey } from "./framework.ts";

export const INITIAL_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 10_000;
export const MAX_UNSCHEDULABLE_MS = 5 * 60_000;

/** Cluster events that can make an unschedulable pod schedulable, and which plugins' verdicts they can change. */
export type ClusterEvent = "NodeAdd" | "NodeUpdate" | "AssignedPodAdd" | "AssignedPodDelete" | "AssignedPodUpdate";
const ALL = "*";
const helps: Record<ClusterEvent, readonly string[]> = {
  NodeAdd: [ALL],
  NodeUpdate: [ALL],
  // A pod placed somewhere can satisfy pod affinity or even out a spread.
  AssignedPodAdd: ["InterPodAffinity", "PodTopologySpread"],
  // A pod leaving frees resources and host ports, lifts anti-affinity, changes spreads.
  AssignedPodDelete: ["NodeResourcesFit", "NodePorts", "InterPodAffinity", "PodTopologySpread"],
  // A pod scaled down in place frees resources; relabelled, it changes (anti-)affinity and spreads.
  AssignedPodUpdate: ["NodeResourcesFit", "InterPodAffinity", "PodTopologySpread"],
};

export interface QueuedPod {
  readonly key: string;
  pod: Pod;
  /** Scheduling attempts so far. */
  attempts: number;
  /** When it first entered the queue (ms). */
  readonly enqueuedAt: number;
  /** When its last attempt failed (ms). */
  lastFailure: number;
  /** Plugins that rejected it in its last attempt; empty means "unknown", and any event moves it. */
  unschedulablePlugins: ReadonlySet<string>;
  /** Arrival order, the last tie-breaker. */
  seq: number;
}

export interface QueueOptions {
  readonly now?: () => number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly maxUnschedulableMs?: number;
  /** Called when activeQ gains a pod (the machine wakes on it). */
  readonly onActive?: () => void;
}

/** Parsed timestamps (second resolution: a burst of pods shares a few): the heap compares two pods per level on every push and pop. */
const parsedTimes = new Map<string, number>();
const creationMs = (pod: Pod): number => {
  const t = pod.metadata?.creationTimestamp;
  if (!t) return 0;
  let ms = parsedTimes.get(String(t));
  if (ms === undefined) {
    if (parsedTimes.size >= 1024) parsedTimes.clear();
    ms = Date.parse(String(t));
    if (Number.isNaN(ms)) ms = 0;
    parsedTimes.set(String(t), ms);
  }
  return ms;
};

/** activeQ order: priority desc, then creation time, then arrival. */
const before = (a: QueuedPod, b: QueuedPod): boolean => {
  const pa = a.pod.spec?.priority ?? 0;
  const pb = b.pod.spec?.priority ?? 0;
  if (pa !== pb) return pa > pb;
  const ca = creationMs(a.pod);
  const cb = creationMs(b.pod);
  if (ca !== cb) return ca < cb;
  return a.seq < b.seq;
};

export class SchedulingQueue {
  private readonly active: QueuedPod[] = []; // binary heap
  /** The heap's entries by key: lookups stay O(1) with thousands of pods pending. */
  private readonly activeByKey = new Map<string, QueuedPod>();
  private readonly backoff = new Map<string, QueuedPod>();
  private readonly unschedulable = new Map<string, QueuedPod>();
  /** Pods popped and not yet returned (done or failed). */
  private readonly inFlight = new Map<string, { info: QueuedPod; cycle: number }>();
  /** Preemptors waiting for their victims to go: preemptor key → the pod and its victims' keys still present. */
  private readonly preempting = new Map<string, { info: QueuedPod; victims: Set<string> }>();
  /** Victim key → the preemptors waiting for it. */
  private readonly victimOf = new Map<string, Set<string>>();
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private seq = 0;
  private readonly now: () => number;

  constructor(private readonly opts: QueueOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  get lengths(): { active: number; backoff: number; unschedulable: number; inFlight: number; awaitingVictims: number } {
    return {
      active: this.active.length,
      backoff: this.backoff.size,
      unschedulable: this.unschedulable.size,
      inFlight: this.inFlight.size,
      awaitingVictims: this.preempting.size,
    };
  }

  has(key: string): boolean {
    return this.activeByKey.has(key) || this.backoff.has(key) || this.unschedulable.has(key) || this.inFlight.has(key) || this.preempting.has(key);
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    const key = podKey(pod);
    if (this.has(key)) return this.update(pod);
    this.pushActive({ key, pod, attempts: 0, enqueuedAt: this.now(), lastFailure: 0, unschedulablePlugins: new Set(), seq: this.seq++ });
  }

  /**
   * The pod changed. A parked pod whose spec/labels changed gets another try
   * (it may fit now); status-only changes (our own PodScheduled writes) only
   * refresh the stored object, or every failure would retrigger itself.
   */
  update(pod: Pod): void {
    const key = podKey(pod);
    const flight = this.inFlight.get(key);
    if (flight) {
      flight.info.pod = pod;
      return;
    }
    const queued = this.activeByKey.get(key);
    if (queued) {
      queued.pod = pod;
      return;
    }
    const b = this.backoff.get(key);
    if (b) {
      b.pod = pod;
      return;
    }
    const waiting = this.preempting.get(key);
    if (waiting) {
      waiting.info.pod = pod;
      return;
    }
    const u = this.unschedulable.get(key);
    if (u) {
      const changed = schedulingRelevant(u.pod) !== schedulingRelevant(pod);
      u.pod = pod;
      if (changed) {
        this.unschedulable.delete(key);
        this.requeue(u);
      }
      return;
    }
    this.add(pod);
  }

  /** The pod is gone, bound elsewhere, or no longer ours. */
  delete(key: string): void {
    const queued = this.activeByKey.get(key);
    if (queued) this.removeActiveAt(this.active.indexOf(queued));
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
    this.stopAwaiting(key);
  }

  /** The next pod to schedule, or undefined when activeQ is empty. */
  pop(): QueuedPod | undefined {
    const info = this.popActive();
    if (!info) return undefined;
    info.attempts++;
    this.schedulingCycle++;
    this.inFlight.set(info.key, { info, cycle: this.schedulingCycle });
    return info;
  }

  /** The popped pod was placed (or deleted meanwhile): forget it. */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * The popped pod did not fit (`plugins` rejected it) or its binding failed
   * (`plugins` empty: retry after backoff).
   */
  failed(key: string, plugins: Iterable<string>, unschedulable: boolean): void {
    const flight = this.inFlight.get(key);
    if (!flight) return; // deleted while in flight
    this.inFlight.delete(key);
    const info = flight.info;
    info.lastFailure = this.now();
    info.unschedulablePlugins = new Set(plugins);
    if (unschedulable && this.moveRequestCycle < flight.cycle) this.unschedulable.set(key, info);
    else this.backoff.set(key, info);
  }

  /**
   * The pod just failed (`failed`) and preemption is evicting `victims` (keys
   * of pods still present) for it: hold it until they are all gone
   * (`victimGone`), then try it at once. No victims: at once.
   */
  awaitVictims(key: string, victims: Iterable<string>): void {
    const info = this.unschedulable.get(key) ?? this.backoff.get(key);
    if (!info) return;
    this.unschedulable.delete(key);
    this.backoff.delete(key);
    const pending = new Set(victims);
    if (pending.size === 0) return this.pushActive(info);
    this.preempting.set(key, { info, victims: pending });
    for (const v of pending) {
      let waiters = this.victimOf.get(v);
      if (!waiters) this.victimOf.set(v, (waiters = new Set()));
      waiters.add(key);
    }
  }

  /** A pod was deleted: preemptors whose last victim it was go to activeQ. */
  victimGone(victim: string): void {
    const waiters = this.victimOf.get(victim);
    if (!waiters) return;
    this.victimOf.delete(victim);
    for (const key of waiters) {
      const entry = this.preempting.get(key);
      if (!entry) continue;
      entry.victims.delete(victim);
      if (entry.victims.size > 0) continue;
      this.preempting.delete(key);
      this.pushActive(entry.info);
    }
  }

  /** The eviction of some victims failed: the preemptor goes back to backoff and decides again. */
  evictionFailed(key: string): void {
    const entry = this.preempting.get(key);
    if (!entry) return;
    this.stopAwaiting(key);
    entry.info.lastFailure = this.now();
    this.backoff.set(key, entry.info);
  }

  private stopAwaiting(key: string): void {
    const entry = this.preempting.get(key);
    if (!entry) return;
    this.preempting.delete(key);
    for (const v of entry.victims) {
      const waiters = this.victimOf.get(v);
      waiters?.delete(key);
      if (waiters?.size === 0) this.victimOf.delete(v);
    }
  }

  backoffMs(info: QueuedPod): number {
    const base = this.opts.initialBackoffMs ?? INITIAL_BACKOFF_MS;
    const max = this.opts.maxBackoffMs ?? MAX_BACKOFF_MS;
    return Math.min(max, base * 2 ** Math.max(0, info.attempts - 1));
  }

  private backingOff(info: QueuedPod): boolean {
    return info.attempts > 0 && this.now() < info.lastFailure + this.backoffMs(info);
  }

  /** Something changed in the cluster: retry the parked pods it could help. */
  onClusterEvent(event: ClusterEvent): number {
    const plugins = helps[event];
    let moved = 0;
    for (const [key, info] of this.unschedulable) {
      const relevant =
        plugins.includes(ALL) || info.unschedulablePlugins.size === 0 || [...info.unschedulablePlugins].some((p) => plugins.includes(p));
      if (!relevant) continue;
      this.unschedulable.delete(key);
      this.requeue(info);
      moved++;
    }
    this.moveRequestCycle = this.schedulingCycle;
    return moved;
  }

  /** Backed-off pods whose time is up go to activeQ. Returns how many moved. */
  flushBackoff(): number {
    let moved = 0;
    for (const [key, info] of this.backoff) {
      if (this.backingOff(info)) continue;
      this.backoff.delete(key);
      this.pushActive(info);
      moved++;
    }
    return moved;
  }

  /** Pods parked longer than 5 minutes get another try whatever happened. */
  flushUnschedulable(): number {
    const max = this.opts.maxUnschedulableMs ?? MAX_UNSCHEDULABLE_MS;
    let moved = 0;
    for (const [key, info] of this.unschedulable) {
      if (this.now() - info.lastFailure < max) continue;
      this.unschedulable.delete(key);
      this.requeue(info);
      moved++;
    }
    // Victims that never go (a graceful deletion no kubelet finishes): decide again after as long.
    for (const [key, { info }] of this.preempting) {
      if (this.now() - info.lastFailure < max) continue;
      this.stopAwaiting(key);
      this.requeue(info);
      moved++;
    }
    return moved;
  }

  private requeue(info: QueuedPod): void {
    if (this.backingOff(info)) this.backoff.set(info.key, info);
    else this.pushActive(info);
  }

  // ---- binary heap on `before`
  private pushActive(info: QueuedPod): void {
    const h = this.active;
    h.push(info);
    this.activeByKey.set(info.key, info);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
    this.opts.onActive?.();
  }

  private popActive(): QueuedPod | undefined {
    if (this.active.length === 0) return undefined;
    const top = this.active[0]!;
    this.removeActiveAt(0);
    return top;
  }

  private removeActiveAt(idx: number): void {
    const h = this.active;
    this.activeByKey.delete(h[idx]!.key);
    const last = h.pop()!;
    if (idx === h.length) return;
    h[idx] = last;
    // Restore the heap both ways from idx.
    let i = idx;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/** What a pod update must change to deserve a new attempt: spec, labels, annotations (kube's isPodUpdated). */
const schedulingRelevant = (pod: Pod): string =>
  JSON.stringify([pod.spec ?? null, pod.metadata?.labels ?? null, pod.metadata?.annotations ?? null]);
