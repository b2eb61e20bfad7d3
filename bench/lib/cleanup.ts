/**
 * Everything the benchmark starts (child processes, temp dirs) is registered
 * here so that a failure, Ctrl-C or an uncaught error never leaves an etcd,
 * nats-server or store process running, or gigabytes of data under /tmp.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

export const trackChild = (child: ChildProcess): ChildProcess => {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
};

export const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `kubeactor-bench-${prefix}-`));
  dirs.add(dir);
  return dir;
};

export const removeDir = (dir: string): void => {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
};

/** Synchronous on purpose: it also runs from process.on("exit"), where nothing async completes. */
export const cleanupAll = (): void => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
};

let installed = false;
export const installCleanupHandlers = (): void => {
  if (installed) return;
  installed = true;
  process.on("exit", cleanupAll);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      console.error(`\nbench: ${sig}, cleaning up`);
      process.exit(130);
    });
  }
};

/** SIGTERM, then SIGKILL if it has not exited in time; resolves once it is gone. */
export const stopChild = async (child: ChildProcess, graceMs = 5000): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
};
