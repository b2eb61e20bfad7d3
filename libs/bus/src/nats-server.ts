/**
 * Starts a real nats-server for integration tests and benchmarks: a free
 * loopback port, JetStream in a temp dir, killed on stop. Tests that need it
 * call `findNatsServer()` first so a missing binary fails with a clear message.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CANDIDATES = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

export const findNatsServer = (): string | undefined => {
  if (process.env.NATS_SERVER_BIN && existsSync(process.env.NATS_SERVER_BIN)) return process.env.NATS_SERVER_BIN;
  for (const p of CANDIDATES) if (existsSync(p)) return p;
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const p = join(dir, "nats-server");
    if (dir && existsSync(p)) return p;
  }
  return undefined;
};

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });

export const waitForPort = async (port: number, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs}ms`);
};

/**
 * The single-node configuration (infra/nats/single.conf is the same, for
 * people starting it by hand). max_payload is 8 MiB because a Kubernetes object
 * may be 3 MiB; lists and histories are paged well below that.
 */
export const natsConfig = (o: { port: number; storeDir: string; jetstream: boolean; host?: string }): string =>
  [
    `listen: "${o.host ?? "127.0.0.1"}:${o.port}"`,
    `max_payload: 8MB`,
    o.jetstream ? `jetstream {\n  store_dir: "${o.storeDir}"\n}` : "",
  ].join("\n") + "\n";

export interface RunningNats {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export const startNatsServer = async (opts: { port?: number; jetstream?: boolean; storeDir?: string } = {}): Promise<RunningNats> => {
  const bin = findNatsServer();
  if (!bin) throw new Error("nats-server is not installed: apt-get install -y nats-server");
  const port = opts.port ?? (await freePort());
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), "kubeactor-nats-"));
  const ownsDir = opts.storeDir === undefined;
  const confPath = join(storeDir, "nats.conf");
  writeFileSync(confPath, natsConfig({ port, storeDir, jetstream: opts.jetstream !== false }));
  const child = spawn(bin, ["-c", confPath], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += String(d)));
  try {
    await waitForPort(port);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`nats-server did not start: ${stderr.slice(-500)}`);
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    process: child,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      if (ownsDir) rmSync(storeDir, { recursive: true, force: true });
    },
  };
};
