/**
 * A single-member etcd on loopback, started the way an operator would run
 * Debian's etcd-server for a one-node cluster: default fsync behaviour
 * (WAL fdatasync before acknowledging), data dir under a temp dir.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { connect as tcpConnect } from "node:net";
import { Etcd3 } from "etcd3";
import { freePort } from "@kubeactor/bus";
import { stopChild, trackChild } from "./cleanup.ts";

const CANDIDATES = ["/usr/bin/etcd", "/usr/local/bin/etcd"];

export const findEtcd = (): string | undefined => {
  if (process.env.ETCD_BIN && existsSync(process.env.ETCD_BIN)) return process.env.ETCD_BIN;
  return CANDIDATES.find((p) => existsSync(p));
};

export interface RunningEtcd {
  readonly url: string;
  readonly process: ChildProcess;
  readonly dataDir: string;
  /** Milliseconds from spawn until the first successful read answered. */
  readonly readyMs: number;
  stop(): Promise<void>;
  /** Everything it wrote to stderr (for error messages). */
  output(): string;
}

/** Re-using `ports` after a stop restarts the same member on the same data dir. */
export const startEtcd = async (dataDir: string, ports?: { client: number; peer: number }): Promise<RunningEtcd & { ports: { client: number; peer: number } }> => {
  const bin = findEtcd();
  if (!bin) throw new Error("etcd is not installed: apt-get install -y etcd-server");
  const p = ports ?? { client: await freePort(), peer: await freePort() };
  const client = `http://127.0.0.1:${p.client}`;
  const peer = `http://127.0.0.1:${p.peer}`;
  const t0 = performance.now();
  const child = trackChild(
    spawn(
      bin,
      [
        "--name=default",
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=default=${peer}`,
        // 100k objects of 1 KiB plus the write tests' keys and their history stay far below this;
        // the default 2 GiB would also do, but hitting the quota must never be what we measure.
        "--quota-backend-bytes=8589934592",
        "--logger=zap",
        "--log-level=error",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    ),
  );
  let out = "";
  child.stderr?.on("data", (d) => (out += String(d)));

  // Ready = a linearizable read succeeds, which is also what "restarted" means to a client.
  // Poll the port first and use a fresh client per attempt: etcd3's default fault handling
  // opens a 5 s circuit breaker after a few refused connections, which would add seconds
  // to etcd's measured start that are the client's doing, not etcd's.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}: ${out.slice(-1000)}`);
    if (Date.now() > deadline) throw new Error(`etcd not ready after 60 s:\n${out.slice(-1000)}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(p.client, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (!open) {
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    const probe = new Etcd3({ hosts: client, dialTimeout: 1000 });
    try {
      await probe.get("/bench-ready-probe").string();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 5));
    } finally {
      probe.close();
    }
  }
  const readyMs = performance.now() - t0;
  return { url: client, process: child, dataDir, readyMs, ports: p, output: () => out, stop: () => stopChild(child) };
};
