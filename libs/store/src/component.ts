/**
 * The store as a running component: recover the backend through the
 * lifecycle machine, then serve it on the bus. Used by apps/store (its own
 * process) and by `kubeactor up` (in-process) alike.
 */
import type { InspectionEvent } from "xstate";
import type { Bus } from "@kubeactor/bus";
import { createFileBackend } from "./engine/file-backend.ts";
import type { StoreBackend } from "./engine/types.ts";
import { startStoreLifecycle, type StoreLifecycleActor } from "./machine.ts";
import { serveStore, type StoreServer } from "./server.ts";

export interface StoreComponentOptions {
  readonly bus: Bus;
  /** Where the log and snapshots live. */
  readonly dir: string;
  /** Tests and benchmarks may pass their own backend (named in kube.store.status). */
  readonly backend?: StoreBackend;
  readonly backendName?: string;
  /** XState's inspect hook for the lifecycle machine (`--inspect`). */
  readonly inspect?: (ev: InspectionEvent) => void;
}

export interface StoreComponent {
  readonly backend: StoreBackend;
  readonly lifecycle: StoreLifecycleActor;
  /** Stop answering, flush and close the log. */
  stop(): Promise<void>;
}

const phaseOf = (actor: StoreLifecycleActor): string => {
  const value = actor.getSnapshot().value;
  return typeof value === "string" ? value : JSON.stringify(value);
};

/** Rejects (with the backend's error naming file and offset) when recovery fails: never a silently empty store. */
export const startStoreComponent = async (opts: StoreComponentOptions): Promise<StoreComponent> => {
  const backend = opts.backend ?? createFileBackend({ dir: opts.dir });
  const lifecycle = await startStoreLifecycle(backend, opts.inspect ? { inspect: opts.inspect } : {});
  let server: StoreServer | undefined = serveStore({ bus: opts.bus, backend, phase: () => phaseOf(lifecycle), backendName: opts.backendName ?? (opts.backend ? "custom" : "file") });
  // One WRITE_COMMITTED per committed batch (the listener runs once per write, all of a batch in one go): an
  // XState transition per write cost ~5 % of the store's CPU under load for nothing.
  let committed = 0;
  const report = () => {
    const count = committed;
    committed = 0;
    if (lifecycle.getSnapshot().status === "active") lifecycle.send({ type: "WRITE_COMMITTED", count });
  };
  const unlisten = backend.subscribe(() => {
    if (committed++ === 0) queueMicrotask(report);
  });
  // Ready means reachable: the server has our subscriptions before anyone is told we serve.
  await opts.bus.transport.flush();
  return {
    backend,
    lifecycle,
    stop: async () => {
      unlisten();
      await server?.stop();
      server = undefined;
      lifecycle.stop();
      await backend.close();
    },
  };
};
