/**
 * Starts a real nats-server as a child process — for `kubeactor up`, the
 * integration tests and the benchmarks: loopback only, JetStream in its store
 * dir (a temp dir unless given), stopped with SIGTERM on `stop()`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
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

/**
 * A nats-server left running by a parent that was SIGKILLed still holds its
 * port; the pid file in its store dir lets the next start end it first.
 */
const reapStale = async (pidFile: string): Promise<void> => {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return; // not running any more
  }
  if (!cmdline.includes("nats-server")) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
};

/**
 * The environment of a nats-server child: Go's GOMAXPROCS at half the cores
 * (at least one) unless the user set it. The server shares the machine with
 * every component it carries; with a P per core its idle threads spin and
 * hand messages between threads, and on 2 cores it spent ~25% more CPU per
 * message (bench/api.bench.ts, CREATE at 32 clients: 0.026 → 0.019 ms of
 * nats-server per create with one P).
 */
export const natsServerEnv = (env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): NodeJS.ProcessEnv =>
  env.GOMAXPROCS ? env : { ...env, GOMAXPROCS: String(Math.max(1, Math.floor(cores / 2))) };

export const startNatsServer = async (opts: { port?: number; jetstream?: boolean; storeDir?: string } = {}): Promise<RunningNats> => {
  const bin = findNatsServer();
  if (!bin) throw new Error("nats-server is not installed: apt-get install -y nats-server");
  if (opts.storeDir) await reapStale(join(opts.storeDir, "nats-server.pid"));
  const port = opts.port ?? (await freePort());
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), "kubeactor-nats-"));
  const ownsDir = opts.storeDir === undefined;
  mkdirSync(storeDir, { recursive: true });
  const confPath = join(storeDir, "nats.conf");
  writeFileSync(confPath, natsConfig({ port, storeDir, jetstream: opts.jetstream !== false }) + `pid_file: "${join(storeDir, "nats-server.pid")}"\n`);
  // Its own process group: Ctrl-C in a terminal signals the whole foreground
  // group, and a nats-server gone at once left every component's shutdown
  // writes waiting for bus timeouts (20 s of "timed out" lines). The parent
  // stops it last (`stop`); if the parent is SIGKILLed, `reapStale` ends it.
  const child = spawn(bin, ["-c", confPath], { stdio: ["ignore", "ignore", "pipe"], env: natsServerEnv(), detached: true });
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
