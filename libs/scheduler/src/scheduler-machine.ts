/**
 * The scheduler as an XState machine. Two kinds of regions run in parallel:
 *
 * - `Cycle`: WaitingForPods → Scheduling → WaitingForPods. `Scheduling`
 *   pops pods and runs the profile's filters and scores for each, one after
 *   the other, in batches of up to 64 pods or 20 ms (the `scheduleNextPods`
 *   actor): a fit is assumed in the cache at once and its binding is handed
 *   to the `schedulerIO` actor, so the next cycle starts without waiting for
 *   the API (kube's asynchronous binding cycle); no fit parks the pod and
 *   hands `reportUnschedulable` (FailedScheduling event + PodScheduled=False)
 *   to the same actor. Each pod's cycle is still published and counted
 *   (`context.cycles`, `last`).
 * - `BackoffFlush` / `UnschedulableFlush`: `after` timers that move pods out
 *   of backoff (every second) and out of the unschedulable pool (every 30 s,
 *   for pods parked 5 minutes), so a simulated clock can drive them.
 *
 * All I/O is in the one invoked `schedulerIO` actor (bindings, events, status
 * writes, evictions), which runs each request as a promise and sends back
 * BOUND (every binding that succeeded since the last one, in one event:
 * XState's event processing was ~11% of the scheduler's CPU in a
 * SchedulingBasic profile, most of it one BOUND per pod) /
 * BIND_FAILED; tests replace it with `machine.provide`. One long-lived
 * actor rather than a spawned child per binding: XState copies the children
 * map on every spawn and stop, which made a burst of N in-flight bindings cost
 * O(N²) (a quarter of the scheduler's CPU in bench:scheduler).
 */
import { statusCodeOf } from "@kubeactor/api";
import { assign, enqueueActions, fromCallback, fromPromise, setup } from "xstate";
import { type CycleResult, type FilterRecord, type NodeCursor, scheduleOne } from "./algorithm.ts";
import type { SchedulerCache } from "./cache.ts";
import { type Pod, podKey } from "./framework.ts";
import type { Candidate } from "./preemption.ts";
import type { Profile } from "./profile.ts";
import type { QueuedPod, SchedulingQueue } from "./queue.ts";

export interface SchedulerDeps {
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;
  readonly profile: Profile;
  /** With several profiles: the one named by the pod's spec.schedulerName (default: `profile`). */
  readonly profileFor?: (pod: Pod) => Profile;
  /** Tie-breaking among equal best scores. */
  readonly random?: () => number;
  /** Each cycle's record (a SchedulingCycle, see encodeCycleRecord), as JSON, for the pod it decided. */
  readonly publishCycle?: (pod: { readonly namespace: string; readonly name: string }, json: string) => void;
  readonly log?: (line: string) => void;
}

/**
 * A batch of decisions ends after this many pods or milliseconds, whichever
 * comes first, so bindings, reports and informer events get their turn.
 */
export const BATCH_MAX_PODS = 64;
export const BATCH_MAX_MS = 20;

const outcomesOf = (event: unknown): readonly CycleOutcome[] => (event as { output: CycleOutcome[] }).output;

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
  /** The last cycle's outcome, for the inspector. */
  last?: { pod: string; node?: string; message?: string };
}

export type SchedulerEvent =
  | { type: "PODS_QUEUED" }
  // From the schedulerIO actor: the bindings that succeeded since its last BOUND.
  | { type: "BOUND"; inputs: readonly BindInput[] }
  | { type: "BIND_FAILED"; input: BindInput; error: unknown };

/** What the machine asks of the schedulerIO actor. */
export type SchedulerIOEvent =
  | { type: "BIND"; input: BindInput }
  | { type: "REPORT_UNSCHEDULABLE"; input: ReportInput }
  | { type: "REPORT_SCHEDULED"; input: BindInput };

/** The scheduler's I/O: the binding, and the best-effort reports (their failures are logged). */
export interface SchedulerIO {
  bind(input: BindInput): Promise<unknown>;
  reportUnschedulable(input: ReportInput): Promise<void>;
  reportScheduled(input: BindInput): Promise<void>;
}

/**
 * Requests the schedulerIO actor keeps in flight at once; the rest wait their
 * turn. Bindings are bounded apart from reports (a report that preempts makes
 * several calls, and must not hold up bindings). Without a bound, a backlog
 * of thousands of pods (a restarted scheduler) fired thousands of bindings at
 * the API server at once, every one timed out, went to backoff and came back
 * together (kube-scheduler's client is rate-limited the same way, by QPS).
 *
 * Bindings get many more: a binding is two store round trips through the API
 * server, ~50 ms under load and ~100 ms while pods are being created as fast
 * as it can, so 64 in flight capped the scheduler at ~640 pods/s however fast
 * it decided (bench:scheduler saw thousands of decided pods waiting for their
 * turn to bind). 512 keep a 2-core cluster's API server busy, and stay far
 * below what times out.
 */
export const MAX_BINDINGS_IN_FLIGHT = 512;
export const MAX_REPORTS_IN_FLIGHT = 64;

/** The schedulerIO actor over plain async functions: up to `limits.bindings` bindings and `limits.reports` reports at once; a binding's outcome goes back to the machine. */
export const schedulerIO = (
  io: SchedulerIO,
  log: (line: string) => void = () => {},
  limits: { readonly bindings: number; readonly reports: number } = { bindings: MAX_BINDINGS_IN_FLIGHT, reports: MAX_REPORTS_IN_FLIGHT },
) =>
  fromCallback<SchedulerIOEvent>(({ sendBack, receive }) => {
    const lanes = {
      bindings: { waiting: [] as SchedulerIOEvent[], inFlight: 0, max: limits.bindings },
      reports: { waiting: [] as SchedulerIOEvent[], inFlight: 0, max: limits.reports },
    };
    // Bindings answered in the same turn (one socket read carries many replies) go back as one BOUND.
    let bound: BindInput[] = [];
    const flushBound = () => {
      const inputs = bound;
      bound = [];
      sendBack({ type: "BOUND", inputs });
    };
    const run = (e: SchedulerIOEvent): Promise<unknown> => {
      if (e.type === "BIND")
        return io.bind(e.input).then(
          () => {
            if (bound.push(e.input) === 1) setImmediate(flushBound);
          },
          (error: unknown) => sendBack({ type: "BIND_FAILED", input: e.input, error }),
        );
      const { namespace, name } = metaOf(e.input.pod);
      const report = e.type === "REPORT_SCHEDULED" ? io.reportScheduled(e.input) : io.reportUnschedulable(e.input);
      return report.catch((error: unknown) => log(`report for ${namespace}/${name} failed: ${(error as Error)?.message ?? error}`));
    };
    const pump = (lane: (typeof lanes)["bindings"]) => {
      while (lane.inFlight < lane.max) {
        const next = lane.waiting.shift();
        if (!next) return;
        lane.inFlight++;
        void run(next).finally(() => {
          lane.inFlight--;
          pump(lane);
        });
      }
    };
    receive((e) => {
      const lane = e.type === "BIND" ? lanes.bindings : lanes.reports;
      lane.waiting.push(e);
      pump(lane);
    });
  });

/**
 * The cycle record is bounded: per-plugin scores for the best-scoring nodes
 * only, totals for the best CYCLE_LISTED_NODES feasible nodes, and rejected
 * nodes counted per plugin and reason with the first CYCLE_LISTED_NODES
 * listed. In a 5000-node cluster a cycle finds ~500 feasible nodes and may
 * reject thousands; listing them all made the record ~20 KB per pod (up to
 * ~100 KB with a topology spread), and encoding and sending it cost more
 * CPU than the scheduling decision itself.
 */
export const CYCLE_SCORED_NODES = 10;
export const CYCLE_LISTED_NODES = 50;

/** Indices of the `n` highest totals in one pass (no sort of every feasible node), ties to the earlier node; in node order. */
const bestIndices = (totals: readonly number[], n: number): number[] => {
  const top: number[] = [];
  for (let i = 0; i < totals.length; i++) {
    const score = totals[i]!;
    if (top.length === n && score <= totals[top[n - 1]!]!) continue;
    let j = top.length === n ? n - 1 : top.length;
    while (j > 0 && totals[top[j - 1]!]! < score) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = i;
  }
  return top.sort((a, b) => a - b);
};

const withChosen = (indices: number[], result: CycleResult): number[] => {
  const chosen = result.node ? result.feasible.indexOf(result.node) : -1;
  return chosen >= 0 && !indices.includes(chosen) ? [...indices, chosen].sort((a, b) => a - b) : indices;
};

/** The header of a cycle's record: which pod, which attempt, when and how long. */
export interface CycleHead {
  readonly cycle: number;
  readonly pod: { readonly namespace: string; readonly name: string; readonly uid?: string };
  readonly attempt: number;
  readonly startedAt: string;
  readonly durationMs: number;
}

const q = JSON.stringify;
/** Node names as JSON strings: every record lists ~60 of them, and they repeat from cycle to cycle. Bounded: cleared when full. */
const quotedNames = new Map<string, string>();
const quotedName = (name: string): string => {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    if (quotedNames.size >= 65_536) quotedNames.clear();
    quotedNames.set(name, (quoted = q(name)));
  }
  return quoted;
};

/**
 * What the bus carries for a cycle (kube.scheduler.cycle, a SchedulingCycle),
 * as JSON: see CYCLE_LISTED_NODES for what is listed. Written straight from
 * the cycle's arrays instead of building ~100 small objects for
 * JSON.stringify: the record cost a third as much CPU as the decision.
 */
export const encodeCycleRecord = (head: CycleHead, result: CycleResult): string => {
  const { feasible, filters } = result;
  const totals = result.totalScores ?? result.totals.map((t) => t.score);
  const listed = feasible.length <= CYCLE_LISTED_NODES ? undefined : withChosen(bestIndices(totals, CYCLE_LISTED_NODES), result);
  const scored = totals.length <= CYCLE_SCORED_NODES || !result.pluginScores ? undefined : withChosen(bestIndices(totals, CYCLE_SCORED_NODES), result);
  const rejected = new Map<string, { plugin: string; code: FilterRecord["code"]; reasons: readonly string[]; count: number }>();
  for (const f of filters) {
    const key = `${f.plugin}\u0000${f.code}\u0000${f.reasons.join("\u0000")}`;
    const r = rejected.get(key);
    if (r) r.count++;
    else rejected.set(key, { plugin: f.plugin, code: f.code, reasons: f.reasons, count: 1 });
  }
  let json = `{"cycle":${head.cycle},"pod":${q(head.pod)},"attempt":${head.attempt},"startedAt":${q(head.startedAt)},"durationMs":${head.durationMs}`;
  json += `,"result":"${result.node ? "Assumed" : "Unschedulable"}"`;
  if (result.node) json += `,"node":${q(result.node)}`;
  if (result.message) json += `,"message":${q(result.message)}`;
  json += `,"numNodes":${result.numNodes},"numFeasible":${feasible.length}`;
  json += `,"feasible":${q(listed ? listed.map((i) => feasible[i]!) : feasible)}`;
  json += `,"rejected":${q([...rejected.values()])}`;
  json += `,"filters":${q(filters.length <= CYCLE_LISTED_NODES ? filters : filters.slice(0, CYCLE_LISTED_NODES))}`;
  if (scored) {
    // scoreRecords' entries (plugin by plugin, in node order), without the objects.
    let sep = "";
    json += `,"scores":[`;
    for (const p of result.pluginScores!) {
      const tail = `,"plugin":${q(p.plugin)},"weight":${p.weight},"raw":`;
      for (const i of scored) {
        json += sep + '{"node":' + quotedName(feasible[i]!) + tail + p.raw[i]! + ',"normalized":' + p.normalized[i]! + "}";
        sep = ",";
      }
    }
    json += "]";
  } else json += `,"scores":${q(result.scores)}`;
  const which = listed ?? feasible.keys();
  let sep = "";
  json += `,"totals":[`;
  for (const i of which) {
    json += sep + '{"node":' + quotedName(feasible[i]!) + ',"score":' + totals[i]! + "}";
    sep = ",";
  }
  return `${json}]}`;
};

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
      /**
       * Pop pods and decide them one after the other until the queue is empty
       * or a batch is full (BATCH_MAX_PODS pods or BATCH_MAX_MS): each fit is
       * assumed in the cache at once, so the next decision sees it, as kube's
       * scheduleOne loop does. One invocation per batch, not per pod: an
       * invoked actor costs more CPU than deciding a pod in a 5000-node cluster.
       */
      scheduleNextPods: fromPromise<CycleOutcome[]>(async () => {
        // A macrotask turn first: invocations chain through promises (microtasks) and would otherwise
        // keep binding replies and informer events waiting until the whole queue is decided.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const outcomes: CycleOutcome[] = [];
        const batchStart = performance.now();
        while (outcomes.length < BATCH_MAX_PODS && performance.now() - batchStart < BATCH_MAX_MS) {
          const queued = deps.queue.pop();
          if (!queued) break;
          const started = performance.now();
          const startedAt = new Date().toISOString();
          const result = scheduleOne(deps.profileFor?.(queued.pod) ?? deps.profile, deps.cache, queued.pod, deps.random, cursor);
          // Count the pod on its node before the binding is written; hold the room a preemption makes for it.
          if (result.node) deps.cache.assume(queued.pod, result.node);
          else if (result.preemption) deps.cache.nominate(queued.pod, result.preemption.node);
          outcomes.push({ queued, result, startedAt, durationMs: performance.now() - started });
        }
        return outcomes;
      }),
      /**
       * The binding (POST pods/binding); preemption's evictions (when any), FailedScheduling event,
       * PodScheduled=False (+ nominatedNodeName); the Scheduled event. Replaced in tests and by startScheduler.
       */
      schedulerIO: schedulerIO({
        bind: async (input) => {
          throw new Error(`no schedulerIO implementation provided (pod ${metaOf(input.pod).name})`);
        },
        reportUnschedulable: async () => {},
        reportScheduled: async () => {},
      }),
    },
    guards: {
      podsQueued: () => deps.queue.lengths.active > 0,
      queueEmpty: ({ event }) => outcomesOf(event).length === 0,
    },
    actions: {
      /** Publish each cycle's record; count cycles, fits and failures; remember the last outcome. */
      recordCycles: assign(({ context, event }) => {
        let { cycles, unschedulable } = context;
        let last = context.last;
        for (const { queued, result, startedAt, durationMs } of outcomesOf(event)) {
          cycles++;
          if (!result.node) unschedulable++;
          if (deps.publishCycle) {
            const { namespace, name } = metaOf(queued.pod);
            const pod = { namespace, name, ...(queued.pod.metadata?.uid ? { uid: queued.pod.metadata.uid } : {}) };
            deps.publishCycle(pod, encodeCycleRecord({ cycle: cycles, pod, attempt: queued.attempts, startedAt, durationMs }, result));
          }
          last = { pod: queued.key, ...(result.node ? { node: result.node } : {}), ...(result.message ? { message: result.message } : {}) };
        }
        return { cycles, unschedulable, ...(last ? { last } : {}) };
      }),
      /** Pods no node fits are parked, or wait for their victims (their nomination is already in the cache). */
      parkPods: ({ event }) => {
        for (const { queued, result } of outcomesOf(event)) {
          if (result.node) continue;
          deps.queue.failed(queued.key, new Set(result.filters.map((f) => f.plugin)), true);
          // Retried when the last victim is gone (and not before: it would only preempt again).
          if (result.preemption) deps.queue.awaitVictims(queued.key, result.preemption.victims.map(podKey).filter((k) => deps.cache.isCounted(k)));
        }
      },
      /** Hand each binding, and each failure's report, to the schedulerIO actor. */
      requestIO: enqueueActions(({ enqueue, event }) => {
        for (const { queued, result } of outcomesOf(event)) {
          if (result.node) enqueue.sendTo("io", { type: "BIND", input: { pod: queued.pod, node: result.node } } satisfies SchedulerIOEvent);
          else {
            const input = { pod: queued.pod, message: result.message ?? "", ...(result.preemption ? { preemption: result.preemption } : {}) };
            enqueue.sendTo("io", { type: "REPORT_UNSCHEDULABLE", input } satisfies SchedulerIOEvent);
          }
        }
      }),
      bindingSucceeded: assign(({ context, event }) => {
        const { inputs } = event as Extract<SchedulerEvent, { type: "BOUND" }>;
        for (const { pod } of inputs) deps.queue.done(`${metaOf(pod).namespace}/${metaOf(pod).name}`);
        return { scheduled: context.scheduled + inputs.length };
      }),
      requestScheduledReport: enqueueActions(({ enqueue, event }) => {
        for (const input of (event as Extract<SchedulerEvent, { type: "BOUND" }>).inputs)
          enqueue.sendTo("io", { type: "REPORT_SCHEDULED", input } satisfies SchedulerIOEvent);
      }),
      /** Give the node its room back and retry after backoff (a 404 means the pod is gone: drop it). */
      bindingFailed: assign(({ context, event }) => {
        const { input, error } = event as Extract<SchedulerEvent, { type: "BIND_FAILED" }>;
        const key = `${metaOf(input.pod).namespace}/${metaOf(input.pod).name}`;
        const code = statusCodeOf(error);
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
    context: { cycles: 0, scheduled: 0, unschedulable: 0, bindFailures: 0 },
    invoke: { id: "io", src: "schedulerIO" },
    on: {
      BOUND: { actions: ["bindingSucceeded", "requestScheduledReport"] },
      BIND_FAILED: { actions: "bindingFailed" },
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
              src: "scheduleNextPods",
              onDone: [
                { guard: "queueEmpty", target: "WaitingForPods" },
                // Binding and reporting run in the schedulerIO actor; this only hands them off.
                { target: "WaitingForPods", actions: ["recordCycles", "parkPods", "requestIO"] },
              ],
              onError: { target: "WaitingForPods", actions: "logCycleError" },
            },
          },
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
