import { describe, expect, it } from "vitest";
import { columnsFor, renderTable } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");
const PVS = { group: "", resource: "persistentvolumes", kind: "PersistentVolume", apiVersion: "v1" };
const PVCS = { group: "", resource: "persistentvolumeclaims", kind: "PersistentVolumeClaim", apiVersion: "v1" };
const SCS = { group: "storage.k8s.io", resource: "storageclasses", kind: "StorageClass", apiVersion: "storage.k8s.io/v1" };
const cells = (r: typeof PVS, o: Record<string, unknown>) =>
  (renderTable(r, [o], { includeObject: "None", now }) as { rows: { cells: unknown[] }[] }).rows[0]!.cells;
const names = (group: string, resource: string) => columnsFor(group, resource).map((c) => `${c.name}${c.priority ? "*" : ""}`);
const metadata = { name: "x", creationTimestamp: "2024-06-01T11:55:00Z" };

describe("storage tables (printPersistentVolume, printPersistentVolumeClaim, printStorageClass)", () => {
  it("has the columns of 1.32", () => {
    expect(names("", "persistentvolumes")).toEqual(["Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass", "VolumeAttributesClass", "Reason", "Age", "VolumeMode*"]);
    expect(names("", "persistentvolumeclaims")).toEqual(["Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass", "Age", "VolumeMode*"]);
    expect(names("storage.k8s.io", "storageclasses")).toEqual(["Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"]);
  });

  it("prints a bound PV and its claim, and a pending claim without capacity", () => {
    const pv = {
      metadata,
      spec: { capacity: { storage: "1024Mi" }, accessModes: ["ReadWriteMany", "ReadWriteOnce"], persistentVolumeReclaimPolicy: "Delete", claimRef: { namespace: "default", name: "data" }, storageClassName: "standard", volumeMode: "Filesystem" },
      status: { phase: "Bound" },
    };
    expect(cells(PVS, pv)).toEqual(["x", "1Gi", "RWO,RWX", "Delete", "Bound", "default/data", "standard", "<unset>", "", "5m", "Filesystem"]);
    expect(cells(PVS, { ...pv, metadata: { ...metadata, deletionTimestamp: "2024-06-01T11:59:00Z", annotations: { "volume.beta.kubernetes.io/storage-class": "old" } } }).slice(4, 7)).toEqual(["Terminating", "default/data", "old"]);
    const bound = { metadata, spec: { volumeName: "pvc-1", storageClassName: "standard", volumeMode: "Filesystem", resources: { requests: { storage: "1Gi" } } }, status: { phase: "Bound", capacity: { storage: "2Gi" }, accessModes: ["ReadWriteOnce"] } };
    expect(cells(PVCS, bound)).toEqual(["x", "Bound", "pvc-1", "2Gi", "RWO", "standard", "<unset>", "5m", "Filesystem"]);
    expect(cells(PVCS, { metadata, spec: { resources: { requests: { storage: "1Gi" } } }, status: { phase: "Pending" } })).toEqual(["x", "Pending", "", "", "", "", "<unset>", "5m", "<unset>"]);
  });

  it("marks the default StorageClass and fills kube's defaults", () => {
    const sc = { metadata: { ...metadata, name: "standard", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } }, provisioner: "kubeactor.io/local-path", reclaimPolicy: "Delete", volumeBindingMode: "WaitForFirstConsumer" };
    expect(cells(SCS, sc)).toEqual(["standard (default)", "kubeactor.io/local-path", "Delete", "WaitForFirstConsumer", false, "5m"]);
    expect(cells(SCS, { metadata, provisioner: "p", allowVolumeExpansion: true })).toEqual(["x", "p", "Delete", "Immediate", true, "5m"]);
  });
});
