/**
 * Exec and attach over SPDY/3.1 (kubectl before 1.30, and newer ones whose
 * WebSocket upgrade was refused): the client opens one SPDY stream per
 * channel, named by its `streamtype` header — `error`, `stdin`, `stdout`,
 * `stderr`, `resize` (JSON sizes, one per line). Once every stream the
 * request announced is there, the node's output flows to them; at the end
 * the result goes on the error stream (the whole Status from
 * `v4.channel.k8s.io`, only a failure's message before) and every stream is
 * closed.
 */
import type { Duplex } from "node:stream";
import type { PodStreamMessage } from "@kubeactor/bus";
import type { NodeSession } from "./relay.ts";
import { SpdyConnection, type SpdyStream } from "./spdy.ts";

export const SPDY_CHANNEL_PROTOCOLS = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"] as const;

export const serveSpdyChannels = (
  socket: Duplex,
  head: Buffer,
  protocol: string,
  session: NodeSession,
  want: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean },
): void => {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  const expected = ["error", ...(want.stdin ? ["stdin"] : []), ...(want.stdout ? ["stdout"] : []), ...(want.stderr && !want.tty ? ["stderr"] : []), ...(want.tty && protocol !== "channel.k8s.io" && protocol !== "v2.channel.k8s.io" ? ["resize"] : [])];
  const streams = new Map<string, SpdyStream>();
  let listening = false;
  let resizeBuf = "";
  // Stdin sent to the node and not yet written to the process; beyond 1 MiB the client's socket is paused.
  let unackedIn = 0;
  let paused = false;

  const finish = (status: unknown) => {
    const s = status as { status?: string; message?: string } | undefined;
    const err = streams.get("error");
    const text = protocol === "v4.channel.k8s.io" ? JSON.stringify(status ?? { metadata: {}, status: "Success" }) : s?.status === "Failure" ? (s.message ?? "") : "";
    for (const [type, st] of streams) if (type !== "error" && type !== "stdin" && type !== "resize") conn.send(st, Buffer.alloc(0), true);
    if (err) conn.send(err, Buffer.from(text), true, () => socket.end());
    else socket.end();
  };

  const fromNode = (m: PodStreamMessage) => {
    if (m.type === "data") {
      const st = streams.get(m.channel === 1 ? "stdout" : "stderr");
      const b = Buffer.from(m.data, "base64");
      if (st) conn.send(st, b, false, () => session.send({ type: "ack", bytes: b.length }));
      else session.send({ type: "ack", bytes: b.length });
    } else if (m.type === "ack") {
      unackedIn -= m.bytes;
      if (paused && unackedIn <= 1024 * 1024) {
        paused = false;
        socket.resume();
      }
    } else if (m.type === "end") {
      session.close(false);
      finish(m.status);
    }
  };

  const conn = new SpdyConnection(
    (b, cb) => void socket.write(b, () => cb?.()),
    (s) => {
      const type = s.headers.streamtype ?? "";
      void conn.reply(s);
      streams.set(type, s);
      if (type === "stdin") {
        s.onData = (b) => {
          session.send({ type: "data", channel: 0, data: b.toString("base64") });
          unackedIn += b.length;
          if (!paused && unackedIn > 1024 * 1024) {
            paused = true;
            socket.pause();
          }
        };
        s.onEnd = () => session.send({ type: "close", channel: 0 });
      } else if (type === "resize") {
        s.onData = (b) => {
          resizeBuf += b.toString("utf8");
          let nl: number;
          while ((nl = resizeBuf.indexOf("\n")) >= 0) {
            const line = resizeBuf.slice(0, nl);
            resizeBuf = resizeBuf.slice(nl + 1);
            try {
              const size = JSON.parse(line) as { Width?: number; Height?: number };
              if (size.Width && size.Height) session.send({ type: "resize", width: size.Width, height: size.Height });
            } catch {}
          }
        };
      }
      if (!listening && expected.every((t) => streams.has(t))) {
        listening = true;
        session.listen(fromNode, () => finish({ metadata: {}, status: "Failure", message: "the node stopped answering: session closed", reason: "InternalError", code: 500 }));
      }
    },
    () => {
      session.close();
      socket.destroy();
    },
  );
  socket.on("data", (d: Buffer) => conn.feed(d));
  socket.on("close", () => conn.close());
  socket.on("error", () => conn.close());
  if (head.length) conn.feed(head);
};
