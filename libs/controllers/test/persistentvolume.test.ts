/**
 * The persistent volume binder, local-path provisioner and protection
 * controllers against a real API server and store (no kubelet: pods are
 * placed by writing spec.nodeName, as the scheduler's binding would).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { type MemoryCluster, startMemoryCluster, until } from "@kubeactor/testing";
import { type ControllerManager, PERSISTENT_VOLUME_CLAIMS as PVCS, PERSISTENT_VOLUMES as PVS, PODS, STORAGE_CLASSES, startControllerManager } from "../src/index.ts";

const claim = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...spec },
});
const volume = (name: string, storage: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name },
  spec: { capacity: { storage }, accessModes: ["ReadWriteOnce"], hostPath: { path: `/tmp/${name}` }, storageClassName: "manual", ...spec },
});

describe("persistent volumes: binding, local-path provisioning, reclaim, protection", () => {
  let c: MemoryCluster;
  let manager: ControllerManager;
  let dataDir: string;
  const get = async (ref: typeof PVS, ns: string, name: string) => (await c.api.get(ref, ns, name).catch(() => undefined)) as any;
  const gone = async (ref: typeof PVS, ns: string, name: string) => (await get(ref, ns, name)) === undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "kubeactor-pv-"));
    c = await startMemoryCluster();
    manager = await startControllerManager({
      bus: new Bus(await c.connect("controller-manager"), { log: () => {} }),
      controllers: ["persistentvolume-binder", "pvc-protection", "pv-protection"],
      volumesDir: join(dataDir, "volumes"),
    });
  });
  afterAll(async () => {
    await manager?.stop();
    await c?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("binds a claim to the smallest matching static volume; Retain leaves it Released when the claim goes", { timeout: 60_000 }, async () => {
    await c.api.create(PVS, "", volume("pv-big", "10Gi"));
    await c.api.create(PVS, "", volume("pv-fit", "2Gi"));
    await until("volumes Available", async () => (await get(PVS, "", "pv-fit"))?.status?.phase === "Available" && (await get(PVS, "", "pv-big"))?.status?.phase === "Available", 20_000);
    await c.api.create(PVCS, "default", claim("static", { storageClassName: "manual" }));
    await until("claim Bound", async () => (await get(PVCS, "default", "static"))?.status?.phase === "Bound", 20_000);
    const bound = await get(PVCS, "default", "static");
    expect(bound.spec.volumeName).toBe("pv-fit");
    expect(bound.status).toMatchObject({ phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "2Gi" } });
    expect(bound.metadata.annotations).toMatchObject({ "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes" });
    await until("volume Bound", async () => (await get(PVS, "", "pv-fit"))?.status?.phase === "Bound", 20_000);
    expect((await get(PVS, "", "pv-fit")).spec.claimRef).toMatchObject({ namespace: "default", name: "static", uid: bound.metadata.uid });
    expect((await get(PVS, "", "pv-big")).status.phase).toBe("Available");

    await c.api.delete(PVCS, "default", "static");
    await until("claim gone", () => gone(PVCS, "default", "static"), 20_000);
    await until("volume Released", async () => (await get(PVS, "", "pv-fit"))?.status?.phase === "Released", 20_000);
  });

  it("honours a claim's volumeName: binds the named volume, refuses one that does not fit (VolumeMismatch)", { timeout: 60_000 }, async () => {
    await c.api.create(PVS, "", volume("pv-named", "3Gi", { storageClassName: "named" }));
    await c.api.create(PVS, "", volume("pv-tiny", "100Mi", { storageClassName: "named" }));
    await c.api.create(PVCS, "default", claim("wants-named", { storageClassName: "named", volumeName: "pv-named" }));
    await c.api.create(PVCS, "default", claim("wants-tiny", { storageClassName: "named", volumeName: "pv-tiny" }));
    await until("claim Bound", async () => (await get(PVCS, "default", "wants-named"))?.status?.phase === "Bound", 20_000);
    const pv = await get(PVS, "", "pv-named");
    expect(pv.spec.claimRef).toMatchObject({ name: "wants-named", namespace: "default" });
    expect(pv.metadata.annotations["pv.kubernetes.io/bound-by-controller"]).toBe("yes");
    expect((await get(PVCS, "default", "wants-named")).metadata.annotations["pv.kubernetes.io/bound-by-controller"]).toBeUndefined();
    const mismatch = async () =>
      ((await c.api.list({ group: "", version: "v1", resource: "events" }, "default")).items as any[]).find((e) => e.involvedObject.name === "wants-tiny" && e.reason === "VolumeMismatch");
    await until("VolumeMismatch", async () => (await mismatch()) !== undefined, 20_000);
    expect((await mismatch()).message).toBe('Cannot bind to requested volume "pv-tiny": requested PV is too small');
    expect((await get(PVCS, "default", "wants-tiny")).status.phase).toBe("Pending");
  });

  it("keeps a claim used by a scheduled pod until the pod goes (pvc-protection), and a Bound volume (pv-protection)", { timeout: 60_000 }, async () => {
    await c.api.create(PVS, "", volume("pv-used", "1Gi", { storageClassName: "slow" }));
    await c.api.create(PVCS, "default", claim("used", { storageClassName: "slow" }));
    await until("claim Bound", async () => (await get(PVCS, "default", "used"))?.status?.phase === "Bound", 20_000);
    await c.api.create(PODS, "default", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "user" },
      spec: { nodeName: "node-x", containers: [{ name: "c", image: "busybox" }], volumes: [{ name: "d", persistentVolumeClaim: { claimName: "used" } }] },
    });
    await c.api.delete(PVCS, "default", "used");
    await c.api.delete(PVS, "", "pv-used");
    await new Promise((r) => setTimeout(r, 1500)); // the controllers have had time to (wrongly) let go
    expect((await get(PVCS, "default", "used"))?.metadata.deletionTimestamp).toBeDefined();
    expect((await get(PVS, "", "pv-used"))?.metadata.finalizers).toEqual(["kubernetes.io/pv-protection"]);
    await c.api.delete(PODS, "default", "user", { gracePeriodSeconds: 0 });
    await until("pod gone", () => gone(PODS, "default", "user"), 20_000);
    await until("claim and volume gone", async () => (await gone(PVCS, "default", "used")) && (await gone(PVS, "", "pv-used")), 20_000);
  });

  it("provisions a local-path directory for an Immediate class and removes it with the claim (Delete)", { timeout: 60_000 }, async () => {
    await c.api.create(STORAGE_CLASSES, "", { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "local-now" }, provisioner: "kubeactor.io/local-path" });
    const created = (await c.api.create(PVCS, "default", claim("now", { storageClassName: "local-now" }))) as any;
    const pvName = `pvc-${created.metadata.uid}`;
    await until("claim Bound", async () => (await get(PVCS, "default", "now"))?.status?.phase === "Bound", 20_000);
    const pv = await get(PVS, "", pvName);
    expect(pv.spec).toMatchObject({ persistentVolumeReclaimPolicy: "Delete", storageClassName: "local-now", hostPath: { path: join(dataDir, "volumes", pvName) } });
    expect(pv.spec.nodeAffinity).toBeUndefined();
    expect(existsSync(join(dataDir, "volumes", pvName))).toBe(true);
    await c.api.delete(PVCS, "default", "now");
    await until("volume and directory gone", async () => (await gone(PVS, "", pvName)) && !existsSync(join(dataDir, "volumes", pvName)), 20_000);
  });

  it("binds a WaitForFirstConsumer claim once a pod using it is placed, pinning the volume to that node", { timeout: 60_000 }, async () => {
    const created = (await c.api.create(PVCS, "default", claim("later"))) as any; // the bootstrap's default class standard
    expect(created.spec.storageClassName).toBe("standard");
    await new Promise((r) => setTimeout(r, 1000));
    expect((await get(PVCS, "default", "later")).status.phase).toBe("Pending");
    await c.api.create(PODS, "default", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "consumer" },
      spec: { nodeName: "node-2", containers: [{ name: "c", image: "busybox" }], volumes: [{ name: "d", persistentVolumeClaim: { claimName: "later" } }] },
    });
    await until("claim Bound", async () => (await get(PVCS, "default", "later"))?.status?.phase === "Bound", 20_000);
    const bound = await get(PVCS, "default", "later");
    expect(bound.metadata.annotations).toMatchObject({ "volume.kubernetes.io/selected-node": "node-2", "volume.kubernetes.io/storage-provisioner": "kubeactor.io/local-path" });
    const pv = await get(PVS, "", bound.spec.volumeName);
    expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0]).toEqual({ key: "kubernetes.io/hostname", operator: "In", values: ["node-2"] });
    expect(pv.metadata.annotations["pv.kubernetes.io/provisioned-by"]).toBe("kubeactor.io/local-path");
  });

  it("gives a claim created while no class was the default the default class that appears later (retroactive)", { timeout: 60_000 }, async () => {
    await c.api.delete(STORAGE_CLASSES, "", "standard");
    const created = (await c.api.create(PVCS, "default", claim("classless"))) as any;
    expect(created.spec.storageClassName).toBeUndefined();
    await c.api.create(STORAGE_CLASSES, "", {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "fresh", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "example.com/elsewhere",
    });
    await until("class assigned", async () => (await get(PVCS, "default", "classless"))?.spec.storageClassName === "fresh", 20_000);
  });
});
