/**
 * Per-kind column definitions and row printers, ported from kube-apiserver's
 * pkg/printers/internalversion/printers.go (Kubernetes 1.32/1.33). The server
 * always prints with `Wide: true` (pkg/printers/storage TableConvertor), so
 * every row carries the priority-1 cells too; kubectl hides them without -o wide.
 *
 * Objects arrive as their versioned JSON (v1 / apps/v1 / events.k8s.io/v1); the
 * Go printers read the internal types, so where the internal type differs
 * (lastState vs LastTerminationState, events.k8s.io field names, defaulted
 * fields) the mapping kube-apiserver's conversion/defaulting would do is done here.
 */
import { formatLabelSelector, type LabelSelector, labelSelectorFromApi } from "@kubeactor/api";
import { D } from "./descriptions.ts";
import {
  ageCol, ageOf, arr, col, formatLabels, int, isObj, keyCount, layoutContainerCells, nameCol, nameOf, type Obj, type PrintedRow, type Printer, type PrinterEntry,
  desiredReplicas, rec, replicaOwnerRow, str, type TableColumn, type TableRowCondition,
} from "./cells.ts";
import { humanDuration, parseTime, translateTimestampSince } from "./duration.ts";
import { storagePrinters } from "./printers-storage.ts";
import { quotaPrinters } from "./printers-quota.ts";
import { legacyCorePrinters } from "./printers-core-legacy.ts";

export type { Cell, Printer, PrinterEntry, PrintedRow, TableColumn, TableRowCondition } from "./cells.ts";

export { formatLabels } from "./cells.ts";

/** metav1.FormatLabelSelector: `<none>` for a nil or empty selector, `<error>` for an invalid one. */
export function formatApiLabelSelector(sel: unknown): string {
  try {
    const s = formatLabelSelector(labelSelectorFromApi(isObj(sel) ? (sel as LabelSelector) : undefined));
    return s === "" ? "<none>" : s;
  } catch {
    return "<error>";
  }
}

// ---- pods ----

const isRestartableInitContainer = (c: Obj | undefined) => c !== undefined && c.restartPolicy === "Always";

const hasCondition = (conditions: unknown, type: string) =>
  arr(conditions).some((c) => rec(c).type === type && rec(c).status === "True");

/** isPodInitializedConditionTrue: the first Initialized condition decides. */
const isPodInitializedConditionTrue = (status: Obj) => {
  for (const c of arr(status.conditions).map(rec)) {
    if (c.type !== "Initialized") continue;
    return c.status === "True";
  }
  return false;
};

const podSuccessConditions: TableRowCondition[] = [
  { type: "Completed", status: "True", reason: "Succeeded", message: "The pod has completed successfully." },
];
const podFailedConditions: TableRowCondition[] = [{ type: "Completed", status: "True", reason: "Failed", message: "The pod failed." }];

/** time.Time.Before for possibly-zero (undefined) times. */
const later = (current: number | undefined, candidate: number | undefined) =>
  candidate !== undefined && (current === undefined || current < candidate) ? candidate : current;

export function printPod(pod: Obj, now: Date): PrintedRow {
  const meta = rec(pod.metadata);
  const spec = rec(pod.spec);
  const status = rec(pod.status);

  let restarts = 0;
  let restartableInitContainerRestarts = 0;
  let totalContainers = arr(spec.containers).length;
  let readyContainers = 0;
  let lastRestartDate: number | undefined;
  let lastRestartableInitContainerRestartDate: number | undefined;

  const podPhase = str(status.phase);
  let reason = podPhase;
  if (str(status.reason) !== "") reason = str(status.reason);

  // {type: PodScheduled, reason: SchedulingGated} → SchedulingGated
  for (const c of arr(status.conditions).map(rec)) {
    if (c.type === "PodScheduled" && c.reason === "SchedulingGated") reason = "SchedulingGated";
  }

  const row: PrintedRow = { cells: [] };
  if (podPhase === "Succeeded") row.conditions = podSuccessConditions.map((c) => ({ ...c }));
  else if (podPhase === "Failed") row.conditions = podFailedConditions.map((c) => ({ ...c }));

  const specInit = arr(spec.initContainers).map(rec);
  const initContainers = new Map<string, Obj>();
  for (const c of specInit) {
    initContainers.set(str(c.name), c);
    if (isRestartableInitContainer(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses).map(rec);
  for (let i = 0; i < initStatuses.length; i++) {
    const container = initStatuses[i]!;
    restarts += int(container.restartCount);
    const lastTerminated = rec(container.lastState).terminated;
    if (isObj(lastTerminated)) lastRestartDate = later(lastRestartDate, parseTime(lastTerminated.finishedAt));
    const restartable = isRestartableInitContainer(initContainers.get(str(container.name)));
    if (restartable) {
      restartableInitContainerRestarts += int(container.restartCount);
      if (isObj(lastTerminated)) {
        lastRestartableInitContainerRestartDate = later(lastRestartableInitContainerRestartDate, parseTime(lastTerminated.finishedAt));
      }
    }
    const state = rec(container.state);
    const terminated = isObj(state.terminated) ? state.terminated : undefined;
    const waiting = isObj(state.waiting) ? state.waiting : undefined;
    if (terminated !== undefined && int(terminated.exitCode) === 0) continue;
    if (restartable && container.started === true) {
      if (container.ready === true) readyContainers++;
      continue;
    }
    if (terminated !== undefined) {
      // initialization failed
      if (str(terminated.reason) === "") {
        reason = int(terminated.signal) !== 0 ? `Init:Signal:${int(terminated.signal)}` : `Init:ExitCode:${int(terminated.exitCode)}`;
      } else {
        reason = `Init:${str(terminated.reason)}`;
      }
    } else if (waiting !== undefined && str(waiting.reason) !== "" && waiting.reason !== "PodInitializing") {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${specInit.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || isPodInitializedConditionTrue(status)) {
    restarts = restartableInitContainerRestarts;
    lastRestartDate = lastRestartableInitContainerRestartDate;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses).map(rec);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i]!;
      restarts += int(container.restartCount);
      const lastTerminated = rec(container.lastState).terminated;
      if (isObj(lastTerminated)) lastRestartDate = later(lastRestartDate, parseTime(lastTerminated.finishedAt));
      const state = rec(container.state);
      const terminated = isObj(state.terminated) ? state.terminated : undefined;
      const waiting = isObj(state.waiting) ? state.waiting : undefined;
      if (waiting !== undefined && str(waiting.reason) !== "") {
        reason = str(waiting.reason);
      } else if (terminated !== undefined && str(terminated.reason) !== "") {
        reason = str(terminated.reason);
      } else if (terminated !== undefined) {
        reason = int(terminated.signal) !== 0 ? `Signal:${int(terminated.signal)}` : `ExitCode:${int(terminated.exitCode)}`;
      } else if (container.ready === true && isObj(state.running)) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // back to Running if at least one container is still running
    if (reason === "Completed" && hasRunning) {
      reason = hasCondition(status.conditions, "Ready") ? "Running" : "NotReady";
    }
  }

  const deleting = meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null;
  if (deleting && status.reason === "NodeLost") {
    reason = "Unknown";
  } else if (deleting && podPhase !== "Failed" && podPhase !== "Succeeded") {
    reason = "Terminating";
  }

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestartDate !== undefined) {
    restartsStr = `${restarts} (${humanDuration(now.getTime() - lastRestartDate)} ago)`;
  }

  // wide
  let nodeName = str(spec.nodeName);
  let nominatedNodeName = str(status.nominatedNodeName);
  const podIPs = arr(status.podIPs).map(rec);
  let podIP = podIPs.length > 0 ? str(podIPs[0]!.ip) : str(status.podIP);
  if (podIP === "") podIP = "<none>";
  if (nodeName === "") nodeName = "<none>";
  if (nominatedNodeName === "") nominatedNodeName = "<none>";
  let readinessGates = "<none>";
  const gates = arr(spec.readinessGates).map(rec);
  if (gates.length > 0) {
    let trueConditions = 0;
    for (const gate of gates) {
      const found = arr(status.conditions)
        .map(rec)
        .find((c) => c.type === gate.conditionType);
      if (found !== undefined && found.status === "True") trueConditions++;
    }
    readinessGates = `${trueConditions}/${gates.length}`;
  }

  row.cells = [
    nameOf(pod),
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsStr,
    ageOf(pod, now),
    podIP,
    nodeName,
    nominatedNodeName,
    readinessGates,
  ];
  return row;
}

const podColumns: TableColumn[] = [
  nameCol(),
  col("Ready", "string", D.podReady),
  col("Status", "string", D.podStatus),
  col("Restarts", "string", D.podRestarts),
  ageCol(),
  col("IP", "string", D.podIP, 1),
  col("Node", "string", D.nodeName, 1),
  col("Nominated Node", "string", D.nominatedNodeName, 1),
  col("Readiness Gates", "string", D.readinessGates, 1),
];

// ---- namespaces ----
const namespaceColumns = [nameCol(), col("Status", "string", D.namespaceStatus), ageCol()];
const printNamespace: Printer = (o, now) => ({ cells: [nameOf(o), str(rec(o.status).phase), ageOf(o, now)] });

// ---- nodes ----
const labelNodeRolePrefix = "node-role.kubernetes.io/";
const nodeLabelRole = "kubernetes.io/role";

function findNodeRoles(node: Obj): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(rec(rec(node.metadata).labels))) {
    if (k.startsWith(labelNodeRolePrefix)) {
      const role = k.slice(labelNodeRolePrefix.length);
      if (role.length > 0) roles.add(role);
    } else if (k === nodeLabelRole && str(v) !== "") {
      roles.add(str(v));
    }
  }
  return [...roles].sort();
}

const nodeAddress = (node: Obj, type: string) => {
  const a = arr(rec(node.status).addresses)
    .map(rec)
    .find((x) => x.type === type);
  return a === undefined ? "<none>" : str(a.address);
};

const nodeColumns = [
  nameCol(),
  col("Status", "string", D.nodeStatus),
  col("Roles", "string", D.nodeRoles),
  ageCol(),
  col("Version", "string", D.kubeletVersion),
  col("Internal-IP", "string", D.nodeAddresses, 1),
  col("External-IP", "string", D.nodeAddresses, 1),
  col("OS-Image", "string", D.osImage, 1),
  col("Kernel-Version", "string", D.kernelVersion, 1),
  col("Container-Runtime", "string", D.containerRuntimeVersion, 1),
];

export const printNode: Printer = (node, now) => {
  const status = rec(node.status);
  // conditionMap: the last condition of each type wins
  const conditionMap = new Map<string, Obj>();
  for (const c of arr(status.conditions).map(rec)) conditionMap.set(str(c.type), c);
  const out: string[] = [];
  for (const valid of ["Ready"]) {
    const c = conditionMap.get(valid);
    if (c !== undefined) out.push(c.status === "True" ? valid : `Not${valid}`);
  }
  if (out.length === 0) out.push("Unknown");
  if (rec(node.spec).unschedulable === true) out.push("SchedulingDisabled");
  const roles = findNodeRoles(node).join(",") || "<none>";
  const info = rec(status.nodeInfo);
  const orUnknown = (v: unknown) => str(v) || "<unknown>";
  return {
    cells: [
      nameOf(node),
      out.join(","),
      roles,
      ageOf(node, now),
      str(info.kubeletVersion),
      nodeAddress(node, "InternalIP"),
      nodeAddress(node, "ExternalIP"),
      orUnknown(info.osImage),
      orUnknown(info.kernelVersion),
      orUnknown(info.containerRuntimeVersion),
    ],
  };
};

// ---- services ----
const serviceColumns = [
  nameCol(),
  col("Type", "string", D.serviceType),
  col("Cluster-IP", "string", D.clusterIP),
  col("External-IP", "string", D.externalIPs),
  col("Port(s)", "string", D.servicePorts),
  ageCol(),
  col("Selector", "string", D.serviceSelector, 1),
];

/** loadBalancerStatusStringer with wide=true (the server never clips). */
function loadBalancerStatusStringer(lb: unknown): string {
  const result = new Set<string>();
  for (const ing of arr(rec(lb).ingress).map(rec)) {
    if (str(ing.ip) !== "") result.add(str(ing.ip));
    else if (str(ing.hostname) !== "") result.add(str(ing.hostname));
  }
  return [...result].sort().join(",");
}

function getServiceExternalIP(svc: Obj, svcType: string): string {
  const spec = rec(svc.spec);
  const externalIPs = arr(spec.externalIPs).map(str);
  switch (svcType) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length > 0 ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const lbIps = loadBalancerStatusStringer(rec(svc.status).loadBalancer);
      if (externalIPs.length > 0) {
        const results: string[] = [];
        if (lbIps.length > 0) results.push(...lbIps.split(","));
        results.push(...externalIPs);
        return results.join(",");
      }
      return lbIps.length > 0 ? lbIps : "<pending>";
    }
    case "ExternalName":
      return str(spec.externalName);
  }
  return "<unknown>";
}

function makePortString(ports: unknown): string {
  return arr(ports)
    .map(rec)
    .map((p) => {
      const protocol = str(p.protocol) || "TCP"; // SetDefaults_ServicePort
      return int(p.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${protocol}` : `${int(p.port)}/${protocol}`;
    })
    .join(",");
}

export const printService: Printer = (svc, now) => {
  const spec = rec(svc.spec);
  const svcType = str(spec.type) || "ClusterIP"; // SetDefaults_Service
  const clusterIPs = arr(spec.clusterIPs).map(str);
  // the service registry normalizes clusterIP into clusterIPs; accept either
  const internalIP = clusterIPs.length > 0 ? clusterIPs[0]! : str(spec.clusterIP) || "<none>";
  const ports = makePortString(spec.ports) || "<none>";
  return {
    cells: [nameOf(svc), svcType, internalIP, getServiceExternalIP(svc, svcType), ports, ageOf(svc, now), formatLabels(spec.selector)],
  };
};

// ---- endpoints ----
const endpointsColumns = [nameCol(), col("Endpoints", "string", D.endpointsSubsets), ageCol()];

const joinHostPort = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);

/** formatEndpoints(endpoints, nil). */
export function formatEndpoints(ep: Obj): string {
  const subsets = arr(ep.subsets).map(rec);
  if (subsets.length === 0) return "<none>";
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = arr(ss.addresses).map(rec);
    const ports = arr(ss.ports).map(rec);
    if (ports.length === 0) {
      // headless services with no ports
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(str(a.ip));
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(str(a.ip), int(port.port)));
      }
    }
  }
  const ret = list.join(",");
  return more ? `${ret} + ${count - max} more...` : ret;
}

const printEndpoints: Printer = (o, now) => ({ cells: [nameOf(o), formatEndpoints(o), ageOf(o, now)] });

// ---- configmaps, secrets, serviceaccounts, leases ----
const configMapColumns = [nameCol(), col("Data", "string", D.configMapData), ageCol()];
const printConfigMap: Printer = (o, now) => ({ cells: [nameOf(o), keyCount(o.data) + keyCount(o.binaryData), ageOf(o, now)] });

const secretColumns = [nameCol(), col("Type", "string", D.secretType), col("Data", "string", D.secretData), ageCol()];
const printSecret: Printer = (o, now) => {
  // v1 → internal conversion merges stringData into data
  const keys = new Set([...Object.keys(rec(o.data)), ...Object.keys(rec(o.stringData))]);
  return { cells: [nameOf(o), str(o.type) || "Opaque", keys.size, ageOf(o, now)] };
};

const serviceAccountColumns = [nameCol(), col("Secrets", "string", D.serviceAccountSecrets), ageCol()];
const printServiceAccount: Printer = (o, now) => ({ cells: [nameOf(o), arr(o.secrets).length, ageOf(o, now)] });

const leaseColumns = [nameCol(), col("Holder", "string", D.leaseHolder), ageCol()];
const printLease: Printer = (o, now) => ({ cells: [nameOf(o), str(rec(o.spec).holderIdentity), ageOf(o, now)] });

// ---- priorityclasses ----
const priorityClassColumns = [
  nameCol(),
  col("Value", "integer", "value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec."),
  col(
    "Global-Default",
    "boolean",
    "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.",
  ),
  ageCol(),
  col("PreemptionPolicy", "string", "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."),
];
const printPriorityClass: Printer = (o, now) => ({
  cells: [nameOf(o), int(o.value), o.globalDefault === true, ageOf(o, now), str(o.preemptionPolicy) || "<unset>"],
});

// ---- poddisruptionbudgets (printPodDisruptionBudget) ----
const podDisruptionBudgetColumns = [
  nameCol(),
  col("Min Available", "string", "The minimum number of pods that must be available."),
  col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
  col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
  ageCol(),
];
/** IntOrString.String(): the number or the percent string; an unset field prints N/A. */
const intOrStringCell = (v: unknown): string => (typeof v === "number" ? String(Math.trunc(v)) : typeof v === "string" ? v : "N/A");
const printPodDisruptionBudget: Printer = (o, now) => {
  const spec = rec(o.spec);
  return { cells: [nameOf(o), intOrStringCell(spec.minAvailable), intOrStringCell(spec.maxUnavailable), int(rec(o.status).disruptionsAllowed), ageOf(o, now)] };
};

// ---- horizontalpodautoscalers (printHorizontalPodAutoscaler, formatHPAMetrics; Kubernetes 1.32) ----
const horizontalPodAutoscalerColumns = [
  nameCol(),
  col("Reference", "string", "The object the autoscaler scales, as Kind/name."),
  col("Targets", "string", "Each metric's current value against its target."),
  col("MinPods", "string", "The fewest replicas the autoscaler scales down to."),
  col("MaxPods", "integer", "The most replicas the autoscaler scales up to."),
  col("Replicas", "integer", "The replicas the target had at the last sync."),
  ageCol(),
];
/**
 * kube prints the internal (v2-shaped) object: a v1 targetCPUUtilizationPercentage
 * is one cpu utilization metric, `<current>%/<target>%` (1.32; 1.33 prefixes
 * `cpu: `), current `<unknown>` until the controller has measured; no target
 * means no metrics, `<none>`.
 */
const hpaTargets = (spec: Obj, status: Obj): string => {
  if (typeof spec.targetCPUUtilizationPercentage !== "number") return "<none>";
  const current = typeof status.currentCPUUtilizationPercentage === "number" ? `${int(status.currentCPUUtilizationPercentage)}%` : "<unknown>";
  return `${current}/${int(spec.targetCPUUtilizationPercentage)}%`;
};
const printHorizontalPodAutoscaler: Printer = (o, now) => {
  const spec = rec(o.spec);
  const ref = rec(spec.scaleTargetRef);
  const status = rec(o.status);
  const minPods = typeof spec.minReplicas === "number" ? String(int(spec.minReplicas)) : "<unset>";
  return {
    cells: [nameOf(o), `${str(ref.kind)}/${str(ref.name)}`, hpaTargets(spec, status), minPods, int(spec.maxReplicas), int(status.currentReplicas), ageOf(o, now)],
  };
};

// ---- rolebindings and clusterrolebindings (printRoleBinding, printClusterRoleBinding) ----
const bindingColumns = (kind: "roleBinding" | "clusterRoleBinding") => [
  nameCol(),
  col("Role", "string", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable."),
  ageCol(),
  col("Users", "string", `Users in the ${kind}`, 1),
  col("Groups", "string", `Groups in the ${kind}`, 1),
  col("ServiceAccounts", "string", `ServiceAccounts in the ${kind}`, 1),
];
/** rbac.SubjectsStrings: users, groups and namespace/name service accounts, each joined by ", ". */
const printBinding: Printer = (o, now) => {
  const ref = rec(o.roleRef);
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const s of arr(o.subjects).map(rec)) {
    if (s.kind === "ServiceAccount") serviceAccounts.push(`${str(s.namespace)}/${str(s.name)}`);
    else if (s.kind === "User") users.push(str(s.name));
    else if (s.kind === "Group") groups.push(str(s.name));
  }
  return { cells: [nameOf(o), `${str(ref.kind)}/${str(ref.name)}`, ageOf(o, now), users.join(", "), groups.join(", "), serviceAccounts.join(", ")] };
};

// ---- ingresses, ingressclasses, networkpolicies (printIngress, printIngressClass, printNetworkPolicy) ----
const ingressColumns = [
  nameCol(),
  col("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
  col("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
  col("Address", "string", "Address is a list containing ingress points for the load-balancer"),
  col("Ports", "string", "Ports of TLS configurations that open"),
  ageCol(),
];
/** formatHosts: the first three hosts, "*" when none, "+ N more..." past three rules. */
const formatIngressHosts = (rules: Obj[]): string => {
  const list: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (list.length === 3) more = true;
    if (!more && str(rule.host) !== "") list.push(str(rule.host));
  }
  if (list.length === 0) return "*";
  return more ? `${list.join(",")} + ${rules.length - 3} more...` : list.join(",");
};
const printIngress: Printer = (o, now) => {
  const spec = rec(o.spec);
  const className = typeof spec.ingressClassName === "string" ? spec.ingressClassName : "<none>";
  const ports = arr(spec.tls).length > 0 ? "80, 443" : "80";
  return { cells: [nameOf(o), className, formatIngressHosts(arr(spec.rules).map(rec)), loadBalancerStatusStringer(rec(rec(o.status).loadBalancer)), ports, ageOf(o, now)] };
};
const ingressClassColumns = [
  nameCol(),
  col("Controller", "string", "Controller that is responsible for handling this class"),
  col("Parameters", "string", "A reference to a resource with additional parameters"),
  ageCol(),
];
const printIngressClass: Printer = (o, now) => {
  const spec = rec(o.spec);
  const params = isObj(spec.parameters) ? spec.parameters : undefined;
  const parameters = params ? `${str(params.kind)}${typeof params.apiGroup === "string" ? `.${params.apiGroup}` : ""}/${str(params.name)}` : "<none>";
  return { cells: [nameOf(o), str(spec.controller), parameters, ageOf(o, now)] };
};
const networkPolicyColumns = [
  nameCol(),
  col("Pod-Selector", "string", "Selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace."),
  ageCol(),
];
const printNetworkPolicy: Printer = (o, now) => ({ cells: [nameOf(o), formatApiLabelSelector(rec(o.spec).podSelector), ageOf(o, now)] });

// ---- events (core/v1 and events.k8s.io/v1 share the internal printer) ----
const eventColumns = [
  col("Last Seen", "string", D.eventLastTimestamp),
  col("Type", "string", D.eventType),
  col("Reason", "string", D.eventReason),
  col("Object", "string", D.eventInvolvedObject),
  col("Subobject", "string", D.eventFieldPath, 1),
  col("Source", "string", D.eventSource, 1),
  col("Message", "string", D.eventMessage),
  col("First Seen", "string", D.eventFirstTimestamp, 1),
  col("Count", "string", D.eventCount, 1),
  nameCol(1),
];

interface InternalEvent {
  name: string;
  involvedObject: Obj;
  message: string;
  type: string;
  reason: string;
  source: Obj;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  eventTime: unknown;
  count: number;
  series: Obj | undefined;
  reportingController: string;
  reportingInstance: string;
}

/** The internal api.Event fields, from either versioned form. */
function internalEvent(e: Obj, eventsAPI: boolean): InternalEvent {
  const series = isObj(e.series) ? e.series : undefined;
  const common = { name: nameOf(e), type: str(e.type), reason: str(e.reason), eventTime: e.eventTime, series };
  if (eventsAPI) {
    return {
      ...common,
      involvedObject: rec(e.regarding),
      message: str(e.note),
      source: rec(e.deprecatedSource),
      firstTimestamp: e.deprecatedFirstTimestamp,
      lastTimestamp: e.deprecatedLastTimestamp,
      count: int(e.deprecatedCount),
      reportingController: str(e.reportingController),
      reportingInstance: str(e.reportingInstance),
    };
  }
  return {
    ...common,
    involvedObject: rec(e.involvedObject),
    message: str(e.message),
    source: rec(e.source),
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    count: int(e.count),
    reportingController: str(e.reportingComponent),
    reportingInstance: str(e.reportingInstance),
  };
}

const firstNonEmpty = (...ss: string[]) => ss.find((s) => s.length > 0) ?? "";

/** formatEventSource: component[, instance], falling back to reportingController / reportingInstance. */
function formatEventSource(source: Obj, reportingController: string, reportingInstance: string): string {
  const component = firstNonEmpty(str(source.component), reportingController);
  const instance = firstNonEmpty(str(source.host), reportingInstance);
  return instance.length === 0 ? component : `${component}, ${instance}`;
}

const makeEventPrinter =
  (eventsAPI: boolean): Printer =>
  (raw, now) => {
    const e = internalEvent(raw, eventsAPI);
    let firstTimestamp = translateTimestampSince(e.firstTimestamp, now);
    if (parseTime(e.firstTimestamp) === undefined) firstTimestamp = translateTimestampSince(e.eventTime, now);
    let lastTimestamp = translateTimestampSince(e.lastTimestamp, now);
    if (parseTime(e.lastTimestamp) === undefined) lastTimestamp = firstTimestamp;
    let count = e.count;
    if (e.series !== undefined) {
      lastTimestamp = translateTimestampSince(e.series.lastObservedTime, now);
      count = int(e.series.count);
    } else if (count === 0) {
      count = 1; // singleton events don't set count in the new API
    }
    const kind = str(e.involvedObject.kind).toLowerCase();
    const target = str(e.involvedObject.name).length > 0 ? `${kind}/${str(e.involvedObject.name)}` : kind;
    return {
      cells: [
        lastTimestamp,
        e.type,
        e.reason,
        target,
        str(e.involvedObject.fieldPath),
        formatEventSource(e.source, e.reportingController, e.reportingInstance),
        e.message.trim(),
        firstTimestamp,
        count,
        e.name,
      ],
    };
  };

// ---- replicasets, deployments ----
const replicaSetColumns = [
  nameCol(),
  col("Desired", "integer", D.rsSpecReplicas),
  col("Current", "integer", D.rsStatusReplicas),
  col("Ready", "integer", D.rsReadyReplicas),
  ageCol(),
  col("Containers", "string", D.containers, 1),
  col("Images", "string", D.images, 1),
  col("Selector", "string", D.rsSelector, 1),
];

const printReplicaSet: Printer = (o, now) => replicaOwnerRow(o, now, formatApiLabelSelector);

const deploymentColumns = [
  nameCol(),
  col("Ready", "string", D.deploymentReady),
  col("Up-to-date", "string", D.deploymentUpdated),
  col("Available", "string", D.deploymentAvailable),
  ageCol(),
  col("Containers", "string", D.containers, 1),
  col("Images", "string", D.images, 1),
  col("Selector", "string", D.deploymentSelector, 1),
];

const printDeployment: Printer = (o, now) => {
  const spec = rec(o.spec);
  const status = rec(o.status);
  const [names, images] = layoutContainerCells(rec(rec(spec.template).spec).containers);
  // printDeployment uses LabelSelectorAsSelector(...).String() directly: "" when empty, <invalid> on error
  let selector: string;
  try {
    selector = formatLabelSelector(labelSelectorFromApi(isObj(spec.selector) ? (spec.selector as LabelSelector) : undefined));
  } catch {
    selector = "<invalid>";
  }
  return {
    cells: [
      nameOf(o),
      `${int(status.readyReplicas)}/${desiredReplicas(spec)}`,
      int(status.updatedReplicas),
      int(status.availableReplicas),
      ageOf(o, now),
      names,
      images,
      selector,
    ],
  };
};

// ---- daemonsets, statefulsets, controllerrevisions (apps/v1) ----
const daemonSetColumns = [
  nameCol(),
  col("Desired", "integer", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"),
  col("Current", "integer", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"),
  col("Ready", "integer", "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition."),
  col("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
  col("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
  col("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
  ageCol(),
  col("Containers", "string", D.containers, 1),
  col("Images", "string", D.images, 1),
  col("Selector", "string", "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors", 1),
];

const printDaemonSet: Printer = (o, now) => {
  const spec = rec(o.spec);
  const status = rec(o.status);
  const podSpec = rec(rec(spec.template).spec);
  const [names, images] = layoutContainerCells(podSpec.containers);
  return {
    cells: [
      nameOf(o),
      int(status.desiredNumberScheduled),
      int(status.currentNumberScheduled),
      int(status.numberReady),
      int(status.updatedNumberScheduled),
      int(status.numberAvailable),
      formatLabels(podSpec.nodeSelector),
      ageOf(o, now),
      names,
      images,
      formatApiLabelSelector(spec.selector),
    ],
  };
};

const statefulSetColumns = [
  nameCol(),
  col("Ready", "string", "Number of the pod with ready state"),
  ageCol(),
  col("Containers", "string", D.containers, 1),
  col("Images", "string", D.images, 1),
];

const printStatefulSet: Printer = (o, now) => {
  const spec = rec(o.spec);
  const [names, images] = layoutContainerCells(rec(rec(spec.template).spec).containers);
  return { cells: [nameOf(o), `${int(rec(o.status).readyReplicas)}/${desiredReplicas(spec)}`, ageOf(o, now), names, images] };
};

const controllerRevisionColumns = [
  nameCol(),
  col("Controller", "string", "Controller of the object"),
  col("Revision", "string", "Revision indicates the revision of the state represented by Data."),
  ageCol(),
];

/** printControllerRevision: the controller as `<kind>.<group>/<name>` in lower case (formatResourceName with kind), `<none>` without one. */
const printControllerRevision: Printer = (o, now) => {
  const ref = arr(rec(o.metadata).ownerReferences).map(rec).find((r) => r.controller === true);
  let controller = "<none>";
  if (ref) {
    const apiVersion = str(ref.apiVersion);
    const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
    const kind = str(ref.kind);
    controller = kind ? `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${str(ref.name)}` : str(ref.name);
  }
  return { cells: [nameOf(o), controller, int(o.revision), ageOf(o, now)] };
};

// ---- jobs, cronjobs (batch/v1) ----
const JOB_SELECTOR_DOC =
  "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";
const jobColumns = [
  nameCol(),
  col("Status", "string", "Status of the job."),
  col(
    "Completions",
    "string",
    "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.",
  ),
  col("Duration", "string", "Time required to complete the job."),
  ageCol(),
  col("Containers", "string", D.containers, 1),
  col("Images", "string", D.images, 1),
  col("Selector", "string", JOB_SELECTOR_DOC, 1),
];

const hasTrueCondition = (conditions: unknown, type: string) => arr(conditions).some((c) => rec(c).type === type && rec(c).status === "True");

/** printJob's STATUS: a finished condition first, then Terminating, Suspended, the interim conditions, else Running. */
const jobStatus = (o: Obj): string => {
  const conditions = rec(o.status).conditions;
  if (hasTrueCondition(conditions, "Complete")) return "Complete";
  if (hasTrueCondition(conditions, "Failed")) return "Failed";
  if (rec(o.metadata).deletionTimestamp) return "Terminating";
  if (hasTrueCondition(conditions, "Suspended")) return "Suspended";
  if (hasTrueCondition(conditions, "FailureTarget")) return "FailureTarget";
  if (hasTrueCondition(conditions, "SuccessCriteriaMet")) return "SuccessCriteriaMet";
  return "Running";
};

const printJob: Printer = (o, now) => {
  const spec = rec(o.spec);
  const status = rec(o.status);
  const succeeded = int(status.succeeded);
  let completions: string;
  if (typeof spec.completions === "number") completions = `${succeeded}/${int(spec.completions)}`;
  else completions = int(spec.parallelism) > 1 ? `${succeeded}/1 of ${int(spec.parallelism)}` : `${succeeded}/1`;
  const start = parseTime(status.startTime);
  const end = parseTime(status.completionTime);
  const duration = start === undefined ? "" : humanDuration((end ?? now.getTime()) - start);
  const [names, images] = layoutContainerCells(rec(rec(spec.template).spec).containers);
  return { cells: [nameOf(o), jobStatus(o), completions, duration, ageOf(o, now), names, images, formatApiLabelSelector(spec.selector)] };
};

const cronJobColumns = [
  nameCol(),
  col("Schedule", "string", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
  col(
    "Timezone",
    "string",
    "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process.",
  ),
  col("Suspend", "boolean", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false."),
  col("Active", "integer", "A list of pointers to currently running jobs."),
  col("Last Schedule", "string", "Information when was the last time the job was successfully scheduled."),
  ageCol(),
  col("Containers", "string", D.containers, 1),
  col("Images", "string", D.images, 1),
  col("Selector", "string", JOB_SELECTOR_DOC, 1),
];

const printCronJob: Printer = (o, now) => {
  const spec = rec(o.spec);
  const status = rec(o.status);
  const jobSpec = rec(rec(spec.jobTemplate).spec);
  const [names, images] = layoutContainerCells(rec(rec(jobSpec.template).spec).containers);
  const suspend = typeof spec.suspend === "boolean" ? (spec.suspend ? "True" : "False") : "<unset>";
  const lastSchedule = status.lastScheduleTime ? translateTimestampSince(status.lastScheduleTime, now) : "<none>";
  return {
    cells: [
      nameOf(o),
      str(spec.schedule),
      typeof spec.timeZone === "string" ? spec.timeZone : "<none>",
      suspend,
      arr(status.active).length,
      lastSchedule,
      ageOf(o, now),
      names,
      images,
      formatApiLabelSelector(jobSpec.selector),
    ],
  };
};

// ---- default table convertor (k8s.io/apiserver/pkg/registry/rest/table.go) ----
export const defaultColumns: TableColumn[] = [nameCol(), col("Created At", "date", D.creationTimestamp)];

/** m.GetCreationTimestamp().Time.UTC().Format(time.RFC3339) — zero time prints as 0001-01-01T00:00:00Z. */
export const printDefault: Printer = (o) => {
  const t = parseTime(rec(o.metadata).creationTimestamp);
  const created = t === undefined ? "0001-01-01T00:00:00Z" : new Date(Math.floor(t / 1000) * 1000).toISOString().replace(".000Z", "Z");
  return { cells: [nameOf(o), created] };
};

/** Printers by `${group}/${resource}`. */
export const printers: ReadonlyMap<string, PrinterEntry> = new Map<string, PrinterEntry>([
  ["/pods", { columns: podColumns, print: printPod }],
  ["/namespaces", { columns: namespaceColumns, print: printNamespace }],
  ["/nodes", { columns: nodeColumns, print: printNode }],
  ["/services", { columns: serviceColumns, print: printService }],
  ["/endpoints", { columns: endpointsColumns, print: printEndpoints }],
  ["/configmaps", { columns: configMapColumns, print: printConfigMap }],
  ["/secrets", { columns: secretColumns, print: printSecret }],
  ["/serviceaccounts", { columns: serviceAccountColumns, print: printServiceAccount }],
  ["/events", { columns: eventColumns, print: makeEventPrinter(false) }],
  ["events.k8s.io/events", { columns: eventColumns, print: makeEventPrinter(true) }],
  ["coordination.k8s.io/leases", { columns: leaseColumns, print: printLease }],
  ["apps/replicasets", { columns: replicaSetColumns, print: printReplicaSet }],
  ["apps/deployments", { columns: deploymentColumns, print: printDeployment }],
  ["apps/daemonsets", { columns: daemonSetColumns, print: printDaemonSet }],
  ["apps/statefulsets", { columns: statefulSetColumns, print: printStatefulSet }],
  ["apps/controllerrevisions", { columns: controllerRevisionColumns, print: printControllerRevision }],
  ["batch/jobs", { columns: jobColumns, print: printJob }],
  ["batch/cronjobs", { columns: cronJobColumns, print: printCronJob }],
  ["autoscaling/horizontalpodautoscalers", { columns: horizontalPodAutoscalerColumns, print: printHorizontalPodAutoscaler }],
  ["policy/poddisruptionbudgets", { columns: podDisruptionBudgetColumns, print: printPodDisruptionBudget }],
  ["scheduling.k8s.io/priorityclasses", { columns: priorityClassColumns, print: printPriorityClass }],
  ["networking.k8s.io/ingresses", { columns: ingressColumns, print: printIngress }],
  ["networking.k8s.io/ingressclasses", { columns: ingressClassColumns, print: printIngressClass }],
  ["networking.k8s.io/networkpolicies", { columns: networkPolicyColumns, print: printNetworkPolicy }],
  ["rbac.authorization.k8s.io/rolebindings", { columns: bindingColumns("roleBinding"), print: printBinding }],
  ["rbac.authorization.k8s.io/clusterrolebindings", { columns: bindingColumns("clusterRoleBinding"), print: printBinding }],
  ...storagePrinters,
  ...quotaPrinters,
  ...legacyCorePrinters,
]);
