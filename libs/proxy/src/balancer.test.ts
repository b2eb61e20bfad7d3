import { describe, expect, it } from "vitest";
import { Balancer } from "./balancer.ts";

const eps = (...ips: string[]) => ips.map((ip) => ({ ip, port: 80 }));

describe("Balancer", () => {
  it("rotates over the endpoints and skips ones that just failed", () => {
    const b = new Balancer(undefined);
    b.update(eps("10.0.0.1", "10.0.0.2", "10.0.0.3"), undefined);
    expect([1, 2, 3, 4].map(() => b.pick("c")!.ip)).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1"]);
    expect(b.pick("c", new Set(["10.0.0.2:80"]))!.ip).toBe("10.0.0.3");
    expect(b.pick("c", new Set(["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"]))).toBeUndefined();
  });

  it("keeps a client on its endpoint until the affinity times out or the endpoint leaves", () => {
    let now = 0;
    const b = new Balancer({ timeoutSeconds: 10 }, () => now);
    b.update(eps("10.0.0.1", "10.0.0.2"), { timeoutSeconds: 10 });
    const first = b.pick("client-a")!.ip;
    now = 9_000;
    expect(b.pick("client-a")!.ip).toBe(first);
    expect(b.pick("client-b")!.ip).not.toBe(first);
    now = 30_000;
    b.pick("client-a");
    // Removing the endpoint drops the affinity to it.
    const stuck = b.pick("client-a")!.ip;
    b.update(eps("10.0.0.1", "10.0.0.2").filter((e) => e.ip !== stuck), { timeoutSeconds: 10 });
    expect(b.pick("client-a")!.ip).not.toBe(stuck);
  });

  it("has nothing to give without endpoints", () => {
    const b = new Balancer(undefined);
    expect(b.pick("c")).toBeUndefined();
  });
});
