/**
 * What a stored pod costs the store: heap per pod (+ its 5 Events), GC time
 * while filling, CPU per write, and CPU of reads through the store's server on
 * an in-process bus (what bench:nodes runs). One child process per backend so
 * heaps do not mix.
 *
 *   node --expose-gc --import tsx bench/store-memory.ts            # memory and file backends
 *   BENCH_MEMORY_PODS=50000 BENCH_MEMORY_BACKENDS=memory node --expose-gc --import tsx bench/store-memory.ts
 *
 * Figures to bench/results/store-memory.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Bus, createMemoryTransport, MemoryHub, type JsonObject } from "@kubeactor/bus";
import { StoreClient } from "@kubeactor/client";
import { createFileBackend, createMemoryBackend, serveStore, type StoreBackend } from "@kubeactor/store";
import { removeDir, tempDir } from "./lib/cleanup.ts";

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(here, "results", "store-memory.json");
const PODS = Number(process.env.BENCH_MEMORY_PODS ?? 50_000);
const BACKENDS = (process.env.BENCH_MEMORY_BACKENDS ?? "memory,file").split(",");
const NODES = 500;

const ts = "2026-11-24T02:00:00Z";
const mf = (manager: string, operation: string, fields: object, subresource?: string) => ({
  manager,
  operation,
  apiVersion: "v1",
  time: ts,
  fieldsType: "FieldsV1",
  fieldsV1: fields,
  ...(subresource ? { subresource } : {}),
});

/** A pod as the API server stores it once the sim kubelet reports it Running (managedFields included). */
export const pod = (ns: string, name: string, i: number): JsonObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    namespace: ns,
    uid: `6f1c2d3e-${String(i).padStart(8, "0")}-4a5b-9c8d-1e2f3a4b5c6d`,
    creationTimestamp: ts,
    labels: { app: "bench", "pod-template-hash": "5d8f7c9b6" },
    managedFields: [
      mf("bench", "Update", {
        "f:metadata": { "f:labels": { ".": {}, "f:app": {}, "f:pod-template-hash": {} } },
        "f:spec": {
          "f:containers": {
            'k:{"name":"app"}': {
              ".": {},
              "f:image": {},
              "f:imagePullPolicy": {},
              "f:name": {},
              "f:resources": { ".": {}, "f:requests": { ".": {}, "f:cpu": {}, "f:memory": {} } },
              "f:terminationMessagePath": {},
              "f:terminationMessagePolicy": {},
            },
          },
          "f:dnsPolicy": {},
          "f:enableServiceLinks": {},
          "f:restartPolicy": {},
          "f:schedulerName": {},
          "f:securityContext": {},
          "f:terminationGracePeriodSeconds": {},
        },
      }),
      mf(
        "kubelet",
        "Update",
        {
          "f:status": {
            "f:conditions": {
              'k:{"type":"ContainersReady"}': { ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {} },
              'k:{"type":"Initialized"}': { ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {} },
              'k:{"type":"PodReadyToStartContainers"}': { ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {} },
              'k:{"type":"Ready"}': { ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {} },
            },
            "f:containerStatuses": {},
            "f:hostIP": {},
            "f:hostIPs": {},
            "f:phase": {},
            "f:podIP": {},
            "f:podIPs": { ".": {}, 'k:{"ip":"10.244.1.7"}': { ".": {}, "f:ip": {} } },
            "f:startTime": {},
          },
        },
        "status",
      ),
    ],
  },
  spec: {
    containers: [
      {
        name: "app",
        image: "registry.k8s.io/pause:3.9",
        imagePullPolicy: "IfNotPresent",
        resources: { requests: { cpu: "10m", memory: "16Mi" } },
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
      },
    ],
    dnsPolicy: "ClusterFirst",
    enableServiceLinks: true,
    nodeName: `node-${i % NODES}`,
    preemptionPolicy: "PreemptLowerPriority",
    priority: 0,
    restartPolicy: "Always",
    schedulerName: "default-scheduler",
    securityContext: {},
    serviceAccountName: "default",
    terminationGracePeriodSeconds: 30,
    tolerations: [
      { effect: "NoExecute", key: "node.kubernetes.io/not-ready", operator: "Exists", tolerationSeconds: 300 },
      { effect: "NoExecute", key: "node.kubernetes.io/unreachable", operator: "Exists", tolerationSeconds: 300 },
    ],
  },
  status: {
    phase: "Running",
    conditions: ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({
      type,
      status: "True",
      lastProbeTime: null,
      lastTransitionTime: ts,
    })),
    hostIP: `10.0.${(i % NODES) >> 8}.${(i % NODES) & 255}`,
    hostIPs: [{ ip: `10.0.${(i % NODES) >> 8}.${(i % NODES) & 255}` }],
    podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
    podIPs: [{ ip: `10.244.${(i >> 8) & 255}.${i & 255}` }],
    startTime: ts,
    containerStatuses: [
      {
        name: "app",
        state: { running: { startedAt: ts } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: "registry.k8s.io/pause:3.9",
        imageID: "sim://registry.k8s.io/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097",
        containerID: `sim://${String(i).padStart(12, "0")}`,
        started: true,
      },
    ],
    qosClass: "Burstable",
  },
});

const EVENTS: Array<[string, string]> = [
  ["Scheduled", "Successfully assigned {pod} to {node}"],
  ["Pulled", 'Container image "registry.k8s.io/pause:3.9" already present on machine'],
  ["Created", "Created container app"],
  ["Started", "Started container app"],
  ["SandboxChanged", "Pod sandbox changed, it will be killed and re-created."],
];

/** The Events a pod start records, as the API server stores them. */
export const events = (ns: string, podName: string, i: number): Array<{ name: string; object: JsonObject }> =>
  EVENTS.map(([reason, message], k) => {
    const name = `${podName}.${(0x17a0000000 + i * 8 + k).toString(16)}`;
    return {
      name,
      object: {
        apiVersion: "v1",
        kind: "Event",
        metadata: {
          name,
          namespace: ns,
          uid: `7a2b3c4d-${String(i).padStart(8, "0")}-${k}b5c-9d8e-2f3a4b5c6d7e`,
          creationTimestamp: ts,
          managedFields: [mf(k === 0 ? "scheduler" : "kubelet", "Update", { "f:count": {}, "f:firstTimestamp": {}, "f:involvedObject": {}, "f:lastTimestamp": {}, "f:message": {}, "f:reason": {}, "f:reportingComponent": {}, "f:reportingInstance": {}, "f:source": { "f:component": {}, "f:host": {} }, "f:type": {} })],
        },
        involvedObject: { kind: "Pod", namespace: ns, name: podName, uid: `6f1c2d3e-${String(i).padStart(8, "0")}-4a5b-9c8d-1e2f3a4b5c6d`, apiVersion: "v1", resourceVersion: String(i * 7 + 1), ...(k > 0 ? { fieldPath: "spec.containers{app}" } : {}) },
        reason,
        message: message.replace("{pod}", `${ns}/${podName}`).replace("{node}", `node-${i % NODES}`),
        source: k === 0 ? { component: "default-scheduler" } : { component: "kubelet", host: `node-${i % NODES}` },
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
        type: "Normal",
        eventTime: null,
        reportingComponent: k === 0 ? "default-scheduler" : "kubelet",
        reportingInstance: k === 0 ? "" : `node-${i % NODES}`,
      },
    };
  });

const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error("run with node --expose-gc");
  g();
  g();
};

const cpuMs = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

const round = (v: number, d = 3): number => Math.round(v * 10 ** d) / 10 ** d;

/** One backend in this process: fill, measure, read through the server. */
const child = async (backendName: string): Promise<Record<string, unknown>> => {
  const dir = tempDir("store-memory");
  const backend: StoreBackend =
    backendName === "file" ? createFileBackend({ dir, fsync: false, snapshotEvery: 0 }) : createMemoryBackend();
  await backend.open();

  let gcMs = 0;
  let gcCount = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcCount++;
    }
  });
  obs.observe({ entryTypes: ["gc"] });

  gc();
  const heap0 = process.memoryUsage();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const ns = "bench";
  const WINDOW = 256;
  let inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < PODS; i++) {
    const name = `pod-${i}`;
    const key = `/core/pods/${ns}/${name}`;
    const full = pod(ns, name, i);
    // as in a pod start: created pending (no status, no node), then bound and Running.
    const { status: _s, ...pending } = full;
    const created = backend.create(key, { ...pending, spec: { ...(full["spec"] as object), nodeName: undefined } }).then((e) =>
      backend.update(key, full, (e.object["metadata"] as { resourceVersion: string }).resourceVersion),
    );
    inFlight.push(created);
    for (const ev of events(ns, name, i)) inFlight.push(backend.create(`/core/events/${ns}/${ev.name}`, ev.object));
    if (inFlight.length >= WINDOW) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  const writes = PODS * 7;
  const fillCpuMs = cpuMs(c0);
  // GC entries reach the observer asynchronously.
  await new Promise((r) => setTimeout(r, 100));
  const fillWallMs = performance.now() - t0;
  const fillGcMs = gcMs;
  const fillGcCount = gcCount;
  gc();
  const heap1 = process.memoryUsage();
  // The GC's price of what is live: CPU of one full collection (marking walks every live object).
  let fullGcCpuMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const g = process.cpuUsage();
    (globalThis as { gc?: () => void }).gc!();
    fullGcCpuMs = Math.min(fullGcCpuMs, cpuMs(g));
  }
  const sample = pod(ns, "pod-1", 1);
  const jsonBytes = JSON.stringify(sample).length + events(ns, "pod-1", 1).reduce((n, e) => n + JSON.stringify(e.object).length, 0);

  // Reads through the store's server on an in-process bus (the bench:nodes setup).
  const hub = new MemoryHub();
  const serverBus = new Bus(createMemoryTransport(hub), { log: () => {} });
  const clientBus = new Bus(createMemoryTransport(hub), { log: () => {} });
  const server = serveStore({ bus: serverBus, backend, backendName });
  const client = new StoreClient(clientBus);
  const GETS = 20_000;
  // warm up
  for (let i = 0; i < 500; i++) await client.get({ group: "", resource: "pods", namespace: ns, name: `pod-${(i * 7919) % PODS}` });
  let c = process.cpuUsage();
  for (let i = 0; i < GETS; i += 64) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(GETS, i + 64); j++) batch.push(client.get({ group: "", resource: "pods", namespace: ns, name: `pod-${(j * 7919) % PODS}` }));
    await Promise.all(batch);
  }
  const getCpuMs = cpuMs(c) / GETS;
  c = process.cpuUsage();
  const LISTS = 3;
  let listed = 0;
  for (let i = 0; i < LISTS; i++) listed = (await client.listAll({ group: "", resource: "pods", namespace: ns })).items.length;
  const listCpuMs = cpuMs(c) / LISTS;
  c = process.cpuUsage();
  const sel = (await client.listAll({ group: "", resource: "pods", namespace: ns, fieldSelector: "spec.nodeName=node-7" })).items.length;
  const listSelectorCpuMs = cpuMs(c);
  c = process.cpuUsage();
  const UPDATES = Math.min(10_000, PODS);
  for (let i = 0; i < UPDATES; i += 64) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(UPDATES, i + 64); j++) {
      const name = `pod-${j}`;
      batch.push(client.update({ group: "", resource: "pods", namespace: ns, name }, pod(ns, name, j)));
    }
    await Promise.all(batch);
  }
  const updateCpuMs = cpuMs(c) / UPDATES;
  c = process.cpuUsage();
  let hist = 0;
  for (let after = backend.oldestRevision - 1; ; ) {
    const h = await client.history("/core/", after, 500);
    hist += h.events.length;
    if (!h.more || h.events.length === 0) break;
    after = h.events[h.events.length - 1]!.revision;
  }
  const historyCpuMsPerEvent = cpuMs(c) / Math.max(1, hist);
  await server.stop();
  obs.disconnect();
  await backend.close();
  removeDir(dir);

  const perPodKiB = (heap1.heapUsed - heap0.heapUsed) / 1024 / PODS;
  return {
    backend: backendName,
    pods: PODS,
    writes,
    heapMiB: round(heap1.heapUsed / 1048576, 1),
    heapKiBPerPodWithEvents: round(perPodKiB, 2),
    jsonKiBPerPodWithEvents: round(jsonBytes / 1024, 2),
    fullGcCpuMs: round(fullGcCpuMs, 1),
    externalKiBPerPod: round((heap1.external + heap1.arrayBuffers - heap0.external - heap0.arrayBuffers) / 1024 / PODS, 2),
    fill: {
      wallMs: Math.round(fillWallMs),
      cpuMsPerWrite: round(fillCpuMs / writes, 4),
      gcMs: Math.round(fillGcMs),
      gcCount: fillGcCount,
      // wall-clock GC pauses (incl. concurrent phases) over process CPU: inflated on a loaded machine
      gcMsOverCpuMs: round(fillGcMs / fillCpuMs, 3),
    },
    readsOverInProcessBus: {
      getCpuMs: round(getCpuMs, 4),
      list: { items: listed, cpuMs: round(listCpuMs, 1) },
      listFieldSelector: { items: sel, cpuMs: round(listSelectorCpuMs, 1) },
      updateCpuMs: round(updateCpuMs, 4),
      history: { events: hist, cpuMsPerEvent: round(historyCpuMsPerEvent, 4) },
    },
  };
};

const main = async () => {
  const only = process.env.BENCH_MEMORY_CHILD;
  if (only) {
    const r = await child(only);
    process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
    return;
  }
  const results: Record<string, unknown>[] = [];
  for (const b of BACKENDS) {
    const out = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=6000", "--import", "tsx", fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_MEMORY_CHILD: b },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 1 << 24,
    });
    const line = out.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (!line) throw new Error(`${b}: no result (exit ${out.status})\n${out.stdout}`);
    const r = JSON.parse(line.slice(7)) as Record<string, unknown>;
    console.log(JSON.stringify(r, null, 2));
    results.push(r);
  }
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify({ date: new Date().toISOString(), pods: PODS, results }, null, 2) + "\n");
  console.log(`wrote ${RESULTS}`);
};

if (import.meta.url === `file://${process.argv[1]}` || process.env.BENCH_MEMORY_CHILD) main().catch((e) => {
  console.error(e);
  process.exit(1);
});
