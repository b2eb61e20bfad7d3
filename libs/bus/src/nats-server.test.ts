import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { natsServerEnv, startNatsServer } from "./nats-server.ts";

describe("natsServerEnv", () => {
  it("gives nats-server half the cores, at least one", () => {
    expect(natsServerEnv({}, 2).GOMAXPROCS).toBe("1");
    expect(natsServerEnv({}, 1).GOMAXPROCS).toBe("1");
    expect(natsServerEnv({}, 8).GOMAXPROCS).toBe("4");
    expect(natsServerEnv({ PATH: "/bin" }, 8).PATH).toBe("/bin");
  });

  it("keeps a GOMAXPROCS the user set", () => {
    expect(natsServerEnv({ GOMAXPROCS: "3" }, 2).GOMAXPROCS).toBe("3");
  });

  it("is the environment the started server runs with", async () => {
    const nats = await startNatsServer({ jetstream: false });
    try {
      const environ = readFileSync(`/proc/${nats.process.pid}/environ`, "utf8").split("\0");
      expect(environ).toContain(`GOMAXPROCS=${natsServerEnv().GOMAXPROCS}`);
    } finally {
      await nats.stop();
    }
  });
});
