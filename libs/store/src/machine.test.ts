import { createActor, fromPromise, waitFor } from "xstate";
import { describe, expect, it } from "vitest";
import { createMemoryBackend } from "./engine/file-backend.ts";
import { StoreError } from "./engine/types.ts";
import { startStoreLifecycle, storeLifecycleMachine } from "./machine.ts";

const key = (i: number): string => `/core/configmaps/ns/c${i}`;
const obj = (i: number) => ({ metadata: { name: `c${i}` } });

describe("storeLifecycleMachine", () => {
  it("recovers, serves, and snapshots after N committed writes", async () => {
    const backend = createMemoryBackend();
    let snapshots = 0;
    const machine = storeLifecycleMachine.provide({
      actors: {
        takeSnapshot: fromPromise(async () => {
          snapshots++;
        }),
      },
    });
    const actor = await startStoreLifecycle(backend, { snapshotEvery: 5, machine });
    backend.subscribe(() => actor.send({ type: "WRITE_COMMITTED" }));
    expect(actor.getSnapshot().value).toBe("Serving");
    for (let i = 0; i < 12; i++) await backend.create(key(i), obj(i));
    await waitFor(actor, (s) => s.matches("Serving"));
    expect(snapshots).toBe(2);
    expect(actor.getSnapshot().context.writesSinceSnapshot).toBe(2);
    actor.send({ type: "WRITE_COMMITTED", count: 3 }); // batched reports count too
    await waitFor(actor, (s) => s.matches("Serving"));
    expect(snapshots).toBe(3);
    actor.send({ type: "SNAPSHOT" });
    await waitFor(actor, (s) => s.matches("Serving"));
    expect(snapshots).toBe(4);
    actor.stop();
    await backend.close();
  });

  it("runs the real snapshot actor against the backend", async () => {
    const backend = createMemoryBackend();
    const actor = await startStoreLifecycle(backend);
    actor.send({ type: "SNAPSHOT" });
    expect(actor.getSnapshot().value).toBe("Snapshotting");
    await waitFor(actor, (s) => s.matches("Serving"));
    actor.stop();
  });

  it("ends in Failed with the error when recovery fails", async () => {
    const err = new StoreError("Corrupt", "/data/wal-1.log: byte offset 12: bad record", { file: "/data/wal-1.log", offset: 12 });
    const machine = storeLifecycleMachine.provide({ actors: { openBackend: fromPromise(async () => Promise.reject(err)) } });
    await expect(startStoreLifecycle(createMemoryBackend(), { machine })).rejects.toBe(err);
  });

  it("goes to Failed on FATAL and when a snapshot fails", async () => {
    const a = createActor(storeLifecycleMachine, { input: { backend: createMemoryBackend() } }).start();
    await waitFor(a, (s) => s.matches("Serving"));
    a.send({ type: "FATAL", error: "disk gone" });
    expect(a.getSnapshot().status).toBe("done");
    expect(a.getSnapshot().context.error).toBe("disk gone");

    const failing = storeLifecycleMachine.provide({ actors: { takeSnapshot: fromPromise(async () => Promise.reject(new Error("ENOSPC"))) } });
    const b = createActor(failing, { input: { backend: createMemoryBackend() } }).start();
    await waitFor(b, (s) => s.matches("Serving"));
    b.send({ type: "SNAPSHOT" });
    await waitFor(b, (s) => s.matches("Failed"));
    expect(String(b.getSnapshot().context.error)).toContain("ENOSPC");
  });
});
