/**
 * One container of a pod: pull → create/start → running → exited → (back-off
 * → restart) or terminated for good. Spawned by the pod actor, to which it
 * reports a `ContainerView` on every change. Init containers use the same
 * machine: they count as done after exit 0, and restart on failure unless the
 * pod's restartPolicy is Never.
 *
 * Back-off follows kubelet: the first restart after a crash is immediate,
 * later ones wait 10 s doubling to 5 min (CrashLoopBackOff); 10 min of
 * running resets it (checked when the run ends: the back-off is only read
 * then, so no timer per running container). The durations are the named
 * delays `crashLoopBackOff` and `imagePullBackOff`, from `input.backoff`.
 */
import { assign, enqueueActions, fromPromise, sendParent, setup } from "xstate";
import {
  type ContainerRuntime,
  type ContainerStatus,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  type PodSandboxConfig,
  RuntimeError,
} from "./runtime/cri.ts";
import { rfc3339 } from "./runtime/clock.ts";
import { SimAnnotations, simSetting } from "./runtime/sim.ts";
import { containerEnv, expand } from "./runtime/envvars.ts";
import { ContainerConfigError, emptyLookup, type ObjectLookup } from "./runtime/lookup.ts";
import { HANDLER_AUTO, REASON_SIMULATED, simulatedMessage } from "./runtime/node-runtime.ts";
import type { ContainerKind, PodVolume } from "./runtime/cri.ts";
import { parseQuantity } from "@kubeactor/api";
import type { ContainerSpec, ContainerView, K8sContainerState } from "./pod-status.ts";
import { type ProbeKind, type ProbeReport, type ProbeSpec, probeTitle, probeWorker, type RunProbe } from "./probes.ts";
import { runProbeOn } from "./probes-run.ts";
import { unwatchExit, watchExit } from "./runtime/exit-watch.ts";

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetMs: number;
}

export const defaultBackoff: Backoff = { initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 };

export type Recorder = (type: "Normal" | "Warning", reason: string, message: string, fieldPath?: string) => void;

export interface ContainerInput {
  readonly kind: ContainerKind;
  readonly index: number;
  readonly spec: ContainerSpec;
  readonly sandboxId: string;
  readonly sandbox: PodSandboxConfig;
  readonly restartPolicy: string;
  readonly runtime: ContainerRuntime;
  readonly record: Recorder;
  readonly backoff?: Backoff;
  /** The count reported before (a restarted kubelet keeps counting). */
  readonly restartCount?: number;
  /**
   * The sandbox was just created, so no earlier container of this name can be in it: skip
   * looking for one to adopt (a listContainers and an actor per container start).
   */
  readonly freshSandbox?: boolean;
  readonly now?: () => number;
  /** What the environment and volumes are built from (absent: no env beyond the runtime's own). */
  readonly podEnv?: PodEnvSource;
  /** Probes run with this instead of against the runtime (unit tests). */
  readonly runProbe?: RunProbe;
}

/** The pod and node facts a container's environment and volumes come from. */
export interface PodEnvSource {
  readonly pod: Record<string, unknown>;
  readonly podIP?: string;
  readonly hostIP?: string;
  readonly nodeName?: string;
  readonly nodeAllocatable?: { readonly cpu?: string; readonly memory?: string };
  readonly lookup?: ObjectLookup;
}

export interface ContainerContext extends ContainerInput {
  readonly backoff: Backoff;
  containerId?: string;
  imageRef?: string;
  restartCount: number;
  /** Current back-off; 0 until the first crash, and again after a run of `backoff.resetMs`. */
  backoffMs: number;
  /** When the current run started (`now()`): a run that lasted `backoff.resetMs` resets the back-off when it ends. */
  runningSinceMs?: number;
  pullBackoffMs: number;
  state: K8sContainerState;
  lastState: Partial<K8sContainerState>;
  lastExit?: ContainerStatus;
  done: boolean;
  pullError?: { reason: string; message: string };
  configError?: string;
  /** The startup probe passed (or there is none): liveness and readiness probes run, `started` is true. */
  probeStarted: boolean;
  /** The readiness probe's published result (true without one). */
  probeReady: boolean;
  /** Which probe failed and has the container killed. */
  killedBy?: ProbeKind;
}

export type ContainerMachineEvent = { type: "EXITED"; status: ContainerStatus } | ProbeReport;

export type ContainerReport = { type: "CONTAINER"; kind: ContainerKind; index: number; view: ContainerView };

const SPEC_LISTS = { init: "initContainers", regular: "containers", ephemeral: "ephemeralContainers" } as const;
const fieldPath = (c: ContainerContext) => `spec.${SPEC_LISTS[c.kind]}{${c.spec.name}}`;
const podRef = (c: ContainerContext) => `${c.sandbox.name}_${c.sandbox.namespace}(${c.sandbox.uid})`;
const ts = (ms: number | undefined) => rfc3339(ms ?? Date.now());
/** `sim` or `process`: the containerID scheme, from the image ref the runtime gave. */
const schemeOf = (ref: string | undefined) => (ref && /^[a-z]+:\/\//.test(ref) ? ref.slice(0, ref.indexOf(":")) : "sim");

const bytesOf = (q: string | number | undefined): number | undefined => {
  if (q === undefined) return undefined;
  try {
    return Number(parseQuantity(q).nanos / 1_000_000_000n);
  } catch {
    return undefined;
  }
};
const millisOf = (q: string | number | undefined): number | undefined => {
  if (q === undefined) return undefined;
  try {
    return Number(parseQuantity(q).nanos / 1_000_000n);
  } catch {
    return undefined;
  }
};

export const viewOf = (c: ContainerContext): ContainerView => {
  const running = "running" in c.state;
  const simReady = simSetting(c.sandbox.annotations, c.spec.name, SimAnnotations.ready) !== "false";
  const completedInit = c.kind === "init" && "terminated" in c.state && c.state.terminated.exitCode === 0;
  return {
    name: c.spec.name,
    image: c.spec.image ?? "",
    imageID: c.imageRef ?? "",
    ...(c.containerId ? { containerID: `${schemeOf(c.imageRef)}://${c.containerId}` } : {}),
    state: c.state,
    lastState: c.lastState,
    ready: c.kind === "init" ? completedInit : c.kind === "regular" && running && simReady && c.probeStarted && c.probeReady,
    // The kubelet reports no `started` for an ephemeral container (nothing probes it).
    ...(c.kind === "ephemeral" ? {} : { started: c.kind === "regular" && running && c.probeStarted }),
    restartCount: c.restartCount,
    done: c.done,
  };
};

const terminatedOf = (s: ContainerStatus): K8sContainerState => ({
  terminated: {
    exitCode: s.exitCode ?? 0,
    reason: s.reason ?? ((s.exitCode ?? 0) === 0 ? "Completed" : "Error"),
    ...(s.message ? { message: s.message } : {}),
    startedAt: ts(s.startedAt),
    finishedAt: ts(s.finishedAt),
    containerID: `${s.runtime ?? schemeOf(s.imageRef)}://${s.id}`,
  },
});

export const containerMachine = setup({
  types: {
    context: {} as ContainerContext,
    input: {} as ContainerInput,
    events: {} as ContainerMachineEvent,
  },
  actors: {
    /** A restarted kubelet finds the container it left behind (latest attempt), if any. */
    findContainer: fromPromise<ContainerStatus | undefined, { runtime: ContainerRuntime; sandboxId: string; name: string }>(async ({ input }) => {
      const found = await input.runtime.listContainers({ sandboxId: input.sandboxId, labels: { [LABEL_CONTAINER_NAME]: input.name } });
      return found.sort((a, b) => b.createdAt - a.createdAt)[0];
    }),
    pullImage: fromPromise<string, { runtime: ContainerRuntime; image: string; policy: string; sandbox: PodSandboxConfig; record: Recorder; fieldPath: string; now: () => number }>(
      async ({ input }) => {
        const simulated = (ref: string) => {
          if ((input.sandbox.runtimeHandler ?? HANDLER_AUTO) === HANDLER_AUTO && ref.startsWith("sim://"))
            input.record("Normal", REASON_SIMULATED, simulatedMessage(input.image), input.fieldPath);
          return ref;
        };
        const present = await input.runtime.imageStatus(input.image, input.sandbox);
        if (present && input.policy !== "Always") {
          input.record("Normal", "Pulled", `Container image "${input.image}" already present on machine`, input.fieldPath);
          return simulated(present.id);
        }
        if (input.policy === "Never") return input.runtime.pullImage(input.image, input.policy, input.sandbox);
        input.record("Normal", "Pulling", `Pulling image "${input.image}"`, input.fieldPath);
        const t0 = input.now();
        const ref = await input.runtime.pullImage(input.image, input.policy, input.sandbox);
        const took = input.now() - t0;
        const size = (await input.runtime.imageStatus(input.image, input.sandbox))?.size ?? 0;
        input.record("Normal", "Pulled", `Successfully pulled image "${input.image}" in ${took}ms (${took}ms including waiting). Image size: ${size} bytes.`, input.fieldPath);
        return simulated(ref);
      },
    ),
    createAndStart: fromPromise<ContainerStatus, { ctx: ContainerContext }>(async ({ input: { ctx } }) => {
      const spec = ctx.spec;
      const src = ctx.podEnv;
      // The kubelet's makeEnvironmentVariables, then $(VAR) in command and args.
      const envs = src
        ? await containerEnv(
            spec,
            {
              pod: src.pod,
              ...(src.podIP ? { podIP: src.podIP } : {}),
              ...(src.hostIP ? { hostIP: src.hostIP } : {}),
              ...(src.nodeName ? { nodeName: src.nodeName } : {}),
              ...(src.nodeAllocatable ? { nodeAllocatable: src.nodeAllocatable } : {}),
            },
            // Refs are checked for simulated containers too (a missing ConfigMap stalls them as in Kubernetes); service links are not.
            ctx.runtime.simulates?.(spec.image ?? "", ctx.sandbox) ? { ...(src.lookup ?? emptyLookup), services: async () => [] } : (src.lookup ?? emptyLookup),
          )
        : [];
      const vars = new Map(envs.map((e) => [e.name, e.value]));
      const volumes = ((src?.pod.spec as { volumes?: PodVolume[] } | undefined)?.volumes ?? []) as PodVolume[];
      const memoryLimitBytes = bytesOf(spec.resources?.limits?.memory);
      const cpuLimitMillis = millisOf(spec.resources?.limits?.cpu);
      const id = await ctx.runtime.createContainer(
        ctx.sandboxId,
        {
          name: spec.name,
          image: spec.image ?? "",
          kind: ctx.kind,
          attempt: ctx.restartCount,
          ...(spec.command ? { command: spec.command.map((a) => expand(a, vars)) } : {}),
          ...(spec.args ? { args: spec.args.map((a) => expand(a, vars)) } : {}),
          envs,
          ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
          volumes,
          mounts: spec.volumeMounts ?? [],
          ...(memoryLimitBytes ? { memoryLimitBytes } : {}),
          ...(cpuLimitMillis ? { cpuLimitMillis } : {}),
          ports: (spec.ports ?? []).map((p) => p.containerPort),
          ...(spec.terminationMessagePath ? { terminationMessagePath: spec.terminationMessagePath } : {}),
          ...(spec.terminationMessagePolicy ? { terminationMessagePolicy: spec.terminationMessagePolicy } : {}),
          ...(spec.stdin ? { stdin: true, ...(spec.stdinOnce ? { stdinOnce: true } : {}) } : {}),
          labels: {
            [LABEL_POD_NAME]: ctx.sandbox.name,
            [LABEL_POD_NAMESPACE]: ctx.sandbox.namespace,
            [LABEL_POD_UID]: ctx.sandbox.uid,
            [LABEL_CONTAINER_NAME]: ctx.spec.name,
          },
        },
        ctx.sandbox,
      );
      ctx.record("Normal", "Created", `Created container ${ctx.spec.name}`, fieldPath(ctx));
      await ctx.runtime.startContainer(id);
      ctx.record("Normal", "Started", `Started container ${ctx.spec.name}`, fieldPath(ctx));
      return ctx.runtime.containerStatus(id);
    }),
    probeWorker,
    /** SIGTERM, SIGKILL after the grace period, as the kubelet kills a container whose liveness/startup probe failed. */
    killContainer: fromPromise<void, { runtime: ContainerRuntime; containerId: string; graceSeconds: number }>(({ input }) =>
      input.runtime.stopContainer(input.containerId, input.graceSeconds),
    ),
  },
  guards: {
    hasStartupProbe: ({ context }) => context.kind === "regular" && !!context.spec.startupProbe,
    foundRunning: ({ event }) => (event as unknown as { output?: ContainerStatus }).output?.state === "CONTAINER_RUNNING",
    foundExited: ({ event }) => (event as unknown as { output?: ContainerStatus }).output?.state === "CONTAINER_EXITED",
    configError: ({ event }) => (event as unknown as { error?: unknown }).error instanceof ContainerConfigError,
    restartNow: ({ context }) => shouldRestart(context) && context.backoffMs === 0,
    restartLater: ({ context }) => shouldRestart(context),
  },
  delays: {
    crashLoopBackOff: ({ context }) => context.backoffMs,
    imagePullBackOff: ({ context }) => context.pullBackoffMs,
    errImagePullHold: ({ context }) => Math.min(2000, context.pullBackoffMs),
    /** A bad configuration (missing ConfigMap key, ...) is retried on the kubelet's next sync. */
    configRetry: 10_000,
  },
  actions: {
    report: sendParent(({ context }): ContainerReport => ({ type: "CONTAINER", kind: context.kind, index: context.index, view: viewOf(context) })),
    spawnProbes: enqueueActions(({ context, enqueue }, params: { kinds: ProbeKind[] }) => {
      if (context.kind !== "regular") return;
      for (const kind of params.kinds) {
        const probe = probeOf(context, kind);
        if (probe) enqueue.spawnChild("probeWorker", { id: `probe:${kind}`, input: probeInput(context, kind, probe) });
      }
    }),
    stopProbes: enqueueActions(({ enqueue }) => {
      for (const kind of ["startup", "liveness", "readiness"] as const) enqueue.stopChild(`probe:${kind}`);
    }),
    /** The runtime's exit of the running container (also one that happened before this) comes as EXITED. */
    // A stopped actor runs no exit actions: a container stopped with its pod is still watched until it exits.
    watchExit: ({ context, self }) =>
      watchExit(context.runtime, context.containerId!, (status) => self.getSnapshot().status === "active" && self.send({ type: "EXITED", status })),
    unwatchExit: ({ context }) => unwatchExit(context.runtime, context.containerId),
    recordBackOff: ({ context }) =>
      context.record("Warning", "BackOff", `Back-off restarting failed container ${context.spec.name} in pod ${podRef(context)}`, fieldPath(context)),
  },
}).createMachine({
  id: "container",
  context: ({ input }) => ({
    ...input,
    backoff: input.backoff ?? defaultBackoff,
    restartCount: input.restartCount ?? 0,
    backoffMs: 0,
    pullBackoffMs: 0,
    state: { waiting: { reason: input.kind === "init" && input.index > 0 ? "PodInitializing" : "ContainerCreating" } },
    lastState: {},
    done: false,
    probeStarted: true,
    probeReady: true,
  }),
  initial: "Start",
  states: {
    Start: {
      always: [{ guard: ({ context }) => !!context.freshSandbox, target: "Pulling" }, { target: "Adopting" }],
    },
    Adopting: {
      invoke: {
        src: "findContainer",
        input: ({ context }) => ({ runtime: context.runtime, sandboxId: context.sandboxId, name: context.spec.name }),
        onDone: [
          {
            guard: "foundRunning",
            target: "Running",
            actions: assign(({ event }) => ({ containerId: event.output!.id, imageRef: event.output!.imageRef, state: { running: { startedAt: ts(event.output!.startedAt) } } })),
          },
          {
            guard: "foundExited",
            target: "Exited",
            actions: assign(({ event }) => ({ containerId: event.output!.id, imageRef: event.output!.imageRef, lastExit: event.output! })),
          },
          { target: "Pulling" },
        ],
        onError: "Pulling",
      },
    },
    Pulling: {
      entry: "report",
      invoke: {
        src: "pullImage",
        input: ({ context }) => ({
          runtime: context.runtime,
          image: context.spec.image ?? "",
          policy: context.spec.imagePullPolicy ?? "IfNotPresent",
          sandbox: context.sandbox,
          record: context.record,
          fieldPath: fieldPath(context),
          now: context.now ?? Date.now,
        }),
        onDone: { target: "Creating", actions: assign({ imageRef: ({ event }) => event.output, pullBackoffMs: 0 }) },
        onError: {
          target: "ErrImagePull",
          actions: assign(({ event }) => {
            const e = event.error as Error;
            return { pullError: { reason: e instanceof RuntimeError ? e.reason : "ErrImagePull", message: e.message } };
          }),
        },
      },
    },
    ErrImagePull: {
      entry: [
        assign(({ context }) => ({
          state: { waiting: { reason: context.pullError!.reason, message: context.pullError!.message } },
          pullBackoffMs: Math.min(context.backoff.maxMs, context.pullBackoffMs === 0 ? context.backoff.initialMs : context.pullBackoffMs * 2),
        })),
        ({ context }) => {
          context.record("Warning", "Failed", `Failed to pull image "${context.spec.image}": ${context.pullError!.message}`, fieldPath(context));
          context.record("Warning", "Failed", `Error: ${context.pullError!.reason}`, fieldPath(context));
        },
        "report",
      ],
      // Shown until the next sync, then the back-off reason (ErrImageNeverPull stays as it is).
      after: { errImagePullHold: "ImagePullBackOff" },
    },
    ImagePullBackOff: {
      entry: [
        assign(({ context }) =>
          context.pullError?.reason === "ErrImageNeverPull"
            ? {}
            : {
                state: {
                  waiting: {
                    reason: "ImagePullBackOff",
                    message: `Back-off pulling image "${context.spec.image}": ${context.pullError!.reason}: ${context.pullError!.message}`,
                  },
                },
              },
        ),
        ({ context }) => context.record("Normal", "BackOff", `Back-off pulling image "${context.spec.image}"`, fieldPath(context)),
        "report",
      ],
      after: { imagePullBackOff: "Pulling" },
    },
    Creating: {
      invoke: {
        src: "createAndStart",
        input: ({ context }) => ({ ctx: context }),
        onDone: {
          target: "Running",
          actions: assign(({ event }) => ({ containerId: event.output.id, state: { running: { startedAt: ts(event.output.startedAt) } } })),
        },
        onError: [
          { guard: "configError", target: "CreateContainerConfigError", actions: assign({ configError: ({ event }) => (event.error as Error).message }) },
          {
          target: "Exited",
          actions: assign(({ context, event }) => {
            const now = (context.now ?? Date.now)();
            const lastExit: ContainerStatus = {
              id: context.containerId ?? "",
              sandboxId: context.sandboxId,
              name: context.spec.name,
              attempt: context.restartCount,
              state: "CONTAINER_EXITED",
              image: context.spec.image ?? "",
              imageRef: context.imageRef ?? "",
              createdAt: now,
              finishedAt: now,
              exitCode: 128,
              reason: "StartError",
              message: (event.error as Error).message,
              labels: {},
            };
            return { lastExit };
          }),
          },
        ],
      },
    },
    CreateContainerConfigError: {
      entry: [
        assign(({ context }) => ({ state: { waiting: { reason: "CreateContainerConfigError", message: context.configError ?? "" } } })),
        ({ context }) => context.record("Warning", "Failed", `Error: ${context.configError}`, fieldPath(context)),
        "report",
      ],
      after: { configRetry: "Creating" },
    },
    Running: {
      // A new run: probes start over (kubelet resets results on a new container ID); readiness is false until a success.
      entry: [
        assign(({ context }) => ({
          probeStarted: !(context.kind === "regular" && context.spec.startupProbe),
          probeReady: !(context.kind === "regular" && context.spec.readinessProbe),
          runningSinceMs: (context.now ?? Date.now)(),
        })),
        "report",
        "watchExit",
      ],
      exit: ["stopProbes", "unwatchExit"],
      on: {
        EXITED: { target: "Exited", actions: assign({ lastExit: ({ event }) => event.status }) },
      },
      initial: "Gate",
      states: {
        Gate: { always: [{ guard: "hasStartupProbe", target: "Starting" }, { target: "Probing" }] },
        /** Only the startup probe runs; liveness and readiness wait for its success. */
        Starting: {
          entry: { type: "spawnProbes", params: { kinds: ["startup"] } },
          on: {
            PROBE: [
              {
                guard: ({ event }) => event.kind === "startup" && event.result === "success",
                target: "Probing",
                actions: [assign({ probeStarted: true }), "report"],
              },
              { guard: ({ event }) => event.kind === "startup" && event.result === "failure", target: "Killing", actions: assign({ killedBy: "startup" as const }) },
            ],
          },
        },
        Probing: {
          entry: { type: "spawnProbes", params: { kinds: ["liveness", "readiness"] } },
          on: {
            PROBE: [
              { guard: ({ event }) => event.kind === "readiness", actions: [assign({ probeReady: ({ event }) => event.result === "success" }), "report"] },
              { guard: ({ event }) => event.kind === "liveness" && event.result === "failure", target: "Killing", actions: assign({ killedBy: "liveness" as const }) },
            ],
          },
        },
        /** The probe workers are stopped (kubelet holds them); the exit arrives through the exit watch (runtime/exit-watch.ts). */
        Killing: {
          entry: [
            "stopProbes",
            ({ context }) =>
              context.record(
                "Normal",
                "Killing",
                `Container ${context.spec.name} failed ${context.killedBy} probe${context.restartPolicy === "Never" ? "" : ", will be restarted"}`,
                fieldPath(context),
              ),
          ],
          invoke: {
            src: "killContainer",
            input: ({ context }) => ({ runtime: context.runtime, containerId: context.containerId!, graceSeconds: killGrace(context) }),
            onError: {},
          },
        },
      },
    },
    Exited: {
      entry: assign(({ context }) => ({
        state: terminatedOf(context.lastExit!),
        // Ten minutes (resetMs) of running forgive the crashes before: the next restart is immediate again.
        ...(context.runningSinceMs !== undefined && (context.now ?? Date.now)() - context.runningSinceMs >= context.backoff.resetMs ? { backoffMs: 0 } : {}),
        runningSinceMs: undefined,
      })),
      always: [
        {
          guard: "restartNow",
          target: "Creating",
          actions: [
            assign(({ context }) => ({ lastState: context.state, restartCount: context.restartCount + 1, backoffMs: context.backoff.initialMs })),
            "report",
          ],
        },
        { guard: "restartLater", target: "CrashLoopBackOff" },
        { target: "Terminated" },
      ],
    },
    CrashLoopBackOff: {
      entry: [
        assign(({ context }) => ({
          lastState: context.state,
          state: {
            waiting: {
              reason: "CrashLoopBackOff",
              message: `back-off ${formatDuration(context.backoffMs)} restarting failed container=${context.spec.name} pod=${podRef(context)}`,
            },
          },
        })),
        "recordBackOff",
        "report",
      ],
      after: {
        crashLoopBackOff: {
          target: "Creating",
          actions: assign(({ context }) => ({ restartCount: context.restartCount + 1, backoffMs: Math.min(context.backoff.maxMs, context.backoffMs * 2) })),
        },
      },
    },
    Terminated: {
      entry: [assign({ done: true }), "report"],
    },
  },
});

const shouldRestart = (c: ContainerContext): boolean => {
  const code = c.lastExit?.exitCode ?? 0;
  if (c.kind === "ephemeral") return false; // never restarted, whatever the pod's policy
  if (c.kind === "init") return code !== 0 && c.restartPolicy !== "Never";
  if (c.restartPolicy === "Always") return true;
  if (c.restartPolicy === "OnFailure") return code !== 0;
  return false;
};

/** Go's time.Duration formatting for whole seconds and minutes (`10s`, `2m40s`, `5m0s`). */
export const formatDuration = (ms: number): string => {
  const s = Math.round(ms / 1000);
  if (s < 60) return ms < 1000 ? `${ms}ms` : `${s}s`;
  return `${Math.floor(s / 60)}m${s % 60}s`;
};

const probeOf = (c: ContainerContext, kind: ProbeKind): ProbeSpec | undefined =>
  kind === "liveness" ? c.spec.livenessProbe : kind === "readiness" ? c.spec.readinessProbe : c.spec.startupProbe;

/** The probe's own terminationGracePeriodSeconds wins over the pod's (kubelet's ProbeTerminationGracePeriod). */
const killGrace = (c: ContainerContext): number => {
  const probe = c.killedBy ? probeOf(c, c.killedBy) : undefined;
  const podGrace = (c.podEnv?.pod.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds;
  return probe?.terminationGracePeriodSeconds ?? podGrace ?? 30;
};

const probeInput = (c: ContainerContext, kind: ProbeKind, probe: ProbeSpec) => {
  const now = (c.now ?? Date.now)();
  const startedAt = "running" in c.state ? Date.parse(c.state.running.startedAt) : now;
  const podIP = c.podEnv?.podIP ?? "";
  const runProbe =
    c.runProbe ??
    runProbeOn({
      runtime: c.runtime,
      containerId: c.containerId!,
      podIP,
      ports: c.spec.ports ?? [],
      simulated: schemeOf(c.imageRef) === "sim",
      containerName: c.spec.name,
      ...(c.sandbox.annotations ? { annotations: c.sandbox.annotations } : {}),
    });
  return {
    kind,
    probe,
    runProbe,
    host: podIP,
    ports: c.spec.ports ?? [],
    // Measured from the container's start, so a liveness probe gated by a slow startup probe does not wait twice.
    initialDelayMs: Math.max(0, (probe.initialDelaySeconds ?? 0) * 1000 - Math.max(0, now - startedAt)),
    onFailure: (k: ProbeKind, output: string) => c.record("Warning", "Unhealthy", `${probeTitle(k)} probe failed: ${output}`, fieldPath(c)),
    onWarning: (k: ProbeKind, output: string) => c.record("Warning", "ProbeWarning", `${probeTitle(k)} probe warning: ${output}`, fieldPath(c)),
  };
};
