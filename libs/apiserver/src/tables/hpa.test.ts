import { describe, expect, it } from "vitest";
import { columnsFor, renderTable } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");
const R = { group: "autoscaling", resource: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler", apiVersion: "autoscaling/v1" };
const cells = (o: Record<string, unknown>) =>
  (renderTable(R, [o], { includeObject: "None", now }) as { rows: { cells: unknown[] }[] }).rows[0]!.cells;
const metadata = { name: "web", creationTimestamp: "2024-06-01T11:55:00Z" };
const scaleTargetRef = { apiVersion: "apps/v1", kind: "Deployment", name: "web" };

describe("horizontalpodautoscalers table", () => {
  it("has the columns of Kubernetes 1.32", () => {
    expect(columnsFor("autoscaling", "horizontalpodautoscalers").map((c) => c.name)).toEqual([
      "Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age",
    ]);
  });

  it("prints <unknown> until the controller measured, then the current utilization", () => {
    const spec = { scaleTargetRef, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 };
    expect(cells({ metadata, spec, status: { currentReplicas: 0, desiredReplicas: 0 } })).toEqual(["web", "Deployment/web", "<unknown>/50%", "1", 5, 0, "5m"]);
    expect(cells({ metadata, spec, status: { currentReplicas: 3, desiredReplicas: 3, currentCPUUtilizationPercentage: 250 } })).toEqual([
      "web", "Deployment/web", "250%/50%", "1", 5, 3, "5m",
    ]);
  });

  it("prints <none> without a CPU target and <unset> without minReplicas", () => {
    expect(cells({ metadata, spec: { scaleTargetRef, maxReplicas: 2 } })).toEqual(["web", "Deployment/web", "<none>", "<unset>", 2, 0, "5m"]);
  });
});
