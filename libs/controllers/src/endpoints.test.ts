/** Endpoints and EndpointSlice reconciles as functions of (Service, observed pods, existing slices). */
import { describe, expect, it } from "vitest";
import { computeSubsets } from "./endpoints.ts";
import { desiredGroups, MAX_ENDPOINTS_PER_SLICE, planSlices, type SliceEndpoint } from "./endpointslice.ts";
import type { Obj } from "./util.ts";

const svc = (spec: Record<string, unknown> = {}): Obj =>
  ({ metadata: { name: "web", namespace: "ns", uid: "svc" }, spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http" }], ...spec } }) as unknown as Obj;
const pod = (name: string, o: { ip?: string; ready?: boolean; deleting?: boolean; phase?: string; node?: string; port?: number; hostname?: string } = {}): Obj =>
  ({
    metadata: { name, namespace: "ns", uid: `uid-${name}`, ...(o.deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}) },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}), ...(o.hostname ? { hostname: o.hostname, subdomain: "web" } : {}),
      containers: [{ name: "c", ports: [{ name: "http", containerPort: o.port ?? 8080 }] }],
    },
    status: { phase: o.phase ?? "Running", ...(o.ip === "" ? {} : { podIP: o.ip ?? `10.0.0.${name.length}` }), conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }] },
  }) as unknown as Obj;

const addrs = (list?: { ip: string }[]) => (list ?? []).map((a) => a.ip);
const summary = (subsets: ReturnType<typeof computeSubsets>) =>
  subsets.map((s) => ({ ready: addrs(s.addresses), notReady: addrs(s.notReadyAddresses), ports: (s.ports ?? []).map((p) => `${p.name ?? ""}:${p.port}`) }));

describe("computeSubsets (Endpoints)", () => {
  const cases: [string, Obj, Obj[], ReturnType<typeof summary>][] = [
    ["no pods: no subsets", svc(), [], []],
    ["ready and not-ready pods share a subset", svc(), [pod("a", { ip: "10.0.0.1" }), pod("b", { ip: "10.0.0.2", ready: false })],
      [{ ready: ["10.0.0.1"], notReady: ["10.0.0.2"], ports: ["http:8080"] }]],
    ["pods without an IP, finished or terminating are left out", svc(),
      [pod("a", { ip: "10.0.0.1" }), pod("noip", { ip: "" }), pod("done", { ip: "10.0.0.3", phase: "Succeeded" }), pod("going", { ip: "10.0.0.4", deleting: true })],
      [{ ready: ["10.0.0.1"], notReady: [], ports: ["http:8080"] }]],
    ["publishNotReadyAddresses: every address is ready", svc({ publishNotReadyAddresses: true }), [pod("b", { ip: "10.0.0.2", ready: false })],
      [{ ready: ["10.0.0.2"], notReady: [], ports: ["http:8080"] }]],
    ["different target ports split into subsets", svc(), [pod("a", { ip: "10.0.0.1", port: 8080 }), pod("b", { ip: "10.0.0.2", port: 9090 })],
      [{ ready: ["10.0.0.1"], notReady: [], ports: ["http:8080"] }, { ready: ["10.0.0.2"], notReady: [], ports: ["http:9090"] }]],
    ["a named targetPort the pod lacks: left out", svc({ ports: [{ name: "grpc", port: 81, targetPort: "grpc" }] }), [pod("a", { ip: "10.0.0.1" })], []],
    ["a numeric targetPort needs no container port", svc({ ports: [{ port: 80, targetPort: 3000 }] }), [pod("a", { ip: "10.0.0.1" })],
      [{ ready: ["10.0.0.1"], notReady: [], ports: [":3000"] }]],
    ["headless without ports still lists addresses", svc({ clusterIP: "None", ports: [] }), [pod("a", { ip: "10.0.0.1" })], [{ ready: ["10.0.0.1"], notReady: [], ports: [] }]],
    ["no ports and not headless: nothing", svc({ ports: [] }), [pod("a", { ip: "10.0.0.1" })], []],
  ];
  it.each(cases)("%s", (_, s, pods, want) => expect(summary(computeSubsets(s, pods))).toEqual(want));

  it("carries hostname (when subdomain is the Service), nodeName and a Pod targetRef", () => {
    const [subset] = computeSubsets(svc(), [pod("a", { ip: "10.0.0.1", node: "node-1", hostname: "a-host" })]);
    expect(subset!.addresses![0]).toEqual({ ip: "10.0.0.1", hostname: "a-host", nodeName: "node-1", targetRef: { kind: "Pod", namespace: "ns", name: "a", uid: "uid-a" } });
  });
});

describe("desiredGroups (EndpointSlice conditions)", () => {
  const conditions = (s: Obj, p: Obj) => desiredGroups(s, [p])[0]?.endpoints[0]?.conditions;
  const cases: [string, Obj, Obj, SliceEndpoint["conditions"] | undefined][] = [
    ["ready", svc(), pod("a"), { ready: true, serving: true, terminating: false }],
    ["not ready", svc(), pod("a", { ready: false }), { ready: false, serving: false, terminating: false }],
    ["terminating but still ready: serving, not ready", svc(), pod("a", { deleting: true }), { ready: false, serving: true, terminating: true }],
    ["terminating and not ready", svc(), pod("a", { deleting: true, ready: false }), { ready: false, serving: false, terminating: true }],
    ["publishNotReadyAddresses: ready regardless", svc({ publishNotReadyAddresses: true }), pod("a", { ready: false, deleting: true }), { ready: true, serving: true, terminating: true }],
    ["finished pods are left out", svc(), pod("a", { phase: "Failed" }), undefined],
  ];
  it.each(cases)("%s", (_, s, p, want) => expect(conditions(s, p)).toEqual(want));

  it("groups by port set and address family; zone from the node", () => {
    const groups = desiredGroups(svc(), [pod("a", { ip: "10.0.0.1", port: 8080, node: "n1" }), pod("b", { ip: "10.0.0.2", port: 9090 })], (n) => (n === "n1" ? "zone-a" : undefined));
    expect(groups.map((g) => [g.addressType, g.ports.map((p) => p.port), g.endpoints.map((e) => e.addresses[0])])).toEqual([["IPv4", [8080], ["10.0.0.1"]], ["IPv4", [9090], ["10.0.0.2"]]]);
    expect(groups[0]!.endpoints[0]).toMatchObject({ nodeName: "n1", zone: "zone-a" });
    expect(desiredGroups(svc({ ipFamilies: ["IPv6"] }), [pod("a", { ip: "10.0.0.1" })])).toEqual([]);
  });
});

describe("planSlices (desired groups → existing slices)", () => {
  const PORTS = [{ name: "http", port: 8080, protocol: "TCP" }];
  const ep = (i: number): SliceEndpoint => ({ addresses: [`10.0.${Math.floor(i / 250)}.${i % 250}`], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: "Pod", namespace: "ns", name: `p${i}`, uid: `u${i}` } });
  const eps = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ep(from + k));
  const slice = (name: string, endpoints: SliceEndpoint[], ports: unknown[] = PORTS): Obj => ({ metadata: { name }, addressType: "IPv4", ports, endpoints }) as unknown as Obj;
  const group = (endpoints: SliceEndpoint[], ports = PORTS) => ({ addressType: "IPv4", ports, endpoints });
  const shape = (p: ReturnType<typeof planSlices>) => ({
    keep: Object.fromEntries([...p.plan].map(([n, v]) => [n, v.endpoints.length])),
    creates: p.creates.map((c) => c.endpoints.length),
    unused: p.unused.map((s) => s.metadata.name),
  });
  const cases: [string, ReturnType<typeof group>[], Obj[], ReturnType<typeof shape>][] = [
    ["nothing yet: new slices of at most 100", [group(eps(0, 250))], [], { keep: {}, creates: [100, 100, 50], unused: [] }],
    ["an endpoint stays in its slice; newcomers fill the room", [group(eps(0, 30))], [slice("s1", eps(0, 20))], { keep: { s1: 30 }, creates: [], unused: [] }],
    ["a full slice overflows into a new one", [group(eps(0, 120))], [slice("s1", eps(0, 100))], { keep: { s1: 100 }, creates: [20], unused: [] }],
    ["fullest slice is filled first", [group(eps(0, 95))], [slice("small", eps(0, 5)), slice("big", eps(5, 90))], { keep: { small: 5, big: 90 }, creates: [], unused: [] }],
    ["slices emptied by departed pods go away", [group(eps(0, 10))], [slice("s1", eps(0, 10)), slice("s2", eps(10, 20))], { keep: { s1: 10 }, creates: [], unused: ["s2"] }],
    ["a slice with other ports is not reused", [group(eps(0, 10))], [slice("old", eps(0, 10), [{ name: "http", port: 9090, protocol: "TCP" }])], { keep: {}, creates: [10], unused: ["old"] }],
    ["no endpoints: one placeholder slice is kept", [group([], [])], [slice("p1", [], []), slice("p2", [], [])], { keep: { p1: 0 }, creates: [], unused: ["p2"] }],
    ["no endpoints and no slice: a placeholder is created", [group([], [])], [], { keep: {}, creates: [0], unused: [] }],
  ];
  it.each(cases)("%s", (_, groups, mine, want) => expect(shape(planSlices(groups, mine))).toEqual(want));

  it("fills existing room before creating, so 100 is never exceeded", () => {
    const p = planSlices([group(eps(0, 180))], [slice("a", eps(0, 60)), slice("b", eps(60, 90))]);
    expect([...p.plan.values()].map((v) => v.endpoints.length).sort()).toEqual([100, 80].sort());
    expect(p.creates).toEqual([]);
    for (const v of p.plan.values()) expect(v.endpoints.length).toBeLessThanOrEqual(MAX_ENDPOINTS_PER_SLICE);
  });
});
