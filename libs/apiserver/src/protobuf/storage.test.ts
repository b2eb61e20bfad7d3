import { describe, expect, it } from "vitest";
import { decodeKubernetesProtobuf } from "./index.ts";

// Hand-made wire bytes (field numbers from k8s.io/api's generated.proto).
const varint = (n: number): number[] => {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n);
  return out;
};
const lf = (no: number, b: number[] | string): number[] => {
  const bytes = typeof b === "string" ? [...Buffer.from(b)] : b;
  return [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
};
const vf = (no: number, n: number): number[] => [...varint(no << 3), ...varint(n)];
const envelope = (apiVersion: string, kind: string, raw: number[]): Uint8Array =>
  Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...lf(1, [...lf(1, apiVersion), ...lf(2, kind)]), ...lf(2, raw)]);

describe("protobuf bodies of the storage kinds", () => {
  it("decodes a storage.k8s.io/v1 StorageClass", () => {
    const raw = [...lf(1, lf(1, "fast")), ...lf(2, "example.com/fast"), ...lf(3, [...lf(1, "type"), ...lf(2, "ssd")]), ...lf(4, "Retain"), ...vf(6, 1), ...lf(7, "WaitForFirstConsumer")];
    expect(decodeKubernetesProtobuf(envelope("storage.k8s.io/v1", "StorageClass", raw))).toMatchObject({
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "fast" },
      provisioner: "example.com/fast",
      parameters: { type: "ssd" },
      reclaimPolicy: "Retain",
      allowVolumeExpansion: true,
      volumeBindingMode: "WaitForFirstConsumer",
    });
  });

  it("decodes a PersistentVolumeClaim with its storage request", () => {
    const requests = lf(2, [...lf(1, "storage"), ...lf(2, lf(1, "1Gi"))]);
    const raw = [...lf(1, lf(1, "data")), ...lf(2, [...lf(1, "ReadWriteOnce"), ...lf(2, requests), ...lf(5, "standard")])];
    expect(decodeKubernetesProtobuf(envelope("v1", "PersistentVolumeClaim", raw))).toMatchObject({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "standard" },
    });
  });
});
