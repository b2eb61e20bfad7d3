/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's
 * tools/leaderelection with a LeaseLock:
 *
 *   Candidate ──acquired──▶ Leader ──STOP──▶ Releasing ──▶ Stopped
 *      ▲  │                   │
 *      │  └── STOP ──▶ Stopped │ no successful renew within renewDeadline
 *      └──────────────────────┘ (leadership lost: stop acting, try again)
 *
 * Every attempt is client-go's tryAcquireOrRenew: a leader first renews
 * optimistically on the Lease it last saw; otherwise read the Lease (create
 * it when missing), give up while another holder's lease is still valid,
 * then write our record — always conditional on the resourceVersion read, so
 * two candidates can never both win. A lease's validity is judged by *our*
 * clock: the time we first observed its current record plus
 * leaseDurationSeconds, never the holder's renewTime (clock skew).
 *
 * Candidates retry every retryPeriod (jittered ×1.2, as wait.JitterUntil);
 * the leader renews every retryPeriod and loses leadership when no renewal
 * succeeded for renewDeadline — which is shorter than the lease duration, so
 * it stops acting before anyone else can take over. On STOP a leader
 * releases the lease (ReleaseOnCancel: empty holder, 1 s duration) so a
 * standby takes over at its next retry instead of waiting for expiry.
 *
 * I/O is three named actors (getLease, createLease, updateLease); timers are
 * `after` delays, so tests drive the machine on XState's SimulatedClock.
 * Transitions are emitted (`startedLeading`, `stoppedLeading`, `newLeader`)
 * for the owner to act on; `startLeaderElector` wires them to callbacks and
 * records upstream's `LeaderElection` events on the Lease.
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { type ActorOptions, type ActorRefFrom, type AnyActorLogic, assign, createActor, emit, enqueueActions, fromPromise, setup } from "xstate";
import { microTime, statusCodeOf } from "@kubeactor/api";
import type { JsonObject } from "@kubeactor/bus";
import type { ApiClient, ResourceRef } from "./api-client.ts";
import type { EventRecorder } from "./events.ts";

/** XState's clock interface (setTimeout/clearTimeout), e.g. its SimulatedClock. */
type Clock = NonNullable<ActorOptions<AnyActorLogic>["clock"]>;

export const LEASES: ResourceRef = { group: "coordination.k8s.io", version: "v1", resource: "leases" };

/** client-go's wait.JitterUntil factor for candidates' retries. */
export const JITTER_FACTOR = 1.2;

/** kube-controller-manager's and kube-scheduler's defaults (--leader-elect-*). */
export const LEADER_ELECTION_DEFAULTS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 } as const;

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends JsonObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  spec?: LeaseSpec;
}

export interface LeaderElectionTimings {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export interface LeaderElectionInput extends LeaderElectionTimings {
  readonly namespace: string;
  readonly name: string;
  /** `<hostname>_<uuid>`, unique per process (newIdentity()). */
  readonly identity: string;
  /** The clock lease validity is judged by; the actor's clock drives the delays. */
  readonly now?: () => number;
  readonly random?: () => number;
}

interface Observed {
  readonly lease: Lease;
  /** The spec as JSON: a change restarts the validity window. */
  readonly raw: string;
  /** When we first saw this record (our clock). */
  readonly at: number;
}

interface LeaderElectionContext extends LeaderElectionInput {
  readonly now: () => number;
  readonly random: () => number;
  readonly observed?: Observed;
  /** The last holder reported through `newLeader`. */
  readonly reportedLeader?: string;
}

export type LeaderElectionEmitted = { type: "startedLeading" } | { type: "stoppedLeading" } | { type: "newLeader"; identity: string };

/** `<hostname>_<uuid>`, as kube-controller-manager and kube-scheduler name themselves. */
export const newIdentity = (): string => `${hostname()}_${randomUUID()}`;

/** NewLeaderElector's checks, with its messages. */
export const validateTimings = (t: LeaderElectionTimings): void => {
  if (t.leaseDurationMs <= t.renewDeadlineMs) throw new Error("leaseDuration must be greater than renewDeadline");
  if (t.renewDeadlineMs <= JITTER_FACTOR * t.retryPeriodMs) throw new Error("renewDeadline must be greater than retryPeriod*JitterFactor");
  if (t.leaseDurationMs < 1000) throw new Error("leaseDuration must be at least 1s");
  if (t.retryPeriodMs < 1) throw new Error("retryPeriod must be greater than zero");
};

const holder = (o: Observed | undefined) => o?.lease.spec?.holderIdentity ?? "";
const isValid = (c: LeaderElectionContext) =>
  !!c.observed && c.observed.at + (c.observed.lease.spec?.leaseDurationSeconds ?? 0) * 1000 > c.now();
const isLeader = (c: LeaderElectionContext) => holder(c.observed) === c.identity;

/** The record tryAcquireOrRenew writes: ours, keeping acquireTime and transitions on renewal. */
export const desiredSpec = (c: Pick<LeaderElectionContext, "identity" | "leaseDurationMs" | "observed">, nowMs: number): LeaseSpec => {
  const t = microTime(nowMs);
  const old = c.observed?.lease.spec;
  const spec: LeaseSpec = { holderIdentity: c.identity, leaseDurationSeconds: Math.floor(c.leaseDurationMs / 1000), acquireTime: t, renewTime: t, leaseTransitions: 0 };
  if (!old) return spec;
  if (old.holderIdentity === c.identity) return { ...spec, acquireTime: old.acquireTime ?? t, leaseTransitions: old.leaseTransitions ?? 0 };
  return { ...spec, leaseTransitions: (old.leaseTransitions ?? 0) + 1 };
};

/** What release() writes: no holder, a one-second lease, transitions unchanged. */
export const releasedSpec = (old: LeaseSpec | undefined, nowMs: number): LeaseSpec => {
  const t = microTime(nowMs);
  return { holderIdentity: "", leaseDurationSeconds: 1, acquireTime: t, renewTime: t, leaseTransitions: old?.leaseTransitions ?? 0 };
};

const withSpec = (c: LeaderElectionContext, spec: LeaseSpec): Lease =>
  c.observed
    ? { ...c.observed.lease, spec: { ...c.observed.lease.spec, ...spec } }
    : { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: c.name, namespace: c.namespace }, spec };

type LeaseRef = { namespace: string; name: string };

/** One attempt of tryAcquireOrRenew; goes to `success` or `failure`. */
const attempt = <S extends string, F extends string>(success: S, failure: F) =>
  ({
  initial: "Deciding",
  states: {
    Deciding: { always: [{ guard: "canRenewOptimistically", target: "Renewing" }, { target: "Reading" }] },
    Renewing: {
      invoke: { src: "updateLease", input: ({ context }: { context: LeaderElectionContext }) => withSpec(context, desiredSpec(context, context.now())), onDone: { target: success, actions: "observeOwn" }, onError: "Reading" },
    },
    Reading: {
      invoke: {
        src: "getLease",
        input: ({ context }: { context: LeaderElectionContext }) => ({ namespace: context.namespace, name: context.name }),
        onDone: [{ guard: "leaseMissing", target: "Creating" }, { target: "Checking", actions: ["observe", "reportTransition"] }],
        onError: failure,
      },
    },
    Checking: { always: [{ guard: "heldByAnother", target: failure }, { target: "Updating" }] },
    Creating: {
      invoke: { src: "createLease", input: ({ context }: { context: LeaderElectionContext }) => withSpec({ ...context, observed: undefined }, desiredSpec({ ...context, observed: undefined }, context.now())), onDone: { target: success, actions: ["observeOwn", "reportTransition"] }, onError: failure },
    },
    Updating: {
      invoke: { src: "updateLease", input: ({ context }: { context: LeaderElectionContext }) => withSpec(context, desiredSpec(context, context.now())), onDone: { target: success, actions: ["observeOwn", "reportTransition"] }, onError: failure },
    },
  },
}) as const;

export const leaderElectionMachine = setup({
  types: {
    input: {} as LeaderElectionInput,
    context: {} as LeaderElectionContext,
    events: {} as { type: "STOP" },
    emitted: {} as LeaderElectionEmitted,
  },
  actors: {
    /** The Lease, or null when it does not exist (404). */
    getLease: fromPromise<Lease | null, LeaseRef>(async () => {
      throw new Error("getLease not provided");
    }),
    createLease: fromPromise<Lease, Lease>(async () => {
      throw new Error("createLease not provided");
    }),
    /** Conditional on metadata.resourceVersion (409 when someone wrote in between). */
    updateLease: fromPromise<Lease, Lease>(async () => {
      throw new Error("updateLease not provided");
    }),
  },
  guards: {
    canRenewOptimistically: ({ context }) => isLeader(context) && isValid(context),
    leaseMissing: ({ event }) => (event as { output?: Lease | null }).output === null,
    heldByAnother: ({ context }) => holder(context.observed) !== "" && isValid(context) && !isLeader(context),
  },
  actions: {
    /** A read: the validity window restarts only when the record changed. */
    observe: assign({
      observed: ({ context, event }) => {
        const lease = (event as unknown as { output: Lease }).output;
        const raw = JSON.stringify(lease.spec ?? {});
        return context.observed?.raw === raw ? { ...context.observed, lease } : { lease, raw, at: context.now() };
      },
    }),
    /** Our own successful write. */
    observeOwn: assign({
      observed: ({ context, event }) => {
        const lease = (event as unknown as { output: Lease }).output;
        return { lease, raw: JSON.stringify(lease.spec ?? {}), at: context.now() };
      },
    }),
    reportTransition: enqueueActions(({ context, enqueue }) => {
      const now = holder(context.observed);
      if (now === (context.reportedLeader ?? "")) return;
      enqueue.assign({ reportedLeader: now });
      if (now) enqueue.emit({ type: "newLeader", identity: now });
    }),
    startedLeading: emit({ type: "startedLeading" }),
    stoppedLeading: emit({ type: "stoppedLeading" }),
  },
  delays: {
    retryPeriod: ({ context }) => context.retryPeriodMs,
    jitteredRetryPeriod: ({ context }) => context.retryPeriodMs * (1 + context.random() * JITTER_FACTOR),
    renewDeadline: ({ context }) => context.renewDeadlineMs,
  },
}).createMachine({
  id: "leaderElection",
  context: ({ input }) => ({ ...input, now: input.now ?? Date.now, random: input.random ?? Math.random }),
  initial: "Candidate",
  states: {
    Candidate: {
      tags: ["candidate"],
      initial: "Trying",
      on: { STOP: "Stopped" },
      states: {
        Trying: attempt("#leaderElection.Leader", "#leaderElection.Candidate.Waiting"),
        Waiting: { after: { jitteredRetryPeriod: "Trying" } },
      },
    },
    Leader: {
      tags: ["leader"],
      entry: "startedLeading",
      exit: "stoppedLeading",
      initial: "Holding",
      on: { STOP: "Releasing" },
      states: {
        Holding: { after: { retryPeriod: "Renewing" } },
        // The deadline runs from the first try of a renewal and is reset by
        // leaving this state: a success goes back to Holding.
        Renewing: {
          after: { renewDeadline: "#leaderElection.Candidate" },
          initial: "Trying",
          states: {
            Trying: attempt("#leaderElection.Leader.Holding", "#leaderElection.Leader.Renewing.Retrying"),
            Retrying: { after: { retryPeriod: "Trying" } },
          },
        },
      },
    },
    Releasing: {
      invoke: {
        src: "updateLease",
        input: ({ context }) => withSpec(context, releasedSpec(context.observed?.lease.spec, context.now())),
        onDone: "Stopped",
        onError: "Stopped",
      },
    },
    Stopped: { type: "final" },
  },
});

export type LeaderElectionActor = ActorRefFrom<typeof leaderElectionMachine>;

const isNotFound = (e: unknown) => statusCodeOf(e) === 404;

/** The machine with its I/O bound to the Kubernetes API. */
export const leaseMachine = (api: ApiClient) =>
  leaderElectionMachine.provide({
    actors: {
      getLease: fromPromise<Lease | null, LeaseRef>(async ({ input }) => {
        try {
          return (await api.get(LEASES, input.namespace, input.name)) as Lease;
        } catch (e) {
          if (isNotFound(e)) return null;
          throw e;
        }
      }),
      createLease: fromPromise<Lease, Lease>(async ({ input }) => (await api.create(LEASES, input.metadata?.namespace ?? "", input)) as Lease),
      updateLease: fromPromise<Lease, Lease>(async ({ input }) => (await api.update(LEASES, input.metadata?.namespace ?? "", input)) as Lease),
    },
  });

/** What a component's `leaderElection` option holds (its `--leader-elect-*` flags). */
export interface LeaderElectionConfig extends Partial<LeaderElectionTimings> {
  /** Default `<hostname>_<uuid>`. */
  readonly identity?: string;
  /** Default kube-system (`--leader-elect-resource-namespace`). */
  readonly namespace?: string;
  /** Default the component's Lease (`--leader-elect-resource-name`). */
  readonly name?: string;
}

export interface LeaderElectorOptions extends Partial<LeaderElectionTimings> {
  readonly api: ApiClient;
  /** Lease namespace (default kube-system). */
  readonly namespace?: string;
  /** Lease name: `kube-controller-manager`, `kube-scheduler`. */
  readonly name: string;
  readonly identity?: string;
  /** Records `LeaderElection` events (`<identity> became leader`) on the Lease. */
  readonly recorder?: EventRecorder;
  readonly log?: (line: string) => void;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly onNewLeader?: (identity: string) => void;
  /** For tests: XState's clock for the delays, and the matching `now`. */
  readonly clock?: Clock;
  readonly now?: () => number;
}

export interface LeaderElector {
  readonly actor: LeaderElectionActor;
  readonly identity: string;
  isLeader(): boolean;
  /** Stops electing; a leader releases the lease first. Resolves when Stopped. */
  stop(): Promise<void>;
}

/** Starts electing at once (the first attempt runs immediately). */
export const startLeaderElector = (opts: LeaderElectorOptions): LeaderElector => {
  const timings = {
    leaseDurationMs: opts.leaseDurationMs ?? LEADER_ELECTION_DEFAULTS.leaseDurationMs,
    renewDeadlineMs: opts.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs,
    retryPeriodMs: opts.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs,
  };
  validateTimings(timings);
  const identity = opts.identity ?? newIdentity();
  const namespace = opts.namespace ?? "kube-system";
  const log = opts.log ?? (() => {});
  const desc = `${namespace}/${opts.name}`;
  const actor = createActor(leaseMachine(opts.api), {
    input: { ...timings, namespace, name: opts.name, identity, ...(opts.now ? { now: opts.now } : {}) },
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  /** upstream LeaseLock.RecordEvent: on the Lease, `<identity> <what>`. */
  const recordEvent = (what: string) => {
    const lease = actor.getSnapshot().context.observed?.lease;
    if (!opts.recorder || !lease) return;
    void opts.recorder.record({ ...lease, apiVersion: "coordination.k8s.io/v1", kind: "Lease" }, "Normal", "LeaderElection", `${identity} ${what}`);
  };
  actor.on("startedLeading", () => {
    log(`successfully acquired lease ${desc}`);
    recordEvent("became leader");
    opts.onStartedLeading();
  });
  actor.on("stoppedLeading", () => {
    log(`stopped leading ${desc}`);
    recordEvent("stopped leading");
    opts.onStoppedLeading();
  });
  actor.on("newLeader", (e) => {
    if (e.identity !== identity) log(`new leader elected: ${e.identity}`);
    opts.onNewLeader?.(e.identity);
  });
  log(`attempting to acquire leader lease ${desc}...`);
  actor.start();
  return {
    actor,
    identity,
    isLeader: () => actor.getSnapshot().hasTag("leader"),
    stop: () =>
      new Promise<void>((resolve) => {
        if (actor.getSnapshot().status !== "active") return resolve();
        const sub = actor.subscribe({
          next: (s) => {
            if (s.status !== "active") {
              sub.unsubscribe();
              resolve();
            }
          },
          error: () => resolve(),
        });
        actor.send({ type: "STOP" });
      }),
  };
};
