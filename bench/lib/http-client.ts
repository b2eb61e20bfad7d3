/**
 * A lean keep-alive HTTP/1.1 client for the benchmarks, in the spirit of wrk
 * and autocannon: one `net` socket per concurrent client, the request written
 * as one string per operation, and a small response parser (Content-Length
 * and chunked bodies). node:http's `request()` costs the load generator about
 * 0.09 CPU-ms per request on this machine, CPU taken from the very servers it
 * measures when they share the cores; this client costs a fraction of that.
 * It speaks only what the benchmarks need: no redirects, no TLS, no
 * pipelining (one request in flight per socket, as a closed-loop client has).
 */
import { connect, type Socket } from "node:net";

export interface HttpReply {
  readonly status: number;
  readonly body: Buffer;
}

const EMPTY = Buffer.alloc(0);
const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");

/**
 * Parses responses from the bytes of one connection, in order. Pure logic:
 * `push` takes whatever arrived and returns every response now complete;
 * bytes of a response not yet complete stay buffered. `end` is the
 * connection's close (a response without a length ends there).
 */
export class ResponseParser {
  private buf: Buffer = EMPTY;
  /** Set once the head of the current response is parsed. */
  private status = 0;
  private mode: "head" | "length" | "chunked" | "close" = "head";
  private remaining = 0;
  private chunks: Buffer[] = [];
  /** While chunked: waiting for a size line, for chunk data, for the CRLF after it, or for the trailer section. */
  private chunkState: "size" | "data" | "crlf" | "trailer" = "size";

  /** `noBody(status)`: responses that never carry a body whatever their headers say (HEAD requests, 1xx, 204, 304). */
  constructor(private readonly noBody: (status: number) => boolean = (s) => s < 200 || s === 204 || s === 304) {}

  /**
   * Body bytes move from `buf` to `chunks` as they arrive (and are joined once,
   * when the body is complete), so `buf` only ever holds a head or a chunk-size
   * line in progress: a 10 MiB LIST in 64 KiB reads is not copied over and over.
   */
  push(data: Buffer): HttpReply[] {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    const out: HttpReply[] = [];
    for (;;) {
      const r = this.step();
      if (r === undefined) break;
      out.push(r);
    }
    return out;
  }

  /** The connection closed: a response delimited by the close is complete; any other partial response is an error. */
  end(): HttpReply | undefined {
    if (this.mode === "close") {
      const body = Buffer.concat(this.chunks);
      this.reset();
      return { status: this.status, body };
    }
    if (this.mode !== "head" || this.buf.length > 0) throw new Error("connection closed in the middle of a response");
    return undefined;
  }

  private reset() {
    this.mode = "head";
    this.chunks = [];
    this.chunkState = "size";
    this.remaining = 0;
  }

  /** One complete response, or undefined when more bytes are needed. */
  private step(): HttpReply | undefined {
    for (;;) {
      switch (this.mode) {
        case "head": {
          const end = this.buf.indexOf(HEAD_END);
          if (end < 0) return undefined;
          const empty = this.parseHead(this.buf.toString("latin1", 0, end));
          this.buf = this.buf.subarray(end + 4);
          if (empty) return this.finish(EMPTY);
          continue;
        }
        case "length": {
          if (!this.take()) return undefined;
          return this.finish(this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks));
        }
        case "close":
          if (this.buf.length > 0) this.chunks.push(this.buf);
          this.buf = EMPTY;
          return undefined;
        case "chunked": {
          if (this.chunkState === "size") {
            const eol = this.buf.indexOf(CRLF);
            if (eol < 0) return undefined;
            // chunk extensions (";name=value") follow the size; ignore them
            const line = this.buf.toString("latin1", 0, eol);
            const size = Number.parseInt(line.split(";", 1)[0]!.trim(), 16);
            if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
            this.buf = this.buf.subarray(eol + 2);
            if (size === 0) this.chunkState = "trailer";
            else {
              this.remaining = size;
              this.chunkState = "data";
            }
            continue;
          }
          if (this.chunkState === "data") {
            if (!this.take()) return undefined;
            this.chunkState = "crlf";
            continue;
          }
          if (this.chunkState === "crlf") {
            if (this.buf.length < 2) return undefined;
            this.buf = this.buf.subarray(2);
            this.chunkState = "size";
            continue;
          }
          // trailer section: header lines, then an empty line
          const eol = this.buf.indexOf(CRLF);
          if (eol < 0) return undefined;
          this.buf = this.buf.subarray(eol + 2);
          if (eol > 0) continue; // a trailer field; skip it
          const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
          return this.finish(body);
        }
      }
    }
  }

  /** Moves up to `remaining` body bytes from `buf` to `chunks`; true once all have arrived. */
  private take(): boolean {
    const n = Math.min(this.remaining, this.buf.length);
    if (n > 0) {
      this.chunks.push(this.buf.subarray(0, n));
      this.buf = this.buf.subarray(n);
      this.remaining -= n;
    }
    return this.remaining === 0;
  }

  /** Reads the status line and the framing headers; true when the response has no body at all. */
  private parseHead(head: string): boolean {
    const lines = head.split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    this.status = Number(m[1]);
    let length: number | undefined;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === "content-length") length = Number(line.slice(colon + 1).trim());
      else if (name === "transfer-encoding") chunked = /(^|,)\s*chunked\s*$/i.test(line.slice(colon + 1));
    }
    if (this.noBody(this.status) || (!chunked && length === 0)) return true;
    if (chunked) {
      this.mode = "chunked";
      this.chunkState = "size";
    } else if (length !== undefined) {
      if (!Number.isInteger(length) || length < 0) throw new Error(`bad Content-Length in ${JSON.stringify(head)}`);
      this.mode = "length";
      this.remaining = length;
    } else this.mode = "close";
    return false;
  }

  private finish(body: Buffer): HttpReply {
    const status = this.status;
    this.reset();
    return { status, body };
  }
}

/** Request bytes: the head and the body in one string, so one `write` per request. */
export const requestText = (method: string, path: string, host: string, body: string | undefined, headers: Readonly<Record<string, string>>): string => {
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  if (body !== undefined) {
    if (!("Content-Type" in headers)) head += "Content-Type: application/json\r\n";
    head += `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  } else head += "\r\n";
  return head;
};

/** One keep-alive connection with at most one request in flight. */
class Connection {
  private readonly socket: Socket;
  private readonly parser = new ResponseParser();
  private pending: { resolve: (r: HttpReply) => void; reject: (e: Error) => void } | undefined;
  closed = false;

  constructor(port: number, host: string, onClose: (c: Connection) => void) {
    this.socket = connect({ port, host, noDelay: true });
    this.socket.on("data", (d: Buffer) => {
      let replies: HttpReply[];
      try {
        replies = this.parser.push(d);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      for (const r of replies) {
        const p = this.pending;
        this.pending = undefined;
        p?.resolve(r);
      }
    });
    this.socket.on("error", (e) => this.fail(e));
    this.socket.on("close", () => {
      this.closed = true;
      onClose(this);
      try {
        const last = this.parser.end();
        if (last && this.pending) {
          const p = this.pending;
          this.pending = undefined;
          p.resolve(last);
          return;
        }
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      this.fail(new Error("connection closed before the response"));
    });
  }

  send(text: string): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(text);
    });
  }

  private fail(e: Error) {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
    if (!this.closed) this.socket.destroy();
  }

  destroy() {
    this.socket.destroy();
  }
}

/**
 * Keep-alive connections to one server, as an agent pools them: a request
 * takes an idle connection (or opens one) and gives it back when its
 * response is in, so N concurrent callers use N sockets.
 */
export class HttpClient {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;

  constructor(base: string) {
    const u = new URL(base);
    if (u.protocol !== "http:") throw new Error(`only http:// is supported, not ${base}`);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.hostHeader = u.host;
  }

  /** Status ≥ 400 rejects with the status and the start of the body. */
  async request(method: string, path: string, body?: unknown, headers: Readonly<Record<string, string>> = {}): Promise<HttpReply> {
    const text = requestText(method, path, this.hostHeader, body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body), headers);
    let conn = this.idle.pop();
    while (conn?.closed) conn = this.idle.pop();
    if (!conn) {
      conn = new Connection(this.port, this.host, (c) => this.all.delete(c));
      this.all.add(conn);
    }
    const reply = await conn.send(text);
    if (!conn.closed) this.idle.push(conn);
    if (reply.status >= 400) throw new Error(`${method} ${path}: ${reply.status} ${reply.body.toString("utf8", 0, Math.min(reply.body.length, 200))}`);
    return reply;
  }

  close() {
    for (const c of this.all) c.destroy();
    this.all.clear();
    this.idle.length = 0;
  }
}
