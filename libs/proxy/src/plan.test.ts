import { describe, expect, it } from "vitest";
import { computePlan } from "./plan.ts";

const svc = (name: string, spec: Record<string, unknown>) => ({ metadata: { namespace: "default", name }, spec });
const slice = (endpoints: unknown[], ports = [{ name: "http", port: 8080, protocol: "TCP" }]) => ({ addressType: "IPv4", endpoints, ports });

describe("computePlan", () => {
  it("lists only ready, non-terminating endpoints (unset readiness counts as ready)", () => {
    const plan = computePlan(
      [svc("web", { clusterIP: "127.96.0.10", ports: [{ name: "http", port: 80, protocol: "TCP" }] })],
      () => [
        slice([
          { addresses: ["127.1.0.1"], conditions: { ready: true } },
          { addresses: ["127.1.0.2"], conditions: {} },
          { addresses: ["127.1.0.3"], conditions: { ready: false } },
          { addresses: ["127.1.0.4"], conditions: { ready: false, serving: true, terminating: true } },
        ]),
        slice([{ addresses: ["127.1.0.1"], conditions: { ready: true } }]),
      ],
      [],
    );
    expect(plan.ports).toEqual([
      {
        key: "default/web:http",
        protocol: "TCP",
        endpoints: [{ ip: "127.1.0.1", port: 8080 }, { ip: "127.1.0.2", port: 8080 }],
        affinity: undefined,
        addresses: [{ ip: "127.96.0.10", port: 80 }],
      },
    ]);
  });

  it("listens on every node address at the NodePort, and publishes a LoadBalancer's ClusterIP", () => {
    const plan = computePlan(
      [svc("lb", { type: "LoadBalancer", clusterIP: "127.96.0.11", sessionAffinity: "ClientIP", ports: [{ name: "http", port: 80, nodePort: 30080 }] })],
      () => [slice([{ addresses: ["127.1.0.1"] }])],
      ["127.0.0.1", "127.18.0.2"],
    );
    expect(plan.ports[0]!.addresses).toEqual([{ ip: "127.96.0.11", port: 80 }, { ip: "127.0.0.1", port: 30080 }, { ip: "127.18.0.2", port: 30080 }]);
    expect(plan.ports[0]!.affinity).toEqual({ timeoutSeconds: 10800 });
    expect(plan.loadBalancers).toEqual([{ namespace: "default", name: "lb", ingressIp: "127.96.0.11" }]);
  });

  it("gives headless, ExternalName, endpoint-less and SCTP Service ports no listener", () => {
    const plan = computePlan(
      [
        svc("headless", { clusterIP: "None", ports: [{ name: "http", port: 80 }] }),
        svc("ext", { type: "ExternalName", externalName: "example.com" }),
        svc("empty", { clusterIP: "127.96.0.12", ports: [{ name: "http", port: 80 }] }),
        svc("sctp", { clusterIP: "127.96.0.13", ports: [{ name: "http", port: 80, protocol: "SCTP" }] }),
      ],
      (_, name) => (name === "empty" ? [slice([{ addresses: ["127.1.0.1"], conditions: { ready: false } }])] : [slice([{ addresses: ["127.1.0.1"] }])]),
      [],
    );
    expect(plan.ports).toEqual([]);
    expect(plan.skipped).toEqual(["default/sctp:http/SCTP: protocol SCTP is not supported by the userspace proxy"]);
  });
});
