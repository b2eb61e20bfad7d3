/**
 * Which bus a process gets: the NATS server it was told about (`--nats`), a
 * nats-server it starts as a child when the binary is installed, or the
 * in-process bus. The choice is printed, so users know what they run on.
 */
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { Bus, connectNats, createMemoryTransport, findNatsServer, MemoryHub, type RunningNats, startNatsServer, type Transport } from "@kubeactor/bus";

export interface BusChoice {
  /** Opens one more connection (one per component, as separate processes would have). */
  connect(name: string): Promise<Bus>;
  readonly description: string;
  readonly url?: string;
  stop(): Promise<void>;
}

export const chooseBus = async (opts: { nats?: string; natsPort: number; dataDir: string; embedded?: boolean }): Promise<BusChoice> => {
  const opened: Transport[] = [];
  const track = (t: Transport, name: string) => {
    opened.push(t);
    return new Bus(t, { log: (line) => console.error(`${name}: ${line}`) });
  };
  const closeAll = async () => {
    await Promise.all(opened.splice(0).map((t) => t.close().catch(() => {})));
  };
  if (opts.nats) {
    const url = opts.nats;
    // A comma-separated list names a cluster's members: the client fails over between them.
    const servers = url.split(",").map((s) => s.trim()).filter(Boolean);
    return {
      connect: async (name) => track(await connectNats({ servers, name }), name),
      description: `NATS at ${url}`,
      url,
      stop: closeAll,
    };
  }
  if (findNatsServer() && !opts.embedded) {
    const storeDir = join(opts.dataDir, "nats");
    mkdirSync(storeDir, { recursive: true });
    let server: RunningNats;
    try {
      server = await startNatsServer({ port: opts.natsPort, storeDir });
    } catch (e) {
      throw new Error(`could not start nats-server on port ${opts.natsPort} (${(e as Error).message.split("\n")[0]}); pass --nats-port N or --nats URL`);
    }
    return {
      connect: async (name) => track(await connectNats({ servers: server.url, name }), name),
      description: `nats-server (child process, pid ${server.process.pid}) at ${server.url}`,
      url: server.url,
      stop: async () => {
        await closeAll();
        await server.stop();
      },
    };
  }
  const hub = new MemoryHub();
  return {
    connect: async (name) => track(createMemoryTransport(hub), name),
    description: "the in-process bus (nats-server is not installed: apt-get install -y nats-server)",
    stop: closeAll,
  };
};

/** The NATS URL components use by default: loopback on KUBEACTOR_NATS_PORT (4222). */
export const defaultNatsUrl = (env: NodeJS.ProcessEnv = process.env): string => `nats://127.0.0.1:${env.KUBEACTOR_NATS_PORT ?? "4222"}`;
