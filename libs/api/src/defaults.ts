/**
 * Defaulting, as Kubernetes' SetDefaults_* functions (pkg/apis/{core,apps}/v1/defaults.go)
 * and the create-time bits of the registry strategies that users see as
 * defaults (Namespace finalizers and phase, Service IP families). Also
 * canonicalises resource quantities, as Kubernetes does by round-tripping them
 * through resource.Quantity (`2000m` is stored as `2`, `1.5Gi` as `1536Mi`).
 */
import { formatQuantity, parseQuantity } from "./quantity.ts";
import type { ResourceInfo } from "./registry.ts";
import { defaultRbacBinding } from "./validation-rbac.ts";
import { defaultIngressClass, defaultNetworkPolicy } from "./validation-networking.ts";
import { defaultLimitRange, defaultResourceQuota } from "./validation-quota.ts";
import { defaultPersistentVolume, defaultPersistentVolumeClaim, defaultStorageClass, prepareStorageForCreate } from "./validation-storage.ts";
import { type Obj, isObj, objAt, objects } from "./plain.ts";
import { defaultReplicationController } from "./validation-replication.ts";
import { rfc3339 } from "./time.ts";
import { defaultDaemonSet, defaultStatefulSet, prepareDaemonSetCreate, prepareDaemonSetUpdate, prepareStatefulSetCreate } from "./validation-apps.ts";

const setIfAbsent = (o: Obj, key: string, value: unknown): void => {
  if (o[key] === undefined || o[key] === "") o[key] = value;
};

/** Default file mode for configMap/secret/downwardAPI/projected volumes (0644). */
export const DEFAULT_VOLUME_MODE = 420;

/** The tag part of an image reference as parsers.ParseImageName sees it: "latest" when neither tag nor digest is given. */
export const imageTag = (image: string): string => {
  const at = image.indexOf("@");
  const hasDigest = at >= 0;
  const name = hasDigest ? image.slice(0, at) : image;
  const lastSegment = name.slice(name.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  if (colon >= 0) return lastSegment.slice(colon + 1);
  return hasDigest ? "" : "latest";
};

/** Always for `:latest` or an untagged image, IfNotPresent otherwise (digests included). */
export const defaultImagePullPolicy = (image: string | undefined): string =>
  image !== undefined && image !== "" && imageTag(image) === "latest" ? "Always" : "IfNotPresent";

/** Rounds a ResourceList's values up to milli precision and prints them canonically; invalid values stay (validation reports them). */
const canonicalResourceList = (list: unknown): void => {
  if (!isObj(list)) return;
  for (const [k, v] of Object.entries(list)) {
    if (typeof v !== "string" && typeof v !== "number") continue;
    try {
      const q = parseQuantity(v);
      const milli = q.nanos / 1_000_000n + (q.nanos % 1_000_000n > 0n ? 1n : q.nanos % 1_000_000n < 0n ? -1n : 0n);
      list[k] = formatQuantity({ nanos: milli * 1_000_000n, format: q.format });
    } catch {
      // left for validation
    }
  }
};

const defaultHTTPGet = (h: unknown): void => {
  if (!isObj(h)) return;
  setIfAbsent(h, "path", "/");
  setIfAbsent(h, "scheme", "HTTP");
};

const defaultProbe = (p: unknown): void => {
  if (!isObj(p)) return;
  if (!p["timeoutSeconds"]) p["timeoutSeconds"] = 1;
  if (!p["periodSeconds"]) p["periodSeconds"] = 10;
  if (!p["successThreshold"]) p["successThreshold"] = 1;
  if (!p["failureThreshold"]) p["failureThreshold"] = 3;
  defaultHTTPGet(p["httpGet"]);
};

const defaultFieldRefs = (o: Obj): void => {
  const fieldRef = o["fieldRef"];
  if (isObj(fieldRef)) setIfAbsent(fieldRef, "apiVersion", "v1");
  const resourceFieldRef = o["resourceFieldRef"];
  // divisor is a non-pointer Quantity in Go: it always serialises, as "0" when unset.
  if (isObj(resourceFieldRef)) setIfAbsent(resourceFieldRef, "divisor", "0");
};

const defaultContainer = (c: Obj, hostNetwork: boolean): void => {
  if (!c["imagePullPolicy"]) c["imagePullPolicy"] = defaultImagePullPolicy(typeof c["image"] === "string" ? c["image"] : undefined);
  setIfAbsent(c, "terminationMessagePath", "/dev/termination-log");
  setIfAbsent(c, "terminationMessagePolicy", "File");
  for (const port of objects(c["ports"])) {
    setIfAbsent(port, "protocol", "TCP");
    if (hostNetwork && !port["hostPort"] && port["containerPort"] !== undefined) port["hostPort"] = port["containerPort"];
  }
  for (const env of objects(c["env"])) if (isObj(env["valueFrom"])) defaultFieldRefs(env["valueFrom"]);
  // resources is a non-pointer struct in Go: it always serialises, as {} when unset.
  const resources = objAt(c, "resources");
  canonicalResourceList(resources["limits"]);
  canonicalResourceList(resources["requests"]);
  defaultProbe(c["livenessProbe"]);
  defaultProbe(c["readinessProbe"]);
  defaultProbe(c["startupProbe"]);
  const lifecycle = c["lifecycle"];
  if (isObj(lifecycle)) {
    if (isObj(lifecycle["postStart"])) defaultHTTPGet(lifecycle["postStart"]["httpGet"]);
    if (isObj(lifecycle["preStop"])) defaultHTTPGet(lifecycle["preStop"]["httpGet"]);
  }
};

const VOLUME_SOURCES_WITHOUT_NAME = (v: Obj) => Object.keys(v).filter((k) => k !== "name" && v[k] !== undefined);

const defaultVolume = (v: Obj): void => {
  if (VOLUME_SOURCES_WITHOUT_NAME(v).length === 0) v["emptyDir"] = {};
  for (const key of ["configMap", "secret", "downwardAPI", "projected"]) {
    const src = v[key];
    if (isObj(src) && src["defaultMode"] === undefined) src["defaultMode"] = DEFAULT_VOLUME_MODE;
  }
  const hostPath = v["hostPath"];
  if (isObj(hostPath) && hostPath["type"] === undefined) hostPath["type"] = "";
  const emptyDir = v["emptyDir"];
  if (isObj(emptyDir) && emptyDir["sizeLimit"] !== undefined) {
    const holder = { sizeLimit: emptyDir["sizeLimit"] };
    canonicalResourceList(holder);
    emptyDir["sizeLimit"] = holder.sizeLimit;
  }
  const downward = v["downwardAPI"];
  if (isObj(downward)) for (const item of objects(downward["items"])) defaultFieldRefs(item);
  const projected = v["projected"];
  if (isObj(projected)) {
    for (const source of objects(projected["sources"])) {
      const token = source["serviceAccountToken"];
      if (isObj(token) && token["expirationSeconds"] === undefined) token["expirationSeconds"] = 3600;
      const d = source["downwardAPI"];
      if (isObj(d)) for (const item of objects(d["items"])) defaultFieldRefs(item);
    }
  }
};

/** SetDefaults_PodSpec and everything under it (containers, probes, volumes). Used for pods and pod templates. */
export const defaultPodSpec = (spec: Obj): void => {
  setIfAbsent(spec, "dnsPolicy", "ClusterFirst");
  setIfAbsent(spec, "restartPolicy", "Always");
  if (!isObj(spec["securityContext"])) spec["securityContext"] = {};
  if (spec["terminationGracePeriodSeconds"] === undefined) spec["terminationGracePeriodSeconds"] = 30;
  setIfAbsent(spec, "schedulerName", "default-scheduler");
  const hostNetwork = spec["hostNetwork"] === true;
  for (const c of objects(spec["containers"])) defaultContainer(c, hostNetwork);
  for (const c of objects(spec["initContainers"])) defaultContainer(c, hostNetwork);
  for (const c of objects(spec["ephemeralContainers"])) defaultContainer(c, false);
  for (const v of objects(spec["volumes"])) defaultVolume(v);
  canonicalResourceList(spec["overhead"]);
  if (isObj(spec["resources"])) {
    canonicalResourceList(spec["resources"]["limits"]);
    canonicalResourceList(spec["resources"]["requests"]);
  }
};

/** SetDefaults_Pod: only for Pod objects, not templates. */
const defaultPod = (pod: Obj): void => {
  const spec = objAt(pod, "spec");
  defaultPodSpec(spec);
  for (const c of [...objects(spec["containers"]), ...objects(spec["initContainers"])]) {
    const resources = objAt(c, "resources");
    const limits = resources["limits"];
    if (!isObj(limits)) continue;
    const requests = objAt(resources, "requests");
    for (const [k, v] of Object.entries(limits)) if (requests[k] === undefined) requests[k] = v;
  }
  if (spec["enableServiceLinks"] === undefined) spec["enableServiceLinks"] = true;
};

const defaultTemplate = (spec: Obj): void => {
  const template = spec["template"];
  if (isObj(template)) defaultPodSpec(objAt(template, "spec"));
};

const defaultDeployment = (d: Obj): void => {
  const spec = objAt(d, "spec");
  if (spec["replicas"] === undefined) spec["replicas"] = 1;
  const strategy = objAt(spec, "strategy");
  setIfAbsent(strategy, "type", "RollingUpdate");
  if (strategy["type"] === "RollingUpdate") {
    const ru = objAt(strategy, "rollingUpdate");
    if (ru["maxUnavailable"] === undefined) ru["maxUnavailable"] = "25%";
    if (ru["maxSurge"] === undefined) ru["maxSurge"] = "25%";
  }
  if (spec["revisionHistoryLimit"] === undefined) spec["revisionHistoryLimit"] = 10;
  if (spec["progressDeadlineSeconds"] === undefined) spec["progressDeadlineSeconds"] = 600;
  defaultTemplate(spec);
};

const defaultReplicaSet = (rs: Obj): void => {
  const spec = objAt(rs, "spec");
  if (spec["replicas"] === undefined) spec["replicas"] = 1;
  defaultTemplate(spec);
};

const defaultService = (svc: Obj): void => {
  const spec = objAt(svc, "spec");
  setIfAbsent(spec, "sessionAffinity", "None");
  if (spec["sessionAffinity"] === "None") delete spec["sessionAffinityConfig"];
  if (spec["sessionAffinity"] === "ClientIP") {
    const cfg = objAt(spec, "sessionAffinityConfig");
    const clientIP = objAt(cfg, "clientIP");
    if (clientIP["timeoutSeconds"] === undefined) clientIP["timeoutSeconds"] = 10800;
  }
  setIfAbsent(spec, "type", "ClusterIP");
  const type = spec["type"];
  for (const p of objects(spec["ports"])) {
    setIfAbsent(p, "protocol", "TCP");
    if (p["targetPort"] === undefined || p["targetPort"] === 0 || p["targetPort"] === "") p["targetPort"] = p["port"];
  }
  const externalIPs = spec["externalIPs"];
  const externallyAccessible =
    type === "LoadBalancer" || type === "NodePort" || (type === "ClusterIP" && Array.isArray(externalIPs) && externalIPs.length > 0);
  if (externallyAccessible) setIfAbsent(spec, "externalTrafficPolicy", "Cluster");
  if (spec["internalTrafficPolicy"] === undefined && (type === "ClusterIP" || type === "NodePort" || type === "LoadBalancer")) {
    spec["internalTrafficPolicy"] = "Cluster";
  }
  if (type === "LoadBalancer" && spec["allocateLoadBalancerNodePorts"] === undefined) spec["allocateLoadBalancerNodePorts"] = true;
  // Set by the service REST storage (IP family allocation) in Kubernetes; single-stack IPv4 here.
  if (type !== "ExternalName") {
    setIfAbsent(spec, "ipFamilyPolicy", "SingleStack");
    if (!Array.isArray(spec["ipFamilies"]) || spec["ipFamilies"].length === 0) spec["ipFamilies"] = ["IPv4"];
  }
};

const defaultNamespace = (ns: Obj): void => {
  const meta = isObj(ns["metadata"]) ? ns["metadata"] : undefined;
  const name = meta?.["name"];
  if (meta && typeof name === "string" && name.length > 0) objAt(meta, "labels")["kubernetes.io/metadata.name"] = name;
  // namespace strategy PrepareForCreate: the "kubernetes" finalizer, phase Active.
  const spec = objAt(ns, "spec");
  if (!Array.isArray(spec["finalizers"])) spec["finalizers"] = ["kubernetes"];
  setIfAbsent(objAt(ns, "status"), "phase", "Active");
};

const defaultNode = (node: Obj): void => {
  const status = isObj(node["status"]) ? node["status"] : undefined;
  if (!status) return;
  canonicalResourceList(status["capacity"]);
  canonicalResourceList(status["allocatable"]);
  if (status["allocatable"] === undefined && isObj(status["capacity"])) status["allocatable"] = { ...status["capacity"] };
};

const defaultEndpoints = (ep: Obj): void => {
  for (const subset of objects(ep["subsets"])) for (const p of objects(subset["ports"])) setIfAbsent(p, "protocol", "TCP");
};

/**
 * A budget's status counters are plain int32s in Go (no omitempty), so every
 * PodDisruptionBudget kube-apiserver returns carries them, zero until the
 * disruption controller has counted.
 */
const defaultPodDisruptionBudget = (pdb: Obj): void => {
  const status = (isObj(pdb["status"]) ? pdb["status"] : (pdb["status"] = {})) as Obj;
  for (const f of ["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"]) setIfAbsent(status, f, 0);
};

/**
 * SetDefaults_HorizontalPodAutoscaler (autoscaling/v1): minReplicas 1. The
 * status replica counts are plain int32s in Go, so every autoscaler
 * kube-apiserver returns carries them, zero until the controller has synced.
 */
const defaultHorizontalPodAutoscaler = (hpa: Obj): void => {
  setIfAbsent(objAt(hpa, "spec"), "minReplicas", 1);
  const status = objAt(hpa, "status");
  for (const f of ["currentReplicas", "desiredReplicas"]) setIfAbsent(status, f, 0);
};

/**
 * SetDefaults_Job (pkg/apis/batch/v1/defaults.go). A Job without labels takes
 * its template's: kube-apiserver applies defaults again when it reads the
 * stored object, after the selector generation has labelled the template, so
 * every Job it serves shows them.
 */
const defaultJob = (job: Obj): void => {
  const spec = objAt(job, "spec");
  if (spec["completions"] === undefined && spec["parallelism"] === undefined) {
    spec["completions"] = 1;
    spec["parallelism"] = 1;
  }
  if (spec["parallelism"] === undefined) spec["parallelism"] = 1;
  if (spec["backoffLimit"] === undefined) spec["backoffLimit"] = spec["backoffLimitPerIndex"] !== undefined ? 2147483647 : 6;
  const template = isObj(spec["template"]) ? spec["template"] : undefined;
  const templateLabels = template && isObj(template["metadata"]) ? template["metadata"]["labels"] : undefined;
  const meta = objAt(job, "metadata");
  if (isObj(templateLabels) && (!isObj(meta["labels"]) || Object.keys(meta["labels"]).length === 0)) meta["labels"] = { ...templateLabels };
  setIfAbsent(spec, "completionMode", "NonIndexed");
  if (spec["suspend"] === undefined) spec["suspend"] = false;
  const pfp = spec["podFailurePolicy"];
  if (isObj(pfp)) for (const rule of objects(pfp["rules"])) for (const pattern of objects(rule["onPodConditions"])) setIfAbsent(pattern, "status", "True");
  setIfAbsent(spec, "podReplacementPolicy", isObj(pfp) ? "Failed" : "TerminatingOrFailed");
  defaultTemplate(spec);
};

/** SetDefaults_CronJob; the job template gets only the pod template defaults (SetDefaults_Job is for Jobs). */
const defaultCronJob = (cj: Obj): void => {
  const spec = objAt(cj, "spec");
  setIfAbsent(spec, "concurrencyPolicy", "Allow");
  if (spec["suspend"] === undefined) spec["suspend"] = false;
  if (spec["successfulJobsHistoryLimit"] === undefined) spec["successfulJobsHistoryLimit"] = 3;
  if (spec["failedJobsHistoryLimit"] === undefined) spec["failedJobsHistoryLimit"] = 1;
  const jobTemplate = spec["jobTemplate"];
  if (isObj(jobTemplate) && isObj(jobTemplate["spec"])) defaultTemplate(jobTemplate["spec"]);
};

/**
 * The job strategy's generateSelector (pkg/registry/batch/job/strategy.go),
 * which needs the new object's uid: unless spec.manualSelector is true, the
 * template gets the labels batch.kubernetes.io/controller-uid,
 * batch.kubernetes.io/job-name, controller-uid and job-name (values the user
 * already set stay, and validation rejects a mismatch), and the selector
 * matches batch.kubernetes.io/controller-uid. The Job then takes the template
 * labels when it has none, as defaulting does.
 */
export const generateJobSelector = (job: Obj): void => {
  const spec = objAt(job, "spec");
  if (spec["manualSelector"] === true) return;
  const meta = objAt(job, "metadata");
  const name = typeof meta["name"] === "string" ? meta["name"] : "";
  const uid = typeof meta["uid"] === "string" ? meta["uid"] : "";
  const labels = objAt(objAt(objAt(spec, "template"), "metadata"), "labels");
  if (labels["job-name"] === undefined) labels["job-name"] = name;
  if (labels["batch.kubernetes.io/job-name"] === undefined) labels["batch.kubernetes.io/job-name"] = name;
  if (labels["controller-uid"] === undefined) labels["controller-uid"] = uid;
  if (labels["batch.kubernetes.io/controller-uid"] === undefined) labels["batch.kubernetes.io/controller-uid"] = uid;
  const matchLabels = objAt(objAt(spec, "selector"), "matchLabels");
  if (matchLabels["batch.kubernetes.io/controller-uid"] === undefined) matchLabels["batch.kubernetes.io/controller-uid"] = uid;
  if (!isObj(meta["labels"]) || Object.keys(meta["labels"]).length === 0) meta["labels"] = { ...labels };
};

/**
 * What registry strategies do on create once the server has set the uid and
 * before validation: jobs, cronjobs, replica sets, replication controllers,
 * daemon sets and stateful sets start with an empty status (PrepareForCreate),
 * jobs get their generated selector (Validate);
 * volumes and claims start Pending with their protection finalizer.
 */
export function prepareForCreate(info: ResourceInfo, obj: Record<string, unknown>): void {
  if (info.group === "" && (info.kind === "PersistentVolume" || info.kind === "PersistentVolumeClaim"))
    prepareStorageForCreate(info.kind, obj, rfc3339());
  // ResourceQuota's strategy: usage is the controller's (and quota admission's) to fill.
  if (info.group === "" && info.kind === "ResourceQuota") obj["status"] = {};
  // ReplicaSet and ReplicationController strategies: an empty status, whose `replicas` always serialises.
  if ((info.group === "" && info.kind === "ReplicationController") || (info.group === "apps" && info.kind === "ReplicaSet")) obj["status"] = { replicas: 0 };
  if (info.group === "apps" && info.kind === "DaemonSet") return prepareDaemonSetCreate(obj);
  if (info.group === "apps" && info.kind === "StatefulSet") return prepareStatefulSetCreate(obj);
  if (info.group !== "batch") return;
  if (info.kind === "Job" || info.kind === "CronJob") obj["status"] = {};
  if (info.kind === "Job") generateJobSelector(obj);
}

/** What registry strategies do on update before validation (PrepareForUpdate) beyond generation: a DaemonSet's template generation. */
export function prepareForUpdate(info: ResourceInfo, obj: Record<string, unknown>, old: Record<string, unknown>): void {
  if (info.group === "apps" && info.kind === "DaemonSet") prepareDaemonSetUpdate(obj, old);
}

const byKind: Record<string, (o: Obj) => void> = {
  "v1/Pod": defaultPod,
  "v1/Service": defaultService,
  "v1/Namespace": defaultNamespace,
  "v1/Node": defaultNode,
  "v1/Endpoints": defaultEndpoints,
  "v1/Secret": (s) => setIfAbsent(s, "type", "Opaque"),
  "v1/ReplicationController": (rc) => {
    defaultReplicationController(rc);
    defaultTemplate(objAt(rc, "spec"));
  },
  "v1/PodTemplate": (pt) => {
    const template = pt["template"];
    if (isObj(template)) defaultPodSpec(objAt(template, "spec"));
  },
  "apps/v1/Deployment": defaultDeployment,
  "apps/v1/ReplicaSet": defaultReplicaSet,
  "apps/v1/StatefulSet": (sts) => {
    defaultStatefulSet(sts);
    defaultTemplate(objAt(sts, "spec"));
  },
  "apps/v1/DaemonSet": (ds) => {
    defaultDaemonSet(ds);
    defaultTemplate(objAt(ds, "spec"));
  },
  "policy/v1/PodDisruptionBudget": defaultPodDisruptionBudget,
  "batch/v1/Job": defaultJob,
  "autoscaling/v1/HorizontalPodAutoscaler": defaultHorizontalPodAutoscaler,
  "batch/v1/CronJob": defaultCronJob,
  "scheduling.k8s.io/v1/PriorityClass": (p) => setIfAbsent(p, "preemptionPolicy", "PreemptLowerPriority"),
  "rbac.authorization.k8s.io/v1/RoleBinding": defaultRbacBinding,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": defaultRbacBinding,
  "networking.k8s.io/v1/NetworkPolicy": defaultNetworkPolicy,
  "networking.k8s.io/v1/IngressClass": defaultIngressClass,
  "v1/PersistentVolume": defaultPersistentVolume,
  "v1/PersistentVolumeClaim": defaultPersistentVolumeClaim,
  "v1/ResourceQuota": defaultResourceQuota,
  "v1/LimitRange": defaultLimitRange,
  "storage.k8s.io/v1/StorageClass": defaultStorageClass,
};

/**
 * A defaulted deep copy of `obj` (never mutates the input). Applying it twice
 * gives the same result as once. Unknown fields are kept.
 */
export function applyDefaults(info: ResourceInfo, obj: Record<string, unknown>): Record<string, unknown> {
  return defaultInPlace(info, structuredClone(obj));
}

/** applyDefaults on an object the caller owns (e.g. a fresh decode): no copy; returns `obj`. */
export function defaultInPlace(info: ResourceInfo, obj: Record<string, unknown>): Record<string, unknown> {
  const apiVersion = info.group === "" ? info.version : `${info.group}/${info.version}`;
  byKind[`${apiVersion}/${info.kind}`]?.(obj);
  return obj;
}
