/**
 * Strategic merge patch: a port of the *apply* side of k8s.io/apimachinery/pkg/util/strategicpatch/patch.go
 * (StrategicMergeMapPatch → mergeMap with MergeParallelList=true, IgnoreUnmatchedNulls=true).
 *
 * Directives: `$patch: replace|delete` on maps, `$patch: delete|replace` on list elements (`merge` is an error
 * upstream too), `$retainKeys`, `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`.
 *
 * Deliberate differences from upstream (which decodes into typed Go structs afterwards, so these are the
 * observable results there as well): values copied from the patch into the result are "cleaned" — directive
 * keys are dropped, list elements carrying `$patch` are dropped, and `null` members are dropped.
 *
 * Error codes: the sentinel errors the apiserver maps to 400/422 keep those codes; every other error (which
 * upstream surfaces as a 500 with the same message) is reported as 422.
 */
import { BUILTIN_KINDS, BUILTIN_TYPES, type FieldMeta, type SchemaTable } from "./schema.ts";
import { PatchError, deepCopy, getOwn, goFmt, goTypeName, hasOwn, isObject, kindOf, setOwn, type JsonObject, type JsonKind } from "./util.ts";

const DIRECTIVE_MARKER = "$patch";
const DELETE_DIRECTIVE = "delete";
const REPLACE_DIRECTIVE = "replace";
const MERGE_DIRECTIVE = "merge";
const RETAIN_KEYS_STRATEGY = "retainKeys";
const DELETE_FROM_PRIMITIVE_LIST_PREFIX = "$deleteFromPrimitiveList";
const RETAIN_KEYS_DIRECTIVE = "$retainKeys";
const SET_ELEMENT_ORDER_PREFIX = "$setElementOrder";

// Sentinel errors (k8s.io/apimachinery/pkg/util/mergepatch/errors.go) and their apiserver status codes.
const errBadPatchFormatForPrimitiveList = () => new PatchError(400, "invalid patch format of primitive list");
const errBadPatchFormatForRetainKeys = () => new PatchError(400, "invalid patch format of retainKeys");
const errBadPatchFormatForSetElementOrderList = () => new PatchError(400, "invalid patch format of setElementOrder list");
const errNoListOfLists = () => new PatchError(422, "lists of lists are not supported");
const errNoMergeKey = (m: unknown, k: string) => new PatchError(422, `map: ${goFmt(m)} does not contain declared merge key: ${k}`);
const errBadArgType = (expected: string, actual: unknown) =>
  new PatchError(422, `expected a ${expected}, but received a ${goTypeName(actual)}`);
const errBadPatchType = (t: unknown, m: unknown) => new PatchError(422, `unknown patch type: ${goFmt(t)} in map: ${goFmt(m)}`);
const MAP_T = "map[string]interface {}";
const SLICE_T = "[]interface {}";

/** Schema cursor: the table plus the struct type at this point (undefined = no metadata, i.e. atomic lists). */
interface Schema {
  readonly table: SchemaTable;
  readonly type: string | undefined;
}

function lookup(schema: Schema, key: string): { meta: FieldMeta | undefined; sub: Schema } {
  const fields = schema.type === undefined ? undefined : getOwn(schema.table, schema.type);
  const meta = fields === undefined ? undefined : getOwn(fields, key);
  return { meta, sub: { table: schema.table, type: meta?.t } };
}

/** extractRetainKeysPatchStrategy: returns the non-retainKeys strategy ("" when none). */
function otherStrategy(meta: FieldMeta | undefined): string {
  const strategies = meta?.s ? meta.s.split(",") : [];
  switch (strategies.length) {
    case 0:
      return "";
    case 1:
      return strategies[0] === RETAIN_KEYS_STRATEGY ? "" : strategies[0]!;
    case 2:
      if (strategies[0] === RETAIN_KEYS_STRATEGY) return strategies[1]!;
      if (strategies[1] === RETAIN_KEYS_STRATEGY) return strategies[0]!;
      throw new PatchError(422, `unexpected patch strategy: [${strategies.join(" ")}]`);
    default:
      throw new PatchError(422, `unexpected patch strategy: [${strategies.join(" ")}]`);
  }
}

function isDirectiveKey(k: string): boolean {
  return (
    k === DIRECTIVE_MARKER ||
    k === RETAIN_KEYS_DIRECTIVE ||
    k.startsWith(SET_ELEMENT_ORDER_PREFIX) ||
    k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
  );
}

const DROP = Symbol("drop");

/**
 * removeDirectives + discardNullValuesFromPatch: a map carrying `$patch` is dropped (DROP), other directive
 * keys and null members are removed, recursively.
 */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const c = clean(x);
      if (c !== DROP) out.push(c);
    }
    return out;
  }
  if (isObject(v)) {
    if (hasOwn(v, DIRECTIVE_MARKER)) return DROP;
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === null || x === undefined || isDirectiveKey(k)) continue;
      const c = clean(x);
      if (c !== DROP) setOwn(out, k, c);
    }
    return out;
  }
  return v;
}

/** Assign clean(value) to obj[k], deleting the key when the value is itself a directive map. */
function setCleaned(obj: JsonObject, k: string, value: unknown): void {
  const c = clean(value);
  if (c === DROP) delete obj[k];
  else setOwn(obj, k, c);
}

function handleDirectiveInMergeMap(directive: unknown, patch: JsonObject): JsonObject {
  if (directive === REPLACE_DIRECTIVE) {
    delete patch[DIRECTIVE_MARKER];
    return clean(patch) as JsonObject;
  }
  if (directive === DELETE_DIRECTIVE) return {};
  throw errBadPatchType(directive, patch);
}

/** extractKey: "<prefix>/<field>" → field. */
function extractKey(s: string, prefix: string): string {
  const i = s.indexOf("/");
  if (i < 0 || s.slice(0, i) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST_PREFIX) throw errBadPatchFormatForPrimitiveList();
    if (prefix === SET_ELEMENT_ORDER_PREFIX) throw errBadPatchFormatForSetElementOrderList();
    throw new PatchError(422, `fail to find unknown prefix "${prefix}" in ${s}`);
  }
  return s.slice(i + 1);
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (mergeKey === "") return left === right;
  if (!isObject(left)) throw errBadArgType(MAP_T, left);
  if (!isObject(right)) throw errBadArgType(MAP_T, right);
  if (!hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

/** Split a list into [non-delete items, `$patch: delete` items]. */
function extractToDeleteItems(l: readonly unknown[]): [unknown[], unknown[]] {
  const keep: unknown[] = [];
  const del: unknown[] = [];
  for (const v of l) {
    if (!isObject(v)) throw errBadArgType(MAP_T, v);
    if (hasOwn(v, DIRECTIVE_MARKER) && v[DIRECTIVE_MARKER] === DELETE_DIRECTIVE) del.push(v);
    else keep.push(v);
  }
  return [keep, del];
}

/** validatePatchWithSetOrderList */
function validatePatchWithSetOrderList(patchList: readonly unknown[], setOrderList: readonly unknown[], mergeKey: string): void {
  if (setOrderList.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey !== "" ? extractToDeleteItems(patchList)[0] : patchList;
  let p = 0;
  let s = 0;
  while (p < nonDelete.length && s < setOrderList.length) {
    const item = nonDelete[p];
    if (isObject(item) && hasOwn(item, DIRECTIVE_MARKER)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(item, setOrderList[s], mergeKey)) p++;
    s++;
  }
  if (p < nonDelete.length && s >= setOrderList.length) {
    throw new PatchError(
      422,
      `The order in patch list:\n${goFmt(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goFmt(setOrderList)}\n`,
    );
  }
}

/** Value used to identify an item: the merge key's value for maps, the item itself for scalars. */
function identity(item: unknown, mergeKey: string, isMap: boolean): unknown {
  if (!isMap) return item;
  return isObject(item) && hasOwn(item, mergeKey) ? item[mergeKey] : null;
}

function indexOf(l: readonly unknown[], val: unknown, mergeKey: string, isMap: boolean): number {
  const want = identity(val, mergeKey, isMap);
  for (let i = 0; i < l.length; i++) if (identity(l[i], mergeKey, isMap) === want) return i;
  return -1;
}

function normalizeSliceOrder(toSort: unknown[], order: readonly unknown[], mergeKey: string, isMap: boolean): unknown[] {
  let toDelete: unknown[] = [];
  if (isMap) {
    for (const list of [toSort, order]) {
      for (const item of list) {
        if (!isObject(item)) throw errBadArgType(MAP_T, item);
        if (!hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      }
    }
    [toSort, toDelete] = extractToDeleteItems(toSort);
  }
  const rank = (x: unknown) => {
    const i = indexOf(order, x, mergeKey, isMap);
    return i < 0 ? Number.POSITIVE_INFINITY : i;
  };
  const sorted = toSort
    .map((v, i) => ({ v, i, r: rank(v) }))
    .sort((a, b) => (a.r === b.r ? a.i - b.i : a.r < b.r ? -1 : 1))
    .map((x) => x.v);
  return sorted.concat(toDelete);
}

/**
 * mergeSortedSlice: interleave server-only items (left) into patch items (right) keeping each list's order; a
 * left item goes first only when both are present in the live order and it comes earlier there.
 */
function mergeSortedSlice(left: unknown[], right: unknown[], serverOrder: readonly unknown[], mergeKey: string, isMap: boolean): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexOf(serverOrder, left[i], mergeKey, isMap);
      const ri = indexOf(serverOrder, right[j], mergeKey, isMap);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function normalizeElementOrder(
  patch: unknown[],
  serverOnly: unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string,
  isMap: boolean,
): unknown[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, isMap);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, isMap);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, isMap);
}

function partitionPrimitives(original: readonly unknown[], partitionBy: readonly unknown[]): [unknown[], unknown[]] {
  const inPatch = new Set(partitionBy);
  const patch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of original) (inPatch.has(v) ? patch : serverOnly).push(v);
  return [patch, serverOnly];
}

function findMapInSlice(m: readonly unknown[], key: string, value: unknown): number {
  for (let i = 0; i < m.length; i++) {
    const v = m[i];
    if (!isObject(v)) throw new PatchError(422, `value for key ${i} is not a map`);
    if (hasOwn(v, key) && v[key] === value) return i;
  }
  return -1;
}

function partitionMaps(original: readonly unknown[], partitionBy: readonly unknown[], mergeKey: string): [unknown[], unknown[]] {
  const patch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of original) {
    if (!isObject(v)) throw errBadArgType(MAP_T, v);
    if (!hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    (findMapInSlice(partitionBy, mergeKey, v[mergeKey]) >= 0 ? patch : serverOnly).push(v);
  }
  return [patch, serverOnly];
}

function partition(merged: readonly unknown[], by: readonly unknown[], mergeKey: string): [unknown[], unknown[]] {
  return mergeKey === "" ? partitionPrimitives(merged, by) : partitionMaps(merged, by, mergeKey);
}

/** sliceElementType: all elements of all lists must share one kind, which must not be a list. */
function sliceElementKind(...slices: readonly (readonly unknown[])[]): JsonKind {
  let prev: JsonKind | undefined;
  for (const s of slices) {
    for (const v of s) {
      const k = kindOf(v);
      if (prev === undefined) {
        prev = k;
        if (k === "array") throw errNoListOfLists();
      } else if (prev !== k) {
        throw new PatchError(422, `list element types are not identical: ${goFmt(slices)}`);
      }
    }
  }
  if (prev === undefined) throw new PatchError(422, "no elements in any of the given slices");
  return prev;
}

function dedupe(s: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of s) if (!out.includes(v)) out.push(v);
  return out;
}

function deleteFromSlice(current: readonly unknown[], toDelete: readonly unknown[]): unknown[] {
  const del = new Set(toDelete);
  return current.filter((v) => !del.has(v));
}

/**
 * Model of the Go slice that backs the *live* list while mergeSlice works on it. Upstream deletes entries with
 * `append(original[:i], original[i+1:]...)` and appends new entries with `append(original, v)`, both of which
 * write into the caller's backing array whenever there is spare capacity. mergePatchIntoOriginal later uses
 * that same (now rewritten) array as the "server order" for `$setElementOrder`, which decides where
 * server-only items land. `backing` is the first len(live list) slots of that array.
 */
interface SliceView {
  readonly backing: unknown[];
  len: number;
}

function viewDelete(view: SliceView, idx: number): void {
  for (let i = idx; i < view.len - 1; i++) view.backing[i] = view.backing[i + 1];
  view.len--;
}

function viewAppend(view: SliceView, v: unknown): void {
  if (view.len < view.backing.length) view.backing[view.len] = v;
  view.len++;
}

/** mergeSliceWithSpecialElements: apply `$patch: delete|replace` list elements. */
function mergeSliceWithSpecialElements(view: SliceView, patch: readonly unknown[], mergeKey: string): [unknown[], unknown[], boolean] {
  const plain: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    const m = v as JsonObject;
    if (!hasOwn(m, DIRECTIVE_MARKER)) {
      plain.push(v);
      continue;
    }
    const t = m[DIRECTIVE_MARKER];
    if (t === DELETE_DIRECTIVE) {
      if (!hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
      for (;;) {
        const idx = findMapInSlice(view.backing.slice(0, view.len), mergeKey, m[mergeKey]);
        if (idx < 0) break;
        viewDelete(view, idx);
      }
    } else if (t === REPLACE_DIRECTIVE) {
      replace = true;
    } else if (t === MERGE_DIRECTIVE) {
      throw new PatchError(422, "merging lists cannot yet be specified in the patch");
    } else {
      throw errBadPatchType(t, m);
    }
  }
  if (replace) return [plain.map((x) => clean(x)).filter((x) => x !== DROP), [], true];
  return [view.backing.slice(0, view.len), plain, false];
}

function mergeSliceWithoutSpecialElements(
  original: unknown[],
  patch: readonly unknown[],
  mergeKey: string,
  schema: Schema,
  view: SliceView | undefined,
): unknown[] {
  for (const v of patch) {
    const m = v as JsonObject;
    if (!hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
    const idx = findMapInSlice(original, mergeKey, m[mergeKey]);
    if (idx >= 0) {
      original[idx] = mergeMap(original[idx] as JsonObject, m, schema);
      if (view && idx < view.len) view.backing[idx] = original[idx];
    } else {
      const c = clean(m);
      if (c !== DROP) {
        original.push(c);
        if (view) viewAppend(view, c);
      }
    }
  }
  return original;
}

function mergeSlice(
  original: unknown[],
  patch: unknown[],
  schema: Schema,
  mergeKey: string,
  isDeleteList: boolean,
  view?: SliceView,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const isMap = sliceElementKind(original, patch) === "object";
  let merged: unknown[];
  if (!isMap) {
    if (isDeleteList) return deleteFromSlice(original, patch);
    merged = dedupe([...original, ...patch]);
  } else {
    if (mergeKey === "") throw new PatchError(422, `cannot merge lists without merge key for ${schema.type ?? ""}`);
    const v: SliceView = view ?? { backing: [...original], len: original.length };
    let replaced: boolean;
    [original, patch, replaced] = mergeSliceWithSpecialElements(v, patch, mergeKey);
    merged = mergeSliceWithoutSpecialElements([...original], patch, mergeKey, schema, replaced ? undefined : v);
  }
  const [patchItems, serverOnly] = partition(merged, patch, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, patch, original, mergeKey, isMap);
}

function mergeSliceHandler(
  original: unknown,
  patch: unknown,
  schema: Schema,
  strategy: string,
  mergeKey: string,
  isDeleteList: boolean,
  view?: SliceView,
): unknown[] {
  if (!Array.isArray(original)) throw errBadArgType(SLICE_T, original);
  if (!Array.isArray(patch)) throw errBadArgType(SLICE_T, patch);
  if (strategy === MERGE_DIRECTIVE || isDeleteList) return mergeSlice(original, patch, schema, mergeKey, isDeleteList, view);
  return clean(patch) as unknown[];
}

function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const list = patch[RETAIN_KEYS_DIRECTIVE];
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(list)) throw errBadPatchFormatForRetainKeys();
  const keep = new Set<unknown>(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) || k.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    if (!keep.has(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** mergePatchIntoOriginal: process `$setElementOrder/<field>` together with `<field>`. */
function mergePatchIntoOriginal(original: JsonObject, patch: JsonObject, schema: Schema): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    const setOrder = patch[key];
    delete patch[key];
    if (!Array.isArray(setOrder)) throw errBadArgType(SLICE_T, setOrder);
    const originalKey = extractKey(key, SET_ELEMENT_ORDER_PREFIX);

    const foundOriginal = hasOwn(original, originalKey) && original[originalKey] !== null;
    const foundPatch = hasOwn(patch, originalKey) && patch[originalKey] !== null;
    const originalList = foundOriginal ? original[originalKey] : [];
    const patchList = foundPatch ? patch[originalKey] : [];
    if (!Array.isArray(originalList)) throw errBadArgType(SLICE_T, originalList);
    if (!Array.isArray(patchList)) throw errBadArgType(SLICE_T, patchList);

    const { meta, sub } = lookup(schema, originalKey);
    const strategy = otherStrategy(meta);
    const mergeKey = meta?.k ?? "";
    validatePatchWithSetOrderList(patchList, setOrder, mergeKey);

    // The live list as upstream sees it afterwards (see SliceView).
    const view: SliceView = { backing: [...originalList], len: originalList.length };
    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalList;
    else if (!foundOriginal && foundPatch) merged = clean(patchList) as unknown[];
    else if (foundOriginal && foundPatch) merged = mergeSliceHandler(originalList, patchList, sub, strategy, mergeKey, false, view);
    else continue;

    const [patchItems, serverOnly] = partition(merged, setOrder, mergeKey);
    const isMap = sliceElementKind(originalList, patchList) === "object";
    setOwn(original, originalKey, normalizeElementOrder(patchItems, serverOnly, setOrder, view.backing, mergeKey, isMap));
    delete patch[originalKey];
  }
}

/** mergeMap. Mutates and returns `original` (callers pass private copies). */
function mergeMap(original: JsonObject | undefined, patch: JsonObject, schema: Schema): JsonObject {
  if (hasOwn(patch, DIRECTIVE_MARKER)) return handleDirectiveInMergeMap(patch[DIRECTIVE_MARKER], patch);
  const orig: JsonObject = original ?? {};

  applyRetainKeysDirective(orig, patch);
  mergePatchIntoOriginal(orig, patch, schema);

  for (const [rawKey, patchV] of Object.entries(patch)) {
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
      k = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST_PREFIX);
      isDeleteList = true;
    }

    if (patchV === null || patchV === undefined) {
      delete orig[k];
      continue;
    }

    if (!hasOwn(orig, k) || kindOf(orig[k]) !== kindOf(patchV)) {
      if (!isDeleteList) setCleaned(orig, k, patchV);
      continue;
    }

    const { meta, sub } = lookup(schema, k);
    switch (kindOf(patchV)) {
      case "object": {
        const strategy = otherStrategy(meta);
        if (strategy !== REPLACE_DIRECTIVE) setOwn(orig, k, mergeMap(orig[k] as JsonObject, patchV as JsonObject, sub));
        else setCleaned(orig, k, patchV);
        break;
      }
      case "array":
        setOwn(orig, k, mergeSliceHandler(orig[k], patchV, sub, otherStrategy(meta), meta?.k ?? "", isDeleteList));
        break;
      default:
        setOwn(orig, k, patchV);
    }
  }
  return orig;
}

/**
 * Apply a strategic merge patch against an explicit schema table (exported for tests and for callers with
 * their own tables); `rootType` undefined means "no metadata": maps merge, every list is atomic.
 */
export function strategicMergeWithSchema(
  doc: Record<string, unknown>,
  patch: Record<string, unknown>,
  rootType: string | undefined,
  table: SchemaTable,
): Record<string, unknown> {
  if (!isObject(doc)) throw new PatchError(400, "invalid JSON document");
  if (!isObject(patch)) throw new PatchError(400, "invalid JSON document");
  return mergeMap(deepCopy(doc), deepCopy(patch), { table, type: rootType });
}

/** "Deployment", "apps/v1/Deployment", "apps/v1, Kind=Deployment", "Deployment.apps", "deployments"? → "Deployment". */
export function normalizeKind(kind: string): string {
  let k = kind.trim();
  const eq = k.lastIndexOf("Kind=");
  if (eq >= 0) k = k.slice(eq + 5);
  k = k.slice(k.lastIndexOf("/") + 1);
  if (k.includes(".")) {
    const parts = k.split(".");
    k = /^[A-Z]/.test(parts[0]!) ? parts[0]! : parts[parts.length - 1]!;
  }
  return k;
}

export function rootTypeForKind(kind: string): string | undefined {
  const k = normalizeKind(kind);
  return hasOwn(BUILTIN_KINDS, k) ? BUILTIN_KINDS[k] : undefined;
}

/** Strategic merge patch for built-in kinds; unknown kinds get map-merge / atomic-list semantics with directives. */
export function applyStrategicMergePatch(
  doc: Record<string, unknown>,
  patch: Record<string, unknown>,
  kind: string,
): Record<string, unknown> {
  return strategicMergeWithSchema(doc, patch, rootTypeForKind(kind), BUILTIN_TYPES);
}

/** Patch strategy of the list at `path` (field names; numeric segments such as list indices are skipped). */
export function listStrategy(
  kind: string,
  path: readonly string[],
): { mergeKey?: string; strategy: "merge" | "replace" | "merge-primitive" } {
  let type = rootTypeForKind(kind);
  const segs = path.filter((s) => !/^\d+$/.test(s));
  let meta: FieldMeta | undefined;
  for (let i = 0; i < segs.length; i++) {
    if (type === undefined) return { strategy: "replace" };
    const fields: Readonly<Record<string, FieldMeta>> = getOwn(BUILTIN_TYPES, type) ?? {};
    meta = getOwn(fields, segs[i]!);
    if (meta === undefined) return { strategy: "replace" };
    type = meta.t;
  }
  if (!meta?.s || !meta.s.split(",").includes(MERGE_DIRECTIVE)) return { strategy: "replace" };
  if (meta.l === 0 || meta.k === undefined) return { strategy: "merge-primitive" };
  return { mergeKey: meta.k, strategy: "merge" };
}
