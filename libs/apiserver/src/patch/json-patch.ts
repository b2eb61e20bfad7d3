/**
 * RFC 6902 JSON Patch with the semantics and error wording of gopkg.in/evanphx/json-patch.v4, the library
 * the Kubernetes API server uses for `application/json-patch+json`:
 *  - a patch that is not an array of objects fails to decode → 400 (DecodePatch error);
 *  - any failure while applying → 422 (apiserver wraps it with http.StatusUnprocessableEntity);
 *  - v4 quirks kept on purpose: `replace` of a missing *object member* adds it (only a missing array index
 *    fails with "doc is missing key"), `test` of a missing member against `null` succeeds, negative array
 *    indices count from the end, an op without "value" uses null, `add` with path "" fails.
 */
import { PatchError, deepCopy, deepEqual, isObject, hasOwn, setOwn, type JsonObject } from "./util.ts";

/** Error while applying an operation (message is the Go error string). */
class ApplyError extends Error {}

const MISSING = "missing value";
const INVALID_INDEX = "invalid index referenced";
const TEST_FAILED = "test failed";

type Container = { kind: "doc"; v: JsonObject } | { kind: "ary"; v: unknown[] };

/** RFC 6901 token decoding, single pass like strings.NewReplacer("~1", "/", "~0", "~"). */
function decodeToken(t: string): string {
  return t.replace(/~[01]/g, (m) => (m === "~1" ? "/" : "~"));
}

/** strconv.Atoi */
function atoi(key: string): number {
  if (!/^[+-]?\d+$/.test(key)) throw new ApplyError(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  const n = Number(key);
  if (!Number.isSafeInteger(n)) throw new ApplyError(`strconv.Atoi: parsing ${JSON.stringify(key)}: value out of range`);
  return n === 0 ? 0 : n; // no -0
}

function invalidIndex(idx: number): ApplyError {
  return new ApplyError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
}

/** Resolve a (possibly negative) index for get/set/remove, where valid indices are [-len, len). */
function resolveIndex(key: string, len: number): number {
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -len) throw invalidIndex(idx);
    idx += len;
  }
  if (idx >= len) throw invalidIndex(idx);
  return idx;
}

function cGet(c: Container, key: string): unknown {
  if (c.kind === "doc") return hasOwn(c.v, key) ? c.v[key] : undefined;
  return c.v[resolveIndex(key, c.v.length)];
}

function cAdd(c: Container, key: string, val: unknown): void {
  if (c.kind === "doc") {
    setOwn(c.v, key, val);
    return;
  }
  if (key === "-") {
    c.v.push(val);
    return;
  }
  let idx: number;
  try {
    idx = atoi(key);
  } catch (e) {
    throw new ApplyError(`value was not a proper array index: '${key}': ${(e as Error).message}`);
  }
  const sz = c.v.length + 1;
  if (idx >= sz) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -sz) throw invalidIndex(idx);
    idx += sz;
  }
  c.v.splice(idx, 0, val);
}

function cSet(c: Container, key: string, val: unknown): void {
  if (c.kind === "doc") setOwn(c.v, key, val);
  else c.v[resolveIndex(key, c.v.length)] = val;
}

function cRemove(c: Container, key: string): void {
  if (c.kind === "doc") {
    if (!hasOwn(c.v, key)) throw new ApplyError(`Unable to remove nonexistent key: ${key}: ${MISSING}`);
    delete c.v[key];
    return;
  }
  c.v.splice(resolveIndex(key, c.v.length), 1);
}

function asContainer(v: unknown): Container | undefined {
  if (Array.isArray(v)) return { kind: "ary", v };
  if (isObject(v)) return { kind: "doc", v };
  return undefined;
}

/** findObject: walk every token but the last; undefined when any intermediate value is absent or a scalar. */
function findObject(root: Container, path: string): [Container, string] | undefined {
  const split = path.split("/");
  if (split.length < 2) return undefined;
  let doc: Container = root;
  for (const part of split.slice(1, -1)) {
    let next: unknown;
    try {
      next = cGet(doc, decodeToken(part));
    } catch {
      return undefined;
    }
    const c = asContainer(next);
    if (!c) return undefined;
    doc = c;
  }
  return [doc, decodeToken(split[split.length - 1]!)];
}

interface Op {
  raw: JsonObject;
  kind(): string;
  path(): string;
  from(): string;
  /** op.value(): undefined when the member is absent (Go nil lazyNode). */
  value(): unknown;
}

function stringField(raw: JsonObject, name: "path" | "from"): string {
  const v = raw[name];
  if (v === undefined || v === null) {
    throw new ApplyError(name === "path" ? `operation missing path field: ${MISSING}` : `operation, missing from field: ${MISSING}`);
  }
  if (typeof v !== "string") {
    throw new ApplyError(`json: cannot unmarshal ${goJsonKind(v)} into Go value of type string`);
  }
  return v;
}

function goJsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (isObject(v)) return "object";
  return typeof v === "boolean" ? "bool" : typeof v;
}

function makeOp(raw: JsonObject): Op {
  return {
    raw,
    kind: () => (typeof raw.op === "string" ? raw.op : "unknown"),
    path: () => stringField(raw, "path"),
    from: () => stringField(raw, "from"),
    value: () => (hasOwn(raw, "value") ? raw.value : undefined),
  };
}

function wrap(prefix: string, e: unknown): ApplyError {
  return new ApplyError(`${prefix}: ${(e as Error).message}`);
}

function opAdd(state: { doc: Container }, op: Op): void {
  let path: string;
  try {
    path = op.path();
  } catch {
    throw new ApplyError(`add operation failed to decode path: ${MISSING}`);
  }
  const found = findObject(state.doc, path);
  if (!found) throw new ApplyError(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
  try {
    cAdd(found[0], found[1], op.value() ?? null);
  } catch (e) {
    throw wrap(`error in add for path: '${path}'`, e);
  }
}

function opRemove(state: { doc: Container }, op: Op): void {
  let path: string;
  try {
    path = op.path();
  } catch {
    throw new ApplyError(`remove operation failed to decode path: ${MISSING}`);
  }
  const found = findObject(state.doc, path);
  if (!found) throw new ApplyError(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
  try {
    cRemove(found[0], found[1]);
  } catch (e) {
    throw wrap(`error in remove for path: '${path}'`, e);
  }
}

function opReplace(state: { doc: Container }, op: Op): void {
  let path: string;
  try {
    path = op.path();
  } catch (e) {
    throw wrap("replace operation failed to decode path", e);
  }
  if (path === "") {
    const c = asContainer(op.value());
    if (!c) throw new ApplyError("replace operation value must be object or array");
    state.doc = c;
    return;
  }
  const found = findObject(state.doc, path);
  if (!found) throw new ApplyError(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
  const [con, key] = found;
  try {
    cGet(con, key);
  } catch {
    throw new ApplyError(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
  }
  try {
    cSet(con, key, op.value() ?? null);
  } catch (e) {
    throw wrap(`error in remove for path: '${path}'`, e); // sic, upstream wording
  }
}

function opMove(state: { doc: Container }, op: Op): void {
  let from: string;
  try {
    from = op.from();
  } catch (e) {
    throw wrap("move operation failed to decode from", e);
  }
  const src = findObject(state.doc, from);
  if (!src) throw new ApplyError(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
  const [scon, skey] = src;
  let val: unknown;
  try {
    val = cGet(scon, skey);
    cRemove(scon, skey);
  } catch (e) {
    throw wrap(`error in move for path: '${skey}'`, e);
  }
  let path: string;
  try {
    path = op.path();
  } catch (e) {
    throw wrap("move operation failed to decode path", e);
  }
  const dst = findObject(state.doc, path);
  if (!dst) throw new ApplyError(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
  try {
    cAdd(dst[0], dst[1], val ?? null);
  } catch (e) {
    throw wrap(`error in move for path: '${path}'`, e);
  }
}

function opTest(state: { doc: Container }, op: Op): void {
  let path: string;
  try {
    path = op.path();
  } catch (e) {
    throw wrap("test operation failed to decode path", e);
  }
  const failed = () => new ApplyError(`testing value ${path} failed: ${TEST_FAILED}`);
  if (path === "") {
    if (deepEqual(state.doc.v, op.value())) return;
    throw failed();
  }
  const found = findObject(state.doc, path);
  if (!found) throw new ApplyError(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
  let val: unknown;
  try {
    val = cGet(found[0], found[1]);
  } catch (e) {
    throw wrap(`error in test for path: '${path}'`, e);
  }
  const want = op.value();
  if (val === undefined || val === null) {
    if (want === undefined || want === null) return;
    throw failed();
  }
  if (want === undefined) throw failed();
  if (!deepEqual(val, want)) throw failed();
}

function opCopy(state: { doc: Container }, op: Op): void {
  let from: string;
  try {
    from = op.from();
  } catch (e) {
    throw wrap("copy operation failed to decode from", e);
  }
  const src = findObject(state.doc, from);
  if (!src) throw new ApplyError(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
  let val: unknown;
  try {
    val = cGet(src[0], src[1]);
  } catch (e) {
    throw wrap(`error in copy for from: '${from}'`, e);
  }
  let path: string;
  try {
    path = op.path();
  } catch {
    throw new ApplyError(`copy operation failed to decode path: ${MISSING}`);
  }
  const dst = findObject(state.doc, path);
  if (!dst) throw new ApplyError(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
  try {
    cAdd(dst[0], dst[1], deepCopy(val) ?? null);
  } catch (e) {
    throw wrap("error while adding value during copy", e);
  }
}

/** Maximum number of operations the apiserver accepts in one JSON patch (maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    throw new PatchError(400, `json: cannot unmarshal ${goJsonKind(patch)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of patch) {
    if (!isObject(op) && op !== null) {
      throw new PatchError(400, `json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    // apiserver answers 413 RequestEntityTooLarge; the closest code this module can express is 422.
    throw new PatchError(422, `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  const root = asContainer(deepCopy(doc));
  if (!root) throw new PatchError(422, `json: cannot unmarshal ${goJsonKind(doc)} into Go value of type jsonpatch.partialDoc`);
  const state = { doc: root };
  for (const rawOp of deepCopy(patch) as (JsonObject | null)[]) {
    const op = makeOp(rawOp ?? {});
    try {
      switch (op.kind()) {
        case "add":
          opAdd(state, op);
          break;
        case "remove":
          opRemove(state, op);
          break;
        case "replace":
          opReplace(state, op);
          break;
        case "move":
          opMove(state, op);
          break;
        case "test":
          opTest(state, op);
          break;
        case "copy":
          opCopy(state, op);
          break;
        default:
          throw new ApplyError(`Unexpected kind: ${op.kind()}`);
      }
    } catch (e) {
      if (e instanceof ApplyError) throw new PatchError(422, e.message);
      throw e;
    }
  }
  return state.doc.v;
}
