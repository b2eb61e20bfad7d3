import { describe, expect, it } from "vitest";
import { createActor, fromPromise, waitFor } from "xstate";
import { controllerManagerMachine, selectControllers } from "./manager.ts";
import type { ControllerRuntime } from "./runtime.ts";

describe("controller manager", () => {
  it("selects controllers like --controllers", () => {
    expect(selectControllers()).toEqual(["replicaset", "replicationcontroller", "deployment", "garbagecollector", "namespace", "serviceaccount", "nodelifecycle", "endpoints", "endpointslice", "endpointslicemirroring", "disruption", "job", "cronjob", "ttl-after-finished", "persistentvolume-binder", "pvc-protection", "pv-protection", "horizontalpodautoscaling", "daemonset", "statefulset", "resourcequota"]);
    expect(selectControllers(["*", "-namespace"])).toEqual(["replicaset", "replicationcontroller", "deployment", "garbagecollector", "serviceaccount", "nodelifecycle", "endpoints", "endpointslice", "endpointslicemirroring", "disruption", "job", "cronjob", "ttl-after-finished", "persistentvolume-binder", "pvc-protection", "pv-protection", "horizontalpodautoscaling", "daemonset", "statefulset", "resourcequota"]);
    expect(selectControllers(["deployment", "replicaset"])).toEqual(["replicaset", "deployment"]);
    expect(() => selectControllers(["nope"])).toThrow(/unknown controller "nope"/);
  });

  it("goes Starting → Syncing → Running → Stopping → Stopped, and Failed when a sync fails", async () => {
    let ran = 0;
    const runtime = { runWorkers: () => void ran++ } as unknown as ControllerRuntime;
    let release!: () => void;
    const machine = controllerManagerMachine.provide({
      actors: {
        registerControllers: fromPromise(async () => {}),
        syncInformers: fromPromise(() => new Promise<void>((r) => (release = r))),
        stopRuntime: fromPromise(async () => {}),
      },
    });
    const actor = createActor(machine, { input: { runtime, controllers: [] } }).start();
    await waitFor(actor, (s) => s.matches("Syncing"));
    expect(ran).toBe(0);
    release();
    await waitFor(actor, (s) => s.matches("Running"));
    expect(ran).toBe(1);
    actor.send({ type: "STOP" });
    await waitFor(actor, (s) => s.matches("Stopped"));

    const failing = controllerManagerMachine.provide({
      actors: { registerControllers: fromPromise(async () => {}), syncInformers: fromPromise(async (): Promise<void> => Promise.reject(new Error("no store"))) },
    });
    const a2 = createActor(failing, { input: { runtime, controllers: [] } }).start();
    const s = await waitFor(a2, (x) => x.status === "done");
    expect(s.value).toBe("Failed");
    expect((s.context.error as Error).message).toBe("no store");
  });

  it("with leader election waits as Candidate, runs on LEADING, and on LOST stops the term and starts the next on a fresh runtime", async () => {
    const made: { id: number; ran: number; stopped: number }[] = [];
    const newRuntime = () => {
      const r = { id: made.length, ran: 0, stopped: 0 };
      made.push(r);
      return { runWorkers: () => void r.ran++, stop: async () => void r.stopped++, term: r } as unknown as ControllerRuntime;
    };
    const term = (rt: ControllerRuntime) => (rt as unknown as { term: (typeof made)[number] }).term;
    const machine = controllerManagerMachine.provide({
      actors: {
        registerControllers: fromPromise(async () => {}),
        syncInformers: fromPromise(async () => {}),
        stopRuntime: fromPromise(async ({ input }) => (input as { runtime: ControllerRuntime }).runtime.stop()),
      },
    });
    const actor = createActor(machine, { input: { runtime: newRuntime(), controllers: [], leaderElect: true, newRuntime } }).start();
    expect(actor.getSnapshot().value).toBe("Candidate");
    expect(made[0]!.ran).toBe(0);
    actor.send({ type: "LEADING" });
    await waitFor(actor, (s) => s.matches("Running"));
    expect(made[0]!.ran).toBe(1);
    actor.send({ type: "LOST" });
    await waitFor(actor, (s) => s.matches("Candidate"));
    expect(made[0]!.stopped).toBe(1);
    expect(term(actor.getSnapshot().context.runtime).id).toBe(1);
    actor.send({ type: "LEADING" });
    await waitFor(actor, (s) => s.matches("Running"));
    expect(made.map((r) => r.ran)).toEqual([1, 1]);
    actor.send({ type: "STOP" });
    await waitFor(actor, (s) => s.matches("Stopped"));
    expect(made[1]!.stopped).toBe(1);

    const standby = createActor(machine, { input: { runtime: newRuntime(), controllers: [], leaderElect: true, newRuntime } }).start();
    standby.send({ type: "STOP" });
    expect(standby.getSnapshot().value).toBe("Stopped");
    expect(term(standby.getSnapshot().context.runtime).ran).toBe(0);
  });
});
