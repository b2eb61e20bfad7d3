import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyJsonPatch, applyMergePatch, PatchError } from "./index.ts";
import { patchError } from "./test-helpers.ts";

describe("RFC 6902 appendix A", () => {
  const cases: [string, unknown, unknown[], unknown][] = [
    ["A.1 add object member", { foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }], { baz: "qux", foo: "bar" }],
    ["A.2 add array element", { foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }], { foo: ["bar", "qux", "baz"] }],
    ["A.3 remove object member", { baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }], { foo: "bar" }],
    ["A.4 remove array element", { foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }], { foo: ["bar", "baz"] }],
    ["A.5 replace value", { baz: "qux", foo: "bar" }, [{ op: "replace", path: "/baz", value: "boo" }], { baz: "boo", foo: "bar" }],
    [
      "A.6 move value",
      { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
      [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
      { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
    ],
    [
      "A.7 move array element",
      { foo: ["all", "grass", "cows", "eat"] },
      [{ op: "move", from: "/foo/1", path: "/foo/3" }],
      { foo: ["all", "cows", "eat", "grass"] },
    ],
    [
      "A.8 test success",
      { baz: "qux", foo: ["a", 2, "c"] },
      [
        { op: "test", path: "/baz", value: "qux" },
        { op: "test", path: "/foo/1", value: 2 },
      ],
      { baz: "qux", foo: ["a", 2, "c"] },
    ],
    ["A.10 add nested member object", { foo: "bar" }, [{ op: "add", path: "/child", value: { grandchild: {} } }], { foo: "bar", child: { grandchild: {} } }],
    ["A.11 ignore unrecognized elements", { foo: "bar" }, [{ op: "add", path: "/baz", value: "qux", xyz: 123 }], { foo: "bar", baz: "qux" }],
    ["A.14 ~ escape ordering", { "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: 10 }], { "/": 9, "~1": 10 }],
    ["A.16 add array value", { foo: ["bar"] }, [{ op: "add", path: "/foo/-", value: ["abc", "def"] }], { foo: ["bar", ["abc", "def"]] }],
    ["copy", { a: { b: [1] } }, [{ op: "copy", from: "/a", path: "/c" }], { a: { b: [1] }, c: { b: [1] } }],
    ["~1 in a key", { "a/b": 1 }, [{ op: "replace", path: "/a~1b", value: 2 }], { "a/b": 2 }],
    ["replace whole document", { a: 1 }, [{ op: "replace", path: "", value: { b: 2 } }], { b: 2 }],
  ];
  for (const [name, doc, patch, want] of cases) {
    it(name, () => expect(applyJsonPatch(doc, patch)).toEqual(want));
  }

  it("A.9 test failure (evanphx wording, 422)", () => {
    const e = patchError(() => applyJsonPatch({ baz: "qux" }, [{ op: "test", path: "/baz", value: "bar" }]));
    expect(e.code).toBe(422);
    expect(e.message).toBe("testing value /baz failed: test failed");
  });
  it("A.12 add to a nonexistent target", () => {
    const e = patchError(() => applyJsonPatch({ foo: "bar" }, [{ op: "add", path: "/baz/bat", value: "qux" }]));
    expect(e.code).toBe(422);
    expect(e.message).toBe('add operation does not apply: doc is missing path: "/baz/bat": missing value');
  });
  it("A.15 strings and numbers differ", () => {
    expect(patchError(() => applyJsonPatch({ "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: "10" }])).message).toBe(
      "testing value /~01 failed: test failed",
    );
  });
  it("a failing op aborts the whole patch and leaves the input untouched", () => {
    const doc = { a: 1 };
    expect(() =>
      applyJsonPatch(doc, [
        { op: "replace", path: "/a", value: 2 },
        { op: "remove", path: "/zzz" },
      ]),
    ).toThrow("error in remove for path: '/zzz': Unable to remove nonexistent key: zzz: missing value");
    expect(doc).toEqual({ a: 1 });
  });
});

describe("evanphx/json-patch v4 behaviour the apiserver exposes", () => {
  it("replace of a missing array index fails with 'doc is missing key'", () => {
    const e = patchError(() => applyJsonPatch({ spec: { x: [1] } }, [{ op: "replace", path: "/spec/x/3", value: 1 }]));
    expect([e.code, e.message]).toEqual([422, "replace operation does not apply: doc is missing key: /spec/x/3: missing value"]);
  });
  it("replace of a missing object member adds it (v4 partialDoc.get never fails)", () => {
    expect(applyJsonPatch({ spec: {} }, [{ op: "replace", path: "/spec/x", value: 1 }])).toEqual({ spec: { x: 1 } });
  });
  it("replace below a missing parent fails with 'doc is missing path'", () => {
    expect(patchError(() => applyJsonPatch({}, [{ op: "replace", path: "/spec/x", value: 1 }])).message).toBe(
      "replace operation does not apply: doc is missing path: /spec/x: missing value",
    );
  });
  it("negative indices count from the end", () => {
    expect(applyJsonPatch({ a: [1, 2, 3] }, [{ op: "remove", path: "/a/-1" }])).toEqual({ a: [1, 2] });
  });
  it("index out of range on add", () => {
    expect(patchError(() => applyJsonPatch({ a: [1] }, [{ op: "add", path: "/a/5", value: 0 }])).message).toBe(
      "error in add for path: '/a/5': Unable to access invalid index: 5: invalid index referenced",
    );
  });
  it("test of a missing member against null succeeds", () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: "test", path: "/b", value: null }])).toEqual({ a: 1 });
  });
  it("unknown op, missing path", () => {
    expect(patchError(() => applyJsonPatch({}, [{ op: "frob", path: "/a" }])).message).toBe("Unexpected kind: frob");
    expect(patchError(() => applyJsonPatch({}, [{ op: "add", value: 1 }])).message).toBe("add operation failed to decode path: missing value");
  });
  it("a body that is not a list of operations is a 400", () => {
    const e = patchError(() => applyJsonPatch({}, { op: "add", path: "/a", value: 1 }));
    expect(e.code).toBe(400);
    expect(e._tag).toBe("PatchError");
  });
  it("move of a missing member", () => {
    expect(patchError(() => applyJsonPatch({ a: {} }, [{ op: "move", from: "/a/x", path: "/b" }])).message).toBe(
      "error in move for path: 'x': Unable to remove nonexistent key: x: missing value",
    );
  });
  it("kubectl rollout undo: replace /spec/template and /metadata/annotations", () => {
    const dep = {
      metadata: { name: "web", annotations: { "deployment.kubernetes.io/revision": "3", keep: "no" } },
      spec: { replicas: 2, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:3" }] } } },
    };
    const template = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1" }] } };
    const out = applyJsonPatch(dep, [
      { op: "replace", path: "/spec/template", value: template },
      { op: "replace", path: "/metadata/annotations", value: { "deployment.kubernetes.io/revision": "3" } },
    ]);
    expect(out).toEqual({
      metadata: { name: "web", annotations: { "deployment.kubernetes.io/revision": "3" } },
      spec: { replicas: 2, template },
    });
  });
});

const key = fc.string({ minLength: 1, maxLength: 6 });
const escape = (k: string) => k.replace(/~/g, "~0").replace(/\//g, "~1");

describe("properties", () => {
  it("add then remove of a fresh member restores the document", () => {
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue()), key, fc.jsonValue(), (doc, k, value) => {
        fc.pre(!Object.prototype.hasOwnProperty.call(doc, k));
        const p = `/${escape(k)}`;
        const out = applyJsonPatch(doc, [
          { op: "add", path: p, value },
          { op: "test", path: p, value },
          { op: "remove", path: p },
        ]);
        expect(out).toEqual(doc);
      }),
    );
  });
  it("insert then remove at an array index restores the array", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), fc.nat(), fc.jsonValue(), (arr, n, value) => {
        const i = n % (arr.length + 1);
        const out = applyJsonPatch({ a: arr }, [
          { op: "add", path: `/a/${i}`, value },
          { op: "remove", path: `/a/${i}` },
        ]);
        expect(out).toEqual({ a: arr });
      }),
    );
  });
  it("inputs are never mutated", () => {
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue()), key, fc.jsonValue(), (doc, k, value) => {
        const before = structuredClone(doc);
        try {
          applyJsonPatch(doc, [{ op: "add", path: `/${escape(k)}`, value }]);
          applyMergePatch(doc, { [k]: value });
        } catch {
          /* ignore */
        }
        expect(doc).toEqual(before);
      }),
    );
  });
});
