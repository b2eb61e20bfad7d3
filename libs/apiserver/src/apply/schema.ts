/**
 * The structural type of each field, as server-side apply needs it. The base
 * is the strategic-merge-patch table (patch/schema.ts): a list with
 * `patchStrategy: merge` and a merge key is an associative list keyed by it,
 * a merge list of scalars is a set, every other list is atomic — the same
 * fallback kube-openapi's schema conversion applies. On top of it:
 *  - list-map-keys where Kubernetes declares more than the merge key
 *    (`+listMapKey`), with their defaults (ports are keyed by port *and* protocol);
 *  - structs marked `+structType=atomic` (label selectors, object references);
 *  - non-pointer struct fields (`present`): Go always serializes them (as `{}`
 *    at least), so Kubernetes' diff never sees them appear. Without this,
 *    `f:spec` would carry a `.` entry that real clusters never show.
 * Fields outside the table are treated like untyped JSON: objects merge field
 * by field, lists are atomic.
 */
import { BUILTIN_KINDS, BUILTIN_TYPES } from "../patch/schema.ts";
import type { Json } from "./fieldpath.ts";

export type ListType = { readonly kind: "atomic" } | { readonly kind: "set" } | { readonly kind: "map"; readonly keys: readonly string[]; readonly defaults: Readonly<Record<string, Json>> };

/** Where a walker stands: the struct type (if known) and how its value is organised. */
export interface TypeRef {
  readonly struct?: string;
  readonly atomic?: boolean;
  readonly list?: ListType;
  /** Element struct of a list. */
  readonly elem?: string;
}

interface Extra {
  /** Struct type of the field (or of the list elements). */
  readonly t?: string;
  readonly atomic?: true;
  readonly present?: true;
  /** A list or map without `omitempty`: Go writes `null` when it is empty, so it is never "added" either. */
  readonly nil?: true;
  readonly keys?: readonly string[];
  readonly defaults?: Readonly<Record<string, Json>>;
}

const TCP: Readonly<Record<string, Json>> = { protocol: "TCP" };
const template = { t: "core.PodTemplateSpec", present: true } as const;
const selector = { atomic: true } as const;

const EXTRA: Readonly<Record<string, Readonly<Record<string, Extra>>>> = {
  "apps.DeploymentSpec": { template, strategy: { present: true }, selector },
  "apps.ReplicaSetSpec": { template, selector },
  "apps.StatefulSetSpec": { template, updateStrategy: { present: true }, selector },
  "apps.DaemonSetSpec": { template, updateStrategy: { present: true }, selector },
  "batch.JobSpec": { template, selector },
  "batch.CronJobSpec": { jobTemplate: { t: "batch.JobTemplateSpec", present: true } },
  "batch.JobTemplateSpec": { metadata: { present: true }, spec: { t: "batch.JobSpec", present: true } },
  "core.PodTemplateSpec": { metadata: { present: true }, spec: { t: "core.PodSpec", present: true } },
  "core.PodTemplate": { template },
  "core.PodSpec": {
    containers: { nil: true },
    topologySpreadConstraints: { keys: ["topologyKey", "whenUnsatisfiable"] },
    nodeSelector: { atomic: true },
    imagePullSecrets: { t: "core.LocalObjectReference" },
  },
  "core.Container": { resources: { present: true }, ports: { keys: ["containerPort", "protocol"], defaults: TCP }, env: { t: "core.EnvVar" } },
  "core.EphemeralContainer": { resources: { present: true }, ports: { keys: ["containerPort", "protocol"], defaults: TCP }, env: { t: "core.EnvVar" } },
  "core.EnvVar": { valueFrom: { t: "core.EnvVarSource" } },
  "core.EnvVarSource": { fieldRef: { atomic: true }, resourceFieldRef: { atomic: true }, configMapKeyRef: { atomic: true }, secretKeyRef: { atomic: true } },
  "core.ServiceSpec": { ports: { keys: ["port", "protocol"], defaults: TCP }, selector: { atomic: true } },
  "core.ReplicationControllerSpec": { template: { t: "core.PodTemplateSpec" }, selector: { atomic: true } },
  "core.ServiceAccount": { secrets: { t: "core.ObjectReference" } },
  "meta.ObjectMeta": { ownerReferences: { t: "meta.OwnerReference" } },
  "core.ServiceStatus": { loadBalancer: { present: true } },
  "core.NodeStatus": { daemonEndpoints: { present: true }, nodeInfo: { present: true } },
  "core.Event": { involvedObject: { t: "core.ObjectReference", present: true }, source: { present: true } },
  "core.PersistentVolumeClaimSpec": { resources: { present: true }, selector },
};

/** Structs marked `+structType=atomic` that appear as list items or fields here: owned as a whole. */
const ATOMIC_STRUCTS: ReadonlySet<string> = new Set(["meta.OwnerReference", "core.LocalObjectReference", "core.ObjectReference"]);

/** Kinds whose spec/status structs are not in the strategic table (so they carry no type), still always present in Go. */
const ROOT_PRESENT = ["metadata", "spec", "status"] as const;

export const rootType = (kind: string): TypeRef => {
  const struct = BUILTIN_KINDS[kind];
  return struct ? { struct } : {};
};

const extraOf = (struct: string | undefined, field: string): Extra | undefined =>
  struct !== undefined && Object.hasOwn(EXTRA, struct) && Object.hasOwn(EXTRA[struct]!, field) ? EXTRA[struct]![field] : undefined;

/** Shared, never modified: what an untyped field (inside a map, or of an unknown struct) is. */
const NO_TYPE: TypeRef = Object.freeze({});

/**
 * fieldType depends on the parent's struct and the field only; it runs for
 * every field of every write, so each answer is kept, per struct (two map
 * lookups, no key string built per call).
 */
const fieldTypes = new Map<string, Map<string, TypeRef>>();
let fieldTypesSize = 0;

/** The type of `field` inside a struct/map of type `parent`. */
export const fieldType = (parent: TypeRef, field: string): TypeRef => {
  // Below a map (labels, data) there is no struct: nothing to look up, and the user's keys must not grow the memo.
  const struct = parent.struct;
  if (struct === undefined) return NO_TYPE;
  let fields = fieldTypes.get(struct);
  if (!fields) fieldTypes.set(struct, (fields = new Map()));
  let t = fields.get(field);
  if (!t) {
    // unknown fields of known structs are bounded only by what clients send
    if (fieldTypesSize >= 10_000) {
      for (const m of fieldTypes.values()) m.clear();
      fieldTypesSize = 0;
    }
    fields.set(field, (t = computeFieldType(struct, field)));
    fieldTypesSize++;
  }
  return t;
};

const computeFieldType = (struct: string | undefined, field: string): TypeRef => {
  const meta = struct !== undefined && Object.hasOwn(BUILTIN_TYPES, struct) && Object.hasOwn(BUILTIN_TYPES[struct]!, field) ? BUILTIN_TYPES[struct]![field] : undefined;
  const extra = extraOf(struct, field);
  const t = extra?.t ?? meta?.t;
  const strategies = meta?.s?.split(",") ?? [];
  const merge = strategies.includes("merge");
  let list: ListType | undefined;
  if (extra?.keys) list = { kind: "map", keys: extra.keys, defaults: extra.defaults ?? {} };
  else if (meta?.l === 1 && merge && meta.k) list = { kind: "map", keys: [meta.k], defaults: {} };
  else if (meta?.l === 0 && merge) list = { kind: "set" };
  return {
    ...(t !== undefined && !list ? { struct: t } : {}),
    ...(t !== undefined && list ? { elem: t } : {}),
    ...(meta?.l === 1 && !list && t !== undefined ? { elem: t } : {}),
    ...(extra?.atomic || (t !== undefined && !list && ATOMIC_STRUCTS.has(t)) ? { atomic: true } : {}),
    ...(list ? { list } : {}),
  };
};

const elemTypes = new Map<string, TypeRef>();

/** The type of an associative list's items. */
export const elemType = (list: TypeRef): TypeRef => {
  const elem = list.elem;
  if (!elem) return NO_TYPE;
  let t = elemTypes.get(elem);
  if (!t) elemTypes.set(elem, (t = { struct: elem, ...(ATOMIC_STRUCTS.has(elem) ? { atomic: true } : {}) }));
  return t;
};

/** The list semantics at this point; unknown lists are atomic. */
export const listTypeOf = (t: TypeRef): ListType => t.list ?? { kind: "atomic" };

const presentByStruct = new Map<string, readonly [string, TypeRef | null][]>();
const rootPresent = new Map<string, readonly [string, TypeRef | null][]>();
const NO_PRESENT: readonly [string, TypeRef | null][] = Object.freeze([]);

/** Fields of `t` that Go always writes: non-pointer structs (as `{}`, with their types) and non-omitempty lists (as null). Kept per struct. */
export const presentFields = (t: TypeRef, isRoot: boolean): readonly [string, TypeRef | null][] => {
  const struct = t.struct;
  const memo = isRoot ? rootPresent : presentByStruct;
  const id = struct ?? "";
  let out = memo.get(id);
  if (out) return out;
  if (!isRoot && (struct === undefined || !Object.hasOwn(EXTRA, struct))) return NO_PRESENT;
  const fields: [string, TypeRef | null][] = [];
  if (isRoot) for (const f of ROOT_PRESENT) fields.push([f, fieldType(t, f)]);
  if (struct !== undefined && Object.hasOwn(EXTRA, struct)) {
    for (const [f, e] of Object.entries(EXTRA[struct]!)) {
      if (e.present) fields.push([f, fieldType(t, f)]);
      else if (e.nil) fields.push([f, null]);
    }
  }
  out = fields;
  memo.set(id, out);
  return out;
};
