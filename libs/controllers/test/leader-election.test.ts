import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { LEASES } from "@kubeactor/client";
import { type Kubelet, startKubelet } from "@kubeactor/kubelet";
import { type RunningScheduler, startScheduler } from "@kubeactor/scheduler";
import { startTestCluster, type TestCluster, transportCases, until } from "@kubeactor/testing";
import { type ControllerManager, NAMESPACES, PODS, REPLICASETS, startControllerManager } from "../src/index.ts";

const EVENTS = { group: "", version: "v1", resource: "events" };
// Shorter than the defaults (15/10/2 s) to keep the test short, with the same
// shape: the renew deadline plus a retry stays well inside the lease duration.
const TIMINGS = { leaseDurationMs: 10_000, renewDeadlineMs: 5_000, retryPeriodMs: 1_000 };
/**
 * A standby that would wait a whole minute for an unreleased lease: taking
 * over well before that proves the leader released it, however slow the
 * machine (the standby judges expiry by its own lease duration, as client-go).
 */
const PATIENT = { ...TIMINGS, leaseDurationMs: 60_000 };
const MICROTIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe.each(transportCases())("controller manager leader election over the $name bus", (tc) => {
  let c: TestCluster;
  const managers: ControllerManager[] = [];
  const buses = new Map<string, Bus>();
  /** Every state each manager's machine went through, with the time. */
  const history = new Map<string, { state: string; at: number }[]>();
  const ns = `le-${tc.name}`;

  const start = async (identity: string, timings = TIMINGS) => {
    const bus = new Bus(await tc.connect(`controller-manager-${identity}`), { log: () => {} });
    buses.set(identity, bus);
    const m = await startControllerManager({ bus, controllers: ["replicaset"], leaderElection: { ...timings, identity }, log: () => {} });
    const seen = [{ state: String(m.actor.getSnapshot().value), at: Date.now() }];
    history.set(identity, seen);
    m.actor.subscribe((s) => seen.at(-1)?.state !== String(s.value) && seen.push({ state: String(s.value), at: Date.now() }));
    managers.push(m);
    return m;
  };
  const lease = async () => (await c.api.get(LEASES, "kube-system", "kube-controller-manager")) as any;
  const state = (m: ControllerManager) => String(m.actor.getSnapshot().value);
  const pods = async () => ((await c.api.list(PODS, ns)).items as any[]).filter((p) => !p.metadata.deletionTimestamp);

  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    await c.api.create(NAMESPACES, "", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  });
  const schedulers: RunningScheduler[] = [];
  let kubelet: Kubelet | undefined;
  afterAll(async () => {
    for (const s of schedulers) await s.stop().catch(() => {});
    await kubelet?.stop();
    for (const m of managers) await m.stop().catch(() => {});
    await c?.stop();
    await tc.teardown();
  });

  it("only the lease holder runs controllers; a crashed leader is replaced after its lease expires, a stopped one at once", { timeout: 90_000 }, async () => {
    const a = await start("host-a_1");
    expect(state(a)).toBe("Running");
    const b = await start("host-b_2");
    expect(state(b)).toBe("Candidate");

    const first = await lease();
    expect(first.spec).toMatchObject({ holderIdentity: "host-a_1", leaseDurationSeconds: 10, leaseTransitions: 0 });
    expect(first.spec.acquireTime).toMatch(MICROTIME);
    expect(first.spec.renewTime).toMatch(MICROTIME);
    const became = await until("a LeaderElection event", async () =>
      ((await c.api.list(EVENTS, "kube-system")).items as any[]).find((e) => e.reason === "LeaderElection" && e.message === "host-a_1 became leader"),
    );
    expect(became).toMatchObject({ type: "Normal", source: { component: "kube-controller-manager" }, involvedObject: { kind: "Lease", name: "kube-controller-manager", namespace: "kube-system" } });

    // The leader acts; the standby renews nothing and never starts its controllers.
    await c.api.create(REPLICASETS, ns, {
      apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "web" },
      spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx" }] } } },
    });
    await until("2 pods", async () => (await pods()).length === 2);
    await until("the lease renewed", async () => (await lease()).spec.renewTime !== first.spec.renewTime);
    expect(history.get("host-b_2")!.map((h) => h.state)).toEqual(["Candidate"]);

    // A crash: a's connection goes away without releasing the lease.
    const lastRenewOfA = await lease();
    await buses.get("host-a_1")!.close();
    const crashLease = await until("b takes over", async () => ((await lease()).spec.holderIdentity === "host-b_2" ? lease() : undefined), 40_000);
    await until("b runs its controllers", () => state(b) === "Running", 20_000);
    expect(crashLease.spec.leaseTransitions).toBe(1);
    // b waited for the lease to expire as it observed it (it had seen at least a's last renewal).
    const lastRenew = Date.parse(lastRenewOfA.spec.renewTime);
    expect(Date.parse(crashLease.spec.acquireTime)).toBeGreaterThanOrEqual(lastRenew + TIMINGS.leaseDurationMs);
    // a noticed it could not renew and stopped acting before b started.
    await until("a stops acting", () => state(a) === "Candidate" || state(a) === "Demoting", 20_000);
    const aLeft = history.get("host-a_1")!.find((h) => h.state === "Demoting")!.at;
    const bRan = history.get("host-b_2")!.find((h) => h.state === "Starting")!.at;
    expect(aLeft).toBeLessThan(bRan);
    // and b is the one acting now.
    await c.api.delete(PODS, ns, (await pods())[0].metadata.name);
    await until("b replaces the deleted pod", async () => (await pods()).length === 2);

    // A clean stop releases the lease: the next standby takes it without waiting for expiry.
    const d = await start("host-d_3", PATIENT);
    expect(state(d)).toBe("Candidate");
    const beforeStop = await lease();
    await b.stop();
    await until("d runs its controllers", () => state(d) === "Running", 20_000);
    const handedOver = await lease();
    expect(handedOver.spec).toMatchObject({ holderIdentity: "host-d_3", leaseTransitions: 2 });
    expect(Date.parse(handedOver.spec.acquireTime)).toBeLessThan(Date.parse(beforeStop.spec.renewTime) + PATIENT.leaseDurationMs);
    const stopped = await until("a 'stopped leading' event", async () =>
      ((await c.api.list(EVENTS, "kube-system")).items as any[]).find((e) => e.reason === "LeaderElection" && e.message === "host-b_2 stopped leading"),
    );
    expect(stopped.type).toBe("Normal");
  });

  it("only the leading scheduler binds pods; a clean stop hands over at once", { timeout: 60_000 }, async () => {
    kubelet = await startKubelet({ bus: new Bus(await tc.connect("kubelet"), { log: () => {} }), nodes: 1, namePrefix: `le-${tc.name}-` });
    const start = async (identity: string, timings = TIMINGS) => {
      const s = await startScheduler({ bus: new Bus(await tc.connect(`scheduler-${identity}`), { log: () => {} }), log: () => {}, leaderElection: { ...timings, identity } });
      schedulers.push(s);
      return s;
    };
    const a = await start("sched-a_1");
    await until("a leads", () => a.actor !== undefined);
    const b = await start("sched-b_2", PATIENT);
    const schedLease = async () => (await c.api.get(LEASES, "kube-system", "kube-scheduler")) as any;
    await until("b has seen a's lease", async () => (await schedLease()).spec.holderIdentity === "sched-a_1");
    expect(b.actor).toBeUndefined();

    const bound = (name: string) => async () => ((await c.api.get(PODS, ns, name)) as any).spec.nodeName;
    const newPod = (name: string) => c.api.create(PODS, ns, { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "c", image: "nginx" }] } });
    await newPod("first");
    expect(await until("first bound", bound("first"))).toBe(`le-${tc.name}-1`);
    const became = await until("the scheduler's LeaderElection event", async () =>
      ((await c.api.list(EVENTS, "kube-system")).items as any[]).find((e) => e.message === "sched-a_1 became leader"),
    );
    expect(became).toMatchObject({ reason: "LeaderElection", source: { component: "default-scheduler" }, involvedObject: { kind: "Lease", name: "kube-scheduler" } });

    const beforeStop = await schedLease();
    await a.stop();
    await until("b leads", () => b.actor !== undefined, 20_000);
    const handedOver = await schedLease();
    expect(handedOver.spec).toMatchObject({ holderIdentity: "sched-b_2", leaseTransitions: 1 });
    expect(Date.parse(handedOver.spec.acquireTime)).toBeLessThan(Date.parse(beforeStop.spec.renewTime) + PATIENT.leaseDurationMs);
    await newPod("second");
    expect(await until("second bound by b", bound("second"))).toBe(`le-${tc.name}-1`);
  });
});
