import { describe, expect, it } from "vitest";
import { claimKeysOfPod, defaultClassName, desiredVolumePhase, findMatchingVolume, podsUsingClaim, provisionedVolume, volumeMismatch, wantsDefaultClass } from "./persistentvolume-util.ts";
import type { Obj } from "./util.ts";

const claim = (spec: Record<string, unknown> = {}, name = "data"): Obj =>
  ({ metadata: { name, namespace: "default", uid: `uid-${name}` }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "", volumeMode: "Filesystem", ...spec } }) as Obj;
const volume = (name: string, storage: string, spec: Record<string, unknown> = {}, phase = "Available", labels?: Record<string, string>): Obj =>
  ({ metadata: { name, uid: `pv-${name}`, ...(labels ? { labels } : {}) }, spec: { capacity: { storage }, accessModes: ["ReadWriteOnce", "ReadOnlyMany"], volumeMode: "Filesystem", hostPath: { path: "/x" }, ...spec }, status: { phase } }) as Obj;
const names = (o: Obj | undefined) => o?.metadata.name;

describe("findMatchingVolume", () => {
  it("picks the smallest Available volume at least as big as the request, of the claim's class and modes", () => {
    const vols = [volume("big", "10Gi"), volume("small", "500Mi"), volume("fit", "2Gi"), volume("fit-exact", "1024Mi"), volume("gold", "1Gi", { storageClassName: "gold" })];
    expect(names(findMatchingVolume(claim(), vols))).toBe("fit-exact");
    expect(names(findMatchingVolume(claim({ storageClassName: "gold" }), vols))).toBe("gold");
    expect(findMatchingVolume(claim({ accessModes: ["ReadWriteMany"] }), vols)).toBeUndefined();
    expect(findMatchingVolume(claim({ resources: { requests: { storage: "20Gi" } } }), vols)).toBeUndefined();
    expect(findMatchingVolume(claim({ volumeMode: "Block" }), vols)).toBeUndefined();
  });

  it("skips volumes bound, released, being deleted or claimed by someone else; honours the selector and pre-binding", () => {
    const other = { claimRef: { namespace: "default", name: "other", uid: "uid-other" } };
    const vols = [
      volume("released", "1Gi", {}, "Released"),
      volume("taken", "1Gi", other, "Bound"),
      { ...volume("deleting", "1Gi"), metadata: { name: "deleting", uid: "d", deletionTimestamp: "2024-01-01T00:00:00Z" } } as Obj,
      volume("labelled", "5Gi", {}, "Available", { tier: "fast" }),
    ];
    expect(findMatchingVolume(claim(), vols)?.metadata.name).toBe("labelled");
    expect(findMatchingVolume(claim({ selector: { matchLabels: { tier: "slow" } } }), vols)).toBeUndefined();
    expect(names(findMatchingVolume(claim({ selector: { matchLabels: { tier: "fast" } } }), vols))).toBe("labelled");
    // pre-bound by name (no uid yet) or by the provisioner (uid), whatever its class or phase
    const prebound = volume("mine", "3Gi", { claimRef: { namespace: "default", name: "data" }, storageClassName: "other" }, "Pending");
    expect(names(findMatchingVolume(claim(), [...vols, prebound]))).toBe("mine");
    expect(findMatchingVolume(claim({}, "data2"), [volume("x", "1Gi", { claimRef: { namespace: "default", name: "data2", uid: "stale" } })])).toBeUndefined();
  });

  it("honours a volume's node affinity for a claim waiting for its first consumer", () => {
    const pinned = volume("pinned", "1Gi", { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["node-1"] }] }] } } });
    const node = (name: string) => ({ metadata: { name, labels: { "kubernetes.io/hostname": name } } }) as unknown as Obj;
    expect(names(findMatchingVolume(claim(), [pinned], node("node-1")))).toBe("pinned");
    expect(findMatchingVolume(claim(), [pinned], node("node-2"))).toBeUndefined();
  });
});

describe("volumeMismatch (a claim naming its volume)", () => {
  it("says why the named volume cannot serve the claim, as checkVolumeSatisfyClaim", () => {
    expect(volumeMismatch(volume("v", "1Gi"), claim())).toBeUndefined();
    expect(volumeMismatch(volume("v", "512Mi"), claim())).toBe("requested PV is too small");
    expect(volumeMismatch(volume("v", "1Gi", { storageClassName: "gold" }), claim())).toBe("storageClassName does not match");
    expect(volumeMismatch(volume("v", "1Gi", { volumeMode: "Block" }), claim())).toBe("incompatible volumeMode");
    expect(volumeMismatch(volume("v", "1Gi"), claim({ accessModes: ["ReadWriteMany"] }))).toBe("incompatible accessMode");
  });
});

describe("the retroactive default class", () => {
  it("applies to claims without any class, and picks the newest default class, then the first by name", () => {
    expect(wantsDefaultClass({ metadata: { name: "c" }, spec: {} } as unknown as Obj)).toBe(true);
    expect(wantsDefaultClass(claim({ storageClassName: "" }))).toBe(false);
    expect(wantsDefaultClass({ metadata: { name: "c", annotations: { "volume.beta.kubernetes.io/storage-class": "x" } }, spec: {} } as unknown as Obj)).toBe(false);
    const sc = (name: string, t: string, isDefault = true) => ({ metadata: { name, creationTimestamp: t, annotations: isDefault ? { "storageclass.kubernetes.io/is-default-class": "true" } : {} } }) as unknown as Obj;
    expect(defaultClassName([sc("a", "2024-01-01T00:00:00Z"), sc("b", "2024-01-02T00:00:00Z"), sc("c", "2024-01-03T00:00:00Z", false)])).toBe("b");
    expect(defaultClassName([sc("z", "2024-01-01T00:00:00Z"), sc("y", "2024-01-01T00:00:00Z")])).toBe("y");
    expect(defaultClassName([])).toBeUndefined();
  });
});

describe("volume phases and claim users", () => {
  it("is Available without a claim (or pre-bound by name), Bound to its claim, Released once the claim is gone or replaced", () => {
    const c = claim();
    expect(desiredVolumePhase(volume("v", "1Gi"), undefined)).toBe("Available");
    expect(desiredVolumePhase(volume("v", "1Gi", { claimRef: { namespace: "default", name: "data" } }), undefined)).toBe("Available");
    const bound = volume("v", "1Gi", { claimRef: { namespace: "default", name: "data", uid: "uid-data" } });
    expect(desiredVolumePhase(bound, c)).toBe("Bound");
    expect(desiredVolumePhase(bound, undefined)).toBe("Released");
    expect(desiredVolumePhase(bound, { ...c, metadata: { ...c.metadata, uid: "recreated" } } as Obj)).toBe("Released");
  });

  it("counts scheduled pods naming the claim as its users", () => {
    const pod = (name: string, nodeName: string | undefined, claimName: string) =>
      ({ metadata: { name, namespace: "default" }, spec: { ...(nodeName ? { nodeName } : {}), volumes: [{ name: "v", persistentVolumeClaim: { claimName } }] } }) as unknown as Obj;
    const pods = [pod("a", "node-1", "data"), pod("b", undefined, "data"), pod("c", "node-1", "other")];
    expect(podsUsingClaim(pods, "default", "data").map((p) => p.metadata.name)).toEqual(["a"]);
    expect(podsUsingClaim(pods, "kube-system", "data")).toEqual([]);
    expect(claimKeysOfPod(pods[0]!)).toEqual(["default/data"]);
  });

  it("provisions pvc-<uid> under the volumes dir, pre-bound, with the class's reclaim policy and the node's affinity", () => {
    const sc = { metadata: { name: "standard" }, provisioner: "kubeactor.io/local-path", reclaimPolicy: "Delete" } as unknown as Obj;
    const pv = provisionedVolume(claim({ storageClassName: "standard" }), sc, "/data/volumes", "node-2");
    expect(pv.metadata).toEqual({ name: "pvc-uid-data", annotations: { "pv.kubernetes.io/provisioned-by": "kubeactor.io/local-path" } });
    expect(pv.spec).toMatchObject({
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: "standard",
      hostPath: { path: "/data/volumes/pvc-uid-data", type: "DirectoryOrCreate" },
      claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name: "data", uid: "uid-data" },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["node-2"] }] }] } },
    });
    expect(provisionedVolume(claim(), sc, "/v").spec.nodeAffinity).toBeUndefined();
  });
});
