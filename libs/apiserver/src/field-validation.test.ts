import { describe, expect, it } from "vitest";
import { findResource } from "@kubeactor/api";
import { pruneUnknown, scanJson, unknownFields, warningHeaders, yamlDuplicateKeys } from "./field-validation.ts";
import { resourceModel } from "./openapi/model.ts";

const configMaps = resourceModel(findResource("", "v1", "configmaps")!);
const pods = resourceModel(findResource("", "v1", "pods")!);

describe("the JSON scan", () => {
  it("reports in document order with full paths, handling escapes inside strings and keys", () => {
    const text = String.raw`{"metadata":{"name":"a\"b}","annotations":{"x\\":"[{\"","x\\":"1"}},"data":{},"data":{"k":"v"},"bogus":[{"a":1,"a":2}],"immutable":true}`;
    expect(scanJson(text, configMaps)).toEqual(['duplicate field "metadata.annotations.x\\"', 'duplicate field "data"', 'unknown field "bogus"']);
  });

  it("indexes array elements and follows item models", () => {
    const text = JSON.stringify({ spec: { containers: [{ name: "a" }, { name: "b", imagePullPolicy: "x", extra: 1 }], volumes: [] } });
    expect(scanJson(text, pods)).toEqual(['unknown field "spec.containers[1].extra"']);
  });

  it("without a model finds duplicates only", () => {
    expect(scanJson('[{"op":"add","path":"/a","path":"/b"}]', undefined)).toEqual(['duplicate field "[0].path"']);
  });
});

describe("decoded values", () => {
  it("lists unknown fields sorted, as Go re-marshals, and prunes them", () => {
    const obj = { spec: { zeta: 1, containers: [{ name: "c", alpha: 2 }], securityContext: { anything: true } }, metadata: { labels: { free: "form" } } };
    expect(unknownFields(obj, pods, true)).toEqual(['unknown field "spec.containers[0].alpha"', 'unknown field "spec.zeta"']);
    pruneUnknown(obj, pods);
    expect(obj).toEqual({ spec: { containers: [{ name: "c" }], securityContext: { anything: true } }, metadata: { labels: { free: "form" } } });
  });
});

describe("YAML duplicates and warnings", () => {
  it("names the line of each repeated key, as go-yaml does", () => {
    expect(yamlDuplicateKeys("a: 1\nb:\n  c: 1\n  c: 2\nlist:\n- x: 1\n  x: 2\na: 3\n")).toEqual([
      'line 4: key "c" already set in map',
      'line 7: key "x" already set in map',
      'line 8: key "a" already set in map',
    ]);
  });

  it("quotes warning texts as RFC 7234 warn-text", () => {
    expect(warningHeaders(['unknown field "spec.x"'])).toEqual(['299 - "unknown field \\"spec.x\\""']);
  });
});
