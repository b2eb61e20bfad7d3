/**
 * The inspector a component passes to XState: `createActor(machine, { inspect: inspector.inspect })`.
 * It turns XState inspection events into sanitised, size-capped records on
 * `kube.inspect.<component>`, sampling high-rate actors so that inspection
 * costs little when an actor is busy: per actor at most `maxPerSecond`
 * event/snapshot records a second, except that a snapshot whose state value
 * (or status) changed is published. Microsteps and actions are skipped.
 *
 * A cost governor bounds what inspection takes from the component as a
 * whole, whatever the number of actors: the time spent in `inspect` is
 * measured, and once it reaches `maxCostShare` of the current one-second
 * window, events are dropped and each actor's newest snapshot is kept aside
 * instead of published. At the next window those kept snapshots are
 * published (within that window's budget), so a viewer always converges on
 * every actor's current state, at most a second or two late under load.
 */
import type { InspectionEvent } from "xstate";
import { type Bus, type BusSubscription, subjectFor } from "@kubeactor/bus";
import { fit, jsonBytes, sanitize, truncatedMarker } from "./sanitize.ts";
import { inspectAnnounce, type InspectedEvent, type InspectionRecord, inspectSubject } from "@kubeactor/bus";

export interface InspectorOptions {
  readonly bus: Bus;
  /** The component token: `scheduler`, `kubelet`, `controller-manager`, `store`, ... */
  readonly component: string;
  /** Cap on one record's JSON (default 8 KiB); big fields become "<truncated N bytes>". */
  readonly maxBytes?: number;
  /** Per-actor budget of event/snapshot records a second (default 20; `Infinity` = publish all). State changes always pass. */
  readonly maxPerSecond?: number;
  /** Include the machine config JSON in actor records when it is at most this many bytes (default 32 KiB; 0 = never). */
  readonly definitionBytes?: number;
  /** Include snapshot context (default true). */
  readonly context?: boolean;
  /** Answer `kube.inspect.announce` (default true). */
  readonly answerAnnounce?: boolean;
  /** The cost budget this inspector draws on (default: the one shared by every inspector in the process). */
  readonly ledger?: CostLedger;
  readonly now?: () => number;
}

/**
 * Inspection's cost budget: at most `share` of each one-second window may be
 * spent inspecting. One ledger serves every inspector of a process, so
 * `kubeactor up` (all components in one process) is bounded as a whole.
 */
export interface CostLedger {
  readonly budgetMs: number;
  readonly clock: () => number;
  windowStart: number;
  spent: number;
  /** Called when a new window opens, so inspectors publish what they kept aside. */
  readonly onWindow: Set<() => void>;
}

export const createCostLedger = (opts: { share?: number; clock?: () => number } = {}): CostLedger => {
  const clock = opts.clock ?? (() => performance.now());
  return { budgetMs: (opts.share ?? 0.03) * 1000, clock, windowStart: clock(), spent: 0, onWindow: new Set() };
};

const processLedger = createCostLedger();

export interface InspectorStats {
  /** Records published. */
  published: number;
  /** Event/snapshot records not published because the actor or the component was over its budget. */
  dropped: number;
  /** Snapshots kept aside while the component was over its cost budget, published at a later window. */
  deferred: number;
  /** Milliseconds spent inside `inspect` and the deferred flushes. */
  costMs: number;
  /** Records that had fields truncated to fit maxBytes. */
  truncated: number;
  /** Inspection events seen (all types, microsteps included). */
  seen: number;
  /** Publish or sanitise failures (never thrown into the actor). */
  errors: number;
  /** Live actors tracked for announce(). */
  actors: number;
}

export interface Inspector {
  /** Pass as XState's `inspect` option. */
  readonly inspect: (ev: InspectionEvent) => void;
  readonly stats: InspectorStats;
  /** Re-publish an `@xstate.actor` record, with the current snapshot, for every live actor. */
  announce(): void;
  stop(): void;
}

/** What the inspector reads from an actor (XState's Actor, structurally). */
interface Ref {
  readonly sessionId: string;
  readonly id?: string;
  readonly systemId?: string;
  readonly logic?: unknown;
  readonly _parent?: Ref;
  getSnapshot(): unknown;
}
const asRef = (r: unknown): Ref => r as Ref;

interface Tracked {
  readonly ref: Ref;
  readonly parentId: string | undefined;
  readonly rootId: string | undefined;
  lastKey: string;
  windowStart: number;
  count: number;
  /** The newest snapshot kept aside by the cost governor, and the event type that produced it. */
  pending?: { readonly snap: unknown; readonly eventType: string; readonly announce: boolean };
}

const MAX_TRACKED = 20_000;
const encoder = new TextEncoder();

const valueKey = (snap: { value?: unknown; status?: unknown } | undefined): string => {
  if (!snap) return "";
  const v = snap.value;
  const s = typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v);
  return `${String(snap.status)}|${s}`;
};

const machineConfigOf = (ref: Ref): { id?: string } | undefined => {
  const config = (ref.logic as { config?: unknown } | undefined)?.config;
  return config && typeof config === "object" ? (config as { id?: string }) : undefined;
};

export const createInspector = (opts: InspectorOptions): Inspector => {
  const { bus, component } = opts;
  const maxBytes = opts.maxBytes ?? 8 * 1024;
  const maxPerSecond = opts.maxPerSecond ?? 20;
  const definitionBytes = opts.definitionBytes ?? 32 * 1024;
  const withContext = opts.context ?? true;
  const now = opts.now ?? Date.now;
  const ledger = opts.ledger ?? processLedger;
  const costClock = ledger.clock;
  const instance = Math.random().toString(36).slice(2, 10);
  const subject = subjectFor(inspectSubject, { component });
  const stats: InspectorStats = { published: 0, dropped: 0, deferred: 0, costMs: 0, truncated: 0, seen: 0, errors: 0, actors: 0 };
  const live = new Map<string, Tracked>();
  const definitions = new WeakMap<object, string | null>();
  let seq = 0;
  let stopped = false;

  const definitionOf = (ref: Ref): string | undefined => {
    if (definitionBytes <= 0) return undefined;
    const config = machineConfigOf(ref);
    if (!config) return undefined;
    let def = definitions.get(config);
    if (def === undefined) {
      const s = JSON.stringify(sanitize(config, { maxDepth: 32 }));
      def = s !== undefined && s.length <= definitionBytes ? s : null;
      definitions.set(config, def);
    }
    return def ?? undefined;
  };

  const snapshotOf = (snap: unknown): InspectionRecord["snapshot"] => {
    const s = (snap ?? {}) as { value?: unknown; status?: unknown; context?: unknown };
    return {
      ...(s.value !== undefined ? { value: sanitize(s.value) } : {}),
      status: typeof s.status === "string" ? s.status : "active",
      ...(withContext && s.context !== undefined ? { context: sanitize(s.context) } : {}),
    };
  };

  const eventOf = (ev: unknown): InspectedEvent => {
    const s = sanitize(ev);
    if (s && typeof s === "object" && !Array.isArray(s) && typeof (s as { type?: unknown }).type === "string") return s as InspectedEvent;
    return { type: typeof ev === "string" ? ev : "<unknown>" };
  };

  /** Serialises once; shrinks context, then the event payload, then the value, until the record fits. */
  const encode = (rec: InspectionRecord): string => {
    let json = JSON.stringify(rec);
    if (json.length <= maxBytes && jsonBytes(rec) <= maxBytes) return json;
    stats.truncated++;
    let r: { -readonly [K in keyof InspectionRecord]: InspectionRecord[K] } = { ...rec };
    if (r.definition !== undefined) {
      delete r.definition;
    }
    const over = () => jsonBytes(r) - maxBytes;
    if (over() > 0 && r.snapshot?.context !== undefined) {
      const ctxBytes = jsonBytes(r.snapshot.context);
      r.snapshot = { ...r.snapshot, context: fit(r.snapshot.context, Math.max(0, ctxBytes - over())) };
    }
    if (over() > 0 && r.event) {
      const evBytes = jsonBytes(r.event);
      const shrunk = fit(r.event, Math.max(0, evBytes - over()), new Set(["type"]));
      r.event =
        shrunk && typeof shrunk === "object" && !Array.isArray(shrunk)
          ? (shrunk as InspectedEvent)
          : { type: r.event.type, truncated: truncatedMarker(evBytes) };
    }
    if (over() > 0 && r.snapshot?.value !== undefined) {
      r.snapshot = { ...r.snapshot, value: truncatedMarker(jsonBytes(r.snapshot.value)) };
    }
    if (over() > 0 && r.snapshot?.context !== undefined) {
      r.snapshot = { ...r.snapshot, context: truncatedMarker(jsonBytes(r.snapshot.context)) };
    }
    if (over() > 0 && r.event) r = { ...r, event: { type: r.event.type.slice(0, 256) } };
    json = JSON.stringify(r);
    return json;
  };

  const publish = (rec: InspectionRecord): void => {
    const json = encode(rec);
    bus.stats.published++;
    bus.transport.publish(subject, encoder.encode(json));
    stats.published++;
  };

  const base = (type: InspectionRecord["type"], ref: Ref, t: Tracked | undefined) => {
    const config = machineConfigOf(ref);
    const systemId = ref.systemId ?? (ref.id && ref.id !== ref.sessionId ? ref.id : undefined);
    return {
      component,
      instance,
      type,
      actorId: ref.sessionId,
      ...(t?.parentId ? { parentId: t.parentId } : {}),
      ...(t?.rootId ? { rootId: t.rootId } : {}),
      ...(systemId ? { systemId } : {}),
      ...(config?.id ? { machineId: config.id } : {}),
      seq: ++seq,
      time: now(),
    };
  };

  const track = (ref: Ref, rootId: string | undefined): Tracked => {
    let t = live.get(ref.sessionId);
    if (!t) {
      if (live.size >= MAX_TRACKED) {
        const oldest = live.keys().next().value;
        if (oldest !== undefined) live.delete(oldest);
      }
      const parent = ref._parent;
      t = { ref, parentId: parent?.sessionId, rootId: rootId, lastKey: "", windowStart: 0, count: 0 };
      live.set(ref.sessionId, t);
      stats.actors = live.size;
    }
    return t;
  };

  const publishActor = (t: Tracked, snap: unknown): void => {
    const definition = definitionOf(t.ref);
    publish({ ...base("@xstate.actor", t.ref, t), ...(definition ? { definition } : {}), snapshot: snapshotOf(snap) });
  };

  /** Token bucket per actor, one-second windows. */
  const allow = (t: Tracked): boolean => {
    if (maxPerSecond === Infinity) return true;
    const n = now();
    if (n - t.windowStart >= 1000) {
      t.windowStart = n;
      t.count = 0;
    }
    if (t.count >= maxPerSecond) return false;
    t.count++;
    return true;
  };

  // The cost governor: time spent in the current one-second window, and the
  // actors whose newest snapshot waits for a window with budget left.
  const waiting = new Set<Tracked>();
  const charge = (t0: number) => {
    const d = costClock() - t0;
    ledger.spent += d;
    stats.costMs += d;
  };
  const overBudget = (): boolean => {
    const n = costClock();
    if (n - ledger.windowStart >= 1000) {
      ledger.windowStart = n;
      ledger.spent = 0;
      for (const flush of ledger.onWindow) flush();
    }
    return ledger.spent >= ledger.budgetMs;
  };

  const publishPending = (t: Tracked): void => {
    const p = t.pending!;
    t.pending = undefined;
    if (p.announce) publishActor(t, p.snap);
    else publish({ ...base("@xstate.snapshot", t.ref, t), event: { type: p.eventType }, snapshot: snapshotOf(p.snap) });
    if ((p.snap as { status?: unknown } | undefined)?.status !== undefined && (p.snap as { status?: unknown }).status !== "active") {
      live.delete(t.ref.sessionId);
      stats.actors = live.size;
    }
  };

  /** Publishes kept-aside snapshots, oldest actor first, while this window's budget lasts. */
  function flushWaiting(): void {
    if (stopped || waiting.size === 0) return;
    const t0 = costClock();
    try {
      for (const t of waiting) {
        if (ledger.spent + (costClock() - t0) >= ledger.budgetMs) break;
        waiting.delete(t);
        if (t.pending) publishPending(t);
      }
    } catch {
      stats.errors++;
    } finally {
      charge(t0);
    }
  }
  ledger.onWindow.add(flushWaiting);
  const flushTimer = setInterval(() => {
    if (waiting.size > 0) overBudget();
  }, 1000);
  flushTimer.unref?.();

  /** Keeps the actor's newest snapshot for a later window (an unannounced actor stays unannounced until then). */
  const keepAside = (t: Tracked, snap: unknown, eventType: string, announce: boolean): void => {
    t.pending = { snap, eventType, announce: announce || !!t.pending?.announce };
    waiting.add(t);
    stats.deferred++;
  };

  const snapshotOfActor = (ref: Ref): unknown => {
    // XState announces an actor from its constructor, before its first snapshot exists.
    try {
      return ref.getSnapshot();
    } catch {
      return undefined;
    }
  };

  const inspect = (ev: InspectionEvent): void => {
    stats.seen++;
    if (stopped) return;
    if (ev.type !== "@xstate.actor" && ev.type !== "@xstate.event" && ev.type !== "@xstate.snapshot") return; // microsteps and actions: too fine-grained to publish
    const t0 = costClock();
    try {
      const shedding = overBudget();
      switch (ev.type) {
        case "@xstate.actor": {
          const t = track(asRef(ev.actorRef), ev.rootId);
          const snap = snapshotOfActor(t.ref);
          t.lastKey = valueKey(snap as { value?: unknown; status?: unknown } | undefined);
          if (shedding) keepAside(t, snap, "", true);
          else publishActor(t, snap);
          return;
        }
        case "@xstate.event": {
          const t = live.get(ev.actorRef.sessionId) ?? track(asRef(ev.actorRef), ev.rootId);
          if (shedding || !allow(t)) {
            stats.dropped++;
            return;
          }
          publish({
            ...base("@xstate.event", asRef(ev.actorRef), t),
            event: eventOf(ev.event),
            ...(ev.sourceRef ? { sourceId: ev.sourceRef.sessionId } : {}),
          });
          return;
        }
        case "@xstate.snapshot": {
          const t = live.get(ev.actorRef.sessionId) ?? track(asRef(ev.actorRef), ev.rootId);
          const snap = ev.snapshot as { value?: unknown; status?: unknown };
          const eventType = typeof ev.event?.type === "string" ? ev.event.type : "<unknown>";
          const key = valueKey(snap);
          const changed = key !== t.lastKey;
          t.lastKey = key;
          if (shedding) {
            // Over budget: only the newest snapshot matters, and a state change must not be lost.
            if (changed || t.pending || snap.status !== "active") keepAside(t, snap, eventType, false);
            else stats.dropped++;
            return;
          }
          if (t.pending) {
            // Budget is back: the newest snapshot supersedes the one kept aside.
            t.pending = { snap, eventType, announce: t.pending.announce };
            waiting.delete(t);
            publishPending(t);
            return;
          }
          if (!changed && !allow(t)) {
            stats.dropped++;
            return;
          }
          if (changed && maxPerSecond !== Infinity) t.count++;
          publish({ ...base("@xstate.snapshot", asRef(ev.actorRef), t), event: { type: eventType }, snapshot: snapshotOf(snap) });
          if (snap.status !== "active") {
            live.delete(ev.actorRef.sessionId);
            stats.actors = live.size;
          }
          return;
        }
      }
    } catch {
      stats.errors++;
    } finally {
      charge(t0);
    }
  };

  const announce = (): void => {
    if (stopped) return;
    for (const [id, t] of live) {
      try {
        const snap = t.ref.getSnapshot() as { status?: unknown } | undefined;
        if (snap && snap.status !== "active") {
          live.delete(id);
          continue;
        }
        publishActor(t, snap);
      } catch {
        stats.errors++;
      }
    }
    stats.actors = live.size;
  };

  let sub: BusSubscription | undefined;
  if (opts.answerAnnounce ?? true) {
    sub = bus.subscribe(inspectAnnounce, {}, (req) => {
      if (!req.components || req.components.length === 0 || req.components.includes(component)) announce();
    });
  }

  return {
    inspect,
    stats,
    announce,
    stop: () => {
      stopped = true;
      clearInterval(flushTimer);
      ledger.onWindow.delete(flushWaiting);
      waiting.clear();
      sub?.unsubscribe();
      live.clear();
      stats.actors = 0;
    },
  };
};
