import { describe, expect, it } from "vitest";
import { Bus, createMemoryTransport, MemoryHub } from "@kubeactor/bus";
import { assign, createActor, setup } from "xstate";
import { createCostLedger, createInspectModel, createInspector, fit, jsonBytes, REDACTED, renderTree, sanitize, type InspectionRecord } from "../src/index.ts";
import { startInspectFeed } from "../src/viewer.ts";

const memBus = () => {
  const hub = new MemoryHub();
  return { hub, bus: new Bus(createMemoryTransport(hub)) };
};

/** Collect raw published JSON on kube.inspect.> */
const collect = (bus: Bus) => {
  const raw: string[] = [];
  bus.transport.subscribe("kube.inspect.>", (m) => raw.push(new TextDecoder().decode(m.data)));
  return raw;
};

/** Tests that count records must not be subject to the process-wide cost budget. */
const unlimited = () => createCostLedger({ share: Infinity });

const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "default" }, data: { password: "aHVudGVyMg==" }, stringData: { token: "s3cr3t-value" } };

const machine = setup({
  types: { context: {} as { n: number; obj?: unknown }, events: {} as { type: "TICK" } | { type: "GO" } | { type: "STORE"; obj: unknown } },
}).createMachine({
  id: "counter",
  context: { n: 0 },
  initial: "idle",
  states: {
    idle: { on: { TICK: { actions: assign({ n: ({ context }) => context.n + 1 }) }, GO: "busy", STORE: { actions: assign({ obj: ({ event }) => event.obj }) } } },
    busy: { on: { TICK: { actions: assign({ n: ({ context }) => context.n + 1 }) }, GO: "idle" } },
  },
});

describe("sanitize", () => {
  it("redacts Secret data, drops functions, cuts cycles, reduces actor refs", () => {
    const cyc: Record<string, unknown> = { a: 1 };
    cyc.self = cyc;
    const out = sanitize({ s: secret, list: [{ nested: secret }], fn: () => 1, cyc, ref: { sessionId: "x:3", id: "child", send: () => {} } }) as any;
    expect(out.s.data).toBe(REDACTED);
    expect(out.s.stringData).toBe(REDACTED);
    expect(out.s.metadata.name).toBe("db");
    expect(out.list[0].nested.data).toBe(REDACTED);
    expect("fn" in out).toBe(false);
    expect(out.cyc.self).toBe("<circular>");
    expect(out.ref).toEqual({ actorRef: "child" });
    const json = JSON.stringify(out);
    expect(json).not.toContain("aHVudGVyMg==");
    expect(json).not.toContain("s3cr3t-value");
  });

  it("fit truncates the biggest fields to the limit", () => {
    const v = { small: "x", big: "y".repeat(10_000), mid: { a: "z".repeat(2000), b: 1 } };
    const out = fit(v, 3000) as any;
    expect(jsonBytes(out)).toBeLessThanOrEqual(3000);
    expect(out.small).toBe("x");
    expect(out.big).toMatch(/^<truncated \d+ bytes>$/);
  });
});

describe("createInspector", () => {
  it("never publishes a Secret carried by an event or in context", async () => {
    const { bus } = memBus();
    const raw = collect(bus);
    const inspector = createInspector({ bus, component: "test", maxPerSecond: Infinity, ledger: unlimited() });
    const actor = createActor(machine, { inspect: inspector.inspect }).start();
    actor.send({ type: "STORE", obj: { items: [secret] } });
    inspector.announce();
    actor.stop();
    await bus.transport.flush();
    const all = raw.join("\n");
    expect(raw.length).toBeGreaterThan(3);
    expect(all).toContain(REDACTED);
    expect(all).not.toContain("aHVudGVyMg==");
    expect(all).not.toContain("s3cr3t-value");
    expect(inspector.stats.errors).toBe(0);
    inspector.stop();
  });

  it("truncates records to maxBytes", async () => {
    const { bus } = memBus();
    const raw = collect(bus);
    const inspector = createInspector({ bus, component: "test", maxBytes: 2048, maxPerSecond: Infinity, ledger: unlimited() });
    const actor = createActor(machine, { inspect: inspector.inspect }).start();
    actor.send({ type: "STORE", obj: { blob: "q".repeat(50_000), list: Array.from({ length: 500 }, (_, i) => ({ i, name: `item-${i}` })) } });
    actor.stop();
    await bus.transport.flush();
    for (const r of raw) expect(Buffer.byteLength(r)).toBeLessThanOrEqual(2048);
    const ev = raw.map((r) => JSON.parse(r) as InspectionRecord).find((r) => r.type === "@xstate.event" && r.event?.type === "STORE");
    expect(ev).toBeDefined();
    expect(JSON.stringify(ev)).toMatch(/<truncated \d+ bytes>/);
    expect(inspector.stats.truncated).toBeGreaterThan(0);
    inspector.stop();
  });

  it("samples a burst to the per-actor budget but always publishes state changes", async () => {
    const { bus } = memBus();
    const raw = collect(bus);
    let t = 1_000_000;
    const inspector = createInspector({ bus, component: "test", maxPerSecond: 20, now: () => t, ledger: unlimited() });
    const actor = createActor(machine, { inspect: inspector.inspect }).start();
    await bus.transport.flush();
    const before = raw.length;
    for (let i = 0; i < 1000; i++) actor.send({ type: i % 100 === 99 ? "GO" : "TICK" });
    await bus.transport.flush();
    const recs = raw.slice(before).map((r) => JSON.parse(r) as InspectionRecord);
    const changes = recs.filter((r) => r.type === "@xstate.snapshot");
    // 10 GO events → 10 value changes, all published, plus at most the 20/s budget of the rest.
    const values = changes.map((r) => r.snapshot?.value);
    expect(values.filter((v) => v === "busy").length).toBe(5);
    expect(values.filter((v) => v === "idle").length).toBeGreaterThanOrEqual(5);
    expect(recs.length).toBeLessThanOrEqual(20 + 10);
    expect(inspector.stats.dropped).toBeGreaterThan(1900);
    // A new second → a fresh budget.
    t += 1000;
    const n = raw.length;
    actor.send({ type: "TICK" });
    await bus.transport.flush();
    expect(raw.length).toBe(n + 2);
    actor.stop();
    inspector.stop();
  });
});

describe("the cost governor", () => {
  it("sheds events once inspection used its share of the window, then publishes each actor's newest state", async () => {
    const { bus } = memBus();
    const raw = collect(bus);
    // Every inspection event costs 1 ms of fake time; the budget is 10 ms per second.
    let cost = 0;
    const inspector = createInspector({ bus, component: "test", maxPerSecond: Infinity, ledger: createCostLedger({ share: 0.01, clock: () => (cost += 0.5) }) });
    const actors = Array.from({ length: 5 }, () => createActor(machine, { inspect: inspector.inspect }).start());
    for (let i = 0; i < 50; i++) for (const a of actors) a.send({ type: i % 2 === 0 ? "GO" : "TICK" });
    await bus.transport.flush();
    // 5 actors x 50 sends x 2 records each would be 500; the 10 ms budget allows about 10.
    expect(raw.length).toBeLessThan(20);
    expect(inspector.stats.dropped + inspector.stats.deferred).toBeGreaterThan(400);
    // Each actor flipped state 25 times: it ends "busy". A new window publishes the kept-aside newest snapshots.
    cost += 1000;
    actors[0]!.send({ type: "TICK" });
    await bus.transport.flush();
    const latest = new Map<string, unknown>();
    for (const r of raw.map((x) => JSON.parse(x) as InspectionRecord)) if (r.snapshot) latest.set(r.actorId, r.snapshot.value);
    expect([...latest.values()]).toHaveLength(5);
    expect(new Set(latest.values())).toEqual(new Set(["busy"]));
    for (const a of actors) a.stop();
    inspector.stop();
  });
});

describe("renderTree", () => {
  it("draws the actor tree with state values and last events", () => {
    const model = createInspectModel();
    const rec = (r: Partial<InspectionRecord> & Pick<InspectionRecord, "type" | "actorId">): InspectionRecord => ({ component: "scheduler", seq: 0, time: 0, ...r });
    model.apply(rec({ type: "@xstate.actor", actorId: "x:0", systemId: "default-scheduler", snapshot: { value: "Idle", status: "active" } }));
    model.apply(rec({ type: "@xstate.actor", actorId: "x:1", parentId: "x:0", machineId: "queue", snapshot: { value: { Active: "Draining" }, status: "active" } }));
    model.apply(rec({ type: "@xstate.actor", actorId: "x:2", component: "kubelet", systemId: "node-1", snapshot: { value: { lease: "Renewing", status: "Ready" }, status: "active" } }));
    for (const type of ["POD_ADDED", "POD_ADDED", "SCHEDULE", "BOUND", "POD_ADDED", "TICK"]) model.apply(rec({ type: "@xstate.event", actorId: "x:0", event: { type } }));
    model.apply(rec({ type: "@xstate.snapshot", actorId: "x:0", snapshot: { value: "Scheduling", status: "active" } }));
    expect(renderTree(model)).toBe(
      [
        "kubelet/node-1  {lease.Renewing, status.Ready}",
        "scheduler/default-scheduler  Scheduling  last: POD_ADDED, SCHEDULE, BOUND, POD_ADDED, TICK",
        "  queue  Active.Draining",
      ].join("\n"),
    );
    model.apply(rec({ type: "@xstate.snapshot", actorId: "x:1", snapshot: { value: "Done", status: "stopped" } }));
    expect(renderTree(model)).not.toContain("queue");
  });

  it("the feed ignores the announce subject and forgets a restarted component's actors", async () => {
    const { bus } = memBus();
    const logs: string[] = [];
    const quiet = new Bus(bus.transport, { log: (l) => logs.push(l) });
    const feed = startInspectFeed({ bus: quiet });
    await new Promise((r) => setTimeout(r, 10));
    const a = createInspector({ bus, component: "sched" });
    const actor1 = createActor(machine, { inspect: a.inspect }).start();
    await bus.transport.flush();
    expect(renderTree(feed.model)).toBe("sched/counter  idle  last: xstate.init");
    // "restart": a new inspector (instance) with the same machine.
    a.stop();
    const b = createInspector({ bus, component: "sched" });
    const actor2 = createActor(machine, { inspect: b.inspect }).start();
    actor2.send({ type: "GO" });
    await bus.transport.flush();
    expect(renderTree(feed.model)).toBe("sched/counter  busy  last: xstate.init, GO");
    expect(logs).toEqual([]);
    actor1.stop();
    actor2.stop();
    b.stop();
    feed.stop();
  });
});
