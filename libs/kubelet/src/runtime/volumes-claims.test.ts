import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emptyLookup, type ObjectLookup, type Obj } from "./lookup.ts";
import { prepareRootfs, syncVolumes, VolumeMountError, waitForClaims } from "./volumes.ts";

const dir = mkdtempSync(join(tmpdir(), "kubeactor-claims-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lookupOf = (claims: Record<string, Obj>, volumes: Record<string, Obj>): ObjectLookup => ({
  ...emptyLookup,
  persistentVolumeClaim: async (ns, name) => claims[`${ns}/${name}`],
  persistentVolume: async (name) => volumes[name],
});
const vols = [{ name: "data", persistentVolumeClaim: { claimName: "data" } }];
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => e);

describe("persistentVolumeClaim volumes", () => {
  it("refuses to start a pod whose claim is missing, unbound or being deleted, with the kubelet's FailedMount words", async () => {
    const missing = await failure(waitForClaims("default", vols, lookupOf({}, {})));
    expect(missing).toBeInstanceOf(VolumeMountError);
    expect(missing!.message).toBe(
      'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[], failed to process volumes=[data]: error processing PVC default/data: failed to fetch PVC from API server: persistentvolumeclaims "data" not found',
    );
    const pending = await failure(waitForClaims("default", vols, lookupOf({ "default/data": { spec: {}, status: { phase: "Pending" } } }, {})));
    expect(pending!.message).toMatch(/failed to process volumes=\[data\]: error processing PVC default\/data: PVC is not bound$/);
    const deleting = await failure(waitForClaims("default", vols, lookupOf({ "default/data": { metadata: { deletionTimestamp: "x" }, spec: { volumeName: "v" }, status: { phase: "Bound" } } }, {})));
    expect(deleting!.message).toMatch(/can't start pod because PVC default\/data is being deleted$/);
    expect(await waitForClaims("default", [{ name: "e", emptyDir: {} }], emptyLookup)).toBeUndefined();
  });

  it("keeps asking during the grace period, so a claim bound meanwhile never fails the pod", async () => {
    let asked = 0;
    const lookup: ObjectLookup = {
      ...emptyLookup,
      persistentVolumeClaim: async () => (++asked < 3 ? { spec: {}, status: { phase: "Pending" } } : { spec: { volumeName: "v" }, status: { phase: "Bound" } }),
      persistentVolume: async () => ({ spec: { hostPath: { path: join(dir, "v") } } }),
    };
    await waitForClaims("default", vols, lookup, { graceMs: 60_000, pollMs: 5 });
    expect(asked).toBe(3);
  });

  it("mounts the bound volume's hostPath through the pod's volume directory, so data outlives the pod", async () => {
    const path = join(dir, "volumes", "pvc-1");
    const lookup = lookupOf({ "default/data": { spec: { volumeName: "pvc-1" }, status: { phase: "Bound" } } }, { "pvc-1": { spec: { hostPath: { path, type: "DirectoryOrCreate" } } } });
    await waitForClaims("default", vols, lookup);
    for (const pod of ["pod-a", "pod-b"]) {
      const podDir = join(dir, pod);
      await syncVolumes(podDir, "default", vols, lookup);
      const root = prepareRootfs(podDir, "c", vols, [{ name: "data", mountPath: "/data" }]);
      expect(realpathSync(join(root, "data"))).toBe(realpathSync(path));
      if (pod === "pod-a") writeFileSync(join(root, "data", "hello"), "kept");
      else expect(readFileSync(join(root, "data", "hello"), "utf8")).toBe("kept");
    }
    rmSync(join(dir, "pod-a"), { recursive: true, force: true }); // removing a pod's directory leaves the volume
    expect(existsSync(join(path, "hello"))).toBe(true);
  });
});
