/**
 * A userspace TCP listener for one address:port of a Service: each accepted
 * connection is spliced to an endpoint the balancer picks. A refused or
 * failing endpoint is skipped and the next one tried, so a client only sees
 * a failure (a TCP reset) when no endpoint takes it.
 *
 * The balancer can be swapped at any time; connections already spliced keep
 * their endpoint, and closing the listener stops accepting but leaves them
 * running (as conntrack keeps established flows after a rule change).
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { type Balancer, endpointKey } from "./balancer.ts";

/** How long connecting to one endpoint may take before the next one is tried. */
const CONNECT_TIMEOUT_MS = 5_000;

export class TcpListener {
  readonly protocol = "TCP";
  private readonly open = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    public balancer: Balancer,
  ) {}

  /** Binds ip:port; rejects with the listen error (EADDRINUSE, EACCES, EADDRNOTAVAIL). */
  static listen(ip: string, port: number, balancer: Balancer): Promise<TcpListener> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    const listener = new TcpListener(server, balancer);
    server.on("connection", (client) => listener.accept(client));
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: ip, port, exclusive: true }, () => {
        server.off("error", reject);
        server.on("error", () => {});
        resolve(listener);
      });
    });
  }

  /** Connections currently spliced through this listener. */
  get connections(): number {
    return this.open.size;
  }

  private accept(client: Socket): void {
    this.open.add(client);
    client.once("close", () => this.open.delete(client));
    client.on("error", () => {});
    const tried = new Set<string>();
    const attempt = () => {
      const ep = this.balancer.pick(client.remoteAddress ?? "", tried);
      if (!ep || client.destroyed) {
        if (!client.destroyed) client.resetAndDestroy();
        return;
      }
      const upstream = connect({ host: ep.ip, port: ep.port, allowHalfOpen: true, noDelay: true });
      upstream.setTimeout(CONNECT_TIMEOUT_MS);
      let spliced = false;
      upstream.once("timeout", () => {
        if (!spliced) upstream.destroy(new Error("connect timeout"));
      });
      upstream.once("connect", () => {
        spliced = true;
        // The client gave up while we were connecting.
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        upstream.setTimeout(0);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        client.once("close", () => upstream.destroy());
        // A clean close was already passed on by pipe (end flushes); a reset is passed on as one.
        upstream.once("close", (hadError) => {
          if (hadError && !client.destroyed) client.resetAndDestroy();
        });
      });
      upstream.on("error", () => {
        if (spliced) return;
        tried.add(endpointKey(ep));
        attempt();
      });
    };
    attempt();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Ends every spliced connection too (shutdown). */
  async destroy(): Promise<void> {
    for (const s of this.open) s.destroy();
    await this.close();
  }
}
