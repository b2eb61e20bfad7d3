/**
 * Field management for every write, as Kubernetes' FieldManager does it
 * (k8s.io/apimachinery/pkg/util/managedfields/internal, structured-merge-diff/merge):
 *
 *  - `recordUpdate` (create, PUT, non-apply PATCH, status and scale writes):
 *    the fields the write changed become the writer's (one Update entry per
 *    manager, operation, apiVersion and subresource, merged across writes);
 *    other managers lose what was changed or removed. The request may carry
 *    its own managedFields (used when they decode, `[]` clears them).
 *  - `recordApply` (apply-patch): the configuration is the manager's whole
 *    intent. It is merged into the live object; fields the manager applied
 *    before and no longer sends are removed unless someone else owns them;
 *    changing a field another manager owns is a conflict (409) unless forced,
 *    which moves ownership.
 *
 * Both work on plain JSON objects and return the object to store, with
 * `metadata.managedFields` encoded.
 */
import { badRequest, StatusError } from "@kubeactor/api";
import { FieldSet, fieldPE, type Path, type PathElement, pathString } from "./fieldpath.ts";
import { capUpdateManagers, decodeManaged, encodeManaged, identity, type Managed, type ManagerEntry } from "./managed.ts";
import { rootType, type TypeRef } from "./schema.ts";
import { compare, type Comparison, deepEqual, dropNulls, materialize, merge, removeItems, toFieldSet } from "./typed.ts";

type Obj = Record<string, unknown>;

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";
/** The manager kubectl's server-side apply uses; only it migrates client-side apply ownership. */
const KUBECTL = "kubectl";
const BEFORE_FIRST_APPLY = "before-first-apply";

export interface WriteContext {
  /** The resolved manager (fieldManager, else the User-Agent prefix); "" is recorded as "unknown". */
  readonly manager: string;
  /** The version written through, e.g. `apps/v1`. */
  readonly apiVersion: string;
  readonly kind: string;
  readonly subresource?: "status" | "scale" | "ephemeralcontainers";
  /** Whether the resource has a status subresource (then main writes never own status, and status writes own only status). */
  readonly statusSubresource: boolean;
  /** RFC 3339 time of this write. */
  readonly now: string;
}

/** Paths no manager ever owns (stripMetaManager). */
const STRIP = FieldSet.of(
  [fieldPE("apiVersion")],
  [fieldPE("kind")],
  [fieldPE("metadata")],
  ...["name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion"].map((f) => [fieldPE("metadata"), fieldPE(f)]),
);

/** Whether the resource has a status subresource (its main writes never own status). */
export const hasStatus = (info: { readonly subresources: readonly { readonly name: string }[] }): boolean => info.subresources.some((s) => s.name === "status");

const metaOf = (o: Obj): Obj => ((o.metadata ??= {}) as Obj);

const withoutManagedFields = (o: Obj): Obj => {
  const copy = structuredClone(o);
  if (copy.metadata && typeof copy.metadata === "object") delete (copy.metadata as Obj).managedFields;
  return copy;
};

/**
 * `o` without managedFields, sharing everything below the root and metadata
 * with `o`: for an object the caller has just built and hands over (the
 * object to store), where a deep copy would only cost time.
 */
const handedOverWithoutManagedFields = (o: Obj): Obj => {
  const meta = o.metadata;
  if (!meta || typeof meta !== "object" || Array.isArray(meta)) return { ...o };
  const { managedFields: _, ...rest } = meta as Obj;
  return { ...o, metadata: rest };
};

/** `o` without managedFields, for reading only (materialize copies what it keeps): no deep copy. */
const viewWithoutManagedFields = (o: Obj): Obj => {
  if (!o.metadata || typeof o.metadata !== "object") return o;
  const { managedFields: _, ...meta } = o.metadata as Obj;
  return { ...o, metadata: meta };
};

/** The fields a write may own (the strategy's reset fields are never owned, and never taken from others). */
const ownable = (ctx: WriteContext) => (set: FieldSet): FieldSet => {
  if (!ctx.statusSubresource) return set;
  return set.filterTop(ctx.subresource === "status" ? ownableByStatus : ownableByMain);
};
const ownableByStatus = (pe: PathElement) => "field" in pe && (pe.field === "status" || pe.field === "metadata");
const ownableByMain = (pe: PathElement) => "field" in pe && pe.field !== "status";

const filterComparison = (c: Comparison, f: (s: FieldSet) => FieldSet): Comparison => ({ added: f(c.added), modified: f(c.modified), removed: f(c.removed) });

const managerName = (m: string) => (m === "" ? "unknown" : m);

/**
 * Others lose the fields this write changed (when forced) and the fields it
 * removed; returns the conflicts (fields others own that this write changes).
 */
const takeOwnership = (managed: Managed, self: string, cmp: Comparison, force: boolean): Map<string, FieldSet> => {
  if (managed.size === 0 || (managed.size === 1 && managed.has(self))) return new Map(); // nobody else to take from
  const changed = cmp.modified.union(cmp.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [id, e] of managed) {
    if (id === self) continue;
    const c = e.set.intersection(changed);
    if (!c.isEmpty()) conflicts.set(id, c);
  }
  if (!force && conflicts.size > 0) return conflicts;
  for (const [id, e] of [...managed]) {
    if (id === self) continue;
    let set = e.set;
    const c = conflicts.get(id);
    if (c) set = set.difference(c);
    set = set.difference(cmp.removed);
    if (set.isEmpty()) managed.delete(id);
    else managed.set(id, { ...e, set });
  }
  return conflicts;
};

/** An Update by `manager` from `liveView` to `nextView` (merge.Updater.Update, through managedFieldsUpdater). */
const update = (managed: Managed, liveView: unknown, nextView: unknown, t: TypeRef, entry: Omit<ManagerEntry, "set" | "time">, ctx: WriteContext): void => {
  const cmp = filterComparison(compare(liveView, nextView, t), ownable(ctx));
  takeOwnership(managed, "\0current-operation", cmp, true);
  const mine = cmp.modified.union(cmp.added).difference(STRIP); // both already ownable
  if (mine.isEmpty()) return;
  const id = identity(entry);
  const previous = managed.get(id);
  managed.set(id, { ...entry, time: ctx.now, set: previous ? mine.union(previous.set) : mine });
};

/** True when the request asks to clear managedFields: `[]` or a single empty entry. */
const isReset = (mf: unknown): boolean =>
  Array.isArray(mf) && (mf.length === 0 || (mf.length === 1 && typeof mf[0] === "object" && mf[0] !== null && Object.keys(mf[0]).length === 0));

/** materialize({}) per kind: what a create is compared against. Shared and frozen (compare only reads it). */
const emptyViews = new Map<string, unknown>();
const emptyView = (kind: string, t: TypeRef): unknown => {
  let v = emptyViews.get(kind);
  if (v === undefined) {
    v = deepFreeze(materialize({}, t));
    if (emptyViews.size < 1000) emptyViews.set(kind, v); // kinds are few; a bound all the same
  }
  return v;
};
const deepFreeze = (v: unknown): unknown => {
  if (typeof v === "object" && v !== null) for (const x of Object.values(v)) deepFreeze(x);
  return Object.freeze(v);
};

const decodeOrEmpty = (mf: unknown): Managed => {
  try {
    return decodeManaged(mf);
  } catch {
    return new Map();
  }
};

/**
 * Records a non-apply write. `live` is the stored object (undefined for a
 * create), `next` the object about to be stored (already defaulted; the
 * caller hands it over: the result shares its fields). Returns `next` with
 * managedFields set. Objects that were never tracked (no
 * managedFields) stay untracked until their first apply, as upstream.
 */
export const recordUpdate = (live: Obj | undefined, next: Obj, ctx: WriteContext): Obj => {
  const requested = (next.metadata as Obj | undefined)?.managedFields;
  if (live === undefined && requested === undefined && ctx.subresource === undefined) return recordCreate(next, ctx);
  let managed: Managed;
  if (ctx.subresource !== undefined) managed = decodeOrEmpty(live ? metaOf(live).managedFields : undefined);
  else if (isReset(requested)) managed = new Map();
  else {
    managed = decodeOrEmpty(requested);
    if (managed.size === 0) managed = decodeOrEmpty(live ? metaOf(live).managedFields : undefined);
  }
  const out = handedOverWithoutManagedFields(next);
  if (managed.size === 0 && live !== undefined) return out;
  const t = rootType(ctx.kind);
  const liveView = live ? materialize(viewWithoutManagedFields(live), t) : emptyView(ctx.kind, t);
  const entry = { manager: managerName(ctx.manager), operation: "Update" as const, apiVersion: ctx.apiVersion, ...(ctx.subresource ? { subresource: ctx.subresource } : {}) };
  update(managed, liveView, materialize(out, t), t, entry, ctx);
  const encoded = encodeManaged(capUpdateManagers(managed));
  if (encoded) metaOf(out).managedFields = encoded;
  return out;
};

/** Metadata fields no manager owns (STRIP): they do not change what a create records. */
const UNOWNED_META = new Set(["name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "resourceVersion"]);

/**
 * What creates recorded, by the object's text less the fields no manager
 * owns and by the write context: a create's managedFields are a function of
 * those alone, and creates come in runs of alike objects (a ReplicaSet's
 * pods differ in name and uid only), where computing the field set was the
 * larger part of the API server's own work per create. The key is the
 * object's shape (`shapeOf`), so objects that differ only in values outside
 * lists share an entry: a kubelet's Events (`Pulled`, `Created`, `Started`
 * of every pod) differ in every value and in none of their fields. A miss
 * costs one walk of the object; the map is bounded.
 */
const createMemo = new Map<string, string>();
const CREATE_MEMO_SIZE = 256;

/**
 * The object's text with every scalar outside a list replaced by its kind:
 * a field set names the fields present, never their values, except inside
 * lists (a list's items are named by their keys or values, e.g.
 * `k:{"name":"app"}`, `v:"x"`), which are kept whole. Maps keep their keys
 * (labels, annotations, data: each key is a field).
 */
const shapeOf = (v: unknown): string => {
  if (v === null) return "n";
  if (Array.isArray(v)) return JSON.stringify(v);
  if (typeof v !== "object") return typeof v === "string" ? "s" : "0";
  let out = "{";
  for (const k in v as Obj) {
    const x = (v as Obj)[k];
    if (x === undefined) continue;
    out += `${JSON.stringify(k)}:${shapeOf(x)},`;
  }
  return `${out}}`;
};

const createKey = (out: Obj, ctx: WriteContext): string => {
  const meta: Obj = {};
  for (const [k, v] of Object.entries((out.metadata ?? {}) as Obj)) if (!UNOWNED_META.has(k)) meta[k] = v;
  return `${ctx.manager}\n${ctx.apiVersion}\n${ctx.kind}\n${ctx.now}\n${ctx.statusSubresource}\n${shapeOf({ ...out, metadata: meta })}`;
};

/** recordUpdate of a create whose request carries no managedFields: the writer owns every field it set. */
const recordCreate = (next: Obj, ctx: WriteContext): Obj => {
  const out = handedOverWithoutManagedFields(next);
  const key = createKey(out, ctx);
  let encoded = createMemo.get(key);
  if (encoded === undefined) {
    const managed: Managed = new Map();
    const t = rootType(ctx.kind);
    update(managed, emptyView(ctx.kind, t), materialize(out, t), t, { manager: managerName(ctx.manager), operation: "Update", apiVersion: ctx.apiVersion }, ctx);
    encoded = JSON.stringify(encodeManaged(capUpdateManagers(managed)) ?? null);
    if (createMemo.size >= CREATE_MEMO_SIZE) createMemo.clear();
    createMemo.set(key, encoded);
  }
  const managedFields = JSON.parse(encoded) as unknown[] | null; // a fresh copy: the caller owns the object it gets
  if (managedFields) metaOf(out).managedFields = managedFields;
  return out;
};

// ---- apply ----------------------------------------------------------------

const gvkString = (apiVersion: unknown, kind: unknown): string => {
  const av = typeof apiVersion === "string" ? apiVersion : "";
  const [group, version] = av.includes("/") ? [av.slice(0, av.indexOf("/")), av.slice(av.indexOf("/") + 1)] : ["", av];
  return `${group}/${version}, Kind=${typeof kind === "string" ? kind : ""}`;
};

const quote = (s: string) => JSON.stringify(s);

/** printManager: `"kubectl-client-side-apply" using apps/v1`, `"kubectl" with subresource "scale" using apps/v1`. */
export const describeManager = (e: Pick<ManagerEntry, "manager" | "operation" | "apiVersion" | "subresource">): string => {
  let s = quote(e.manager);
  if (e.subresource) s = `${s} with subresource ${quote(e.subresource)}`;
  return e.operation === "Update" ? `${s} using ${e.apiVersion}` : s;
};

/** Kubernetes' 409 for apply conflicts: one cause per field, reason Conflict, no object details. */
export const conflictError = (conflicts: readonly { manager: ManagerEntry; path: Path }[]): StatusError => {
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, { manager: ManagerEntry; paths: Path[] }>();
    for (const c of conflicts) {
      const id = identity(c.manager);
      const g = byManager.get(id) ?? { manager: c.manager, paths: [] };
      g.paths.push(c.path);
      byManager.set(id, g);
    }
    const lines: string[] = [];
    for (const g of [...byManager.values()].sort((a, b) => (a.manager.manager < b.manager.manager ? -1 : a.manager.manager > b.manager.manager ? 1 : 0))) {
      lines.push(`conflicts with ${describeManager(g.manager)}:`);
      for (const p of g.paths) lines.push(`- ${pathString(p)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
  }
  return new StatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: "Conflict",
    details: {
      causes: conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with ${describeManager(c.manager)}`, field: pathString(c.path) })),
    },
    code: 409,
  });
};

/**
 * Fields client-side apply recorded in last-applied-configuration that still
 * hold those values: kubectl's server-side apply may take them over without a
 * conflict (lastAppliedManager), which is how ownership migrates from
 * `kubectl-client-side-apply` to `kubectl`.
 */
const allowedFromLastApplied = (liveRaw: Obj, t: TypeRef, ctx: WriteContext): FieldSet => {
  const text = ((liveRaw.metadata as Obj | undefined)?.annotations as Record<string, unknown> | undefined)?.[LAST_APPLIED_ANNOTATION];
  if (typeof text !== "string" || text === "") return new FieldSet();
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return new FieldSet();
  }
  if (typeof last !== "object" || last === null || (last as Obj).apiVersion !== ctx.apiVersion) return new FieldSet();
  const set = toFieldSet(last, t);
  const cmp = compare(last, materialize(liveRaw, t), t);
  return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
};

/** JSON with sorted keys and a newline, as Go's encoder writes an unstructured object. */
const sortedJson = (v: unknown): string => {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (typeof x === "object" && x !== null) return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Obj)[k])]));
    return x;
  };
  return `${JSON.stringify(sort(v))}\n`;
};

export interface ApplyResult {
  /** The object to store (managedFields encoded); not yet defaulted or validated. */
  readonly object: Obj;
  /** False when the apply changed nothing in the object itself. */
  readonly changed: boolean;
}

/**
 * Server-side apply of `config` by `ctx.manager` onto `live` (undefined when
 * the object does not exist yet). Throws a 409 Conflict Status listing every
 * conflicting field unless `force`; 400 for configurations Kubernetes rejects.
 */
export const recordApply = (live: Obj | undefined, config: Obj, force: boolean, ctx: WriteContext): ApplyResult => {
  if (config.apiVersion !== ctx.apiVersion || config.kind !== ctx.kind) throw badRequest(`invalid object type: ${gvkString(config.apiVersion, config.kind)}`);
  const cfgMeta = config.metadata as Obj | undefined;
  if (cfgMeta && cfgMeta.managedFields !== undefined && cfgMeta.managedFields !== null) throw badRequest("metadata.managedFields must be nil");
  const t = rootType(ctx.kind);
  const managed = decodeOrEmpty(live ? metaOf(live).managedFields : undefined);
  const liveRaw = live ? withoutManagedFields(live) : {};
  const liveView = materialize(liveRaw, t);
  const sub = ctx.subresource ? { subresource: ctx.subresource } : {};
  if (managed.size === 0 && live !== undefined) {
    // Objects that predate field tracking: what exists belongs to "before-first-apply".
    update(managed, materialize({}, t), liveView, t, { manager: BEFORE_FIRST_APPLY, operation: "Update", apiVersion: ctx.apiVersion, ...sub }, ctx);
  }
  const applier = { manager: managerName(ctx.manager), operation: "Apply" as const, apiVersion: ctx.apiVersion, ...sub };
  const self = identity(applier);
  const last = managed.get(self);
  const applied = ownable(ctx)(toFieldSet(config, t));
  managed.set(self, { ...applier, ...(last?.time ? { time: last.time } : {}), set: applied });

  let merged = merge(liveRaw, config, t) as Obj;
  if (last && !last.set.isEmpty()) {
    // Prune: what this manager applied before, no longer applies, and nobody owns
    // (a map or struct still holding owned fields stays, as upstream's named-field rule keeps it).
    let owned = new FieldSet();
    for (const e of managed.values()) owned = owned.union(e.set);
    const stale = FieldSet.of(...last.set.difference(owned).paths().filter((p) => !owned.hasDescendants(p)));
    merged = (removeItems(merged, stale, t) as Obj | undefined) ?? {};
  }
  merged = dropNulls(merged) as Obj;

  const cmp = filterComparison(compare(liveView, materialize(merged, t), t), ownable(ctx));
  const attempt = new Map(managed);
  let conflicts = takeOwnership(attempt, self, cmp, force);
  if (!force && conflicts.size > 0) {
    const allowed = ctx.manager === KUBECTL ? allowedFromLastApplied(liveRaw, t, ctx) : new FieldSet();
    const remaining = new Map<string, FieldSet>();
    for (const [id, set] of conflicts) {
      const rest = set.difference(allowed);
      if (!rest.isEmpty()) remaining.set(id, rest);
    }
    if (remaining.size > 0) {
      const list: { manager: ManagerEntry; path: Path }[] = [];
      for (const id of [...remaining.keys()].sort()) for (const p of remaining.get(id)!.paths()) list.push({ manager: managed.get(id)!, path: p });
      throw conflictError(list);
    }
    conflicts = takeOwnership(attempt, self, cmp, true);
  }
  const mine = applied.difference(STRIP);
  const changed = !deepEqual(liveRaw, merged);
  if (mine.isEmpty()) attempt.delete(self);
  else attempt.set(self, { ...applier, ...(changed ? { time: ctx.now } : last?.time ? { time: last.time } : {}), set: mine });

  const liveAnnotations = (liveRaw.metadata as Obj | undefined)?.annotations as Record<string, string> | undefined;
  if (ctx.manager === KUBECTL && typeof liveAnnotations?.[LAST_APPLIED_ANNOTATION] === "string" && liveAnnotations[LAST_APPLIED_ANNOTATION] !== "") {
    // Keep client-side apply's record in step, so a later `kubectl apply` (client side) diffs against this configuration.
    const cfg = structuredClone(config);
    const annotations = (cfg.metadata as Obj | undefined)?.annotations as Obj | undefined;
    if (annotations) {
      delete annotations[LAST_APPLIED_ANNOTATION];
      if (Object.keys(annotations).length === 0) delete (cfg.metadata as Obj).annotations;
    }
    ((metaOf(merged).annotations ??= {}) as Obj)[LAST_APPLIED_ANNOTATION] = sortedJson(cfg);
  }
  const encoded = encodeManaged(attempt);
  if (encoded) metaOf(merged).managedFields = encoded;
  else delete metaOf(merged).managedFields;
  return { object: merged, changed };
};
