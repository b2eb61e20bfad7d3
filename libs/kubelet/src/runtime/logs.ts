/**
 * Container logs in the CRI log format, as containerd writes them and the
 * kubelet reads them: one record per line,
 *
 *   2024-01-02T03:04:05.123456789Z stdout F hello
 *
 * (`F` a full line, `P` a part of a line longer than 16 KiB). Files rotate
 * at a size limit as the kubelet's containerLogMaxSize/containerLogMaxFiles
 * (10 MiB, 5 files): `0.log` is current, `0.log.<stamp>` older ones.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync, fstatSync, readSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export const MAX_LOG_LINE = 16 * 1024;
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_LOG_MAX_FILES = 5;

const hrBase = process.hrtime.bigint();
const msBase = BigInt(Date.now()) * 1_000_000n;
/** Nanoseconds since the epoch from a monotonic clock anchored to wall time: strictly ordered within the process. */
const nowNs = () => msBase + (process.hrtime.bigint() - hrBase);
/** Go's RFC3339Nano (trailing zeros of the fraction trimmed). */
export const rfc3339Nano = (ns: bigint = nowNs()): string => {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, frac ? `.${frac}Z` : "Z");
};

export interface LogWriterOptions {
  readonly maxBytes?: number;
  readonly maxFiles?: number;
}

/** Appends a container's stdout/stderr to its log file; partial lines wait for their newline. Synchronous: a line is on disk when `write` returns. */
export class CriLogWriter {
  private fd: number;
  private size: number;
  private readonly pending: Record<"stdout" | "stderr", Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  private readonly maxBytes: number;
  private readonly maxFiles: number;

  constructor(
    readonly path: string,
    opts: LogWriterOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
    this.maxFiles = Math.max(1, opts.maxFiles ?? DEFAULT_LOG_MAX_FILES);
    this.fd = openSync(path, "a");
    this.size = fstatSync(this.fd).size;
  }

  write(stream: "stdout" | "stderr", chunk: Buffer): void {
    let buf = Buffer.concat([this.pending[stream], chunk]);
    for (;;) {
      const nl = buf.indexOf(10);
      if (nl < 0) break;
      this.emitLine(stream, buf.subarray(0, nl), "F");
      buf = buf.subarray(nl + 1);
    }
    while (buf.length > MAX_LOG_LINE) {
      this.emitLine(stream, buf.subarray(0, MAX_LOG_LINE), "P");
      buf = buf.subarray(MAX_LOG_LINE);
    }
    this.pending[stream] = Buffer.from(buf);
  }

  /** The process ended: a last line without newline is written as a full line. */
  close(): void {
    for (const s of ["stdout", "stderr"] as const) if (this.pending[s].length) this.emitLine(s, this.pending[s], "F");
    this.pending.stdout = this.pending.stderr = Buffer.alloc(0);
    closeSync(this.fd);
  }

  private emitLine(stream: string, content: Buffer, tag: "F" | "P"): void {
    const record = Buffer.concat([Buffer.from(`${rfc3339Nano()} ${stream} ${tag} `), content, Buffer.from("\n")]);
    if (this.size > 0 && this.size + record.length > this.maxBytes) this.rotate();
    writeSync(this.fd, record);
    this.size += record.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    // 20240102-030405.123456789: names sort in rotation order (the clock is monotonic, to the nanosecond).
    const ns = nowNs();
    const stamp = `${new Date(Number(ns / 1_000_000n)).toISOString().replace(/[-:]/g, "").replace("T", "-").replace(/\.\d{3}Z$/, "")}.${(ns % 1_000_000_000n).toString().padStart(9, "0")}`;
    let target = `${this.path}.${stamp}`;
    for (let i = 1; existsSync(target); i++) target = `${this.path}.${stamp}-${i}`;
    renameSync(this.path, target);
    const old = rotatedFiles(this.path);
    for (const f of old.slice(0, Math.max(0, old.length - (this.maxFiles - 1)))) rmSync(f, { force: true });
    this.fd = openSync(this.path, "a");
    this.size = 0;
  }
}

/** Rotated files of a log, oldest first (their stamps sort by time). */
export const rotatedFiles = (path: string): string[] => {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(`${base}.`))
    .sort()
    .map((n) => join(dir, n));
};

export interface LogRecord {
  /** The timestamp as written (RFC3339Nano). */
  readonly time: string;
  readonly ms: number;
  readonly stream: "stdout" | "stderr";
  /** A whole line (partial records joined), without its newline. */
  readonly content: Buffer;
}

/** Parses CRI log text into whole lines; `carry` holds a line still in parts. */
export const parseCriLog = (text: Buffer, carry: { parts?: Buffer[]; time?: string } = {}): LogRecord[] => {
  const out: LogRecord[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf(10, start);
    if (nl < 0) break;
    const line = text.subarray(start, nl);
    start = nl + 1;
    const s1 = line.indexOf(32);
    const s2 = line.indexOf(32, s1 + 1);
    const s3 = line.indexOf(32, s2 + 1);
    if (s1 < 0 || s2 < 0 || s3 < 0) continue; // not a CRI record: skipped, as the kubelet does
    const time = line.subarray(0, s1).toString();
    const stream = line.subarray(s1 + 1, s2).toString();
    const tag = line.subarray(s2 + 1, s3).toString();
    if (stream !== "stdout" && stream !== "stderr") continue;
    const content = line.subarray(s3 + 1);
    if (tag === "P") {
      (carry.parts ??= []).push(Buffer.from(content));
      carry.time ??= time;
      continue;
    }
    const whole = carry.parts ? Buffer.concat([...carry.parts, content]) : content;
    const t = carry.time ?? time;
    carry.parts = undefined;
    carry.time = undefined;
    out.push({ time: t, ms: Date.parse(t), stream, content: Buffer.from(whole) });
  }
  return out;
};

export interface LogReadOptions {
  readonly tailLines?: number;
  /** Only lines at or after this time (ms since the epoch). */
  readonly sinceMs?: number;
  readonly timestamps?: boolean;
  readonly limitBytes?: number;
  readonly follow?: boolean;
}

export const formatRecord = (r: LogRecord, timestamps: boolean | undefined): Buffer =>
  Buffer.concat([timestamps ? Buffer.from(`${r.time} `) : Buffer.alloc(0), r.content, Buffer.from("\n")]);

/**
 * Reads a container's log (rotated files, then the current one) and, with
 * `follow`, keeps reading new lines until `running()` turns false and the
 * file has nothing more, or `signal` aborts. `emit` gets formatted chunks;
 * resolves when done. `limitBytes` cuts the output (mid-line, as the kubelet).
 */
export const readCriLog = async (
  path: string,
  opts: LogReadOptions,
  emit: (chunk: Buffer) => void,
  running: () => boolean,
  signal?: AbortSignal,
  pollMs = 200,
): Promise<void> => {
  let budget = opts.limitBytes ?? Infinity;
  const send = (r: LogRecord): boolean => {
    if (opts.sinceMs !== undefined && r.ms < opts.sinceMs) return true;
    let b = formatRecord(r, opts.timestamps);
    if (b.length > budget) b = b.subarray(0, budget);
    budget -= b.length;
    if (b.length) emit(b);
    return budget > 0;
  };
  const files = [...rotatedFiles(path), ...(existsSync(path) ? [path] : [])];
  let records: LogRecord[] = [];
  const carry: { parts?: Buffer[]; time?: string } = {};
  let offset = 0;
  let ino = -1;
  for (const f of files) {
    let data: Buffer;
    try {
      data = readFileSync(f);
    } catch {
      continue;
    }
    if (f === path) {
      // Only whole lines count; the rest is read again when following.
      const last = data.lastIndexOf(10);
      offset = last + 1;
      data = data.subarray(0, offset);
      try {
        ino = statSync(path).ino;
      } catch {}
    }
    records.push(...parseCriLog(data, carry));
  }
  if (opts.sinceMs !== undefined) records = records.filter((r) => r.ms >= opts.sinceMs!);
  if (opts.tailLines !== undefined) records = opts.tailLines <= 0 ? [] : records.slice(-opts.tailLines);
  for (const r of records) if (!send(r)) return;
  if (!opts.follow) return;

  // Follow: poll the current file; a rotation (new inode) means the old file's rest is in the newest rotated file.
  for (;;) {
    if (signal?.aborted) return;
    const wasRunning = running();
    let st: { ino: number; size: number } | undefined;
    try {
      st = statSync(path);
    } catch {
      st = undefined;
    }
    if (st && ino !== -1 && st.ino !== ino) {
      const prev = rotatedFiles(path).at(-1);
      if (prev) for (const r of parseCriLog(readRange(prev, offset), carry)) if (!send(r)) return;
      offset = 0;
    }
    if (st) {
      ino = st.ino;
      if (st.size > offset) {
        const chunk = readRange(path, offset, st.size);
        const last = chunk.lastIndexOf(10);
        if (last >= 0) {
          offset += last + 1;
          for (const r of parseCriLog(chunk.subarray(0, last + 1), carry)) if (!send(r)) return;
          continue;
        }
      }
    }
    if (!wasRunning) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, pollMs);
      signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
  }
};

const readRange = (file: string, from: number, to?: number): Buffer => {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const end = to ?? fstatSync(fd).size;
    if (end <= from) return Buffer.alloc(0);
    const buf = Buffer.alloc(end - from);
    const n = readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
};
