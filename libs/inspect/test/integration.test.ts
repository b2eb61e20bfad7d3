import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { transportCases } from "@kubeactor/testing";
import { createActor, fromCallback, setup } from "xstate";
import { WebSocket } from "ws";
import { createInspector, renderTree, startInspectFeed, startStatelyBridge } from "../src/index.ts";

const worker = setup({ types: { events: {} as { type: "WORK" } | { type: "REST" } } }).createMachine({
  id: "worker",
  initial: "resting",
  states: { resting: { on: { WORK: "working" } }, working: { on: { REST: "resting" } } },
});
const parent = setup({
  types: { events: {} as { type: "START" } | { type: "WORK" } },
  actors: { worker, ticker: fromCallback(() => () => {}) },
}).createMachine({
  id: "boss",
  initial: "Idle",
  invoke: [{ src: "worker", id: "worker-1", systemId: "worker-1" }, { src: "ticker", id: "ticker" }],
  states: {
    Idle: { on: { START: "Running" } },
    Running: { on: { WORK: { actions: ({ self }) => self.getSnapshot().children["worker-1"]?.send({ type: "WORK" }) } } },
  },
});

// Generous: under a loaded machine the inspection cost ledger sheds records and republishes them in later seconds.
const until = async (cond: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.each(transportCases())("inspection over the $name bus", (tc) => {
  beforeAll(() => tc.setup(), 20_000);
  afterAll(() => tc.teardown());

  it("a viewer on another connection sees the tree; announce re-sends it", async () => {
    const pub = new Bus(await tc.connect("component"));
    const inspector = createInspector({ bus: pub, component: "demo" });
    await pub.transport.flush();
    const actor = createActor(parent, { inspect: inspector.inspect }).start();
    actor.send({ type: "START" });
    actor.send({ type: "WORK" });

    // A viewer attaching after the fact gets the tree through announce.
    const viewerBus = new Bus(await tc.connect("viewer"));
    const feed = startInspectFeed({ bus: viewerBus });
    // (Events sent before it attached are not replayed: announce carries current state.)
    const expected = ["demo/boss  Running", "  ticker", "  worker-1  working"].join("\n");
    await until(() => renderTree(feed.model) === expected);

    // A second viewer started later; an explicit announce re-sends everything.
    const feed2 = startInspectFeed({ bus: viewerBus, announce: false });
    expect(renderTree(feed2.model)).toBe("");
    await viewerBus.transport.flush();
    feed2.announce();
    await until(() => renderTree(feed2.model).startsWith("demo/boss  Running"));
    expect(renderTree(feed2.model)).toContain("  worker-1  working");

    // Live updates keep flowing.
    actor.getSnapshot().children["worker-1"]?.send({ type: "REST" });
    await until(() => renderTree(feed.model).includes("worker-1  resting  last: REST"));
    expect(inspector.stats.errors).toBe(0);

    actor.stop();
    inspector.stop();
    feed.stop();
    feed2.stop();
  }, 40_000);

  it("the Stately bridge replays actors to a WebSocket client in the inspector protocol", async () => {
    const pub = new Bus(await tc.connect("component2"));
    const inspector = createInspector({ bus: pub, component: "demo2" });
    const actor = createActor(parent, { inspect: inspector.inspect }).start();
    const bridge = await startStatelyBridge({ bus: new Bus(await tc.connect("bridge")), port: 0 });
    const got: any[] = [];
    await new Promise((r) => setTimeout(r, 200));
    const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}`);
    ws.on("message", (d) => got.push(JSON.parse(d.toString())));
    await new Promise<void>((r) => ws.on("open", () => r()));
    await until(() => got.some((m) => m.type === "@xstate.actor" && m.name === "demo2/boss"));
    actor.send({ type: "START" });
    await until(() => got.some((m) => m.type === "@xstate.snapshot" && m.snapshot?.value === "Running"));
    const boss = got.find((m) => m.name === "demo2/boss");
    expect(boss).toMatchObject({ _version: expect.any(String), sessionId: expect.stringMatching(/^demo2\//) });
    expect(JSON.parse(boss.definition).id).toBe("boss");
    const child = got.find((m) => m.type === "@xstate.actor" && m.name === "demo2/worker-1");
    expect(child.parentId).toBe(boss.sessionId);
    ws.close();
    actor.stop();
    inspector.stop();
    await bridge.stop();
  }, 10_000);
});
