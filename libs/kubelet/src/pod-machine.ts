/**
 * The pod lifecycle, one actor per pod bound to the node:
 *
 *   Start → Creating (sandbox + IP) → Initializing (init containers in order)
 *         → Running (one container actor per container) → Succeeded | Failed
 *   any → Terminating (deletionTimestamp: stop containers within the grace
 *         period) → Deleting (delete with grace 0) → Deleted
 *   any → Cleanup (the object vanished without us: tear down) → Deleted
 *
 * Ephemeral containers (kubectl debug) are started whenever the pod gains one
 * after its containers were started; they never restart and never count
 * towards the phase.
 *
 * Containers are child actors (container-machine.ts) that report their view;
 * the pod derives phase and conditions from those views and hands the status
 * to its status writer (status-writer.ts), which writes only changes and
 * re-reads on 409.
 */
import { assign, enqueueActions, fromPromise, setup, type ActorRefFrom } from "xstate";
import type { JsonObject } from "@kubeactor/bus";
import type { ContainerKind, ContainerRuntime, PodSandboxConfig } from "./runtime/cri.ts";
import { rfc3339 } from "./runtime/clock.ts";
import { emptyLookup, type ObjectLookup } from "./runtime/lookup.ts";
import { HANDLER_AUTO } from "./runtime/node-runtime.ts";
import type { PodVolume } from "./runtime/cri.ts";
import { VolumeMountError, waitForClaims } from "./runtime/volumes.ts";
import { type Backoff, containerMachine, type ContainerReport, type Recorder } from "./container-machine.ts";
import type { RunProbe } from "./probes.ts";
import { computePodStatus, type ContainerSpec, type ContainerView, pendingView, podPhase, type PodPhase } from "./pod-status.ts";
import { PodStatusWriter } from "./status-writer.ts";

/** The API calls a pod actor makes; the kubelet adapts ApiClient, tests pass fakes. */
export interface PodApi {
  getPod(namespace: string, name: string): Promise<JsonObject>;
  /** Rejects with a StatusError-like `{ status: { code } }` (409 on a stale resourceVersion, 404 when gone). */
  updatePodStatus(pod: JsonObject): Promise<JsonObject>;
  /** Delete with grace 0 and a uid precondition; resolves when gone (404 counts as gone). */
  deletePod(namespace: string, name: string, uid: string): Promise<void>;
}

export interface PodDeps {
  readonly runtime: ContainerRuntime;
  readonly api: PodApi;
  /** Kubernetes Events about the pod (best effort, never throws). */
  readonly record: (pod: JsonObject, type: "Normal" | "Warning", reason: string, message: string, fieldPath?: string) => void;
  readonly log?: (line: string) => void;
  readonly backoff?: Backoff;
  readonly now?: () => number;
  /** ConfigMaps, Secrets, Services and RuntimeClasses for env, volumes and runtime selection. */
  readonly lookup?: ObjectLookup;
  /** Node allocatable cpu/memory: resourceFieldRef's default for unset limits. */
  readonly nodeAllocatable?: { readonly cpu?: string; readonly memory?: string };
  /** Probes answer with this instead of reaching the containers (unit tests on the simulated clock). */
  readonly runProbe?: RunProbe;
}

export interface PodInput {
  readonly pod: JsonObject;
  readonly nodeName: string;
  readonly hostIP: string;
  readonly deps: PodDeps;
}

type Meta = { name: string; namespace: string; uid: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number; annotations?: Record<string, string>; labels?: Record<string, string>; resourceVersion?: string };
type Spec = { containers?: ContainerSpec[]; initContainers?: ContainerSpec[]; ephemeralContainers?: ContainerSpec[]; restartPolicy?: string; terminationGracePeriodSeconds?: number; runtimeClassName?: string };

export const podMeta = (pod: JsonObject) => pod.metadata as unknown as Meta;
export const podSpec = (pod: JsonObject) => (pod.spec ?? {}) as Spec;

export interface PodContext {
  pod: JsonObject;
  /**
   * The newest pod object, shared with the container actors: they read it when they need the pod
   * (env, events), so they do not each keep the version they were started with alive.
   */
  readonly latest: { pod: JsonObject };
  readonly nodeName: string;
  readonly hostIP: string;
  readonly deps: PodDeps;
  /** Writes the statuses the pod derives (not an actor: see status-writer.ts). */
  readonly writer: PodStatusWriter;
  readonly startTime: string;
  sandboxId?: string;
  podIP?: string;
  /** The RuntimeClass handler the sandbox runs with (`auto` without runtimeClassName). */
  handler?: string;
  sandboxReady: boolean;
  /** This actor created the sandbox (none was left by an earlier kubelet): its containers have nothing to adopt. */
  freshSandbox?: boolean;
  /** Every init container completed (or there were none). */
  initialized: boolean;
  initIndex: number;
  initViews: ContainerView[];
  views: ContainerView[];
  /** kubectl debug's containers, in the order they were started (they are only ever added). */
  ephemeralViews: ContainerView[];
  /** The first status (at the start of the first sync) was handed to the writer. */
  published?: boolean;
  /** Set once the phase is terminal; never goes back (Kubernetes forbids it). */
  terminalPhase?: "Succeeded" | "Failed";
}

export type PodEvent =
  | { type: "POD_UPDATED"; pod: JsonObject }
  | { type: "POD_REMOVED" }
  | ContainerReport;

const sandboxConfig = (pod: JsonObject): PodSandboxConfig => {
  const m = podMeta(pod);
  const hostname = (pod.spec as { hostname?: string } | undefined)?.hostname;
  return { name: m.name, namespace: m.namespace, uid: m.uid, labels: m.labels ?? {}, annotations: m.annotations ?? {}, ...(hostname ? { hostname } : {}) };
};

const STATUS_LISTS = { init: "initContainerStatuses", regular: "containerStatuses", ephemeral: "ephemeralContainerStatuses" } as const;

const restartCountOf = (pod: JsonObject, field: (typeof STATUS_LISTS)[keyof typeof STATUS_LISTS], name: string): number =>
  (((pod.status as Record<string, unknown> | undefined)?.[field] ?? []) as { name: string; restartCount?: number }[]).find((s) => s.name === name)?.restartCount ?? 0;

export const phaseOf = (ctx: PodContext, initializing: boolean): PodPhase => {
  if (ctx.terminalPhase) return ctx.terminalPhase;
  const failedInit = ctx.initViews.some((v) => v.done && "terminated" in v.state && v.state.terminated.exitCode !== 0);
  if (failedInit) return "Failed";
  if (initializing) return "Pending";
  return podPhase(ctx.views, podSpec(ctx.pod).restartPolicy ?? "Always");
};

export const desiredStatus = (ctx: PodContext, initializing: boolean): JsonObject =>
  computePodStatus({
    phase: phaseOf(ctx, initializing),
    sandboxReady: ctx.sandboxReady,
    initialized: !initializing,
    initViews: ctx.initViews,
    views: ctx.views,
    ephemeralViews: ctx.ephemeralViews,
    hostIP: ctx.hostIP,
    ...(ctx.podIP ? { podIP: ctx.podIP } : {}),
    startTime: ctx.startTime,
  });

/** A container that has not been created yet (first attempt): the state every container starts in. */
const isUnstarted = (v: ContainerView) => "waiting" in v.state && v.state.waiting.reason === "ContainerCreating" && v.restartCount === 0 && !("terminated" in v.lastState);

/** How long a pod's unbound claims are waited for quietly before FailedMount (the binder acts once the pod is placed). */
const CLAIM_GRACE_MS = 5000;

export const podMachine = setup({
  types: {
    context: {} as PodContext,
    input: {} as PodInput,
    events: {} as PodEvent,
  },
  actors: {
    container: containerMachine,
    /** Reuses the sandbox a previous kubelet left (same IP), else runs a new one. */
    createSandbox: fromPromise<
      { sandboxId: string; ip: string; handler: string; fresh: boolean },
      { runtime: ContainerRuntime; config: PodSandboxConfig; runtimeClassName?: string; lookup: ObjectLookup; volumes: readonly PodVolume[] }
    >(
      async ({ input, signal }) => {
        const existing = (await input.runtime.listPodSandboxes({ uid: input.config.uid })).find((s) => s.state === "SANDBOX_READY");
        if (existing) return { sandboxId: existing.id, ip: existing.ip, handler: existing.config.runtimeHandler ?? HANDLER_AUTO, fresh: false };
        // The volume manager's WaitForAttachAndMount: claims must be bound before the sandbox (throws VolumeMountError).
        await waitForClaims(input.config.namespace, input.volumes, input.lookup, { graceMs: CLAIM_GRACE_MS, signal });
        // The RuntimeClass names the handler (the kubelet's runtimeclass manager); none → the node's default.
        let handler = HANDLER_AUTO;
        if (input.runtimeClassName) {
          const rc = await input.lookup.runtimeClass(input.runtimeClassName);
          if (!rc) throw new Error(`RuntimeHandler resolution failed: runtimeclass.node.k8s.io "${input.runtimeClassName}" not found`);
          handler = String(rc.handler ?? "");
        }
        const config = { ...input.config, runtimeHandler: handler };
        const sandboxId = await input.runtime.runPodSandbox(config);
        return { sandboxId, ip: (await input.runtime.podSandboxStatus(sandboxId)).ip, handler, fresh: true };
      },
    ),
    /** Stops every container (SIGTERM, SIGKILL after the grace period) and removes the sandbox, freeing its IP. */
    killPod: fromPromise<void, { runtime: ContainerRuntime; uid: string; graceSeconds: number; record: Recorder }>(async ({ input }) => {
      const sandboxes = await input.runtime.listPodSandboxes({ uid: input.uid });
      for (const sb of sandboxes) {
        const running = (await input.runtime.listContainers({ sandboxId: sb.id })).filter((c) => c.state === "CONTAINER_RUNNING");
        for (const c of running) input.record("Normal", "Killing", `Stopping container ${c.name}`, undefined);
        await Promise.all(running.map((c) => input.runtime.stopContainer(c.id, input.graceSeconds)));
        await input.runtime.removePodSandbox(sb.id);
      }
    }),
    /** Stops the sandbox of a finished pod (its IP returns to the pool); containers are already gone. */
    stopSandbox: fromPromise<void, { runtime: ContainerRuntime; sandboxId?: string }>(async ({ input }) => {
      if (input.sandboxId) await input.runtime.stopPodSandbox(input.sandboxId);
    }),
    deletePod: fromPromise<void, { api: PodApi; pod: JsonObject }>(async ({ input }) => {
      const m = podMeta(input.pod);
      await input.api.deletePod(m.namespace, m.name, m.uid);
    }),
  },
  guards: {
    deleting: ({ context }) => !!podMeta(context.pod).deletionTimestamp,
    updateMarksDeletion: ({ event }) => event.type === "POD_UPDATED" && !!podMeta(event.pod).deletionTimestamp,
    wasTerminal: ({ context }) => {
      const phase = (context.pod.status as { phase?: string } | undefined)?.phase;
      return phase === "Succeeded" || phase === "Failed";
    },
    noInitContainers: ({ context }) => (podSpec(context.pod).initContainers ?? []).length === 0,
    initFailed: ({ context }) => phaseOf(context, true) === "Failed",
    currentInitDone: ({ context }) => {
      const v = context.initViews[context.initIndex];
      return !!v && v.done && "terminated" in v.state && v.state.terminated.exitCode === 0;
    },
    allInitDone: ({ context }) => context.initIndex >= context.initViews.length,
    podSucceeded: ({ context }) => phaseOf(context, false) === "Succeeded",
    podFailed: ({ context }) => phaseOf(context, false) === "Failed",
  },
  delays: {
    sandboxRetry: 2000,
    deleteRetry: 1000,
  },
  actions: {
    /** The informer's newer object: the context, the containers (through `latest`) and the status writer (which may drop its own copy) see it. */
    takePod: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "POD_UPDATED") return;
      context.latest.pod = event.pod;
      enqueue.assign({ pod: event.pod });
      const pod = event.pod;
      enqueue(() => context.writer.seen(pod));
    }),
    recordEvent: ({ context }, params: { type: "Normal" | "Warning"; reason: string; message: string }) =>
      context.deps.record(context.pod, params.type, params.reason, params.message),
    storeContainerView: assign(({ context, event }) => {
      if (event.type !== "CONTAINER") return {};
      if (event.kind === "init") {
        const initViews = context.initViews.slice();
        initViews[event.index] = event.view;
        return { initViews };
      }
      if (event.kind === "ephemeral") {
        const ephemeralViews = context.ephemeralViews.slice();
        ephemeralViews[event.index] = event.view;
        return { ephemeralViews };
      }
      const views = context.views.slice();
      views[event.index] = event.view;
      return { views };
    }),
    publishStatus: enqueueActions(({ context, enqueue }) => {
      // The kubelet writes status at the start of a sync, then sets up the sandbox, pulls and starts the
      // containers within that sync: what it reports next is their outcome. A pod without init containers
      // whose containers are all still waiting to be created is mid-sync: nothing new to write.
      if (context.published && !(podSpec(context.pod).initContainers ?? []).length && context.views.every(isUnstarted)) return;
      if (!context.published) enqueue.assign({ published: true });
      const pod = context.pod;
      const status = desiredStatus(context, !context.initialized);
      enqueue(() => context.writer.write(pod, status));
    }),
    spawnInit: enqueueActions(({ context, enqueue }) => {
      const spec = podSpec(context.pod).initContainers![context.initIndex]!;
      enqueue.spawnChild("container", {
        id: `init:${spec.name}`,
        input: containerInput(context, "init", context.initIndex, spec),
      });
    }),
    spawnContainers: enqueueActions(({ context, enqueue }) => {
      (podSpec(context.pod).containers ?? []).forEach((spec, index) =>
        enqueue.spawnChild("container", { id: `container:${spec.name}`, input: containerInput(context, "regular", index, spec) }),
      );
    }),
    /**
     * Starts the ephemeral containers the pod has and this actor has not
     * started yet (kubectl debug adds them to a running pod), once the pod's
     * own containers were started and until it finishes.
     */
    spawnEphemeral: enqueueActions(({ context, enqueue }) => {
      if (!context.initialized || context.terminalPhase || podMeta(context.pod).deletionTimestamp) return;
      const started = new Set(context.ephemeralViews.map((v) => v.name));
      const added = (podSpec(context.pod).ephemeralContainers ?? []).filter((c) => !started.has(c.name));
      if (added.length === 0) return;
      enqueue.assign({ ephemeralViews: [...context.ephemeralViews, ...added.map((c) => pendingView(c, "ContainerCreating"))] });
      added.forEach((spec, i) =>
        enqueue.spawnChild("container", { id: `ephemeral:${spec.name}`, input: containerInput(context, "ephemeral", context.ephemeralViews.length + i, spec) }),
      );
    }),
    stopContainers: enqueueActions(({ context, enqueue }) => {
      for (const c of podSpec(context.pod).initContainers ?? []) enqueue.stopChild(`init:${c.name}`);
      for (const c of podSpec(context.pod).containers ?? []) enqueue.stopChild(`container:${c.name}`);
      for (const v of context.ephemeralViews) enqueue.stopChild(`ephemeral:${v.name}`);
    }),
  },
}).createMachine({
  id: "pod",
  context: ({ input, self }) => {
    const spec = podSpec(input.pod);
    const inits = spec.initContainers ?? [];
    const existingStart = (input.pod.status as { startTime?: string } | undefined)?.startTime;
    const context: PodContext = {
      ...input,
      latest: { pod: input.pod },
      writer: new PodStatusWriter(input.deps.api, input.deps.now ?? Date.now, () => self.getSnapshot().status === "active", input.deps.log),
      startTime: existingStart ?? rfc3339((input.deps.now ?? Date.now)()),
      sandboxReady: false,
      initialized: false,
      initIndex: 0,
      initViews: inits.map((c) => pendingView(c, "PodInitializing")),
      views: (spec.containers ?? []).map((c) => pendingView(c, inits.length > 0 ? "PodInitializing" : "ContainerCreating")),
      ephemeralViews: [],
    };
    // XState keeps an actor's input for its whole life (options.input): without this, every
    // long-running pod would keep the version of its object it was started with alive.
    (input as { pod?: JsonObject }).pod = undefined;
    return context;
  },
  on: {
    POD_UPDATED: [
      { guard: "updateMarksDeletion", target: ".Terminating", actions: "takePod" },
      { actions: ["takePod", "spawnEphemeral"] },
    ],
    POD_REMOVED: ".Cleanup",
    CONTAINER: { actions: ["storeContainerView", "publishStatus"] },
  },
  initial: "Start",
  states: {
    Start: {
      always: [
        { guard: "deleting", target: "Terminating" },
        // A pod that finished before this kubelet started stays finished.
        { guard: "wasTerminal", target: "Finished" },
        { target: "Creating" },
      ],
    },
    Creating: {
      entry: "publishStatus",
      invoke: {
        src: "createSandbox",
        input: ({ context }) => ({
          runtime: context.deps.runtime,
          config: sandboxConfig(context.pod),
          lookup: context.deps.lookup ?? emptyLookup,
          volumes: ((podSpec(context.pod) as { volumes?: PodVolume[] }).volumes ?? []) as PodVolume[],
          ...(podSpec(context.pod).runtimeClassName ? { runtimeClassName: podSpec(context.pod).runtimeClassName! } : {}),
        }),
        onDone: {
          target: "Initializing",
          actions: assign(({ event }) => ({
            sandboxId: event.output.sandboxId,
            podIP: event.output.ip,
            handler: event.output.handler,
            sandboxReady: true,
            freshSandbox: event.output.fresh,
          })),
        },
        onError: {
          target: "SandboxBackOff",
          actions: {
            type: "recordEvent",
            params: ({ event }) =>
              event.error instanceof VolumeMountError
                ? { type: "Warning", reason: "FailedMount", message: event.error.message }
                : { type: "Warning", reason: "FailedCreatePodSandBox", message: `Failed to create pod sandbox: ${(event.error as Error).message}` },
          },
        },
      },
    },
    SandboxBackOff: { after: { sandboxRetry: "Creating" } },
    Initializing: {
      entry: "publishStatus",
      always: [
        { guard: "noInitContainers", target: "Starting" },
        { guard: "initFailed", target: "Failed" },
        { guard: "allInitDone", target: "Starting" },
        { guard: "currentInitDone", target: "Initializing", reenter: true, actions: assign({ initIndex: ({ context }) => context.initIndex + 1 }) },
      ],
      initial: "Run",
      states: {
        Run: {
          always: { guard: ({ context }) => context.initIndex < context.initViews.length, actions: "spawnInit", target: "Started" },
        },
        Started: {},
      },
    },
    Starting: {
      entry: [assign({ initialized: true }), "spawnContainers", "spawnEphemeral", "publishStatus"],
      always: "Running",
    },
    Running: {
      always: [
        { guard: "podSucceeded", target: "Succeeded" },
        { guard: "podFailed", target: "Failed" },
      ],
    },
    Succeeded: {
      entry: [assign({ terminalPhase: "Succeeded" as const }), "stopContainers"],
      always: "Finishing",
    },
    Failed: {
      entry: [assign({ terminalPhase: "Failed" as const }), "stopContainers"],
      always: "Finishing",
    },
    Finishing: {
      invoke: {
        src: "stopSandbox",
        input: ({ context }) => ({ runtime: context.deps.runtime, ...(context.sandboxId ? { sandboxId: context.sandboxId } : {}) }),
        onDone: { target: "Finished", actions: assign({ sandboxReady: false }) },
        onError: { target: "Finished", actions: assign({ sandboxReady: false }) },
      },
    },
    Finished: {
      entry: [
        assign(({ context }) => ({
          terminalPhase: context.terminalPhase ?? ((context.pod.status as { phase?: "Succeeded" | "Failed" } | undefined)?.phase ?? "Succeeded"),
        })),
        "publishStatus",
      ],
    },
    Terminating: {
      entry: "stopContainers",
      invoke: {
        src: "killPod",
        input: ({ context }) => ({
          runtime: context.deps.runtime,
          uid: podMeta(context.pod).uid,
          graceSeconds: podMeta(context.pod).deletionGracePeriodSeconds ?? podSpec(context.pod).terminationGracePeriodSeconds ?? 30,
          record: (type, reason, message, fieldPath) => context.deps.record(context.pod, type, reason, message, fieldPath),
        }),
        onDone: "Deleting",
        onError: "Deleting",
      },
      on: { CONTAINER: {}, POD_UPDATED: { actions: "takePod" } },
    },
    Deleting: {
      invoke: {
        src: "deletePod",
        input: ({ context }) => ({ api: context.deps.api, pod: context.pod }),
        onDone: "Deleted",
        onError: "DeleteBackOff",
      },
      on: { CONTAINER: {}, POD_UPDATED: { actions: "takePod" } },
    },
    DeleteBackOff: {
      after: { deleteRetry: "Deleting" },
      on: { CONTAINER: {}, POD_UPDATED: { actions: "takePod" } },
    },
    Cleanup: {
      entry: "stopContainers",
      invoke: {
        src: "killPod",
        input: ({ context }) => ({ runtime: context.deps.runtime, uid: podMeta(context.pod).uid, graceSeconds: 0, record: () => {} }),
        onDone: "Deleted",
        onError: "Deleted",
      },
      on: { CONTAINER: {}, POD_UPDATED: {}, POD_REMOVED: {} },
    },
    Deleted: { type: "final" },
  },
});

export type PodActor = ActorRefFrom<typeof podMachine>;

const containerInput = (ctx: PodContext, kind: ContainerKind, index: number, spec: ContainerSpec) => {
  const { latest, deps } = ctx;
  return {
    kind,
    index,
    spec,
    sandboxId: ctx.sandboxId!,
    sandbox: { ...sandboxConfig(ctx.pod), runtimeHandler: ctx.handler ?? HANDLER_AUTO },
    podEnv: {
      get pod() {
        return latest.pod;
      },
      ...(ctx.podIP ? { podIP: ctx.podIP } : {}),
      hostIP: ctx.hostIP,
      nodeName: ctx.nodeName,
      ...(ctx.deps.lookup ? { lookup: ctx.deps.lookup } : {}),
      ...(ctx.deps.nodeAllocatable ? { nodeAllocatable: ctx.deps.nodeAllocatable } : {}),
    },
    restartPolicy: podSpec(ctx.pod).restartPolicy ?? "Always",
    runtime: ctx.deps.runtime,
    record: ((type, reason, message, fieldPath) => deps.record(latest.pod, type, reason, message, fieldPath)) as Recorder,
    restartCount: restartCountOf(ctx.pod, STATUS_LISTS[kind], spec.name),
    ...(ctx.freshSandbox ? { freshSandbox: true } : {}),
    ...(ctx.deps.backoff ? { backoff: ctx.deps.backoff } : {}),
    ...(ctx.deps.now ? { now: ctx.deps.now } : {}),
    ...(ctx.deps.runProbe ? { runProbe: ctx.deps.runProbe } : {}),
  };
};
