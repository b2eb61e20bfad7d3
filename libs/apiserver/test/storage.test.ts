import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startMemoryCluster, type TestCluster } from "@kubeactor/testing";
import { defaultStorageClassName } from "../src/storage-admission.ts";

const PVCS = "/api/v1/namespaces/default/persistentvolumeclaims";
const SCS = "/apis/storage.k8s.io/v1/storageclasses";
const claim = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...spec },
});

describe("storage API: the bootstrap StorageClass and DefaultStorageClass admission", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startMemoryCluster();
  });
  afterAll(() => c?.stop());

  it("bootstraps the default class standard of the local-path provisioner, WaitForFirstConsumer", async () => {
    const sc = await call(c.url, "GET", `${SCS}/standard`);
    expect(sc.code).toBe(200);
    expect(sc.body).toMatchObject({
      metadata: { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "kubeactor.io/local-path",
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
    });
  });

  it("gives a claim without storageClassName the newest default class, and leaves \"\" and named classes alone", async () => {
    const a = await call(c.url, "POST", PVCS, claim("a"));
    expect(a.code).toBe(201);
    expect(a.body.spec).toMatchObject({ storageClassName: "standard", volumeMode: "Filesystem" });
    expect(a.body.status).toEqual({ phase: "Pending" });
    expect(a.body.metadata.finalizers).toEqual(["kubernetes.io/pvc-protection"]);
    expect((await call(c.url, "POST", PVCS, claim("none", { storageClassName: "" }))).body.spec.storageClassName).toBe("");
    expect((await call(c.url, "POST", PVCS, claim("named", { storageClassName: "fast" }))).body.spec.storageClassName).toBe("fast");
    // a second default class wins: newer, or (same second) first by name
    const fast = await call(c.url, "POST", SCS, { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "fast", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } }, provisioner: "example.com/fast" });
    expect(fast.code).toBe(201);
    expect((await call(c.url, "POST", PVCS, claim("b"))).body.spec.storageClassName).toBe("fast");
  });

  it("picks the newest default class, then the first by name (GetDefaultClass)", () => {
    const sc = (name: string, creationTimestamp: string, isDefault = true) => ({ metadata: { name, creationTimestamp, annotations: isDefault ? { "storageclass.kubernetes.io/is-default-class": "true" } : {} } });
    expect(defaultStorageClassName([sc("a", "2024-01-01T00:00:00Z"), sc("b", "2024-01-02T00:00:00Z"), sc("c", "2024-01-03T00:00:00Z", false)])).toBe("b");
    expect(defaultStorageClassName([sc("z", "2024-01-01T00:00:00Z"), sc("y", "2024-01-01T00:00:00Z")])).toBe("y");
    expect(defaultStorageClassName([sc("c", "2024-01-03T00:00:00Z", false)])).toBeUndefined();
  });

  it("lets a bound claim grow only when its class allows expansion (PersistentVolumeClaimResize)", async () => {
    await call(c.url, "POST", SCS, { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "growable" }, provisioner: "example.com/p", allowVolumeExpansion: true });
    const grow = async (name: string, cls: string) => {
      const created = (await call(c.url, "POST", PVCS, claim(name, { storageClassName: cls, volumeName: "pv-x" }))).body;
      await call(c.url, "PUT", `${PVCS}/${name}/status`, { ...created, status: { phase: "Bound" } });
      return call(c.url, "PATCH", `${PVCS}/${name}`, { spec: { resources: { requests: { storage: "2Gi" } } } }, { "Content-Type": "application/merge-patch+json" });
    };
    const refused = await grow("fixed", "standard");
    expect(refused.code).toBe(403);
    expect(refused.body.message).toBe('persistentvolumeclaims "fixed" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
    const grown = await grow("elastic", "growable");
    expect(grown.code).toBe(200);
    expect(grown.body.spec.resources.requests.storage).toBe("2Gi");
  });

  it("answers bad claims with kube's 422", async () => {
    const bad = await call(c.url, "POST", PVCS, claim("bad", { accessModes: [], resources: {} }));
    expect(bad.code).toBe(422);
    expect(bad.body.message).toBe(
      'PersistentVolumeClaim "bad" is invalid: [spec.accessModes: Required value: at least 1 access mode is required, spec.resources[storage]: Required value]',
    );
  });
});
