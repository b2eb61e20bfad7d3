import { describe, expect, it } from "vitest";
import { chooseStoreBackend } from "./backend-choice.ts";

describe("--store-backend", () => {
  it("file is the default and needs no NATS", () => {
    expect(chooseStoreBackend({ backend: undefined, dir: "/d/store", natsUrl: undefined })).toEqual({ backendName: "file", where: "/d/store" });
  });
  it("jetstream names its bucket and every cluster member", () => {
    const c = chooseStoreBackend({ backend: "jetstream", dir: "/d/store", natsUrl: "nats://a:4222, nats://b:4222", bucket: "prod", replicas: 3 });
    expect(c.backendName).toBe("jetstream");
    expect(c.backend).toBeDefined();
    expect(c.where).toBe("JetStream KV bucket prod at nats://a:4222,nats://b:4222");
  });
  it.each([
    [{ backend: "etcd", natsUrl: "nats://x" }, 'invalid value "etcd" for flag --store-backend: must be file or jetstream'],
    [{ backend: "jetstream", natsUrl: undefined }, "--store-backend jetstream needs a NATS server with JetStream: install nats-server or pass --nats URL"],
    [{ backend: "jetstream", natsUrl: "nats://x", replicas: 7 }, 'invalid value "7" for flag --jetstream-replicas: must be 1 to 5'],
    [{ backend: "jetstream", natsUrl: "nats://x", bucket: "a.b" }, 'invalid value "a.b" for flag --jetstream-bucket: letters, digits, - and _ only'],
  ])("%j is a one-line error", (o, message) => {
    expect(() => chooseStoreBackend({ dir: "/d", ...o })).toThrow(message);
  });
});
