/**
 * `portforward.k8s.io` over SPDY (kubectl's protocol, tunnelled in a
 * WebSocket by kubectl ≥ 1.31 or over a plain HTTP Upgrade before): for each
 * local connection kubectl opens an `error` stream and a `data` stream with
 * the same `requestid` and `port`. Once both are here the node dials the
 * pod IP (an `open` message); bytes go both ways as `data`, half-closes as
 * `close`; a failed dial is written to the error stream, which kubectl
 * prints (`an error occurred forwarding 8080 -> 8080: ...`).
 */
import type { PodStreamMessage } from "@kubeactor/bus";
import { type SpdyConnection, type SpdyStream } from "./spdy.ts";
import type { NodeSession } from "./relay.ts";

const UPLOAD_WINDOW = 1024 * 1024;

interface Pair {
  channel: number;
  port: number;
  error?: SpdyStream;
  data?: SpdyStream;
  opened?: boolean;
}

export class PortForwarder {
  private readonly pairs = new Map<string, Pair>();
  private readonly byChannel = new Map<number, Pair>();
  private next = 0;
  /** Bytes sent to the node and not yet written to the pod; beyond UPLOAD_WINDOW the client's transport is paused. */
  private unacked = 0;
  private paused = false;

  constructor(
    private readonly conn: () => SpdyConnection,
    private readonly session: NodeSession,
    private readonly flow: { pause(): void; resume(): void },
  ) {
    session.listen(
      (m) => this.fromNode(m),
      () => this.conn().close(),
    );
  }

  /** A stream kubectl opened. */
  stream(s: SpdyStream): void {
    const conn = this.conn();
    const type = s.headers.streamtype;
    const port = Number(s.headers.port);
    const key = s.headers.requestid ?? String(s.id);
    if ((type !== "error" && type !== "data") || !Number.isInteger(port) || port < 1 || port > 65535) {
      conn.reset(s);
      return;
    }
    void conn.reply(s);
    let p = this.pairs.get(key);
    if (!p) {
      p = { channel: this.next++, port };
      this.pairs.set(key, p);
      this.byChannel.set(p.channel, p);
    }
    const pair = p;
    if (type === "error") {
      pair.error = s;
      s.onReset = () => this.drop(key, pair);
    } else {
      pair.data = s;
      s.onData = (b) => {
        this.session.send({ type: "data", channel: pair.channel, data: b.toString("base64") });
        this.unacked += b.length;
        if (!this.paused && this.unacked > UPLOAD_WINDOW) {
          this.paused = true;
          this.flow.pause();
        }
      };
      s.onEnd = () => this.session.send({ type: "close", channel: pair.channel });
      s.onReset = () => {
        this.session.send({ type: "close", channel: pair.channel });
        this.drop(key, pair);
      };
    }
    if (pair.error && pair.data && !pair.opened) {
      pair.opened = true;
      this.session.send({ type: "open", channel: pair.channel, port: pair.port });
    }
  }

  close(): void {
    this.session.close();
  }

  private fromNode(m: PodStreamMessage): void {
    const conn = this.conn();
    if (m.type === "end") {
      this.session.close(false);
      conn.close();
      return;
    }
    if (m.type === "ack") {
      this.unacked -= m.bytes;
      if (this.paused && this.unacked <= UPLOAD_WINDOW) {
        this.paused = false;
        this.flow.resume();
      }
      return;
    }
    if (!("channel" in m)) return;
    const p = this.byChannel.get(m.channel);
    if (!p) return;
    if (m.type === "data" && p.data) {
      const b = Buffer.from(m.data, "base64");
      conn.send(p.data, b, false, () => this.session.send({ type: "ack", bytes: b.length }));
    } else if (m.type === "error" && p.error) {
      conn.send(p.error, Buffer.from(m.message));
    } else if (m.type === "close") {
      if (p.data) conn.send(p.data, Buffer.alloc(0), true);
      if (p.error) conn.send(p.error, Buffer.alloc(0), true);
    }
  }

  private drop(key: string, p: Pair): void {
    this.pairs.delete(key);
    this.byChannel.delete(p.channel);
  }
}
