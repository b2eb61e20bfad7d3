/**
 * A userspace UDP listener for one address:port of a Service. Each client
 * (address:port) gets a session: a socket connected to the endpoint the
 * balancer picked, whose replies go back to the client from the Service
 * address. Sessions end after IDLE_MS without traffic, and at once when
 * their endpoint leaves the Service (kube-proxy clears conntrack entries of
 * removed UDP endpoints, so DNS clients stop talking to a dead server).
 */
import { createSocket, type Socket } from "node:dgram";
import { type Balancer, type Endpoint, endpointKey } from "./balancer.ts";

const IDLE_MS = 30_000;

interface Session {
  readonly upstream: Socket;
  readonly endpoint: Endpoint;
  timer: NodeJS.Timeout;
  /** Datagrams that arrived before the upstream socket was connected. */
  pending: Buffer[] | undefined;
}

export class UdpListener {
  readonly protocol = "UDP";
  private readonly sessions = new Map<string, Session>();

  private constructor(
    private readonly socket: Socket,
    public balancer: Balancer,
  ) {}

  static listen(ip: string, port: number, balancer: Balancer): Promise<UdpListener> {
    const socket = createSocket({ type: "udp4" });
    const listener = new UdpListener(socket, balancer);
    socket.on("message", (msg, rinfo) => listener.forward(msg, rinfo.address, rinfo.port));
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: ip, port, exclusive: true }, () => {
        socket.off("error", reject);
        socket.on("error", () => {});
        resolve(listener);
      });
    });
  }

  get connections(): number {
    return this.sessions.size;
  }

  private forward(msg: Buffer, address: string, port: number): void {
    const client = `${address}:${port}`;
    let s = this.sessions.get(client);
    if (!s) {
      const endpoint = this.balancer.pick(address);
      if (!endpoint) return;
      const upstream = createSocket({ type: "udp4" });
      upstream.on("error", () => this.end(client));
      upstream.on("message", (reply) => {
        this.touch(client);
        this.socket.send(reply, port, address);
      });
      const session: Session = { upstream, endpoint, timer: setTimeout(() => this.end(client), IDLE_MS), pending: [] };
      upstream.connect(endpoint.port, endpoint.ip, () => {
        for (const m of session.pending ?? []) upstream.send(m);
        session.pending = undefined;
      });
      this.sessions.set(client, session);
      s = session;
    }
    this.touch(client);
    if (s.pending) s.pending.push(msg);
    else s.upstream.send(msg);
  }

  private touch(client: string): void {
    const s = this.sessions.get(client);
    if (!s) return;
    clearTimeout(s.timer);
    s.timer = setTimeout(() => this.end(client), IDLE_MS);
  }

  private end(client: string): void {
    const s = this.sessions.get(client);
    if (!s) return;
    this.sessions.delete(client);
    clearTimeout(s.timer);
    s.upstream.close();
  }

  /** Ends sessions whose endpoint is no longer among `ready`. */
  prune(ready: readonly Endpoint[]): void {
    const keep = new Set(ready.map(endpointKey));
    for (const [client, s] of this.sessions) if (!keep.has(endpointKey(s.endpoint))) this.end(client);
  }

  close(): Promise<void> {
    for (const client of [...this.sessions.keys()]) this.end(client);
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  destroy(): Promise<void> {
    return this.close();
  }
}
