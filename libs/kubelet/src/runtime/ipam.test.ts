import { describe, expect, it } from "vitest";
import { hostIpFor, podCidrFor } from "./ipam.ts";

describe("node address plan", () => {
  it("gives every node a distinct loopback /24 for pods, clear of the service range and node addresses", () => {
    expect(podCidrFor(1)).toBe("127.244.1.0/24");
    expect(podCidrFor(3071)).toBe("127.255.255.0/24");
    expect(podCidrFor(3072)).toBe("127.128.0.0/24");
    const seen = new Set<string>();
    for (let i = 0; i < 32768; i++) {
      const cidr = podCidrFor(i);
      const second = Number(cidr.split(".")[1]);
      expect(second >= 128 && second <= 255).toBe(true); // never 127.96/12 (services) nor 127.18 (nodes)
      seen.add(cidr);
    }
    expect(seen.size).toBe(32768);
    expect(() => podCidrFor(32768)).toThrow(/beyond/);
  });

  it("gives nodes loopback InternalIPs that kube-proxy can bind", () => {
    expect(hostIpFor(1)).toBe("127.18.0.3");
    expect(hostIpFor(5000)).toBe("127.18.20.2");
  });
});
