/**
 * Decoding of Kubernetes protobuf request bodies
 * (`Content-Type: application/vnd.kubernetes.protobuf`), as kubectl ≥ 1.32
 * sends for `create namespace|deployment|configmap|...`, `autoscale` and
 * `auth can-i`.
 *
 * Body layout: the magic `k8s\0`, then a `runtime.Unknown`
 * {1 typeMeta{1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}
 * whose `raw` is the object in the k8s.io/api (gogo, proto2) encoding.
 *
 * The decoder is table driven (descriptors.generated.ts, produced by
 * gen-descriptors.ts from upstream generated.proto + types.go) and prints the
 * object the way Go's encoding/json prints the typed object kube-apiserver
 * would have decoded: `omitempty` scalars that are zero are left out, pointer
 * fields present on the wire are kept even when zero, non-pointer structs are
 * always printed (`"status": {}`), a zero `metav1.Time` is `null`, nil
 * non-omitempty slices and maps are `null`, map keys are sorted.
 */
import { FLAG, type FieldTuple } from "./descriptors.ts";
import { ITEMS_MESSAGES, KINDS, MESSAGES } from "./descriptors.generated.ts";
import { ProtobufDecodeError, readFields, type WireValue } from "./wire.ts";

export { ProtobufDecodeError } from "./wire.ts";

export const PROTOBUF_CONTENT_TYPE = "application/vnd.kubernetes.protobuf";

const MAGIC = [0x6b, 0x38, 0x73, 0x00] as const; // "k8s\0"
const MAX_DEPTH = 100;

const utf8 = new TextDecoder("utf-8");

/** True when the body starts with the Kubernetes protobuf magic bytes. */
export const hasProtobufMagic = (body: Uint8Array): boolean => MAGIC.every((b, i) => body[i] === b);

/** `apiVersion/kind` pairs the decoder has message descriptions for. */
export const supportedProtobufKinds = (): readonly { apiVersion: string; kind: string }[] =>
  Object.keys(KINDS).map((k) => {
    const i = k.lastIndexOf("/");
    return { apiVersion: k.slice(0, i), kind: k.slice(i + 1) };
  });

/**
 * Decodes a k8s protobuf envelope into the object's Kubernetes JSON form
 * (apiVersion and kind set from typeMeta). Throws ProtobufDecodeError with a
 * clear message for bad magic, truncated input, or a kind we have no message
 * description for.
 */
export function decodeKubernetesProtobuf(body: Uint8Array): Record<string, unknown> {
  return decodeEnvelope(body, 0);
}

/** Decodes the protobuf encoding of one object of the given kind (no envelope). */
export function decodeProtobufObject(apiVersion: string, kind: string, raw: Uint8Array): Record<string, unknown> {
  return decodeObject(apiVersion, kind, raw, 0);
}

const decodeEnvelope = (body: Uint8Array, depth: number): Record<string, unknown> => {
  if (body.length < MAGIC.length || !hasProtobufMagic(body)) {
    throw new ProtobufDecodeError(`not a Kubernetes protobuf body: missing the "k8s\\x00" magic prefix`);
  }
  const unknown = readFields(body.subarray(MAGIC.length));
  const typeMeta = readFields(lastBytes(unknown, 1, "runtime.Unknown", "typeMeta") ?? new Uint8Array());
  const apiVersion = str(lastBytes(typeMeta, 1, "runtime.TypeMeta", "apiVersion"));
  const kind = str(lastBytes(typeMeta, 2, "runtime.TypeMeta", "kind"));
  const raw = lastBytes(unknown, 2, "runtime.Unknown", "raw") ?? new Uint8Array();
  const contentEncoding = str(lastBytes(unknown, 3, "runtime.Unknown", "contentEncoding"));
  const contentType = str(lastBytes(unknown, 4, "runtime.Unknown", "contentType"));
  if (contentEncoding !== "") throw new ProtobufDecodeError(`unsupported runtime.Unknown contentEncoding "${contentEncoding}"`);
  if (!kind || !apiVersion) throw new ProtobufDecodeError("protobuf envelope has no apiVersion/kind in typeMeta");
  if (contentType !== "" && contentType !== PROTOBUF_CONTENT_TYPE) {
    if (/^application\/json\b/.test(contentType)) return { ...parseJSON(raw, "runtime.Unknown raw"), apiVersion, kind };
    throw new ProtobufDecodeError(`unsupported runtime.Unknown contentType "${contentType}"`);
  }
  return decodeObject(apiVersion, kind, raw, depth);
};

const decodeObject = (apiVersion: string, kind: string, raw: Uint8Array, depth: number): Record<string, unknown> => {
  const key = KINDS[`${apiVersion}/${kind}`];
  if (!key) throw new ProtobufDecodeError(`no protobuf message description for ${apiVersion} ${kind}; send it as application/json`);
  return { apiVersion, kind, ...(marshalMessage(key, raw, depth) as Record<string, unknown>) };
};

// --- field access -------------------------------------------------------------------

const describe = (w: WireValue): string => ["varint", "fixed64", "length-delimited", "", "", "fixed32"][w.wire] ?? String(w.wire);

const wrongWire = (msg: string, json: string, w: WireValue, want: string): ProtobufDecodeError =>
  new ProtobufDecodeError(`${msg}.${json}: wire type ${describe(w)}, expected ${want}`);

/** The bytes of a singular length-delimited field (last occurrence wins). */
const lastBytes = (fields: Map<number, WireValue[]>, no: number, msg: string, json: string): Uint8Array | undefined => {
  const list = fields.get(no);
  const w = list?.[list.length - 1];
  if (!w) return undefined;
  if (w.wire !== 2) throw wrongWire(msg, json, w, "length-delimited");
  return w.value;
};

const str = (b: Uint8Array | undefined): string => (b ? utf8.decode(b) : "");

const parseJSON = (b: Uint8Array, what: string): Record<string, unknown> => {
  try {
    return JSON.parse(utf8.decode(b)) as Record<string, unknown>;
  } catch {
    throw new ProtobufDecodeError(`${what} is neither protobuf nor JSON`);
  }
};

// --- scalars ------------------------------------------------------------------------

const VARINT_TYPES = new Set(["int32", "int64", "uint32", "uint64", "sint32", "sint64", "bool"]);
const I64_TYPES = new Set(["fixed64", "sfixed64", "double"]);
const I32_TYPES = new Set(["fixed32", "sfixed32", "float"]);

const isScalar = (type: string): boolean => VARINT_TYPES.has(type) || I64_TYPES.has(type) || I32_TYPES.has(type) || type === "string" || type === "bytes";

const toNumber = (v: bigint): number => Number(v);

const scalarValue = (type: string, w: WireValue, msg: string, json: string): unknown => {
  if (VARINT_TYPES.has(type)) {
    if (w.wire !== 0) throw wrongWire(msg, json, w, "varint");
    const v = w.value;
    switch (type) {
      case "bool":
        return v !== 0n;
      case "int32":
        return toNumber(BigInt.asIntN(32, v));
      case "int64":
        return toNumber(BigInt.asIntN(64, v));
      case "uint32":
        return toNumber(BigInt.asUintN(32, v));
      case "uint64":
        return toNumber(v);
      case "sint32":
      case "sint64":
        return toNumber((v >> 1n) ^ -(v & 1n));
    }
  }
  if (I64_TYPES.has(type) || I32_TYPES.has(type)) {
    const size = I64_TYPES.has(type) ? 8 : 4;
    if (w.wire !== (size === 8 ? 1 : 5)) throw wrongWire(msg, json, w, size === 8 ? "fixed64" : "fixed32");
    const view = new DataView(w.value.buffer, w.value.byteOffset, size);
    switch (type) {
      case "double":
        return view.getFloat64(0, true);
      case "float":
        return view.getFloat32(0, true);
      case "fixed64":
        return toNumber(view.getBigUint64(0, true));
      case "sfixed64":
        return toNumber(view.getBigInt64(0, true));
      case "fixed32":
        return view.getUint32(0, true);
      default:
        return view.getInt32(0, true);
    }
  }
  if (w.wire !== 2) throw wrongWire(msg, json, w, "length-delimited");
  return type === "bytes" ? Buffer.from(w.value).toString("base64") : utf8.decode(w.value);
};

/** Expands packed repeated numeric scalars (wire type 2) into single occurrences. */
const unpack = (type: string, list: readonly WireValue[]): WireValue[] => {
  const out: WireValue[] = [];
  for (const w of list) {
    if (w.wire !== 2 || type === "string" || type === "bytes") {
      out.push(w);
      continue;
    }
    const b = w.value;
    if (VARINT_TYPES.has(type)) {
      // Re-read the packed body as a sequence of varints.
      let pos = 0;
      while (pos < b.length) {
        let v = 0n;
        let shift = 0n;
        for (;;) {
          if (pos >= b.length) throw new ProtobufDecodeError("truncated packed varint");
          const byte = b[pos++]!;
          v |= BigInt(byte & 0x7f) << shift;
          if ((byte & 0x80) === 0) break;
          shift += 7n;
          if (shift > 63n) throw new ProtobufDecodeError("packed varint longer than 10 bytes");
        }
        out.push({ wire: 0, value: BigInt.asUintN(64, v) });
      }
    } else {
      const size = I64_TYPES.has(type) ? 8 : 4;
      if (b.length % size !== 0) throw new ProtobufDecodeError(`packed fixed${size * 8} field has ${b.length} bytes`);
      for (let i = 0; i < b.length; i += size) out.push({ wire: size === 8 ? 1 : 5, value: b.subarray(i, i + size) });
    }
  }
  return out;
};

/** Go's zero value for a singular scalar, as encoding/json prints it. */
const zeroScalar = (type: string): unknown => (type === "string" ? "" : type === "bool" ? false : type === "bytes" ? null : 0);

const isZeroScalar = (v: unknown): boolean => v === "" || v === 0 || v === false;

// --- messages -----------------------------------------------------------------------

/** Hand-written JSON forms of apimachinery types with custom MarshalJSON. */
const SPECIAL: Record<string, (fields: Map<number, WireValue[]>, depth: number) => unknown> = {
  "apis.meta.v1.Time": (f) => timestamp(f, false),
  "apis.meta.v1.MicroTime": (f) => timestamp(f, true),
  "apis.meta.v1.Duration": (f) => goDuration(lastInt(f, 1, "Duration", "duration")),
  "apis.meta.v1.FieldsV1": (f, depth) => rawJSON(lastBytes(f, 1, "FieldsV1", "Raw"), depth),
  "runtime.RawExtension": (f, depth) => rawJSON(lastBytes(f, 1, "RawExtension", "raw"), depth),
  "util.intstr.IntOrString": (f) => {
    const type = lastInt(f, 1, "IntOrString", "type");
    if (type === 1n) return str(lastBytes(f, 3, "IntOrString", "strVal"));
    if (type !== 0n) throw new ProtobufDecodeError(`IntOrString.type ${type} is neither 0 (int) nor 1 (string)`);
    return Number(BigInt.asIntN(32, lastInt(f, 2, "IntOrString", "intVal")));
  },
  // kubectl writes Quantity.String() (canonical form); a zero Quantity prints as "0".
  "api.resource.Quantity": (f) => str(lastBytes(f, 1, "Quantity", "string")) || "0",
};

const lastInt = (fields: Map<number, WireValue[]>, no: number, msg: string, json: string): bigint => {
  const list = fields.get(no);
  const w = list?.[list.length - 1];
  if (!w) return 0n;
  if (w.wire !== 0) throw wrongWire(msg, json, w, "varint");
  return w.value;
};

const GO_ZERO_TIME_UNIX = -62135596800n;

/** metav1.Time → RFC3339 (seconds), MicroTime → RFC3339 with microseconds; zero → null. */
const timestamp = (f: Map<number, WireValue[]>, micro: boolean): string | null => {
  if (f.size === 0) return null;
  const seconds = BigInt.asIntN(64, lastInt(f, 1, "Timestamp", "seconds"));
  const nanos = Number(BigInt.asIntN(32, lastInt(f, 2, "Timestamp", "nanos")));
  if (seconds === GO_ZERO_TIME_UNIX && nanos === 0) return null; // time.Time{} written explicitly
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) throw new ProtobufDecodeError(`timestamp ${seconds}s is out of range`);
  const iso = date.toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, "0")}Z` : `${iso}Z`;
};

/** Go's time.Duration.String(). */
export const goDuration = (raw: bigint): string => {
  const d = BigInt.asIntN(64, raw);
  if (d === 0n) return "0s";
  const neg = d < 0n;
  const u = neg ? -d : d;
  const frac = (v: bigint, digits: number): string => {
    const scale = 10n ** BigInt(digits);
    const f = (v % scale).toString().padStart(digits, "0").replace(/0+$/, "");
    return `${v / scale}${f ? `.${f}` : ""}`;
  };
  let s: string;
  if (u < 1000n) s = `${u}ns`;
  else if (u < 1_000_000n) s = `${frac(u, 3)}µs`;
  else if (u < 1_000_000_000n) s = `${frac(u, 6)}ms`;
  else {
    const totalSeconds = u / 1_000_000_000n;
    const secs = `${frac((totalSeconds % 60n) * 1_000_000_000n + (u % 1_000_000_000n), 9)}s`;
    const minutes = totalSeconds / 60n;
    if (minutes === 0n) s = secs;
    else if (minutes < 60n) s = `${minutes}m${secs}`;
    else s = `${minutes / 60n}h${minutes % 60n}m${secs}`;
  }
  return neg ? `-${s}` : s;
};

/** RawExtension / FieldsV1: the raw bytes are JSON (or a nested k8s protobuf object). */
const rawJSON = (raw: Uint8Array | undefined, depth: number): unknown => {
  if (!raw || raw.length === 0) return null;
  if (hasProtobufMagic(raw)) {
    return decodeEnvelope(raw, depth + 1);
  }
  try {
    return JSON.parse(utf8.decode(raw)) as unknown;
  } catch {
    throw new ProtobufDecodeError("RawExtension holds neither JSON nor a k8s protobuf object");
  }
};

const EMPTY = new Uint8Array();

/** Decodes the value of one message-typed occurrence list (occurrences merge, as in protobuf). */
const messageBytes = (list: readonly WireValue[], msg: string, json: string): Uint8Array => {
  for (const w of list) if (w.wire !== 2) throw wrongWire(msg, json, w, "length-delimited");
  if (list.length === 1) return list[0]!.value as Uint8Array;
  return Buffer.concat(list.map((w) => w.value as Uint8Array));
};

/** One value of `type` (scalar or message) from a single occurrence. */
const valueOf = (type: string, w: WireValue | undefined, msg: string, json: string, depth: number): unknown => {
  if (isScalar(type)) return w ? scalarValue(type, w, msg, json) : zeroScalar(type);
  if (w && w.wire !== 2) throw wrongWire(msg, json, w, "length-delimited");
  return marshalMessage(type, w ? w.value : EMPTY, depth + 1);
};

const marshalMessage = (key: string, bytes: Uint8Array, depth: number): unknown => {
  if (depth > MAX_DEPTH) throw new ProtobufDecodeError(`message nesting deeper than ${MAX_DEPTH} at ${key}`);
  const fields = readFields(bytes);
  const special = SPECIAL[key];
  if (special) return special(fields, depth);
  if (ITEMS_MESSAGES.has(key)) {
    // `type ExtraValue []string`: the JSON form is the bare list (nil → null).
    const list = unpack("string", fields.get(1) ?? []);
    return list.length === 0 ? null : list.map((w) => scalarValue("string", w, key, "items"));
  }
  const desc = MESSAGES[key];
  if (!desc) throw new ProtobufDecodeError(`no protobuf message description for ${key}`);
  const out: Record<string, unknown> = {};
  for (const field of desc) marshalField(out, key, field, fields.get(field[1]), depth);
  return out;
};

const marshalField = (out: Record<string, unknown>, msg: string, field: FieldTuple, list: WireValue[] | undefined, depth: number): void => {
  const [json, , type, flags] = field;
  const omitempty = (flags & FLAG.OMITEMPTY) !== 0;
  const pointer = (flags & FLAG.POINTER) !== 0;

  if (flags & FLAG.MAP) {
    const valueType = field[4]!;
    if (!list || list.length === 0) {
      if (!omitempty) out[json] = null;
      return;
    }
    const entries = new Map<string, unknown>();
    for (const w of list) {
      if (w.wire !== 2) throw wrongWire(msg, json, w, "length-delimited map entry");
      const entry = readFields(w.value);
      const k = entry.get(1);
      const v = entry.get(2);
      const keyValue = valueOf(type, k?.[k.length - 1], msg, `${json}.key`, depth);
      const value = isScalar(valueType) ? valueOf(valueType, v?.[v.length - 1], msg, `${json}.value`, depth) : valueOf(valueType, v ? { wire: 2, value: messageBytes(v, msg, json) } : undefined, msg, json, depth);
      // Go decodes a missing bytes map value as an empty slice.
      entries.set(String(keyValue), value === null && valueType === "bytes" ? "" : value);
    }
    const sorted: Record<string, unknown> = {};
    for (const k of [...entries.keys()].sort(goStringLess)) sorted[k] = entries.get(k);
    out[json] = sorted;
    return;
  }

  if (flags & FLAG.REPEATED) {
    const items = isScalar(type) ? unpack(type, list ?? []) : (list ?? []);
    if (items.length === 0) {
      if (!omitempty) out[json] = null;
      return;
    }
    out[json] = items.map((w) => valueOf(type, w, msg, json, depth));
    return;
  }

  if (isScalar(type)) {
    const w = list?.[list.length - 1];
    if (!w) {
      if (pointer || type === "bytes") {
        if (!omitempty) out[json] = null;
      } else if (!omitempty) out[json] = zeroScalar(type);
      return;
    }
    const v = scalarValue(type, w, msg, json);
    if (!pointer && omitempty && isZeroScalar(v)) return;
    out[json] = v;
    return;
  }

  // Message-typed field. Non-pointer structs are always printed (omitempty has no effect on them).
  if (!list || list.length === 0) {
    if (pointer) {
      if (!omitempty) out[json] = null;
      return;
    }
  }
  const value = marshalMessage(type, list && list.length > 0 ? messageBytes(list, msg, json) : EMPTY, depth + 1);
  if (flags & FLAG.INLINE) {
    if (value && typeof value === "object") Object.assign(out, value);
    return;
  }
  out[json] = value;
};

/** Go sorts map keys by byte order, not UTF-16 order. */
const goStringLess = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
