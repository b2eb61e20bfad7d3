/**
 * What the scheduler writes besides bindings: the FailedScheduling /
 * Scheduled events and the PodScheduled=False condition, worded as
 * kube-scheduler words them. Best effort: failures are logged, never thrown.
 */
import type { JsonObject } from "@kubeactor/bus";
import type { ApiClient, EventRecorder } from "@kubeactor/client";
import type { Pod } from "./framework.ts";

export const FailedScheduling = "FailedScheduling";
export const Scheduled = "Scheduled";
export const ReasonUnschedulable = "Unschedulable";
export const scheduledMessage = (pod: Pod, node: string) =>
  `Successfully assigned ${pod.metadata?.namespace}/${pod.metadata?.name} to ${node}`;

const PODS = { group: "", version: "v1", resource: "pods" };

type Condition = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; lastProbeTime?: string | null };

/** PodScheduled=False, reason Unschedulable; written only when it changes; retried on conflict. */
export const setPodUnschedulable = async (api: ApiClient, pod: Pod, message: string): Promise<void> => {
  const { namespace = "", name = "" } = pod.metadata ?? {};
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = (await api.get(PODS, namespace, name)) as { spec?: { nodeName?: string }; status?: { conditions?: Condition[] } } & JsonObject;
    if (current.spec?.nodeName) return; // bound meanwhile
    const conditions = [...(current.status?.conditions ?? [])];
    const i = conditions.findIndex((c) => c.type === "PodScheduled");
    const old = i >= 0 ? conditions[i] : undefined;
    if (old && old.status === "False" && old.reason === ReasonUnschedulable && old.message === message) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
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
      await api.updateStatus(PODS, namespace, { ...current, status: { ...(current.status ?? {}), conditions } });
      return;
    } catch (e) {
      if ((e as { status?: { code?: number } }).status?.code !== 409) throw e;
    }
  }
};

export const reportUnschedulable = async (api: ApiClient, recorder: EventRecorder, pod: Pod, message: string, log: (line: string) => void) => {
  await Promise.all([
    recorder.record(pod as unknown as JsonObject, "Warning", FailedScheduling, message),
    setPodUnschedulable(api, pod, message).catch((e) =>
      log(`PodScheduled condition for ${pod.metadata?.namespace}/${pod.metadata?.name} not written: ${(e as Error).message}`),
    ),
  ]);
};
