/**
 * The resource registry: the one table that discovery (`/api`, `/apis`),
 * routing, storage keys, decoding, defaulting and validation all read.
 * Names, short names, categories, verbs and subresources are Kubernetes'.
 */
import type * as Schema from "effect/Schema";
import { Deployment, ReplicaSet } from "./resources/apps.ts";
import { HorizontalPodAutoscaler } from "./resources/autoscaling.ts";
import { CronJob, Job } from "./resources/batch.ts";
import { ControllerRevision, DaemonSet, StatefulSet } from "./resources/workloads.ts";
import { ConfigMap, Endpoints, Event, Namespace, Node, Secret, Service, ServiceAccount } from "./resources/core.ts";
import { EndpointSlice } from "./resources/discovery.ts";
import { ComponentStatus, EventsV1Event, Lease } from "./resources/misc.ts";
import { Pod } from "./resources/pod.ts";
import { PodDisruptionBudget } from "./resources/policy.ts";
import { PersistentVolume, PersistentVolumeClaim, StorageClass } from "./resources/storage.ts";
import { LimitRange, ResourceQuota } from "./resources/quota.ts";
import { PodTemplate, ReplicationController } from "./resources/replication.ts";
import { PriorityClass } from "./resources/scheduling.ts";
import { RuntimeClass } from "./resources/node.ts";
import { Ingress, IngressClass, NetworkPolicy } from "./resources/networking.ts";
import { NodeMetrics, PodMetrics } from "./resources/metrics.ts";
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "./resources/rbac.ts";
import { LocalSubjectAccessReview, SelfSubjectAccessReview, SelfSubjectReview, SelfSubjectRulesReview, SubjectAccessReview } from "./resources/reviews.ts";

export interface SubresourceInfo {
  readonly name: string;
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly verbs: readonly string[];
}

export interface ResourceInfo {
  /** API group; "" for core. */
  readonly group: string;
  readonly version: string;
  /** Plural, lower case: the URL segment ("configmaps"). */
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Verbs on the collection/object, as discovery lists them. */
  readonly verbs: readonly string[];
  readonly subresources: readonly SubresourceInfo[];
  /** Decodes the wire JSON (see decodeObject for the options to use). */
  readonly schema: Schema.Schema<any, any>;
  /** True when spec changes bump metadata.generation (Kubernetes' strategies). */
  readonly hasGeneration: boolean;
  /**
   * Where the objects come from: "store" (the versioned store, almost every
   * kind); "request" for the review kinds (SelfSubjectAccessReview, ...): a
   * create is a question the API server answers in its response, nothing is
   * stored and create is the only verb; "kubelets" for metrics.k8s.io, read
   * live from the nodes (get and list only); "components" for v1
   * ComponentStatus, the control plane's health as the API server sees it
   * when asked (get and list only).
   */
  readonly servedFrom: "store" | "request" | "kubelets" | "components";
}

/** create, delete, deletecollection, get, list, patch, update, watch. */
export const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] as const;
const STATUS_VERBS = ["get", "patch", "update"] as const;

const status = (group: string, version: string, kind: string): SubresourceInfo => ({ name: "status", kind, group, version, verbs: STATUS_VERBS });
const scale: SubresourceInfo = { name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: STATUS_VERBS };

const info = (r: Omit<ResourceInfo, "listKind" | "verbs" | "subresources" | "shortNames" | "categories" | "servedFrom"> & Partial<ResourceInfo>): ResourceInfo => ({
  listKind: `${r.kind}List`,
  verbs: ALL_VERBS,
  subresources: [],
  shortNames: [],
  categories: [],
  servedFrom: "store",
  ...r,
});

/** A review kind: create-only, answered and not stored. */
const review = (group: string, resource: string, kind: string, schema: Schema.Schema<any, any>, namespaced = false): ResourceInfo =>
  info({ group, version: "v1", resource, singular: resource.replace(/s$/, ""), kind, namespaced, schema, hasGeneration: false, verbs: ["create"], servedFrom: "request" });

export const resources: readonly ResourceInfo[] = [
  info({
    group: "", version: "v1", resource: "namespaces", singular: "namespace", kind: "Namespace", namespaced: false,
    shortNames: ["ns"], schema: Namespace, hasGeneration: false,
    // Namespaces have no deletecollection in Kubernetes.
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    subresources: [
      { name: "finalize", kind: "Namespace", group: "", version: "v1", verbs: ["update"] },
      status("", "v1", "Namespace"),
    ],
  }),
  info({
    group: "", version: "v1", resource: "nodes", singular: "node", kind: "Node", namespaced: false,
    shortNames: ["no"], schema: Node, hasGeneration: false, subresources: [status("", "v1", "Node")],
  }),
  info({
    group: "", version: "v1", resource: "pods", singular: "pod", kind: "Pod", namespaced: true,
    shortNames: ["po"], categories: ["all"], schema: Pod,
    // Kubernetes >= 1.33 sets metadata.generation on pods and bumps it on spec updates.
    hasGeneration: true,
    subresources: [
      { name: "binding", kind: "Binding", group: "", version: "v1", verbs: ["create"] },
      // kubectl debug: writes that may only add containers to spec.ephemeralContainers.
      { name: "ephemeralcontainers", kind: "Pod", group: "", version: "v1", verbs: STATUS_VERBS },
      { name: "eviction", kind: "Eviction", group: "policy", version: "v1", verbs: ["create"] },
      { name: "log", kind: "Pod", group: "", version: "v1", verbs: ["get"] },
      { name: "exec", kind: "PodExecOptions", group: "", version: "v1", verbs: ["create", "get"] },
      { name: "attach", kind: "PodAttachOptions", group: "", version: "v1", verbs: ["create", "get"] },
      { name: "portforward", kind: "PodPortForwardOptions", group: "", version: "v1", verbs: ["create", "get"] },
      status("", "v1", "Pod"),
    ],
  }),
  info({
    group: "", version: "v1", resource: "services", singular: "service", kind: "Service", namespaced: true,
    shortNames: ["svc"], categories: ["all"], schema: Service, hasGeneration: false, subresources: [status("", "v1", "Service")],
  }),
  info({
    group: "", version: "v1", resource: "endpoints", singular: "endpoints", kind: "Endpoints", namespaced: true,
    shortNames: ["ep"], schema: Endpoints, hasGeneration: false,
  }),
  info({
    group: "", version: "v1", resource: "configmaps", singular: "configmap", kind: "ConfigMap", namespaced: true,
    shortNames: ["cm"], schema: ConfigMap, hasGeneration: false,
  }),
  info({
    group: "", version: "v1", resource: "secrets", singular: "secret", kind: "Secret", namespaced: true,
    schema: Secret, hasGeneration: false,
  }),
  info({
    group: "", version: "v1", resource: "componentstatuses", singular: "componentstatus", kind: "ComponentStatus", namespaced: false,
    shortNames: ["cs"], schema: ComponentStatus, hasGeneration: false, verbs: ["get", "list"], servedFrom: "components",
  }),
  info({
    group: "", version: "v1", resource: "serviceaccounts", singular: "serviceaccount", kind: "ServiceAccount", namespaced: true,
    shortNames: ["sa"], schema: ServiceAccount, hasGeneration: false,
    // kubectl create token.
    subresources: [{ name: "token", kind: "TokenRequest", group: "authentication.k8s.io", version: "v1", verbs: ["create"] }],
  }),
  info({
    group: "", version: "v1", resource: "persistentvolumes", singular: "persistentvolume", kind: "PersistentVolume", namespaced: false,
    shortNames: ["pv"], schema: PersistentVolume, hasGeneration: false, subresources: [status("", "v1", "PersistentVolume")],
  }),
  info({
    group: "", version: "v1", resource: "persistentvolumeclaims", singular: "persistentvolumeclaim", kind: "PersistentVolumeClaim", namespaced: true,
    shortNames: ["pvc"], schema: PersistentVolumeClaim, hasGeneration: false, subresources: [status("", "v1", "PersistentVolumeClaim")],
  }),
  info({
    group: "", version: "v1", resource: "resourcequotas", singular: "resourcequota", kind: "ResourceQuota", namespaced: true,
    shortNames: ["quota"], schema: ResourceQuota, hasGeneration: false, subresources: [status("", "v1", "ResourceQuota")],
  }),
  info({
    group: "", version: "v1", resource: "limitranges", singular: "limitrange", kind: "LimitRange", namespaced: true,
    shortNames: ["limits"], schema: LimitRange, hasGeneration: false,
  }),
  info({
    group: "", version: "v1", resource: "podtemplates", singular: "podtemplate", kind: "PodTemplate", namespaced: true,
    schema: PodTemplate, hasGeneration: true,
  }),
  // The ReplicaSet's predecessor: same controller, a plain label map as selector.
  info({
    group: "", version: "v1", resource: "replicationcontrollers", singular: "replicationcontroller", kind: "ReplicationController", namespaced: true,
    shortNames: ["rc"], categories: ["all"], schema: ReplicationController, hasGeneration: true,
    subresources: [scale, status("", "v1", "ReplicationController")],
  }),
  // core/v1 events and events.k8s.io/v1 events share one storage in Kubernetes
  // (the same objects seen through two shapes). Here they are separate entries
  // with separate storage; converting between the two is left to the apiserver.
  info({
    group: "", version: "v1", resource: "events", singular: "event", kind: "Event", namespaced: true,
    shortNames: ["ev"], schema: Event, hasGeneration: false,
  }),
  info({
    group: "events.k8s.io", version: "v1", resource: "events", singular: "event", kind: "Event", namespaced: true,
    shortNames: ["ev"], schema: EventsV1Event, hasGeneration: false,
  }),
  info({
    group: "coordination.k8s.io", version: "v1", resource: "leases", singular: "lease", kind: "Lease", namespaced: true,
    schema: Lease, hasGeneration: false,
  }),
  info({
    group: "apps", version: "v1", resource: "deployments", singular: "deployment", kind: "Deployment", namespaced: true,
    shortNames: ["deploy"], categories: ["all"], schema: Deployment, hasGeneration: true,
    subresources: [scale, status("apps", "v1", "Deployment")],
  }),
  info({
    group: "apps", version: "v1", resource: "replicasets", singular: "replicaset", kind: "ReplicaSet", namespaced: true,
    shortNames: ["rs"], categories: ["all"], schema: ReplicaSet, hasGeneration: true,
    subresources: [scale, status("apps", "v1", "ReplicaSet")],
  }),
  // autoscaling/v1 only: autoscaling/v2 is not served (one version per resource), kubectl ≥ 1.33 falls back to v1.
  info({
    group: "autoscaling", version: "v1", resource: "horizontalpodautoscalers", singular: "horizontalpodautoscaler", kind: "HorizontalPodAutoscaler",
    namespaced: true, shortNames: ["hpa"], categories: ["all"], schema: HorizontalPodAutoscaler, hasGeneration: true,
    subresources: [status("autoscaling", "v1", "HorizontalPodAutoscaler")],
  }),
  info({
    group: "apps", version: "v1", resource: "daemonsets", singular: "daemonset", kind: "DaemonSet", namespaced: true,
    shortNames: ["ds"], categories: ["all"], schema: DaemonSet, hasGeneration: true, subresources: [status("apps", "v1", "DaemonSet")],
  }),
  info({
    group: "apps", version: "v1", resource: "statefulsets", singular: "statefulset", kind: "StatefulSet", namespaced: true,
    shortNames: ["sts"], categories: ["all"], schema: StatefulSet, hasGeneration: true,
    subresources: [scale, status("apps", "v1", "StatefulSet")],
  }),
  info({
    group: "apps", version: "v1", resource: "controllerrevisions", singular: "controllerrevision", kind: "ControllerRevision", namespaced: true,
    schema: ControllerRevision, hasGeneration: false,
  }),
  info({
    group: "batch", version: "v1", resource: "jobs", singular: "job", kind: "Job", namespaced: true,
    categories: ["all"], schema: Job, hasGeneration: true, subresources: [status("batch", "v1", "Job")],
  }),
  info({
    group: "batch", version: "v1", resource: "cronjobs", singular: "cronjob", kind: "CronJob", namespaced: true,
    shortNames: ["cj"], categories: ["all"], schema: CronJob, hasGeneration: true, subresources: [status("batch", "v1", "CronJob")],
  }),
  info({
    group: "discovery.k8s.io", version: "v1", resource: "endpointslices", singular: "endpointslice", kind: "EndpointSlice", namespaced: true,
    schema: EndpointSlice, hasGeneration: false,
  }),
  info({
    group: "policy", version: "v1", resource: "poddisruptionbudgets", singular: "poddisruptionbudget", kind: "PodDisruptionBudget", namespaced: true,
    shortNames: ["pdb"], schema: PodDisruptionBudget, hasGeneration: true, subresources: [status("policy", "v1", "PodDisruptionBudget")],
  }),
  info({
    group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses", singular: "priorityclass", kind: "PriorityClass", namespaced: false,
    shortNames: ["pc"], schema: PriorityClass, hasGeneration: false,
  }),
  info({
    group: "node.k8s.io", version: "v1", resource: "runtimeclasses", singular: "runtimeclass", kind: "RuntimeClass", namespaced: false,
    schema: RuntimeClass, hasGeneration: false,
  }),
  info({
    group: "networking.k8s.io", version: "v1", resource: "ingressclasses", singular: "ingressclass", kind: "IngressClass", namespaced: false,
    schema: IngressClass, hasGeneration: true,
  }),
  info({
    group: "networking.k8s.io", version: "v1", resource: "ingresses", singular: "ingress", kind: "Ingress", namespaced: true,
    shortNames: ["ing"], schema: Ingress, hasGeneration: true, subresources: [status("networking.k8s.io", "v1", "Ingress")],
  }),
  info({
    group: "networking.k8s.io", version: "v1", resource: "networkpolicies", singular: "networkpolicy", kind: "NetworkPolicy", namespaced: true,
    shortNames: ["netpol"], schema: NetworkPolicy, hasGeneration: true,
  }),
  info({
    group: "storage.k8s.io", version: "v1", resource: "storageclasses", singular: "storageclass", kind: "StorageClass", namespaced: false,
    shortNames: ["sc"], schema: StorageClass, hasGeneration: false,
  }),
  info({
    group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterrolebindings", singular: "clusterrolebinding", kind: "ClusterRoleBinding", namespaced: false,
    schema: ClusterRoleBinding, hasGeneration: false,
  }),
  info({
    group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles", singular: "clusterrole", kind: "ClusterRole", namespaced: false,
    schema: ClusterRole, hasGeneration: false,
  }),
  info({
    group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings", singular: "rolebinding", kind: "RoleBinding", namespaced: true,
    schema: RoleBinding, hasGeneration: false,
  }),
  info({
    group: "rbac.authorization.k8s.io", version: "v1", resource: "roles", singular: "role", kind: "Role", namespaced: true,
    schema: Role, hasGeneration: false,
  }),
  // metrics.k8s.io: what metrics-server serves, read from the kubelets on each request.
  info({
    group: "metrics.k8s.io", version: "v1beta1", resource: "nodes", singular: "", kind: "NodeMetrics", namespaced: false,
    schema: NodeMetrics, hasGeneration: false, verbs: ["get", "list"], servedFrom: "kubelets",
  }),
  info({
    group: "metrics.k8s.io", version: "v1beta1", resource: "pods", singular: "", kind: "PodMetrics", namespaced: true,
    schema: PodMetrics, hasGeneration: false, verbs: ["get", "list"], servedFrom: "kubelets",
  }),
  review("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview", SelfSubjectReview),
  review("authorization.k8s.io", "localsubjectaccessreviews", "LocalSubjectAccessReview", LocalSubjectAccessReview, true),
  review("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview", SelfSubjectAccessReview),
  review("authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview", SelfSubjectRulesReview),
  review("authorization.k8s.io", "subjectaccessreviews", "SubjectAccessReview", SubjectAccessReview),
];

/** "v1" for core, "apps/v1" otherwise. */
export const apiVersionOf = (info: ResourceInfo): string => (info.group === "" ? info.version : `${info.group}/${info.version}`);

/** Splits "apps/v1" → { group: "apps", version: "v1" }, "v1" → { group: "", version: "v1" }. */
export const parseApiVersion = (apiVersion: string): { group: string; version: string } => {
  const i = apiVersion.indexOf("/");
  return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
};

const byPath = new Map(resources.map((r) => [`${r.group}/${r.version}/${r.resource}`, r]));
const byKind = new Map(resources.map((r) => [`${apiVersionOf(r)}/${r.kind}`, r]));

/** Exact lookup by URL coordinates (resource is the plural). */
export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return byPath.get(`${group}/${version}/${resource}`);
}

/** Exact lookup by the object's apiVersion and kind. */
export function findResourceByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

/** The API groups served, in discovery order ("" is core), with their versions. */
export const apiGroups = (): { group: string; versions: string[] }[] => {
  const out = new Map<string, Set<string>>();
  for (const r of resources) {
    if (!out.has(r.group)) out.set(r.group, new Set());
    out.get(r.group)!.add(r.version);
  }
  return [...out].map(([group, versions]) => ({ group, versions: [...versions] }));
};

/** What kubectl lets users type: plural, singular, kind (any case) or short name, optionally `.group`. */
export function resolveResourceName(name: string): ResourceInfo[] {
  const lower = name.toLowerCase();
  const dot = lower.indexOf(".");
  const base = dot < 0 ? lower : lower.slice(0, dot);
  const group = dot < 0 ? undefined : lower.slice(dot + 1);
  return resources.filter(
    (r) =>
      (group === undefined || r.group === group) &&
      (r.resource === base || r.singular === base || r.kind.toLowerCase() === base || r.shortNames.includes(base)),
  );
}
