/**
 * Kubernetes' WebSocket channel protocol for exec and attach: every binary
 * message starts with its channel — 0 stdin, 1 stdout, 2 stderr, 3 error
 * (the result as a Status, v4 and later), 4 resize (`{"Width":..,"Height":..}`)
 * — and `v5.channel.k8s.io` adds 255, "close channel N" (stdin EOF). The
 * session ends with the Status on channel 3 and a normal close.
 */
import type { PodStreamMessage } from "@kubeactor/bus";
import type { NodeSession } from "./relay.ts";
import type { WsSocket } from "./ws.ts";

export const CHANNEL_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"] as const;

const STDIN = 0;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;
/** Stdin bytes sent to the node and not yet written to the process; beyond, the client's socket is paused. */
const STDIN_WINDOW = 1024 * 1024;

/** The result on the error channel, then a normal close. */
const sendResult = (conn: WsSocket, status: unknown) => {
  const s = status as { status?: string; message?: string } | undefined;
  // v4 and v5 carry the whole Status; the older protocols only a failure's message.
  const protocol = conn.protocol;
  const payload = protocol === "v4.channel.k8s.io" || protocol === "v5.channel.k8s.io" ? JSON.stringify(status ?? { metadata: {}, status: "Success" }) : s?.status === "Failure" ? (s.message ?? "") : "";
  if (payload) conn.send(Buffer.concat([Buffer.from([ERROR]), Buffer.from(payload)]), { binary: true });
  conn.close(1000);
};

/**
 * client-go's WebSocket executor starts reading before it has registered its
 * streams; a Status sent the instant the connection opens can reach it first
 * and be dropped ("Unknown stream id 3, discarding message", then "error:
 * closed all streams" instead of the reason). A real node answers a failed
 * exec after the runtime tried; a refusal waits a moment likewise.
 */
const REFUSAL_DELAY_MS = 100;

/** A session the node refused: its Status is the whole answer. */
export const refuseChannels = (conn: WsSocket, status: unknown): void => {
  conn.on("error", () => {});
  setTimeout(() => sendResult(conn, status), REFUSAL_DELAY_MS);
};

export const serveChannels = (conn: WsSocket, session: NodeSession): void => {
  const protocol = conn.protocol;
  let unackedIn = 0;
  let paused = false;
  let done = false;

  const finish = (status: unknown) => {
    if (done) return;
    done = true;
    sendResult(conn, status);
  };

  session.listen(
    (m: PodStreamMessage) => {
      if (m.type === "data") {
        const b = Buffer.from(m.data, "base64");
        conn.send(Buffer.concat([Buffer.from([m.channel]), b]), { binary: true }, (err) => {
          if (!err) session.send({ type: "ack", bytes: b.length });
        });
      } else if (m.type === "ack") {
        unackedIn -= m.bytes;
        if (paused && unackedIn <= STDIN_WINDOW) {
          paused = false;
          conn.resume();
        }
      } else if (m.type === "end") {
        session.close(false);
        finish(m.status);
      }
    },
    () =>
      finish({
        metadata: {},
        status: "Failure",
        message: "the node stopped answering: session closed",
        reason: "InternalError",
        code: 500,
      }),
  );

  conn.on("message", (data) => {
    if (data.length === 0) return;
    const channel = data[0]!;
    if (channel === STDIN) {
      const b = data.subarray(1);
      if (b.length === 0) return;
      unackedIn += b.length;
      session.send({ type: "data", channel: STDIN, data: b.toString("base64") });
      if (!paused && unackedIn > STDIN_WINDOW) {
        paused = true;
        conn.pause();
      }
    } else if (channel === RESIZE) {
      try {
        const size = JSON.parse(data.subarray(1).toString("utf8")) as { Width?: number; Height?: number };
        if (size.Width && size.Height) session.send({ type: "resize", width: size.Width, height: size.Height });
      } catch {}
    } else if (channel === CLOSE && protocol === "v5.channel.k8s.io" && data[1] === STDIN) {
      session.send({ type: "close", channel: STDIN });
    }
  });
  conn.on("close", () => {
    done = true;
    session.close();
  });
  conn.on("error", () => session.close());
};
