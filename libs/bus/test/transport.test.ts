import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Schema from "effect/Schema";
import { transportCases } from "@kubeactor/testing";
import { Bus, BusError, eventSubject, requestSubject, watchChange, type Transport } from "@kubeactor/bus";
import { isStatusError } from "@kubeactor/api";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

const ping = requestSubject({
  pattern: "test.ping.{who}",
  description: "test",
  publishers: [],
  subscribers: [],
  request: Schema.Struct({ n: Schema.Number }),
  response: Schema.Struct({ doubled: Schema.Number }),
});
const note = eventSubject({ pattern: "test.note.{a}.{b}", description: "test", publishers: [], subscribers: [], schema: Schema.Struct({ text: Schema.String }) });

describe.each(transportCases())("transport: $name", (tc) => {
  let a: Transport;
  let b: Transport;
  beforeAll(async () => {
    await tc.setup();
    a = await tc.connect("a");
    b = await tc.connect("b");
  });
  afterAll(() => tc.teardown());

  it("matches * and > like NATS", async () => {
    const got: string[] = [];
    const s1 = b.subscribe("x.*.z", (m) => got.push(`star:${m.subject}`));
    const s2 = b.subscribe("x.>", (m) => got.push(`gt:${m.subject}`));
    await b.flush();
    a.publish("x.y.z", enc("1"));
    a.publish("x.y", enc("2"));
    a.publish("x.y.z.w", enc("3"));
    a.publish("x", enc("4"));
    await a.flush();
    await tick();
    s1.unsubscribe();
    s2.unsubscribe();
    expect(got.sort()).toEqual(["gt:x.y", "gt:x.y.z", "gt:x.y.z.w", "star:x.y.z"]);
  });

  it("delivers each message to one member of a queue group, in order per subscriber", async () => {
    const counts = [0, 0];
    const s1 = b.subscribe("q.work", () => counts[0]!++, { queue: "workers" });
    const s2 = b.subscribe("q.work", () => counts[1]!++, { queue: "workers" });
    await b.flush();
    for (let i = 0; i < 100; i++) a.publish("q.work", enc(String(i)));
    await a.flush();
    await tick(100);
    s1.unsubscribe();
    s2.unsubscribe();
    expect(counts[0]! + counts[1]!).toBe(100);
  });

  it("keeps publish order for one subscriber", async () => {
    const got: number[] = [];
    const s = b.subscribe("order.test", (m) => got.push(Number(dec(m.data))));
    await b.flush();
    for (let i = 0; i < 500; i++) a.publish("order.test", enc(String(i)));
    await a.flush();
    await tick(100);
    s.unsubscribe();
    expect(got).toEqual([...Array(500).keys()]);
  });

  it("fails a request with no responders, and times out a silent responder", async () => {
    await expect(a.request("nobody.home", enc("x"), { timeoutMs: 1000 })).rejects.toMatchObject({ code: "NoResponders" });
    const s = b.subscribe("silent.one", () => {});
    await b.flush();
    const err = await a.request("silent.one", enc("x"), { timeoutMs: 200 }).catch((e) => e);
    s.unsubscribe();
    expect(err).toBeInstanceOf(BusError);
    expect((err as BusError).code).toBe("Timeout");
  });

  it("typed request/reply decodes both ways and turns bad input into a 400 Status", async () => {
    const server = new Bus(b, { log: () => {} });
    const client = new Bus(a, { log: () => {} });
    const sub = server.serve(ping, async (req, params) => {
      if (req.n < 0) throw new Error("negative");
      return { doubled: req.n * 2 + (params.who === "x.y" ? 1000 : 0) };
    });
    await b.flush();
    expect(await client.request(ping, { n: 21 }, { params: { who: "me" } })).toEqual({ doubled: 42 });
    // a `.` in a parameter stays inside one token
    expect(await client.request(ping, { n: 1 }, { params: { who: "x.y" } })).toEqual({ doubled: 1002 });
    const bad = await client.request(ping, { n: "nope" } as never, { params: { who: "me" } }).catch((e) => e);
    expect(isStatusError(bad) && bad.status.code).toBe(400);
    const boom = await client.request(ping, { n: -1 }, { params: { who: "me" } }).catch((e) => e);
    expect(isStatusError(boom) && boom.status.code).toBe(500);
    expect(server.stats.decodeFailures).toBe(1);
    sub.unsubscribe();
    await b.flush(); // the server must have processed the UNSUB before we ask again
    const gone = await client.request(ping, { n: 1 }, { params: { who: "me" }, timeoutMs: 500 }).catch((e) => e);
    expect(isStatusError(gone) && gone.status.code).toBe(503);
  });

  it("drops undecodable events without calling the handler and counts them", async () => {
    const bus = new Bus(b, { log: () => {} });
    const got: unknown[] = [];
    const sub = bus.subscribe(note, { a: "one" }, (p, params) => got.push([p.text, params.b]));
    await b.flush();
    a.publish("test.note.one.two", enc(JSON.stringify({ text: "hi" })));
    a.publish("test.note.one.two", enc("{not json"));
    a.publish("test.note.one.two", enc(JSON.stringify({ text: 5 })));
    await a.flush();
    await tick(100);
    sub.unsubscribe();
    expect(got).toEqual([["hi", "two"]]);
    expect(bus.stats.decodeFailures).toBe(2);
  });

  it("subscribes to the watch subject of a name with dots", async () => {
    const bus = new Bus(b, { log: () => {} });
    const pub = new Bus(a);
    const got: string[] = [];
    const sub = bus.subscribe(watchChange, { group: "", resource: "configmaps" }, (_e, p) => got.push(`${p.namespace}/${p.name}`));
    await b.flush();
    const object = { metadata: { name: "my.config" } };
    pub.publish(watchChange, { group: "", resource: "configmaps", namespace: "default", name: "my.config" }, { type: "ADDED", key: "/core/configmaps/default/my.config", revision: 1, object });
    pub.publish(watchChange, { group: "", resource: "secrets", namespace: "default", name: "x" }, { type: "ADDED", key: "k", revision: 2, object });
    await a.flush();
    await tick(100);
    sub.unsubscribe();
    expect(got).toEqual(["default/my.config"]);
  });
});
