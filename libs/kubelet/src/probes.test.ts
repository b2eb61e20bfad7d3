/**
 * Probe workers and the container machine's use of them on XState's
 * SimulatedClock: thresholds, initial delay, period, timeout, startup
 * gating, and a liveness failure killing and restarting the container.
 * Probe answers come from a scripted `runProbe`; real handlers are tested
 * in test/probes.test.ts.
 */
import { describe, expect, it } from "vitest";
import { assign, createActor, setup, SimulatedClock } from "xstate";
import { podMachine, type PodApi } from "./pod-machine.ts";
import { type ProbeKind, type ProbeOutcome, type ProbeReport, type ProbeSpec, probeWorker, type RunProbe } from "./probes.ts";
import { SimRuntime } from "./runtime/sim.ts";

const EPOCH = Date.parse("2025-01-01T00:00:00Z");

const simClock = () => {
  const clock = new SimulatedClock();
  clock.set(EPOCH);
  const flush = async () => {
    for (let i = 0; i < 8; i++) await new Promise((r) => setImmediate(r));
  };
  const advance = async (ms: number, step = 250) => {
    for (let done = 0; done < ms; done += step) {
      clock.increment(Math.min(step, ms - done));
      await flush();
    }
  };
  return { clock, flush, advance, elapsed: () => clock.now() - EPOCH };
};

/** Runs a worker with a scripted probe; answers[i] is the i-th probe's outcome (`hang`: never answers). */
const runWorker = (kind: ProbeKind, probe: ProbeSpec, answers: (ProbeOutcome["result"] | "hang" | "slow")[], ports: { name?: string; containerPort: number }[] = []) => {
  const c = simClock();
  const calls: number[] = [];
  const failures: string[] = [];
  const runProbe: RunProbe = (_k, _p, signal) => {
    const a = answers[Math.min(calls.length, answers.length - 1)]!;
    calls.push(c.elapsed());
    if (a === "hang") return new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
    if (a === "slow") return new Promise((resolve) => c.clock.setTimeout(() => resolve({ result: "success", output: "" }), 1500));
    return Promise.resolve({ result: a, output: a === "failure" ? "HTTP probe failed with statuscode: 500" : "" });
  };
  const parent = setup({
    types: { context: {} as { reports: ProbeReport[] }, events: {} as ProbeReport },
    actors: { probeWorker },
  }).createMachine({
    context: { reports: [] },
    invoke: {
      src: "probeWorker",
      input: { kind, probe, runProbe, initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000, host: "127.244.1.5", ports, onFailure: (_k: ProbeKind, o: string) => failures.push(o) },
    },
    on: { PROBE: { actions: assign({ reports: ({ context, event }) => [...context.reports, event] }) } },
  });
  const actor = createActor(parent, { clock: c.clock }).start();
  const reports = () => actor.getSnapshot().context.reports.map((r) => `${r.kind}:${r.result}`);
  return { ...c, calls, failures, actor, reports };
};

describe("probe worker", () => {
  it("publishes a liveness failure only after failureThreshold failures in a row, then holds", async () => {
    const w = runWorker("liveness", { httpGet: { port: 8080, path: "/healthz" }, periodSeconds: 10, failureThreshold: 3 }, ["success", "failure", "failure", "success", "failure"]);
    await w.flush();
    expect(w.calls).toEqual([0]);
    expect(w.reports()).toEqual(["liveness:success"]);
    await w.advance(30_000, 1000);
    // 0 s success, 10 s failure, 20 s failure, 30 s success (run broken): nothing published yet.
    expect(w.calls).toEqual([0, 10_000, 20_000, 30_000]);
    expect(w.reports()).toEqual(["liveness:success"]);
    expect(w.failures).toEqual(["HTTP probe failed with statuscode: 500", "HTTP probe failed with statuscode: 500"]);
    await w.advance(20_000, 1000); // 40 s, 50 s: two more failures
    expect(w.reports()).toEqual(["liveness:success"]);
    await w.advance(10_000, 1000); // 60 s: the third in a row
    expect(w.reports()).toEqual(["liveness:success", "liveness:failure"]);
    await w.advance(60_000, 5000);
    expect(w.calls.length).toBe(7); // held: no probes after the published failure
    w.actor.stop();
  });

  it("waits initialDelaySeconds, then probes every periodSeconds", async () => {
    const w = runWorker("readiness", { tcpSocket: { port: 80 }, initialDelaySeconds: 15, periodSeconds: 5 }, ["success"]);
    await w.advance(14_000, 1000);
    expect(w.calls).toEqual([]);
    await w.advance(1000, 500);
    expect(w.calls).toEqual([15_000]);
    expect(w.reports()).toEqual(["readiness:success"]);
    await w.advance(10_000, 500);
    expect(w.calls).toEqual([15_000, 20_000, 25_000]);
    expect(w.reports()).toEqual(["readiness:success"]); // only changes are published
    w.actor.stop();
  });

  it("starts probes on a ticker: a slow probe does not push the next one back", async () => {
    const w = runWorker("readiness", { tcpSocket: { port: 80 }, periodSeconds: 2, timeoutSeconds: 2 }, ["slow"]);
    await w.advance(6000, 250);
    expect(w.calls).toEqual([0, 2000, 4000, 6000]);
    expect(w.reports()).toEqual(["readiness:success"]);
    w.actor.stop();
  });

  it("needs successThreshold successes in a row and flips back on failureThreshold failures", async () => {
    const w = runWorker("readiness", { exec: { command: ["true"] }, periodSeconds: 1, successThreshold: 2, failureThreshold: 2 }, [
      "failure", "failure", "success", "failure", "success", "success", "failure", "failure", "success",
    ]);
    await w.advance(10_000, 250);
    // 0 f, 1 f → failure; 2 s, 3 f, 4 s, 5 s → success; 6 f, 7 f → failure; 8 s, 9 s → success
    expect(w.reports()).toEqual(["readiness:failure", "readiness:success", "readiness:failure", "readiness:success"]);
    w.actor.stop();
  });

  it("counts a probe that outlives timeoutSeconds as a failure with the handler's wording", async () => {
    const w = runWorker("liveness", { httpGet: { port: 8080, path: "/healthz" }, timeoutSeconds: 2, periodSeconds: 10, failureThreshold: 1 }, ["hang"]);
    await w.advance(1500, 250);
    expect(w.reports()).toEqual([]);
    await w.advance(500, 250);
    expect(w.reports()).toEqual(["liveness:failure"]);
    expect(w.failures).toEqual(['Get "http://127.244.1.5:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)']);
    w.actor.stop();
  });

  it("words the timeout of a probe given a port name with the port's number, as the kubelet dials it", async () => {
    const ports = [{ name: "http", containerPort: 8080 }];
    const w = runWorker("readiness", { httpGet: { port: "http", path: "/healthz" }, periodSeconds: 10, failureThreshold: 1 }, ["hang"], ports);
    await w.advance(1000, 250);
    expect(w.failures).toEqual(['Get "http://127.244.1.5:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)']);
    w.actor.stop();
    const t = runWorker("liveness", { tcpSocket: { port: "http" }, periodSeconds: 10, failureThreshold: 1 }, ["hang"], ports);
    await t.advance(1000, 250);
    expect(t.failures).toEqual(["dial tcp 127.244.1.5:8080: i/o timeout"]);
    t.actor.stop();
  });

  it("stops a startup probe once it succeeded", async () => {
    const w = runWorker("startup", { exec: { command: ["true"] }, periodSeconds: 2, failureThreshold: 30 }, ["failure", "failure", "success"]);
    await w.flush();
    await w.advance(20_000, 500);
    expect(w.calls).toEqual([0, 2000, 4000]);
    expect(w.reports()).toEqual(["startup:success"]);
    w.actor.stop();
  });
});

describe("probes in the pod's containers (simulated clock)", () => {
  const setupPod = (container: Record<string, unknown>, answer: (kind: ProbeKind, elapsed: number) => ProbeOutcome["result"]) => {
    const c = simClock();
    const runtime = new SimRuntime({ podCIDR: "10.244.0.0/24", clock: c.clock, pullMs: 0 });
    let current: any = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web", namespace: "default", uid: "uid-web", resourceVersion: "1", annotations: {} },
      spec: { nodeName: "node-1", restartPolicy: "Always", terminationGracePeriodSeconds: 5, containers: [{ name: "web", image: "nginx:1.27", ...container }] },
      status: { phase: "Pending", qosClass: "BestEffort" },
    };
    const api: PodApi = {
      getPod: async () => current,
      updatePodStatus: async (p) => {
        current = { ...current, metadata: { ...current.metadata, resourceVersion: String(Number(current.metadata.resourceVersion) + 1) }, status: p.status };
        return current;
      },
      deletePod: async () => {},
    };
    const calls: string[] = [];
    const events: string[] = [];
    const runProbe: RunProbe = async (kind) => {
      calls.push(`${kind}@${Math.floor(c.elapsed() / 1000)}`); // whole seconds: the sim starts the container within the first tick
      const result = answer(kind, c.elapsed());
      return { result, output: result === "failure" ? "HTTP probe failed with statuscode: 500" : "" };
    };
    const actor = createActor(podMachine, {
      clock: c.clock,
      input: {
        pod: current,
        nodeName: "node-1",
        hostIP: "172.18.0.3",
        deps: { runtime, api, now: () => c.clock.now(), runProbe, record: (_p, type, reason, message) => events.push(`${type} ${reason} ${message}`) },
      },
    }).start();
    const status = () => current.status.containerStatuses?.[0];
    const ready = () => current.status.conditions?.find((x: any) => x.type === "Ready")?.status;
    return { ...c, runtime, actor, calls, events, status, ready, stop: () => (actor.stop(), runtime.close()) };
  };

  it("gates liveness and readiness behind the startup probe; readiness is false until its first success", async () => {
    const probe = { exec: { command: ["check"] }, periodSeconds: 10 };
    const p = setupPod(
      { startupProbe: { ...probe, periodSeconds: 5, failureThreshold: 10 }, livenessProbe: probe, readinessProbe: probe },
      (kind, t) => (kind === "startup" && t < 12_000 ? "failure" : "success"),
    );
    await p.advance(1000, 250);
    expect(p.status().state.running).toBeDefined();
    expect(p.status()).toMatchObject({ started: false, ready: false });
    await p.advance(9000, 250);
    expect(p.calls).toEqual(["startup@0", "startup@5"]);
    expect(p.status()).toMatchObject({ started: false, ready: false });
    await p.advance(6000, 250); // 15 s: startup passes; liveness and readiness probe at once
    expect(p.calls).toEqual(["startup@0", "startup@5", "startup@10", "startup@15", "liveness@15", "readiness@15"]);
    expect(p.status()).toMatchObject({ started: true, ready: true });
    expect(p.ready()).toBe("True");
    expect(p.events.filter((e) => e.includes("Unhealthy"))).toEqual([
      "Warning Unhealthy Startup probe failed: HTTP probe failed with statuscode: 500",
      "Warning Unhealthy Startup probe failed: HTTP probe failed with statuscode: 500",
      "Warning Unhealthy Startup probe failed: HTTP probe failed with statuscode: 500",
    ]);
    p.stop();
  });

  it("a startup probe that never passes kills the container after failureThreshold tries", async () => {
    const p = setupPod({ startupProbe: { tcpSocket: { port: 80 }, periodSeconds: 2, failureThreshold: 3 }, livenessProbe: { tcpSocket: { port: 80 } } }, (kind) =>
      kind === "startup" ? "failure" : "success",
    );
    await p.advance(3000, 250);
    expect(p.status().restartCount).toBe(0);
    await p.advance(2000, 250); // failures at 0, 2, 4 s
    expect(p.events).toContain("Normal Killing Container web failed startup probe, will be restarted");
    expect(p.status()).toMatchObject({ restartCount: 1, started: false, ready: false });
    expect(p.calls.every((c) => c.startsWith("startup@"))).toBe(true); // liveness never ran
    p.stop();
  });

  it("a readiness failure makes the pod unready without a restart", async () => {
    let failing = false;
    const p = setupPod({ readinessProbe: { httpGet: { port: 80 }, periodSeconds: 2, failureThreshold: 2 } }, () => (failing ? "failure" : "success"));
    await p.advance(1000, 250);
    expect(p.ready()).toBe("True");
    failing = true;
    await p.advance(4000, 250);
    expect(p.status()).toMatchObject({ ready: false, restartCount: 0 });
    expect(p.ready()).toBe("False");
    expect(p.status().state.running).toBeDefined();
    failing = false;
    await p.advance(2000, 250);
    expect(p.ready()).toBe("True");
    p.stop();
  });

  it("a container killed from outside restarts once: the old run's liveness failures do not count against the new run, and a replacement slower than one period is not killed", async () => {
    // The traffic test's pod: tcpSocket liveness every 5 s, 3 failures kill. The run fails its probes at 10 and
    // 15 s (two of three), is killed from outside at 16 s (exit 137); the replacement does not answer its first
    // two probes (16 and 21 s: slow to listen), then does. Kubernetes counts one restart and kills nothing.
    let killedAt = Infinity;
    const p = setupPod({ livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5, failureThreshold: 3 } }, (_k, t) =>
      (t >= 10_000 && t < killedAt) || (t >= killedAt && t < killedAt + 6_000) ? "failure" : "success",
    );
    await p.advance(16_000, 250);
    expect(p.calls).toEqual(["liveness@0", "liveness@5", "liveness@10", "liveness@15"]);
    killedAt = p.elapsed();
    expect(p.runtime.crash({ namespace: "default", pod: "web", container: "web" }, 137)).toBe(true);
    await p.advance(60_000, 250);
    expect(p.status()).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 137, reason: "Error" } } });
    expect(p.status().state.running).toBeDefined();
    expect(p.events.filter((e) => e.includes("Killing"))).toEqual([]);
    // The new run probes at once and every 5 s from its own start (two failures, then successes).
    expect(p.calls.slice(4, 7)).toEqual(["liveness@16", "liveness@21", "liveness@26"]);
    expect(p.events.filter((e) => e.startsWith("Warning Unhealthy")).length).toBe(4);
    p.stop();
  });

  it("a liveness failure kills the container with the Killing event and restarts it", async () => {
    const p = setupPod({ livenessProbe: { httpGet: { port: 80, path: "/healthz" }, initialDelaySeconds: 3, periodSeconds: 1, failureThreshold: 3 } }, (_k, t) =>
      t < 5_000 ? "success" : "failure",
    );
    await p.advance(4000, 250);
    expect(p.calls.slice(0, 2)).toEqual(["liveness@3", "liveness@4"]);
    expect(p.status().restartCount).toBe(0);
    await p.advance(4000, 250); // failures at 5, 6, 7 s → kill → restart at once (first restart)
    expect(p.events).toContain("Normal Killing Container web failed liveness probe, will be restarted");
    expect(p.events.filter((e) => e.startsWith("Warning Unhealthy"))).toEqual(Array(3).fill("Warning Unhealthy Liveness probe failed: HTTP probe failed with statuscode: 500"));
    expect(p.status().restartCount).toBe(1);
    expect(p.status().lastState.terminated).toBeDefined();
    p.stop();
  });
});
