/**
 * Runs kubeactor's own entry points as real child processes (through tsx),
 * waiting for their readiness line, for tests that kill, restart and talk to
 * them like users do.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Children still running. A test whose setup fails or times out never gets
 * to stop them (its afterAll sees no handle), so the test worker stops them
 * as it exits: a `kubeactor up` left behind would keep its nats-server, its
 * ports and a core busy for the rest of the run.
 */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGTERM");
});

/** The repository root, whatever the test's working directory. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM (or the given signal) and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** How long a child may take to print its ready line: a whole `kubeactor up` from TypeScript sources on two loaded cores has taken over 20 s. */
const READY_TIMEOUT_MS = 60_000;

export const startProcess = async (
  entry: string,
  args: readonly string[],
  opts: {
    ready: RegExp;
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    /** Leader of its own process group, as a command started from a shell is: `process.kill(-pid, sig)` then signals it and all it spawned, as Ctrl-C does. */
    processGroup?: boolean;
  } = { ready: /./ },
): Promise<RunningProcess> => {
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, entry), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: opts.processGroup === true,
  });
  live.add(child);
  let out = "";
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not ready in time: the caller gets no handle to stop it, so stop it here (SIGTERM lets `up` stop its nats-server).
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      reject(new Error(`${entry} not ready after ${opts.timeoutMs ?? READY_TIMEOUT_MS}ms:\n${out}`));
    }, opts.timeoutMs ?? READY_TIMEOUT_MS);
    const onData = (d: Buffer) => {
      out += String(d);
      if (opts.ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before it was ready:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
};
