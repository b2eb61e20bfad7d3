import { describe, expect, it } from "vitest";
import { createActor, fromPromise } from "xstate";
import { until } from "@kubeactor/testing";
import type { ApplyResult } from "./proxier.ts";
import { syncMachine } from "./sync-machine.ts";

const ok: ApplyResult = { opened: 0, closed: 0, failed: [] };

describe("the kube-proxy sync machine", () => {
  it("syncs at start, applies a change seen while Idle at once, and coalesces a burst into one more sync", async () => {
    let syncs = 0;
    const actor = createActor(
      syncMachine.provide({ actors: { sync: fromPromise(async () => (syncs++, ok)) } }),
      { input: { minSyncPeriodMs: 200, syncPeriodMs: 60_000 } },
    ).start();
    await until("the first sync", () => actor.getSnapshot().value === "Idle");
    expect(syncs).toBe(1);
    actor.send({ type: "CHANGED" });
    expect(actor.getSnapshot().value).toBe("Syncing");
    for (let i = 0; i < 10; i++) actor.send({ type: "CHANGED" });
    await until("the burst to settle", () => actor.getSnapshot().value === "Idle");
    expect(syncs).toBe(3);
    actor.stop();
  });

  it("retries after a failed sync", async () => {
    let calls = 0;
    const actor = createActor(
      syncMachine.provide({
        actors: {
          sync: fromPromise(async () => {
            if (calls++ === 0) throw new Error("boom");
            return ok;
          }),
        },
      }),
      { input: { minSyncPeriodMs: 10, syncPeriodMs: 60_000 } },
    ).start();
    await until("the retry", () => actor.getSnapshot().value === "Idle" && calls === 2);
    expect(actor.getSnapshot().context.syncs).toBe(1);
    actor.stop();
  });
});
