/**
 * The horizontal pod autoscaler controller (kube's `horizontalpodautoscaling`):
 * every sync period (15 s) each autoscaling/v1 HorizontalPodAutoscaler reads
 * its target's scale subresource, the pods the Scale's selector picks (from
 * the shared pod informer) and their PodMetrics from metrics.k8s.io (through
 * the API, as kube's controller reads metrics-server), asks `planAutoscaler`
 * (hpa-util.ts) for the replica count, writes the Scale when it changes, then
 * the status and the conditions (in the `autoscaling.alpha.kubernetes.io/conditions`
 * annotation, as kube shows them on v1 objects), with kube's events
 * (SuccessfulRescale, FailedGetScale, FailedGetResourceMetric,
 * FailedComputeMetricsReplicas, FailedRescale) from `horizontal-pod-autoscaler`.
 *
 * Recommendations for the downscale stabilization window are kept in memory
 * per autoscaler, as upstream: a new leader starts with the current replicas
 * as its only sample. The clock and the periods are options so tests run on
 * simulated time and short windows.
 */
import { HPA_CONDITIONS_ANNOTATION, resources } from "@kubeactor/api";
import { objectKey, type ResourceRef } from "@kubeactor/client";
import {
  CPU_INITIALIZATION_PERIOD_MS,
  conditionsOf,
  DEFAULT_TOLERANCE,
  DOWNSCALE_STABILIZATION_MS,
  failedRescale,
  HPA_SYNC_PERIOD_MS,
  INITIAL_READINESS_DELAY_MS,
  planAutoscaler,
  type Recommendation,
} from "./hpa-util.ts";
import { type Controller, PODS } from "./runtime.ts";
import { isNotFound, jsonEqual, meta, type Obj } from "./util.ts";

export const HORIZONTALPODAUTOSCALERS: ResourceRef = { group: "autoscaling", version: "v1", resource: "horizontalpodautoscalers" };
const PODMETRICS: ResourceRef = { group: "metrics.k8s.io", version: "v1beta1", resource: "pods" };
const COMPONENT = "horizontal-pod-autoscaler";

export interface HorizontalPodAutoscalerOptions {
  /** `--horizontal-pod-autoscaler-sync-period` (15 s). */
  readonly syncPeriodMs?: number;
  /** `--horizontal-pod-autoscaler-downscale-stabilization` (5 min). */
  readonly downscaleStabilizationMs?: number;
  /** `--horizontal-pod-autoscaler-tolerance` (0.1). */
  readonly tolerance?: number;
  /** `--horizontal-pod-autoscaler-cpu-initialization-period` (5 min). */
  readonly cpuInitializationPeriodMs?: number;
  /** `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s). */
  readonly initialReadinessDelayMs?: number;
  /** The clock (ms since the epoch); tests pass a simulated one. */
  readonly now?: () => number;
}

/** The scalable resource a scaleTargetRef names: any served kind of that group with a scale subresource. */
const targetResource = (ref: { apiVersion?: string; kind?: string } | undefined): ResourceRef => {
  const apiVersion = ref?.apiVersion ?? "";
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  const info = resources.find((r) => r.group === group && r.kind === ref?.kind && r.subresources.some((s) => s.name === "scale"));
  if (!info) throw new Error(`no matches for kind "${ref?.kind ?? ""}" in group "${group}"`);
  return { group: info.group, version: info.version, resource: info.resource };
};

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

export const horizontalPodAutoscalerControllerWith = (opts: HorizontalPodAutoscalerOptions = {}): Controller => {
  const syncPeriodMs = opts.syncPeriodMs ?? HPA_SYNC_PERIOD_MS;
  const now = opts.now ?? Date.now;
  return {
    name: "horizontal-pod-autoscaler",
    workers: 2,
    setup(ctx, queue) {
      const hpaInf = ctx.informer(HORIZONTALPODAUTOSCALERS);
      const podInf = ctx.informer(PODS);
      const events = ctx.recorder(COMPONENT);
      const recommendations = new Map<string, Recommendation[]>();
      hpaInf.addHandler({
        onAdd: (o) => queue.add(objectKey(o)),
        // Our own status writes come back as updates: only a spec change (or a new object) is worth a sync now.
        onUpdate: (a, b) => {
          if (!jsonEqual((a as Obj).spec, (b as Obj).spec)) queue.add(objectKey(b));
        },
        onDelete: (o) => recommendations.delete(objectKey(o)),
      });

      const sync = async (key: string): Promise<void> => {
        const hpa = hpaInf.get(key) as Obj | undefined;
        if (!hpa) {
          recommendations.delete(key);
          return;
        }
        const ns = meta(hpa).namespace ?? "";
        const ref = hpa.spec?.scaleTargetRef as { apiVersion?: string; kind?: string; name?: string } | undefined;
        let target: ResourceRef | undefined;
        let scale: Obj | Error;
        try {
          target = targetResource(ref);
          scale = (await ctx.api.getScale(target, ns, ref?.name ?? "")) as Obj;
        } catch (e) {
          scale = asError(e);
        }
        let podMetrics: Obj[] | Error = [];
        const selector = scale instanceof Error ? "" : String((scale.status as { selector?: string } | undefined)?.selector ?? "");
        if (selector) {
          try {
            podMetrics = (((await ctx.api.list(PODMETRICS, ns, { labelSelector: selector })) as { items?: Obj[] }).items ?? []) as Obj[];
          } catch (e) {
            podMetrics = asError(e);
          }
        }
        const at = now();
        const plan = planAutoscaler(
          {
            hpa,
            scale,
            pods: podInf.byIndex("namespace", ns) as Obj[],
            podMetrics,
            recommendations: recommendations.get(key),
            now: at,
            downscaleStabilizationMs: opts.downscaleStabilizationMs ?? DOWNSCALE_STABILIZATION_MS,
            tolerance: opts.tolerance ?? DEFAULT_TOLERANCE,
            cpuInitializationPeriodMs: opts.cpuInitializationPeriodMs ?? CPU_INITIALIZATION_PERIOD_MS,
            initialReadinessDelayMs: opts.initialReadinessDelayMs ?? INITIAL_READINESS_DELAY_MS,
          },
          conditionsOf(hpa, HPA_CONDITIONS_ANNOTATION),
        );
        recommendations.set(key, plan.recommendations);
        for (const e of plan.events) void events.record(hpa, e.type, e.reason, e.message);
        let { status, conditions } = plan;
        if (plan.rescale && target && !(scale instanceof Error)) {
          const { replicas, reason } = plan.rescale;
          try {
            await ctx.api.updateScale(target, ns, { ...scale, spec: { ...(scale.spec as Obj), replicas } } as Obj);
            conditions = conditions.map((c) =>
              c.type === "AbleToScale" ? { ...c, reason: "SucceededRescale", message: `the HPA controller was able to update the target scale to ${replicas}` } : c,
            );
            void events.record(hpa, "Normal", "SuccessfulRescale", `New size: ${replicas}; reason: ${reason}`);
          } catch (e) {
            const message = asError(e).message;
            void events.record(hpa, "Warning", "FailedRescale", `New size: ${replicas}; reason: ${reason}; error: ${message}`);
            const failed = failedRescale(plan, hpa, message, at);
            conditions = failed.conditions;
            status = failed.status;
            ctx.log(`horizontal-pod-autoscaler: failed to rescale ${key}: ${message}`);
          }
        }
        if (plan.error) ctx.log(`horizontal-pod-autoscaler: ${key}: ${plan.error}`);
        const annotations = { ...(meta(hpa).annotations ?? {}), [HPA_CONDITIONS_ANNOTATION]: JSON.stringify(conditions) };
        if (jsonEqual(status, hpa.status) && jsonEqual(annotations, meta(hpa).annotations ?? {})) return;
        await ctx.api
          .updateStatus(HORIZONTALPODAUTOSCALERS, ns, { ...hpa, metadata: { ...meta(hpa), annotations }, status } as Obj)
          .catch((e) => {
            // A conflict or a deleted autoscaler: the next sync starts from the fresh copy.
            if (!isNotFound(e)) ctx.log(`horizontal-pod-autoscaler: status of ${key}: ${asError(e).message}`);
          });
      };

      return async (key) => {
        try {
          await sync(key);
        } catch (e) {
          ctx.log(`horizontal-pod-autoscaler: ${key}: ${asError(e).message}`);
        }
        // Every autoscaler is synced once per period whatever happened (kube's rate-limited requeue).
        if (hpaInf.get(key)) return { requeueAfterMs: syncPeriodMs };
      };
    },
  };
};

export const horizontalPodAutoscalerController: Controller = horizontalPodAutoscalerControllerWith();
