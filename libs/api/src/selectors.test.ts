import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findResource } from "./registry.ts";
import {
  fieldsOf, formatFieldSelector, formatLabelSelector, labelSelectorFromApi, matchesFields, matchesLabels, parseFieldSelector,
  parseLabelSelector, SelectorParseError, validateFieldSelector, type Requirement, type Selector,
} from "./selectors.ts";

const pods = findResource("", "v1", "pods")!;

describe("label selectors", () => {
  it("parses every operator, with whitespace, sorted by key", () => {
    const s = parseLabelSelector(" tier in (b, a) , app = web,env!=prod,x==1, !gone, has ,k notin (z), n>3, m<5");
    expect(s.requirements.map((r) => r.key)).toEqual(["app", "env", "gone", "has", "k", "m", "n", "tier", "x"]);
    expect(formatLabelSelector(s)).toBe("app=web,env!=prod,!gone,has,k notin (z),m<5,n>3,tier in (a,b),x==1");
    expect(parseLabelSelector("").requirements).toEqual([]);
    expect(parseLabelSelector("a=").requirements[0]).toEqual({ key: "a", operator: "=", values: [""] });
  });

  it("matches like Kubernetes", () => {
    const l = { app: "web", tier: "a", n: "10" };
    expect(matchesLabels(parseLabelSelector("app=web"), l)).toBe(true);
    expect(matchesLabels(parseLabelSelector("app!=web"), l)).toBe(false);
    expect(matchesLabels(parseLabelSelector("missing!=x"), l)).toBe(true);
    expect(matchesLabels(parseLabelSelector("missing notin (x)"), l)).toBe(true);
    expect(matchesLabels(parseLabelSelector("missing in (x)"), l)).toBe(false);
    expect(matchesLabels(parseLabelSelector("tier in (a,b),app"), l)).toBe(true);
    expect(matchesLabels(parseLabelSelector("!app"), l)).toBe(false);
    expect(matchesLabels(parseLabelSelector("n>9,n<11"), l)).toBe(true);
    expect(matchesLabels(parseLabelSelector(""), {})).toBe(true);
  });

  it("throws SelectorParseError naming the text", () => {
    for (const bad of ["app in (a", "a b", "=x", "a=b=c", "a,", "a in b", "Bad Key=1", "a=-x", "a>x", "a=(b"]) {
      expect(() => parseLabelSelector(bad), bad).toThrow(SelectorParseError);
      try {
        parseLabelSelector(bad);
      } catch (e) {
        expect((e as Error).message).toContain(bad);
      }
    }
    expect(() => parseLabelSelector("app in (a")).toThrow("unable to parse requirement: found '', expected: ',' or ')'");
    expect(() => parseLabelSelector("a b")).toThrow("found 'b', expected: in, notin, =, ==, !=, gt, lt");
  });

  it("converts API selectors", () => {
    const s = labelSelectorFromApi({ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["b", "a"] }, { key: "x", operator: "DoesNotExist" }] });
    expect(formatLabelSelector(s)).toBe("app=web,tier in (a,b),!x");
    expect(matchesLabels(labelSelectorFromApi({}), { a: "b" })).toBe(true);
    expect(matchesLabels(labelSelectorFromApi(undefined), { a: "b" })).toBe(false);
    expect(() => labelSelectorFromApi({ matchExpressions: [{ key: "a", operator: "Foo" }] })).toThrow('"Foo" is not a valid label selector operator');
    expect(() => labelSelectorFromApi({ matchExpressions: [{ key: "a", operator: "In", values: [] }] })).toThrow("values set can't be empty");
    expect(() => labelSelectorFromApi({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] })).toThrow("values set must be empty");
  });

  const key = fc.constantFrom("app", "tier", "env", "example.com/role", "k8s.io/x", "a_b");
  const val = fc.constantFrom("", "web", "db", "v1.2", "A-b_c", "10", "3");
  const req: fc.Arbitrary<Requirement> = fc.oneof(
    fc.tuple(key, fc.constantFrom("=", "==", "!=" as const), val).map(([k, op, v]) => ({ key: k, operator: op, values: [v] })),
    fc.tuple(key, fc.constantFrom("in", "notin" as const), fc.uniqueArray(val, { minLength: 1, maxLength: 3 })).map(([k, op, vs]) => ({ key: k, operator: op, values: [...vs].sort() })),
    fc.tuple(key, fc.constantFrom("exists", "!" as const)).map(([k, op]) => ({ key: k, operator: op, values: [] })),
    fc.tuple(key, fc.constantFrom("gt", "lt" as const), fc.integer({ min: 0, max: 20 })).map(([k, op, n]) => ({ key: k, operator: op, values: [String(n)] })),
  );
  const selector: fc.Arbitrary<Selector> = fc.array(req, { maxLength: 5 }).map((rs) => ({ requirements: [...rs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) }));
  const labels = fc.dictionary(key, val, { maxKeys: 4 });

  /** Reference semantics, written independently from the implementation. */
  const reference = (s: Selector, l: Record<string, string>): boolean =>
    s.requirements.every((r) => {
      const present = r.key in l;
      const v = l[r.key];
      if (r.operator === "exists") return present;
      if (r.operator === "!") return !present;
      if (r.operator === "=" || r.operator === "==" || r.operator === "in") return present && r.values.some((x) => x === v);
      if (r.operator === "!=" || r.operator === "notin") return !present || r.values.every((x) => x !== v);
      if (!present || !/^-?\d+$/.test(v!)) return false;
      return r.operator === "gt" ? Number(v) > Number(r.values[0]) : Number(v) < Number(r.values[0]);
    });

  it("property: parse(format(sel)) round-trips", () => {
    fc.assert(fc.property(selector, (s) => {
        expect(parseLabelSelector(formatLabelSelector(s))).toEqual(s);
      }), { numRuns: 300 });
  });

  it("property: matching agrees with the reference", () => {
    fc.assert(
      fc.property(selector, labels, (s, l) => {
        expect(matchesLabels(parseLabelSelector(formatLabelSelector(s)), l)).toBe(reference(s, l));
      }),
      { numRuns: 500 },
    );
  });
});

describe("field selectors", () => {
  it("parses operators, escapes and AND", () => {
    const s = parseFieldSelector("status.phase!=Running,spec.nodeName==node-1,metadata.name=a\\,b\\=c\\\\");
    expect(s.terms).toEqual([
      { field: "metadata.name", operator: "=", value: "a,b=c\\" },
      { field: "spec.nodeName", operator: "==", value: "node-1" },
      { field: "status.phase", operator: "!=", value: "Running" },
    ]);
    expect(parseFieldSelector(formatFieldSelector(s))).toEqual({ terms: s.terms.map((t) => ({ ...t, operator: t.operator === "==" ? "=" : t.operator })) });
    expect(() => parseFieldSelector("nonsense")).toThrow("invalid selector: 'nonsense'; can't understand 'nonsense'");
    expect(() => parseFieldSelector("a=b\\x")).toThrow("invalid escape sequence");
    expect(parseFieldSelector("").terms).toEqual([]);
  });

  it("gives each kind's selectable fields and rejects others", () => {
    const pod = { metadata: { name: "p", namespace: "default" }, spec: { nodeName: "n1", restartPolicy: "Always" }, status: { phase: "Running" } };
    const f = fieldsOf(pods, pod);
    expect(f).toMatchObject({ "metadata.name": "p", "metadata.namespace": "default", "spec.nodeName": "n1", "status.phase": "Running", "spec.hostNetwork": "false", "status.podIP": "" });
    expect(matchesFields(parseFieldSelector("spec.nodeName=n1,status.phase!=Pending"), f)).toBe(true);
    expect(matchesFields(parseFieldSelector("spec.nodeName="), f)).toBe(false);
    expect(validateFieldSelector(pods, parseFieldSelector("spec.nodeName=x"))).toBeUndefined();
    expect(validateFieldSelector(pods, parseFieldSelector("spec.foo=x"))).toBe("field label not supported: spec.foo");
    const ev = findResource("", "v1", "events")!;
    expect(fieldsOf(ev, { involvedObject: { kind: "Pod", name: "p" }, source: { component: "kubelet" } })).toMatchObject({
      "involvedObject.kind": "Pod", "involvedObject.name": "p", source: "kubelet", reason: "",
    });
    expect(fieldsOf(findResource("", "v1", "nodes")!, { metadata: { name: "n" }, spec: { unschedulable: true } })).toEqual({ "metadata.name": "n", "spec.unschedulable": "true" });
    expect(fieldsOf(findResource("apps", "v1", "replicasets")!, { status: { replicas: 3 } })["status.replicas"]).toBe("3");
    expect(fieldsOf(findResource("", "v1", "replicationcontrollers")!, { metadata: { name: "rc", namespace: "ns" }, status: { replicas: 2 } })).toEqual({ "metadata.name": "rc", "metadata.namespace": "ns", "status.replicas": "2" });
    expect(fieldsOf(findResource("", "v1", "secrets")!, { type: "Opaque" })["type"]).toBe("Opaque");
  });
});
