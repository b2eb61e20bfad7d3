/**
 * ReplicationControllers and PodTemplates with the real kubectl (1.33, or
 * 1.32) on an in-process cluster (store, API server, controller manager with
 * the replication manager, garbage collector, resourcequota and autoscaler,
 * scheduler, simulated nodes): api-resources, `apply -f` of an RC without a
 * selector (defaulted from the template), get / get all / -o wide, scale with
 * --current-replicas, kubectl autoscale (the autoscaler reads the RC scale),
 * expose over the selector map, patch, server-side apply,
 * describe, validation errors, quota by both names, a cascading delete, and
 * `create -f` / get of a PodTemplate. (Also passes with kubectl 1.27.)
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { type ControllerManager, startControllerManager } from "@kubeactor/controllers";
import { type Kubelet, startKubelet } from "@kubeactor/kubelet";
import { type RunningScheduler, startScheduler } from "@kubeactor/scheduler";
import { type Kubectl, kubectlBinary, type KubectlCluster, kubectlFor, startKubectlCluster, until } from "@kubeactor/testing";

type Obj = any;
const MINOR = existsSync(kubectlBinary(33)) ? 33 : 32;

const rcYaml = (name: string, replicas: number, selector = "") => `apiVersion: v1
kind: ReplicationController
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
${selector}  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80}]
`;

const podTemplateYaml = `apiVersion: v1
kind: PodTemplate
metadata:
  name: batch-worker
template:
  metadata:
    labels: {role: worker, tier: batch}
  spec:
    restartPolicy: Never
    containers:
    - name: worker
      image: busybox:1.36
    - name: sidecar
      image: envoyproxy/envoy:v1.30
`;

describe.skipIf(!existsSync(kubectlBinary(MINOR)))("kubectl and ReplicationControllers / PodTemplates", () => {
  let cluster: KubectlCluster;
  let manager: ControllerManager;
  let scheduler: RunningScheduler;
  let kubelet: Kubelet;
  let kubectl: Kubectl;
  const connect = async (name: string) => new Bus(await cluster.bus.connect(name), { log: () => {} });
  const apply = (name: string, yaml: string, ...args: string[]) => {
    const file = join(cluster.dir, name);
    writeFileSync(file, yaml);
    return kubectl("apply", "-f", file, ...args);
  };
  const createFile = (name: string, yaml: string, ...args: string[]) => {
    const file = join(cluster.dir, name);
    writeFileSync(file, yaml);
    return kubectl("create", "-f", file, ...args);
  };
  const livePods = async (selector: string, ns = "default") =>
    (await kubectl.json("get", "pods", "-l", selector, "-n", ns)).items.filter((p: Obj) => !p.metadata.deletionTimestamp) as Obj[];
  const isReady = (p: Obj) => p.status?.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True");

  beforeAll(async () => {
    cluster = await startKubectlCluster("kubectl-rc");
    kubectl = kubectlFor({ kubeconfig: cluster.kubeconfig, minor: MINOR, timeoutMs: 120_000 });
    manager = await startControllerManager({ bus: await connect("controller-manager"), controllers: ["replicationcontroller", "garbagecollector", "resourcequota", "horizontalpodautoscaling"], log: () => {} });
    scheduler = await startScheduler({ bus: await connect("scheduler"), log: () => {} });
    kubelet = await startKubelet({ bus: await connect("kubelet"), nodes: 2, pullMs: 50 });
  }, 60_000);
  afterAll(async () => {
    kubectl?.dispose();
    await kubelet?.stop();
    await scheduler?.stop();
    await manager?.stop();
    await cluster?.stop();
  });

  it("lists both kinds in api-resources as a real cluster does", { timeout: 60_000 }, async () => {
    const resources = await kubectl("api-resources", "--api-group=", "--no-headers");
    expect(resources).toMatch(/^podtemplates\s+v1\s+true\s+PodTemplate$/m);
    expect(resources).toMatch(/^replicationcontrollers\s+rc\s+v1\s+true\s+ReplicationController$/m);
    expect(await kubectl("api-resources", "--categories=all", "--no-headers")).toMatch(/^replicationcontrollers\s+rc\s+v1\s+true\s+ReplicationController$/m);
    expect(await kubectl("explain", "rc.spec.selector")).toContain("selector");
  });

  it("applies an RC without a selector, runs its pods, prints get / get all / -o wide", { timeout: 120_000 }, async () => {
    expect(await apply("web.yaml", rcYaml("web", 3))).toBe("replicationcontroller/web created\n");
    const rc = await kubectl.json("get", "rc", "web");
    expect(rc.spec.selector).toEqual({ app: "web" });
    expect(rc.metadata.labels).toEqual({ app: "web" });
    await until("3 ready pods", async () => (await livePods("app=web")).filter(isReady).length === 3, 60_000);
    const pod = (await livePods("app=web"))[0];
    expect(pod.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "ReplicationController", name: "web", uid: rc.metadata.uid, controller: true, blockOwnerDeletion: true }]);

    await until("status 3 ready", async () => /^web\s+3\s+3\s+3\s+\d+s$/m.test(await kubectl("get", "rc", "web", "--no-headers")), 30_000);
    const [header] = (await kubectl("get", "rc")).split("\n");
    expect(header).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/);
    const [wideHeader, wideRow] = (await kubectl("get", "rc", "-o", "wide")).trimEnd().split("\n");
    expect(wideHeader).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(wideRow).toMatch(/^web\s+3\s+3\s+3\s+\d+s\s+nginx\s+nginx:1\.27\s+app=web$/);
    const all = await kubectl("get", "all");
    expect(all).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nreplicationcontroller\/web\s+3\s+3\s+3\s+\d+s$/m);
    expect(all).toMatch(/^pod\/web-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\d+s$/m);

    const status = (await kubectl.json("get", "rc", "web")).status;
    expect(status).toEqual({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    // apply again: unchanged
    expect(await apply("web.yaml", rcYaml("web", 3))).toBe("replicationcontroller/web unchanged\n");
  });

  it("refuses a selector that does not match the template, as kube does", { timeout: 60_000 }, async () => {
    const err = await apply("bad.yaml", rcYaml("bad", 1, "  selector: {app: other}\n")).then((o) => `succeeded: ${o}`, (e) => String(e.stderr));
    expect(err).toContain('The ReplicationController "bad" is invalid: spec.template.metadata.labels: Invalid value: {"app":"bad"}: `selector` does not match template `labels`');
  });

  it("scales through the scale subresource, honouring --current-replicas", { timeout: 120_000 }, async () => {
    const scale = JSON.parse(await kubectl("get", "--raw", "/api/v1/namespaces/default/replicationcontrollers/web/scale"));
    expect(scale).toMatchObject({ kind: "Scale", apiVersion: "autoscaling/v1", spec: { replicas: 3 }, status: { replicas: 3, selector: "app=web" } });
    expect(await kubectl.fails("scale", "rc", "web", "--current-replicas=5", "--replicas=1")).toContain("Expected replicas to be 5, was 3");
    expect(await kubectl("scale", "rc", "web", "--current-replicas=3", "--replicas=1")).toBe("replicationcontroller/web scaled\n");
    await until("1 pod left", async () => (await livePods("app=web")).length === 1, 60_000);
    await until("status follows", async () => /^web\s+1\s+1\s+1\s+\d+s$/m.test(await kubectl("get", "rc", "web", "--no-headers")), 30_000);
    expect((await kubectl.json("get", "rc", "web")).status.observedGeneration).toBe(2);
    expect(await kubectl("scale", "rc/web", "--replicas=2")).toBe("replicationcontroller/web scaled\n");
    await until("2 ready pods", async () => (await livePods("app=web")).filter(isReady).length === 2, 60_000);
  });

  it("is a target for kubectl autoscale: the autoscaler reads the RC's scale", { timeout: 120_000 }, async () => {
    expect(await kubectl("autoscale", "rc", "web", "--min=2", "--max=3", "--cpu-percent=80")).toBe("horizontalpodautoscaler.autoscaling/web autoscaled\n");
    const hpa = await kubectl.json("get", "hpa", "web");
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "v1", kind: "ReplicationController", name: "web" });
    await until("the autoscaler saw 2 replicas", async () => (await kubectl.json("get", "hpa", "web")).status?.currentReplicas === 2, 60_000);
    expect(await kubectl("get", "hpa", "web", "--no-headers")).toMatch(/^web\s+ReplicationController\/web\s+\S+\s+2\s+3\s+2\s+\d+s$/m);
    expect(await kubectl("delete", "hpa", "web")).toBe('horizontalpodautoscaler.autoscaling "web" deleted\n');
  });

  it("exposes an RC as a Service over its selector map, and patches and server-side applies it", { timeout: 120_000 }, async () => {
    expect(await kubectl("expose", "rc", "web", "--port=80", "--name=web-svc")).toBe("service/web-svc exposed\n");
    expect((await kubectl.json("get", "svc", "web-svc")).spec.selector).toEqual({ app: "web" });
    expect(await kubectl("patch", "rc", "web", "-p", '{"metadata":{"annotations":{"team":"a"}}}')).toBe("replicationcontroller/web patched\n");
    expect((await kubectl.json("get", "rc", "web")).metadata.annotations).toEqual(expect.objectContaining({ team: "a" }));
    const ssa = rcYaml("web", 2).replace("metadata:\n  name: web\n", "metadata:\n  name: web\n  labels: {app: web, owner: ssa}\n");
    expect(await apply("web-ssa.yaml", ssa, "--server-side", "--force-conflicts")).toBe("replicationcontroller/web serverside-applied\n");
    const rc = await kubectl.json("get", "rc", "web");
    expect(rc.metadata.labels).toEqual({ app: "web", owner: "ssa" });
    expect(rc.spec.replicas).toBe(2);
    const managed = (await kubectl.json("get", "rc", "web", "--show-managed-fields")).metadata.managedFields;
    expect(managed.map((f: Obj) => `${f.manager}:${f.operation}`)).toContain("kubectl:Apply");
  });

  it("describes an RC: selector, replicas, pod statuses, template and events", { timeout: 60_000 }, async () => {
    await until("2 current", async () => (await kubectl.json("get", "rc", "web")).status?.replicas === 2, 30_000);
    const described = await kubectl("describe", "rc", "web");
    expect(described).toMatch(/^Name:\s+web$/m);
    expect(described).toMatch(/^Namespace:\s+default$/m);
    expect(described).toMatch(/^Selector:\s+app=web$/m);
    expect(described).toMatch(/^Replicas:\s+2 current \/ 2 desired$/m);
    expect(described).toMatch(/^Pods Status:\s+2 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    expect(described).toMatch(/^\s+Image:\s+nginx:1\.27$/m);
    expect(described).toMatch(/Normal\s+SuccessfulCreate\s+.*replication-controller\s+Created pod: web-[a-z0-9]{5}/);
    expect(described).toMatch(/Normal\s+SuccessfulDelete\s+.*replication-controller\s+Deleted pod: web-[a-z0-9]{5}/);
  });

  it("counts RCs against a quota by count/replicationcontrollers and replicationcontrollers", { timeout: 120_000 }, async () => {
    await kubectl("create", "namespace", "capped");
    await kubectl("create", "quota", "rcs", "--hard=count/replicationcontrollers=1,replicationcontrollers=1", "-n", "capped");
    await until("quota counted", async () => (await kubectl.json("get", "quota", "rcs", "-n", "capped")).status?.used?.replicationcontrollers === "0", 30_000);
    expect(await apply("one.yaml", rcYaml("one", 0), "-n", "capped")).toBe("replicationcontroller/one created\n");
    await until("one counted", async () => {
      const used = (await kubectl.json("get", "quota", "rcs", "-n", "capped")).status?.used;
      return used?.replicationcontrollers === "1" && used?.["count/replicationcontrollers"] === "1";
    }, 30_000);
    const err = await apply("two.yaml", rcYaml("two", 0), "-n", "capped").then((o) => `succeeded: ${o}`, (e) => String(e.stderr));
    expect(err).toMatch(/replicationcontrollers "two" is forbidden: exceeded quota: rcs, requested: count\/replicationcontrollers=1,replicationcontrollers=1, used: count\/replicationcontrollers=1,replicationcontrollers=1, limited: count\/replicationcontrollers=1,replicationcontrollers=1/);
  });

  it("deletes an RC and its pods go with it", { timeout: 120_000 }, async () => {
    expect(await kubectl("delete", "rc", "web")).toBe('replicationcontroller "web" deleted\n');
    await until("pods gone", async () => (await livePods("app=web")).length === 0, 60_000);
    expect(await kubectl("get", "rc", "--no-headers", "--ignore-not-found")).toBe("");
  });

  it("creates a PodTemplate and lists it", { timeout: 60_000 }, async () => {
    expect(await createFile("pt.yaml", podTemplateYaml)).toBe("podtemplate/batch-worker created\n");
    const [header, row] = (await kubectl("get", "podtemplates")).trimEnd().split("\n");
    expect(header).toMatch(/^NAME\s+CONTAINERS\s+IMAGES\s+POD LABELS$/);
    expect(row).toMatch(/^batch-worker\s+worker,sidecar\s+busybox:1\.36,envoyproxy\/envoy:v1\.30\s+role=worker,tier=batch$/);
    const pt = await kubectl.json("get", "podtemplate", "batch-worker");
    expect(pt.template.spec).toMatchObject({ restartPolicy: "Never", dnsPolicy: "ClusterFirst", schedulerName: "default-scheduler" });
    expect(pt.metadata.generation).toBe(1);
    const described = await kubectl("describe", "podtemplate", "batch-worker");
    expect(described).toMatch(/^Name:\s+batch-worker$/m);
    // kubectl has no PodTemplate describer: its generic one prints the object's fields
    expect(described).toMatch(/^Kind:\s+PodTemplate$/m);
    expect(described).toMatch(/^\s+Role:\s+worker$/m);
    expect(described).toMatch(/^\s+Image:\s+envoyproxy\/envoy:v1\.30$/m);
    // A template change moves the generation (podTemplateStrategy.PrepareForUpdate); a label change does not.
    await kubectl("label", "podtemplate", "batch-worker", "team=a");
    expect((await kubectl.json("get", "podtemplate", "batch-worker")).metadata.generation).toBe(1);
    await kubectl("patch", "podtemplate", "batch-worker", "--type=merge", "-p", '{"template":{"metadata":{"labels":{"role":"worker2"}}}}');
    expect((await kubectl.json("get", "podtemplate", "batch-worker")).metadata.generation).toBe(2);
    const bad = podTemplateYaml.replace("batch-worker", "broken").replace(/    containers:[\s\S]*$/, "    containers: []\n");
    const err = await createFile("bad-pt.yaml", bad).then((o) => `succeeded: ${o}`, (e) => String(e.stderr));
    expect(err).toContain('The PodTemplate "broken" is invalid: template.spec.containers: Required value');
  });
});
