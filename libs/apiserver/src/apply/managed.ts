/**
 * `metadata.managedFields` in and out: decoding entries into per-manager field
 * sets, encoding them back in Kubernetes' order, and the manager name a
 * request writes as (k8s.io/apimachinery/pkg/util/managedfields/internal).
 */
import { FieldSet } from "./fieldpath.ts";

export type Operation = "Apply" | "Update";

/** One manager's claim: who, how, in which version, since when, which fields. */
export interface ManagerEntry {
  readonly manager: string;
  readonly operation: Operation;
  readonly apiVersion: string;
  readonly subresource?: string;
  readonly time?: string;
  readonly set: FieldSet;
}

/** Keyed by manager identity (manager, operation, subresource and, for updates, apiVersion). */
export type Managed = Map<string, ManagerEntry>;

/** BuildManagerIdentifier: appliers keep one entry across versions; updaters get one per version. */
export const identity = (e: { manager: string; operation: Operation; apiVersion: string; subresource?: string | undefined }): string =>
  JSON.stringify([e.manager, e.operation, e.operation === "Apply" ? "" : e.apiVersion, e.subresource ?? ""]);

export class ManagedFieldsError extends Error {}

/** DecodeManagedFields: any malformed entry makes the whole list undecodable (callers then fall back). */
export const decodeManaged = (entries: unknown): Managed => {
  const managed: Managed = new Map();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new ManagedFieldsError("managedFields must be a list");
  entries.forEach((raw, i) => {
    if (typeof raw !== "object" || raw === null) throw new ManagedFieldsError(`managed fields entry ${i} is not an object`);
    const e = raw as Record<string, unknown>;
    if (e.operation !== "Apply" && e.operation !== "Update") throw new ManagedFieldsError("operation must be `Apply` or `Update`");
    if (typeof e.apiVersion !== "string" || e.apiVersion.length < 1) throw new ManagedFieldsError("apiVersion must not be empty");
    if (e.fieldsType === undefined || e.fieldsType === "") throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== "FieldsV1") throw new ManagedFieldsError(`invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`);
    let set: FieldSet;
    try {
      set = e.fieldsV1 === undefined || e.fieldsV1 === null ? new FieldSet() : FieldSet.fromJSON(e.fieldsV1);
    } catch (err) {
      throw new ManagedFieldsError(`error decoding set: ${(err as Error).message}`);
    }
    const entry: ManagerEntry = {
      manager: typeof e.manager === "string" ? e.manager : "",
      operation: e.operation,
      apiVersion: e.apiVersion,
      ...(typeof e.subresource === "string" && e.subresource !== "" ? { subresource: e.subresource } : {}),
      ...(typeof e.time === "string" ? { time: e.time } : {}),
      set,
    };
    managed.set(identity(entry), entry);
  });
  return managed;
};

const seconds = (t: string | undefined) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** sortEncodedManagedFields: Apply before Update, then oldest first, then manager, apiVersion, subresource. */
const order = (p: ManagerEntry, q: ManagerEntry): number =>
  cmp(p.operation, q.operation) ||
  seconds(p.time) - seconds(q.time) ||
  cmp(p.manager, q.manager) ||
  cmp(p.apiVersion, q.apiVersion) ||
  cmp(p.subresource ?? "", q.subresource ?? "");

/** The managedFields list to store (undefined when nobody manages anything). */
export const encodeManaged = (managed: Managed): Record<string, unknown>[] | undefined => {
  if (managed.size === 0) return undefined;
  const entries = [...managed.values()];
  if (entries.length > 1) entries.sort(order);
  return entries.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    ...(e.time ? { time: e.time } : {}),
    fieldsType: "FieldsV1",
    fieldsV1: e.set.toJSON(),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
};

/** Kubernetes keeps at most this many Update entries; older ones merge into `ancient-changes` per version. */
export const MAX_UPDATE_MANAGERS = 10;

/** capUpdateManagers: folds the oldest Update entries into one bucket per apiVersion. */
export const capUpdateManagers = (managed: Managed): Managed => {
  if (managed.size <= MAX_UPDATE_MANAGERS) return managed;
  const updaters = [...managed.entries()].filter(([, e]) => e.operation === "Update");
  if (updaters.length <= MAX_UPDATE_MANAGERS) return managed;
  updaters.sort(([ia, a], [ib, b]) => seconds(a.time) - seconds(b.time) || cmp(ia, ib));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (const [id, e] of updaters) {
    if (length <= MAX_UPDATE_MANAGERS) break;
    const bucket = identity({ manager: "ancient-changes", operation: "Update", apiVersion: e.apiVersion });
    const first = firstOfVersion.get(e.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(e.apiVersion, id);
      continue;
    }
    if (!managed.has(bucket)) {
      const s = managed.get(first)!;
      managed.delete(first);
      managed.set(bucket, { manager: "ancient-changes", operation: "Update", apiVersion: e.apiVersion, set: s.set });
    }
    const b = managed.get(bucket)!;
    managed.set(bucket, { manager: "ancient-changes", operation: "Update", apiVersion: e.apiVersion, ...(e.time ? { time: e.time } : {}), set: e.set.union(b.set) });
    managed.delete(id);
    length--;
  }
  return managed;
};

/** The longest field manager name Kubernetes accepts. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/** prefixFromUserAgent: the text before the first `/`, printable characters only, at most 128 bytes. */
export const managerFromUserAgent = (userAgent: string | undefined): string => {
  const head = (userAgent ?? "").split("/")[0]!;
  let out = "";
  for (const ch of head) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) continue;
    if (Buffer.byteLength(out + ch) > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
  }
  return out;
};
