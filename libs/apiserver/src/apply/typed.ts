/**
 * The structured-merge-diff operations on JSON values with a type
 * (sigs.k8s.io/structured-merge-diff/typed): the field set an applied
 * configuration claims, the comparison of two objects, the merge of a
 * configuration into a live object, and the removal of a set of fields.
 * Pure functions; inputs are never mutated.
 */
import { badRequest } from "@kubeactor/api";
import { FieldSet, fieldPE, keyPE, type Json, type Path, type PathElement, type PathNode, pathString, serializePE } from "./fieldpath.ts";
import { elemType, fieldType, listTypeOf, presentFields, type ListType, type TypeRef } from "./schema.ts";

type Value = unknown;
type Obj = Record<string, unknown>;

const isObj = (v: Value): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isEmptyMap = (v: Value) => v === null || v === undefined || (isObj(v) && Object.keys(v).length === 0);
const isEmptyList = (v: Value) => v === null || v === undefined || (Array.isArray(v) && v.length === 0);

export const deepEqual = (a: Value, b: Value): boolean => {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a)) {
    if (!isObj(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
};

/** The path element of a list item: its key fields (defaults filled in) or, in a set, its value. */
export const itemPE = (item: Value, lt: ListType, path: Path): PathElement => {
  if (lt.kind === "set") {
    if (isObj(item) || Array.isArray(item) || item === null) throw badRequest(`${pathString(path)}: associative list without keys has an element that's not a scalar`);
    return { value: item as Json };
  }
  if (lt.kind !== "map") throw new Error("invalid indexing of non-associative list");
  if (!isObj(item)) throw badRequest(`${pathString(path)}: associative list with keys may not have non-map elements`);
  const fields: [string, Json][] = [];
  for (const k of lt.keys) {
    if (Object.hasOwn(item, k) && item[k] !== undefined) fields.push([k, item[k] as Json]);
    else if (Object.hasOwn(lt.defaults, k)) fields.push([k, lt.defaults[k]!]);
  }
  if (fields.length === 0) {
    throw badRequest(`${pathString(path)}: associative list with keys has an element that omits all key fields ${JSON.stringify(lt.keys)} (and doesn't have default values for any key fields)`);
  }
  return keyPE(fields);
};

const isAtomicList = (t: TypeRef) => t.atomic === true || listTypeOf(t).kind === "atomic";

/**
 * The fields a configuration sets (TypedValue.ToFieldSet): every scalar,
 * every atomic list or map, every list item, and struct fields whose value is
 * null or `{}`. Duplicate keys in an applied list are a 400, as upstream.
 */
export const toFieldSet = (value: Value, t: TypeRef): FieldSet => {
  const set = new FieldSet();
  const walk = (v: Value, type: TypeRef, path: PathElement[]) => {
    if (Array.isArray(v)) {
      if (isAtomicList(type)) {
        set.insert(path);
        return;
      }
      const lt = listTypeOf(type);
      const seen = new Set<string>();
      for (const item of v) {
        const pe = itemPE(item, lt, path);
        const id = serializePE(pe);
        if (seen.has(id)) throw badRequest(`.${path.map((p) => ("field" in p ? p.field : "")).join(".")}: duplicate entries for key ${pathString([pe])}`);
        seen.add(id);
        const p = [...path, pe];
        walk(item, elemType(type), p);
        set.insert(p);
      }
      return;
    }
    if (isObj(v)) {
      if (type.atomic) {
        set.insert(path);
        return;
      }
      for (const [k, child] of Object.entries(v)) {
        if (child === undefined) continue;
        const p = [...path, fieldPE(k)];
        walk(child, fieldType(type, k), p);
        if (child === null || (isObj(child) && Object.keys(child).length === 0)) set.insert(p);
      }
      return;
    }
    set.insert(path);
  };
  walk(value, t, []);
  return set;
};

export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/** Indexes list items by path element; later duplicates and items without a key are ignored (compare tolerates them). */
const indexItems = (list: readonly Value[], lt: ListType): { order: { pe: PathElement; id: string }[]; items: Map<string, Value> } => {
  const order: { pe: PathElement; id: string }[] = [];
  const items = new Map<string, Value>();
  for (const item of list) {
    let pe: PathElement;
    try {
      pe = itemPE(item, lt, NO_PATH);
    } catch {
      continue;
    }
    const id = serializePE(pe);
    if (items.has(id)) continue;
    items.set(id, item);
    order.push({ pe, id });
  }
  return { order, items };
};
const NO_PATH: Path = [];

/** What changed from `lhs` to `rhs` (TypedValue.Compare): leaves and whole maps/items that appeared or vanished. */
export const compare = (lhs: Value, rhs: Value, t: TypeRef): Comparison => {
  const cmp = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const leaf = (l: Value, r: Value, at: PathNode | undefined) => {
    if (l === undefined) cmp.added.insertNode(at);
    else if (r === undefined) cmp.removed.insertNode(at);
    else if (!deepEqual(l, r)) cmp.modified.insertNode(at);
  };
  const node = (l: Value, r: Value, type: TypeRef, at: PathNode | undefined) => {
    if (l === undefined && r === undefined) return;
    const either = r === undefined ? l : r;
    if (Array.isArray(either) && (l === undefined || l === null || Array.isArray(l)) && (r === undefined || r === null || Array.isArray(r))) {
      if (isAtomicList(type) || (isEmptyList(l) && isEmptyList(r))) return leaf(l, r, at);
      const lt = listTypeOf(type);
      const li = indexItems((l ?? []) as Value[], lt);
      const ri = indexItems((r ?? []) as Value[], lt);
      const elem = elemType(type);
      for (const { pe, id } of li.order) node(li.items.get(id), ri.items.get(id), elem, { parent: at, pe, id });
      for (const { pe, id } of ri.order) if (!li.items.has(id)) node(undefined, ri.items.get(id), elem, { parent: at, pe, id });
    } else if (isObj(either) && (l === undefined || l === null || isObj(l)) && (r === undefined || r === null || isObj(r))) {
      if (type.atomic || (isEmptyMap(l) && isEmptyMap(r))) return leaf(l, r, at);
      const lo = (l ?? {}) as Obj;
      const ro = (r ?? {}) as Obj;
      for (const k in lo) if (Object.hasOwn(lo, k)) node(lo[k], ro[k], fieldType(type, k), { parent: at, pe: fieldPE(k), id: `f:${k}` });
      for (const k in ro) if (Object.hasOwn(ro, k) && !Object.hasOwn(lo, k)) node(undefined, ro[k], fieldType(type, k), { parent: at, pe: fieldPE(k), id: `f:${k}` });
    } else return leaf(l, r, at);
    if (l === undefined) cmp.added.insertNode(at);
    else if (r === undefined) cmp.removed.insertNode(at);
  };
  node(lhs, rhs, t, undefined);
  return cmp;
};

/**
 * `config` merged into `live` (TypedValue.Merge): the configuration wins on
 * every leaf; maps merge key by key; associative lists merge item by item,
 * keeping live-only items in place and shared items in the configuration's
 * order; atomic lists are replaced.
 */
export const merge = (live: Value, config: Value, t: TypeRef): Value => {
  const node = (l: Value, r: Value, type: TypeRef, path: Path): Value => {
    if (r === undefined) return l;
    if (l === undefined || l === null || r === null) return structuredClone(r);
    if (Array.isArray(l) && Array.isArray(r)) {
      if (isAtomicList(type) || (l.length === 0 && r.length === 0)) return structuredClone(r);
      return mergeList(l, r, type, path);
    }
    if (isObj(l) && isObj(r)) {
      if (type.atomic || (Object.keys(l).length === 0 && Object.keys(r).length === 0)) return structuredClone(r);
      const out: Obj = {};
      for (const k of Object.keys(l)) out[k] = Object.hasOwn(r, k) ? node(l[k], r[k], fieldType(type, k), [...path, fieldPE(k)]) : structuredClone(l[k]);
      for (const k of Object.keys(r)) if (!Object.hasOwn(l, k)) out[k] = structuredClone(r[k]);
      return out;
    }
    return structuredClone(r);
  };
  const mergeList = (l: Value[], r: Value[], type: TypeRef, path: Path): Value[] => {
    const lt = listTypeOf(type);
    const rPEs: PathElement[] = [];
    const rItems = new Map<string, Value>();
    for (const item of r) {
      const pe = itemPE(item, lt, path);
      const id = serializePE(pe);
      if (rItems.has(id)) throw badRequest(`${pathString(path)}: duplicate entries for key ${pathString([pe])}`);
      rItems.set(id, item);
      rPEs.push(pe);
    }
    const lIdx = indexItems(l, lt);
    const lPEs = lIdx.order.map((o) => o.pe);
    const shared = rPEs.filter((pe) => lIdx.items.has(serializePE(pe)));
    let nextShared = shared.shift();
    const merged = new Set<string>();
    const out: Value[] = [];
    const take = (pe: PathElement) => {
      const id = serializePE(pe);
      const v = node(lIdx.items.get(id), rItems.get(id), elemType(type), [...path, pe]);
      if (v !== undefined) out.push(v);
    };
    for (let li = 0, ri = 0; li < lPEs.length || ri < rPEs.length; ) {
      if (li < lPEs.length && ri < rPEs.length) {
        const lpe = lPEs[li]!;
        const lid = serializePE(lpe);
        if (lid === serializePE(rPEs[ri]!)) {
          merged.add(lid);
          take(lpe);
          li++;
          ri++;
          nextShared = shared.shift();
          continue;
        }
        if (rItems.has(lid) && nextShared !== undefined && serializePE(nextShared) !== lid) {
          li++;
          continue;
        }
      }
      if (li < lPEs.length) {
        const lid = serializePE(lPEs[li]!);
        if (!rItems.has(lid)) {
          out.push(structuredClone(lIdx.items.get(lid)));
          li++;
          continue;
        } else if (merged.has(lid)) li++;
      }
      if (ri < rPEs.length) {
        const pe = rPEs[ri]!;
        merged.add(serializePE(pe));
        take(pe);
        ri++;
        if (nextShared !== undefined && serializePE(nextShared) === serializePE(pe)) nextShared = shared.shift();
      }
    }
    return out;
  };
  return node(live, config, t, []);
};

/** `value` without the fields in `set` (TypedValue.RemoveItems); a map or list emptied by the removal disappears. */
export const removeItems = (value: Value, set: FieldSet, t: TypeRef): Value => {
  if (set.isEmpty()) return value;
  if (Array.isArray(value)) {
    if (value.length === 0 || isAtomicList(t)) return value;
    const lt = listTypeOf(t);
    const out: Value[] = [];
    for (const item of value) {
      let pe: PathElement;
      try {
        pe = itemPE(item, lt, []);
      } catch {
        out.push(item);
        continue;
      }
      if (set.hasMember(pe)) continue;
      const sub = set.withPrefix(pe);
      const kept = sub.isEmpty() ? item : removeItems(item, sub, elemType(t));
      if (kept !== undefined) out.push(kept);
    }
    return out.length > 0 ? out : undefined;
  }
  if (isObj(value)) {
    if (Object.keys(value).length === 0 || t.atomic) return value;
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      const pe = fieldPE(k);
      if (set.hasMember(pe)) continue;
      const sub = set.withPrefix(pe);
      const kept = sub.isEmpty() ? v : removeItems(v, sub, fieldType(t, k));
      if (kept !== undefined) out[k] = kept;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value;
};

/**
 * The object as Kubernetes' typed view sees it: Go serializes non-pointer
 * struct fields even when empty, so they are never "added" by a write.
 * Used only for comparisons; stored objects are not changed.
 */
export const materialize = (value: Value, t: TypeRef, isRoot = true): Value => {
  if (Array.isArray(value)) return value.map((item) => materialize(item, elemType(t), false));
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) out[k] = materialize(v, fieldType(t, k), false);
  for (const [f, ft] of presentFields(t, isRoot)) {
    if (ft === null) out[f] ??= null;
    else if (out[f] === undefined || out[f] === null) out[f] = materialize({}, ft, false);
  }
  return out;
};

/** Drops `null` members (a merged `field: null` means "unset", as Go's decoding makes it). */
export const dropNulls = (value: Value): Value => {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = dropNulls(v);
  return out;
};
