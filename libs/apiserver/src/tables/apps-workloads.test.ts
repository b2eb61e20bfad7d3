import { describe, expect, it } from "vitest";
import { columnsFor, renderTable } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");
const DS = { group: "apps", resource: "daemonsets", kind: "DaemonSet", apiVersion: "apps/v1" };
const STS = { group: "apps", resource: "statefulsets", kind: "StatefulSet", apiVersion: "apps/v1" };
const CR = { group: "apps", resource: "controllerrevisions", kind: "ControllerRevision", apiVersion: "apps/v1" };
const cells = (r: typeof DS, o: Record<string, unknown>) =>
  (renderTable(r, [o], { includeObject: "None", now }) as { rows: { cells: unknown[] }[] }).rows[0]!.cells;
const metadata = { name: "agent", creationTimestamp: "2024-06-01T11:55:00Z" };

describe("daemonsets and controllerrevisions tables (printDaemonSet, printControllerRevision)", () => {
  it("has the columns of 1.32, wide ones at priority 1", () => {
    const names = (g: string, r: string) => columnsFor(g, r).map((c) => `${c.name}${c.priority ? "*" : ""}`);
    expect(names("apps", "daemonsets")).toEqual(["Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age", "Containers*", "Images*", "Selector*"]);
    expect(names("apps", "controllerrevisions")).toEqual(["Name", "Controller", "Revision", "Age"]);
    expect(names("apps", "statefulsets")).toEqual(["Name", "Ready", "Age", "Containers*", "Images*"]);
  });

  it("prints the daemon set counts, node selector and wide cells", () => {
    const ds = {
      metadata,
      spec: { selector: { matchLabels: { app: "agent" } }, template: { spec: { nodeSelector: { zone: "a", disk: "ssd" }, containers: [{ name: "a", image: "busybox" }] } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 1, numberAvailable: 2 },
    };
    expect(cells(DS, ds)).toEqual(["agent", 3, 3, 2, 1, 2, "disk=ssd,zone=a", "5m", "a", "busybox", "app=agent"]);
    expect(cells(DS, { metadata, spec: {} }).slice(1, 7)).toEqual([0, 0, 0, 0, 0, "<none>"]);
  });

  it("prints a stateful set's ready/desired", () => {
    const sts = { metadata, spec: { replicas: 3, template: { spec: { containers: [{ name: "db", image: "postgres:16" }] } } }, status: { readyReplicas: 2 } };
    expect(cells(STS, sts)).toEqual(["agent", "2/3", "5m", "db", "postgres:16"]);
    expect(cells(STS, { metadata, spec: {} }).slice(1, 2)).toEqual(["0/1"]);
  });

  it("prints the controller as kind.group/name and the revision", () => {
    const owned = { metadata: { ...metadata, name: "agent-6c4f", ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "u", controller: true }] }, revision: 3 };
    expect(cells(CR, owned)).toEqual(["agent-6c4f", "daemonset.apps/agent", 3, "5m"]);
    expect(cells(CR, { metadata, revision: 1 })).toEqual(["agent", "<none>", 1, "5m"]);
  });
});
