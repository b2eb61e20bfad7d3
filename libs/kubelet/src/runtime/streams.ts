/**
 * The process runtime's streaming sessions: exec'd commands (a terminal
 * through util-linux `script` when a tty is asked for: Node has no pty of its
 * own), attaching to a running container's output, and TCP connections to a
 * pod IP for port-forward.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { constants } from "node:os";
import { PassThrough } from "node:stream";
import { RuntimeError, type StreamSession } from "./cri.ts";

/** POSIX single quoting, for `script -c`. */
const shellQuote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null) => code ?? 128 + (signal ? (constants.signals[signal] ?? 9) : 9);

const killGroup = (pid: number | undefined) => {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
};

/** The terminal device of `script`'s child (its stdin), to resize it from outside. */
const ptyOf = (scriptPid: number): string | undefined => {
  try {
    const child = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, "utf8").trim().split(/\s+/)[0];
    if (!child) return undefined;
    const dev = readlinkSync(`/proc/${child}/fd/0`);
    return dev.startsWith("/dev/pts/") ? dev : undefined;
  } catch {
    return undefined;
  }
};

export const execProcess = async (
  cmd: readonly string[],
  opts: { cwd: string; env: Record<string, string>; stdin?: boolean; tty?: boolean },
): Promise<StreamSession> => {
  if (cmd.length === 0) throw new RuntimeError("RunContainerError", "command is required");
  const env = opts.tty ? { ...opts.env, TERM: opts.env.TERM ?? "xterm" } : opts.env;
  const [file, args] = opts.tty ? ["script", ["-qfec", cmd.map(shellQuote).join(" "), "/dev/null"]] : [cmd[0]!, cmd.slice(1)];
  const child: ChildProcess = spawn(file, args, { cwd: opts.cwd, env, detached: true, stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
  const error = await new Promise<Error | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", resolve);
  });
  if (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RuntimeError("RunContainerError", code === "ENOENT" ? `exec: "${cmd[0]}": executable file not found in $PATH` : `exec: "${cmd[0]}": ${error.message}`);
  }
  child.stdin?.on("error", () => {}); // the command may exit before reading all of stdin
  const done = new Promise<number>((resolve) => child.once("close", (code, signal) => resolve(exitCodeOf(code, signal))));
  let size: { width: number; height: number } | undefined;
  let tries = 0;
  const applySize = () => {
    if (!size || !child.pid || child.exitCode !== null) return;
    const pty = ptyOf(child.pid);
    // The first resize can come before `script` started the command: try again shortly.
    if (!pty) return void (tries++ < 20 && setTimeout(applySize, 50));
    execFile("stty", ["-F", pty, "cols", String(size.width), "rows", String(size.height)], () => {});
  };
  // Piped at once: Node discards the output of an exited child whose pipes nobody reads yet.
  const stdout = child.stdout!.pipe(new PassThrough());
  const stderr = child.stderr!.pipe(new PassThrough());
  return {
    ...(child.stdin ? { stdin: child.stdin } : {}),
    stdout,
    ...(opts.tty ? {} : { stderr }),
    done,
    resize: (width, height) => {
      if (!opts.tty) return;
      size = { width, height };
      tries = 0;
      applySize();
    },
    close: () => killGroup(child.pid),
  };
};

/** The container's output from now on, until it exits or the client detaches. */
export const attachProcess = (
  child: ChildProcess,
  exited: Promise<number>,
  stdinOf?: { readonly target: NodeJS.WritableStream; readonly once: boolean },
): StreamSession => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  // The client's stdin feeds the container's; its end closes the container's only with stdinOnce.
  let stdin: PassThrough | undefined;
  if (stdinOf) {
    stdin = new PassThrough();
    stdin.on("data", (b: Buffer) => stdinOf.target.write(b));
    stdin.on("end", () => {
      if (stdinOf.once) stdinOf.target.end();
    });
  }
  const out = (b: Buffer) => stdout.write(b);
  const err = (b: Buffer) => stderr.write(b);
  child.stdout?.on("data", out);
  child.stderr?.on("data", err);
  const detach = () => {
    child.stdout?.off("data", out);
    child.stderr?.off("data", err);
    stdout.end();
    stderr.end();
  };
  const done = exited.then((code) => (detach(), code));
  return { ...(stdin ? { stdin } : {}), stdout, stderr, done, resize: () => {}, close: detach };
};

export const forwardPort = (pod: string, ip: string, port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const sock = createConnection({ host: ip, port });
    sock.once("connect", () => {
      sock.removeAllListeners("error");
      resolve(sock);
    });
    sock.once("error", (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ECONNREFUSED" ? "connect: connection refused" : e.message;
      reject(new RuntimeError("RunContainerError", `error forwarding port ${port} to pod ${pod}: dial tcp4 ${ip}:${port}: ${why}`));
    });
  });
