/**
 * Who holds the heap: retained size of groups of objects in a V8 heap snapshot
 * (from `BENCH_HEAP_SNAPSHOTS=dir npm run bench:nodes`). A group's retained
 * size is what is reachable from it and not from the roots without passing
 * through it (weak edges ignored): what would be freed without it. Objects
 * held by two groups count in neither, only in their union (`--with a+b`).
 *
 *   node --max-old-space-size=12000 --import tsx bench/heap-owners.ts SNAPSHOT [--with "pod actors+informers" ...]
 *
 * Groups: the store's state, its objects map and history array, informers,
 * event recorders, sim runtimes, Timeouts, and XState actors by machine
 * (pod, container, node) or invoke id (status writer, container exit watcher).
 * Results for libs/kubelet/README.md "Memory per pod".
 */
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error("usage: heap-owners.ts SNAPSHOT [--with a+b ...]");
  process.exit(2);
}
const combos = rest.filter((a) => a !== "--with");
const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
const meta = snap.snapshot.meta;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const [N_TYPE, N_NAME, N_SIZE, N_EDGES] = ["type", "name", "self_size", "edge_count"].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
const [E_TYPE, E_NAME, E_TO] = ["type", "name_or_index", "to_node"].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
const edgeTypes = meta.edge_types[0];
const WEAK = edgeTypes.indexOf("weak");
const SHORTCUT = edgeTypes.indexOf("shortcut");
const ELEMENT = edgeTypes.indexOf("element");
const HIDDEN = edgeTypes.indexOf("hidden");
const { nodes, edges, strings } = snap;
const count = nodes.length / NF;
const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + N_EDGES]! * EF;
  firstEdge[i + 1] = e;
}
const nameOf = (i: number) => strings[nodes[i * NF + N_NAME]!]!;
const typeOf = (i: number) => meta.node_types[0][nodes[i * NF + N_TYPE]!]!;
const sizeOf = (i: number) => nodes[i * NF + N_SIZE]!;
const edgeName = (e: number) => (edges[e + E_TYPE] === ELEMENT || edges[e + E_TYPE] === HIDDEN ? "" : strings[edges[e + E_NAME]!]!);
/** The node a named property points to, or -1. */
const prop = (i: number, p: string) => {
  for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e += EF) if (edgeName(e) === p) return edges[e + E_TO]! / NF;
  return -1;
};

const reach = (starts: readonly number[], blocked: Uint8Array) => {
  const seen = new Uint8Array(count);
  const stack: number[] = [];
  for (const s of starts) if (!blocked[s] && !seen[s]) (seen[s] = 1), stack.push(s);
  while (stack.length) {
    const i = stack.pop()!;
    for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e += EF) {
      const t = edges[e + E_TYPE];
      if (t === WEAK || t === SHORTCUT) continue;
      const j = edges[e + E_TO]! / NF;
      if (seen[j] || blocked[j]) continue;
      seen[j] = 1;
      stack.push(j);
    }
  }
  return seen;
};

const retained = (group: readonly number[]) => {
  const blocked = new Uint8Array(count);
  for (const g of group) blocked[g] = 1;
  const fromRoot = reach([0], blocked);
  const fromGroup = reach(group, new Uint8Array(count));
  let bytes = 0;
  for (let i = 0; i < count; i++) if (fromGroup[i] && !fromRoot[i]) bytes += sizeOf(i);
  return bytes;
};

const groups = new Map<string, number[]>();
const add = (g: string, i: number) => i >= 0 && (groups.get(g) ?? groups.set(g, []).get(g)!).push(i);
const CLASSES: Record<string, string> = {
  VersionedState: "store state",
  Informer: "informers",
  EventRecorder: "event recorders",
  SimRuntime: "sim runtimes",
  Timeout: "timeouts",
};
let total = 0;
for (let i = 0; i < count; i++) {
  total += sizeOf(i);
  if (typeOf(i) !== "object") continue;
  const name = nameOf(i);
  if (CLASSES[name]) add(CLASSES[name], i);
  if (name === "VersionedState") {
    add("store objects map", prop(i, "objects"));
    add("store history", prop(i, "events"));
  }
  if (name !== "Actor") continue;
  const id = prop(i, "id");
  const logic = prop(i, "logic");
  const machine = logic >= 0 ? prop(logic, "id") : -1;
  const machineId = machine >= 0 ? nameOf(machine) : "";
  const actorId = id >= 0 ? nameOf(id) : "";
  if (["pod", "container", "node"].includes(machineId)) add(`${machineId} actors`, i);
  else if (actorId === "status") add("status writers", i);
  else if (actorId.endsWith(".container.Running")) add("container exit watchers", i);
  else add("other actors", i);
}

const MiB = 1048576;
console.log(`${file}: ${count} nodes, ${(total / MiB).toFixed(1)} MiB`);
for (const [g, list] of groups) console.log(`${g.padEnd(28)} ${String(list.length).padStart(7)} objects  retained ${(retained(list) / MiB).toFixed(2)} MiB`);
for (const combo of combos) {
  const list = combo.split("+").flatMap((g) => groups.get(g.trim()) ?? []);
  console.log(`${combo.padEnd(28)} (union)  retained ${(retained(list) / MiB).toFixed(2)} MiB`);
}
