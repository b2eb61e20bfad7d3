/**
 * Lifecycle of the store's storage backend as an XState machine:
 *
 *   Recovering ──open ok──▶ Serving ◀──snapshot done── Snapshotting
 *        │                    └── SNAPSHOT / N commits / interval ──▲
 *        └──── open failed ───┴──── FATAL / snapshot failed ──▶ Failed (final, error in context)
 *
 * All I/O sits in named actors (`openBackend`, `takeSnapshot`) so tests swap
 * them with `machine.provide({ actors })`. The owner reports commits with
 * WRITE_COMMITTED (e.g. from `backend.subscribe`, as component.ts does); the
 * machine does not subscribe itself, so commits are never counted twice.
 */
import { assign, createActor, fromPromise, setup, type ActorRefFrom, type InspectionEvent } from "xstate";
import type { StoreBackend } from "./engine/types.ts";

export interface StoreLifecycleInput {
  readonly backend: StoreBackend;
  /** Snapshot after this many committed writes; 0 disables (default 50000). */
  readonly snapshotEvery?: number;
  /** Snapshot at least this often while writes happen, ms (default 10 minutes). */
  readonly snapshotIntervalMs?: number;
}

export interface StoreLifecycleContext {
  readonly backend: StoreBackend;
  readonly snapshotEvery: number;
  readonly snapshotIntervalMs: number;
  readonly writesSinceSnapshot: number;
  readonly error?: unknown;
}

export type StoreLifecycleEvent =
  | { type: "SNAPSHOT" }
  | { type: "WRITE_COMMITTED"; count?: number }
  | { type: "FATAL"; error: unknown };

export const storeLifecycleMachine = setup({
  types: {
    input: {} as StoreLifecycleInput,
    context: {} as StoreLifecycleContext,
    events: {} as StoreLifecycleEvent,
  },
  actors: {
    /** Recovery. The backend's open() is not cancellable; an abort only stops us waiting. */
    openBackend: fromPromise<void, { backend: StoreBackend }>(({ input }) => input.backend.open()),
    takeSnapshot: fromPromise<void, { backend: StoreBackend }>(({ input }) => input.backend.snapshot()),
  },
  guards: {
    snapshotDue: ({ context, event }) =>
      event.type === "WRITE_COMMITTED" && context.snapshotEvery > 0 && context.writesSinceSnapshot + (event.count ?? 1) >= context.snapshotEvery,
    hasWrites: ({ context }) => context.writesSinceSnapshot > 0,
  },
  actions: {
    countWrites: assign({
      writesSinceSnapshot: ({ context, event }) => context.writesSinceSnapshot + (event.type === "WRITE_COMMITTED" ? (event.count ?? 1) : 0),
    }),
    resetCount: assign({ writesSinceSnapshot: 0 }),
    recordFatal: assign({ error: ({ event }) => (event.type === "FATAL" ? event.error : undefined) }),
  },
  delays: {
    snapshotInterval: ({ context }) => context.snapshotIntervalMs,
  },
}).createMachine({
  id: "storeLifecycle",
  context: ({ input }) => ({
    backend: input.backend,
    snapshotEvery: input.snapshotEvery ?? 50_000,
    snapshotIntervalMs: input.snapshotIntervalMs ?? 10 * 60_000,
    writesSinceSnapshot: 0,
  }),
  on: {
    FATAL: { target: ".Failed", actions: "recordFatal" },
  },
  initial: "Recovering",
  states: {
    Recovering: {
      invoke: {
        src: "openBackend",
        input: ({ context }) => ({ backend: context.backend }),
        onDone: "Serving",
        onError: { target: "Failed", actions: assign({ error: ({ event }) => event.error }) },
      },
      // Commits cannot happen before open; ignore any stray report.
      on: { WRITE_COMMITTED: {} },
    },
    Serving: {
      on: {
        SNAPSHOT: "Snapshotting",
        WRITE_COMMITTED: [{ guard: "snapshotDue", target: "Snapshotting", actions: "countWrites" }, { actions: "countWrites" }],
      },
      after: { snapshotInterval: { guard: "hasWrites", target: "Snapshotting" } },
    },
    Snapshotting: {
      entry: "resetCount",
      invoke: {
        src: "takeSnapshot",
        input: ({ context }) => ({ backend: context.backend }),
        onDone: "Serving",
        onError: { target: "Failed", actions: assign({ error: ({ event }) => event.error }) },
      },
      on: { WRITE_COMMITTED: { actions: "countWrites" } },
    },
    Failed: { type: "final" },
  },
});

export type StoreLifecycleActor = ActorRefFrom<typeof storeLifecycleMachine>;

/**
 * Starts the lifecycle for `backend`; resolves with the running actor once it
 * is Serving, rejects with the recovery error if it ends in Failed.
 */
export function startStoreLifecycle(
  backend: StoreBackend,
  opts: Omit<StoreLifecycleInput, "backend"> & { machine?: typeof storeLifecycleMachine; inspect?: (ev: InspectionEvent) => void } = {},
): Promise<StoreLifecycleActor> {
  const { machine = storeLifecycleMachine, inspect, ...input } = opts;
  const actor = createActor(machine, { input: { backend, ...input }, systemId: "store-lifecycle", ...(inspect ? { inspect } : {}) });
  return new Promise((resolve, reject) => {
    const sub = actor.subscribe((snap) => {
      if (snap.matches("Serving")) {
        sub.unsubscribe();
        resolve(actor);
      } else if (snap.status !== "active") {
        sub.unsubscribe();
        reject(snap.status === "error" ? snap.error : snap.context.error);
      }
    });
    actor.start();
  });
}
