import { describe, expect, it } from "vitest";
import { columnsFor, renderTable } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");
const R = { group: "policy", resource: "poddisruptionbudgets", kind: "PodDisruptionBudget", apiVersion: "policy/v1" };
const cells = (o: Record<string, unknown>) =>
  (renderTable(R, [o], { includeObject: "None", now }) as { rows: { cells: unknown[] }[] }).rows[0]!.cells;

describe("poddisruptionbudgets table", () => {
  it("has kubectl's columns", () => {
    expect(columnsFor("policy", "poddisruptionbudgets").map((c) => c.name)).toEqual(["Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"]);
  });

  it("prints the set bound and N/A for the other one", () => {
    const metadata = { name: "web", creationTimestamp: "2024-06-01T11:55:00Z" };
    expect(cells({ metadata, spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } })).toEqual(["web", "2", "N/A", 1, "5m"]);
    expect(cells({ metadata, spec: { maxUnavailable: "25%" } })).toEqual(["web", "N/A", "25%", 0, "5m"]);
  });
});
