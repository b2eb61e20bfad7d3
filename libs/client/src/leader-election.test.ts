import { describe, expect, it } from "vitest";
import { createActor, fromPromise, SimulatedClock } from "xstate";
import { type Lease, leaderElectionMachine, type LeaderElectionEmitted, validateTimings } from "./leader-election.ts";

/** An in-memory Lease table with the API server's rules: create fails on an existing name, update is CAS on resourceVersion. */
class FakeLeases {
  lease: Lease | undefined;
  private rv = 0;
  down = false;
  writes = 0;
  private check() {
    if (this.down) throw Object.assign(new Error("connection refused"), { status: { code: 503 } });
  }
  get = async (): Promise<Lease | null> => {
    this.check();
    return this.lease ? structuredClone(this.lease) : null;
  };
  create = async (l: Lease): Promise<Lease> => {
    this.check();
    if (this.lease) throw Object.assign(new Error("already exists"), { status: { code: 409 } });
    this.writes++;
    this.lease = { ...structuredClone(l), metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
    return structuredClone(this.lease);
  };
  update = async (l: Lease): Promise<Lease> => {
    this.check();
    if (!this.lease || l.metadata?.resourceVersion !== this.lease.metadata?.resourceVersion)
      throw Object.assign(new Error("the object has been modified"), { status: { code: 409 } });
    this.writes++;
    this.lease = { ...structuredClone(l), metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
    return structuredClone(this.lease);
  };
}

const START = Date.parse("2025-01-01T00:00:00Z");
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const setupElection = () => {
  const clock = new SimulatedClock();
  clock.set(START);
  const leases = new FakeLeases();
  const machine = leaderElectionMachine.provide({
    actors: { getLease: fromPromise(leases.get), createLease: fromPromise(({ input }) => leases.create(input)), updateLease: fromPromise(({ input }) => leases.update(input)) },
  });
  const candidate = (identity: string, random = () => 0) => {
    const events: (LeaderElectionEmitted & { at: number })[] = [];
    const actor = createActor(machine, {
      clock,
      input: { namespace: "kube-system", name: "kube-controller-manager", identity, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, now: () => clock.now(), random },
    });
    for (const type of ["startedLeading", "stoppedLeading", "newLeader"] as const) actor.on(type, (e) => events.push({ ...e, at: clock.now() - START }));
    return { actor, events, leader: () => actor.getSnapshot().hasTag("leader") };
  };
  /** Moves simulated time in 100 ms steps, letting the (async) lease calls settle between steps. */
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.increment(100);
      await flush();
    }
  };
  return { clock, leases, candidate, advance, elapsed: () => clock.now() - START };
};

describe("leader election", () => {
  it("creates the Lease and leads: <identity>, MicroTimes, no transitions", async () => {
    const { leases, candidate } = setupElection();
    const a = candidate("host_a");
    a.actor.start();
    await flush();
    expect(a.leader()).toBe(true);
    expect(a.events.map((e) => e.type)).toEqual(["newLeader", "startedLeading"]);
    expect(leases.lease?.spec).toEqual({
      holderIdentity: "host_a",
      leaseDurationSeconds: 15,
      acquireTime: "2025-01-01T00:00:00.000000Z",
      renewTime: "2025-01-01T00:00:00.000000Z",
      leaseTransitions: 0,
    });
    expect(leases.lease?.metadata).toMatchObject({ name: "kube-controller-manager", namespace: "kube-system" });
  });

  it("renews every retryPeriod, keeping acquireTime", async () => {
    const { leases, candidate, advance } = setupElection();
    const a = candidate("host_a");
    a.actor.start();
    await flush();
    await advance(2_000);
    expect(leases.lease?.spec?.renewTime).toBe("2025-01-01T00:00:02.000000Z");
    await advance(2_000);
    expect(leases.lease?.spec).toMatchObject({ acquireTime: "2025-01-01T00:00:00.000000Z", renewTime: "2025-01-01T00:00:04.000000Z", leaseTransitions: 0 });
    expect(leases.writes).toBe(3);
  });

  it("a standby waits while the lease is renewed and takes over one lease duration after the holder stopped renewing", async () => {
    const { leases, candidate, advance, elapsed } = setupElection();
    const a = candidate("host_a");
    const b = candidate("host_b");
    a.actor.start();
    await flush();
    b.actor.start();
    await advance(30_000);
    expect(a.leader()).toBe(true);
    expect(b.leader()).toBe(false);
    expect(b.events.map(({ type, ...e }) => [type, "identity" in e ? e.identity : ""])).toEqual([["newLeader", "host_a"]]);

    // A crash: the actor goes away without releasing.
    a.actor.stop();
    const crashedAt = elapsed();
    const lastRenew = Date.parse(leases.lease!.spec!.renewTime!) - START;
    await advance(30_000);
    expect(b.leader()).toBe(true);
    const tookOver = b.events.find((e) => e.type === "startedLeading")!.at;
    // Never before the lease expired as B observed it; B's retries are every 2 s (jitter 0 here).
    expect(tookOver).toBeGreaterThanOrEqual(lastRenew + 15_000);
    expect(tookOver).toBeLessThanOrEqual(crashedAt + 15_000 + 2_000);
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: "host_b", leaseTransitions: 1, leaseDurationSeconds: 15 });
    expect(leases.lease?.spec?.acquireTime).toBe(new Date(START + tookOver).toISOString().replace("Z", "000Z"));
  });

  it("STOP releases the lease and a standby takes it at its next retry", async () => {
    const { leases, candidate, advance, elapsed } = setupElection();
    const a = candidate("host_a");
    const b = candidate("host_b");
    a.actor.start();
    await flush();
    b.actor.start();
    await advance(5_000);
    a.actor.send({ type: "STOP" });
    await flush();
    const stoppedAt = elapsed();
    expect(a.actor.getSnapshot().status).toBe("done");
    expect(a.events.map((e) => e.type)).toEqual(["newLeader", "startedLeading", "stoppedLeading"]);
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: "", leaseDurationSeconds: 1, leaseTransitions: 0 });
    await advance(2_000);
    expect(b.leader()).toBe(true);
    expect(b.events.find((e) => e.type === "startedLeading")!.at - stoppedAt).toBeLessThanOrEqual(2_000);
    expect(leases.lease?.spec).toMatchObject({ holderIdentity: "host_b", leaseTransitions: 1 });
  });

  it("a leader that cannot renew for renewDeadline stops leading, and leads again when the API is back", async () => {
    const { leases, candidate, advance } = setupElection();
    const a = candidate("host_a");
    a.actor.start();
    await flush();
    await advance(2_000);
    leases.down = true;
    await advance(11_000);
    expect(a.leader()).toBe(true);
    await advance(2_000);
    expect(a.leader()).toBe(false);
    const lost = a.events.find((e) => e.type === "stoppedLeading")!.at;
    // Renewals start at 4 s; the deadline is 10 s after that.
    expect(lost).toBe(14_000);
    expect(a.actor.getSnapshot().hasTag("candidate")).toBe(true);
    leases.down = false;
    await advance(5_000);
    expect(a.leader()).toBe(true);
    expect(a.events.filter((e) => e.type === "startedLeading")).toHaveLength(2);
  });

  it("two candidates racing for an expired lease: the resourceVersion lets only one win", async () => {
    const { leases, candidate, advance } = setupElection();
    leases.lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "kube-controller-manager", namespace: "kube-system", resourceVersion: "0" },
      spec: { holderIdentity: "gone", leaseDurationSeconds: 15, renewTime: "2024-12-31T00:00:00.000000Z", leaseTransitions: 4 },
    };
    const a = candidate("host_a");
    const b = candidate("host_b");
    a.actor.start();
    b.actor.start();
    await advance(20_000);
    expect([a.leader(), b.leader()].filter(Boolean)).toHaveLength(1);
    expect(leases.lease?.spec?.leaseTransitions).toBe(5);
    expect(leases.lease?.spec?.holderIdentity).toBe(a.leader() ? "host_a" : "host_b");
  });

  it("STOP as a candidate stops without writing", async () => {
    const { leases, candidate, advance } = setupElection();
    const a = candidate("host_a");
    const b = candidate("host_b");
    a.actor.start();
    await flush();
    b.actor.start();
    await advance(1_000);
    const writes = leases.writes;
    b.actor.send({ type: "STOP" });
    await flush();
    expect(b.actor.getSnapshot().status).toBe("done");
    expect(leases.writes).toBe(writes);
    expect(leases.lease?.spec?.holderIdentity).toBe("host_a");
  });

  it("checks the timings like NewLeaderElector", () => {
    expect(() => validateTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })).toThrow("leaseDuration must be greater than renewDeadline");
    expect(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow("renewDeadline must be greater than retryPeriod*JitterFactor");
    expect(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })).not.toThrow();
  });
});
