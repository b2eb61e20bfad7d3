/**
 * What one pod start costs, without the heartbeats around it (bench:nodes'
 * fill counts lease renewals in): store + API server + kubelet in one process
 * on the in-process bus, N nodes with lease renewals pushed out of the
 * window, P pods created bound (64 in flight) until every one is Running and
 * the store is quiet. Prints CPU-ms, store writes, bus messages and bytes
 * per pod start (by subject), and heap per pod.
 *   node --expose-gc --import tsx bench/podstart.ts [nodes=100] [pods=3000]
 * Add `--cpu-prof --cpu-prof-dir=DIR` to profile it (the warm-up is in the profile too).
 */
import { performance } from "node:perf_hooks";
import { Bus, type JsonObject, type Transport } from "@kubeactor/bus";
import { ApiClient, openWatchStream, StoreClient } from "@kubeactor/client";
import { startKubelet } from "@kubeactor/kubelet";
import { startApiServer } from "@kubeactor/apiserver";
import { createMemoryBackend, startStoreComponent } from "@kubeactor/store";
import { memoryCase } from "@kubeactor/testing";
import { removeDir, tempDir } from "./lib/cleanup.ts";

const n = Number(process.argv[2] ?? 100);
const P = Number(process.argv[3] ?? 3000);
const WARMUP = 500;
const PODS = { group: "", version: "v1", resource: "pods" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every message sent on the bus, by subject class: count and bytes. */
const traffic = new Map<string, { count: number; bytes: number }>();
const classOf = (subject: string) => (subject.startsWith("kube.watch.") ? subject.split(".").slice(0, 4).join(".") : subject.replace(/^(kube\.[a-z]+\.[a-z]+).*/, "$1").replace(/^_INBOX.*/, "reply"));
const count = (subject: string, data: Uint8Array) => {
  const c = classOf(subject);
  const t = traffic.get(c) ?? { count: 0, bytes: 0 };
  t.count++;
  t.bytes += data.byteLength;
  traffic.set(c, t);
};
const counted = (t: Transport): Transport => ({
  kind: t.kind,
  publish: (s, d, r) => (count(s, d), t.publish(s, d, r)),
  subscribe: (s, h, o) => t.subscribe(s, h, o),
  request: (s, d, o) => (count(s, d), t.request(s, d, o)),
  flush: () => t.flush(),
  close: () => t.close(),
});

const mc = memoryCase();
await mc.setup();
const connect = async (name: string) => new Bus(counted(await mc.connect(name)), { log: () => {} });
const dir = tempDir("kubeactor-podstart-");
const store = await startStoreComponent({ bus: await connect("store"), dir, backend: createMemoryBackend(), backendName: "memory" });
const apiserver = await startApiServer({ bus: await connect("apiserver"), port: 0, log: () => {} });
const api = new ApiClient(await connect("bench"));
const kubelet = await startKubelet({ bus: await connect("kubelet"), nodes: n, maxPods: 110, leaseRenewMs: 3_600_000, log: () => {} });
await api.create({ group: "", version: "v1", resource: "namespaces" }, "", { apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } });

const watchBus = await connect("bench-watch");
let running = 0;
const seen = new Set<string>();
await openWatchStream(watchBus, new StoreClient(watchBus), { group: "", resource: "pods" }, {
  onList: () => {},
  onEvent: (e) => {
    const p = e.object as { metadata: { name: string }; status?: { phase?: string } };
    if (p.status?.phase === "Running" && !seen.has(p.metadata.name)) {
      seen.add(p.metadata.name);
      running++;
    }
  },
  onError: (e) => console.error(`watch: ${(e as Error).message}`),
});

const podBody = (name: string, node: string): JsonObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "bench", labels: { app: "bench" } },
  spec: {
    nodeName: node,
    terminationGracePeriodSeconds: 0,
    containers: [{ name: "app", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "10m", memory: "16Mi" } } }],
  },
});

/** Creates pods [from, to) round robin over the nodes, 64 in flight; resolves when all are Running and the store is quiet. */
const fill = async (prefix: string, count: number) => {
  let next = 0;
  const target = running + count;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < count) {
        await new Promise((r) => setImmediate(r));
        const i = next++;
        await api.create(PODS, "bench", podBody(`${prefix}-${i}`, kubelet.nodes[i % n]!));
      }
    }),
  );
  while (running < target) await sleep(20);
  // the last Events and status writes settle
  for (let rev = -1; rev !== store.backend.revision; ) {
    rev = store.backend.revision;
    await sleep(300);
  }
};

await fill("warm", WARMUP);
global.gc?.();
global.gc?.();
const heap0 = process.memoryUsage().heapUsed;
traffic.clear();
const rev0 = store.backend.revision;
const c0 = process.cpuUsage();
const t0 = performance.now();
await fill("pod", P);
const cpu = process.cpuUsage(c0);
const wall = performance.now() - t0;
const writes = store.backend.revision - rev0;
global.gc?.();
global.gc?.();
const heap1 = process.memoryUsage().heapUsed;
const cpuMs = (cpu.user + cpu.system) / 1000;
const r = (x: number) => Math.round(x * 100) / 100;
console.log(`${P} pod starts on ${n} nodes in ${r(wall / 1000)} s: ${r(cpuMs / P)} CPU-ms per pod start (settling included), ${r(writes / P)} store writes, heap ${r((heap1 - heap0) / P / 1024)} KiB per pod`);
let msgs = 0;
let bytes = 0;
for (const [c, t] of [...traffic].sort((a, b) => b[1].bytes - a[1].bytes)) {
  msgs += t.count;
  bytes += t.bytes;
  console.log(`  ${c.padEnd(28)} ${String(r(t.count / P)).padStart(6)} msgs/pod ${String(r(t.bytes / P / 1024)).padStart(7)} KiB/pod`);
}
console.log(`  ${"all".padEnd(28)} ${String(r(msgs / P)).padStart(6)} msgs/pod ${String(r(bytes / P / 1024)).padStart(7)} KiB/pod`);
await kubelet.stop();
await apiserver.close();
await store.stop();
removeDir(dir);
await mc.teardown();
process.exit(0);
