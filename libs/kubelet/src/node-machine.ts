/**
 * The node actor — one per simulated node:
 *
 *   Active ─ Registering → Registered (parallel regions)
 *     │        condition: Ready ↔ NotReady   (Ready=False forced by set-condition)
 *     │        status:    Reporting → Waiting (on entry, on every condition change, then every 5 min)
 *     │        + the lease machine, invoked (lease-machine.ts: every 10 s, first one staggered by node index)
 *     └─ STOP → Stopped ─ START → Active     (a dead kubelet: no lease, no status, pod actors stopped;
 *                                             containers keep running and are adopted on START)
 *
 * Pods arrive through the `podSource` actor (the process' one shared pod
 * informer, dispatched by nodeName). A new pod is admitted first
 * (admission.ts, against the node's allocatable and the pods already
 * admitted); an admitted one gets a pod actor (pod-machine.ts) as a spawned
 * child `pod:<uid>`, a rejected one is written Failed (`rejectPod`) and, when
 * deleted, removed at once (`deleteRejected`) — it never ran.
 */
import { assign, enqueueActions, fromCallback, fromPromise, setup } from "xstate";
import { statusCodeOf } from "@kubeactor/api";
import type { JsonObject } from "@kubeactor/bus";
import { type ApiClient, stripManagedFields } from "@kubeactor/client";
import { admitPod, REJECTED_PREFIX } from "./admission.ts";
import { podMachine, podMeta, type PodApi, type PodDeps } from "./pod-machine.ts";
import { leaseMachine } from "./lease-machine.ts";
import { rfc3339 } from "./runtime/clock.ts";

export { LEASES, LEASE_NAMESPACE, LEASE_DURATION_SECONDS } from "./lease-machine.ts";
export const NODES = { group: "", version: "v1", resource: "nodes" };
export const KUBELET_VERSION = "v1.32.0";

export type NodeConditionType = "Ready" | "MemoryPressure" | "DiskPressure" | "PIDPressure";
export type ConditionStatus = "True" | "False" | "Unknown";

export type PodSourceEvent = { type: "POD"; pod: JsonObject } | { type: "POD_DELETED"; pod: JsonObject };
/** Subscribes a node to its pods: replays the ones bound to it now, then forwards changes; returns the unsubscribe. */
export type PodSource = (node: string, listener: (e: PodSourceEvent) => void) => () => void;

export interface NodeConfig {
  readonly name: string;
  readonly index: number;
  readonly podCIDR: string;
  readonly hostIP: string;
  readonly cpu: string;
  readonly memory: string;
  readonly maxPods: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly { key: string; value?: string; effect: string }[];
  /** Runtime version for nodeInfo. */
  readonly runtimeVersion: string;
  /** Extended resources the node advertises (`example.com/gpu: "4"`), in capacity and allocatable. */
  readonly extendedResources?: Readonly<Record<string, string>>;
}

export interface NodeInput {
  readonly config: NodeConfig;
  readonly api: ApiClient;
  readonly podSource: PodSource;
  readonly podDeps: PodDeps;
  /** Events about the Node object. */
  readonly record: (node: JsonObject, type: "Normal" | "Warning", reason: string, message: string) => void;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
  /** Lease renewal period (default 10 s); the first renewal is staggered across it. */
  readonly leaseRenewMs?: number;
  /** The Node object as the process' node informer last saw it (labels, taints, allocatable for admission). */
  readonly getNode?: (name: string) => JsonObject | undefined;
}

export interface NodeContext extends NodeInput {
  /** Fault-injected condition statuses, over the healthy defaults. */
  overrides: Partial<Record<NodeConditionType, { status: ConditionStatus; reason?: string; message?: string }>>;
  nodeUid?: string;
  /** Pod actors by uid. */
  pods: Record<string, true>;
  /** Admitted pods that have not finished, by uid: what admission counts against allocatable. */
  active: Record<string, JsonObject>;
  /** The pressure condition statuses the last events announced (kubelet's NodeHas... events on every change). */
  evented: Partial<Record<NodeConditionType, ConditionStatus>>;
  /** Pods this node rejected at admission, by uid ("deleting" once their deletion was sent). */
  rejected: Record<string, "rejected" | "deleting">;
}

export type NodeEvent =
  | PodSourceEvent
  | { type: "STOP" }
  | { type: "START" }
  | { type: "SET_CONDITION"; condition: NodeConditionType; status: ConditionStatus; reason?: string; message?: string }
  | { type: `xstate.done.actor.${string}` };

const HEALTHY: Record<NodeConditionType, [ConditionStatus, string, string]> = {
  MemoryPressure: ["False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"],
  DiskPressure: ["False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"],
  PIDPressure: ["False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"],
  Ready: ["True", "KubeletReady", "kubelet is posting ready status"],
};
const UNHEALTHY: Record<NodeConditionType, [string, string]> = {
  MemoryPressure: ["KubeletHasInsufficientMemory", "kubelet has insufficient memory available"],
  DiskPressure: ["KubeletHasDiskPressure", "kubelet has disk pressure"],
  PIDPressure: ["KubeletHasInsufficientPID", "kubelet has insufficient PID available"],
  Ready: ["KubeletNotReady", "container runtime status check may not have completed yet"],
};

/** The kubelet's event reasons for a pressure condition's status (recordNodeStatusEvent). */
const PRESSURE_EVENTS: Record<"MemoryPressure" | "DiskPressure" | "PIDPressure", [healthy: string, unhealthy: string]> = {
  MemoryPressure: ["NodeHasSufficientMemory", "NodeHasInsufficientMemory"],
  DiskPressure: ["NodeHasNoDiskPressure", "NodeHasDiskPressure"],
  PIDPressure: ["NodeHasSufficientPID", "NodeHasInsufficientPID"],
};

const nodeRef = (c: NodeContext): JsonObject => ({ apiVersion: "v1", kind: "Node", metadata: { name: c.config.name, uid: c.config.name } });

const resources = (c: NodeConfig) => ({
  cpu: c.cpu,
  "ephemeral-storage": "100Gi",
  "hugepages-1Gi": "0",
  "hugepages-2Mi": "0",
  memory: c.memory,
  pods: String(c.maxPods),
  ...c.extendedResources,
});

/** The Node object a kubelet registers. */
export const nodeObject = (c: NodeConfig): JsonObject => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: {
    name: c.name,
    labels: {
      "beta.kubernetes.io/arch": "amd64",
      "beta.kubernetes.io/os": "linux",
      "kubernetes.io/arch": "amd64",
      "kubernetes.io/hostname": c.name,
      "kubernetes.io/os": "linux",
      "node.kubernetes.io/instance-type": "kubeactor-sim",
      "topology.kubernetes.io/zone": `zone-${"abc"[c.index % 3]}`,
      ...c.labels,
    },
    annotations: { "node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true" },
  },
  spec: { podCIDR: c.podCIDR, podCIDRs: [c.podCIDR], providerID: `kubeactor://${c.name}`, ...(c.taints.length ? { taints: c.taints } : {}) },
});

/** The kubelet-owned node status; condition times carried over from `previous` where the status did not change. */
export const nodeStatus = (ctx: NodeContext, previous: JsonObject | undefined, nowMs: number): JsonObject => {
  const c = ctx.config;
  const now = rfc3339(nowMs);
  const prevConds = ((previous?.conditions ?? []) as { type: string; status: string; lastTransitionTime?: string }[]).slice();
  const ours = (["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"] as const).map((type) => {
    const o = ctx.overrides[type];
    const healthy = HEALTHY[type];
    const status = o?.status ?? healthy[0];
    const bad = status !== healthy[0];
    const old = prevConds.find((p) => p.type === type);
    return {
      type,
      status,
      lastHeartbeatTime: now,
      lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : now,
      reason: o?.reason ?? (bad ? UNHEALTHY[type][0] : healthy[1]),
      message: o?.message ?? (bad ? UNHEALTHY[type][1] : healthy[2]),
    };
  });
  const others = prevConds.filter((p) => !ours.some((o) => o.type === p.type));
  const seed = `${c.name}`.split("").reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7).toString(16).padStart(8, "0");
  return {
    ...(previous ?? {}),
    addresses: [
      { type: "InternalIP", address: c.hostIP },
      { type: "Hostname", address: c.name },
    ],
    allocatable: resources(c),
    capacity: resources(c),
    conditions: [...others, ...ours] as unknown as JsonObject[],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      architecture: "amd64",
      bootID: `${seed}-0000-4000-8000-${seed}0000`,
      containerRuntimeVersion: c.runtimeVersion,
      kernelVersion: "6.8.0-kubeactor",
      kubeProxyVersion: KUBELET_VERSION,
      kubeletVersion: KUBELET_VERSION,
      machineID: `${seed}${seed}${seed}${seed}`,
      operatingSystem: "linux",
      osImage: "Debian GNU/Linux 12 (bookworm) (kubeactor sim)",
      systemUUID: `${seed}-0000-4000-8000-${seed}0000`,
    },
  };
};


const phaseOf = (pod: JsonObject) => (pod.status as { phase?: string } | undefined)?.phase;
const isTerminal = (pod: JsonObject) => phaseOf(pod) === "Succeeded" || phaseOf(pod) === "Failed";

/** The node admission judges against: the informer's copy, else the one this kubelet registers (getNodeAnyWay). */
const admissionNode = (ctx: NodeContext): JsonObject =>
  ctx.getNode?.(ctx.config.name) ?? { ...nodeObject(ctx.config), status: { allocatable: resources(ctx.config), capacity: resources(ctx.config) } };

interface Rejection {
  readonly api: PodApi;
  readonly pod: JsonObject;
  readonly reason: string;
  readonly message: string;
  readonly now: () => number;
  readonly log?: ((line: string) => void) | undefined;
}

/** The status kubelet's rejectPod writes: Failed with the reason, QoS class, start time and the conditions others own kept. */
export const rejectedStatus = (pod: JsonObject, reason: string, message: string, nowMs: number): JsonObject => {
  const old = (pod.status ?? {}) as { qosClass?: string; startTime?: string; conditions?: { type: string }[] };
  const kept = (old.conditions ?? []).filter((c) => !["Ready", "ContainersReady", "Initialized", "PodReadyToStartContainers"].includes(c.type));
  return {
    phase: "Failed",
    reason,
    message: `${REJECTED_PREFIX}${message}`,
    ...(kept.length ? { conditions: kept as unknown as JsonObject[] } : {}),
    ...(old.qosClass ? { qosClass: old.qosClass } : {}),
    startTime: old.startTime ?? rfc3339(nowMs),
  };
};

export const nodeMachine = setup({
  types: { context: {} as NodeContext, input: {} as NodeInput, events: {} as NodeEvent },
  actors: {
    pod: podMachine,
    /** Writes a rejected pod's Failed status, re-reading on conflicts; failures are logged (a spawned child has no onError). */
    rejectPod: fromPromise<void, Rejection>(async ({ input }) => {
      let pod = input.pod;
      const m = podMeta(pod);
      try {
        for (let attempt = 0; attempt < 5; attempt++) {
          try {
            await input.api.updatePodStatus({ ...pod, status: rejectedStatus(pod, input.reason, input.message, input.now()) });
            return;
          } catch (e) {
            if (statusCodeOf(e) === 404) return;
            if (statusCodeOf(e) !== 409) throw e;
            pod = await input.api.getPod(m.namespace, m.name);
            if (podMeta(pod).uid !== m.uid) return;
          }
        }
      } catch (e) {
        input.log?.(`rejecting pod ${m.namespace}/${m.name}: ${(e as Error).message}`);
      }
    }),
    /** A rejected pod never ran: its deletion needs no grace. */
    deleteRejected: fromPromise<void, { api: PodApi; pod: JsonObject; log?: (line: string) => void }>(async ({ input }) => {
      const m = podMeta(input.pod);
      await input.api.deletePod(m.namespace, m.name, m.uid).catch((e) => input.log?.(`deleting rejected pod ${m.namespace}/${m.name}: ${(e as Error).message}`));
    }),
    podSource: fromCallback<PodSourceEvent, { source: PodSource; node: string }>(({ input, sendBack }) => input.source(input.node, sendBack)),
    /** Creates the Node (or adopts an existing one of the same name, keeping its podCIDR) and writes its status. */
    registerNode: fromPromise<string, { ctx: NodeContext }>(async ({ input: { ctx } }) => {
      const want = nodeObject(ctx.config);
      const now = (ctx.now ?? Date.now)();
      let node: JsonObject;
      try {
        // A new Node carries its status already (nodes accept status on create, as in Kubernetes).
        node = await ctx.api.create(NODES, "", { ...want, status: nodeStatus(ctx, undefined, now) });
        return (node.metadata as { uid: string }).uid;
      } catch (e) {
        if (statusCodeOf(e) !== 409) throw e;
        const existing = await ctx.api.get(NODES, "", ctx.config.name);
        const meta = existing.metadata as { labels?: Record<string, string> };
        node = await ctx.api.update(NODES, "", {
          ...existing,
          metadata: { ...(existing.metadata as object), labels: { ...(meta.labels ?? {}), ...((want.metadata as { labels: object }).labels) } },
        });
      }
      await writeNodeStatus(ctx, node);
      return (node.metadata as { uid: string }).uid;
    }),
    /** A newer report cancels this one (signal): a stale status never retries over a newer one. */
    reportStatus: fromPromise<void, { ctx: NodeContext }>(async ({ input: { ctx }, signal }) => {
      await writeNodeStatus(ctx, await ctx.api.get(NODES, "", ctx.config.name), signal);
    }),
    lease: leaseMachine,
  },
  guards: {
    readyOverridden: ({ context }) => (context.overrides.Ready?.status ?? "True") !== "True",
    knownPod: ({ context, event }) => "pod" in event && !!context.pods[podMeta(event.pod).uid],
  },
  delays: {
    nodeStatusReport: 5 * 60_000,
    registerRetry: 2000,
  },
  actions: {
    record: ({ context }, params: { type: "Normal" | "Warning"; reason: string; message: string }) => context.record(nodeRef(context), params.type, params.reason, params.message),
    spawnOrForward: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "POD") return;
      const pod = event.pod;
      const uid = podMeta(pod).uid;
      const deleteRejected = () => {
        if (!podMeta(pod).deletionTimestamp) return "rejected" as const;
        if (context.rejected[uid] !== "deleting") enqueue.spawnChild("deleteRejected", { id: `rejected:${uid}`, input: { api: context.podDeps.api, pod, ...(context.log ? { log: context.log } : {}) } });
        return "deleting" as const;
      };
      if (context.rejected[uid]) {
        enqueue.assign({ rejected: { ...context.rejected, [uid]: deleteRejected() } });
        return;
      }
      if (context.pods[uid]) {
        enqueue.sendTo(`pod:${uid}`, { type: "POD_UPDATED", pod });
        if (context.active[uid]) {
          const { [uid]: _old, ...rest } = context.active;
          enqueue.assign({ active: isTerminal(pod) ? rest : { ...rest, [uid]: pod } });
        }
        return;
      }
      // Rejected before this kubelet (re)started: it never ran, nothing to adopt.
      if (phaseOf(pod) === "Failed" && String((pod.status as { message?: string }).message ?? "").startsWith(REJECTED_PREFIX)) {
        enqueue.assign({ rejected: { ...context.rejected, [uid]: deleteRejected() } });
        return;
      }
      // Admission: only pods that would start now (not finished, not being deleted) are checked.
      const starting = !isTerminal(pod) && !podMeta(pod).deletionTimestamp;
      if (starting) {
        const verdict = admitPod(pod, admissionNode(context), Object.values(context.active));
        if (!verdict.admit) {
          context.log?.(`node ${context.config.name}: rejected pod ${podMeta(pod).namespace}/${podMeta(pod).name}: ${verdict.reason}: ${verdict.message}`);
          context.podDeps.record(pod, "Warning", verdict.reason, verdict.message);
          enqueue.spawnChild("rejectPod", {
            id: `reject:${uid}`,
            input: { api: context.podDeps.api, pod, reason: verdict.reason, message: verdict.message, now: context.now ?? Date.now, log: context.log },
          });
          enqueue.assign({ rejected: { ...context.rejected, [uid]: "rejected" } });
          return;
        }
      }
      enqueue.spawnChild("pod", {
        id: `pod:${uid}`,
        input: { pod, nodeName: context.config.name, hostIP: context.config.hostIP, deps: context.podDeps },
      });
      enqueue.assign({ pods: { ...context.pods, [uid]: true }, ...(starting ? { active: { ...context.active, [uid]: pod } } : {}) });
    }),
    forwardRemoval: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "POD_DELETED") return;
      const uid = podMeta(event.pod).uid;
      if (context.pods[uid]) enqueue.sendTo(`pod:${uid}`, { type: "POD_REMOVED" });
      if (context.rejected[uid]) {
        const { [uid]: _gone, ...rest } = context.rejected;
        enqueue.assign({ rejected: rest });
      }
    }),
    forgetPod: enqueueActions(({ context, event, enqueue }) => {
      if (!event.type.startsWith("xstate.done.actor.pod:")) return;
      const uid = event.type.slice("xstate.done.actor.pod:".length);
      if (!context.pods[uid]) return;
      const { [uid]: _gone, ...rest } = context.pods;
      const { [uid]: _inactive, ...active } = context.active;
      enqueue.stopChild(`pod:${uid}`);
      enqueue.assign({ pods: rest, active });
    }),
    stopPods: enqueueActions(({ context, enqueue }) => {
      for (const uid of Object.keys(context.pods)) enqueue.stopChild(`pod:${uid}`);
      // A restarted kubelet admits every pod again (in creation order), as after a real restart.
      enqueue.assign({ pods: {}, active: {}, rejected: {} });
    }),
    /** One event per pressure condition whose status differs from the last one announced (all of them on registration). */
    recordConditionEvents: enqueueActions(({ context, event, enqueue }) => {
      const evented = { ...context.evented };
      for (const type of Object.keys(PRESSURE_EVENTS) as (keyof typeof PRESSURE_EVENTS)[]) {
        const status = event.type === "SET_CONDITION" && event.condition === type ? event.status : (context.overrides[type]?.status ?? HEALTHY[type][0]);
        if (evented[type] === status) continue;
        evented[type] = status;
        const reason = PRESSURE_EVENTS[type][status === "True" ? 1 : 0];
        enqueue(() => context.record(nodeRef(context), "Normal", reason, `Node ${context.config.name} status is now: ${reason}`));
      }
      enqueue.assign({ evented });
    }),
    setOverride: assign(({ context, event }) => {
      if (event.type !== "SET_CONDITION") return {};
      return {
        overrides: {
          ...context.overrides,
          [event.condition]: { status: event.status, ...(event.reason ? { reason: event.reason } : {}), ...(event.message ? { message: event.message } : {}) },
        },
      };
    }),
  },
}).createMachine({
  id: "node",
  context: ({ input }) => ({ ...input, overrides: {}, pods: {}, active: {}, rejected: {}, evented: {} }),
  initial: "Active",
  states: {
    Active: {
      invoke: { src: "podSource", input: ({ context }) => ({ source: context.podSource, node: context.config.name }) },
      on: {
        POD: { actions: "spawnOrForward" },
        POD_DELETED: { actions: "forwardRemoval" },
        "xstate.done.actor.*": { actions: "forgetPod" },
        STOP: { target: "Stopped" },
        SET_CONDITION: { actions: "setOverride" },
      },
      initial: "Registering",
      states: {
        Registering: {
          entry: { type: "record", params: { type: "Normal", reason: "Starting", message: "Starting kubelet." } },
          invoke: {
            src: "registerNode",
            input: ({ context }) => ({ ctx: context }),
            onDone: { target: "Registered", actions: assign({ nodeUid: ({ event }) => event.output }) },
            onError: {
              target: "RegisterBackOff",
              actions: ({ context, event }) => context.log?.(`node ${context.config.name}: registration failed: ${(event.error as Error).message}`),
            },
          },
        },
        RegisterBackOff: { after: { registerRetry: "Registering" } },
        /** Registered: whether it is Ready and the status loop side by side, and the lease loop (its own machine). */
        Registered: {
          type: "parallel",
          invoke: { id: "lease", src: "lease", input: ({ context }) => leaseInput(context) },
          entry: [
            { type: "record", params: { type: "Normal", reason: "NodeAllocatableEnforced", message: "Updated Node Allocatable limit across pods" } },
            "recordConditionEvents",
          ],
          states: {
            condition: {
              initial: "Ready",
              states: {
                Ready: {
                  entry: { type: "record", params: ({ context }) => ({ type: "Normal", reason: "NodeReady", message: `Node ${context.config.name} status is now: NodeReady` }) },
                  always: { guard: "readyOverridden", target: "NotReady" },
                },
                NotReady: {
                  entry: { type: "record", params: ({ context }) => ({ type: "Normal", reason: "NodeNotReady", message: `Node ${context.config.name} status is now: NodeNotReady` }) },
                  always: { guard: ({ context }) => (context.overrides.Ready?.status ?? "True") === "True", target: "Ready" },
                },
              },
            },
            status: {
              initial: "Reporting",
              // The handlers sit on the leaves: a re-entering transition on the region itself would have
              // the parallel parent as its domain and restart the lease and condition regions too.
              states: {
                Reporting: {
                  on: { SET_CONDITION: { target: "Reporting", reenter: true, actions: ["recordConditionEvents", "setOverride"] } },
                  invoke: {
                    src: "reportStatus",
                    input: ({ context }) => ({ ctx: context }),
                    onDone: "Waiting",
                    onError: {
                      target: "Waiting",
                      actions: ({ context, event }) => context.log?.(`node ${context.config.name}: status update failed: ${(event.error as Error).message}`),
                    },
                  },
                },
                Waiting: { after: { nodeStatusReport: "Reporting" }, on: { SET_CONDITION: { target: "Reporting", actions: ["recordConditionEvents", "setOverride"] } } },
              },
            },
          },
        },
      },
    },
    Stopped: {
      // A restarted kubelet announces its conditions again.
      entry: ["stopPods", assign({ evented: {} })],
      on: {
        START: "Active",
        SET_CONDITION: { actions: "setOverride" },
      },
    },
  },
});

/** The lease machine's input: the period, and this node's stagger (a golden-ratio sequence over the period, so thousands of nodes never renew together). */
const leaseInput = (ctx: NodeContext) => {
  const period = ctx.leaseRenewMs ?? 10_000;
  const stagger = Math.floor(((ctx.config.index * 0.618033988749895) % 1) * period);
  return { api: ctx.api, node: ctx.config.name, nodeUid: ctx.nodeUid, now: ctx.now ?? Date.now, periodMs: period, staggerMs: stagger || period, log: ctx.log };
};

/** Writes the status subresource from a fresh read, retrying conflicts (the node lifecycle controller writes conditions too). */
const writeNodeStatus = async (ctx: NodeContext, node: JsonObject, signal?: AbortSignal): Promise<void> => {
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) return;
    try {
      // Without managedFields (kept as stored) and spec (a status update keeps the stored spec), as pod statuses.
      const { spec: _spec, ...rest } = stripManagedFields(node);
      await ctx.api.updateStatus(NODES, "", { ...rest, status: nodeStatus(ctx, node.status as JsonObject | undefined, (ctx.now ?? Date.now)()) });
      return;
    } catch (e) {
      if (statusCodeOf(e) !== 409 || attempt >= 4) throw e;
      node = await ctx.api.get(NODES, "", ctx.config.name);
    }
  }
};

