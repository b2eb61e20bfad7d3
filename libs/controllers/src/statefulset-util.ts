/**
 * The StatefulSet controller's decisions as pure functions
 * (pkg/controller/statefulset/stateful_set_control.go and stateful_set_utils.go):
 * stable pod names `<set>-<ordinal>`, the pod an ordinal gets at a revision,
 * one sync's plan (create missing ordinals, replace finished pods, scale down
 * from the highest ordinal, roll the highest out-of-date ordinal at or above
 * the partition), OrderedReady stopping at the first pod that is not yet
 * healthy, and the status counts.
 */
import { REVISION_HASH_LABEL } from "./controller-history.ts";
import { clone, isPodAvailable, isPodReady, meta, type Obj } from "./util.ts";

export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

export const podNameFor = (set: Obj, ordinal: number): string => `${meta(set).name}-${ordinal}`;

/** getOrdinal: the ordinal in `<set>-<n>`, or undefined for a name that is not this set's. */
export const ordinalOf = (set: Obj, pod: Obj): number | undefined => {
  const prefix = `${meta(set).name}-`;
  const name = meta(pod).name;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
};

/** The pod template a ControllerRevision recorded (its data replaces spec.template). */
export const templateOfRevision = (revision: Obj): any => {
  const { $patch: _p, ...template } = ((revision as any).data?.spec?.template ?? {}) as Record<string, unknown>;
  return template;
};

/** newVersionedStatefulSetPod: the template's pod with its identity (name, hostname, subdomain, labels) and revision. */
/** getPersistentVolumeClaimName: `<template>-<set>-<ordinal>`, the claim a pod of this ordinal keeps for ever. */
export const claimNameFor = (set: Obj, templateName: string, ordinal: number): string => `${templateName}-${podNameFor(set, ordinal)}`;

/** getPersistentVolumeClaims: each volumeClaimTemplate as the claim of this ordinal, labelled with the set's selector. */
export const statefulClaimsFor = (set: Obj, ordinal: number): Obj[] =>
  ((set.spec?.volumeClaimTemplates ?? []) as any[]).map((t) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      ...clone(t.metadata ?? {}),
      name: claimNameFor(set, t.metadata?.name ?? "", ordinal),
      namespace: meta(set).namespace,
      labels: { ...(t.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) },
    },
    spec: clone(t.spec ?? {}),
  })) as unknown as Obj[];

export const statefulPodFor = (set: Obj, template: any, revisionName: string, ordinal: number, ownerRef: unknown): Obj => {
  const name = podNameFor(set, ordinal);
  const spec = clone(template.spec ?? {});
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  // updateStorage: a claim template's volume replaces a template volume of the same name.
  const claims = ((set.spec?.volumeClaimTemplates ?? []) as any[]).map((t) => t.metadata?.name ?? "");
  if (claims.length > 0)
    spec.volumes = [
      ...((spec.volumes ?? []) as { name: string }[]).filter((v) => !claims.includes(v.name)),
      ...claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: claimNameFor(set, c, ordinal) } })),
    ];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: meta(set).namespace,
      labels: { ...(template.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: revisionName, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [ownerRef],
    },
    spec,
  } as unknown as Obj;
};

export const podRevision = (pod: Obj): string | undefined => meta(pod).labels?.[REVISION_HASH_LABEL];
const isTerminating = (p: Obj) => !!meta(p).deletionTimestamp;
const isFinished = (p: Obj) => p.status?.phase === "Failed" || p.status?.phase === "Succeeded";
const runningAndReady = (p: Obj) => p.status?.phase === "Running" && isPodReady(p);
const runningAndAvailable = (p: Obj, minReady: number, at: number) => p.status?.phase === "Running" && isPodAvailable(p, minReady, at);
/** isHealthy: running, ready, available and not terminating. */
const healthy = (p: Obj, minReady: number, at: number) => runningAndReady(p) && runningAndAvailable(p, minReady, at) && !isTerminating(p);

export type StatefulStep =
  | { readonly op: "create"; readonly ordinal: number; readonly revision: "current" | "update" }
  | { readonly op: "delete"; readonly pod: Obj; readonly reason: "finished" | "scale-down" | "update" };

/**
 * One sync of updateStatefulSet. `steps` is what to do now: with
 * OrderedReady the plan stops at the first pod created, deleted, or not yet
 * healthy (each later step waits for the informer to show the earlier one);
 * with Parallel every ordinal is handled at once. Scaling goes before the
 * rolling update, which replaces one pod at a time from the highest ordinal
 * down to the partition, waiting for each to be healthy.
 */
export const planStatefulSet = (set: Obj, pods: readonly Obj[], updateRevision: string, at = Date.now()): StatefulStep[] => {
  const steps: StatefulStep[] = [];
  const monotonic = set.spec?.podManagementPolicy !== "Parallel";
  const minReady = set.spec?.minReadySeconds ?? 0;
  const start = set.spec?.ordinals?.start ?? 0;
  const count = set.spec?.replicas ?? 1;
  const rolling = (set.spec?.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate";
  const partition = rolling ? (set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
  const replicas: (Obj | undefined)[] = Array.from({ length: count }, () => undefined);
  const condemned: Obj[] = [];
  for (const pod of pods) {
    const ord = ordinalOf(set, pod);
    if (ord === undefined) continue;
    if (ord >= start && ord < start + count) replicas[ord - start] = pod;
    else condemned.push(pod);
  }
  condemned.sort((a, b) => ordinalOf(set, b)! - ordinalOf(set, a)!);
  const firstUnhealthy = [...replicas, ...[...condemned].reverse()].find((p) => p && !healthy(p, minReady, at));

  for (let i = 0; i < count; i++) {
    const pod = replicas[i];
    if (!pod) {
      // Ordinals below the partition are (re)created at the current revision during a rolling update.
      steps.push({ op: "create", ordinal: start + i, revision: rolling && i < partition ? "current" : "update" });
      if (monotonic) return steps;
      continue;
    }
    if (isFinished(pod)) {
      if (!isTerminating(pod)) steps.push({ op: "delete", pod, reason: "finished" });
      if (monotonic) return steps;
      continue;
    }
    if (monotonic && (isTerminating(pod) || !runningAndReady(pod) || !runningAndAvailable(pod, minReady, at))) return steps;
  }
  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return steps;
      continue;
    }
    if (monotonic && pod !== firstUnhealthy && (!runningAndReady(pod) || !runningAndAvailable(pod, minReady, at))) return steps;
    steps.push({ op: "delete", pod, reason: "scale-down" });
    if (monotonic) return steps;
  }
  if (!rolling || steps.length > 0) return steps;
  for (let i = count - 1; i >= partition; i--) {
    const pod = replicas[i];
    if (!pod) return steps;
    if (podRevision(pod) !== updateRevision && !isTerminating(pod)) return [{ op: "delete", pod, reason: "update" }];
    if (!healthy(pod, minReady, at)) return steps;
  }
  return steps;
};

/** computeReplicaStatus + completeRollingUpdate. */
export const statefulSetStatus = (set: Obj, pods: readonly Obj[], currentRevision: string, updateRevision: string, at = Date.now()) => {
  const minReady = set.spec?.minReadySeconds ?? 0;
  let replicas = 0, ready = 0, available = 0, current = 0, updated = 0;
  for (const pod of pods) {
    if (ordinalOf(set, pod) === undefined) continue;
    replicas++;
    if (runningAndReady(pod)) {
      ready++;
      if (runningAndAvailable(pod, minReady, at)) available++;
    }
    if (isTerminating(pod)) continue;
    if (podRevision(pod) === currentRevision) current++;
    if (podRevision(pod) === updateRevision) updated++;
  }
  let currentRev = currentRevision;
  const rolling = (set.spec?.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate";
  if (rolling && updated === replicas && ready === replicas) {
    currentRev = updateRevision;
    current = updated;
  }
  return { replicas, readyReplicas: ready, availableReplicas: available, currentReplicas: current, updatedReplicas: updated, currentRevision: currentRev, updateRevision };
};
