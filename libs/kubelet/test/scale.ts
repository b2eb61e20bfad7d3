/**
 * Scale check (not a test): N simulated nodes in one kubelet process, with the
 * store and API server in the same process on the in-process bus.
 *   npx tsx libs/kubelet/test/scale.ts 1000 [pods] [seconds]
 * Prints registration time, heap/RSS, and CPU over a steady-state window.
 */
import { Bus } from "@kubeactor/bus";
import { memoryCase, startTestCluster } from "@kubeactor/testing";
import { startKubelet } from "../src/index.ts";

const n = Number(process.argv[2] ?? 1000);
const pods = Number(process.argv[3] ?? 0);
const seconds = Number(process.argv[4] ?? 30);
const mb = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;

const tc = memoryCase();
await tc.setup();
const cluster = await startTestCluster(tc);
global.gc?.();
const base = process.memoryUsage();
const t0 = Date.now();
const kubelet = await startKubelet({ bus: new Bus(await tc.connect("kubelet"), { log: () => {} }), nodes: n });
console.log(`${n} nodes registered Ready in ${Date.now() - t0} ms`);

if (pods > 0) {
  const t1 = Date.now();
  const PODS = { group: "", version: "v1", resource: "pods" };
  for (let i = 0; i < pods; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, pods - i) }, async (_, j) => {
        const name = `p-${i + j}`;
        await cluster.api.create(PODS, "default", { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "app", image: "nginx" }] } });
        await cluster.api.bind("default", name, kubelet.nodes[(i + j) % n]!);
      }),
    );
  }
  for (;;) {
    const list: any = await cluster.api.list(PODS, "default");
    const running = list.items.filter((p: any) => p.status?.phase === "Running").length;
    if (running === pods) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`${pods} pods created, bound and Running in ${Date.now() - t1} ms`);
}

global.gc?.();
const after = process.memoryUsage();
console.log(`heap +${mb(after.heapUsed - base.heapUsed)} (${mb(after.heapUsed)} total), rss ${mb(after.rss)}; per node ≈ ${((after.heapUsed - base.heapUsed) / n / 1024).toFixed(1)} KiB heap (pods included)`);

const cpu0 = process.cpuUsage();
const w0 = Date.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const cpu = process.cpuUsage(cpu0);
const wall = Date.now() - w0;
console.log(
  `steady state over ${seconds}s: CPU ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1)}% of one core (lease renewals ≈ ${(n / 10).toFixed(0)}/s, store + API server included)`,
);
await kubelet.stop();
await cluster.stop();
await tc.teardown();
process.exit(0);
