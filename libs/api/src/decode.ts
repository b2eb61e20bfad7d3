/**
 * Wire decoding: JSON in, a plain object that matches the resource's schema
 * out, or field causes shaped like Kubernetes' so the API can answer 422/400.
 *
 * Decoding never drops data: unknown fields are preserved (the store keeps what
 * users send). JSON nulls in objects are removed first, as Go's decoder turns
 * them into zero values that are then omitted.
 */
import * as Either from "effect/Either";
import * as Option from "effect/Option";
import * as ParseResult from "effect/ParseResult";
import * as Schema from "effect/Schema";
import type * as AST from "effect/SchemaAST";
import { apiVersionOf, type ResourceInfo } from "./registry.ts";
import type { FieldCause } from "./status.ts";

export type DecodeResult = { ok: true; value: Record<string, unknown> } | { ok: false; causes: FieldCause[] };

/** A deep copy without null-valued object properties (array elements are kept). */
export const stripNulls = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
    return out;
  }
  return v;
};

/** JSON type name as the OpenAPI messages say it. */
export const jsonTypeOf = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v;

/** `"abc"`, `1.5`, `true`, or short JSON for objects — how field.Invalid prints a value. */
export const formatValue = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 256 ? `${s.slice(0, 253)}...` : s;
};

/** Path segments whose children are map keys (printed `[key]`, as field.Path.Key does). */
const MAP_FIELDS = new Set([
  "labels", "annotations", "matchLabels", "nodeSelector", "data", "binaryData", "stringData",
  "limits", "requests", "capacity", "allocatable", "overhead", "allocatedResources",
]);

/** Formats a path like field.Path: `spec.containers[0].ports[1].name`, `metadata.labels[app]`. */
export const formatPath = (path: readonly PropertyKey[], info?: ResourceInfo): string => {
  let out = "";
  path.forEach((seg, i) => {
    const prev = i > 0 ? path[i - 1] : undefined;
    const isMapKey =
      typeof seg === "string" &&
      typeof prev === "string" &&
      (MAP_FIELDS.has(prev) || (prev === "selector" && info?.kind === "Service" && path[0] === "spec"));
    if (typeof seg === "number" || isMapKey) out += `[${String(seg)}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  });
  return out;
};

const valueAt = (root: unknown, path: readonly PropertyKey[]): unknown => {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
};

/** "Expected number, actual x" → the OpenAPI type name Kubernetes would print. */
const expectedType = (message: string): string => {
  const m = /^Expected (.*?), actual /s.exec(message);
  const t = m?.[1] ?? "";
  if (t === "number" || t === "an integer" || t === "integer") return "integer";
  if (t === "string" || t === "boolean") return t;
  if (t.startsWith("ReadonlyArray") || t.startsWith("readonly [")) return "array";
  if (t.startsWith("{") || t.startsWith("Record")) return "object";
  return t || "object";
};

const decoders = new WeakMap<object, (u: unknown) => Either.Either<unknown, ParseResult.ParseError>>();
const decoderFor = (info: ResourceInfo) => {
  let d = decoders.get(info.schema);
  if (!d) {
    d = Schema.decodeUnknownEither(info.schema, { onExcessProperty: "preserve", errors: "all" });
    decoders.set(info.schema, d);
  }
  return d;
};

/**
 * A quick check that `u` decodes: true only when the effect decoder would
 * accept it (false also for shapes it does not know: the decoder then
 * decides, and words the errors). Objects are checked as the decoder checks
 * them with `onExcessProperty: "preserve"`: declared properties by type,
 * unknown ones kept; records by their value type; arrays item by item;
 * refinements (integers) by their own filter. Compiled once per schema.
 */
type Check = (u: unknown) => boolean;
const NEVER: Check = () => false;
const isPlainObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u);
const FILTER_OPTIONS: AST.ParseOptions = { errors: "all", onExcessProperty: "preserve" };

const compileCheck = (ast: AST.AST, memo: Map<AST.AST, Check>): Check => {
  const known = memo.get(ast);
  if (known) return known;
  // a recursive reference sees the final check through this indirection
  let compiled: Check = NEVER;
  memo.set(ast, (u) => compiled(u));
  compiled = compileNode(ast, memo);
  memo.set(ast, compiled);
  return compiled;
};

const compileNode = (ast: AST.AST, memo: Map<AST.AST, Check>): Check => {
  switch (ast._tag) {
    case "StringKeyword":
      return (u) => typeof u === "string";
    case "NumberKeyword":
      return (u) => typeof u === "number";
    case "BooleanKeyword":
      return (u) => typeof u === "boolean";
    case "UnknownKeyword":
    case "AnyKeyword":
      return () => true;
    case "UndefinedKeyword":
      return (u) => u === undefined;
    case "Literal": {
      const literal = ast.literal;
      return (u) => u === literal;
    }
    case "Refinement": {
      const from = compileCheck(ast.from, memo);
      return (u) => from(u) && Option.isNone(ast.filter(u, FILTER_OPTIONS, ast));
    }
    case "Union": {
      const members = ast.types.map((m) => compileCheck(m, memo));
      return (u) => members.some((m) => m(u));
    }
    case "TupleType": {
      // Schema.Array: no fixed elements, one rest type
      if (ast.elements.length > 0 || ast.rest.length !== 1) return NEVER;
      const item = compileCheck(ast.rest[0]!.type, memo);
      return (u) => Array.isArray(u) && u.every(item);
    }
    case "TypeLiteral": {
      const props = ast.propertySignatures;
      const index = ast.indexSignatures;
      if (props.some((p) => typeof p.name !== "string")) return NEVER;
      if (index.length > 0) {
        // Schema.Record({ key: String, value }) alone
        if (props.length > 0 || index.length !== 1 || index[0]!.parameter._tag !== "StringKeyword") return NEVER;
        const value = compileCheck(index[0]!.type, memo);
        return (u) => {
          if (!isPlainObject(u)) return false;
          for (const k in u) if (Object.hasOwn(u, k) && !value(u[k])) return false;
          return true;
        };
      }
      if (props.length === 0) return (u) => u !== null && u !== undefined;
      const checks = props.map((p) => ({ name: p.name as string, optional: p.isOptional, check: compileCheck(p.type, memo) }));
      return (u) => {
        if (!isPlainObject(u)) return false;
        for (const p of checks) {
          if (!Object.hasOwn(u, p.name)) {
            if (!p.optional) return false;
            continue;
          }
          if (!p.check(u[p.name])) return false;
        }
        return true;
      };
    }
    default:
      return NEVER; // transformations, declarations, ...: the decoder decides
  }
};

const quickChecks = new WeakMap<object, Check>();
const quickCheckFor = (info: ResourceInfo): Check => {
  let c = quickChecks.get(info.schema);
  if (!c) quickChecks.set(info.schema, (c = compileCheck(info.schema.ast, new Map())));
  return c;
};

/**
 * Decodes a request body for `info`. On success `value` is a null-stripped deep
 * copy of the input (key order and unknown fields kept). On failure every type
 * error becomes a `FieldValueTypeInvalid` cause and every missing required
 * field a `FieldValueRequired` one. A present apiVersion/kind must name `info`.
 */
export function decodeObject(info: ResourceInfo, json: unknown): DecodeResult {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return {
      ok: false,
      causes: [{ reason: "FieldValueTypeInvalid", field: "<root>", message: `Invalid value: ${formatValue(json)}: body must be of type object: "${jsonTypeOf(json)}"` }],
    };
  }
  const input = stripNulls(json) as Record<string, unknown>;
  // A ControllerRevision's data is a RawExtension: kube keeps its bytes as sent, nulls included (kubectl compares them).
  // `data: null` itself is no extension at all, as for any other field.
  const data = (json as Record<string, unknown>)["data"];
  if (info.kind === "ControllerRevision" && data !== undefined && data !== null) input["data"] = structuredClone(data);
  const causes: FieldCause[] = [];
  const apiVersion = input["apiVersion"];
  const kind = input["kind"];
  if (typeof apiVersion === "string" && apiVersion !== apiVersionOf(info)) {
    causes.push({
      reason: "FieldValueInvalid",
      field: "apiVersion",
      message: `Invalid value: ${formatValue(apiVersion)}: must be ${apiVersionOf(info)}`,
    });
  }
  if (typeof kind === "string" && kind !== info.kind) {
    causes.push({
      reason: "FieldValueInvalid",
      field: "kind",
      message: `Invalid value: ${formatValue(kind)}: ${kind} in version "${info.version}" cannot be handled as a ${info.kind}`,
    });
  }
  if (causes.length === 0 && quickCheckFor(info)(input)) return { ok: true, value: input };
  const result = decoderFor(info)(input);
  if (Either.isLeft(result)) {
    const seen = new Set<string>();
    for (const issue of ParseResult.ArrayFormatter.formatErrorSync(result.left)) {
      // Optional fields add "Expected undefined" twins of every error; the real one comes first.
      if (issue.message.startsWith("Expected undefined")) continue;
      const field = formatPath(issue.path, info);
      if (seen.has(field)) continue;
      seen.add(field);
      if (issue._tag === "Missing") {
        causes.push({ reason: "FieldValueRequired", field, message: "Required value" });
        continue;
      }
      const actual = valueAt(input, issue.path);
      causes.push({
        reason: "FieldValueTypeInvalid",
        field,
        message: `Invalid value: ${formatValue(actual)}: ${field} in body must be of type ${expectedType(issue.message)}: "${jsonTypeOf(actual)}"`,
      });
    }
  }
  return causes.length > 0 ? { ok: false, causes } : { ok: true, value: input };
}
