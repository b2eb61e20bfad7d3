/**
 * What the scheduler writes besides bindings: the FailedScheduling /
 * Scheduled events and the PodScheduled=False condition, worded as
 * kube-scheduler words them. Best effort: failures are logged, never thrown.
 */
import { rfc3339, statusCodeOf } from "@kubeactor/api";
import type { JsonObject } from "@kubeactor/bus";
import type { ApiClient, EventRecorder } from "@kubeactor/client";
import type { Pod } from "./framework.ts";
import { DISRUPTION_TARGET, REASON_PREEMPTION_BY_SCHEDULER } from "./preemption.ts";

export const FailedScheduling = "FailedScheduling";
export const Preempted = "Preempted";
export const preemptedMessage = (preemptor: Pod, node: string) => `Preempted by pod ${preemptor.metadata?.uid ?? ""} on node ${node}`;
export const Scheduled = "Scheduled";
export const ReasonUnschedulable = "Unschedulable";
export const scheduledMessage = (pod: Pod, node: string) =>
  `Successfully assigned ${pod.metadata?.namespace}/${pod.metadata?.name} to ${node}`;

const PODS = { group: "", version: "v1", resource: "pods" };

type Condition = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; lastProbeTime?: string | null };

type PodObj = { metadata?: { resourceVersion?: string }; spec?: { nodeName?: string }; status?: { conditions?: Condition[]; nominatedNodeName?: string } } & JsonObject;

/** Read the pod unless the copy we hold (from the informer, with a resourceVersion) may be tried first: a stale one only costs a 409. */
const latest = async (api: ApiClient, held: Pod | undefined, namespace: string, name: string): Promise<PodObj> =>
  held?.metadata?.resourceVersion ? (held as unknown as PodObj) : ((await api.get(PODS, namespace, name)) as PodObj);

/**
 * PodScheduled=False, reason Unschedulable (and status.nominatedNodeName when
 * given); written only when it changes; conditional on the resourceVersion and
 * re-read on conflict, so a pod bound meanwhile is left alone.
 */
export const setPodUnschedulable = async (api: ApiClient, pod: Pod, message: string, nominatedNodeName?: string): Promise<void> => {
  const { namespace = "", name = "" } = pod.metadata ?? {};
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await latest(api, attempt === 0 ? pod : undefined, namespace, name);
    if (current.spec?.nodeName) return; // bound meanwhile
    const conditions = [...(current.status?.conditions ?? [])];
    const i = conditions.findIndex((c) => c.type === "PodScheduled");
    const old = i >= 0 ? conditions[i] : undefined;
    const nominated = nominatedNodeName ?? current.status?.nominatedNodeName;
    if (old && old.status === "False" && old.reason === ReasonUnschedulable && old.message === message && nominated === current.status?.nominatedNodeName) return;
    const now = rfc3339();
    const next: Condition = {
      type: "PodScheduled",
      status: "False",
      reason: ReasonUnschedulable,
      message,
      lastProbeTime: null,
      lastTransitionTime: old?.status === "False" && old.lastTransitionTime ? old.lastTransitionTime : now,
    };
    if (i >= 0) conditions[i] = next;
    else conditions.push(next);
    try {
      await api.updateStatus(PODS, namespace, { ...current, status: { ...(current.status ?? {}), conditions, ...(nominated ? { nominatedNodeName: nominated } : {}) } });
      return;
    } catch (e) {
      if (statusCodeOf(e) !== 409) throw e;
    }
  }
};

/**
 * prepareCandidate: each victim gets DisruptionTarget=True (reason
 * PreemptionByScheduler), is deleted gracefully (its kubelet stops it) and
 * gets a Preempted event. A victim already gone is fine; other failures are
 * logged and counted (the result): the preemptor then tries again later.
 */
export const evictVictims = async (
  api: ApiClient,
  recorder: EventRecorder,
  schedulerName: string,
  preemptor: Pod,
  node: string,
  victims: readonly Pod[],
  log: (line: string) => void,
): Promise<number> => {
  let failed = 0;
  await Promise.all(
    victims.map(async (victim) => {
      const { namespace = "", name = "" } = victim.metadata ?? {};
      const marked = (current: PodObj): JsonObject => {
        const conditions = (current.status?.conditions ?? []).filter((c) => c.type !== DISRUPTION_TARGET);
        conditions.push({
          type: DISRUPTION_TARGET,
          status: "True",
          reason: REASON_PREEMPTION_BY_SCHEDULER,
          message: `${schedulerName}: preempting to accommodate a higher priority pod`,
          lastTransitionTime: rfc3339(),
        });
        return { ...current, status: { ...(current.status ?? {}), conditions } };
      };
      try {
        // The cached copy first (one call instead of two); on a conflict, read and try once more. Best effort either way.
        await api.updateStatus(PODS, namespace, marked(await latest(api, victim, namespace, name))).catch(async (e: unknown) => {
          if (statusCodeOf(e) !== 409) return;
          await api.updateStatus(PODS, namespace, marked((await api.get(PODS, namespace, name)) as PodObj)).catch(() => {});
        });
        await api.delete(PODS, namespace, name);
        await recorder.record(victim as unknown as JsonObject, "Normal", Preempted, preemptedMessage(preemptor, node));
      } catch (e) {
        if (statusCodeOf(e) === 404) return;
        failed++;
        log(`preempting ${namespace}/${name} failed: ${(e as Error).message}`);
      }
    }),
  );
  return failed;
};

export const reportUnschedulable = async (
  api: ApiClient,
  recorder: EventRecorder,
  pod: Pod,
  message: string,
  log: (line: string) => void,
  nominatedNodeName?: string,
) => {
  await Promise.all([
    recorder.record(pod as unknown as JsonObject, "Warning", FailedScheduling, message),
    setPodUnschedulable(api, pod, message, nominatedNodeName).catch((e) =>
      log(`PodScheduled condition for ${pod.metadata?.namespace}/${pod.metadata?.name} not written: ${(e as Error).message}`),
    ),
  ]);
};
