/**
 * One container of a pod: pull → create/start → running → exited → (back-off
 * → restart) or terminated for good. Spawned by the pod actor, to which it
 * reports a `ContainerView` on every change. Init containers use the same
 * machine: they count as done after exit 0, and restart on failure unless the
 * pod's restartPolicy is Never.
 *
 * Back-off follows kubelet: the first restart after a crash is immediate,
 * later ones wait 10 s doubling to 5 min (CrashLoopBackOff); 10 min of
 * running resets it. The durations are the named delays `crashLoopBackOff`,
 * `imagePullBackOff` and `backoffReset`, computed from `input.backoff`.
 */
import { assign, fromCallback, fromPromise, sendParent, setup } from "xstate";
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
import type { ContainerSpec, ContainerView, K8sContainerState } from "./pod-status.ts";

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetMs: number;
}

export const defaultBackoff: Backoff = { initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 };

export type Recorder = (type: "Normal" | "Warning", reason: string, message: string, fieldPath?: string) => void;

export interface ContainerInput {
  readonly kind: "init" | "regular";
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
  readonly now?: () => number;
}

export interface ContainerContext extends ContainerInput {
  readonly backoff: Backoff;
  containerId?: string;
  imageRef?: string;
  restartCount: number;
  /** Current back-off; 0 until the first crash. */
  backoffMs: number;
  pullBackoffMs: number;
  state: K8sContainerState;
  lastState: Partial<K8sContainerState>;
  lastExit?: ContainerStatus;
  done: boolean;
  pullError?: { reason: string; message: string };
}

export type ContainerMachineEvent = { type: "EXITED"; status: ContainerStatus };

export type ContainerReport = { type: "CONTAINER"; kind: "init" | "regular"; index: number; view: ContainerView };

const fieldPath = (c: ContainerContext) => `spec.${c.kind === "init" ? "initContainers" : "containers"}{${c.spec.name}}`;
const podRef = (c: ContainerContext) => `${c.sandbox.name}_${c.sandbox.namespace}(${c.sandbox.uid})`;
const ts = (ms: number | undefined) => rfc3339(ms ?? Date.now());

export const viewOf = (c: ContainerContext): ContainerView => {
  const running = "running" in c.state;
  const simReady = simSetting(c.sandbox.annotations, c.spec.name, SimAnnotations.ready) !== "false";
  const completedInit = c.kind === "init" && "terminated" in c.state && c.state.terminated.exitCode === 0;
  return {
    name: c.spec.name,
    image: c.spec.image ?? "",
    imageID: c.imageRef ?? "",
    ...(c.containerId ? { containerID: `sim://${c.containerId}` } : {}),
    state: c.state,
    lastState: c.lastState,
    ready: c.kind === "init" ? completedInit : running && simReady,
    started: c.kind === "regular" && running,
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
    containerID: `sim://${s.id}`,
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
        const present = await input.runtime.imageStatus(input.image);
        if (present && input.policy !== "Always") {
          input.record("Normal", "Pulled", `Container image "${input.image}" already present on machine`, input.fieldPath);
          return present.id;
        }
        if (input.policy === "Never") return input.runtime.pullImage(input.image, input.policy, input.sandbox);
        input.record("Normal", "Pulling", `Pulling image "${input.image}"`, input.fieldPath);
        const t0 = input.now();
        const ref = await input.runtime.pullImage(input.image, input.policy, input.sandbox);
        const took = input.now() - t0;
        const size = (await input.runtime.imageStatus(input.image))?.size ?? 0;
        input.record("Normal", "Pulled", `Successfully pulled image "${input.image}" in ${took}ms (${took}ms including waiting). Image size: ${size} bytes.`, input.fieldPath);
        return ref;
      },
    ),
    createAndStart: fromPromise<ContainerStatus, { ctx: ContainerContext }>(async ({ input: { ctx } }) => {
      const id = await ctx.runtime.createContainer(
        ctx.sandboxId,
        {
          name: ctx.spec.name,
          image: ctx.spec.image ?? "",
          kind: ctx.kind,
          attempt: ctx.restartCount,
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
    /** The runtime's event stream for this one container; also catches an exit that happened before subscribing. */
    watchContainer: fromCallback<ContainerMachineEvent, { runtime: ContainerRuntime; containerId: string }>(({ input, sendBack }) => {
      let sent = false;
      const send = (status: ContainerStatus) => {
        if (sent) return;
        sent = true;
        sendBack({ type: "EXITED", status });
      };
      const off = input.runtime.events((e) => {
        if (e.type === "exited" && e.container.id === input.containerId) send(e.container);
      });
      input.runtime.containerStatus(input.containerId).then(
        (s) => s.state === "CONTAINER_EXITED" && send(s),
        () => {},
      );
      return off;
    }),
  },
  guards: {
    foundRunning: ({ event }) => (event as unknown as { output?: ContainerStatus }).output?.state === "CONTAINER_RUNNING",
    foundExited: ({ event }) => (event as unknown as { output?: ContainerStatus }).output?.state === "CONTAINER_EXITED",
    restartNow: ({ context }) => shouldRestart(context) && context.backoffMs === 0,
    restartLater: ({ context }) => shouldRestart(context),
  },
  delays: {
    crashLoopBackOff: ({ context }) => context.backoffMs,
    imagePullBackOff: ({ context }) => context.pullBackoffMs,
    errImagePullHold: ({ context }) => Math.min(2000, context.pullBackoffMs),
    backoffReset: ({ context }) => context.backoff.resetMs,
  },
  actions: {
    report: sendParent(({ context }): ContainerReport => ({ type: "CONTAINER", kind: context.kind, index: context.index, view: viewOf(context) })),
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
  }),
  initial: "Adopting",
  states: {
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
        onError: {
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
      },
    },
    Running: {
      entry: "report",
      invoke: {
        src: "watchContainer",
        input: ({ context }) => ({ runtime: context.runtime, containerId: context.containerId! }),
      },
      after: { backoffReset: { actions: assign({ backoffMs: 0 }) } },
      on: {
        EXITED: { target: "Exited", actions: assign({ lastExit: ({ event }) => event.status }) },
      },
    },
    Exited: {
      entry: assign(({ context }) => ({ state: terminatedOf(context.lastExit!) })),
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
