/**
 * The server side of SPDY/3.1 as Kubernetes' httpstream uses it (the
 * moby/spdystream library on the client): streams opened by the client with
 * SYN_STREAM and a header block (`streamtype`, `port`, `requestid`), answered
 * with SYN_REPLY; data frames with FIN for half-close; RST_STREAM; PINGs
 * echoed (client-go pings every few seconds); GOAWAY ends the connection.
 * Flow control is not enforced (spdystream does not either); SETTINGS,
 * HEADERS and WINDOW_UPDATE are read and ignored.
 *
 * Header blocks are zlib-compressed with one stream per direction per
 * connection, primed with the SPDY/3 dictionary, flushed with Z_SYNC_FLUSH.
 * Frames are handled in order through one promise chain because Node's zlib
 * streams answer asynchronously.
 */
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from "node:zlib";
import { SPDY3_DICTIONARY } from "./spdy-dictionary.ts";

const VERSION = 3;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const FLAG_FIN = 0x01;
/** RST_STREAM status: the stream is not wanted. */
export const RST_CANCEL = 5;

export type Headers = Record<string, string>;

export interface SpdyStream {
  readonly id: number;
  readonly headers: Headers;
  /** Data from the client; `fin` when it half-closed. */
  onData?: (data: Buffer) => void;
  onEnd?: () => void;
  onReset?: () => void;
}

const zlibBlock = (z: Inflate | Deflate, data: Buffer) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    const onError = (e: Error) => (z.off("data", onData), reject(e));
    z.on("data", onData);
    z.once("error", onError);
    z.write(data);
    z.flush(constants.Z_SYNC_FLUSH, () => {
      z.off("data", onData);
      z.off("error", onError);
      resolve(Buffer.concat(chunks));
    });
  });

export const parseHeaderBlock = (b: Buffer): Headers => {
  const out: Headers = {};
  let off = 0;
  const n = b.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < n; i++) {
    const nl = b.readUInt32BE(off);
    const name = b.subarray(off + 4, off + 4 + nl).toString("utf8");
    off += 4 + nl;
    const vl = b.readUInt32BE(off);
    const value = b.subarray(off + 4, off + 4 + vl).toString("utf8");
    off += 4 + vl;
    out[name.toLowerCase()] = value.split("\0")[0]!;
  }
  return out;
};

export const encodeHeaderBlock = (h: Headers): Buffer => {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  n.writeUInt32BE(Object.keys(h).length);
  parts.push(n);
  for (const [k, v] of Object.entries(h)) {
    for (const s of [k.toLowerCase(), v]) {
      const b = Buffer.from(s, "utf8");
      const l = Buffer.alloc(4);
      l.writeUInt32BE(b.length);
      parts.push(l, b);
    }
  }
  return Buffer.concat(parts);
};

const controlFrame = (type: number, flags: number, body: Buffer): Buffer => {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(body.length, 4);
  h[4] = flags;
  return Buffer.concat([h, body]);
};

export class SpdyConnection {
  private buf: Buffer = Buffer.alloc(0);
  private chain: Promise<void> = Promise.resolve();
  private readonly inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  private readonly deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
  private readonly streams = new Map<number, SpdyStream>();
  private closed = false;

  constructor(
    /** Writes bytes to the client; the callback fires once they left. */
    private readonly write: (b: Buffer, cb?: () => void) => void,
    /** A new stream from the client; set its handlers, then `reply`. */
    private readonly onStream: (s: SpdyStream) => void,
    private readonly onClose: () => void,
  ) {
    this.inflate.on("error", () => this.close());
    this.deflate.on("error", () => this.close());
  }

  /** Bytes from the client. */
  feed(data: Buffer): void {
    if (this.closed) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const frame = this.buf.subarray(0, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      this.chain = this.chain.then(() => this.frame(frame)).catch(() => this.close());
    }
  }

  /** SYN_REPLY (empty headers): the stream is accepted. */
  reply(s: SpdyStream): Promise<void> {
    return (this.chain = this.chain.then(async () => {
      const block = await zlibBlock(this.deflate, encodeHeaderBlock({}));
      const id = Buffer.alloc(4);
      id.writeUInt32BE(s.id);
      this.write(controlFrame(SYN_REPLY, 0, Buffer.concat([id, block])));
    }));
  }

  /** A data frame (split to stay under the 24-bit length); `fin` half-closes our side. */
  send(s: SpdyStream, data: Buffer, fin = false, cb?: () => void): void {
    // Behind any SYN_REPLY still being compressed: data must never overtake its stream's reply.
    this.chain = this.chain.then(() => this.sendNow(s, data, fin, cb));
  }

  private sendNow(s: SpdyStream, data: Buffer, fin: boolean, cb?: () => void): void {
    if (this.closed) return;
    const max = 0xffff;
    let off = 0;
    do {
      const part = data.subarray(off, off + max);
      off += part.length;
      const last = off >= data.length;
      const h = Buffer.alloc(8);
      h.writeUInt32BE(s.id & 0x7fffffff, 0);
      h.writeUInt32BE(part.length, 4);
      h[4] = last && fin ? FLAG_FIN : 0;
      this.write(Buffer.concat([h, part]), last ? cb : undefined);
    } while (off < data.length);
  }

  reset(s: SpdyStream, status = RST_CANCEL): void {
    this.chain = this.chain.then(() => this.resetNow(s, status));
  }

  private resetNow(s: SpdyStream, status: number): void {
    if (this.closed) return;
    const b = Buffer.alloc(8);
    b.writeUInt32BE(s.id, 0);
    b.writeUInt32BE(status, 4);
    this.write(controlFrame(RST_STREAM, 0, b));
    this.streams.delete(s.id);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.onReset?.();
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
    this.onClose();
  }

  private async frame(f: Buffer): Promise<void> {
    if (this.closed) return;
    const flags = f[4]!;
    const body = f.subarray(8);
    if (!(f[0]! & 0x80)) {
      const s = this.streams.get(f.readUInt32BE(0) & 0x7fffffff);
      if (!s) return;
      if (body.length) s.onData?.(body);
      if (flags & FLAG_FIN) s.onEnd?.();
      return;
    }
    const type = f.readUInt16BE(2);
    if (type === SYN_STREAM) {
      const id = body.readUInt32BE(0) & 0x7fffffff;
      const headers = parseHeaderBlock(await zlibBlock(this.inflate, body.subarray(10)));
      const s: SpdyStream = { id, headers };
      this.streams.set(id, s);
      this.onStream(s);
      if (flags & FLAG_FIN) s.onEnd?.();
    } else if (type === RST_STREAM) {
      const id = body.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      this.streams.delete(id);
      s?.onReset?.();
    } else if (type === PING) {
      this.write(f);
    } else if (type === GOAWAY) {
      this.close();
    } else if (type === 8) {
      // HEADERS: its block still advances the shared zlib stream.
      await zlibBlock(this.inflate, body.subarray(4));
    }
    // SETTINGS, WINDOW_UPDATE: nothing to do.
  }
}
