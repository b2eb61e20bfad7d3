/**
 * The controller manager: every controller on one shared runtime, its
 * lifecycle an XState machine —
 *
 *   Candidate ──LEADING──▶ Starting ──registered──▶ Syncing ──informers listed──▶ Running ──STOP──▶ Stopping ──▶ Stopped
 *       ▲                      └────────── failure ───────┴──────────────▶ Failed (final, error in context)
 *       └──── Demoting ◀──LOST── (Syncing, Running)
 *
 * Candidate waits for the leader elector (leader election off: it goes on at
 * once). Starting registers the chosen controllers (which creates the shared
 * informers), Syncing waits for every informer's first list, Running runs the
 * workers (Stopping shuts them down). A lost lease (Demoting) stops the
 * workers and informers and goes back to Candidate with a fresh runtime:
 * kube-controller-manager exits the process instead and relies on a restart;
 * inside `kubeactor up` that would take the whole cluster down, and a fresh
 * runtime per term is what a restarted process would have (empty caches, new
 * queues), so a new term starts exactly like a new process.
 */
import type { Bus } from "@kubeactor/bus";
import { ApiClient, EventRecorder, type LeaderElectionConfig, type LeaderElector, startLeaderElector } from "@kubeactor/client";
import { type ActorRefFrom, assign, createActor, fromPromise, setup, type InspectionEvent } from "xstate";
import { deploymentController } from "./deployment.ts";
import { disruptionController } from "./disruption.ts";
import { endpointsController } from "./endpoints.ts";
import { endpointSliceController } from "./endpointslice.ts";
import { endpointSliceMirroringController } from "./endpointslice-mirroring.ts";
import { garbageCollector } from "./garbage-collector.ts";
import { jobController } from "./job.ts";
import { cronJobController } from "./cronjob.ts";
import { daemonSetController } from "./daemonset.ts";
import { statefulSetController } from "./statefulset.ts";
import { ttlAfterFinishedController } from "./ttl-after-finished.ts";
import { horizontalPodAutoscalerController, horizontalPodAutoscalerControllerWith, type HorizontalPodAutoscalerOptions } from "./hpa.ts";
import { namespaceController } from "./namespace.ts";
import { nodeLifecycleController, nodeLifecycleControllerWith, type NodeLifecycleOptions } from "./node-lifecycle.ts";
import { replicaSetController, replicationManager } from "./replicaset.ts";
import { type Controller, ControllerRuntime, RESYNC_MS } from "./runtime.ts";
import { serviceAccountController } from "./serviceaccount.ts";
import { resourceQuotaController, resourceQuotaControllerWith, type ResourceQuotaOptions } from "./resourcequota.ts";
import { persistentVolumeController, persistentVolumeControllerWith } from "./persistentvolume.ts";
import { pvcProtectionController, pvProtectionController } from "./storage-protection.ts";

/** Every controller by the name `--controllers` uses (kube-controller-manager's names). */
export const CONTROLLERS: Record<string, Controller> = {
  replicaset: replicaSetController,
  replicationcontroller: replicationManager,
  deployment: deploymentController,
  garbagecollector: garbageCollector,
  namespace: namespaceController,
  serviceaccount: serviceAccountController,
  nodelifecycle: nodeLifecycleController,
  endpoints: endpointsController,
  endpointslice: endpointSliceController,
  endpointslicemirroring: endpointSliceMirroringController,
  disruption: disruptionController,
  job: jobController,
  cronjob: cronJobController,
  "ttl-after-finished": ttlAfterFinishedController,
  "persistentvolume-binder": persistentVolumeController,
  "pvc-protection": pvcProtectionController,
  "pv-protection": pvProtectionController,
  horizontalpodautoscaling: horizontalPodAutoscalerController,
  daemonset: daemonSetController,
  statefulset: statefulSetController,
  resourcequota: resourceQuotaController,
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

interface ManagerInput {
  readonly runtime: ControllerRuntime;
  readonly controllers: readonly string[];
  /** Controllers built from options, used instead of the defaults of the same name. */
  readonly configured?: Readonly<Record<string, Controller>>;
  /** Wait for LEADING in Candidate (default: start at once). */
  readonly leaderElect?: boolean;
  /** The runtime of the next term after a lost lease (default: reuse is impossible, so required with leaderElect). */
  readonly newRuntime?: () => ControllerRuntime;
}

interface ManagerContext extends ManagerInput {
  readonly error?: unknown;
}

export const controllerManagerMachine = setup({
  types: {
    input: {} as ManagerInput,
    context: {} as ManagerContext,
    events: {} as { type: "STOP" } | { type: "LEADING" } | { type: "LOST" },
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
    nextTermRuntime: assign({ runtime: ({ context }) => context.newRuntime?.() ?? context.runtime }),
  },
  guards: {
    notElecting: ({ context }) => !context.leaderElect,
  },
}).createMachine({
  id: "controllerManager",
  context: ({ input }) => ({ ...input }),
  initial: "Candidate",
  states: {
    Candidate: {
      always: { guard: "notElecting", target: "Starting" },
      on: { LEADING: "Starting", STOP: "Stopped" },
    },
    Starting: {
      invoke: { src: "registerControllers", input: ({ context }) => context, onDone: "Syncing", onError: { target: "Failed", actions: "recordError" } },
    },
    Syncing: {
      invoke: { src: "syncInformers", input: ({ context }) => context, onDone: "Running", onError: { target: "Failed", actions: "recordError" } },
      on: { STOP: "Stopping", LOST: "Demoting" },
    },
    Running: { entry: "runWorkers", on: { STOP: "Stopping", LOST: "Demoting" } },
    Demoting: {
      invoke: { src: "stopRuntime", input: ({ context }) => context, onDone: { target: "Candidate", actions: "nextTermRuntime" }, onError: { target: "Candidate", actions: "nextTermRuntime" } },
      on: { STOP: "Stopping" },
    },
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
  /** Horizontal pod autoscaler flags (sync period, downscale stabilization, ...); Kubernetes' defaults when absent. */
  readonly horizontalPodAutoscaler?: HorizontalPodAutoscalerOptions;
  /**
   * Leader election on the Lease kube-system/kube-controller-manager
   * (`--leader-elect`): only the holder runs controllers. Off when absent.
   */
  readonly leaderElection?: LeaderElectionConfig;
  /** The resourcequota controller's full recount period (`--resource-quota-sync-period`); 5 minutes when absent. */
  readonly resourceQuota?: ResourceQuotaOptions;
  /** Where the local-path provisioner keeps volumes (`<data-dir>/volumes`); without it, local-path claims wait. */
  readonly volumesDir?: string;
}


export interface ControllerManager {
  readonly actor: ControllerManagerActor;
  readonly controllers: readonly string[];
  /** The leader elector when leader election is on. */
  readonly elector?: LeaderElector;
  /** Stops the workers and informers, then releases the lease; resolves when Stopped. */
  stop(): Promise<void>;
}

/** The Lease kube-controller-manager elects on, and the event source of its LeaderElection events. */
export const CONTROLLER_MANAGER_LEASE = "kube-controller-manager";

/**
 * Resolves once every informer has synced and the workers run — or, with
 * leader election, once another holder is seen (this one stands by; watch
 * `actor` for Running). Rejects if start-up fails.
 */
export const startControllerManager = (opts: ControllerManagerOptions): Promise<ControllerManager> => {
  const newRuntime = () => new ControllerRuntime(opts.bus, opts.log ?? (() => {}), opts.resyncMs ?? RESYNC_MS);
  const controllers = selectControllers(opts.controllers);
  const le = opts.leaderElection;
  const actor = createActor(controllerManagerMachine, {
    input: {
      runtime: newRuntime(),
      controllers,
      leaderElect: !!le,
      newRuntime,
      configured: {
        ...(opts.nodeLifecycle ? { nodelifecycle: nodeLifecycleControllerWith(opts.nodeLifecycle) } : {}),
        ...(opts.volumesDir ? { "persistentvolume-binder": persistentVolumeControllerWith({ volumesDir: opts.volumesDir }) } : {}),
        ...(opts.horizontalPodAutoscaler ? { horizontalpodautoscaling: horizontalPodAutoscalerControllerWith(opts.horizontalPodAutoscaler) } : {}),
        ...(opts.resourceQuota ? { resourcequota: resourceQuotaControllerWith(opts.resourceQuota) } : {}),
      },
    },
    systemId: "controller-manager",
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
  });
  let elector: LeaderElector | undefined;
  let standby: (() => void) | undefined;
  const tell = (type: "LEADING" | "LOST") => {
    if (actor.getSnapshot().status === "active") actor.send({ type });
  };
  const stopManager = () =>
    new Promise<void>((resolve) => {
      const runtime = actor.getSnapshot().context.runtime;
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
  // Workers stop before the lease is released, so the next leader never overlaps this one.
  const stop = async () => {
    await stopManager();
    await elector?.stop();
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const started = () => {
      if (!settled) resolve({ actor, controllers, ...(elector ? { elector } : {}), stop });
      settled = true;
    };
    standby = started;
    actor.subscribe((s) => {
      if (s.matches("Running")) started();
      else if (s.matches("Failed")) {
        // A term that cannot start gives the lease up for another manager.
        void s.context.runtime.stop();
        void elector?.stop();
        if (!settled) reject(s.context.error ?? new Error("controller manager stopped before it ran"));
        settled = true;
      }
    });
    actor.start();
    if (le) {
      elector = startLeaderElector({
        api: new ApiClient(opts.bus),
        ...le,
        name: le.name ?? CONTROLLER_MANAGER_LEASE,
        recorder: new EventRecorder(new ApiClient(opts.bus), { component: CONTROLLER_MANAGER_LEASE }, opts.log),
        ...(opts.log ? { log: (line: string) => opts.log!(`leaderelection: ${line}`) } : {}),
        onStartedLeading: () => tell("LEADING"),
        onStoppedLeading: () => tell("LOST"),
        onNewLeader: (id) => {
          if (id !== elector?.identity) standby?.();
        },
      });
    }
  });
};
