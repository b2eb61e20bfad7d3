/**
 * A real 3-node (or n-node) nats-server cluster with JetStream on loopback,
 * for tests of what users who outgrow one machine run: replicated buckets
 * that survive losing a server. Each member can be killed and restarted on
 * its own ports and store directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findNatsServer, freePort, waitForPort } from "@kubeactor/bus";

export interface NatsClusterMember {
  readonly name: string;
  readonly url: string;
  readonly process: () => ChildProcess | undefined;
  /** SIGKILL: the machine is gone. */
  kill(): Promise<void>;
  /** Start again with the same ports and store directory. */
  start(): Promise<void>;
}

export interface NatsCluster {
  readonly members: readonly NatsClusterMember[];
  readonly urls: string[];
  stop(): Promise<void>;
}

/** The config one member runs with: the same shape as infra/nats/cluster/*.conf, with free ports. */
export const natsClusterMemberConfig = (o: { name: string; port: number; routePort: number; routePorts: number[]; storeDir: string }): string =>
  [
    `server_name: ${o.name}`,
    `listen: "127.0.0.1:${o.port}"`,
    `max_payload: 8MB`,
    `jetstream {\n  store_dir: "${o.storeDir}"\n}`,
    `cluster {\n  name: kubeactor\n  listen: "127.0.0.1:${o.routePort}"\n  routes: [${o.routePorts.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ")}]\n}`,
  ].join("\n") + "\n";

export const startNatsCluster = async (size = 3): Promise<NatsCluster> => {
  const bin = findNatsServer();
  if (!bin) throw new Error("nats-server is not installed: apt-get install -y nats-server");
  const root = mkdtempSync(join(tmpdir(), "kubeactor-nats-cluster-"));
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const members = ports.map((port, i): NatsClusterMember => {
    const name = `n${i + 1}`;
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, "nats.conf");
    writeFileSync(conf, natsClusterMemberConfig({ name, port, routePort: routePorts[i]!, routePorts: routePorts.filter((_, j) => j !== i), storeDir: dir }));
    let child: ChildProcess | undefined;
    const member: NatsClusterMember = {
      name,
      url: `nats://127.0.0.1:${port}`,
      process: () => child,
      kill: async () => {
        const c = child;
        child = undefined;
        if (!c || c.exitCode !== null) return;
        const exited = new Promise((r) => c.once("exit", r));
        c.kill("SIGKILL");
        await exited;
      },
      start: async () => {
        child = spawn(bin, ["-c", conf], { stdio: ["ignore", "ignore", "ignore"] });
        await waitForPort(port);
      },
    };
    return member;
  });
  await Promise.all(members.map((m) => m.start()));
  return {
    members,
    urls: members.map((m) => m.url),
    stop: async () => {
      await Promise.all(members.map((m) => m.kill()));
      rmSync(root, { recursive: true, force: true });
    },
  };
};
