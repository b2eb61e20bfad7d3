/**
 * kube-proxy's sync loop (its BoundedFrequencyRunner) as a machine:
 *
 *   Syncing ──done──▶ Cooldown ──after minSyncPeriod──▶ Idle   (nothing changed meanwhile)
 *      ▲                  │                               │
 *      └──── dirty ───────┘            CHANGED / after syncPeriod
 *      └──────────────────────────────────────────────────┘
 *
 * A change seen while Idle is applied at once; changes during a sync or its
 * cooldown are coalesced into one more sync, so syncs happen at most every
 * minSyncPeriod. The periodic sync retries listeners that failed to bind.
 * The first sync runs at start (informers have synced by then).
 */
import { assign, fromPromise, setup } from "xstate";
import type { ApplyResult } from "./proxier.ts";

export interface SyncMachineInput {
  readonly minSyncPeriodMs: number;
  readonly syncPeriodMs: number;
}

export interface SyncContext extends SyncMachineInput {
  dirty: boolean;
  syncs: number;
  last: ApplyResult | undefined;
  lastError: string | undefined;
}

export const syncMachine = setup({
  types: {
    context: {} as SyncContext,
    input: {} as SyncMachineInput,
    events: {} as { type: "CHANGED" },
  },
  actors: {
    /** Computes the plan from the caches and applies it; provided by the proxy. */
    sync: fromPromise<ApplyResult>(async () => ({ opened: 0, closed: 0, failed: [] })),
  },
  actions: {
    markDirty: assign({ dirty: true }),
  },
  delays: {
    minSyncPeriod: ({ context }) => context.minSyncPeriodMs,
    syncPeriod: ({ context }) => context.syncPeriodMs,
  },
  guards: {
    dirty: ({ context }) => context.dirty,
  },
}).createMachine({
  id: "kube-proxy",
  context: ({ input }) => ({ ...input, dirty: false, syncs: 0, last: undefined, lastError: undefined }),
  initial: "Syncing",
  states: {
    Idle: {
      on: { CHANGED: "Syncing" },
      after: { syncPeriod: "Syncing" },
    },
    Syncing: {
      entry: assign({ dirty: false }),
      invoke: {
        src: "sync",
        onDone: { target: "Cooldown", actions: assign({ last: ({ event }) => event.output, syncs: ({ context }) => context.syncs + 1, lastError: undefined }) },
        onError: { target: "Cooldown", actions: assign({ dirty: true, lastError: ({ event }) => String((event.error as Error)?.message ?? event.error) }) },
      },
      on: { CHANGED: { actions: "markDirty" } },
    },
    Cooldown: {
      after: { minSyncPeriod: [{ guard: "dirty", target: "Syncing" }, { target: "Idle" }] },
      on: { CHANGED: { actions: "markDirty" } },
    },
  },
});
