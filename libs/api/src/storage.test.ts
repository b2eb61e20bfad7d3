import { describe, expect, it } from "vitest";
import { applyDefaults, prepareForCreate } from "./defaults.ts";
import { findResource, resolveResourceName } from "./registry.ts";
import { validateObject, validateUpdate } from "./validation.ts";

const PVS = findResource("", "v1", "persistentvolumes")!;
const PVCS = findResource("", "v1", "persistentvolumeclaims")!;
const SCS = findResource("storage.k8s.io", "v1", "storageclasses")!;
const messages = (cs: { field: string; message: string }[]) => cs.map((c) => `${c.field}: ${c.message}`);

const create = (info: typeof PVS, obj: Record<string, unknown>) => {
  const out = applyDefaults(info, obj);
  prepareForCreate(info, out);
  return out as any;
};
const pv = (spec: Record<string, unknown>) => ({ metadata: { name: "pv1" }, spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/tmp/x" }, ...spec } });
const pvc = (spec: Record<string, unknown>) => ({ metadata: { name: "c1", namespace: "default" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...spec } });

describe("storage registry", () => {
  it("serves pv and pvc in core/v1 and sc in storage.k8s.io/v1, with kube's scopes and short names", () => {
    expect(PVS).toMatchObject({ kind: "PersistentVolume", namespaced: false, shortNames: ["pv"], subresources: [{ name: "status" }] });
    expect(PVCS).toMatchObject({ kind: "PersistentVolumeClaim", namespaced: true, shortNames: ["pvc"], subresources: [{ name: "status" }] });
    expect(SCS).toMatchObject({ kind: "StorageClass", namespaced: false, shortNames: ["sc"], subresources: [] });
    expect(resolveResourceName("pvc")).toEqual([PVCS]);
    expect(resolveResourceName("sc")).toEqual([SCS]);
  });
});

describe("storage defaults", () => {
  it("defaults a static PV to Retain / Filesystem, Pending, with pv-protection; canonical capacity", () => {
    const v = create(PVS, pv({ capacity: { storage: "1024Mi" } }));
    expect(v.spec).toMatchObject({ persistentVolumeReclaimPolicy: "Retain", volumeMode: "Filesystem", capacity: { storage: "1Gi" } });
    expect(v.status.phase).toBe("Pending");
    expect(v.metadata.finalizers).toEqual(["kubernetes.io/pv-protection"]);
  });

  it("defaults a claim to Filesystem, Pending, with pvc-protection, ignoring a status sent on create", () => {
    const c = create(PVCS, { ...pvc({}), status: { phase: "Bound" } });
    expect(c.spec.volumeMode).toBe("Filesystem");
    expect(c.status).toEqual({ phase: "Pending" });
    expect(c.metadata.finalizers).toEqual(["kubernetes.io/pvc-protection"]);
  });

  it("defaults a StorageClass to Delete / Immediate and keeps what is set", () => {
    expect(applyDefaults(SCS, { metadata: { name: "s" }, provisioner: "x.io/p" })).toMatchObject({ reclaimPolicy: "Delete", volumeBindingMode: "Immediate" });
    expect(applyDefaults(SCS, { provisioner: "x", reclaimPolicy: "Retain", volumeBindingMode: "WaitForFirstConsumer" })).toMatchObject({ reclaimPolicy: "Retain", volumeBindingMode: "WaitForFirstConsumer" });
  });
});

describe("storage validation", () => {
  it("requires a claim's access modes and storage request, with kube's messages", () => {
    expect(messages(validateObject(PVCS, create(PVCS, pvc({ accessModes: [], resources: {} }))))).toEqual([
      "spec.accessModes: Required value: at least 1 access mode is required",
      "spec.resources[storage]: Required value",
    ]);
    expect(messages(validateObject(PVCS, create(PVCS, pvc({ accessModes: ["ReadWriteSometimes"], resources: { requests: { storage: "0" } } }))))).toEqual([
      'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
      'spec.resources[storage]: Invalid value: "0": must be greater than zero',
    ]);
    expect(messages(validateObject(PVCS, create(PVCS, pvc({ accessModes: ["ReadWriteOncePod", "ReadWriteOnce"] }))))).toEqual([
      "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes",
    ]);
    expect(validateObject(PVCS, create(PVCS, pvc({ storageClassName: "standard" })))).toEqual([]);
  });

  it("checks a PV's capacity, source, reclaim policy and local node affinity", () => {
    expect(validateObject(PVS, create(PVS, pv({})))).toEqual([]);
    expect(messages(validateObject(PVS, create(PVS, { metadata: { name: "p" }, spec: { accessModes: ["ReadWriteOnce"], persistentVolumeReclaimPolicy: "Keep" } })))).toEqual([
      "spec.capacity: Required value",
      'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"',
      "spec: Required value: must specify a volume type",
    ]);
    expect(messages(validateObject(PVS, create(PVS, pv({ local: { path: "/data" }, hostPath: { path: "/a/../b" } }))))).toEqual([
      "spec.local: Forbidden: may not specify more than 1 volume type",
      "spec.hostPath.path: Invalid value: \"/a/../b\": must not contain '..'",
      "spec.nodeAffinity: Required value: Local volume requires node affinity",
    ]);
  });

  it("keeps a claim's spec fixed except binding once and growing a bound claim", () => {
    const old = create(PVCS, pvc({ storageClassName: "standard" }));
    const bind = structuredClone(old);
    bind.spec.volumeName = "pv1";
    expect(validateUpdate(PVCS, bind, old)).toEqual([]);
    const rebind = structuredClone(bind);
    rebind.spec.volumeName = "pv2";
    expect(messages(validateUpdate(PVCS, rebind, bind))).toEqual(["spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"]);
    const grow = structuredClone(bind);
    grow.spec.resources.requests.storage = "2Gi";
    expect(validateUpdate(PVCS, grow, bind)).toHaveLength(1); // not bound yet
    grow.status.phase = "Bound";
    expect(validateUpdate(PVCS, grow, bind)).toEqual([]);
    const shrink = structuredClone(grow);
    shrink.spec.resources.requests.storage = "512Mi";
    expect(messages(validateUpdate(PVCS, shrink, grow))).toEqual(["spec.resources.requests.storage: Forbidden: field can not be less than previous value"]);
  });

  it("lets a claim created without a class get one once (retroactive default class), not change it", () => {
    const old = create(PVCS, pvc({}));
    const assigned = structuredClone(old);
    assigned.spec.storageClassName = "standard";
    expect(validateUpdate(PVCS, assigned, old)).toEqual([]);
    const changed = structuredClone(assigned);
    changed.spec.storageClassName = "fast";
    expect(validateUpdate(PVCS, changed, assigned)).toHaveLength(1);
  });

  it("validates StorageClasses and keeps provisioner, parameters, reclaim policy and binding mode fixed", () => {
    const sc = applyDefaults(SCS, { metadata: { name: "fast" }, provisioner: "kubeactor.io/local-path", parameters: { a: "b" } });
    expect(validateObject(SCS, sc)).toEqual([]);
    expect(messages(validateObject(SCS, applyDefaults(SCS, { metadata: { name: "x" }, volumeBindingMode: "Later" })))).toEqual([
      "provisioner: Required value",
      'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
    ]);
    const changed = { ...sc, provisioner: "other.io/p", parameters: {}, reclaimPolicy: "Retain", volumeBindingMode: "WaitForFirstConsumer", allowVolumeExpansion: true };
    expect(messages(validateUpdate(SCS, changed, sc))).toEqual([
      "parameters: Forbidden: updates to parameters are forbidden.",
      "provisioner: Forbidden: updates to provisioner are forbidden.",
      "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
      'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
    ]);
  });
});
