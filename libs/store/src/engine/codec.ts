/**
 * Log record format: `[u32 LE length][u32 LE crc32(payload)][payload]`, the
 * payload being JSON `{"rev":N,"type":"ADDED"|"MODIFIED"|"DELETED","key":K,"obj":{...}}`
 * (`obj` absent for DELETED). `rev` is always the first field, which lets the
 * torn-tail check recognise a record start cheaply.
 */
import { crc32 } from "node:zlib";
import { StoreError, type ChangeType } from "./types.ts";

export const HEADER_BYTES = 8;
const REV_MARK = Buffer.from('{"rev":');
/**
 * Where the object starts. Its first occurrence is the real one: `rev` is a
 * number, `type` a fixed word, and inside the JSON string of `key` every `"`
 * is escaped, so `,"obj":` cannot appear before it.
 */
const OBJ_MARK = Buffer.from(',"obj":');

export interface LogRecord {
  readonly rev: number;
  readonly type: ChangeType;
  readonly key: string;
  /** The object's JSON text, cut out of the record (never parsed here: the store keeps text). */
  readonly obj?: string;
}

/** Builds the payload text around an already-serialised object (so objects are stringified once). */
export function payloadText(rev: number, type: ChangeType, key: string, objText: string | undefined): string {
  const head = `{"rev":${rev},"type":"${type}","key":${JSON.stringify(key)}`;
  return objText === undefined ? head + "}" : `${head},"obj":${objText}}`;
}

/** The record of one write around the object's UTF-8 bytes (copied, not encoded again). */
export function encodeWrite(rev: number, type: ChangeType, key: string, obj: Buffer | undefined): Buffer {
  if (obj === undefined) return encodeRecord(payloadText(rev, type, key, undefined));
  const head = `{"rev":${rev},"type":"${type}","key":${JSON.stringify(key)},"obj":`;
  const headLen = Buffer.byteLength(head);
  const len = headLen + obj.length + 1;
  const buf = Buffer.allocUnsafe(HEADER_BYTES + len);
  buf.write(head, HEADER_BYTES, "utf8");
  obj.copy(buf, HEADER_BYTES + headLen);
  buf[HEADER_BYTES + len - 1] = 0x7d;
  buf.writeUInt32LE(len, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER_BYTES)), 4);
  return buf;
}

export function encodeRecord(payload: string): Buffer {
  const len = Buffer.byteLength(payload);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + len);
  buf.write(payload, HEADER_BYTES, "utf8");
  buf.writeUInt32LE(len, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER_BYTES)), 4);
  return buf;
}

export interface ScanResult {
  readonly records: LogRecord[];
  /** Byte offset just after the last valid record. */
  readonly validBytes: number;
  /** Set when bytes after `validBytes` do not form a valid record. */
  readonly damageAt?: number;
  /** True when a valid record was found after the damage: not a torn tail. */
  readonly validAfterDamage: boolean;
}

/** Decodes the record at `off`, or returns undefined if it is incomplete or invalid. */
function recordAt(buf: Buffer, off: number): { rec: LogRecord; next: number } | undefined {
  if (off + HEADER_BYTES > buf.length) return undefined;
  const len = buf.readUInt32LE(off);
  if (len === 0 || off + HEADER_BYTES + len > buf.length) return undefined;
  const payload = buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
  if (crc32(payload) !== buf.readUInt32LE(off + 4)) return undefined;
  const at = payload.indexOf(OBJ_MARK);
  let head: { rev?: unknown; type?: unknown; key?: unknown };
  try {
    head = JSON.parse(at < 0 ? payload.toString("utf8") : payload.toString("utf8", 0, at) + "}") as typeof head;
  } catch {
    return undefined;
  }
  if (typeof head.rev !== "number" || typeof head.key !== "string") return undefined;
  let obj: string | undefined;
  if (at >= 0) {
    // `{...},"obj":{...}}`: a fresh string of the object's bytes (a slice of a bigger string would keep all of it alive).
    if (payload[at + OBJ_MARK.length] !== 0x7b || payload[len - 1] !== 0x7d || payload[len - 2] !== 0x7d) return undefined;
    obj = payload.toString("utf8", at + OBJ_MARK.length, len - 1);
  }
  const rec: LogRecord = obj === undefined ? { rev: head.rev, type: head.type as ChangeType, key: head.key } : { rev: head.rev, type: head.type as ChangeType, key: head.key, obj };
  return { rec, next: off + HEADER_BYTES + len };
}

/** Looks for any valid record start after a damaged one (bounded, so a big torn tail stays cheap). */
function validRecordAfter(buf: Buffer, from: number): boolean {
  const natural = from + HEADER_BYTES <= buf.length ? from + HEADER_BYTES + buf.readUInt32LE(from) : -1;
  if (natural > from && natural < buf.length && recordAt(buf, natural)) return true;
  const end = Math.min(buf.length - HEADER_BYTES - REV_MARK.length, from + 4 * 1024 * 1024);
  for (let p = from + 1; p < end; p++) {
    // Cheap pre-check: every payload starts with `{"rev":`.
    if (buf[p + HEADER_BYTES] !== 0x7b) continue;
    if (buf.compare(REV_MARK, 0, REV_MARK.length, p + HEADER_BYTES, p + HEADER_BYTES + REV_MARK.length) !== 0) continue;
    if (recordAt(buf, p)) return true;
  }
  return false;
}

export function scanSegment(buf: Buffer): ScanResult {
  const records: LogRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    const r = recordAt(buf, off);
    if (!r) return { records, validBytes: off, damageAt: off, validAfterDamage: validRecordAfter(buf, off) };
    records.push(r.rec);
    off = r.next;
  }
  return { records, validBytes: off, validAfterDamage: false };
}

export const corrupt = (file: string, offset: number, why: string): StoreError =>
  new StoreError("Corrupt", `${file}: byte offset ${offset}: ${why}`, { file, offset });
