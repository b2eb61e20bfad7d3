import { describe, expect, it } from "vitest";
import type { JsonObject } from "@kubeactor/bus";
import { PodStatusWriter, type StatusApi } from "./status-writer.ts";

const pod = (rv: number, phase?: string): JsonObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", uid: "u1", resourceVersion: String(rv) },
  spec: { containers: [{ name: "c", image: "x" }] },
  ...(phase ? { status: { phase } } : {}),
});

/** A server that holds one pod and refuses a write whose resourceVersion is not the current one (409), as the API server does. */
const fakeServer = (watch: (p: JsonObject) => void = () => {}) => {
  let current = pod(1);
  const calls: string[] = [];
  const api: StatusApi = {
    getPod: async () => {
      calls.push("get");
      return current;
    },
    updatePodStatus: async (p) => {
      const rv = (p.metadata as { resourceVersion: string }).resourceVersion;
      if (rv !== (current.metadata as { resourceVersion: string }).resourceVersion) {
        calls.push(`update@${rv}:409`);
        throw { status: { code: 409 } };
      }
      calls.push(`update@${rv}`);
      current = { ...p, metadata: { ...(p.metadata as object), resourceVersion: String(Number(rv) + 1) } };
      // The watch event reaches the informer before the reply reaches the writer (as on the in-process bus).
      watch(current);
      await Promise.resolve();
      return current;
    },
  };
  return { api, calls, current: () => current };
};

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("PodStatusWriter", () => {
  it("writes a status queued with an older pod onto the newer one the informer delivered meanwhile: no 409, no re-read", async () => {
    let writer: PodStatusWriter | undefined;
    const server = fakeServer((p) => writer!.seen(p));
    writer = new PodStatusWriter(server.api, () => 0, () => true);
    writer.write(pod(1), { phase: "Pending", conditions: [] });
    // The second status is derived while the first write is in flight, from the pod as created (rv 1).
    writer.write(pod(1), { phase: "Running", conditions: [] });
    for (let i = 0; i < 5; i++) await settle();
    expect(server.calls).toEqual(["update@1", "update@2"]);
    expect((server.current().status as { phase: string }).phase).toBe("Running");
  });

  it("a write that does conflict (someone else wrote the pod) re-reads it and writes again", async () => {
    const server = fakeServer();
    const writer = new PodStatusWriter(server.api, () => 0, () => true);
    await server.api.updatePodStatus({ ...pod(1), status: { phase: "Pending", conditions: [] } }); // another writer: now rv 2
    server.calls.length = 0;
    writer.write(pod(1), { phase: "Running", conditions: [] });
    for (let i = 0; i < 5; i++) await settle();
    expect(server.calls).toEqual(["update@1:409", "get", "update@2"]);
  });
});
