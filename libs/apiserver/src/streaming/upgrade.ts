/**
 * `pods/exec`, `pods/attach` and `pods/portforward`: HTTP Upgrade requests.
 * The API server checks them as kube-apiserver's pod ExecLocation /
 * AttachLocation do, opens a session with the node over the bus (relay.ts),
 * and only then upgrades, so every refusal is a Status the client shows.
 *
 * Exec and attach speak the WebSocket channel protocol (channel.ts),
 * kubectl ≥ 1.30's default, or SPDY/3.1 streams (spdy-exec.ts) for older
 * kubectls. Port-forward is SPDY (portforward.ts), tunnelled in a WebSocket
 * from kubectl 1.31.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { badRequest, type Status, StatusError, toStatus } from "@kubeactor/api";
import type { Bus } from "@kubeactor/bus";
import { logContainer } from "../logs.ts";
import { metaOf, type Obj } from "../objects.ts";
import { CHANNEL_PROTOCOLS, refuseChannels, serveChannels } from "./channel.ts";
import { NodeSession } from "./relay.ts";
import { PortForwarder } from "./portforward.ts";
import { SpdyConnection } from "./spdy.ts";
import { SPDY_CHANNEL_PROTOCOLS, serveSpdyChannels } from "./spdy-exec.ts";
import { ws } from "./ws.ts";

const PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)\/?$/;

/** Is this an upgrade for one of the streaming subresources? */
export const isStreamPath = (pathname: string) => PATH.test(pathname);

/** A Status as a plain HTTP response on a socket not yet upgraded. */
export const rejectUpgrade = (socket: Duplex, status: Status): void => {
  const body = JSON.stringify({ ...status, kind: "Status", apiVersion: "v1" });
  const code = status.code ?? 500;
  socket.end(
    `HTTP/1.1 ${code} ${code === 400 ? "Bad Request" : code === 404 ? "Not Found" : code === 403 ? "Forbidden" : "Internal Server Error"}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
};

/** kubectl ≥ 1.31 tunnels port-forward's SPDY in a WebSocket with this subprotocol. */
const TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io";
const PORT_FORWARD_PROTOCOL = "portforward.k8s.io";

const bool = (q: URLSearchParams, name: string) => q.get(name) === "true" || q.get(name) === "1";

const wsServer = new ws.WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  maxPayload: 16 * 1024 * 1024,
  handleProtocols: (offered, req) =>
    (/\/portforward\/?(\?|$)/.test(req.url ?? "") ? [TUNNEL_PROTOCOL] : CHANNEL_PROTOCOLS).find((p) => offered.has(p)) ?? false,
});

export const serveStreamUpgrade = async (bus: Bus, getPod: (path: string) => Promise<Obj>, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
  try {
    const url = new URL(req.url ?? "/", "http://localhost");
    const m = PATH.exec(url.pathname)!;
    const kind = m[3] as "exec" | "attach" | "portforward";
    const pod = await getPod(url.pathname.replace(/\/(exec|attach|portforward)\/?$/, ""));
    const meta = metaOf(pod);
    const q = url.searchParams;
    if (kind === "portforward") return await portForward(bus, pod, req, socket, head);
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    const verb = kind === "exec" ? "exec into" : "attach to";
    if (phase === "Succeeded" || phase === "Failed") throw badRequest(`cannot ${verb} a container in a completed pod; current phase is ${phase}`);
    const container = logContainer(pod, q.get("container") ?? undefined);
    const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!node) throw badRequest(`pod ${meta.name} does not have a host assigned`);
    const stdin = bool(q, "stdin");
    const stdout = bool(q, "stdout");
    const stderr = bool(q, "stderr");
    const tty = bool(q, "tty");
    if (!stdin && !stdout && !stderr) throw badRequest("you must specify at least 1 of stdin, stdout, stderr");
    const command = q.getAll("command");
    if (kind === "exec" && command.length === 0) throw badRequest("you must specify at least 1 command");
    const upgrade = (req.headers.upgrade ?? "").toLowerCase();
    // SPDY clients (kubectl < 1.30) name the channel protocols they speak; the newest wins.
    const offered = String(req.headers["x-stream-protocol-version"] ?? "").split(/\s*,\s*/);
    const spdyProtocol = upgrade === "spdy/3.1" ? SPDY_CHANNEL_PROTOCOLS.find((p) => offered.includes(p)) : undefined;
    if (upgrade !== "websocket" && !spdyProtocol) throw badRequest(`unable to upgrade: ${req.headers.upgrade ?? "no upgrade"} with ${offered.join(", ") || "no protocol"} is not supported`);
    const opened = NodeSession.open(bus, node, {
      kind,
      namespace: meta.namespace ?? "",
      pod: meta.name ?? "",
      ...(meta.uid ? { uid: meta.uid } : {}),
      container,
      ...(kind === "exec" ? { command } : {}),
      stdin,
      stdout,
      // With a tty, stderr is part of stdout.
      stderr: stderr && !tty,
      tty,
    });
    if (spdyProtocol) {
      // SPDY clients get the node's refusal before the upgrade, as from a kubelet ("unable to upgrade connection: ...").
      const session = await opened;
      if (socket.destroyed) return session.close();
      return serveSpdyChannels(socket, head, spdyProtocol, session, { stdin, stdout, stderr, tty });
    }
    // The node's refusal (or its silence) comes after the upgrade, on the error channel, as the kubelet's
    // does: a refused upgrade would make kubectl retry over SPDY and show that failure instead.
    const session = await opened.catch((e: unknown) => toStatus(e));
    if (socket.destroyed) return void (session instanceof NodeSession && session.close());
    wsServer.handleUpgrade(req, socket, head, (conn) => (session instanceof NodeSession ? serveChannels(conn, session) : refuseChannels(conn, session)));
  } catch (e) {
    rejectUpgrade(socket, e instanceof StatusError ? e.status : toStatus(e));
  }
};

/** Port-forward: one node session per kubectl connection, SPDY inside a WebSocket or straight on the upgraded socket. */
const portForward = async (bus: Bus, pod: Obj, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
  const meta = metaOf(pod);
  const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (!node) throw badRequest(`pod ${meta.name} does not have a host assigned`);
  const upgrade = (req.headers.upgrade ?? "").toLowerCase();
  const offered = String(req.headers["x-stream-protocol-version"] ?? "").split(/\s*,\s*/);
  if (upgrade !== "websocket" && !(upgrade === "spdy/3.1" && offered.includes(PORT_FORWARD_PROTOCOL))) {
    throw badRequest(`unable to upgrade: ${req.headers.upgrade ?? "no upgrade"} with ${offered.join(", ") || "no protocol"} is not supported for port-forward`);
  }
  const session = await NodeSession.open(bus, node, { kind: "portforward", namespace: meta.namespace ?? "", pod: meta.name ?? "", ...(meta.uid ? { uid: meta.uid } : {}) });
  if (socket.destroyed) return session.close();
  let spdy: SpdyConnection;
  const start = (write: (b: Buffer, cb?: () => void) => void, end: () => void, flow: { pause(): void; resume(): void }) => {
    const fwd = new PortForwarder(() => spdy, session, flow);
    spdy = new SpdyConnection(write, (s) => fwd.stream(s), () => (fwd.close(), end()));
    return spdy;
  };
  if (upgrade === "websocket") {
    wsServer.handleUpgrade(req, socket, head, (conn) => {
      const c = start(
        (b, cb) => conn.send(b, { binary: true }, () => cb?.()),
        () => conn.close(1000),
        conn,
      );
      conn.on("message", (d) => c.feed(d));
      conn.on("close", () => c.close());
      conn.on("error", () => c.close());
    });
    return;
  }
  socket.write(
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" + `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`,
  );
  const c = start(
    (b, cb) => void socket.write(b, () => cb?.()),
    () => socket.end(),
    socket,
  );
  socket.on("data", (d: Buffer) => c.feed(d));
  socket.on("close", () => c.close());
  socket.on("error", () => c.close());
  if (head.length) c.feed(head);
};
