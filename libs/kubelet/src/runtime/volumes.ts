/**
 * Pod volumes for process containers, under the pod's directory
 * (`<pod dir>/volumes/<name>`): emptyDir as a directory, hostPath as the host
 * path itself, configMap and secret projected as files. Projections are
 * written like the kubelet's AtomicWriter: the files live in a timestamped
 * directory `..<stamp>`, the symlink `..data` points at it and every
 * user-visible name is a symlink through `..data`, so an update swaps one
 * symlink (rename is atomic) and a reader never sees half a change.
 *
 * A process sees the host's file system (there is no mount namespace), so a
 * container's mounts are symlinks under its own root directory
 * (`<pod dir>/containers/<name>/rootfs<mountPath>`), handed to the process
 * as `KUBEACTOR_ROOTFS` and used as its default working directory.
 *
 * A persistentVolumeClaim volume is its bound PersistentVolume's hostPath
 * (or local path): `<pod dir>/volumes/<name>` is a symlink to it, so the data
 * outlives the pod. `waitForClaims` is the volume manager's
 * WaitForAttachAndMount for claims: until each is bound the pod is not
 * started (ContainerCreating, FailedMount events with the kubelet's words).
 * readOnly cannot be enforced without a mount namespace: a process may write
 * through a readOnly mount, as through any other here.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import type { KeyToPath, PodVolume, VolumeMountSpec } from "./cri.ts";
import { ContainerConfigError, type ObjectLookup, type Obj } from "./lookup.ts";

export const volumeDir = (podDir: string, name: string) => join(podDir, "volumes", name);

/** A volume that cannot be mounted yet (claim missing, unbound, ...): the kubelet's FailedMount, retried. */
export class VolumeMountError extends Error {
  readonly _tag = "VolumeMountError";
}

/** Why a claim cannot be mounted (the desired state populator's error), or its volume's directory. */
const resolveClaim = async (namespace: string, claimName: string, lookup: ObjectLookup): Promise<{ path: string; type?: string } | { error: string }> => {
  const what = `error processing PVC ${namespace}/${claimName}`;
  if (!lookup.persistentVolumeClaim || !lookup.persistentVolume) return { error: `${what}: no API to read claims from` };
  const claim = await lookup.persistentVolumeClaim(namespace, claimName);
  if (!claim) return { error: `${what}: failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found` };
  if ((claim.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp)
    return { error: `${what}: can't start pod because PVC ${namespace}/${claimName} is being deleted` };
  const spec = (claim.spec ?? {}) as { volumeName?: string };
  const phase = (claim.status as { phase?: string } | undefined)?.phase;
  if (!spec.volumeName || phase !== "Bound") return { error: `${what}: PVC is not bound` };
  const pv = await lookup.persistentVolume(spec.volumeName);
  if (!pv) return { error: `${what}: failed to fetch PV ${spec.volumeName} from API server: persistentvolumes "${spec.volumeName}" not found` };
  const pvSpec = (pv.spec ?? {}) as { hostPath?: { path: string; type?: string }; local?: { path: string } };
  if (pvSpec.hostPath?.path) return { path: pvSpec.hostPath.path, ...(pvSpec.hostPath.type ? { type: pvSpec.hostPath.type } : {}) };
  if (pvSpec.local?.path) return { path: pvSpec.local.path, type: "Directory" };
  return { error: `${what}: volume ${spec.volumeName} has a source kubeactor cannot mount (only hostPath and local)` };
};

/**
 * Resolves when every persistentVolumeClaim volume of the pod is bound to a
 * mountable volume; otherwise throws the kubelet's FailedMount message.
 */
export const waitForClaims = async (
  namespace: string,
  volumes: readonly PodVolume[],
  lookup: ObjectLookup,
  /** Keep asking this long before reporting (a WaitForFirstConsumer claim binds moments after its pod is placed). */
  opts: { graceMs?: number; pollMs?: number; signal?: AbortSignal } = {},
): Promise<void> => {
  const claims = volumes.filter((v) => v.persistentVolumeClaim);
  if (claims.length === 0) return;
  const deadline = Date.now() + (opts.graceMs ?? 0);
  for (;;) {
    const failed: string[] = [];
    const errors: string[] = [];
    for (const v of claims) {
      const r = await resolveClaim(namespace, v.persistentVolumeClaim!.claimName, lookup);
      if ("error" in r) {
        failed.push(v.name);
        errors.push(r.error);
      }
    }
    if (failed.length === 0) return;
    if (Date.now() < deadline && !opts.signal?.aborted) {
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
      continue;
    }
    throw new VolumeMountError(`Unable to attach or mount volumes: unmounted volumes=[${failed.join(" ")}], unattached volumes=[], failed to process volumes=[${failed.join(" ")}]: ${errors.join("; ")}`);
  }
};

/** `<pod dir>/volumes/<name>` → the claim's volume directory (made if its type allows). */
const linkClaim = async (podDir: string, namespace: string, vol: PodVolume, lookup: ObjectLookup): Promise<void> => {
  const link = volumeDir(podDir, vol.name);
  if (existsLink(link)) return;
  const r = await resolveClaim(namespace, vol.persistentVolumeClaim!.claimName, lookup);
  if ("error" in r) throw new ContainerConfigError(`MountVolume.SetUp failed for volume "${vol.name}" : ${r.error}`);
  if (r.type === undefined || r.type === "" || r.type === "DirectoryOrCreate") mkdirSync(r.path, { recursive: true, mode: 0o777 });
  else if (!existsSync(r.path)) throw new ContainerConfigError(`MountVolume.SetUp failed for volume "${vol.name}" : hostPath type check failed: ${r.path} is not a directory`);
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(r.path, link);
};

/** Files a configMap/secret volume should hold: relative path → content and mode; undefined when the (optional) source is missing. */
const projection = async (vol: PodVolume, namespace: string, lookup: ObjectLookup): Promise<Map<string, { data: Buffer; mode: number }> | undefined> => {
  let obj: Obj | undefined;
  let entries: [string, Buffer][];
  let src: { items?: readonly KeyToPath[]; defaultMode?: number; optional?: boolean };
  let what: string;
  if (vol.configMap) {
    src = vol.configMap;
    what = `configmap "${vol.configMap.name ?? ""}"`;
    obj = await lookup.configMap(namespace, vol.configMap.name ?? "");
    const data = (obj?.data ?? {}) as Record<string, string>;
    const bin = (obj?.binaryData ?? {}) as Record<string, string>;
    entries = [...Object.entries(data).map(([k, v]): [string, Buffer] => [k, Buffer.from(v)]), ...Object.entries(bin).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, "base64")])];
  } else {
    src = vol.secret!;
    what = `secret "${vol.secret!.secretName ?? ""}"`;
    obj = await lookup.secret(namespace, vol.secret!.secretName ?? "");
    const data = (obj?.data ?? {}) as Record<string, string>;
    const str = (obj?.stringData ?? {}) as Record<string, string>;
    entries = [...Object.entries(data).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, "base64")]), ...Object.entries(str).map(([k, v]): [string, Buffer] => [k, Buffer.from(v)])];
  }
  if (!obj) {
    if (src.optional) return new Map();
    throw new ContainerConfigError(`MountVolume.SetUp failed for volume "${vol.name}" : ${what} not found`);
  }
  const mode = src.defaultMode ?? 0o644;
  const out = new Map<string, { data: Buffer; mode: number }>();
  const byKey = new Map(entries);
  if (src.items?.length) {
    for (const item of src.items) {
      const data = byKey.get(item.key);
      if (!data) {
        if (src.optional) continue;
        throw new ContainerConfigError(`MountVolume.SetUp failed for volume "${vol.name}" : ${what.split(" ")[0]} references non-existent ${what.startsWith("secret") ? "secret" : "config"} key: ${item.key}`);
      }
      out.set(item.path, { data, mode: item.mode ?? mode });
    }
  } else for (const [k, data] of byKey) out.set(k, { data, mode });
  return out;
};

const safeRelative = (p: string) => {
  const n = normalize(p);
  if (n.startsWith("..") || n.startsWith("/")) throw new ContainerConfigError(`invalid path ${JSON.stringify(p)}: must be relative and may not contain '..'`);
  return n;
};

/** AtomicWriter: writes the projection unless it is unchanged; returns whether anything changed. */
export const writeAtomic = (dir: string, files: Map<string, { data: Buffer; mode: number }>): boolean => {
  mkdirSync(dir, { recursive: true });
  const hash = createHash("sha256");
  for (const [p, f] of [...files].sort(([a], [b]) => a.localeCompare(b))) hash.update(`${p}\0${f.mode}\0`).update(f.data).update("\0");
  const digest = hash.digest("hex").slice(0, 16);
  const dataLink = join(dir, "..data");
  let current: string | undefined;
  try {
    current = readlinkSync(dataLink);
  } catch {}
  if (current?.endsWith(`_${digest}`)) return false;
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, "_").replace(/\.\d+Z$/, "")}.${process.hrtime.bigint() % 1_000_000n}_${digest}`;
  const tsDir = join(dir, stamp);
  mkdirSync(tsDir, { recursive: true });
  for (const [p, f] of files) {
    const rel = safeRelative(p);
    mkdirSync(dirname(join(tsDir, rel)), { recursive: true });
    writeFileSync(join(tsDir, rel), f.data);
    chmodSync(join(tsDir, rel), f.mode & 0o777);
  }
  const tmp = join(dir, "..data_tmp");
  rmSync(tmp, { force: true });
  symlinkSync(stamp, tmp);
  renameSync(tmp, dataLink);
  // User-visible names: one symlink per top-level path component, through ..data.
  const top = new Set([...files.keys()].map((p) => safeRelative(p).split("/")[0]!));
  for (const name of top) {
    const link = join(dir, name);
    if (!existsLink(link)) symlinkSync(join("..data", name), link);
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith("..")) {
      if (name !== "..data" && name !== stamp) rmSync(join(dir, name), { recursive: true, force: true });
    } else if (!top.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
  return true;
};

const existsLink = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

/** Sets up (or refreshes) every volume of the pod the process runtime supports; other kinds are left out. */
export const syncVolumes = async (podDir: string, namespace: string, volumes: readonly PodVolume[], lookup: ObjectLookup): Promise<void> => {
  for (const vol of volumes) {
    const dir = volumeDir(podDir, vol.name);
    if (vol.emptyDir) mkdirSync(dir, { recursive: true });
    else if (vol.hostPath) {
      const t = vol.hostPath.type ?? "";
      if (t === "DirectoryOrCreate") mkdirSync(vol.hostPath.path, { recursive: true, mode: 0o755 });
      else if (t === "FileOrCreate" && !existsSync(vol.hostPath.path)) {
        mkdirSync(dirname(vol.hostPath.path), { recursive: true });
        writeFileSync(vol.hostPath.path, "", { mode: 0o644 });
      } else if ((t === "Directory" || t === "File") && !existsSync(vol.hostPath.path)) {
        throw new ContainerConfigError(`MountVolume.SetUp failed for volume "${vol.name}" : hostPath type check failed: ${vol.hostPath.path} is not a ${t.toLowerCase()}`);
      }
    } else if (vol.configMap || vol.secret) {
      const files = await projection(vol, namespace, lookup);
      if (files) writeAtomic(dir, files);
    } else if (vol.persistentVolumeClaim) await linkClaim(podDir, namespace, vol, lookup);
  }
};

/** Where a volume's content is on the host. */
const volumeSource = (podDir: string, vol: PodVolume): string => (vol.hostPath ? vol.hostPath.path : volumeDir(podDir, vol.name));

/** The container's root directory with one symlink per mount; returns the root. */
export const prepareRootfs = (podDir: string, container: string, volumes: readonly PodVolume[], mounts: readonly VolumeMountSpec[]): string => {
  const root = join(podDir, "containers", container, "rootfs");
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const m of mounts) {
    const vol = volumes.find((v) => v.name === m.name);
    if (!vol || !(vol.emptyDir || vol.hostPath || vol.configMap || vol.secret || vol.persistentVolumeClaim)) continue;
    const target = m.subPath ? join(volumeSource(podDir, vol), safeRelative(m.subPath)) : volumeSource(podDir, vol);
    if (m.subPath && vol.emptyDir) mkdirSync(target, { recursive: true });
    const link = join(root, safeRelative(m.mountPath.replace(/^\/+/, "")));
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { recursive: true, force: true });
    symlinkSync(target, link);
  }
  return root;
};
