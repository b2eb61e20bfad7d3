/**
 * Inspection overhead: one machine processing N events with no inspector,
 * with the inspector (sampling on, default 20 records/s per actor) and with
 * sampling off, over the in-memory bus with a subscriber attached.
 * Run: npx tsx libs/inspect/bench/overhead.ts [N]
 */
import { Bus, createMemoryTransport, MemoryHub } from "@kubeactor/bus";
import { assign, createActor, setup } from "xstate";
import { createInspector } from "../src/index.ts";

const N = Number(process.argv[2] ?? 100_000);
const machine = setup({ types: { context: {} as { n: number; pods: string[] }, events: {} as { type: "TICK"; pod: string } | { type: "FLIP" } } }).createMachine({
  id: "bench",
  context: { n: 0, pods: [] },
  initial: "a",
  states: {
    a: { on: { TICK: { actions: assign({ n: ({ context }) => context.n + 1 }) }, FLIP: "b" } },
    b: { on: { TICK: { actions: assign({ n: ({ context }) => context.n + 1 }) }, FLIP: "a" } },
  },
});

type Mode = "none" | "noop" | "sampled" | "all";
const run = async (mode: Mode) => {
  const hub = new MemoryHub();
  const bus = new Bus(createMemoryTransport(hub));
  const viewer = new Bus(createMemoryTransport(hub));
  let received = 0;
  viewer.transport.subscribe("kube.inspect.>", () => received++);
  const inspector = mode === "none" || mode === "noop" ? undefined : createInspector({ bus, component: "bench", ...(mode === "all" ? { maxPerSecond: Infinity } : {}) });
  const actor = createActor(machine, inspector ? { inspect: inspector.inspect } : mode === "noop" ? { inspect: () => {} } : {}).start();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) actor.send(i % 1000 === 999 ? { type: "FLIP" } : { type: "TICK", pod: `pod-${i % 50}` });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await bus.transport.flush();
  actor.stop();
  inspector?.stop();
  return { ms, perSec: N / (ms / 1000), published: inspector?.stats.published ?? 0, dropped: inspector?.stats.dropped ?? 0, received };
};

const best = async (mode: Mode, reps = 5) => {
  const rs = [];
  for (let i = 0; i < reps; i++) rs.push(await run(mode));
  return rs.sort((a, b) => a.ms - b.ms)[Math.floor(reps / 2)]!; // median
};

await best("none", 2); // warm-up
await best("sampled", 2);
const none = await best("none");
const noop = await best("noop");
const sampled = await best("sampled");
const all = await best("all", 3);
const fmt = (r: typeof none) => `${r.ms.toFixed(0)} ms, ${Math.round(r.perSec).toLocaleString("en")} ev/s, published ${r.published}, dropped ${r.dropped}`;
console.log(`events: ${N}`);
console.log(`no inspector : ${fmt(none)}`);
console.log(`no-op inspect: ${fmt(noop)}  → ratio ${(noop.perSec / none.perSec).toFixed(3)} (XState's own cost of an inspect hook)`);
console.log(`sampled      : ${fmt(sampled)}  → throughput ratio ${(sampled.perSec / none.perSec).toFixed(3)} (cost ${((1 - sampled.perSec / none.perSec) * 100).toFixed(1)} %; vs no-op hook ${(sampled.perSec / noop.perSec).toFixed(3)})`);
console.log(`unsampled    : ${fmt(all)}  → throughput ratio ${(all.perSec / none.perSec).toFixed(3)}`);
