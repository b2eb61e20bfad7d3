/**
 * kill -9 the store process while 64 clients write through the bus; after a
 * restart every acknowledged write must be there, with its value.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus, connectNats, type RunningNats, startNatsServer, type Transport } from "@kubeactor/bus";
import { StoreClient } from "@kubeactor/client";
import { startProcess } from "@kubeactor/testing";

/** Both durable logs: the file log in DIR/store, and a JetStream KV bucket on the nats-server. */
const backends = [
  { name: "file log", args: [] as string[] },
  { name: "JetStream KV bucket", args: ["--store-backend", "jetstream", "--jetstream-bucket", "crash"] },
];

describe.each(backends)("store process crash ($name)", ({ args }) => {
  const startStore = (dir: string, url: string) =>
    startProcess("apps/store/src/main.ts", ["--data-dir", dir, "--nats", url, ...args], { ready: /store: serving/ });
  let nats: RunningNats;
  let transport: Transport;
  let dir: string;
  beforeAll(async () => {
    nats = await startNatsServer();
    transport = await connectNats({ servers: nats.url, name: "crash-test" });
    dir = mkdtempSync(join(tmpdir(), "kubeactor-crash-"));
  });
  afterAll(async () => {
    await transport?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps every acknowledged write across SIGKILL under concurrent load", async () => {
    const client = new StoreClient(new Bus(transport, { requestTimeoutMs: 3000, log: () => {} }));
    const acked = new Map<string, string>();
    for (let round = 0; round < 2; round++) {
      const store = await startStore(dir, nats.url);
      let stop = false;
      const writer = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const name = `r${round}-w${w}-${i}`;
          const value = `${name}-${"v".repeat(100)}`;
          try {
            await client.create({ group: "", resource: "configmaps", namespace: "crash", name }, { metadata: { name }, data: { value } });
            acked.set(name, value);
          } catch {
            return; // the store is gone; unacknowledged writes may or may not have landed
          }
        }
      };
      const writers = Array.from({ length: 64 }, (_, w) => writer(w));
      await new Promise((r) => setTimeout(r, 700 + round * 300));
      store.child.kill("SIGKILL");
      await store.exited;
      stop = true;
      await Promise.all(writers);
    }
    expect(acked.size).toBeGreaterThan(100);

    const store = await startStore(dir, nats.url);
    try {
      const { items } = await client.listAll({ group: "", resource: "configmaps", namespace: "crash" });
      const found = new Map(items.map((o: any) => [o.metadata.name as string, o.data.value as string]));
      const missing = [...acked.keys()].filter((k) => found.get(k) !== acked.get(k));
      expect(missing).toEqual([]);
    } finally {
      await store.stop();
    }
  }, 60_000);
});
