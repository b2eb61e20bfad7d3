/** The event recorder's aggregation memory, against a fake API (what it remembers, and for how long). */
import { describe, expect, it } from "vitest";
import type { JsonObject } from "@kubeactor/bus";
import { type ApiClient, EventRecorder, eventName } from "@kubeactor/client";

const fakeApi = () => {
  const writes: { verb: "create" | "update"; event: JsonObject }[] = [];
  let rv = 0;
  const stamp = (o: JsonObject) => ({ ...o, metadata: { ...(o.metadata as object), resourceVersion: String(++rv) } });
  const api = {
    createAcknowledged: async (_r: unknown, _ns: string, o: JsonObject) => void writes.push({ verb: "create", event: o }),
    update: async (_r: unknown, _ns: string, o: JsonObject) => (writes.push({ verb: "update", event: o }), stamp(o)),
  } as unknown as ApiClient;
  return { api, writes };
};
const pod = (name: string): JsonObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: "7" } });

describe("EventRecorder", () => {
  it("names Events as client-go does, <object>.<UnixNano in hex>, never twice in one process", async () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const names = Array.from({ length: 1000 }, () => eventName("web-0"));
    expect(new Set(names).size).toBe(1000);
    for (const n of names) expect(n).toMatch(/^web-0\.[0-9a-f]+$/);
    const nanos = names.map((n) => BigInt(`0x${n.slice("web-0.".length)}`));
    expect(nanos[0]! >= before).toBe(true);
    expect(nanos.every((v, i) => i === 0 || v > nanos[i - 1]!)).toBe(true);
    const { api, writes } = fakeApi();
    await new EventRecorder(api, { component: "default-scheduler" }).record(pod("p"), "Normal", "Scheduled", "Successfully assigned default/p to n");
    expect((writes[0]!.event.metadata as { name: string }).name).toMatch(/^p\.[0-9a-f]+$/);
  });

  it("bumps the count of a repeat within ten minutes, starts a new Event after, and forgets what expired", async () => {
    const { api, writes } = fakeApi();
    let t = 1_000_000;
    const recorder = new EventRecorder(api, { component: "kubelet", host: "node-1" }, () => {}, () => t);
    await recorder.record(pod("a"), "Normal", "Started", "Started container app", "spec.containers{app}");
    t += 60_000;
    await recorder.record(pod("a"), "Normal", "Started", "Started container app", "spec.containers{app}");
    await recorder.record(pod("a"), "Normal", "Started", "Started container other", "spec.containers{other}");
    expect(writes.map((w) => [w.verb, w.event.count, w.event.message])).toEqual([
      ["create", 1, "Started container app"],
      ["update", 2, "Started container app"],
      ["create", 1, "Started container other"],
    ]);
    expect(writes[1]!.event.metadata).toMatchObject({ name: (writes[0]!.event.metadata as { name: string }).name });
    // The repeat is unconditional, as client-go's patch of count and lastTimestamp, and keeps what the first said.
    expect(writes[1]!.event.metadata).not.toHaveProperty("resourceVersion");
    expect(writes[1]!.event).toMatchObject({ firstTimestamp: writes[0]!.event.firstTimestamp, involvedObject: { resourceVersion: "7" } });
    expect(recorder.remembered).toBe(2);

    // 10 minutes after the first: the first is past the window (forgotten, a repeat is a new Event); the second is not.
    t += 9 * 60_000;
    await recorder.record(pod("b"), "Warning", "BackOff", "Back-off pulling image \"x\"");
    expect(recorder.remembered).toBe(2);
    await recorder.record(pod("a"), "Normal", "Started", "Started container app", "spec.containers{app}");
    expect(writes.at(-1)).toMatchObject({ verb: "create", event: { count: 1, message: "Started container app" } });
    t += 11 * 60_000;
    await recorder.record(pod("c"), "Normal", "Pulled", "Container image \"x\" already present on machine");
    expect(recorder.remembered).toBe(1);
  });
});
