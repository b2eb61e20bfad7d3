/**
 * Persistent storage with the real kubectl against `kubeactor up` (one node,
 * busybox runs as a real process): the default StorageClass, a claim that
 * waits for its first consumer, the local-path volume provisioned when the
 * pod is placed, data that outlives the pod, `get pvc,pv` as kube 1.32
 * prints them, a pod whose claim does not exist held in ContainerCreating
 * with FailedMount, and the volume and its directory removed with the claim.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@kubeactor/bus";
import { kubectlBinary, kubectlFor, startProcess, until, type RunningProcess } from "@kubeactor/testing";


const CLAIM = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
`;
/** Says what it found in the volume, then leaves its own mark. The working directory is the container's root. */
const pod = (name: string, claim = "data") => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "cat data/greeting 2>/dev/null || echo empty; echo written-by-${name} > data/greeting; sleep 3600"]
    volumeMounts:
    - name: store
      mountPath: /data
  volumes:
  - name: store
    persistentVolumeClaim:
      claimName: ${claim}
`;

describe.skipIf(!existsSync(kubectlBinary(32)))("kubectl persistent volumes against kubeactor up", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kubeactor-storage-"));
  const kubeconfig = join(dataDir, "kubeconfig");
  let up: RunningProcess;

  const kubectl = kubectlFor({ kubeconfig, timeoutMs: 90_000 });
  const json = async (...args: string[]) => JSON.parse(await kubectl(...args, "-o", "json"));
  const apply = (name: string, yaml: string) => {
    const file = join(dataDir, name);
    writeFileSync(file, yaml);
    return kubectl("apply", "-f", file);
  };
  const phaseOf = async (kind: string, name: string) => (await json("get", kind, name)).status?.phase;

  beforeAll(async () => {
    const port = await freePort();
    up = await startProcess("apps/kubeactor/src/main.ts", ["up", "--embedded", "--nodes", "1", "--dns-port", "0", "--data-dir", dataDir, "--port", String(port)], {
      ready: /export KUBECONFIG=/,
    });
  }, 120_000);
  afterAll(async () => {
    await up?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    kubectl.dispose();
  });

  it("serves the default StorageClass and the storage kinds in discovery", { timeout: 60_000 }, async () => {
    expect(await kubectl("get", "sc")).toMatch(
      /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\nstandard \(default\)\s+kubeactor\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+\S+\n$/,
    );
    const resources = await kubectl("api-resources", "--no-headers");
    expect(resources).toMatch(/^persistentvolumeclaims\s+pvc\s+v1\s+true\s+PersistentVolumeClaim$/m);
    expect(resources).toMatch(/^persistentvolumes\s+pv\s+v1\s+false\s+PersistentVolume$/m);
    expect(resources).toMatch(/^storageclasses\s+sc\s+storage\.k8s\.io\/v1\s+false\s+StorageClass$/m);
  });

  it("binds a claim when its pod is placed, keeps the data across pods, and removes volume and directory with the claim", { timeout: 240_000 }, async () => {
    await apply("claim.yaml", CLAIM);
    const claim = await json("get", "pvc", "data");
    expect(claim.spec.storageClassName).toBe("standard");
    expect(claim.status.phase).toBe("Pending"); // WaitForFirstConsumer: nothing uses it yet
    await until("WaitForFirstConsumer event", async () => (await kubectl("get", "events", "--field-selector", "involvedObject.name=data", "-o", "jsonpath={.items[*].reason}")).includes("WaitForFirstConsumer"), 30_000);

    await apply("writer.yaml", pod("writer"));
    await kubectl("wait", "--for=condition=Ready", "pod/writer", "--timeout=120s");
    await until("writer wrote", async () => (await kubectl("logs", "writer")).includes("empty"), 60_000);
    expect(await phaseOf("pvc", "data")).toBe("Bound");
    const bound = await json("get", "pvc", "data");
    const pvName = `pvc-${claim.metadata.uid}`;
    expect(bound.spec.volumeName).toBe(pvName);
    expect(bound.metadata.annotations["volume.kubernetes.io/selected-node"]).toBe("node-1");
    const dir = join(dataDir, "volumes", pvName);
    await until("the mark on disk", async () => existsSync(join(dir, "greeting")), 30_000);
    expect(readFileSync(join(dir, "greeting"), "utf8")).toBe("written-by-writer\n");

    // kubectl get pvc,pv: the columns of kube 1.32
    const table = await kubectl("get", "pvc,pv");
    const [pvcPart, pvPart] = table.trim().split("\n\n");
    expect(pvcPart).toMatch(new RegExp(`^NAME\\s+STATUS\\s+VOLUME\\s+CAPACITY\\s+ACCESS MODES\\s+STORAGECLASS\\s+VOLUMEATTRIBUTESCLASS\\s+AGE\\npersistentvolumeclaim/data\\s+Bound\\s+${pvName}\\s+1Gi\\s+RWO\\s+standard\\s+<unset>\\s+\\S+$`));
    expect(pvPart).toMatch(
      new RegExp(`^NAME\\s+CAPACITY\\s+ACCESS MODES\\s+RECLAIM POLICY\\s+STATUS\\s+CLAIM\\s+STORAGECLASS\\s+VOLUMEATTRIBUTESCLASS\\s+REASON\\s+AGE\\npersistentvolume/${pvName}\\s+1Gi\\s+RWO\\s+Delete\\s+Bound\\s+default/data\\s+standard\\s+<unset>\\s+\\S+$`),
    );
    expect(await kubectl("get", "pvc", "-o", "wide")).toMatch(/VOLUMEMODE\n.*\s+Filesystem\n$/);

    // a new pod on the same claim finds what the first one wrote
    await kubectl("delete", "pod", "writer", "--wait=true", "--timeout=60s");
    await apply("reader.yaml", pod("reader"));
    await kubectl("wait", "--for=condition=Ready", "pod/reader", "--timeout=120s");
    await until("reader read", async () => (await kubectl("logs", "reader")).includes("written-by-writer"), 60_000);

    // the claim stays while a pod uses it (pvc-protection), then goes with its volume and directory (Delete)
    await kubectl("delete", "pvc", "data", "--wait=false");
    expect((await json("get", "pvc", "data")).metadata.deletionTimestamp).toBeDefined();
    expect(await kubectl("get", "pvc", "data", "--no-headers")).toMatch(/^data\s+Terminating\s/);
    await kubectl("delete", "pod", "reader", "--wait=true", "--timeout=60s");
    await until("claim, volume and directory gone", async () => {
      const left = await kubectl("get", "pvc,pv", "-o", "name");
      return left.trim() === "" && !existsSync(dir);
    }, 60_000);
  });

  it("holds a pod whose claim does not exist in ContainerCreating with FailedMount", { timeout: 120_000 }, async () => {
    await apply("orphan.yaml", pod("orphan", "nope"));
    await until(
      "FailedMount",
      async () => (await kubectl("get", "events", "--field-selector", "involvedObject.name=orphan,reason=FailedMount", "-o", "jsonpath={.items[*].message}")).includes('persistentvolumeclaims "nope" not found'),
      60_000,
    );
    const p = await json("get", "pod", "orphan");
    expect(p.status.phase).toBe("Pending");
    expect(p.status.containerStatuses?.[0]?.state?.waiting?.reason ?? "ContainerCreating").toBe("ContainerCreating");
    expect(await kubectl("get", "pod", "orphan", "--no-headers")).toMatch(/^orphan\s+0\/1\s+ContainerCreating\s/);
  });
});
