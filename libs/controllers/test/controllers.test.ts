import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { startTestCluster, type TestCluster, transportCases, until } from "@kubeactor/testing";
import { type ControllerManager, DEPLOYMENTS, NAMESPACES, PODS, REPLICASETS, REPLICATIONCONTROLLERS, SERVICEACCOUNTS, startControllerManager } from "../src/index.ts";

const CONFIGMAPS = { group: "", version: "v1", resource: "configmaps" };
const EVENTS = { group: "", version: "v1", resource: "events" };


const template = (app: string, image = "nginx:1.27") => ({ metadata: { labels: { app } }, spec: { containers: [{ name: "web", image }] } });
const replicaSet = (name: string, replicas: number) => ({
  apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name }, spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name) },
});
const deployment = (name: string, replicas: number, strategy: unknown = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }) => ({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name }, spec: { replicas, strategy, selector: { matchLabels: { app: name } }, template: template(name) },
});

describe.each(transportCases())("controllers over the $name bus", (tc) => {
  let c: TestCluster;
  /**
   * An unconditional update (no resourceVersion), as `kubectl replace` without one:
   * the controllers write status concurrently, and a test's read-modify-write must
   * not lose to them with a 409.
   */
  const put = (ref: { group: string; version: string; resource: string }, ns: string, obj: any) =>
    c.api.update(ref, ns, { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } });
  let manager: ControllerManager;
  const logs: string[] = [];
  const items = async (ref: typeof PODS, ns: string, labelSelector?: string) =>
    (await c.api.list(ref, ns, labelSelector ? { labelSelector } : undefined)).items as any[];
  const newNamespace = async (name: string) => c.api.create(NAMESPACES, "", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  /** What a kubelet would report: every pod Running and Ready. */
  const markReady = async (ns: string) => {
    for (const pod of await items(PODS, ns)) {
      if (pod.status?.conditions?.some((x: any) => x.type === "Ready" && x.status === "True") || pod.metadata.deletionTimestamp) continue;
      const at = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
      await c.api.updateStatus(PODS, ns, { ...pod, status: { ...pod.status, phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: at }] } }).catch(() => {});
    }
  };
  const eventMessages = async (ns: string, reason: string) => (await items(EVENTS, ns)).filter((e) => e.reason === reason).map((e) => e.message as string);

  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    manager = await startControllerManager({ bus: new Bus(await tc.connect("controller-manager"), { log: () => {} }), log: (l) => logs.push(l) });
  });
  afterAll(async () => {
    await manager?.stop();
    if (process.env.CM_LOG) console.log(logs.join("\n"));
    await c?.stop();
    await tc.teardown();
  });

  it("runs the manager machine to Running", () => {
    expect(manager.actor.getSnapshot().value).toBe("Running");
    expect(manager.controllers).toEqual(["replicaset", "replicationcontroller", "deployment", "garbagecollector", "namespace", "serviceaccount", "nodelifecycle", "endpoints", "endpointslice", "endpointslicemirroring", "disruption", "job", "cronjob", "ttl-after-finished", "persistentvolume-binder", "pvc-protection", "pv-protection", "horizontalpodautoscaling", "daemonset", "statefulset", "resourcequota"]);
  });

  it("a ReplicaSet creates its pods, repairs a deleted one and scales down", async () => {
    const ns = `rs-${tc.name}`;
    await newNamespace(ns);
    const rs = await c.api.create(REPLICASETS, ns, replicaSet("web", 3));
    const pods = await until("3 pods", async () => ((await items(PODS, ns)).length === 3 ? items(PODS, ns) : undefined));
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.metadata.labels).toEqual({ app: "web" });
      expect(p.metadata.ownerReferences).toEqual([
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: (rs.metadata as any).uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    await until("status replicas 3", async () => ((await c.api.get(REPLICASETS, ns, "web")) as any).status?.replicas === 3);
    expect((await eventMessages(ns, "SuccessfulCreate")).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());

    await c.api.delete(PODS, ns, pods[0].metadata.name);
    await until("a replacement pod", async () => {
      const now = await items(PODS, ns);
      return now.length === 3 && !now.some((p) => p.metadata.name === pods[0].metadata.name);
    });

    await markReady(ns);
    await until("ready status", async () => {
      const s = ((await c.api.get(REPLICASETS, ns, "web")) as any).status;
      return s.readyReplicas === 3 && s.availableReplicas === 3 && s.fullyLabeledReplicas === 3 && s.observedGeneration === 1;
    });
    const current = (await c.api.get(REPLICASETS, ns, "web")) as any;
    await put(REPLICASETS, ns, { ...current, spec: { ...current.spec, replicas: 1 } });
    await until("1 pod", async () => (await items(PODS, ns)).length === 1);
    await until("status replicas 1", async () => {
      const s = ((await c.api.get(REPLICASETS, ns, "web")) as any).status;
      return s.replicas === 1 && s.observedGeneration === 2;
    });
    expect(await until("2 SuccessfulDelete events", async () => ((await eventMessages(ns, "SuccessfulDelete")).length === 2 ? true : undefined))).toBe(true);
  });

  it("a ReplicationController (selector a label map) adopts an orphan, creates the rest, reports status, scales down, and its pods go with it", async () => {
    const ns = `rc-${tc.name}`;
    await newNamespace(ns);
    await c.api.create(PODS, ns, { apiVersion: "v1", kind: "Pod", metadata: { name: "stray", labels: { app: "web", extra: "x" } }, spec: { containers: [{ name: "c", image: "x" }] } });
    // No selector: the API server defaults it (and the RC's labels) from the template.
    const rc = (await c.api.create(REPLICATIONCONTROLLERS, ns, { apiVersion: "v1", kind: "ReplicationController", metadata: { name: "web" }, spec: { replicas: 3, template: template("web") } })) as any;
    expect(rc.spec.selector).toEqual({ app: "web" });
    const ownerRef = { apiVersion: "v1", kind: "ReplicationController", name: "web", uid: rc.metadata.uid, controller: true, blockOwnerDeletion: true };
    const pods = await until("3 owned pods", async () => {
      const list = await items(PODS, ns);
      return list.length === 3 && list.every((p) => p.metadata.ownerReferences?.length === 1) ? list : undefined;
    });
    for (const p of pods) expect(p.metadata.ownerReferences).toEqual([ownerRef]);
    expect(pods.filter((p) => p.metadata.name !== "stray").map((p) => p.metadata.name)).toEqual([expect.stringMatching(/^web-[a-z0-9]{5}$/), expect.stringMatching(/^web-[a-z0-9]{5}$/)]);
    expect(await until("2 SuccessfulCreate events", async () => ((await eventMessages(ns, "SuccessfulCreate")).length === 2 ? true : undefined))).toBe(true);

    await markReady(ns);
    await until("ready status", async () => {
      const s = ((await c.api.get(REPLICATIONCONTROLLERS, ns, "web")) as any).status;
      return s?.replicas === 3 && s.readyReplicas === 3 && s.availableReplicas === 3 && s.fullyLabeledReplicas === 3 && s.observedGeneration === 1;
    });
    const current = (await c.api.get(REPLICATIONCONTROLLERS, ns, "web")) as any;
    await put(REPLICATIONCONTROLLERS, ns, { ...current, spec: { ...current.spec, replicas: 1 } });
    await until("1 pod", async () => (await items(PODS, ns)).length === 1);
    await until("status replicas 1", async () => {
      const s = ((await c.api.get(REPLICATIONCONTROLLERS, ns, "web")) as any).status;
      return s.replicas === 1 && s.observedGeneration === 2;
    });

    // Background deletion: the garbage collector follows the pods' v1 ReplicationController owner.
    await c.api.delete(REPLICATIONCONTROLLERS, ns, "web");
    await until("pods collected", async () => (await items(PODS, ns)).length === 0);
  });

  it("a ReplicaSet adopts matching orphans and releases pods that stop matching", async () => {
    const ns = `adopt-${tc.name}`;
    await newNamespace(ns);
    await c.api.create(PODS, ns, { apiVersion: "v1", kind: "Pod", metadata: { name: "stray", labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x" }] } });
    const rs = (await c.api.create(REPLICASETS, ns, replicaSet("web", 2))) as any;
    await until("adoption and one more pod", async () => {
      const pods = await items(PODS, ns);
      return pods.length === 2 && pods.every((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid);
    });
    const stray = (await c.api.get(PODS, ns, "stray")) as any;
    await put(PODS, ns, { ...stray, metadata: { ...stray.metadata, labels: { app: "other" } } });
    await until("release and replacement", async () => {
      const pods = await items(PODS, ns);
      const released = pods.find((p) => p.metadata.name === "stray");
      return pods.length === 3 && released && !released.metadata.ownerReferences?.length;
    });
  });

  it("a Deployment creates a hashed ReplicaSet, becomes Available and rolls out a new image", async () => {
    const ns = `deploy-${tc.name}`;
    await newNamespace(ns);
    await c.api.create(DEPLOYMENTS, ns, deployment("web", 3));
    const rs1 = await until("one ReplicaSet with 3 pods", async () => {
      const list = await items(REPLICASETS, ns);
      return list.length === 1 && (await items(PODS, ns)).length === 3 ? list[0] : undefined;
    });
    const hash = rs1.metadata.labels["pod-template-hash"];
    expect(rs1.metadata.name).toBe(`web-${hash}`);
    expect(rs1.spec.selector.matchLabels).toEqual({ app: "web", "pod-template-hash": hash });
    expect(rs1.metadata.annotations).toMatchObject({ "deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": "3", "deployment.kubernetes.io/max-replicas": "4" });
    expect(rs1.metadata.ownerReferences[0]).toMatchObject({ kind: "Deployment", name: "web", controller: true, blockOwnerDeletion: true });
    for (const p of await items(PODS, ns)) expect(p.metadata.labels["pod-template-hash"]).toBe(hash);

    await markReady(ns);
    const d = await until("Deployment Available and complete", async () => {
      const d = (await c.api.get(DEPLOYMENTS, ns, "web")) as any;
      const progressing = d.status?.conditions?.find((x: any) => x.type === "Progressing");
      return progressing?.reason === "NewReplicaSetAvailable" && d.status.availableReplicas === 3 ? d : undefined;
    });
    expect(d.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("1");
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(d.status.unavailableReplicas).toBeUndefined();
    const conds = Object.fromEntries(d.status.conditions.map((x: any) => [x.type, x]));
    expect(conds.Available).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." });
    expect(conds.Progressing).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable", message: `ReplicaSet "${rs1.metadata.name}" has successfully progressed.` });
    expect(await eventMessages(ns, "ScalingReplicaSet")).toContain(`Scaled up replica set ${rs1.metadata.name} from 0 to 3`);

    // Roll out a new image; a "kubelet" marks pods ready as they come, and every look respects maxSurge 1 / maxUnavailable 0.
    await put(DEPLOYMENTS, ns, {
      ...d,
      metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, "kubernetes.io/change-cause": "image 1.28" } },
      spec: { ...d.spec, template: template("web", "nginx:1.28") },
    });
    let maxTotal = 0;
    const rs2 = await until("the rollout to finish", async () => {
      await markReady(ns);
      const list = await items(REPLICASETS, ns);
      maxTotal = Math.max(maxTotal, list.reduce((n, rs) => n + rs.spec.replicas, 0));
      const ready = (await items(PODS, ns)).filter((p) => p.status?.conditions?.some((x: any) => x.type === "Ready" && x.status === "True") && !p.metadata.deletionTimestamp);
      expect(ready.length).toBeGreaterThanOrEqual(3); // maxUnavailable 0: never below 3 ready pods
      const fresh = list.find((rs) => rs.metadata.name !== rs1.metadata.name);
      const old = list.find((rs) => rs.metadata.name === rs1.metadata.name);
      const dep = (await c.api.get(DEPLOYMENTS, ns, "web")) as any;
      return fresh?.status?.availableReplicas === 3 && old?.spec.replicas === 0 && dep.status.updatedReplicas === 3 && dep.status.replicas === 3 &&
        dep.status.conditions.find((x: any) => x.type === "Progressing")?.reason === "NewReplicaSetAvailable" ? fresh : undefined;
    }, 15_000);
    expect(maxTotal).toBeLessThanOrEqual(4);
    expect(rs2.metadata.annotations).toMatchObject({ "deployment.kubernetes.io/revision": "2", "kubernetes.io/change-cause": "image 1.28" });
    const d2 = (await c.api.get(DEPLOYMENTS, ns, "web")) as any;
    expect(d2.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("2");
    expect(d2.status).toMatchObject({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    const scaling = await eventMessages(ns, "ScalingReplicaSet");
    expect(scaling).toContain(`Scaled up replica set ${rs2.metadata.name} from 0 to 1`);
    expect(scaling).toContain(`Scaled down replica set ${rs1.metadata.name} from 3 to 2`);

    // kubectl rollout undo: the template goes back; the old ReplicaSet becomes current with revision 3.
    await put(DEPLOYMENTS, ns, { ...d2, spec: { ...d2.spec, template: template("web") } });
    await until("rollback to the first ReplicaSet", async () => {
      await markReady(ns);
      const old = (await c.api.get(REPLICASETS, ns, rs1.metadata.name)) as any;
      return old.spec.replicas === 3 && old.metadata.annotations["deployment.kubernetes.io/revision"] === "3" &&
        old.metadata.annotations["deployment.kubernetes.io/revision-history"] === "1";
    }, 15_000);

    // Background deletion: the garbage collector removes the ReplicaSets and pods.
    await c.api.delete(DEPLOYMENTS, ns, "web");
    await until("ReplicaSets and pods gone", async () => (await items(REPLICASETS, ns)).length === 0 && (await items(PODS, ns)).length === 0);
  });

  it("a Recreate Deployment scales the old ReplicaSet to zero before the new one comes up", async () => {
    const ns = `recreate-${tc.name}`;
    await newNamespace(ns);
    await c.api.create(DEPLOYMENTS, ns, deployment("web", 2, { type: "Recreate" }));
    await until("2 pods", async () => (await items(PODS, ns)).length === 2);
    const d = (await c.api.get(DEPLOYMENTS, ns, "web")) as any;
    await put(DEPLOYMENTS, ns, { ...d, spec: { ...d.spec, template: template("web", "nginx:1.28") } });
    await until("2 new pods", async () => {
      const pods = await items(PODS, ns);
      const list = await items(REPLICASETS, ns);
      const total = list.reduce((n, rs) => n + rs.spec.replicas, 0);
      expect(total).toBeLessThanOrEqual(2);
      const first = list.find((rs) => rs.metadata.annotations["deployment.kubernetes.io/revision"] === "1");
      return list.length === 2 && first?.spec.replicas === 0 && pods.length === 2 && pods.every((p) => p.metadata.ownerReferences[0].name !== first.metadata.name);
    });
  });

  it("a paused Deployment does not roll out; a stuck one reports ProgressDeadlineExceeded", async () => {
    const ns = `stuck-${tc.name}`;
    await newNamespace(ns);
    const created = (await c.api.create(DEPLOYMENTS, ns, { ...deployment("web", 2), spec: { ...deployment("web", 2).spec, paused: true } })) as any;
    await until("DeploymentPaused", async () =>
      ((await c.api.get(DEPLOYMENTS, ns, "web")) as any).status?.conditions?.some((x: any) => x.reason === "DeploymentPaused" && x.message === "Deployment is paused"));
    expect(await items(REPLICASETS, ns)).toEqual([]);
    const d = (await c.api.get(DEPLOYMENTS, ns, "web")) as any;
    expect(created.metadata.uid).toBe(d.metadata.uid);
    // Resume with a 1 s deadline; no pod ever becomes ready.
    await put(DEPLOYMENTS, ns, { ...d, spec: { ...d.spec, paused: false, progressDeadlineSeconds: 1 } });
    const stuck = await until("ProgressDeadlineExceeded", async () => {
      const x = (await c.api.get(DEPLOYMENTS, ns, "web")) as any;
      const p = x.status?.conditions?.find((k: any) => k.type === "Progressing");
      return p?.reason === "ProgressDeadlineExceeded" && x.status.replicas === 2 && x.status.unavailableReplicas === 2 ? { x, p } : undefined;
    }, 8000);
    const rs = (await items(REPLICASETS, ns))[0];
    expect(stuck.p).toMatchObject({ status: "False", message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.` });
    expect(stuck.x.status).toMatchObject({ replicas: 2, updatedReplicas: 2, unavailableReplicas: 2 });
    expect(stuck.x.status.conditions.find((k: any) => k.type === "Available")).toMatchObject({ status: "False", reason: "MinimumReplicasUnavailable" });
  });

  it("Foreground deletion waits for blocking dependents; Orphan keeps the pods", async () => {
    const ns = `fg-${tc.name}`;
    await newNamespace(ns);
    await c.api.create(DEPLOYMENTS, ns, deployment("web", 2));
    const pods = await until("2 pods", async () => ((await items(PODS, ns)).length === 2 ? items(PODS, ns) : undefined));
    // A finalizer keeps one pod (and so its owners) from going away.
    const held = pods[0];
    await put(PODS, ns, { ...held, metadata: { ...held.metadata, finalizers: ["test.kubeactor.io/hold"] } });
    await c.api.delete(DEPLOYMENTS, ns, "web", { propagationPolicy: "Foreground" });
    await until("the held pod marked", async () => ((await c.api.get(PODS, ns, held.metadata.name)) as any).metadata.deletionTimestamp);
    await new Promise((r) => setTimeout(r, 500));
    const waiting = (await c.api.get(DEPLOYMENTS, ns, "web")) as any;
    expect(waiting.metadata.deletionTimestamp).toBeTruthy();
    expect(waiting.metadata.finalizers).toContain("foregroundDeletion");
    expect((await items(REPLICASETS, ns)).length).toBe(1);
    const p = (await c.api.get(PODS, ns, held.metadata.name)) as any;
    await put(PODS, ns, { ...p, metadata: { ...p.metadata, finalizers: [] } });
    await until("everything gone", async () =>
      (await items(DEPLOYMENTS, ns)).length === 0 && (await items(REPLICASETS, ns)).length === 0 && (await items(PODS, ns)).length === 0);

    await c.api.create(REPLICASETS, ns, replicaSet("keep", 2));
    await until("2 pods", async () => (await items(PODS, ns)).length === 2);
    await c.api.delete(REPLICASETS, ns, "keep", { propagationPolicy: "Orphan" });
    await until("ReplicaSet gone, pods orphaned", async () => {
      const left = await items(PODS, ns);
      return (await items(REPLICASETS, ns)).length === 0 && left.length === 2 && left.every((x) => !x.metadata.ownerReferences?.length);
    });
  });

  it("a new namespace gets a default ServiceAccount; deleting a namespace empties and removes it", async () => {
    const ns = `gone-${tc.name}`;
    await newNamespace(ns);
    await until("default ServiceAccount", async () => (await items(SERVICEACCOUNTS, ns)).some((sa) => sa.metadata.name === "default"));
    await c.api.create(CONFIGMAPS, ns, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg" }, data: { a: "1" } });
    await c.api.create(DEPLOYMENTS, ns, deployment("web", 2));
    await until("2 pods", async () => (await items(PODS, ns)).length === 2);
    await c.api.delete(NAMESPACES, "", ns);
    await until("namespace removed", async () => {
      try {
        await c.api.get(NAMESPACES, "", ns);
        return false;
      } catch (e) {
        return (e as { status?: { code?: number } }).status?.code === 404;
      }
    }, 30_000);
    expect(await items(CONFIGMAPS, ns)).toEqual([]);
    expect(await items(PODS, ns)).toEqual([]);
  });
});

