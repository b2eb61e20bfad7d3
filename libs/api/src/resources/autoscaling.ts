/**
 * autoscaling/v1 HorizontalPodAutoscaler: keeps the replicas of a scalable
 * workload (a Deployment or ReplicaSet, through its `scale` subresource)
 * between minReplicas and maxReplicas so that the pods' average CPU use, as a
 * percentage of their requests, stays near targetCPUUtilizationPercentage.
 *
 * Only autoscaling/v1 is served (the registry serves each resource at one
 * version): autoscaling/v2's metrics list and behavior are not, so kubectl
 * ≥ 1.33 falls back to v1 for CPU-only autoscalers. As in kube-apiserver's v1
 * conversion, the controller's conditions live in the
 * `autoscaling.alpha.kubernetes.io/conditions` annotation.
 */
import * as Schema from "effect/Schema";
import { described as d, Int, objectFields, Time } from "../meta.ts";

export const CrossVersionObjectReference = Schema.Struct({
  kind: d(Schema.String, "Kind of the target object (Deployment, ReplicaSet)."),
  name: d(Schema.String, "Name of the target object, in the autoscaler's namespace."),
  apiVersion: d(Schema.String, "API version of the target object (apps/v1)."),
}).annotations({ documentation: "Identifies the object an autoscaler scales." });

export const HorizontalPodAutoscalerSpec = Schema.Struct({
  scaleTargetRef: d(
    CrossVersionObjectReference,
    "The object to scale: the autoscaler reads and writes its replicas through its scale subresource and measures the pods its scale selector picks.",
  ),
  minReplicas: d(
    Int,
    "The fewest replicas the autoscaler scales down to. Defaults to 1.",
  ),
  maxReplicas: d(Int, "The most replicas the autoscaler scales up to; at least minReplicas."),
  targetCPUUtilizationPercentage: d(
    Int,
    "The average CPU use to aim for, as a percentage of the pods' CPU requests. Without it the autoscaler aims for 80%.",
  ),
}).annotations({ documentation: "What a horizontal pod autoscaler scales, between which bounds, towards which CPU use." });

export const HorizontalPodAutoscalerStatus = Schema.Struct({
  observedGeneration: d(Int, "The metadata.generation the controller last acted on."),
  lastScaleTime: d(
    Time,
    "When the autoscaler last changed the number of replicas.",
  ),
  currentReplicas: d(Int, "The replicas the target had at the last sync."),
  desiredReplicas: d(Int, "The replicas the autoscaler last asked for."),
  currentCPUUtilizationPercentage: d(
    Int,
    "The pods' average CPU use at the last sync as a percentage of their requests (70: an average pod uses 70% of what it requested).",
  ),
}).annotations({ documentation: "What the autoscaler last observed and decided. Read-only." });

export const HorizontalPodAutoscaler = Schema.Struct({
  ...objectFields,
  spec: d(
    HorizontalPodAutoscalerSpec,
    "What to scale and how.",
  ),
  status: d(HorizontalPodAutoscalerStatus, "What the autoscaler controller last observed. Read-only."),
}).annotations({ documentation: "A HorizontalPodAutoscaler scales a Deployment or ReplicaSet with the CPU use of its pods." });
export type HorizontalPodAutoscaler = typeof HorizontalPodAutoscaler.Type;

/** Where autoscaling/v1 objects carry the controller's conditions (v2's status.conditions). */
export const HPA_CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions";
/** The CPU target an autoscaler without targetCPUUtilizationPercentage uses (autoscaling.DefaultCPUUtilization). */
export const DEFAULT_CPU_UTILIZATION = 80;
