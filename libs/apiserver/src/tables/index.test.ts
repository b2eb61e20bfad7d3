import { describe, expect, it } from "vitest";
import { columnsFor, renderTable } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString().replace(".000Z", "Z");
const MIN = 60_000;
const created = ago(5 * MIN); // AGE "5m"

type Obj = Record<string, unknown>;
const res = (group: string, resource: string, kind: string, apiVersion: string) => ({ group, resource, kind, apiVersion });
const R = {
  pods: res("", "pods", "Pod", "v1"),
  namespaces: res("", "namespaces", "Namespace", "v1"),
  nodes: res("", "nodes", "Node", "v1"),
  services: res("", "services", "Service", "v1"),
  endpoints: res("", "endpoints", "Endpoints", "v1"),
  configmaps: res("", "configmaps", "ConfigMap", "v1"),
  secrets: res("", "secrets", "Secret", "v1"),
  serviceaccounts: res("", "serviceaccounts", "ServiceAccount", "v1"),
  events: res("", "events", "Event", "v1"),
  eventsV1: res("events.k8s.io", "events", "Event", "events.k8s.io/v1"),
  leases: res("coordination.k8s.io", "leases", "Lease", "coordination.k8s.io/v1"),
  replicasets: res("apps", "replicasets", "ReplicaSet", "apps/v1"),
  deployments: res("apps", "deployments", "Deployment", "apps/v1"),
};

const cellsOf = (r: ReturnType<typeof res>, o: Obj): unknown[] => {
  const t = renderTable(r, [o], { includeObject: "None", now }) as { rows: { cells: unknown[] }[] };
  return t.rows[0]!.cells;
};
const headers = (group: string, resource: string) => columnsFor(group, resource).map((c) => `${c.name}${c.priority ? "*" : ""}`);

const meta = (name: string, extra: Obj = {}) => ({ name, namespace: "default", uid: `uid-${name}`, resourceVersion: "7", creationTimestamp: created, ...extra });

// ---- pods ----
const pod = (status: Obj, spec: Obj = {}, metaExtra: Obj = {}): Obj => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: meta("web", metaExtra),
  spec: { containers: [{ name: "app", image: "nginx" }], ...spec },
  status,
});
const podStatus = (o: Obj) => cellsOf(R.pods, o).slice(1, 4); // READY, STATUS, RESTARTS

describe("pods", () => {
  it("has kube-apiserver's columns", () => {
    expect(headers("", "pods")).toEqual(["Name", "Ready", "Status", "Restarts", "Age", "IP*", "Node*", "Nominated Node*", "Readiness Gates*"]);
    const cols = columnsFor("", "pods");
    expect(cols[0]).toMatchObject({ name: "Name", type: "string", format: "name", priority: 0 });
    expect(cols[3]).toMatchObject({ name: "Restarts", type: "string" });
  });

  it("prints a running pod with wide cells", () => {
    const o = pod(
      {
        phase: "Running",
        podIP: "10.244.0.5",
        podIPs: [{ ip: "10.244.0.5" }],
        conditions: [{ type: "Ready", status: "True" }, { type: "example.com/gate", status: "True" }],
        containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: { startedAt: created } } }],
      },
      { nodeName: "node-1", readinessGates: [{ conditionType: "example.com/gate" }, { conditionType: "other" }] },
    );
    expect(cellsOf(R.pods, o)).toEqual(["web", "1/1", "Running", "0", "5m", "10.244.0.5", "node-1", "<none>", "1/2"]);
  });

  it("prints <none> for missing IP, node and readiness gates", () => {
    expect(cellsOf(R.pods, pod({ phase: "Pending" })).slice(5)).toEqual(["<none>", "<none>", "<none>", "<none>"]);
  });

  it("ContainerCreating", () => {
    const o = pod({
      phase: "Pending",
      containerStatuses: [{ name: "app", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } }],
    });
    expect(podStatus(o)).toEqual(["0/1", "ContainerCreating", "0"]);
  });

  it("Pending without statuses", () => {
    expect(podStatus(pod({ phase: "Pending" }))).toEqual(["0/1", "Pending", "0"]);
  });

  it("CrashLoopBackOff with restarts and when the last one happened", () => {
    const o = pod({
      phase: "Running",
      containerStatuses: [
        {
          name: "app",
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 2m40s" } },
          lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(3 * MIN) } },
        },
      ],
    });
    expect(podStatus(o)).toEqual(["0/1", "CrashLoopBackOff", "5 (3m ago)"]);
  });

  it("restarts without a lastState time print the count only", () => {
    const o = pod({
      phase: "Running",
      conditions: [{ type: "Ready", status: "True" }],
      containerStatuses: [{ name: "app", ready: true, restartCount: 2, state: { running: {} } }],
    });
    expect(podStatus(o)).toEqual(["1/1", "Running", "2"]);
  });

  it("Completed", () => {
    const o = pod({
      phase: "Succeeded",
      containerStatuses: [{ name: "app", ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } }],
    });
    expect(podStatus(o)).toEqual(["0/1", "Completed", "0"]);
    const t = renderTable(R.pods, [o], { includeObject: "None", now }) as { rows: Obj[] };
    expect(t.rows[0]!.conditions).toEqual([{ type: "Completed", status: "True", reason: "Succeeded", message: "The pod has completed successfully." }]);
  });

  it("Error", () => {
    const o = pod({
      phase: "Failed",
      containerStatuses: [{ name: "app", ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: "Error" } } }],
    });
    expect(podStatus(o)).toEqual(["0/1", "Error", "0"]);
    const t = renderTable(R.pods, [o], { includeObject: "None", now }) as { rows: Obj[] };
    expect(t.rows[0]!.conditions).toEqual([{ type: "Completed", status: "True", reason: "Failed", message: "The pod failed." }]);
  });

  it("ExitCode:N and Signal:N when the terminated state has no reason", () => {
    const term = (t: Obj) => pod({ phase: "Failed", containerStatuses: [{ name: "app", restartCount: 0, state: { terminated: t } }] });
    expect(podStatus(term({ exitCode: 137 }))[1]).toBe("ExitCode:137");
    expect(podStatus(term({ exitCode: 137, signal: 9 }))[1]).toBe("Signal:9");
  });

  it("the first container's reason wins", () => {
    const o = pod(
      {
        phase: "Pending",
        containerStatuses: [
          { name: "a", restartCount: 0, state: { waiting: { reason: "ErrImagePull" } } },
          { name: "b", restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } },
        ],
      },
      { containers: [{ name: "a" }, { name: "b" }] },
    );
    expect(podStatus(o)).toEqual(["0/2", "ErrImagePull", "0"]);
  });

  it("Running with 1/2 ready", () => {
    const o = pod(
      {
        phase: "Running",
        conditions: [{ type: "Ready", status: "False" }],
        containerStatuses: [
          { name: "a", ready: true, restartCount: 0, state: { running: {} } },
          { name: "b", ready: false, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 2, finishedAt: ago(90_000) } } },
        ],
      },
      { containers: [{ name: "a" }, { name: "b" }] },
    );
    expect(podStatus(o)).toEqual(["1/2", "Running", "1 (90s ago)"]);
  });

  it("Completed with a container still running becomes Running or NotReady", () => {
    const status = (ready: boolean) => ({
      phase: "Running",
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
      containerStatuses: [
        { name: "a", ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } },
        { name: "b", ready: true, restartCount: 0, state: { running: {} } },
      ],
    });
    const spec = { containers: [{ name: "a" }, { name: "b" }] };
    expect(podStatus(pod(status(true), spec))).toEqual(["1/2", "Running", "0"]);
    expect(podStatus(pod(status(false), spec))).toEqual(["1/2", "NotReady", "0"]);
  });

  it("Init:0/1 while the init container runs", () => {
    const o = pod(
      {
        phase: "Pending",
        conditions: [{ type: "Initialized", status: "False" }],
        initContainerStatuses: [{ name: "init", ready: false, restartCount: 0, state: { running: {} } }],
        containerStatuses: [{ name: "app", ready: false, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } }],
      },
      { initContainers: [{ name: "init", image: "busybox" }] },
    );
    expect(podStatus(o)).toEqual(["0/1", "Init:0/1", "0"]);
  });

  it("Init:1/2 after the first init container succeeded", () => {
    const o = pod(
      {
        phase: "Pending",
        initContainerStatuses: [
          { name: "i1", restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } },
          { name: "i2", restartCount: 0, state: { waiting: { reason: "PodInitializing" } } },
        ],
      },
      { initContainers: [{ name: "i1" }, { name: "i2" }] },
    );
    expect(podStatus(o)[1]).toBe("Init:1/2");
  });

  it("Init:CrashLoopBackOff, Init:Error and Init:ExitCode counting init restarts", () => {
    const init = (state: Obj, extra: Obj = {}) =>
      pod(
        { phase: "Pending", initContainerStatuses: [{ name: "init", restartCount: 3, state, ...extra }] },
        { initContainers: [{ name: "init" }] },
      );
    expect(podStatus(init({ waiting: { reason: "CrashLoopBackOff" } }, { lastState: { terminated: { exitCode: 1, finishedAt: ago(10 * MIN) } } }))).toEqual([
      "0/1",
      "Init:CrashLoopBackOff",
      "3 (10m ago)",
    ]);
    expect(podStatus(init({ terminated: { exitCode: 1, reason: "Error" } }))[1]).toBe("Init:Error");
    expect(podStatus(init({ terminated: { exitCode: 2 } }))[1]).toBe("Init:ExitCode:2");
    expect(podStatus(init({ terminated: { exitCode: 2, signal: 15 } }))[1]).toBe("Init:Signal:15");
  });

  it("counts a started sidecar (restartable init container) in READY", () => {
    const o = pod(
      {
        phase: "Running",
        conditions: [{ type: "Initialized", status: "True" }, { type: "Ready", status: "True" }],
        initContainerStatuses: [{ name: "proxy", ready: true, started: true, restartCount: 1, state: { running: {} } }],
        containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: {} } }],
      },
      { initContainers: [{ name: "proxy", restartPolicy: "Always" }] },
    );
    expect(podStatus(o)).toEqual(["2/2", "Running", "1"]);
  });

  it("Terminating when deletionTimestamp is set", () => {
    const o = pod(
      { phase: "Running", containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: {} } }] },
      {},
      { deletionTimestamp: ago(10_000) },
    );
    expect(podStatus(o)).toEqual(["1/1", "Terminating", "0"]);
  });

  it("a deleted pod in a terminal phase keeps its status", () => {
    const o = pod(
      { phase: "Succeeded", containerStatuses: [{ name: "app", restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } }] },
      {},
      { deletionTimestamp: ago(10_000) },
    );
    expect(podStatus(o)[1]).toBe("Completed");
  });

  it("Unknown for a deleted pod on a lost node; NodeLost otherwise", () => {
    expect(podStatus(pod({ phase: "Running", reason: "NodeLost" }, {}, { deletionTimestamp: ago(1000) }))[1]).toBe("Unknown");
    expect(podStatus(pod({ phase: "Running", reason: "NodeLost" }))[1]).toBe("NodeLost");
  });

  it("status.reason and SchedulingGated override the phase", () => {
    expect(podStatus(pod({ phase: "Failed", reason: "Evicted" }))[1]).toBe("Evicted");
    expect(podStatus(pod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }] }))[1]).toBe("SchedulingGated");
  });

  it("AGE is <unknown> without creationTimestamp", () => {
    const o = { metadata: { name: "x" }, spec: { containers: [] }, status: { phase: "Pending" } };
    expect(cellsOf(R.pods, o)[4]).toBe("<unknown>");
  });
});

// ---- namespaces, nodes ----
describe("namespaces", () => {
  it("NAME STATUS AGE", () => {
    expect(headers("", "namespaces")).toEqual(["Name", "Status", "Age"]);
    expect(cellsOf(R.namespaces, { metadata: { name: "default", creationTimestamp: created }, status: { phase: "Active" } })).toEqual(["default", "Active", "5m"]);
    expect(cellsOf(R.namespaces, { metadata: { name: "old", creationTimestamp: created }, status: { phase: "Terminating" } })[1]).toBe("Terminating");
  });
});

describe("nodes", () => {
  const node = (status: Obj, labels: Obj = {}, spec: Obj = {}): Obj => ({
    metadata: { name: "node-1", labels, creationTimestamp: ago(3 * 24 * 60 * MIN) },
    spec,
    status,
  });
  it("columns", () => {
    expect(headers("", "nodes")).toEqual(["Name", "Status", "Roles", "Age", "Version", "Internal-IP*", "External-IP*", "OS-Image*", "Kernel-Version*", "Container-Runtime*"]);
  });
  it("prints a ready control-plane node", () => {
    const o = node(
      {
        conditions: [{ type: "MemoryPressure", status: "False" }, { type: "Ready", status: "True" }],
        addresses: [{ type: "InternalIP", address: "172.18.0.2" }, { type: "Hostname", address: "node-1" }],
        nodeInfo: { kubeletVersion: "v1.32.0", osImage: "Debian GNU/Linux 12 (bookworm)", kernelVersion: "6.1.0", containerRuntimeVersion: "containerd://1.7.0" },
      },
      { "node-role.kubernetes.io/control-plane": "", "kubernetes.io/hostname": "node-1" },
    );
    expect(cellsOf(R.nodes, o)).toEqual(["node-1", "Ready", "control-plane", "3d", "v1.32.0", "172.18.0.2", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0", "containerd://1.7.0"]);
  });
  it("NotReady,SchedulingDisabled, Unknown and roles", () => {
    expect(cellsOf(R.nodes, node({ conditions: [{ type: "Ready", status: "False" }] }, {}, { unschedulable: true })).slice(1, 3)).toEqual([
      "NotReady,SchedulingDisabled",
      "<none>",
    ]);
    expect(cellsOf(R.nodes, node({ conditions: [{ type: "Ready", status: "Unknown" }] }))[1]).toBe("NotReady");
    expect(cellsOf(R.nodes, node({}, { "node-role.kubernetes.io/worker": "", "kubernetes.io/role": "infra", "node-role.kubernetes.io/": "x" })).slice(1, 3)).toEqual([
      "Unknown",
      "infra,worker",
    ]);
    expect(cellsOf(R.nodes, node({})).slice(7)).toEqual(["<unknown>", "<unknown>", "<unknown>"]);
  });
});

// ---- services, endpoints ----
describe("services", () => {
  const svc = (spec: Obj, status: Obj = {}): Obj => ({ metadata: meta("web"), spec, status });
  it("columns", () => {
    expect(headers("", "services")).toEqual(["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector*"]);
  });
  it("ClusterIP", () => {
    const o = svc({ type: "ClusterIP", clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"], selector: { app: "web", tier: "fe" }, ports: [{ port: 80, protocol: "TCP" }, { port: 53, protocol: "UDP" }] });
    expect(cellsOf(R.services, o)).toEqual(["web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP,53/UDP", "5m", "app=web,tier=fe"]);
  });
  it("NodePort with externalIPs", () => {
    const o = svc({ type: "NodePort", clusterIPs: ["10.96.1.1"], externalIPs: ["1.2.3.4"], ports: [{ port: 80, nodePort: 30080, protocol: "TCP" }] });
    expect(cellsOf(R.services, o).slice(1, 5)).toEqual(["NodePort", "10.96.1.1", "1.2.3.4", "80:30080/TCP"]);
  });
  it("LoadBalancer pending and assigned", () => {
    const spec = { type: "LoadBalancer", clusterIPs: ["10.96.1.2"], ports: [{ port: 443, nodePort: 31443, protocol: "TCP" }] };
    expect(cellsOf(R.services, svc(spec))[3]).toBe("<pending>");
    expect(cellsOf(R.services, svc(spec, { loadBalancer: { ingress: [{ ip: "203.0.113.9" }, { hostname: "lb.example.com" }] } }))[3]).toBe("203.0.113.9,lb.example.com");
    expect(cellsOf(R.services, svc({ ...spec, externalIPs: ["1.1.1.1"] }, { loadBalancer: { ingress: [{ ip: "203.0.113.9" }] } }))[3]).toBe("203.0.113.9,1.1.1.1");
  });
  it("ExternalName, headless, no ports, no selector", () => {
    expect(cellsOf(R.services, svc({ type: "ExternalName", externalName: "db.example.com" }))).toEqual(["web", "ExternalName", "<none>", "db.example.com", "<none>", "5m", "<none>"]);
    expect(cellsOf(R.services, svc({ type: "ClusterIP", clusterIP: "None", clusterIPs: ["None"], ports: [{ port: 5432 }] })).slice(2, 5)).toEqual(["None", "<none>", "5432/TCP"]);
  });
});

describe("endpoints", () => {
  const ep = (subsets?: unknown[]): Obj => ({ metadata: meta("web"), ...(subsets ? { subsets } : {}) });
  it("NAME ENDPOINTS AGE", () => {
    expect(headers("", "endpoints")).toEqual(["Name", "Endpoints", "Age"]);
    expect(cellsOf(R.endpoints, ep())).toEqual(["web", "<none>", "5m"]);
    expect(cellsOf(R.endpoints, ep([{ addresses: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }], ports: [{ port: 80 }] }]))[1]).toBe("10.0.0.1:80,10.0.0.2:80");
  });
  it("caps at three with + N more...", () => {
    const addresses = [1, 2, 3, 4, 5].map((i) => ({ ip: `10.0.0.${i}` }));
    expect(cellsOf(R.endpoints, ep([{ addresses, ports: [{ port: 80 }, { port: 443 }] }]))[1]).toBe("10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 7 more...");
  });
  it("headless without ports, IPv6", () => {
    expect(cellsOf(R.endpoints, ep([{ addresses: [{ ip: "10.0.0.1" }] }]))[1]).toBe("10.0.0.1");
    expect(cellsOf(R.endpoints, ep([{ addresses: [{ ip: "fd00::1" }], ports: [{ port: 80 }] }]))[1]).toBe("[fd00::1]:80");
  });
});

// ---- configmaps, secrets, serviceaccounts, leases ----
describe("configmaps, secrets, serviceaccounts, leases", () => {
  it("configmaps count data and binaryData", () => {
    expect(headers("", "configmaps")).toEqual(["Name", "Data", "Age"]);
    expect(cellsOf(R.configmaps, { metadata: meta("cfg"), data: { a: "1", b: "2" }, binaryData: { c: "AA==" } })).toEqual(["cfg", 3, "5m"]);
    expect(cellsOf(R.configmaps, { metadata: meta("empty") })).toEqual(["empty", 0, "5m"]);
  });
  it("secrets", () => {
    expect(headers("", "secrets")).toEqual(["Name", "Type", "Data", "Age"]);
    expect(cellsOf(R.secrets, { metadata: meta("tls"), type: "kubernetes.io/tls", data: { "tls.crt": "", "tls.key": "" } })).toEqual(["tls", "kubernetes.io/tls", 2, "5m"]);
    expect(cellsOf(R.secrets, { metadata: meta("s"), data: { a: "" }, stringData: { a: "x", b: "y" } })).toEqual(["s", "Opaque", 2, "5m"]);
  });
  it("serviceaccounts", () => {
    expect(headers("", "serviceaccounts")).toEqual(["Name", "Secrets", "Age"]);
    expect(cellsOf(R.serviceaccounts, { metadata: meta("default") })).toEqual(["default", 0, "5m"]);
    expect(cellsOf(R.serviceaccounts, { metadata: meta("builder"), secrets: [{ name: "a" }] })).toEqual(["builder", 1, "5m"]);
  });
  it("leases", () => {
    expect(headers("coordination.k8s.io", "leases")).toEqual(["Name", "Holder", "Age"]);
    expect(cellsOf(R.leases, { metadata: meta("kube-scheduler"), spec: { holderIdentity: "node-1_abc" } })).toEqual(["kube-scheduler", "node-1_abc", "5m"]);
    expect(cellsOf(R.leases, { metadata: meta("free"), spec: {} })).toEqual(["free", "", "5m"]);
  });
});

// ---- events ----
describe("events", () => {
  it("columns (same for core/v1 and events.k8s.io/v1)", () => {
    const h = ["Last Seen", "Type", "Reason", "Object", "Subobject*", "Source*", "Message", "First Seen*", "Count*", "Name*"];
    expect(headers("", "events")).toEqual(h);
    expect(headers("events.k8s.io", "events")).toEqual(h);
    expect(columnsFor("", "events")[9]).toMatchObject({ format: "name", priority: 1 });
  });
  it("core/v1 event", () => {
    const o = {
      metadata: meta("web.17a"),
      involvedObject: { kind: "Pod", name: "web", namespace: "default", fieldPath: "spec.containers{app}" },
      reason: "Pulled",
      message: "Successfully pulled image \"nginx\"\n",
      source: { component: "kubelet", host: "node-1" },
      firstTimestamp: ago(10 * MIN),
      lastTimestamp: ago(2 * MIN),
      count: 3,
      type: "Normal",
    };
    expect(cellsOf(R.events, o)).toEqual(["2m", "Normal", "Pulled", "pod/web", "spec.containers{app}", "kubelet, node-1", 'Successfully pulled image "nginx"', "10m", 3, "web.17a"]);
  });
  it("core/v1 event with eventTime only and reportingComponent", () => {
    const o = {
      metadata: meta("x"),
      involvedObject: { kind: "Node" },
      reason: "Starting",
      message: "",
      eventTime: `${ago(MIN).replace("Z", "")}.000000Z`,
      reportingComponent: "kube-proxy",
      reportingInstance: "node-1",
      type: "Normal",
    };
    expect(cellsOf(R.events, o)).toEqual(["60s", "Normal", "Starting", "node", "", "kube-proxy, node-1", "", "60s", 1, "x"]);
  });
  it("events.k8s.io/v1 event with series", () => {
    const o = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: meta("web.18b"),
      eventTime: `${ago(20 * MIN).replace("Z", "")}.000000Z`,
      series: { count: 4, lastObservedTime: `${ago(30_000).replace("Z", "")}.000000Z` },
      reportingController: "default-scheduler",
      reportingInstance: "",
      action: "Scheduling",
      reason: "FailedScheduling",
      regarding: { kind: "Pod", name: "web", namespace: "default" },
      note: "0/1 nodes are available",
      type: "Warning",
    };
    expect(cellsOf(R.eventsV1, o)).toEqual(["30s", "Warning", "FailedScheduling", "pod/web", "", "default-scheduler", "0/1 nodes are available", "20m", 4, "web.18b"]);
  });
  it("no timestamps at all print <unknown>", () => {
    expect(cellsOf(R.events, { metadata: meta("e"), involvedObject: { kind: "Pod", name: "p" } }).slice(0, 4)).toEqual(["<unknown>", "", "", "pod/p"]);
  });
});

// ---- replicasets, deployments ----
describe("replicasets and deployments", () => {
  const template = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "nginx:1.27" }, { name: "sidecar", image: "envoy" }] } };
  it("replicasets", () => {
    expect(headers("apps", "replicasets")).toEqual(["Name", "Desired", "Current", "Ready", "Age", "Containers*", "Images*", "Selector*"]);
    const o = {
      metadata: meta("web-5d4f"),
      spec: { replicas: 3, selector: { matchLabels: { app: "web", "pod-template-hash": "5d4f" } }, template },
      status: { replicas: 3, readyReplicas: 2 },
    };
    expect(cellsOf(R.replicasets, o)).toEqual(["web-5d4f", 3, 3, 2, "5m", "app,sidecar", "nginx:1.27,envoy", "app=web,pod-template-hash=5d4f"]);
    expect(cellsOf(R.replicasets, { metadata: meta("bare"), spec: { template: { spec: { containers: [] } } } })).toEqual(["bare", 1, 0, 0, "5m", "", "", "<none>"]);
  });
  it("deployments", () => {
    expect(headers("apps", "deployments")).toEqual(["Name", "Ready", "Up-to-date", "Available", "Age", "Containers*", "Images*", "Selector*"]);
    const o = {
      metadata: meta("web"),
      spec: { replicas: 3, selector: { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["fe", "be"] }] }, template },
      status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
    };
    expect(cellsOf(R.deployments, o)).toEqual(["web", "2/3", 3, 2, "5m", "app,sidecar", "nginx:1.27,envoy", "app=web,tier in (be,fe)"]);
    expect(cellsOf(R.deployments, { metadata: meta("new"), spec: { template } })).toEqual(["new", "0/1", 0, 0, "5m", "app,sidecar", "nginx:1.27,envoy", ""]);
  });
});

// ---- the Table itself ----
describe("renderTable", () => {
  const cm = (name: string): Obj => ({ apiVersion: "v1", kind: "ConfigMap", metadata: meta(name, { labels: { a: "b" } }), data: { k: "v" } });

  it("renders a Table with PartialObjectMetadata rows (kubectl's default)", () => {
    const t = renderTable(R.configmaps, [cm("one"), cm("two")], { includeObject: "Metadata", now }, { resourceVersion: "42" });
    expect(t).toEqual({
      kind: "Table",
      apiVersion: "meta.k8s.io/v1",
      metadata: { resourceVersion: "42" },
      columnDefinitions: columnsFor("", "configmaps"),
      rows: [
        { cells: ["one", 1, "5m"], object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: meta("one", { labels: { a: "b" } }) } },
        { cells: ["two", 1, "5m"], object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: meta("two", { labels: { a: "b" } }) } },
      ],
    });
  });

  it("includeObject=Object carries the full object, None none", () => {
    const full = renderTable(R.configmaps, [{ metadata: meta("one"), data: {} }], { includeObject: "Object", now }) as { rows: Obj[] };
    expect(full.rows[0]!.object).toEqual({ apiVersion: "v1", kind: "ConfigMap", metadata: meta("one"), data: {} });
    const none = renderTable(R.configmaps, [cm("one")], { includeObject: "None", now }) as { rows: Obj[] };
    expect(none.rows[0]).toEqual({ cells: ["one", 1, "5m"] });
  });

  it("list metadata: continue and remainingItemCount; a single get uses the object's resourceVersion", () => {
    const list = renderTable(R.configmaps, [cm("one")], { includeObject: "None", now }, { resourceVersion: "9", continue: "tok", remainingItemCount: 0 });
    expect(list.metadata).toEqual({ resourceVersion: "9", continue: "tok", remainingItemCount: 0 });
    expect(renderTable(R.configmaps, [cm("one")], { includeObject: "None", now }).metadata).toEqual({ resourceVersion: "7" });
    expect(renderTable(R.configmaps, [], { includeObject: "None", now }, {}).metadata).toEqual({});
    expect(renderTable(R.configmaps, [], { includeObject: "None", now }, { resourceVersion: "3" }).rows).toEqual([]);
  });

  it("falls back to the default table convertor for other resources", () => {
    const r = res("rbac.authorization.k8s.io", "roles", "Role", "rbac.authorization.k8s.io/v1");
    const cols = columnsFor(r.group, r.resource);
    expect(cols.map((c) => [c.name, c.type, c.format, c.priority])).toEqual([
      ["Name", "string", "name", 0],
      ["Created At", "date", "", 0],
    ]);
    expect(cols[0]!.description).toMatch(/^Name must be unique within a namespace/);
    expect(cols[1]!.description).toMatch(/^CreationTimestamp is a timestamp/);
    expect(cellsOf(r, { metadata: { name: "reader", creationTimestamp: "2024-05-01T08:09:10Z" } })).toEqual(["reader", "2024-05-01T08:09:10Z"]);
    expect(cellsOf(r, { metadata: { name: "reader", creationTimestamp: "2024-05-01T10:09:10.5+02:00" } })).toEqual(["reader", "2024-05-01T08:09:10Z"]);
    expect(cellsOf(r, { metadata: { name: "nots" } })).toEqual(["nots", "0001-01-01T00:00:00Z"]);
  });

  it("every column definition has all five fields", () => {
    for (const [g, r] of [["", "pods"], ["", "nodes"], ["apps", "deployments"], ["", "events"], ["x", "y"]] as const) {
      for (const c of columnsFor(g, r)) {
        expect(Object.keys(c).sort()).toEqual(["description", "format", "name", "priority", "type"]);
        expect(c.description.length).toBeGreaterThan(0);
      }
    }
  });

  it("defaults now to the current time", () => {
    const t = renderTable(R.configmaps, [{ metadata: { name: "n", creationTimestamp: new Date(Date.now() - 3000).toISOString() } }], { includeObject: "None" }) as {
      rows: { cells: unknown[] }[];
    };
    expect(t.rows[0]!.cells[2]).toMatch(/^[345]s$/);
  });
});
