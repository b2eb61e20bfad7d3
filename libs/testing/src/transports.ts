/**
 * One scenario body, both transports: `describe.each(transportCases())`.
 * Each case opens connected transports on a shared hub or server, so tests
 * see the same subject semantics in-process and over a real nats-server.
 */
import { connectNats, createMemoryTransport, MemoryHub, type Transport } from "@kubeactor/bus";
import { startNatsServer, type RunningNats } from "@kubeactor/bus";

export interface TransportCase {
  readonly name: "memory" | "nats";
  /** Call in beforeAll. */
  setup(): Promise<void>;
  /** A new connection (a new "client") to the same bus. */
  connect(name?: string): Promise<Transport>;
  /** Call in afterAll: closes every connection and stops the server. */
  teardown(): Promise<void>;
  /** The NATS URL, for starting child processes on the same bus (nats case only). */
  url(): string | undefined;
}

export const memoryCase = (): TransportCase => {
  let hub = new MemoryHub();
  const open: Transport[] = [];
  return {
    name: "memory",
    setup: async () => {
      hub = new MemoryHub();
    },
    connect: async () => {
      const t = createMemoryTransport(hub);
      open.push(t);
      return t;
    },
    teardown: async () => {
      await Promise.all(open.splice(0).map((t) => t.close()));
    },
    url: () => undefined,
  };
};

export const natsCase = (): TransportCase => {
  let server: RunningNats | undefined;
  const open: Transport[] = [];
  return {
    name: "nats",
    setup: async () => {
      server = await startNatsServer();
    },
    connect: async (name) => {
      if (!server) throw new Error("natsCase.setup() was not called");
      const t = await connectNats({ servers: server.url, ...(name ? { name } : {}) });
      open.push(t);
      return t;
    },
    teardown: async () => {
      await Promise.all(open.splice(0).map((t) => t.close()));
      await server?.stop();
    },
    url: () => server?.url,
  };
};

export const transportCases = (): TransportCase[] => [memoryCase(), natsCase()];
