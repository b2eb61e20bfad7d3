/** Shared helpers for the patch module: error type, JSON value helpers, Go-style `%v` formatting. */

export class PatchError extends Error {
  readonly _tag = "PatchError";
  constructor(
    readonly code: 400 | 409 | 422,
    message: string,
  ) {
    super(message);
    this.name = "PatchError";
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function hasOwn(o: JsonObject, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Deep copy of a JSON value (objects, arrays, scalars). `undefined` object members are dropped. */
export function deepCopy<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => deepCopy(x)) as T;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) setOwn(out, k, deepCopy(x));
    return out as T;
  }
  return v;
}

/** Structural JSON equality; object key order is irrelevant. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!hasOwn(b, k) || !deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** JSON kind in the sense of Go's reflect.TypeOf on a decoded interface{}. */
export type JsonKind = "null" | "object" | "array" | "string" | "number" | "boolean";

export function kindOf(v: unknown): JsonKind {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "array";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    default:
      return "object";
  }
}

/** Go type names as printed by reflect.TypeOf(x).String() for decoded JSON. */
export function goTypeName(v: unknown): string {
  switch (kindOf(v)) {
    case "null":
      return "<nil>";
    case "object":
      return "map[string]interface {}";
    case "array":
      return "[]interface {}";
    case "string":
      return "string";
    case "number":
      return "float64";
    case "boolean":
      return "bool";
  }
}

/** Approximation of Go's `fmt.Sprintf("%v", x)` for decoded JSON (maps print with sorted keys). */
export function goFmt(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goFmt).join(" ")}]`;
  if (isObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goFmt(v[k])}`)
      .join(" ")}]`;
  }
  if (typeof v === "number") {
    if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
    return String(v).replace(/e\+?(-?)(\d)$/, (_m, s: string, d: string) => `e${s === "-" ? "-" : "+"}0${d}`);
  }
  return String(v);
}

/** Own-property write that is safe for the key "__proto__" (plain assignment would set the prototype). */
export function setOwn(o: JsonObject, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/** Own-property read (never falls through to Object.prototype). */
export function getOwn<T>(o: Readonly<Record<string, T>>, k: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
}
