import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeKubernetesProtobuf, decodeProtobufObject, goDuration, hasProtobufMagic, PROTOBUF_CONTENT_TYPE, ProtobufDecodeError, supportedProtobufKinds } from "./index.ts";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const versions = readdirSync(fixtures).filter((d) => d.startsWith("kubectl-") && existsSync(join(fixtures, d, "index.json")));

interface IndexCase {
  name: string;
  command: string;
  contentType: string;
  oracle: boolean;
}

const load = (version: string, name: string): Buffer => readFileSync(join(fixtures, version, `${name}.pb`));

// --- a tiny encoder for hand-made messages ------------------------------------------------

const varint = (n: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return out;
};
const vf = (no: number, n: number | bigint): number[] => [...varint(no << 3), ...varint(n)];
const lf = (no: number, b: number[] | string): number[] => {
  const bytes = typeof b === "string" ? [...Buffer.from(b)] : b;
  return [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
};
const envelope = (apiVersion: string, kind: string, raw: number[], extra: number[] = []): Uint8Array =>
  Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...lf(1, [...lf(1, apiVersion), ...lf(2, kind)]), ...lf(2, raw), ...extra]);

describe("decodeKubernetesProtobuf on captured kubectl bodies", () => {
  it("has fixtures", () => {
    expect(versions.length).toBeGreaterThan(0);
    expect(PROTOBUF_CONTENT_TYPE).toBe("application/vnd.kubernetes.protobuf");
  });

  for (const version of versions) {
    const index = JSON.parse(readFileSync(join(fixtures, version, "index.json"), "utf8")) as { cases: IndexCase[] };
    describe(version, () => {
      for (const c of index.cases.filter((c) => c.oracle)) {
        it(`${c.command} decodes to the --dry-run=client -o json object`, () => {
          const want = JSON.parse(readFileSync(join(fixtures, version, `${c.name}.json`), "utf8")) as unknown;
          expect(decodeKubernetesProtobuf(load(version, c.name))).toStrictEqual(want);
        });
      }

      const has = (name: string) => index.cases.some((c) => c.name === name && c.contentType.startsWith(PROTOBUF_CONTENT_TYPE));

      it.runIf(has("can-i"))("auth can-i (resource)", () => {
        expect(decodeKubernetesProtobuf(load(version, "can-i"))).toStrictEqual({
          apiVersion: "authorization.k8s.io/v1",
          kind: "SelfSubjectAccessReview",
          metadata: { creationTimestamp: null },
          spec: { resourceAttributes: { namespace: "default", verb: "create", group: "apps", resource: "deployments", subresource: "scale" } },
          status: { allowed: false },
        });
      });

      it.runIf(has("can-i-nonresource"))("auth can-i (non-resource URL)", () => {
        expect(decodeKubernetesProtobuf(load(version, "can-i-nonresource"))).toStrictEqual({
          apiVersion: "authorization.k8s.io/v1",
          kind: "SelfSubjectAccessReview",
          metadata: { creationTimestamp: null },
          spec: { nonResourceAttributes: { path: "/logs", verb: "get" } },
          status: { allowed: false },
        });
      });

      it.runIf(has("token"))("create token", () => {
        expect(decodeKubernetesProtobuf(load(version, "token"))).toStrictEqual({
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          metadata: { creationTimestamp: null },
          spec: { audiences: ["api"], expirationSeconds: 3600, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "p1", uid: "u1" } },
          status: { token: "", expirationTimestamp: null },
        });
      });

      it.runIf(has("whoami"))("auth whoami", () => {
        expect(decodeKubernetesProtobuf(load(version, "whoami"))).toStrictEqual({
          apiVersion: "authentication.k8s.io/v1",
          kind: "SelfSubjectReview",
          metadata: { creationTimestamp: null },
          status: { userInfo: {} },
        });
      });

      it.runIf(has("pod-debug-copy"))("debug --copy-to: a Pod with most PodSpec fields round-trips", () => {
        // kubectl decoded pod-source.json into its Go types and re-encoded it as protobuf; the copy
        // loses identity, labels, nodeName and status, and gains the debug container.
        const src = JSON.parse(readFileSync(join(fixtures, "pod-source.json"), "utf8")) as {
          metadata: Record<string, unknown>;
          spec: { containers: Array<Record<string, unknown> & { livenessProbe?: Record<string, unknown> }>; nodeName?: string };
        };
        const got = decodeKubernetesProtobuf(load(version, "pod-debug-copy")) as typeof src & { apiVersion: string; kind: string; status: unknown };
        expect(got.apiVersion).toBe("v1");
        expect(got.kind).toBe("Pod");
        expect(got.metadata).toStrictEqual({ name: "p2", namespace: "default", creationTimestamp: null, annotations: src.metadata.annotations });
        expect(got.status).toStrictEqual({});
        const { containers, nodeName: _, ...spec } = src.spec;
        const { containers: gotContainers, ...gotSpec } = got.spec;
        expect(gotSpec).toStrictEqual(spec);
        // `initialDelaySeconds: 0` is a non-pointer omitempty int32: Go's JSON leaves it out.
        const { initialDelaySeconds: __, ...liveness } = containers[0]!.livenessProbe!;
        expect(gotContainers.slice(0, 2)).toStrictEqual([{ ...containers[0], livenessProbe: liveness }, containers[1]]);
        expect(gotContainers[2]).toMatchObject({ name: "dbg", image: "busybox", command: ["sleep", "1d"], resources: {} });
      });
    });
  }
});

describe("decodeKubernetesProtobuf on hand-made messages", () => {
  const objectMeta = (fields: number[]) => lf(1, fields);

  it("prints metav1.Time as RFC3339 seconds and MicroTime with microseconds", () => {
    const ts = [...vf(1, 1741064767), ...vf(2, 123456789)];
    const cm = decodeKubernetesProtobuf(envelope("v1", "ConfigMap", objectMeta([...lf(1, "x"), ...lf(8, ts), ...lf(9, ts)])));
    expect(cm.metadata).toStrictEqual({ name: "x", creationTimestamp: "2025-03-04T05:06:07Z", deletionTimestamp: "2025-03-04T05:06:07Z" });
    // core/v1 Event.eventTime is a MicroTime (field 10); metadata is non-omitempty.
    const ev = decodeKubernetesProtobuf(envelope("v1", "Event", [...lf(10, ts)]));
    expect(ev.eventTime).toBe("2025-03-04T05:06:07.123456Z");
    expect(ev.firstTimestamp).toBeNull();
    expect(ev.reportingComponent).toBe("");
  });

  it("keeps set pointer fields even when zero, drops zero omitempty scalars", () => {
    // DeploymentSpec: replicas (pointer, 1) = 0, minReadySeconds (value, 5) = 0, paused (7) = false.
    const dep = decodeKubernetesProtobuf(envelope("apps/v1", "Deployment", [...lf(2, [...vf(1, 0), ...vf(5, 0), ...vf(7, 0)])]));
    expect(dep.spec).toStrictEqual({
      replicas: 0,
      selector: null,
      template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
      strategy: {},
    });
    expect(dep.metadata).toStrictEqual({ creationTimestamp: null });
    expect(dep.status).toStrictEqual({});
  });

  it("decodes negative int32/int64, packed repeated ints, IntOrString and Quantity", () => {
    // PodSecurityContext: runAsUser (2, int64) = -1, supplementalGroups (4, repeated int64) packed.
    const podSC = [...vf(2, -1n), ...lf(4, [...varint(4000), ...varint(5000)]), ...vf(4, 6000)];
    const container = [...lf(1, "c"), ...lf(8, [...lf(1, [...lf(1, "cpu"), ...lf(2, lf(1, "500m"))])])];
    const pod = decodeKubernetesProtobuf(envelope("v1", "Pod", [...lf(2, [...lf(2, container), ...lf(14, podSC)])]));
    const spec = pod.spec as Record<string, unknown>;
    expect(spec.securityContext).toStrictEqual({ runAsUser: -1, supplementalGroups: [4000, 5000, 6000] });
    expect(spec.containers).toStrictEqual([{ name: "c", resources: { limits: { cpu: "500m" } } }]);
    // ServicePort.targetPort as a string and as an int; nodePort -5 as a 10-byte varint.
    const port = (tp: number[]) => lf(1, [...vf(3, 80), ...lf(4, tp), ...vf(5, -5)]);
    const svc = decodeKubernetesProtobuf(envelope("v1", "Service", [...lf(2, [...port([...vf(1, 1), ...lf(3, "http")]), ...port([...vf(1, 0), ...vf(2, 8080)])])]));
    expect((svc.spec as { ports: unknown }).ports).toStrictEqual([
      { port: 80, targetPort: "http", nodePort: -5 },
      { port: 80, targetPort: 8080, nodePort: -5 },
    ]);
  });

  it("prints bytes map values as base64, sorts map keys, and skips unknown fields", () => {
    const entry = (k: string, v: number[]) => lf(2, [...lf(1, k), ...lf(2, v)]);
    const secret = decodeKubernetesProtobuf(
      envelope("v1", "Secret", [...entry("z", [0xff, 0x00]), ...entry("a", [...Buffer.from("hi")]), ...vf(99, 7), ...lf(98, "future"), ...lf(3, "Opaque")]),
    );
    expect(secret).toStrictEqual({ apiVersion: "v1", kind: "Secret", metadata: { creationTimestamp: null }, data: { a: "aGk=", z: "/wA=" }, type: "Opaque" });
    expect(Object.keys(secret.data as object)).toStrictEqual(["a", "z"]);
  });

  it("inlines embedded structs (Volume.volumeSource, Probe.handler)", () => {
    const volume = lf(1, [...lf(1, "v"), ...lf(2, lf(2, []))]); // emptyDir: {}
    const probe = lf(10, [...lf(1, lf(3, [...lf(1, [...vf(1, 1), ...lf(3, "http")])]))]); // tcpSocket.port = "http"
    const pod = decodeKubernetesProtobuf(envelope("v1", "Pod", [...lf(2, [...volume, ...lf(2, [...lf(1, "c"), ...probe])])]));
    const spec = pod.spec as { volumes: unknown; containers: Array<Record<string, unknown>> };
    expect(spec.volumes).toStrictEqual([{ name: "v", emptyDir: {} }]);
    expect(spec.containers[0]!.livenessProbe).toStrictEqual({ tcpSocket: { port: "http" } });
  });

  it("merges repeated occurrences of a singular message field, as protobuf does", () => {
    const cm = decodeKubernetesProtobuf(envelope("v1", "ConfigMap", [...lf(1, lf(1, "a")), ...lf(1, lf(3, "ns"))]));
    expect(cm.metadata).toStrictEqual({ name: "a", namespace: "ns", creationTimestamp: null });
  });

  it("accepts a JSON raw when runtime.Unknown says so", () => {
    const body = envelope("v1", "ConfigMap", [...Buffer.from('{"metadata":{"name":"j"}}')], lf(4, "application/json"));
    expect(decodeKubernetesProtobuf(body)).toStrictEqual({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "j" } });
  });

  it("decodeProtobufObject decodes a bare object", () => {
    expect(decodeProtobufObject("v1", "Namespace", Uint8Array.from(lf(1, lf(1, "n"))))).toStrictEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "n", creationTimestamp: null },
      spec: {},
      status: {},
    });
  });

  it("lists the kinds it knows", () => {
    const kinds = supportedProtobufKinds().map((k) => `${k.apiVersion} ${k.kind}`);
    for (const k of [
      "v1 Namespace", "v1 ConfigMap", "v1 Secret", "v1 Service", "v1 ServiceAccount", "v1 Pod",
      "apps/v1 Deployment", "batch/v1 Job", "batch/v1 CronJob",
      "autoscaling/v1 HorizontalPodAutoscaler", "autoscaling/v2 HorizontalPodAutoscaler",
      "authorization.k8s.io/v1 SelfSubjectAccessReview",
    ]) {
      expect(kinds).toContain(k);
    }
  });
});

describe("errors", () => {
  const fail = (body: Uint8Array, message: RegExp) => {
    let err: unknown;
    try {
      decodeKubernetesProtobuf(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtobufDecodeError);
    expect((err as ProtobufDecodeError)._tag).toBe("ProtobufDecodeError");
    expect((err as Error).message).toMatch(message);
  };

  it("rejects a body without the magic prefix", () => {
    fail(Buffer.from('{"kind":"ConfigMap"}'), /magic/);
    fail(new Uint8Array(), /magic/);
    expect(hasProtobufMagic(Buffer.from("k8s\0"))).toBe(true);
  });

  it("rejects truncated input", () => {
    const whole = load(versions[0]!, "deployment");
    for (const cut of [5, 10, 30, whole.length - 1]) fail(whole.subarray(0, cut), /truncated/);
    fail(Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x80]), /truncated/);
  });

  it("rejects kinds it has no description for", () => {
    fail(envelope("example.com/v1", "Widget", []), /no protobuf message description for example.com\/v1 Widget/);
    fail(envelope("", "", []), /no apiVersion\/kind/);
  });

  it("rejects wrong wire types, unsupported encodings and absurd nesting", () => {
    fail(envelope("v1", "ConfigMap", vf(1, 3)), /ConfigMap\.metadata: wire type varint/);
    fail(envelope("v1", "ConfigMap", [], lf(3, "gzip")), /contentEncoding "gzip"/);
    // RawExtension may carry a nested k8s protobuf object: ControllerRevision.data.raw = envelope(ControllerRevision ...).
    const nest = (n: number): Uint8Array => (n === 0 ? envelope("apps/v1", "ControllerRevision", []) : envelope("apps/v1", "ControllerRevision", lf(2, lf(1, [...nest(n - 1)]))));
    expect((decodeKubernetesProtobuf(nest(2)).data as { data: { kind: string } }).data.kind).toBe("ControllerRevision");
    fail(nest(200), /deeper than/);
  });
});

describe("goDuration", () => {
  it("matches Go's time.Duration.String()", () => {
    expect(goDuration(0n)).toBe("0s");
    expect(goDuration(1n)).toBe("1ns");
    expect(goDuration(1_500n)).toBe("1.5µs");
    expect(goDuration(2_000_000n)).toBe("2ms");
    expect(goDuration(1_000_000_000n)).toBe("1s");
    expect(goDuration(90_500_000_000n)).toBe("1m30.5s");
    expect(goDuration(3_600_000_000_000n)).toBe("1h0m0s");
    expect(goDuration(-5_000_000_000n)).toBe("-5s");
  });
});
