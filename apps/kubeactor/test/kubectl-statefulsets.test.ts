/**
 * StatefulSets with the real kubectl on an in-process cluster (store, API
 * server, controller manager, scheduler, simulated nodes): ordered creation
 * of `<set>-<ordinal>` pods each after its predecessor is Ready, stable
 * hostnames, scale up and down from the highest ordinal, a rolling update
 * from the highest ordinal down, a partition, `rollout status` / `history` /
 * `undo`, Parallel management, and volumeClaimTemplates: a claim per
 * ordinal, bound by the local-path provisioner, mounted by its pod and kept
 * when the set scales down.
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
const isReady = (p: Obj) => p?.status?.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True");

const statefulSetYaml = (name: string, opts: { replicas?: number; policy?: string; claims?: boolean } = {}) => `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ${name}
spec:
  serviceName: ${name}
  replicas: ${opts.replicas ?? 3}
${opts.policy ? `  podManagementPolicy: ${opts.policy}\n` : ""}  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: ${name}
        image: nginx:1.27
${opts.claims ? "        volumeMounts: [{name: data, mountPath: /data}]\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 1Gi}}\n" : ""}`;

describe.skipIf(!existsSync(kubectlBinary(32)))("kubectl and StatefulSets", () => {
  let cluster: KubectlCluster;
  let manager: ControllerManager;
  let scheduler: RunningScheduler;
  let kubelet: Kubelet;
  let pods: Informer;
  /** Every ADDED and DELETED pod of set `web`, in the order the informer saw them, with the Ready state of the predecessor at creation. */
  const log: { op: "add" | "delete"; name: string; predecessorReady?: boolean }[] = [];
  const connect = async (name: string) => new Bus(await cluster.bus.connect(name), { log: () => {} });

  let kubectl: Kubectl;
  const json = (...args: string[]) => kubectl.json(...args);
  const createFile = (name: string, yaml: string) => {
    const file = join(cluster.dir, name);
    writeFileSync(file, yaml);
    return kubectl("create", "-f", file);
  };
  const live = (app: string) => pods.list().filter((p: Obj) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp) as Obj[];
  /** The set's pods are exactly `names` (none left terminating), all Ready (and with `image` when given). */
  const waitPods = (app: string, names: string[], image?: string) =>
    until(`${app} pods ${names.join(",")}${image ? ` on ${image}` : ""}`, () => {
      const now = pods.list().filter((p: Obj) => p.metadata.labels?.app === app) as Obj[];
      return now.map((p) => p.metadata.name).sort().join(",") === [...names].sort().join(",") && now.every((p) => isReady(p) && (!image || p.spec.containers[0].image === image));
    }, 60_000);

  beforeAll(async () => {
    cluster = await startKubectlCluster("kubectl-sts");
    kubectl = kubectlFor({ kubeconfig: cluster.kubeconfig, timeoutMs: 120_000 });
    manager = await startControllerManager({
      bus: await connect("controller-manager"),
      controllers: ["statefulset", "garbagecollector", "disruption", "persistentvolume-binder"],
      volumesDir: join(cluster.dir, "volumes"),
      log: () => {},
    });
    scheduler = await startScheduler({ bus: await connect("scheduler"), log: () => {} });
    kubelet = await startKubelet({ bus: await connect("kubelet"), nodes: 3, pullMs: 50 });
    const bus = await connect("observer");
    pods = new Informer(bus, new StoreClient(bus), { group: "", resource: "pods", namespace: "default", resyncMs: 0 });
    pods.addHandler({
      onAdd: (p: Obj) => {
        if (p.metadata.labels?.app !== "web") return;
        const ord = Number(p.metadata.name.slice(4));
        const predecessor = pods.get(`default/web-${ord - 1}`) as Obj;
        log.push({ op: "add", name: p.metadata.name, ...(ord > 0 ? { predecessorReady: !predecessor?.metadata.deletionTimestamp && isReady(predecessor) } : {}) });
      },
      onDelete: (p: Obj) => {
        if (p.metadata.labels?.app === "web") log.push({ op: "delete", name: p.metadata.name });
      },
    });
    await pods.start();
  }, 60_000);
  afterAll(async () => {
    pods?.stop();
    kubectl?.dispose();
    await kubelet?.stop();
    await scheduler?.stop();
    await manager?.stop();
    await cluster?.stop();
  });

  it("creates web-0, web-1, web-2 in order, each after its predecessor is Ready, with stable identities", { timeout: 120_000 }, async () => {
    expect(await kubectl("api-resources", "--api-group=apps", "--no-headers")).toMatch(/\nstatefulsets\s+sts\s+apps\/v1\s+true\s+StatefulSet\n/);
    expect(await createFile("web.yaml", statefulSetYaml("web"))).toBe("statefulset.apps/web created\n");
    await waitPods("web", ["web-0", "web-1", "web-2"]);
    expect(log.filter((e) => e.op === "add")).toEqual([
      { op: "add", name: "web-0" },
      { op: "add", name: "web-1", predecessorReady: true },
      { op: "add", name: "web-2", predecessorReady: true },
    ]);
    const pod = (await json("get", "pod", "web-1"));
    expect(pod.spec).toMatchObject({ hostname: "web-1", subdomain: "web" });
    expect(pod.metadata.labels).toEqual({ app: "web", "controller-revision-hash": expect.stringMatching(/^web-[a-z0-9]+$/), "statefulset.kubernetes.io/pod-name": "web-1", "apps.kubernetes.io/pod-index": "1" });
    expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "StatefulSet", name: "web", controller: true })]);
    await until("web 3/3", async () => /^web\s+3\/3\s+\d+s\s*$/m.test(await kubectl("get", "sts", "web", "--no-headers")), 30_000);
    expect((await kubectl("get", "sts", "-o", "wide")).split("\n")[0]).toMatch(/^NAME\s+READY\s+AGE\s+CONTAINERS\s+IMAGES$/);
    const revision = pod.metadata.labels["controller-revision-hash"];
    expect(await kubectl("rollout", "status", "sts/web", "--timeout=30s")).toBe(`partitioned roll out complete: 3 new pods have been updated...\n`);
    expect((await json("get", "sts", "web")).status).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: revision, updateRevision: revision, observedGeneration: 1 });
    const described = await kubectl("describe", "sts", "web");
    expect(described).toMatch(/^Replicas:\s+3 desired \| 3 total$/m);
    expect(described).toMatch(/^Update Strategy:\s+RollingUpdate$/m);
    expect(described).toMatch(/^Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    expect(described).toMatch(/SuccessfulCreate\s+.*statefulset-controller\s+create Pod web-0 in StatefulSet web successful/);
  });

  it("counts a percentage budget against the stateful set's replicas", { timeout: 60_000 }, async () => {
    await kubectl("create", "pdb", "web", "--selector=app=web", "--max-unavailable=34%");
    await until("budget synced", async () => (await json("get", "pdb", "web")).status?.expectedPods === 3, 30_000);
    expect((await json("get", "pdb", "web")).status).toMatchObject({ expectedPods: 3, desiredHealthy: 1, currentHealthy: 3, disruptionsAllowed: 2 });
    await kubectl("delete", "pdb", "web");
  });

  it("scales up in order and down from the highest ordinal", { timeout: 120_000 }, async () => {
    expect(await kubectl("scale", "sts", "web", "--replicas=5")).toBe("statefulset.apps/web scaled\n");
    await waitPods("web", ["web-0", "web-1", "web-2", "web-3", "web-4"]);
    log.length = 0;
    await kubectl("scale", "sts", "web", "--replicas=2");
    await waitPods("web", ["web-0", "web-1"]);
    expect(log.filter((e) => e.op === "delete").map((e) => e.name)).toEqual(["web-4", "web-3", "web-2"]);
  });

  it("rolls out from the highest ordinal down, honours a partition, lists and undoes revisions", { timeout: 180_000 }, async () => {
    await kubectl("scale", "sts", "web", "--replicas=3");
    await waitPods("web", ["web-0", "web-1", "web-2"]);
    log.length = 0;
    expect(await kubectl("set", "image", "sts/web", "web=nginx:1.28")).toBe("statefulset.apps/web image updated\n");
    await waitPods("web", ["web-0", "web-1", "web-2"], "nginx:1.28");
    expect(log.filter((e) => e.op === "delete").map((e) => e.name)).toEqual(["web-2", "web-1", "web-0"]);
    await until("status caught up", async () => (await json("get", "sts", "web")).status.updatedReplicas === 3, 30_000);

    await kubectl("patch", "sts", "web", "-p", '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}');
    await kubectl("set", "image", "sts/web", "web=nginx:1.29");
    await until("web-2 on 1.29", () => live("web").find((p) => p.metadata.name === "web-2" && isReady(p))?.spec.containers[0].image === "nginx:1.29", 60_000);
    expect(await kubectl("rollout", "status", "sts/web", "--timeout=60s")).toBe("partitioned roll out complete: 1 new pods have been updated...\n");
    expect(live("web").filter((p) => p.spec.containers[0].image === "nginx:1.28").map((p) => p.metadata.name).sort()).toEqual(["web-0", "web-1"]);

    const history = await kubectl("rollout", "history", "sts/web");
    expect(history).toMatch(/^statefulset\.apps\/web\s*\nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n3\s+<none>\n/);
    await kubectl("patch", "sts", "web", "-p", '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}');
    expect(await kubectl("rollout", "undo", "sts/web")).toBe("statefulset.apps/web rolled back\n");
    await waitPods("web", ["web-0", "web-1", "web-2"], "nginx:1.28");
    expect(await kubectl("rollout", "status", "sts/web", "--timeout=60s")).toBe("partitioned roll out complete: 3 new pods have been updated...\n");
    expect(await kubectl("rollout", "history", "sts/web")).toMatch(/\n1\s+<none>\n3\s+<none>\n4\s+<none>\n/);
  });

  it("starts every pod at once with Parallel", { timeout: 120_000 }, async () => {
    await createFile("par.yaml", statefulSetYaml("par", { replicas: 3, policy: "Parallel" }));
    await waitPods("par", ["par-0", "par-1", "par-2"]);
  });

  it("gives each ordinal its own claim from volumeClaimTemplates, mounted by its pod and kept when scaled down", { timeout: 120_000 }, async () => {
    await createFile("db.yaml", statefulSetYaml("db", { replicas: 2, claims: true }));
    await waitPods("db", ["db-0", "db-1"]);
    const claims = (await json("get", "pvc", "-l", "app=db")).items as Obj[];
    expect(claims.map((p) => [p.metadata.name, p.status.phase, p.spec.storageClassName, p.spec.resources.requests.storage])).toEqual([
      ["data-db-0", "Bound", "standard", "1Gi"],
      ["data-db-1", "Bound", "standard", "1Gi"],
    ]);
    const pod = await json("get", "pod", "db-1");
    expect(pod.spec.volumes).toContainEqual({ name: "data", persistentVolumeClaim: { claimName: "data-db-1" } });
    expect(await kubectl("get", "events", "--field-selector", "involvedObject.name=db,reason=SuccessfulCreate")).toContain("create Claim data-db-0 Pod db-0 in StatefulSet db success");
    await kubectl("scale", "sts", "db", "--replicas=1");
    await waitPods("db", ["db-0"]);
    // The Retain retention policy: the claim of a removed ordinal stays for when the set grows again.
    expect(((await json("get", "pvc", "-l", "app=db")).items as Obj[]).map((p) => p.metadata.name)).toEqual(["data-db-0", "data-db-1"]);
  });

  it("deletes the pods with the stateful set", { timeout: 60_000 }, async () => {
    expect(await kubectl("delete", "sts", "web", "par")).toBe('statefulset.apps "web" deleted\nstatefulset.apps "par" deleted\n');
    await until("pods gone", () => live("web").length === 0 && live("par").length === 0, 60_000);
  });
});
