/**
 * The controller manager: every controller on one shared runtime, its
 * lifecycle an XState machine —
 *
 *   Starting ──registered──▶ Syncing ──informers listed──▶ Running ──STOP──▶ Stopping ──▶ Stopped
 *       └────────── failure ───────┴──────────────▶ Failed (final, error in context)
 *
 * Starting registers the chosen controllers (which creates the shared
 * informers), Syncing waits for every informer's first list, Running runs the
 * workers (a callback actor whose cleanup is nothing: Stopping shuts them down).
 */
import type { Bus } from "@kubeactor/bus";
import { type ActorRefFrom, assign, createActor, fromPromise, setup, type InspectionEvent } from "xstate";
import { deploymentController } from "./deployment.ts";
import { endpointsController } from "./endpoints.ts";
import { endpointSliceController } from "./endpointslice.ts";
import { garbageCollector } from "./garbage-collector.ts";
import { namespaceController } from "./namespace.ts";
import { nodeLifecycleController, nodeLifecycleControllerWith, type NodeLifecycleOptions } from "./node-lifecycle.ts";
import { replicaSetController } from "./replicaset.ts";
import { type Controller, ControllerRuntime, RESYNC_MS } from "./runtime.ts";
import { serviceAccountController } from "./serviceaccount.ts";

/** Every controller by the name `--controllers` uses (kube-controller-manager's names). */
export const CONTROLLERS: Record<string, Controller> = {
  replicaset: replicaSetController,
  deployment: deploymentController,
  garbagecollector: garbageCollector,
  namespace: namespaceController,
  serviceaccount: serviceAccountController,
  nodelifecycle: nodeLifecycleController,
  endpoints: endpointsController,
  endpointslice: endpointSliceController,
};

/** kube-controller-manager's `--controllers` syntax: `*`, names, `-name` to leave one out. */
export const selectControllers = (spec: readonly string[] = ["*"]): string[] => {
  const all = Object.keys(CONTROLLERS);
  const wanted = new Set(spec.includes("*") ? all : []);
  for (const s of spec) {
    if (s === "*") continue;
    const name = s.startsWith("-") ? s.slice(1) : s;
    if (!CONTROLLERS[name]) throw new Error(`unknown controller "${name}" (known: ${all.join(", ")})`);
    if (s.startsWith("-")) wanted.delete(name);
    else wanted.add(name);
  }
  return all.filter((n) => wanted.has(n));
};

interface ManagerContext {
  readonly runtime: ControllerRuntime;
  readonly controllers: readonly string[];
  /** Controllers built from options, used instead of the defaults of the same name. */
  readonly configured?: Readonly<Record<string, Controller>>;
  readonly error?: unknown;
}

export const controllerManagerMachine = setup({
  types: {
    input: {} as { runtime: ControllerRuntime; controllers: readonly string[]; configured?: Readonly<Record<string, Controller>> },
    context: {} as ManagerContext,
    events: {} as { type: "STOP" },
  },
  actors: {
    registerControllers: fromPromise<void, ManagerContext>(async ({ input }) => {
      for (const name of input.controllers) input.runtime.register(input.configured?.[name] ?? CONTROLLERS[name]!);
    }),
    syncInformers: fromPromise<void, ManagerContext>(({ input }) => input.runtime.syncInformers()),
    stopRuntime: fromPromise<void, ManagerContext>(({ input }) => input.runtime.stop()),
  },
  actions: {
    runWorkers: ({ context }) => context.runtime.runWorkers(),
    recordError: assign({ error: ({ event }) => (event as { error?: unknown }).error }),
  },
}).createMachine({
  id: "controllerManager",
  context: ({ input }) => ({ runtime: input.runtime, controllers: input.controllers, ...(input.configured ? { configured: input.configured } : {}) }),
  initial: "Starting",
  states: {
    Starting: {
      invoke: { src: "registerControllers", input: ({ context }) => context, onDone: "Syncing", onError: { target: "Failed", actions: "recordError" } },
    },
    Syncing: {
      invoke: { src: "syncInformers", input: ({ context }) => context, onDone: "Running", onError: { target: "Failed", actions: "recordError" } },
      on: { STOP: "Stopping" },
    },
    Running: { entry: "runWorkers", on: { STOP: "Stopping" } },
    Stopping: {
      invoke: { src: "stopRuntime", input: ({ context }) => context, onDone: "Stopped", onError: "Stopped" },
    },
    Stopped: { type: "final" },
    Failed: { type: "final" },
  },
});

export type ControllerManagerActor = ActorRefFrom<typeof controllerManagerMachine>;

export interface ControllerManagerOptions {
  readonly bus: Bus;
  /** `["*"]` (default), names, or `-name` to exclude one. */
  readonly controllers?: readonly string[];
  readonly log?: (line: string) => void;
  readonly inspect?: (event: InspectionEvent) => void;
  /** Informer resync period (default 30 s). */
  readonly resyncMs?: number;
  /** Node lifecycle flags (grace period, eviction rates); Kubernetes' defaults when absent. */
  readonly nodeLifecycle?: NodeLifecycleOptions;
}

export interface ControllerManager {
  readonly actor: ControllerManagerActor;
  readonly controllers: readonly string[];
  /** Stops the workers and informers; resolves when Stopped. */
  stop(): Promise<void>;
}

/** Resolves once every informer has synced and the workers run; rejects if start-up fails. */
export const startControllerManager = (opts: ControllerManagerOptions): Promise<ControllerManager> => {
  const runtime = new ControllerRuntime(opts.bus, opts.log ?? (() => {}), opts.resyncMs ?? RESYNC_MS);
  const controllers = selectControllers(opts.controllers);
  const actor = createActor(controllerManagerMachine, {
    input: { runtime, controllers, ...(opts.nodeLifecycle ? { configured: { nodelifecycle: nodeLifecycleControllerWith(opts.nodeLifecycle) } } : {}) },
    systemId: "controller-manager",
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      const sub = actor.subscribe((s) => {
        if (s.status !== "active") {
          sub.unsubscribe();
          resolve();
        }
      });
      if (actor.getSnapshot().status !== "active") {
        sub.unsubscribe();
        return resolve(runtime.stop());
      }
      actor.send({ type: "STOP" });
    });
  return new Promise((resolve, reject) => {
    const sub = actor.subscribe((s) => {
      if (s.matches("Running")) {
        sub.unsubscribe();
        resolve({ actor, controllers, stop });
      } else if (s.status !== "active") {
        sub.unsubscribe();
        void runtime.stop();
        reject(s.context.error ?? new Error("controller manager stopped before it ran"));
      }
    });
    actor.start();
  });
};
