/**
 * The JetStream KV backend against real nats-servers: one server for the
 * engine's semantics and recovery, a 3-node cluster for losing a machine.
 */
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsCluster, startNatsServer, type NatsCluster, type RunningNats } from "@kubeactor/testing";
import { createJetStreamBackend, kvKeyOf, storeKeyOf } from "./jetstream-backend.ts";
import { cm, cmKey } from "./test-helpers.ts";
import { StoreError, type StoreBackend } from "./types.ts";

describe("JetStream KV key encoding", () => {
  it.each([
    "/core/configmaps/default/demo",
    "/core/pods/kube-system/coredns-5d78c9869d-abc12",
    "/apps/deployments/ns/my.app.v2",
    "/coordination.k8s.io/leases/kube-node-lease/node-1",
    "/x/y/z/a=b.c d",
    "/core/configmaps/ns/ünïcødé",
  ])("%s round-trips as one subject token", (key) => {
    const kv = kvKeyOf(key);
    expect(kv).toMatch(/^[A-Za-z0-9/_=-]+$/);
    expect(storeKeyOf(kv)).toBe(key);
  });
});

let nats: RunningNats;
let bucketSeq = 0;
const opened: StoreBackend[] = [];
const open = async (
  bucket: string,
  extra: { log?: (l: string) => void; servers?: string | string[]; replicas?: number; startupTimeoutMs?: number; writeTimeoutMs?: number } = {},
): Promise<StoreBackend> => {
  const s = createJetStreamBackend({ servers: extra.servers ?? nats.url, bucket, ...extra });
  opened.push(s);
  await s.open();
  return s;
};
const freshBucket = () => `t${process.pid}x${++bucketSeq}`;
const rvOf = (o: Record<string, unknown> | undefined) => (o?.["metadata"] as { resourceVersion?: string } | undefined)?.resourceVersion;

describe("JetStream KV backend on a real nats-server", () => {
  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: true });
  });
  afterAll(async () => {
    for (const s of opened.splice(0)) await s.close().catch(() => undefined);
    await nats?.stop();
  });

  it("revisions are stream sequences; CAS, AlreadyExists and NotFound as with the file log; the bucket holds the objects", async () => {
    const bucket = freshBucket();
    const s = await open(bucket);
    expect(s.revision).toBe(0);
    // Issued without awaiting: one batch, judged in call order.
    const a = s.create(cmKey("ns", "a"), cm("ns", "a", { v: "1" }));
    const b = s.create(cmKey("ns", "b.dotted"), cm("ns", "b.dotted", { v: "1" }));
    const caught = (p: Promise<unknown>) => {
      p.catch(() => undefined); // judged below; rejected at once, before the writes before it land
      return p;
    };
    const dup = caught(s.create(cmKey("ns", "a"), cm("ns", "a", { v: "2" })));
    const upd = s.update(cmKey("ns", "a"), cm("ns", "a", { v: "3" }), "1");
    const stale = caught(s.update(cmKey("ns", "a"), cm("ns", "a", { v: "4" }), "1"));
    const del = s.delete(cmKey("ns", "b.dotted"));
    const missing = caught(s.delete(cmKey("ns", "nope")));
    expect((await a).revision).toBe(1);
    expect((await b).revision).toBe(2);
    await expect(dup).rejects.toMatchObject({ code: "AlreadyExists" });
    expect((await upd).revision).toBe(3);
    await expect(stale).rejects.toMatchObject({ code: "Conflict" });
    expect((await del).revision).toBe(4);
    await expect(missing).rejects.toMatchObject({ code: "NotFound" });
    expect(s.revision).toBe(4);
    expect(s.list("/").items.map((o) => [(o["metadata"] as { name: string }).name, rvOf(o)])).toEqual([["a", "3"]]);
    expect(s.history("/", 0, 0).events.map((e) => [e.revision, e.type])).toEqual([
      [1, "ADDED"],
      [2, "ADDED"],
      [3, "MODIFIED"],
      [4, "DELETED"],
    ]);

    // What any NATS client sees: the stream's last sequence is the store's revision; the value is the object.
    const nc = await connect({ servers: nats.url });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(`KV_${bucket}`);
      expect(info.state.last_seq).toBe(4);
      const kv = await new Kvm(nc).open(bucket);
      const entry = await kv.get(kvKeyOf(cmKey("ns", "a")));
      expect(entry?.revision).toBe(3);
      expect(entry?.json<{ data: { v: string } }>().data.v).toBe("3");
      expect((await kv.get(kvKeyOf(cmKey("ns", "b.dotted"))))?.operation).toBe("DEL");
    } finally {
      await nc.close();
    }
  });

  it("a reopened store (a new process) recovers every object with its resourceVersion and continues the revisions", async () => {
    const bucket = freshBucket();
    const s1 = await open(bucket);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) writes.push(s1.create(cmKey(`ns${i % 3}`, `o${i}`), cm(`ns${i % 3}`, `o${i}`, { i: String(i) })));
    await Promise.all(writes);
    for (let i = 0; i < 200; i += 4) await s1.delete(cmKey(`ns${i % 3}`, `o${i}`));
    for (let i = 1; i < 200; i += 4) await s1.update(cmKey(`ns${i % 3}`, `o${i}`), cm(`ns${i % 3}`, `o${i}`, { i: "changed" }));
    const before = s1.list("/").items;
    const rev = s1.revision;
    await s1.close();

    const s2 = await open(bucket);
    expect(s2.revision).toBe(rev);
    expect(s2.list("/").items).toEqual(before);
    expect(s2.list("/core/configmaps/ns1/").items.length).toBe(before.filter((o) => (o["metadata"] as { namespace: string }).namespace === "ns1").length);
    // History starts at the restart: older watchers are told to re-list.
    expect(() => s2.history("/", 0, 0)).toThrow(StoreError);
    expect((await s2.create(cmKey("ns0", "after"), cm("ns0", "after"))).revision).toBe(rev + 1);
  });

  it("a second writer on the bucket fences the store (fail closed, nothing interleaved); after a restart its writes are seen", async () => {
    const bucket = freshBucket();
    const s = await open(bucket);
    await s.create(cmKey("ns", "mine"), cm("ns", "mine"));
    const nc = await connect({ servers: nats.url });
    const kv = await new Kvm(nc).open(bucket);
    await kv.put(kvKeyOf(cmKey("ns", "theirs")), JSON.stringify(cm("ns", "theirs", { from: "nats kv put" })));
    await kv.put(kvKeyOf(cmKey("ns", "junk")), "not json");
    await nc.close();

    const err = await s.create(cmKey("ns", "next"), cm("ns", "next")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe("Closed");
    expect((err as StoreError).message).toMatch(/written by someone else/);
    // Failed closed: later writes are refused too, reads still answer.
    await expect(s.create(cmKey("ns", "later"), cm("ns", "later"))).rejects.toMatchObject({ code: "Closed" });

    const logged: string[] = [];
    const again = await open(bucket, { log: (l) => logged.push(l) });
    expect(again.revision).toBe(3);
    const theirs = again.get(cmKey("ns", "theirs"));
    expect((theirs?.["data"] as { from: string }).from).toBe("nats kv put");
    expect(rvOf(theirs)).toBe("2");
    expect(again.get(cmKey("ns", "junk"))).toBeUndefined();
    expect(logged.join("\n")).toMatch(/skipping .*junk.* at revision 3: /);
    expect((await again.create(cmKey("ns", "next"), cm("ns", "next"))).revision).toBe(4);
  });

  it("writes issued while nats-server restarts are retried and land once, in order", async () => {
    const own = await startNatsServer({ jetstream: true });
    const bucket = freshBucket();
    const s = await open(bucket, { servers: own.url });
    await s.create(cmKey("ns", "before"), cm("ns", "before"));
    // Restart the server on the same port and store directory (what `systemctl restart nats-server` does).
    const storeDir = (own.process.spawnargs.at(-1) ?? "").replace(/\/nats\.conf$/, "");
    own.process.kill("SIGKILL");
    await new Promise((r) => own.process.once("exit", r));
    const during = Array.from({ length: 20 }, (_, i) => s.create(cmKey("ns", `during${i}`), cm("ns", `during${i}`)));
    const restarted = await startNatsServer({ jetstream: true, port: own.port, storeDir });
    try {
      const events = await Promise.all(during);
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      await s.close();
      const reopened = await open(bucket, { servers: restarted.url });
      expect(reopened.revision).toBe(21);
      expect(reopened.list("/").items.length).toBe(21);
    } finally {
      await restarted.stop();
      await own.stop();
    }
  }, 60_000);
});

describe("JetStream KV backend on a 3-node nats cluster", () => {
  let cluster: NatsCluster;
  // Under a full parallel test run a fresh cluster can take long to elect its
  // JetStream meta leader: wait for it here, with room, not inside the test.
  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    const nc = await connect({ servers: cluster.urls });
    try {
      const deadline = Date.now() + 150_000;
      for (;;) {
        try {
          await (await jetstreamManager(nc)).getAccountInfo();
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      await nc.close();
    }
  }, 180_000);
  afterAll(async () => {
    for (const s of opened.splice(0)) await s.close().catch(() => undefined);
    await cluster?.stop();
  });

  it("a bucket with 3 replicas keeps every acknowledged write when the server the store talks to is killed", async () => {
    const bucket = freshBucket();
    const patient = { startupTimeoutMs: 150_000, writeTimeoutMs: 150_000 }; // elections after a start or a kill, on a loaded machine
    const s = await open(bucket, { servers: cluster.urls, replicas: 3, ...patient });
    for (let i = 0; i < 50; i++) await s.create(cmKey("ns", `a${i}`), cm("ns", `a${i}`));
    // Kill a member: whichever the store is connected to, the bucket's quorum (2 of 3) survives.
    await cluster.members[0]!.kill();
    const more = Array.from({ length: 50 }, (_, i) => s.create(cmKey("ns", `b${i}`), cm("ns", `b${i}`)));
    const events = await Promise.all(more);
    expect(events.at(-1)!.revision).toBe(100);
    await s.close();

    // A store on another machine, talking to the survivors only, serves the same state.
    const other = await open(bucket, { servers: cluster.urls.slice(1), replicas: 3, ...patient });
    expect(other.revision).toBe(100);
    expect(other.list("/").items.length).toBe(100);
    await cluster.members[0]!.start();
  }, 400_000);
});
