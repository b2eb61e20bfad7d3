/**
 * Turning arbitrary actor data (events, context) into small, safe JSON:
 * Secret data redacted, functions / actor refs / class instances with
 * behaviour reduced to markers, cycles cut, and the result capped in size.
 */

export const REDACTED = "<redacted>";

export interface SanitizeOptions {
  /** Maximum nesting depth kept; deeper values become "<depth>". */
  readonly maxDepth?: number;
  /** Strings longer than this are cut (the record cap still applies). */
  readonly maxString?: number;
}

const isActorRefLike = (v: object): boolean =>
  typeof (v as { sessionId?: unknown }).sessionId === "string" && typeof (v as { send?: unknown }).send === "function";

const SECRET_FIELDS = new Set(["data", "stringData"]);

/**
 * A JSON-compatible deep copy of `value`. Any object with `kind: "Secret"`
 * keeps its metadata but its `data` / `stringData` become "<redacted>".
 */
export const sanitize = (value: unknown, opts: SanitizeOptions = {}): unknown => {
  const maxDepth = opts.maxDepth ?? 12;
  const maxString = opts.maxString ?? 4096;
  const ancestors = new Set<object>();
  const walk = (v: unknown, depth: number, inSecret: boolean): unknown => {
    switch (typeof v) {
      case "string":
        return v.length > maxString ? `${v.slice(0, maxString)}<truncated ${v.length - maxString} chars>` : v;
      case "number":
        return Number.isFinite(v) ? v : String(v);
      case "boolean":
        return v;
      case "bigint":
        return v.toString();
      case "undefined":
      case "function":
      case "symbol":
        return undefined;
    }
    if (v === null) return null;
    const obj = v as object;
    if (ancestors.has(obj)) return "<circular>";
    if (depth >= maxDepth) return "<depth>";
    if (isActorRefLike(obj)) return { actorRef: (obj as { id?: string }).id ?? (obj as { sessionId: string }).sessionId };
    if (obj instanceof Date) return obj.toISOString();
    if (obj instanceof Error) return { error: obj.name, message: obj.message };
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return `<${obj.byteLength} bytes>`;
    ancestors.add(obj);
    try {
      if (Array.isArray(obj)) return obj.map((x) => walk(x, depth + 1, false) ?? null);
      if (obj instanceof Map) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of obj) {
          const s = walk(x, depth + 1, false);
          if (s !== undefined) out[String(k)] = s;
        }
        return out;
      }
      if (obj instanceof Set) return [...obj].map((x) => walk(x, depth + 1, false) ?? null);
      const toJSON = (obj as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") return walk(toJSON.call(obj), depth, inSecret);
      const secret = inSecret || (obj as { kind?: unknown }).kind === "Secret";
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(obj)) {
        if (secret && SECRET_FIELDS.has(k)) {
          out[k] = REDACTED;
          continue;
        }
        const s = walk((obj as Record<string, unknown>)[k], depth + 1, false);
        if (s !== undefined) out[k] = s;
      }
      return out;
    } finally {
      ancestors.delete(obj);
    }
  };
  return walk(value, 0, false);
};

const encoder = new TextEncoder();
export const jsonBytes = (v: unknown): number => {
  const s = JSON.stringify(v);
  if (s === undefined) return 0;
  // Fast path: ASCII-only strings are their own byte length.
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s.length : encoder.encode(s).length;
};

export const truncatedMarker = (bytes: number): string => `<truncated ${bytes} bytes>`;

/**
 * Shrinks a sanitised JSON value until it serialises to at most `limit` bytes:
 * the largest fields are replaced, one at a time, by "<truncated N bytes>"
 * (recursing into a field when that alone keeps more information). Keys named
 * in `keep` (e.g. an event's `type`) are never replaced.
 */
export const fit = (value: unknown, limit: number, keep: ReadonlySet<string> = new Set()): unknown => {
  const size = jsonBytes(value);
  if (size <= limit) return value;
  if (value === null || typeof value !== "object") return truncatedMarker(size);
  const isArr = Array.isArray(value);
  const out: Record<string, unknown> | unknown[] = isArr ? [...(value as unknown[])] : { ...(value as Record<string, unknown>) };
  const entries = Object.keys(out)
    .filter((k) => isArr || !keep.has(k))
    .map((k) => ({ k, bytes: jsonBytes((out as Record<string, unknown>)[k]) }))
    .sort((a, b) => b.bytes - a.bytes);
  let total = size;
  for (const { k, bytes } of entries) {
    if (total <= limit) break;
    const marker = truncatedMarker(bytes);
    const saved = bytes - (marker.length + 2);
    if (saved <= 0) continue;
    const excess = total - limit;
    const child = (out as Record<string, unknown>)[k];
    // Keep the field's structure when shrinking it a little is enough.
    if (child !== null && typeof child === "object" && bytes - excess > 64) {
      const shrunk = fit(child, bytes - excess);
      const nb = jsonBytes(shrunk);
      (out as Record<string, unknown>)[k] = shrunk;
      total -= bytes - nb;
    } else {
      (out as Record<string, unknown>)[k] = marker;
      total -= saved;
    }
  }
  return total <= limit ? out : truncatedMarker(size);
};
