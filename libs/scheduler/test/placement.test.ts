/**
 * Inter-pod anti-affinity and priority preemption on a real cluster: store,
 * API server, controller manager (Deployment → ReplicaSet → pods), three
 * simulated kubelets and the scheduler, on the in-memory bus and on nats-server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { type ControllerManager, startControllerManager } from "@kubeactor/controllers";
import { type Kubelet, startKubelet } from "@kubeactor/kubelet";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startTestCluster, type TestCluster, transportCases, until } from "@kubeactor/testing";
import { type RunningScheduler, startScheduler } from "../src/index.ts";

const PODS = { group: "", version: "v1", resource: "pods" };
const EVENTS = { group: "", version: "v1", resource: "events" };
const DEPLOYMENTS = { group: "apps", version: "v1", resource: "deployments" };
const PRIORITY_CLASSES = { group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses" };
const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
const run = promisify(execFile);

type PodObj = {
  metadata: { name: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string; priority?: number; priorityClassName?: string; preemptionPolicy?: string };
  status?: { phase?: string; nominatedNodeName?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
};
type EventObj = { reason: string; type: string; message: string; involvedObject: { name: string } };

describe.each(transportCases())("pod placement on $name", (tc) => {
  let cluster: TestCluster;
  let controllers: ControllerManager;
  let kubelet: Kubelet;
  let scheduler: RunningScheduler;
  const quiet = { log: () => {} };
  const dir = mkdtempSync(join(tmpdir(), "kubeactor-placement-"));
  const kubectl = async (...args: string[]) =>
    (await run(KUBECTL, ["--kubeconfig", join(dir, "kubeconfig"), "--cache-dir", mkdtempSync(join(dir, "cache-")), ...args], { encoding: "utf8" })).stdout;

  const pods = async (ns = "default") => ((await cluster.api.list(PODS, ns)) as { items: PodObj[] }).items;
  const pod = async (name: string) => (await cluster.api.get(PODS, "default", name)) as unknown as PodObj;
  const event = (reason: string, name: string) =>
    until(`${reason} event for ${name}`, async () => {
      const list = (await cluster.api.list(EVENTS, "default")) as { items: EventObj[] };
      return list.items.find((e) => e.reason === reason && e.involvedObject.name === name);
    }, 30_000);

  beforeAll(async () => {
    await tc.setup();
    cluster = await startTestCluster(tc);
    writeFileSync(
      join(dir, "kubeconfig"),
      `apiVersion: v1\nkind: Config\nclusters: [{name: t, cluster: {server: "${cluster.url}"}}]\ncontexts: [{name: t, context: {cluster: t, user: t}}]\nusers: [{name: t, user: {}}]\ncurrent-context: t\n`,
    );
    controllers = await startControllerManager({ bus: new Bus(await tc.connect("controller-manager"), quiet), ...quiet });
    // Three nodes of one CPU each, in zones a, b and c.
    kubelet = await startKubelet({ bus: new Bus(await tc.connect("kubelet"), quiet), nodes: 3, cpu: "1", pullMs: 10, ...quiet });
    scheduler = await startScheduler({ bus: new Bus(await tc.connect("scheduler"), quiet), ...quiet });
  }, 60_000);

  afterAll(async () => {
    await scheduler?.stop();
    await kubelet?.stop();
    await controllers?.stop();
    await cluster?.stop();
    await tc.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  it("required anti-affinity spreads a Deployment's pods one per node and explains the one left over", async () => {
    await cluster.api.create(DEPLOYMENTS, "default", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            containers: [{ name: "web", image: "nginx:1.27" }],
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "web" } }, topologyKey: "kubernetes.io/hostname" }],
              },
            },
          },
        },
      },
    });
    const web = await until("3 web pods bound and 1 pending", async () => {
      const list = (await pods()).filter((p) => p.metadata.labels?.app === "web");
      return list.length === 4 && list.filter((p) => p.spec.nodeName).length === 3 ? list : undefined;
    }, 30_000);
    const nodes = web.flatMap((p) => (p.spec.nodeName ? [p.spec.nodeName] : []));
    expect(new Set(nodes)).toEqual(new Set(kubelet.nodes));
    const pending = web.find((p) => !p.spec.nodeName)!;
    const expected =
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
    expect(await event("FailedScheduling", pending.metadata.name)).toMatchObject({ type: "Warning", message: expected });
    // Every pod got priority 0: no class named and no global default.
    expect(web.every((p) => p.spec.priority === 0 && p.spec.preemptionPolicy === "PreemptLowerPriority")).toBe(true);
  }, 60_000);

  it("serves PriorityClasses, with the system classes built in, and resolves them into pods", async () => {
    const critical = (await cluster.api.get(PRIORITY_CLASSES, "", "system-node-critical")) as { value: number; preemptionPolicy?: string };
    expect(critical).toMatchObject({ value: 2000001000, preemptionPolicy: "PreemptLowerPriority" });
    expect(((await cluster.api.get(PRIORITY_CLASSES, "", "system-cluster-critical")) as { value: number }).value).toBe(2000000000);
    // What a user types, with the real kubectl.
    expect(await kubectl("create", "priorityclass", "low", "--value=10")).toBe("priorityclass.scheduling.k8s.io/low created\n");
    expect(await kubectl("create", "priorityclass", "high", "--value=1000", "--description=important")).toBe("priorityclass.scheduling.k8s.io/high created\n");
    const refused = (...args: string[]) => kubectl(...args).catch((e: { stderr: string }) => e.stderr);
    // (kube qualifies the kind as PriorityClass.scheduling.k8s.io in these messages; kubeactor's API server names the kind only)
    expect(await refused("create", "priorityclass", "system-mine", "--value=1")).toMatch(
      /^error: failed to create priorityclass: PriorityClass\.scheduling\.k8s\.io "system-mine" is invalid: metadata\.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only\. error: system-mine is not a known system priority class\n$/,
    );
    expect(await refused("create", "priorityclass", "huge", "--value=1000000001")).toMatch(
      /^error: failed to create priorityclass: PriorityClass\.scheduling\.k8s\.io "huge" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000\n$/,
    );
    const table = (await kubectl("get", "pc")).split("\n").map((l) => l.split(/\s+/).filter(Boolean));
    expect(table[0]).toEqual(["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]);
    expect(table.find((r) => r[0] === "high")).toEqual(["high", "1000", "false", expect.any(String), "PreemptLowerPriority"]);
    expect(table.find((r) => r[0] === "system-node-critical")?.[1]).toBe("2000001000");
    const err = await kubectl("run", "nope", "--image=busybox", "--overrides", JSON.stringify({ spec: { priorityClassName: "missing" } })).catch(
      (e: { stderr: string }) => e.stderr,
    );
    expect(err).toBe('Error from server (Forbidden): pods "nope" is forbidden: no PriorityClass with name missing was found\n');

    // A globalDefault class applies to pods that name none; a priority that disagrees with the class is refused.
    await cluster.api.create(PRIORITY_CLASSES, "", { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "dflt" }, value: 5, globalDefault: true, preemptionPolicy: "Never" });
    const plain = { apiVersion: "v1", kind: "Pod", spec: { nodeSelector: { none: "x" }, containers: [{ name: "c", image: "busybox" }] } };
    const defaulted = (await cluster.api.create(PODS, "default", { ...plain, metadata: { name: "defaulted" } })) as unknown as PodObj;
    expect(defaulted.spec).toMatchObject({ priorityClassName: "dflt", priority: 5, preemptionPolicy: "Never" });
    const mismatch = await cluster.api
      .create(PODS, "default", { ...plain, metadata: { name: "mismatch" }, spec: { ...plain.spec, priorityClassName: "high", priority: 7 } })
      .catch((e: { status?: { code: number; message: string } }) => e.status);
    expect(mismatch).toMatchObject({
      code: 403,
      message: 'pods "mismatch" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
    });
    const changed = await cluster.api
      .update(PRIORITY_CLASSES, "", { ...(await cluster.api.get(PRIORITY_CLASSES, "", "dflt")), value: 6 })
      .catch((e: { status?: { code: number; message: string } }) => e.status);
    expect(changed).toMatchObject({ code: 422 });
    expect(changed?.message).toMatch(/^PriorityClass\.scheduling\.k8s\.io "dflt" is invalid: value: Forbidden: may not be changed in an update\.$/);
    await cluster.api.delete(PODS, "default", "defaulted");
    await cluster.api.delete(PRIORITY_CLASSES, "", "dflt");
  });

  it("a high-priority pod preempts a low-priority one and takes its node", async () => {
    const make = (name: string, priorityClassName: string) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name },
      spec: {
        priorityClassName,
        nodeSelector: { "kubernetes.io/hostname": "node-1" },
        terminationGracePeriodSeconds: 1,
        containers: [{ name: "c", image: "busybox", resources: { requests: { cpu: "800m" } } }],
      },
    });
    await cluster.api.create(PODS, "default", make("low", "low"));
    const lowPod = await until("low running on node-1", async () => {
      const p = await pod("low");
      return p.spec.nodeName === "node-1" && p.status?.phase === "Running" ? p : undefined;
    }, 30_000);
    expect(lowPod.spec.priority).toBe(10);

    await cluster.api.create(PODS, "default", make("high", "high"));
    const high = await pod("high");
    expect(high.spec.priority).toBe(1000);
    const preempted = await event("Preempted", "low");
    expect(preempted).toMatchObject({ type: "Normal", message: `Preempted by pod ${high.metadata.uid} on node node-1` });
    // kube's message when preemption found a node: the filter reasons only.
    expect(await event("FailedScheduling", "high")).toMatchObject({
      message: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.",
    });
    const bound = await until("high bound to node-1", async () => {
      const p = await pod("high");
      return p.spec.nodeName ? p : undefined;
    }, 60_000);
    expect(bound.spec.nodeName).toBe("node-1");
    expect(bound.status?.nominatedNodeName).toBe("node-1");
    await until("low gone", async () => ((await pods()).some((p) => p.metadata.name === "low") ? undefined : true), 30_000);
  }, 120_000);
});
