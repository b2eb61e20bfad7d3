/**
 * DaemonSets with the real kubectl on an in-process cluster (store, API
 * server, controller manager, scheduler, simulated nodes): one pod per node,
 * a tainted node skipped and a tolerating DaemonSet placed on it, a node
 * added later getting its pod, `rollout status`, a rolling update by `set
 * image`, `rollout history` / `rollout undo` through ControllerRevisions, and
 * a cascading delete.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { Informer, StoreClient } from "@kubeactor/client";
import { type ControllerManager, startControllerManager } from "@kubeactor/controllers";
import { type Kubelet, startKubelet } from "@kubeactor/kubelet";
import { type RunningScheduler, startScheduler } from "@kubeactor/scheduler";
import { type Kubectl, kubectlBinary, type KubectlCluster, kubectlFor, startKubectlCluster, until } from "@kubeactor/testing";


type Obj = any;

const daemonSetYaml = (name: string, image: string, tolerations = "") => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
${tolerations}      containers:
      - name: ${name}
        image: ${image}
`;

describe.skipIf(!existsSync(kubectlBinary(32)))("kubectl and DaemonSets", () => {
  let cluster: KubectlCluster;
  let manager: ControllerManager;
  let scheduler: RunningScheduler;
  const kubelets: Kubelet[] = [];
  const connect = async (name: string) => new Bus(await cluster.bus.connect(name), { log: () => {} });

  let kubectl: Kubectl;
  const failure = (...args: string[]) => kubectl.fails(...args);
  const json = (...args: string[]) => kubectl.json(...args);
  const createFile = (name: string, yaml: string) => {
    const file = join(cluster.dir, name);
    writeFileSync(file, yaml);
    return kubectl("create", "-f", file);
  };
  /** The DaemonSet's live pods by node. */
  const podsByNode = async (app: string): Promise<Record<string, Obj>> => {
    const pods = (await json("get", "pods", "-l", `app=${app}`)).items.filter((p: Obj) => !p.metadata.deletionTimestamp);
    return Object.fromEntries(pods.map((p: Obj) => [p.spec.nodeName ?? "<unscheduled>", p]));
  };
  const readyOn = async (app: string, nodes: string[], image?: string) => {
    const byNode = await podsByNode(app);
    return (
      Object.keys(byNode).sort().join(",") === [...nodes].sort().join(",") &&
      Object.values(byNode).every((p: Obj) => p.status?.conditions?.some((cd: Obj) => cd.type === "Ready" && cd.status === "True") && (!image || p.spec.containers[0].image === image))
    );
  };

  const waitReady = (app: string, nodes: string[], image?: string) =>
    until(`${app} ready on ${nodes.join(",")}${image ? ` with ${image}` : ""}`, () => readyOn(app, nodes, image), 60_000);

  beforeAll(async () => {
    cluster = await startKubectlCluster("kubectl-ds");
    kubectl = kubectlFor({ kubeconfig: cluster.kubeconfig, timeoutMs: 120_000 });
    manager = await startControllerManager({ bus: await connect("controller-manager"), controllers: ["daemonset", "garbagecollector"], log: () => {} });
    scheduler = await startScheduler({ bus: await connect("scheduler"), log: () => {} });
    kubelets.push(await startKubelet({ bus: await connect("kubelet"), nodes: 3, pullMs: 50 }));
    kubelets.push(
      await startKubelet({ bus: await connect("kubelet-infra"), nodes: ["infra-1"], firstIndex: 20, pullMs: 50, taints: [{ key: "dedicated", value: "infra", effect: "NoSchedule" }] }),
    );
  }, 60_000);
  afterAll(async () => {
    kubectl?.dispose();
    for (const k of kubelets) await k.stop();
    await scheduler?.stop();
    await manager?.stop();
    await cluster?.stop();
  });

  it("serves daemonsets and controllerrevisions and validates like kube", { timeout: 60_000 }, async () => {
    expect(await kubectl("api-resources", "--api-group=apps", "--no-headers")).toMatch(
      /^controllerrevisions\s+apps\/v1\s+true\s+ControllerRevision\ndaemonsets\s+ds\s+apps\/v1\s+true\s+DaemonSet\n/,
    );
    const bad = daemonSetYaml("bad", "nginx:1.27").replace("matchLabels: {app: bad}", "matchLabels: {app: other}");
    expect(await createFile("bad.yaml", bad).catch((e) => String(e.stderr))).toContain(
      'The DaemonSet "bad" is invalid: spec.template.metadata.labels: Invalid value: {"app":"bad"}: `selector` does not match template `labels`',
    );
  });

  it("runs one pod per node, skips the tainted node, places a tolerating daemon set there", { timeout: 120_000 }, async () => {
    expect(await createFile("agent.yaml", daemonSetYaml("agent", "nginx:1.27"))).toBe("daemonset.apps/agent created\n");
    await waitReady("agent", ["node-1", "node-2", "node-3"]);
    const pod = Object.values(await podsByNode("agent"))[0] as Obj;
    // pinned with required node affinity (scheduled by the default scheduler), owned, labelled with the revision
    expect(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: "metadata.name", operator: "In", values: [pod.spec.nodeName] }] },
    ]);
    expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", controller: true, blockOwnerDeletion: true })]);
    expect(pod.metadata.labels).toEqual({ app: "agent", "controller-revision-hash": expect.any(String), "pod-template-generation": "1" });
    expect(pod.metadata.name).toMatch(/^agent-[a-z0-9]{5}$/);
    const keys = pod.spec.tolerations.map((t: Obj) => `${t.key}:${t.effect}`);
    expect(keys).toEqual(expect.arrayContaining([
      "node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/disk-pressure:NoSchedule",
      "node.kubernetes.io/memory-pressure:NoSchedule", "node.kubernetes.io/pid-pressure:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule",
    ]));
    expect(keys).not.toContain("node.kubernetes.io/network-unavailable:NoSchedule");

    await until("agent's status counts 3", async () => /^agent\s+3\s+3\s+3\s+3\s+3\s+<none>\s+\d+s\s*$/m.test(await kubectl("get", "ds", "agent", "--no-headers")), 30_000);
    const [header, row] = (await kubectl("get", "ds", "-o", "wide")).trimEnd().split("\n");
    expect(header).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(row).toMatch(/^agent\s+3\s+3\s+3\s+3\s+3\s+<none>\s+\d+s\s+agent\s+nginx:1\.27\s+app=agent$/);
    expect(await kubectl("rollout", "status", "ds/agent", "--timeout=30s")).toBe('daemon set "agent" successfully rolled out\n');

    const tolerating = "      tolerations:\n      - {key: dedicated, operator: Equal, value: infra, effect: NoSchedule}\n";
    await createFile("infra.yaml", daemonSetYaml("infra", "nginx:1.27", tolerating));
    await waitReady("infra", ["node-1", "node-2", "node-3", "infra-1"]);
    expect((await json("get", "ds", "agent")).status).toMatchObject({ desiredNumberScheduled: 3, numberMisscheduled: 0, observedGeneration: 1 });
  });

  it("follows a node added to the cluster", { timeout: 120_000 }, async () => {
    kubelets.push(await startKubelet({ bus: await connect("kubelet-late"), nodes: ["node-4"], firstIndex: 4, pullMs: 50 }));
    await waitReady("agent", ["node-1", "node-2", "node-3", "node-4"]);
    await waitReady("infra", ["node-1", "node-2", "node-3", "node-4", "infra-1"]);
    expect(await kubectl("rollout", "status", "ds/agent", "--timeout=30s")).toBe('daemon set "agent" successfully rolled out\n');
    await until("status counts 4", async () => (await json("get", "ds", "agent")).status.numberAvailable === 4, 30_000);
    const described = await kubectl("describe", "ds", "agent");
    expect(described).toMatch(/^Desired Number of Nodes Scheduled: 4$/m);
    expect(described).toMatch(/^Number of Nodes Scheduled with Up-to-date Pods: 4$/m);
    expect(described).toMatch(/^Pods Status:\s+4 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    expect(described).toMatch(/SuccessfulCreate\s+.*daemonset-controller\s+Created pod: agent-[a-z0-9]{5}/);
    expect((await kubectl("get", "all", "--no-headers")).split("\n").filter((l) => l.startsWith("daemonset.apps/"))).toHaveLength(2);
  });

  it("keeps DaemonSet pods on a drained node (drain --ignore-daemonsets, the unschedulable toleration)", { timeout: 120_000 }, async () => {
    const drained = await kubectl.output("drain", "node-4", "--ignore-daemonsets");
    expect(drained.stderr).toMatch(/Warning: ignoring DaemonSet-managed Pods: default\/(agent|infra)-[a-z0-9]{5}, default\/(agent|infra)-[a-z0-9]{5}/);
    expect(drained.stdout).toContain("node/node-4 drained");
    expect((await json("get", "node", "node-4")).spec.unschedulable).toBe(true);
    expect(Object.keys(await podsByNode("agent")).sort()).toEqual(["node-1", "node-2", "node-3", "node-4"]);
    await kubectl("uncordon", "node-4");
  });

  it("rolls out a new image one node at a time, lists and undoes revisions", { timeout: 180_000 }, async () => {
    // Watch every revision of the pods: never more than maxUnavailable (1) of the 4 nodes without an available agent pod.
    const bus = await connect("observer");
    const observer = new Informer(bus, new StoreClient(bus), { group: "", resource: "pods", namespace: "default", resyncMs: 0 });
    let fewest = Infinity;
    let checking = false;
    const check = () => {
      if (!checking) return;
      const nodes = new Set(observer.list().filter((p: Obj) => p.metadata.labels?.app === "agent" && !p.metadata.deletionTimestamp && p.status?.conditions?.some((cd: Obj) => cd.type === "Ready" && cd.status === "True")).map((p: Obj) => p.spec.nodeName));
      fewest = Math.min(fewest, nodes.size);
    };
    observer.addHandler({ onAdd: check, onUpdate: check, onDelete: check });
    await observer.start();
    checking = true;
    check();
    const before = await podsByNode("agent");
    expect(await kubectl("set", "image", "ds/agent", "agent=nginx:1.28")).toBe("daemonset.apps/agent image updated\n");
    const status = await kubectl("rollout", "status", "ds/agent", "--timeout=90s");
    expect(status).toMatch(/Waiting for daemon set "agent" rollout to finish: \d out of 4 new pods have been updated\.\.\./);
    expect(status.trimEnd().split("\n").at(-1)).toBe('daemon set "agent" successfully rolled out');
    await waitReady("agent", ["node-1", "node-2", "node-3", "node-4"], "nginx:1.28");
    const after = await podsByNode("agent");
    for (const node of Object.keys(after)) expect(after[node].metadata.name).not.toBe(before[node].metadata.name);
    expect(after["node-1"].metadata.labels["pod-template-generation"]).toBe("2");
    observer.stop();
    expect(fewest).toBe(3);

    const revisions = (await kubectl("get", "controllerrevisions", "-l", "app=agent", "--no-headers")).trimEnd().split("\n").map((l) => l.split(/\s+/).slice(0, 3));
    expect(revisions.map((r) => r.slice(1)).sort()).toEqual([["daemonset.apps/agent", "1"], ["daemonset.apps/agent", "2"]]);
    for (const [name] of revisions) expect(name).toMatch(/^agent-[a-z0-9]+$/);
    const history = await kubectl("rollout", "history", "ds/agent");
    expect(history).toMatch(/^daemonset\.apps\/agent\s*\nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
    expect(await kubectl("rollout", "history", "ds/agent", "--revision=1")).toContain("nginx:1.27");

    expect(await kubectl("rollout", "undo", "ds/agent")).toBe("daemonset.apps/agent rolled back\n");
    await kubectl("rollout", "status", "ds/agent", "--timeout=90s");
    await waitReady("agent", ["node-1", "node-2", "node-3", "node-4"], "nginx:1.27");
    // the first revision is current again, renumbered after the newest
    const history2 = await kubectl("rollout", "history", "ds/agent");
    expect(history2).toMatch(/\n2\s+<none>\n3\s+<none>\n/);
    expect(await kubectl("rollout", "undo", "ds/agent", "--to-revision=3")).toBe("daemonset.apps/agent skipped rollback (current template already matches revision 3)\n");
  });

  it("deletes the pods and revisions with the daemon set", { timeout: 120_000 }, async () => {
    expect(await kubectl("delete", "ds", "agent")).toBe('daemonset.apps "agent" deleted\n');
    await until("agent's pods and revisions gone", async () => Object.keys(await podsByNode("agent")).length === 0 && (await json("get", "controllerrevisions", "-l", "app=agent")).items.length === 0, 60_000);
    expect(await failure("get", "ds", "agent")).toContain('daemonsets.apps "agent" not found');
    expect(Object.keys(await podsByNode("infra"))).toHaveLength(5);
  });
});
