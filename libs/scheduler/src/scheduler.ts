/**
 * The runnable scheduler: informers on nodes and pods feed the cache and the
 * queue; after both have synced, the scheduler machine runs. Pods it owns:
 * `spec.schedulerName` empty or the profile's, not bound, not terminating,
 * not finished.
 */
import { type AnyActorRef, createActor, type InspectionEvent } from "xstate";
import type { Bus, JsonObject } from "@kubeactor/bus";
import { ApiClient, EventRecorder, Informer, type LeaderElectionConfig, startLeaderElector, StoreClient, stripManagedFields } from "@kubeactor/client";
import { SchedulerCache } from "./cache.ts";
import { type Node, type Pod, podKey } from "./framework.ts";
import { DEFAULT_SCHEDULER_NAME, defaultProfile, type Profile } from "./profile.ts";
import { informerObjects } from "./objects.ts";
import { SchedulingQueue } from "./queue.ts";
import { evictVictims, reportUnschedulable, Scheduled, scheduledMessage } from "./report.ts";
import { type BindInput, createSchedulerMachine, type ReportInput, schedulerIO } from "./scheduler-machine.ts";
import { schedulerCycle } from "@kubeactor/bus";

export interface SchedulerOptions {
  readonly bus: Bus;
  readonly log?: (line: string) => void;
  /** Passed to xstate's createActor. */
  readonly inspect?: (event: InspectionEvent) => void;
  readonly profile?: Profile;
  /** Several profiles (`--config`): each pod goes to the one its spec.schedulerName names. Overrides `profile`. */
  readonly profiles?: readonly Profile[];
  readonly random?: () => number;
  /** The backoff queue's per-pod delay (podInitialBackoffSeconds / podMaxBackoffSeconds); kube's 1 s → 10 s when absent. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /**
   * Leader election on the Lease kube-system/kube-scheduler (`--leader-elect`):
   * informers and cache run always (a warm standby), scheduling only while
   * leading. Off when absent.
   */
  readonly leaderElection?: LeaderElectionConfig;
}

export interface RunningScheduler {
  /** The machine's actor (snapshot: phase and counters); undefined while not leading. */
  readonly actor: AnyActorRef | undefined;
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;
  stop(): Promise<void>;
}

const finished = (p: Pod) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed";

export const startScheduler = async (opts: SchedulerOptions): Promise<RunningScheduler> => {
  const log = opts.log ?? ((line: string) => console.error(`scheduler: ${line}`));
  const profiles = opts.profiles && opts.profiles.length > 0 ? opts.profiles : [opts.profile ?? defaultProfile()];
  const profile = profiles[0]!;
  const byName = new Map(profiles.map((p) => [p.schedulerName, p]));
  const api = new ApiClient(opts.bus, "kube-scheduler");
  const store = new StoreClient(opts.bus);
  // Events name the profile that decided (kube's reportingController is the schedulerName).
  const recorders = new Map(profiles.map((p) => [p.schedulerName, new EventRecorder(api, { component: p.schedulerName }, log)]));
  const profileFor = (p: Pod) => byName.get(p.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) ?? profile;
  const recorderFor = (p: Pod) => recorders.get(profileFor(p).schedulerName)!;
  const cache = new SchedulerCache();
  let actor: AnyActorRef | undefined;
  const queue = new SchedulingQueue({
    onActive: () => actor?.send({ type: "PODS_QUEUED" }),
    ...(opts.backoff ? { initialBackoffMs: opts.backoff.initialMs, maxBackoffMs: opts.backoff.maxMs } : {}),
  });

  const ours = (p: Pod) =>
    !p.spec?.nodeName && !p.metadata?.deletionTimestamp && !finished(p) && byName.has(p.spec?.schedulerName || DEFAULT_SCHEDULER_NAME);

  // Read through the handlers only: no indexes, and no managedFields kept (status writes without them keep the stored ones).
  const lean = { indexes: {}, transform: stripManagedFields };
  const nodes = new Informer(opts.bus, store, { group: "", resource: "nodes", log, ...lean });
  const pods = new Informer(opts.bus, store, { group: "", resource: "pods", log, ...lean });
  // What InterPodAffinity (namespaceSelector) and PodTopologySpread (default spreading) read besides nodes and pods.
  const others = {
    namespaces: new Informer(opts.bus, store, { group: "", resource: "namespaces", log }),
    services: new Informer(opts.bus, store, { group: "", resource: "services", log }),
    replicaSets: new Informer(opts.bus, store, { group: "apps", resource: "replicasets", log }),
    statefulSets: new Informer(opts.bus, store, { group: "apps", resource: "statefulsets", log }),
    replicationControllers: new Informer(opts.bus, store, { group: "", resource: "replicationcontrollers", log }),
    // Preemption prefers victims whose eviction violates no budget.
    podDisruptionBudgets: new Informer(opts.bus, store, { group: "policy", resource: "poddisruptionbudgets", log }),
  };
  cache.objects = informerObjects(others);
  nodes.addHandler({
    onAdd: (o) => {
      cache.addNode(o as unknown as Node);
      queue.onClusterEvent("NodeAdd");
    },
    onUpdate: (oldObj, o) => {
      const [a, b] = [oldObj as unknown as Node, o as unknown as Node];
      cache.updateNode(b);
      // Heartbeats and conditions change nothing a filter reads.
      const relevant = (n: Node) => JSON.stringify([n.metadata?.labels, n.spec, n.status?.allocatable, n.status?.capacity]);
      if (relevant(a) !== relevant(b)) queue.onClusterEvent("NodeUpdate");
    },
    onDelete: (o) => cache.removeNode((o.metadata as { name?: string } | undefined)?.name ?? ""),
  });
  pods.addHandler({
    onAdd: (o) => {
      const p = o as unknown as Pod;
      if (p.spec?.nodeName) {
        cache.upsertPod(p);
        queue.onClusterEvent("AssignedPodAdd");
      } else {
        cache.upsertPod(p); // a pending pod may carry status.nominatedNodeName
        if (ours(p)) queue.add(p);
      }
    },
    onUpdate: (oldObj, o) => {
      const [old, p] = [oldObj as unknown as Pod, o as unknown as Pod];
      if (p.spec?.nodeName) {
        cache.upsertPod(p);
        if (!old.spec?.nodeName) {
          queue.delete(podKey(p));
          queue.onClusterEvent("AssignedPodAdd");
        } else if (finished(p) && !finished(old)) queue.onClusterEvent("AssignedPodDelete");
        else if (JSON.stringify([old.spec, old.metadata?.labels]) !== JSON.stringify([p.spec, p.metadata?.labels])) queue.onClusterEvent("AssignedPodUpdate");
      } else {
        cache.upsertPod(p);
        if (ours(p)) queue.update(p);
        else queue.delete(podKey(p));
      }
    },
    onDelete: (o) => {
      const p = o as unknown as Pod;
      cache.removePod(p);
      queue.delete(podKey(p));
      queue.victimGone(podKey(p));
      if (p.spec?.nodeName) queue.onClusterEvent("AssignedPodDelete");
    },
  });
  await Promise.all([nodes.start(), pods.start(), ...Object.values(others).map((i) => i.start())]);

  const machine = createSchedulerMachine({
    queue,
    cache,
    profile,
    profileFor,
    log,
    ...(opts.random ? { random: opts.random } : {}),
    publishCycle: (pod, json) => opts.bus.publishEncoded(schedulerCycle, { namespace: pod.namespace, pod: pod.name }, json),
  }).provide({
    actors: {
      schedulerIO: schedulerIO(
        {
          bind: (input: BindInput) => api.bind(input.pod.metadata?.namespace ?? "", input.pod.metadata?.name ?? "", input.node),
          reportUnschedulable: async (input: ReportInput) => {
            const p = input.preemption;
            // Nomination and evictions together: the status write is conditional and stops if the pod was bound meanwhile
            // (once the victims are gone the preemptor may be bound at once, and a bound pod's status is not ours to write).
            const [, failed] = await Promise.all([
              reportUnschedulable(api, recorderFor(input.pod), input.pod, input.message, log, p?.node),
              p ? evictVictims(api, recorderFor(input.pod), profileFor(input.pod).schedulerName, input.pod, p.node, p.victims, log) : 0,
            ]);
            // Victims left in place: the preemptor would wait for them in vain; it decides again after backoff.
            if (failed > 0) queue.evictionFailed(podKey(input.pod));
          },
          reportScheduled: (input: BindInput) =>
            recorderFor(input.pod).record(input.pod as unknown as JsonObject, "Normal", Scheduled, scheduledMessage(input.pod, input.node)),
        },
        log,
      ),
    },
  });
  // A term of leadership runs a fresh machine; a lost lease stops it (kube-scheduler exits instead).
  const startScheduling = () => {
    actor = createActor(machine, { systemId: "scheduler", ...(opts.inspect ? { inspect: opts.inspect } : {}) });
    actor.start();
    actor.send({ type: "PODS_QUEUED" });
  };
  const stopScheduling = () => {
    actor?.stop();
    actor = undefined;
  };
  const le = opts.leaderElection;
  const elector = le
    ? startLeaderElector({ api, ...le, name: le.name ?? "kube-scheduler", recorder: recorderFor({} as Pod), log: (l) => log(`leaderelection: ${l}`), onStartedLeading: startScheduling, onStoppedLeading: stopScheduling })
    : (startScheduling(), undefined);

  return {
    get actor() {
      return actor;
    },
    queue,
    cache,
    stop: async () => {
      stopScheduling();
      nodes.stop();
      pods.stop();
      for (const i of Object.values(others)) i.stop();
      await elector?.stop();
    },
  };
};
