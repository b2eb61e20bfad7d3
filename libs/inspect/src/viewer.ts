/**
 * A live model of every component's actors, fed by `kube.inspect.>`: the actor
 * tree (parentId links), each actor's current state value and its last few
 * events; `renderTree` draws it as text and `startInspectCli` keeps a terminal
 * (or a log) up to date.
 */
import * as Schema from "effect/Schema";
import * as Either from "effect/Either";
import { type Bus, paramsOf, subjectFor } from "@kubeactor/bus";
import { ANNOUNCE_COMPONENT, inspectAnnounce, type InspectionRecord, InspectionRecord as RecordSchema, inspectSubject } from "@kubeactor/bus";

export interface ActorView {
  readonly actorId: string;
  component: string;
  instance: string | undefined;
  parentId: string | undefined;
  systemId: string | undefined;
  machineId: string | undefined;
  definition: string | undefined;
  value: unknown;
  status: string;
  context: unknown;
  /** Most recent last, at most `InspectModel.eventsKept`. */
  readonly events: string[];
  lastSeen: number;
}

export interface InspectModel {
  readonly actors: Map<string, ActorView>;
  /** Latest instance seen per component: a new one means the component restarted. */
  readonly instances: Map<string, string>;
  readonly eventsKept: number;
  /** Apply one record; returns the actor it touched. */
  apply(rec: InspectionRecord): ActorView | undefined;
  onRecord(fn: (rec: InspectionRecord) => void): () => void;
}

export const createInspectModel = (opts: { eventsKept?: number } = {}): InspectModel => {
  const actors = new Map<string, ActorView>();
  const instances = new Map<string, string>();
  const listeners = new Set<(rec: InspectionRecord) => void>();
  const eventsKept = opts.eventsKept ?? 5;
  const key = (component: string, actorId: string) => `${component}\u0000${actorId}`;
  const model: InspectModel = {
    actors,
    instances,
    eventsKept,
    apply(rec) {
      // A restarted component announces a root actor with the same name from a new
      // instance: forget the old instance's actors (other processes sharing the
      // component name keep theirs, since their roots are named differently).
      if (rec.instance && rec.type === "@xstate.actor" && !rec.parentId) {
        const name = rec.systemId ?? rec.machineId ?? rec.actorId;
        const stale = new Set<string>();
        for (const a of actors.values())
          if (a.component === rec.component && !a.parentId && a.instance && a.instance !== rec.instance && nameOf(a) === name) stale.add(a.instance);
        if (stale.size) for (const [k, a] of actors) if (a.component === rec.component && a.instance && stale.has(a.instance)) actors.delete(k);
        instances.set(rec.component, rec.instance);
      }
      const k = key(rec.component, rec.actorId);
      let a = actors.get(k);
      if (!a) {
        a = {
          actorId: rec.actorId,
          component: rec.component,
          instance: rec.instance,
          parentId: rec.parentId,
          systemId: rec.systemId,
          machineId: rec.machineId,
          definition: rec.definition,
          value: undefined,
          status: "active",
          context: undefined,
          events: [],
          lastSeen: rec.time,
        };
        actors.set(k, a);
      }
      a.lastSeen = rec.time;
      if (rec.parentId) a.parentId = rec.parentId;
      if (rec.systemId) a.systemId = rec.systemId;
      if (rec.machineId) a.machineId = rec.machineId;
      if (rec.definition) a.definition = rec.definition;
      if (rec.snapshot) {
        if (rec.snapshot.value !== undefined) a.value = rec.snapshot.value;
        a.status = rec.snapshot.status;
        if (rec.snapshot.context !== undefined) a.context = rec.snapshot.context;
      }
      if (rec.type === "@xstate.event" && rec.event) {
        a.events.push(rec.event.type);
        if (a.events.length > eventsKept) a.events.splice(0, a.events.length - eventsKept);
      }
      if (a.status === "stopped") actors.delete(k);
      for (const l of listeners) l(rec);
      return a;
    },
    onRecord(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
  return model;
};

/** `Running` / `Running.Healthy` / `{a.x, b.y}` for parallel states. */
export const formatValue = (value: unknown): string => {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value !== "object") return String(value);
  const entries = Object.entries(value as Record<string, unknown>);
  const parts = entries.map(([k, v]) => {
    const inner = formatValue(v);
    return inner === "" || (v && typeof v === "object" && Object.keys(v).length === 0) ? k : `${k}.${inner}`;
  });
  return parts.length === 1 ? parts[0]! : `{${parts.join(", ")}}`;
};

const nameOf = (a: ActorView): string => a.systemId ?? a.machineId ?? a.actorId;

/**
 * One line per actor, children indented two spaces under their parent:
 * `scheduler/default-scheduler  Scheduling  last: POD_ADDED, BOUND`.
 */
export const renderTree = (model: InspectModel, opts: { components?: readonly string[] } = {}): string => {
  const all = [...model.actors.values()].filter((a) => !opts.components || opts.components.includes(a.component));
  const byId = new Map(all.map((a) => [`${a.component}\u0000${a.actorId}`, a]));
  const children = new Map<string, ActorView[]>();
  const roots: ActorView[] = [];
  for (const a of all) {
    const pk = a.parentId ? `${a.component}\u0000${a.parentId}` : undefined;
    if (pk && byId.has(pk)) {
      const list = children.get(pk) ?? [];
      list.push(a);
      children.set(pk, list);
    } else roots.push(a);
  }
  const order = (xs: ActorView[]) =>
    xs.sort((x, y) => x.component.localeCompare(y.component) || nameOf(x).localeCompare(nameOf(y)) || x.actorId.localeCompare(y.actorId));
  const lines: string[] = [];
  const visit = (a: ActorView, depth: number) => {
    const label = depth === 0 ? `${a.component}/${nameOf(a)}` : nameOf(a);
    let line = `${"  ".repeat(depth)}${label}`;
    const v = formatValue(a.value);
    if (v) line += `  ${v}`;
    if (a.status !== "active") line += `  (${a.status})`;
    if (a.events.length) line += `  last: ${a.events.join(", ")}`;
    lines.push(line);
    for (const c of order(children.get(`${a.component}\u0000${a.actorId}`) ?? [])) visit(c, depth + 1);
  };
  for (const r of order(roots)) visit(r, 0);
  return lines.join("\n");
};

export interface InspectFeed {
  readonly model: InspectModel;
  /** Ask every publisher to re-announce its live actors. */
  announce(): void;
  stop(): void;
}

const decodeRecord = Schema.decodeUnknownEither(RecordSchema);
const textDecoder = new TextDecoder();

/**
 * Subscribes to the inspection stream (all components, or the ones named) and
 * feeds a model. Subscribes on the transport so that the reserved
 * `kube.inspect.announce` subject is skipped rather than logged as undecodable.
 */
export const startInspectFeed = (opts: { bus: Bus; components?: readonly string[]; model?: InspectModel; announce?: boolean }): InspectFeed => {
  const { bus } = opts;
  const model = opts.model ?? createInspectModel();
  const announceSubject = subjectFor(inspectAnnounce, {});
  const patterns = opts.components?.length ? opts.components.map((c) => subjectFor(inspectSubject, { component: c })) : [subjectFor(inspectSubject, {}, true)];
  const subs = patterns.map((p) =>
    bus.transport.subscribe(p, (msg) => {
      if (msg.subject === announceSubject) return;
      let json: unknown;
      try {
        json = JSON.parse(textDecoder.decode(msg.data));
      } catch {
        return;
      }
      const rec = decodeRecord(json);
      if (Either.isLeft(rec)) return;
      // The subject names the component; trust it over the payload.
      const { component } = paramsOf(inspectSubject, msg.subject);
      if (component === ANNOUNCE_COMPONENT) return;
      model.apply(component && component !== rec.right.component ? { ...rec.right, component } : rec.right);
    }),
  );
  const announce = () => bus.publish(inspectAnnounce, {}, opts.components?.length ? { components: [...opts.components] } : {});
  if (opts.announce ?? true) {
    // On NATS the subscription must reach the server before publishers answer.
    void bus.transport.flush().then(announce, announce);
  }
  return { model, announce, stop: () => subs.forEach((s) => s.unsubscribe()) };
};

export interface InspectCliOptions {
  readonly bus: Bus;
  readonly components?: readonly string[];
  readonly out: (text: string) => void;
  /** Re-render period (default 500 ms). */
  readonly intervalMs?: number;
  /** Clear and redraw (ANSI) instead of printing changed lines; default `process.stdout.isTTY`. */
  readonly tty?: boolean;
}

export interface InspectCli extends InspectFeed {
  /** Render now (what the timer does). */
  render(): void;
}

export const startInspectCli = (opts: InspectCliOptions): InspectCli => {
  const feed = startInspectFeed({ bus: opts.bus, ...(opts.components ? { components: opts.components } : {}) });
  const tty = opts.tty ?? Boolean(process.stdout.isTTY);
  let previous = "";
  const render = () => {
    const text = renderTree(feed.model, opts.components ? { components: opts.components } : {});
    if (text === previous) return;
    if (tty) opts.out(`\x1b[2J\x1b[H${text || "(no actors yet)"}\n`);
    else {
      const before = new Set(previous.split("\n"));
      const changed = text.split("\n").filter((l) => l && !before.has(l));
      if (changed.length) opts.out(`${changed.join("\n")}\n`);
    }
    previous = text;
  };
  const timer = setInterval(render, opts.intervalMs ?? 500);
  timer.unref?.();
  return {
    ...feed,
    render,
    stop: () => {
      clearInterval(timer);
      feed.stop();
    },
  };
};
