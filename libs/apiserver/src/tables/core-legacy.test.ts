import { describe, expect, it } from "vitest";
import { columnsFor, renderTable } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");
const RC = { group: "", resource: "replicationcontrollers", kind: "ReplicationController", apiVersion: "v1" };
const PT = { group: "", resource: "podtemplates", kind: "PodTemplate", apiVersion: "v1" };
const cells = (r: typeof RC, o: Record<string, unknown>) =>
  (renderTable(r, [o], { includeObject: "None", now }) as { rows: { cells: unknown[] }[] }).rows[0]!.cells;
const metadata = { name: "web", creationTimestamp: "2024-06-01T11:55:00Z" };
const names = (g: string, r: string) => columnsFor(g, r).map((c) => `${c.name}${c.priority ? "*" : ""}`);

describe("replicationcontrollers and podtemplates tables (printReplicationController, printPodTemplate)", () => {
  it("has the columns of 1.33, wide ones at priority 1", () => {
    expect(names("", "replicationcontrollers")).toEqual(["Name", "Desired", "Current", "Ready", "Age", "Containers*", "Images*", "Selector*"]);
    expect(names("", "podtemplates")).toEqual(["Name", "Containers", "Images", "Pod Labels"]);
  });

  it("prints desired/current/ready and the selector map as sorted k=v", () => {
    const rc = {
      metadata,
      spec: { replicas: 3, selector: { tier: "front", app: "web" }, template: { spec: { containers: [{ name: "a", image: "nginx" }, { name: "b", image: "busybox" }] } } },
      status: { replicas: 3, readyReplicas: 2 },
    };
    expect(cells(RC, rc)).toEqual(["web", 3, 3, 2, "5m", "a,b", "nginx,busybox", "app=web,tier=front"]);
    // Unset replicas is 1 (defaulted), no status counts 0, an empty selector prints <none>.
    expect(cells(RC, { metadata, spec: {} })).toEqual(["web", 1, 0, 0, "5m", "", "", "<none>"]);
  });

  it("prints a pod template's containers, images and pod labels", () => {
    const pt = { metadata, template: { metadata: { labels: { b: "2", a: "1" } }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } } };
    expect(cells(PT, pt)).toEqual(["web", "c", "nginx:1.27", "a=1,b=2"]);
    expect(cells(PT, { metadata, template: {} })).toEqual(["web", "", "", "<none>"]);
  });
});
