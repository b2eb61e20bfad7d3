/**
 * The scheduler as an XState machine. Two kinds of regions run in parallel:
 *
 * - `Cycle`: WaitingForPods → Scheduling → Binding | Unschedulable →
 *   WaitingForPods. `Scheduling` pops the next pod and runs the profile's
 *   filters and scores (the `scheduleNextPod` actor); a fit is assumed in the
 *   cache at once and its binding runs as a spawned `bindPod` actor, so the
 *   next cycle starts without waiting for the API (kube's asynchronous
 *   binding cycle); no fit parks the pod and spawns `reportUnschedulable`
 *   (FailedScheduling event + PodScheduled=False).
 * - `BackoffFlush` / `UnschedulableFlush`: `after` timers that move pods out
 *   of backoff (every second) and out of the unschedulable pool (every 30 s,
 *   for pods parked 5 minutes), so a simulated clock can drive them.
 *
 * All I/O is in named actors; tests replace them with `machine.provide`.
 */
import { assign, fromPromise, setup, spawnChild, stopChild } from "xstate";
import { type CycleResult, type NodeCursor, scheduleOne } from "./algorithm.ts";
import type { SchedulerCache } from "./cache.ts";
import type { Pod } from "./framework.ts";
import type { Candidate } from "./preemption.ts";
import type { Profile } from "./profile.ts";
import type { QueuedPod, SchedulingQueue } from "./queue.ts";
import type { SchedulingCycle } from "@kubeactor/bus";

export interface SchedulerDeps {
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;
  readonly profile: Profile;
  /** With several profiles: the one named by the pod's spec.schedulerName (default: `profile`). */
  readonly profileFor?: (pod: Pod) => Profile;
  /** Tie-breaking among equal best scores. */
  readonly random?: () => number;
  readonly publishCycle?: (cycle: SchedulingCycle) => void;
  readonly log?: (line: string) => void;
}

export interface CycleOutcome {
  readonly queued: QueuedPod;
  readonly result: CycleResult;
  readonly startedAt: string;
  readonly durationMs: number;
}

export interface BindInput {
  readonly pod: Pod;
  readonly node: string;
}
export interface ReportInput {
  readonly pod: Pod;
  readonly message: string;
  /** Preemption chose this node: evict the victims, then nominate the node. */
  readonly preemption?: Candidate;
}

export interface SchedulerContext {
  cycles: number;
  scheduled: number;
  unschedulable: number;
  bindFailures: number;
  spawned: number;
  /** The last cycle's outcome, for the inspector. */
  last?: { pod: string; node?: string; message?: string };
}

export type SchedulerEvent =
  | { type: "PODS_QUEUED" }
  // Completions of the spawned actors (bindings are `bind:<namespace/name>`).
  | { type: `xstate.done.actor.${string}`; output: unknown }
  | { type: `xstate.error.actor.${string}`; error: unknown };

const BIND_PREFIX = "bind:";
/** Ids of the actors this machine spawns (bindings and reports), as opposed to its invoked cycle. */
const SPAWNED = /^(bind|report|scheduled):/;

const metaOf = (pod: Pod) => ({ namespace: pod.metadata?.namespace ?? "", name: pod.metadata?.name ?? "" });

export const createSchedulerMachine = (deps: SchedulerDeps) => {
  const log = deps.log ?? (() => {});
  const cursor: NodeCursor = { next: 0 };
  return setup({
    types: {
      context: {} as SchedulerContext,
      events: {} as SchedulerEvent,
    },
    actors: {
      /** Pop the next pod and decide; resolves null when the queue is empty. */
      scheduleNextPod: fromPromise<CycleOutcome | null>(async () => {
        const queued = deps.queue.pop();
        if (!queued) return null;
        const started = performance.now();
        const startedAt = new Date().toISOString();
        const result = scheduleOne(deps.profileFor?.(queued.pod) ?? deps.profile, deps.cache, queued.pod, deps.random, cursor);
        return { queued, result, startedAt, durationMs: performance.now() - started };
      }),
      /** Write the binding (POST pods/binding). Replaced in tests and by startScheduler. */
      bindPod: fromPromise<BindInput, BindInput>(async ({ input }) => {
        throw new Error(`no bindPod implementation provided (pod ${metaOf(input.pod).name})`);
      }),
      /** Preemption's evictions (when any), FailedScheduling event, PodScheduled=False (+ nominatedNodeName). Best effort. */
      reportUnschedulable: fromPromise<void, ReportInput>(async () => {}),
      /** The Scheduled event. Best effort. */
      reportScheduled: fromPromise<void, BindInput>(async () => {}),
    },
    guards: {
      podsQueued: () => deps.queue.lengths.active > 0,
      queueEmpty: ({ event }) => (event as unknown as { output: CycleOutcome | null }).output === null,
      nodeFound: ({ event }) => (event as unknown as { output: CycleOutcome }).output.result.node !== undefined,
      isSpawnedChild: ({ event }) => SPAWNED.test((event as unknown as { actorId?: string }).actorId ?? ""),
    },
    actions: {
      stopFinishedChild: stopChild(({ event }) => (event as unknown as { actorId: string }).actorId),
      recordCycle: assign(({ context, event }) => {
        const { queued, result, startedAt, durationMs } = (event as unknown as { output: CycleOutcome }).output;
        const cycles = context.cycles + 1;
        const { namespace, name } = metaOf(queued.pod);
        deps.publishCycle?.({
          cycle: cycles,
          pod: { namespace, name, ...(queued.pod.metadata?.uid ? { uid: queued.pod.metadata.uid } : {}) },
          attempt: queued.attempts,
          startedAt,
          durationMs,
          result: result.node ? "Assumed" : "Unschedulable",
          ...(result.node ? { node: result.node } : {}),
          ...(result.message ? { message: result.message } : {}),
          numNodes: result.numNodes,
          feasible: result.feasible,
          filters: result.filters,
          scores: result.scores,
          totals: result.totals,
        });
        return {
          cycles,
          last: { pod: queued.key, ...(result.node ? { node: result.node } : {}), ...(result.message ? { message: result.message } : {}) },
        };
      }),
      /** Count the pod on its node before the binding is written. */
      assumePod: ({ event }) => {
        const { queued, result } = (event as unknown as { output: CycleOutcome }).output;
        deps.cache.assume(queued.pod, result.node!);
      },
      spawnBinding: spawnChild("bindPod", {
        id: ({ event }) => `${BIND_PREFIX}${(event as unknown as { output: CycleOutcome }).output.queued.key}`,
        input: ({ event }) => {
          const { queued, result } = (event as unknown as { output: CycleOutcome }).output;
          return { pod: queued.pod, node: result.node! };
        },
      }),
      parkPod: assign(({ context, event }) => {
        const { queued, result } = (event as unknown as { output: CycleOutcome }).output;
        deps.queue.failed(queued.key, new Set(result.filters.map((f) => f.plugin)), true);
        // The room preemption makes is this pod's: lower-priority pods must not take it meanwhile.
        if (result.preemption) deps.cache.nominate(queued.pod, result.preemption.node);
        return { unschedulable: context.unschedulable + 1 };
      }),
      countSpawn: assign({ spawned: ({ context }) => context.spawned + 1 }),
      spawnFailureReport: spawnChild("reportUnschedulable", {
          id: ({ context }) => `report:${context.spawned}`,
          input: ({ event }) => {
            const { queued, result } = (event as unknown as { output: CycleOutcome }).output;
            return { pod: queued.pod, message: result.message ?? "", ...(result.preemption ? { preemption: result.preemption } : {}) };
          },
        }),
      bindingSucceeded: assign(({ context, event }) => {
        const { pod, node } = (event as unknown as { output: BindInput }).output;
        deps.queue.done(`${metaOf(pod).namespace}/${metaOf(pod).name}`);
        return { scheduled: context.scheduled + 1, spawned: context.spawned + 1 };
      }),
      spawnScheduledReport: spawnChild("reportScheduled", {
        id: ({ context }) => `scheduled:${context.spawned}`,
        input: ({ event }) => (event as unknown as { output: BindInput }).output,
      }),
      /** Give the node its room back and retry after backoff (a 404 means the pod is gone: drop it). */
      bindingFailed: assign(({ context, event }) => {
        const key = event.type.slice(`xstate.error.actor.${BIND_PREFIX}`.length);
        const error = (event as unknown as { error: unknown }).error;
        const code = (error as { status?: { code?: number } }).status?.code;
        log(`binding ${key} failed: ${(error as Error)?.message ?? error}`);
        deps.cache.forget(key);
        if (code === 404) deps.queue.done(key);
        else deps.queue.failed(key, [], false);
        return { bindFailures: context.bindFailures + 1 };
      }),
      logCycleError: ({ event }) => log(`scheduling cycle failed: ${(event as unknown as { error: Error }).error?.message}`),
      flushBackoff: () => {
        deps.queue.flushBackoff();
      },
      flushUnschedulable: () => {
        deps.queue.flushUnschedulable();
      },
    },
    delays: {
      backoffFlushInterval: 1_000,
      unschedulableFlushInterval: 30_000,
    },
  }).createMachine({
    id: "scheduler",
    type: "parallel",
    context: { cycles: 0, scheduled: 0, unschedulable: 0, bindFailures: 0, spawned: 0 },
    // A finished spawned actor is stopped at once: XState keeps every child in
    // the snapshot until then, and copying an ever-growing children map on
    // each transition cost a third of the scheduler's CPU in bench:controllers.
    on: {
      "xstate.done.actor.*": [
        {
          guard: ({ event }) => (event as { type: string }).type.startsWith(`xstate.done.actor.${BIND_PREFIX}`),
          actions: ["bindingSucceeded", "spawnScheduledReport", "stopFinishedChild"],
        },
        { guard: "isSpawnedChild", actions: "stopFinishedChild" },
      ],
      "xstate.error.actor.*": [
        {
          guard: ({ event }) => (event as { type: string }).type.startsWith(`xstate.error.actor.${BIND_PREFIX}`),
          actions: ["bindingFailed", "stopFinishedChild"],
        },
        { guard: "isSpawnedChild", actions: "stopFinishedChild" },
      ],
    },
    states: {
      Cycle: {
        initial: "WaitingForPods",
        states: {
          WaitingForPods: {
            always: { guard: "podsQueued", target: "Scheduling" },
            on: { PODS_QUEUED: { guard: "podsQueued", target: "Scheduling" } },
          },
          Scheduling: {
            invoke: {
              src: "scheduleNextPod",
              onDone: [
                { guard: "queueEmpty", target: "WaitingForPods" },
                { guard: "nodeFound", target: "Binding", actions: ["recordCycle", "assumePod", "spawnBinding"] },
                { target: "Unschedulable", actions: ["recordCycle", "parkPod", "countSpawn", "spawnFailureReport"] },
              ],
              onError: { target: "WaitingForPods", actions: "logCycleError" },
            },
          },
          // Binding and reporting run as spawned actors; these phases only hand them off.
          Binding: { always: "WaitingForPods" },
          Unschedulable: { always: "WaitingForPods" },
        },
      },
      BackoffFlush: {
        initial: "Waiting",
        states: { Waiting: { after: { backoffFlushInterval: { target: "Waiting", reenter: true, actions: "flushBackoff" } } } },
      },
      UnschedulableFlush: {
        initial: "Waiting",
        states: { Waiting: { after: { unschedulableFlushInterval: { target: "Waiting", reenter: true, actions: "flushUnschedulable" } } } },
      },
    },
  });
};

export type SchedulerMachine = ReturnType<typeof createSchedulerMachine>;
