/** EndpointSlice mirroring as functions of (Endpoints, Service): which objects mirror, and into what. */
import { describe, expect, it } from "vitest";
import { MAX_MIRRORED_PER_SUBSET, MIRRORING_CONTROLLER_NAME, mirroredMetadata, mirroredSlices, shouldMirror } from "./endpointslice-mirroring.ts";
import type { Obj } from "./util.ts";

const eps = (subsets: unknown[], metadata: Record<string, unknown> = {}): Obj => ({ metadata: { name: "db", namespace: "ns", uid: "ep", ...metadata }, subsets }) as unknown as Obj;
const svc = (spec: Record<string, unknown> = {}): Obj => ({ metadata: { name: "db", namespace: "ns" }, spec: { ports: [{ port: 5432 }], ...spec } }) as unknown as Obj;

describe("shouldMirror", () => {
  const cases: [string, Obj | undefined, Obj | undefined, boolean][] = [
    ["a selector-less Service's Endpoints", eps([]), svc(), true],
    ["no Service", eps([]), undefined, false],
    ["the Service has a selector (the endpoints controller owns them)", eps([]), svc({ selector: { app: "db" } }), false],
    ["skip-mirror label", eps([], { labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } }), svc(), false],
    ["skip-mirror other than true", eps([], { labels: { "endpointslice.kubernetes.io/skip-mirror": "false" } }), svc(), true],
    ["a leader-election record", eps([], { annotations: { "control-plane.alpha.kubernetes.io/leader": "{}" } }), svc(), false],
    ["no Endpoints", undefined, svc(), false],
  ];
  it.each(cases)("%s → %s", (_, e, s, want) => expect(shouldMirror(e, s)).toBe(want));
});

describe("mirroredSlices", () => {
  const shape = (e: Obj) => mirroredSlices(e).map((s) => ({ type: s.addressType, ports: s.ports.map((p) => `${p.name}:${p.port}/${p.protocol}`), eps: s.endpoints.map((x) => `${x.addresses[0]}${x.conditions.ready ? "" : "(unready)"}`) }));
  const cases: [string, unknown[], ReturnType<typeof shape>][] = [
    ["no subsets: no slices", [], []],
    [
      "ready and not-ready addresses; protocol defaults to TCP",
      [{ addresses: [{ ip: "10.0.0.1" }], notReadyAddresses: [{ ip: "10.0.0.2" }], ports: [{ name: "pg", port: 5432 }] }],
      [{ type: "IPv4", ports: ["pg:5432/TCP"], eps: ["10.0.0.1", "10.0.0.2(unready)"] }],
    ],
    [
      "subsets with the same ports share a slice; duplicates are dropped",
      [{ addresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80 }] }, { addresses: [{ ip: "10.0.0.2" }, { ip: "10.0.0.1" }], ports: [{ port: 80, protocol: "TCP" }] }],
      [{ type: "IPv4", ports: [":80/TCP"], eps: ["10.0.0.1", "10.0.0.2"] }],
    ],
    [
      "different ports and address families split",
      [{ addresses: [{ ip: "10.0.0.1" }, { ip: "fd00::1" }], ports: [{ port: 80 }] }, { addresses: [{ ip: "10.0.0.3" }], ports: [{ port: 81, protocol: "UDP" }] }],
      [
        { type: "IPv4", ports: [":80/TCP"], eps: ["10.0.0.1"] },
        { type: "IPv6", ports: [":80/TCP"], eps: ["fd00::1"] },
        { type: "IPv4", ports: [":81/UDP"], eps: ["10.0.0.3"] },
      ],
    ],
    ["invalid IPs are skipped", [{ addresses: [{ ip: "not-an-ip" }, { ip: "10.0.0.9" }], ports: [{ port: 80 }] }], [{ type: "IPv4", ports: [":80/TCP"], eps: ["10.0.0.9"] }]],
  ];
  it.each(cases)("%s", (_, subsets, want) => expect(shape(eps(subsets))).toEqual(want));

  it("copies hostname, nodeName and targetRef; caps a subset at the mirroring limit", () => {
    const [s] = mirroredSlices(eps([{ addresses: [{ ip: "10.0.0.1", hostname: "db-0", nodeName: "node-1", targetRef: { kind: "Pod", name: "db-0", namespace: "ns" } }], ports: [{ port: 1 }] }]));
    expect(s!.endpoints[0]).toEqual({ addresses: ["10.0.0.1"], conditions: { ready: true }, hostname: "db-0", nodeName: "node-1", targetRef: { kind: "Pod", name: "db-0", namespace: "ns" } });
    const many = Array.from({ length: MAX_MIRRORED_PER_SUBSET + 5 }, (_, i) => ({ ip: `10.1.${Math.floor(i / 250)}.${i % 250}` }));
    expect(mirroredSlices(eps([{ addresses: many, ports: [{ port: 1 }] }]))[0]!.endpoints.length).toBe(MAX_MIRRORED_PER_SUBSET);
  });
});

it("mirrored metadata: the Endpoints' labels and annotations, minus trigger time and last-applied, plus service-name and managed-by", () => {
  const m = mirroredMetadata(
    eps([], {
      labels: { team: "a", "endpointslice.kubernetes.io/managed-by": "someone" },
      annotations: { note: "x", "endpoints.kubernetes.io/last-change-trigger-time": "t", "kubectl.kubernetes.io/last-applied-configuration": "{}" },
    }),
  );
  expect(m).toEqual({
    labels: { team: "a", "kubernetes.io/service-name": "db", "endpointslice.kubernetes.io/managed-by": MIRRORING_CONTROLLER_NAME },
    annotations: { note: "x" },
  });
});
