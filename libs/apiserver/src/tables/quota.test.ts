import { describe, expect, it } from "vitest";
import { quotaCells, quotaPrinters } from "./printers-quota.ts";

describe("resourcequota and limitrange rows", () => {
  it("puts limits.* under LIMIT and the rest under REQUEST, used/hard, names sorted, 0 when not counted yet", () => {
    const q = { status: { hard: { pods: "2", "requests.cpu": "1", "limits.memory": "1Gi", "count/deployments.apps": "3" }, used: { pods: "1", "requests.cpu": "100m", "limits.memory": "128Mi" } } };
    expect(quotaCells(q)).toEqual(["count/deployments.apps: 0/3, pods: 1/2, requests.cpu: 100m/1", "limits.memory: 128Mi/1Gi"]);
    expect(quotaCells({ spec: { hard: { pods: "2" } } })).toEqual(["", ""]);
  });

  it("prints kube 1.32's columns", () => {
    const byKey = new Map(quotaPrinters);
    expect(byKey.get("/resourcequotas")!.columns.map((c) => c.name)).toEqual(["Name", "Age", "Request", "Limit"]);
    const lr = byKey.get("/limitranges")!;
    expect(lr.columns.map((c) => [c.name, c.type])).toEqual([["Name", "string"], ["Created At", "date"]]);
    expect(lr.print({ metadata: { name: "lr", creationTimestamp: "2026-01-02T03:04:05Z" } }, new Date()).cells).toEqual(["lr", "2026-01-02T03:04:05Z"]);
  });
});
