/**
 * ResourceQuota and LimitRange with the real kubectl on an in-process
 * cluster (store, API server, controller manager with the resourcequota and
 * namespace controllers): `kubectl create quota` by generator (protobuf from
 * 1.32, JSON from 1.27), usage counted by the controller, the Forbidden
 * answers of quota admission, racing creates that cannot both take the last
 * slot, usage dropping after a delete or a pod failing, LimitRange defaults and max, and the
 * get / describe output of both kinds.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { type ControllerManager, startControllerManager } from "@kubeactor/controllers";
import { call, type Kubectl, kubectlBinary, type KubectlCluster, kubectlFor, startKubectlCluster, until } from "@kubeactor/testing";

type Obj = any;

const podYaml = (name: string, resources = "", ns = "team") => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  containers:
  - name: app
    image: busybox
${resources}`;

describe.skipIf(!existsSync(kubectlBinary(32)) || !existsSync(kubectlBinary(27)))("kubectl with ResourceQuota and LimitRange", () => {
  let cluster: KubectlCluster;
  let manager: ControllerManager;
  let kubectl: Kubectl;
  let old: Kubectl;

  const createFile = (name: string, yaml: string, k = kubectl) => {
    const file = join(cluster.dir, name);
    writeFileSync(file, yaml);
    return k("create", "-f", file);
  };
  const failure = (name: string, yaml: string) => createFile(name, yaml).then((out) => `succeeded: ${out}`, (e) => String(e.stderr).trim());
  const used = async (name: string, ns = "team") => (await kubectl.json("get", "quota", name, "-n", ns)).status?.used;

  beforeAll(async () => {
    cluster = await startKubectlCluster("kubectl-quota");
    kubectl = kubectlFor({ kubeconfig: cluster.kubeconfig, timeoutMs: 120_000 });
    old = kubectlFor({ kubeconfig: cluster.kubeconfig, minor: 27, timeoutMs: 120_000 });
    const bus = new Bus(await cluster.bus.connect("controller-manager"), { log: () => {} });
    manager = await startControllerManager({ bus, controllers: ["resourcequota", "namespace"], log: () => {} });
    await kubectl("create", "namespace", "team");
    await kubectl("create", "namespace", "legacy");
  }, 60_000);
  afterAll(async () => {
    kubectl?.dispose();
    old?.dispose();
    await manager?.stop();
    await cluster?.stop();
  });

  it("serves both kinds with their short names", { timeout: 60_000 }, async () => {
    const resources = await kubectl("api-resources", "--no-headers");
    expect(resources).toMatch(/^resourcequotas\s+quota\s+v1\s+true\s+ResourceQuota$/m);
    expect(resources).toMatch(/^limitranges\s+limits\s+v1\s+true\s+LimitRange$/m);
    expect(await kubectl("explain", "resourcequota.spec.hard")).toContain("hard");
  });

  it("creates a quota by generator (1.32 protobuf, 1.27 JSON) and counts usage", { timeout: 120_000 }, async () => {
    expect(await kubectl("create", "quota", "q", "--hard=pods=2,requests.cpu=1,limits.memory=1Gi", "-n", "team")).toBe("resourcequota/q created\n");
    expect(await old("create", "quota", "objects", "--hard=configmaps=3,count/deployments.apps=1", "-n", "legacy")).toBe("resourcequota/objects created\n");
    await until("q counted", async () => JSON.stringify(await used("q")) === JSON.stringify({ "limits.memory": "0", pods: "0", "requests.cpu": "0" }), 30_000);
    // kube-root-ca.crt is not published here: no configmaps yet
    await until("objects counted", async () => (await used("objects", "legacy"))?.configmaps === "0", 30_000);
    const q = await kubectl.json("get", "quota", "q", "-n", "team");
    expect(q.spec.hard).toEqual({ pods: "2", "requests.cpu": "1", "limits.memory": "1Gi" });
    expect(q.status.hard).toEqual({ "limits.memory": "1Gi", pods: "2", "requests.cpu": "1" });
  });

  it("refuses a pod that does not request what the quota limits, admits two, refuses the third", { timeout: 120_000 }, async () => {
    expect(await failure("x.yaml", podYaml("x"))).toBe(
      'Error from server (Forbidden): error when creating "' + join(cluster.dir, "x.yaml") + '": pods "x" is forbidden: failed quota: q: must specify limits.memory for: app; requests.cpu for: app',
    );
    const res = "    resources:\n      requests: {cpu: 100m}\n      limits: {memory: 128Mi}\n";
    await createFile("p1.yaml", podYaml("p1", res));
    await createFile("p2.yaml", podYaml("p2", res));
    expect(await failure("p3.yaml", podYaml("p3", res))).toContain('pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
    expect(await used("q")).toEqual({ "limits.memory": "256Mi", pods: "2", "requests.cpu": "200m" });
    expect(await kubectl("get", "quota", "-n", "team")).toMatch(
      /^NAME\s+AGE\s+REQUEST\s+LIMIT\nq\s+\S+\s+pods: 2\/2, requests\.cpu: 200m\/1\s+limits\.memory: 256Mi\/1Gi\n$/,
    );
    // the namespace describer lists the namespace's quotas (and would its LimitRanges)
    expect(await kubectl("describe", "namespace", "team")).toMatch(/Resource Quotas\n\s*Name:\s+q\n\s*Resource\s+Used\s+Hard\n[\s\S]*pods\s+2\s+2\n/);
    const described = await kubectl("describe", "quota", "q", "-n", "team");
    expect(described).toMatch(/Resource\s+Used\s+Hard\n\s*--------\s+----\s+----\n\s*limits\.memory\s+256Mi\s+1Gi\n\s*pods\s+2\s+2\n\s*requests\.cpu\s+200m\s+1\n/);
  });

  it("lowers usage when a pod is deleted (controller), and lets only one of several racing creates take the freed slot", { timeout: 120_000 }, async () => {
    await kubectl("delete", "pod", "p2", "-n", "team", "--wait=false");
    await until("p2 uncounted", async () => (await used("q"))?.pods === "1", 30_000);
    const pod = (i: number) => ({
      apiVersion: "v1", kind: "Pod", metadata: { name: `race-${i}` },
      spec: { containers: [{ name: "app", image: "busybox", resources: { requests: { cpu: "10m" }, limits: { memory: "1Mi" } } }] },
    });
    const replies = await Promise.all([0, 1, 2, 3, 4].map((i) => call(cluster.cluster.url, "POST", "/api/v1/namespaces/team/pods", pod(i))));
    const codes = replies.map((r) => r.code).sort();
    expect(codes).toEqual([201, 403, 403, 403, 403]);
    expect(await used("q")).toMatchObject({ pods: "2" });
    // a pod that reached a terminal phase no longer counts (it still exists)
    const winner = replies.find((r) => r.code === 201)!.body.metadata.name;
    await kubectl("patch", "pod", winner, "-n", "team", "--subresource=status", "--type=merge", "-p", '{"status":{"phase":"Failed"}}');
    await until("failed pod uncounted", async () => (await used("q"))?.pods === "1", 30_000);
    expect(await kubectl("get", "pod", winner, "-n", "team", "-o", "name")).toBe(`pod/${winner}\n`);
  });

  it("counts objects by count/<resource>.<group> and legacy names (1.27 client)", { timeout: 60_000 }, async () => {
    await old("create", "deployment", "one", "--image=nginx", "-n", "legacy");
    await until("deployment counted", async () => (await used("objects", "legacy"))?.["count/deployments.apps"] === "1", 30_000);
    const err = await old("create", "deployment", "two", "--image=nginx", "-n", "legacy").then(() => "", (e) => String(e.stderr));
    expect(err).toContain('deployments.apps "two" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1');
  });

  it("charges what an update adds: a Service turning NodePort", { timeout: 60_000 }, async () => {
    await kubectl("create", "quota", "ports", "--hard=services.nodeports=1,services=5", "-n", "legacy");
    await until("ports counted", async () => (await used("ports", "legacy"))?.["services.nodeports"] === "0", 30_000);
    await kubectl("create", "service", "clusterip", "web", "--tcp=80:8080,443:8443", "-n", "legacy");
    const err = await kubectl("patch", "service", "web", "-n", "legacy", "-p", '{"spec":{"type":"NodePort"}}').then(() => "", (e) => String(e.stderr));
    expect(err).toContain('services "web" is forbidden: exceeded quota: ports, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1');
    await kubectl("patch", "service", "web", "-n", "legacy", "--type=json", "-p", '[{"op":"remove","path":"/spec/ports/1"},{"op":"replace","path":"/spec/type","value":"NodePort"}]');
    await until("node port counted", async () => (await used("ports", "legacy"))?.["services.nodeports"] === "1", 30_000);
    expect(await used("ports", "legacy")).toEqual({ services: "1", "services.nodeports": "1" });
  });

  it("applies LimitRange defaults to pods and refuses a container over the max", { timeout: 60_000 }, async () => {
    await kubectl("create", "namespace", "limited");
    await createFile("lr.yaml", `apiVersion: v1
kind: LimitRange
metadata:
  name: cpu-mem
  namespace: limited
spec:
  limits:
  - type: Container
    max: {cpu: 500m}
    default: {cpu: 200m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
`);
    const lr = await kubectl.json("get", "limits", "cpu-mem", "-n", "limited");
    expect(lr.spec.limits).toEqual([{ type: "Container", max: { cpu: "500m" }, default: { cpu: "200m", memory: "256Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } }]);
    await createFile("d.yaml", podYaml("defaulted", "", "limited"));
    const pod = await kubectl.json("get", "pod", "defaulted", "-n", "limited");
    expect(pod.spec.containers[0].resources).toEqual({ limits: { cpu: "200m", memory: "256Mi" }, requests: { cpu: "100m", memory: "128Mi" } });
    expect(pod.metadata.annotations["kubernetes.io/limit-ranger"]).toBe("LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app");
    expect(await kubectl("get", "pod", "defaulted", "-n", "limited", "-o", "yaml")).toContain("cpu: 200m");
    expect(await failure("big.yaml", podYaml("big", "    resources:\n      limits: {cpu: \"1\"}\n", "limited"))).toContain(
      'pods "big" is forbidden: maximum cpu usage per Container is 500m, but limit is 1',
    );
    expect(await kubectl("get", "limits", "-n", "limited")).toMatch(/^NAME\s+CREATED AT\ncpu-mem\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    const described = await kubectl("describe", "limitrange", "cpu-mem", "-n", "limited");
    expect(described).toMatch(/Type\s+Resource\s+Min\s+Max\s+Default Request\s+Default Limit\s+Max Limit\/Request Ratio/);
    expect(described).toMatch(/Container\s+cpu\s+-\s+500m\s+100m\s+200m\s+-/);
    // validation: 422 with kube's field path
    const bad = await failure("bad-lr.yaml", `apiVersion: v1
kind: LimitRange
metadata: {name: bad, namespace: limited}
spec:
  limits:
  - type: Container
    min: {cpu: "2"}
    max: {cpu: "1"}
`);
    expect(bad).toContain('The LimitRange "bad" is invalid:');
    expect(bad).toContain('spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1');
  });

  it("removes quotas and limit ranges with their namespace", { timeout: 120_000 }, async () => {
    await kubectl("delete", "namespace", "limited", "--wait=false");
    await until("limited gone", async () => !(await kubectl("get", "namespaces", "-o", "name")).includes("namespace/limited"), 60_000);
    expect(await kubectl("get", "limits", "-A", "-o", "name")).toBe("");
  });
});
