/**
 * The pod status a kubelet reports, computed from what the pod actor knows —
 * pure functions, so tests compare them directly. Field order and wording
 * follow kubelet 1.32 (`generateAPIPodStatus`, `getPhase`).
 */
import type { EnvFromSpec, EnvVarSpec } from "./runtime/envvars.ts";
import type { VolumeMountSpec } from "./runtime/cri.ts";
import type { JsonObject } from "@kubeactor/bus";
import type { ProbeSpec } from "./probes.ts";

export type K8sContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; reason: string; message?: string; startedAt?: string; finishedAt: string; containerID?: string } };

/** One entry of containerStatuses / initContainerStatuses, plus whether it will ever run again. */
export interface ContainerView {
  readonly name: string;
  readonly image: string;
  readonly imageID: string;
  readonly containerID?: string;
  readonly state: K8sContainerState;
  readonly lastState: Partial<K8sContainerState>;
  readonly ready: boolean;
  /** Absent for ephemeral containers, as the kubelet reports them. */
  readonly started?: boolean;
  readonly restartCount: number;
  /** Terminated for good (restartPolicy says no more restarts). */
  readonly done: boolean;
}

export interface PodCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastProbeTime: null;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

export interface ContainerSpec {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  env?: EnvVarSpec[];
  envFrom?: EnvFromSpec[];
  ports?: { containerPort: number; name?: string }[];
  livenessProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  startupProbe?: ProbeSpec;
  volumeMounts?: VolumeMountSpec[];
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
}

export const pendingView = (c: ContainerSpec, reason: string): ContainerView => ({
  name: c.name,
  image: c.image ?? "",
  imageID: "",
  state: { waiting: { reason } },
  lastState: {},
  ready: false,
  started: false,
  restartCount: 0,
  done: false,
});

export const toApiContainerStatus = (v: ContainerView): JsonObject => ({
  ...(v.containerID ? { containerID: v.containerID } : {}),
  image: v.image,
  imageID: v.imageID,
  lastState: v.lastState,
  name: v.name,
  ready: v.ready,
  restartCount: v.restartCount,
  ...(v.started === undefined ? {} : { started: v.started }),
  state: v.state,
});

const isTerminated = (v: ContainerView): v is ContainerView & { state: { terminated: { exitCode: number } } } => "terminated" in v.state;

/**
 * kubelet's getPhase for the regular containers: waiting ones that never ran
 * keep the pod Pending, a crash-looping container counts as stopped (the pod
 * stays Running under Always), and restartPolicy decides what all-stopped means.
 */
export const podPhase = (views: readonly ContainerView[], restartPolicy: string): PodPhase => {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const v of views) {
    if ("running" in v.state) running++;
    else if (isTerminated(v)) {
      stopped++;
      if (v.state.terminated.exitCode === 0) succeeded++;
    } else if ("terminated" in v.lastState) stopped++;
    else waiting++;
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped === 0) return "Pending";
  const allDone = views.every((v) => v.done);
  if (!allDone) return "Running";
  if (restartPolicy === "Always") return "Running";
  return succeeded === stopped ? "Succeeded" : "Failed";
};

export interface PodStatusInput {
  readonly phase: PodPhase;
  readonly sandboxReady: boolean;
  readonly initialized: boolean;
  readonly initViews: readonly ContainerView[];
  readonly views: readonly ContainerView[];
  /** kubectl debug's containers: reported, never part of the phase or readiness. */
  readonly ephemeralViews?: readonly ContainerView[];
  readonly hostIP: string;
  readonly podIP?: string;
  readonly startTime: string;
}

const cond = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => ({
  type,
  status: ok ? "True" : "False",
  lastProbeTime: null,
  lastTransitionTime: "",
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
});

/** The kubelet-owned part of status; PodScheduled, qosClass and others are kept from the current object. */
export const computePodStatus = (s: PodStatusInput): JsonObject => {
  const completed = s.phase === "Succeeded" || s.phase === "Failed";
  const incompleteInit = s.initViews.filter((v) => !(isTerminated(v) && v.state.terminated.exitCode === 0)).map((v) => v.name);
  const unready = s.views.filter((v) => !v.ready).map((v) => v.name);
  const ready = unready.length === 0 && !completed;
  const readyReason = completed && s.phase === "Succeeded" ? "PodCompleted" : ready ? undefined : "ContainersNotReady";
  const readyMessage = ready || readyReason === "PodCompleted" ? undefined : `containers with unready status: [${unready.join(" ")}]`;
  const conditions = [
    cond("PodReadyToStartContainers", s.sandboxReady),
    s.initialized || incompleteInit.length === 0
      ? cond("Initialized", true, completed && s.phase === "Succeeded" && s.initViews.length > 0 ? "PodCompleted" : undefined)
      : cond("Initialized", false, "ContainersNotInitialized", `containers with incomplete status: [${incompleteInit.join(" ")}]`),
    cond("Ready", ready, readyReason, readyMessage),
    cond("ContainersReady", ready, readyReason, readyMessage),
  ];
  return {
    conditions: conditions as unknown as JsonObject[],
    containerStatuses: s.views.map(toApiContainerStatus),
    ...(s.ephemeralViews?.length ? { ephemeralContainerStatuses: s.ephemeralViews.map(toApiContainerStatus) } : {}),
    hostIP: s.hostIP,
    hostIPs: [{ ip: s.hostIP }],
    ...(s.initViews.length > 0 ? { initContainerStatuses: s.initViews.map(toApiContainerStatus) } : {}),
    phase: s.phase,
    ...(s.podIP ? { podIP: s.podIP, podIPs: [{ ip: s.podIP }] } : {}),
    startTime: s.startTime,
  };
};

/**
 * The status to write: the kubelet's part over the current status (keeping
 * PodScheduled, qosClass, nominatedNodeName, ...), with lastTransitionTime
 * carried over for conditions whose status did not change.
 */
export const mergePodStatus = (current: JsonObject | undefined, computed: JsonObject, now: string): JsonObject => {
  const prev = ((current?.conditions ?? []) as PodCondition[]).slice();
  const next = (computed.conditions as unknown as PodCondition[]).map((c) => {
    const old = prev.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now };
  });
  const ours = new Set(next.map((c) => c.type));
  const kept = prev.filter((c) => !ours.has(c.type));
  const merged: Record<string, unknown> = { ...(current ?? {}), ...computed, conditions: [...next, ...kept] as unknown as JsonObject[] };
  if (!computed.podIP && current?.podIP) {
    merged.podIP = current.podIP;
    merged.podIPs = current.podIPs;
  }
  return merged;
};

export const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Order-insensitive deep equality for status objects (the store may reorder keys), as JSON sees
 * them: a key whose value is undefined counts as absent. Compared in place, without building
 * canonical copies and their JSON (every status write asks, with two whole statuses).
 */
export const sameStatus = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameStatus(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    keys++;
    if (!sameStatus(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) keys--;
  return keys === 0;
};

/** The runtime's own id inside a status containerID (`process://abc` → `abc`), which the runtime calls take. */
export const runtimeContainerId = (containerID: string): string => containerID.replace(/^[a-z]+:\/\//, "");
