/**
 * The runnable scheduler: informers on nodes and pods feed the cache and the
 * queue; after both have synced, the scheduler machine runs. Pods it owns:
 * `spec.schedulerName` empty or the profile's, not bound, not terminating,
 * not finished.
 */
import { type AnyActorRef, createActor, fromPromise, type InspectionEvent } from "xstate";
import type { Bus, JsonObject } from "@kubeactor/bus";
import { ApiClient, EventRecorder, Informer, type LeaderElectionConfig, startLeaderElector, StoreClient } from "@kubeactor/client";
import { SchedulerCache } from "./cache.ts";
import { type Node, type Pod, podKey } from "./framework.ts";
import { defaultProfile, type Profile } from "./profile.ts";
import { SchedulingQueue } from "./queue.ts";
import { reportUnschedulable, Scheduled, scheduledMessage } from "./report.ts";
import { type BindInput, createSchedulerMachine, type ReportInput } from "./scheduler-machine.ts";
import { schedulerCycle } from "@kubeactor/bus";

export interface SchedulerOptions {
  readonly bus: Bus;
  readonly log?: (line: string) => void;
  /** Passed to xstate's createActor. */
  readonly inspect?: (event: InspectionEvent) => void;
  readonly profile?: Profile;
  readonly random?: () => number;
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
  const profile = opts.profile ?? defaultProfile();
  const api = new ApiClient(opts.bus, "kube-scheduler");
  const store = new StoreClient(opts.bus);
  const recorder = new EventRecorder(api, { component: profile.schedulerName }, log);
  const cache = new SchedulerCache();
  let actor: AnyActorRef | undefined;
  const queue = new SchedulingQueue({ onActive: () => actor?.send({ type: "PODS_QUEUED" }) });

  const ours = (p: Pod) =>
    !p.spec?.nodeName && !p.metadata?.deletionTimestamp && !finished(p) && (!p.spec?.schedulerName || p.spec.schedulerName === profile.schedulerName);

  const nodes = new Informer(opts.bus, store, { group: "", resource: "nodes", log });
  const pods = new Informer(opts.bus, store, { group: "", resource: "pods", log });
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
      if (p.spec?.nodeName) cache.upsertPod(p);
      else if (ours(p)) queue.add(p);
    },
    onUpdate: (oldObj, o) => {
      const [old, p] = [oldObj as unknown as Pod, o as unknown as Pod];
      if (p.spec?.nodeName) {
        cache.upsertPod(p);
        if (!old.spec?.nodeName) queue.delete(podKey(p));
        else if (finished(p) && !finished(old)) queue.onClusterEvent("AssignedPodDelete");
        else if (JSON.stringify(old.spec) !== JSON.stringify(p.spec)) queue.onClusterEvent("AssignedPodUpdate");
      } else if (ours(p)) queue.update(p);
      else queue.delete(podKey(p));
    },
    onDelete: (o) => {
      const p = o as unknown as Pod;
      cache.removePod(p);
      queue.delete(podKey(p));
      if (p.spec?.nodeName) queue.onClusterEvent("AssignedPodDelete");
    },
  });
  await Promise.all([nodes.start(), pods.start()]);

  const machine = createSchedulerMachine({
    queue,
    cache,
    profile,
    log,
    ...(opts.random ? { random: opts.random } : {}),
    publishCycle: (c) => opts.bus.publish(schedulerCycle, { namespace: c.pod.namespace, pod: c.pod.name }, c),
  }).provide({
    actors: {
      bindPod: fromPromise<BindInput, BindInput>(async ({ input }) => {
        await api.bind(input.pod.metadata?.namespace ?? "", input.pod.metadata?.name ?? "", input.node);
        return input;
      }),
      reportUnschedulable: fromPromise<void, ReportInput>(({ input }) => reportUnschedulable(api, recorder, input.pod, input.message, log)),
      reportScheduled: fromPromise<void, BindInput>(({ input }) =>
        recorder.record(input.pod as unknown as JsonObject, "Normal", Scheduled, scheduledMessage(input.pod, input.node)),
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
    ? startLeaderElector({ api, ...le, name: le.name ?? "kube-scheduler", recorder, log: (l) => log(`leaderelection: ${l}`), onStartedLeading: startScheduling, onStoppedLeading: stopScheduling })
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
      await elector?.stop();
    },
  };
};
