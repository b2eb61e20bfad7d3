import { describe, expect, it } from "vitest";
import { columnsFor, renderTable } from "./index.ts";

const now = new Date("2024-06-01T12:00:00Z");
const JOBS = { group: "batch", resource: "jobs", kind: "Job", apiVersion: "batch/v1" };
const CRONJOBS = { group: "batch", resource: "cronjobs", kind: "CronJob", apiVersion: "batch/v1" };
const cells = (r: typeof JOBS, o: Record<string, unknown>) =>
  (renderTable(r, [o], { includeObject: "None", now }) as { rows: { cells: unknown[] }[] }).rows[0]!.cells;
const metadata = { name: "j1", creationTimestamp: "2024-06-01T11:55:00Z" };
const template = { spec: { containers: [{ name: "a", image: "busybox" }, { name: "b", image: "nginx:1.27" }] } };

describe("jobs and cronjobs tables (printJob, printCronJob)", () => {
  it("has the columns of 1.32, wide ones at priority 1", () => {
    expect(columnsFor("batch", "jobs").map((c) => `${c.name}${c.priority ? "*" : ""}`)).toEqual(["Name", "Status", "Completions", "Duration", "Age", "Containers*", "Images*", "Selector*"]);
    expect(columnsFor("batch", "cronjobs").map((c) => `${c.name}${c.priority ? "*" : ""}`)).toEqual(["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers*", "Images*", "Selector*"]);
  });

  it("prints status, completions and duration as kubectl get jobs does", () => {
    const selector = { matchLabels: { "batch.kubernetes.io/controller-uid": "u" } };
    const complete = {
      metadata,
      spec: { completions: 3, parallelism: 2, selector, template },
      status: { succeeded: 3, startTime: "2024-06-01T11:55:00Z", completionTime: "2024-06-01T11:56:05Z", conditions: [{ type: "SuccessCriteriaMet", status: "True" }, { type: "Complete", status: "True" }] },
    };
    expect(cells(JOBS, complete)).toEqual(["j1", "Complete", "3/3", "65s", "5m", "a,b", "busybox,nginx:1.27", "batch.kubernetes.io/controller-uid=u"]);
    // no completions: "n/1 of parallelism"; a running job's duration runs until now
    const running = { metadata, spec: { parallelism: 3, template }, status: { startTime: "2024-06-01T11:58:00Z" } };
    expect(cells(JOBS, running).slice(0, 4)).toEqual(["j1", "Running", "0/1 of 3", "2m"]);
    expect(cells(JOBS, { metadata, spec: { parallelism: 1 } }).slice(1, 4)).toEqual(["Running", "0/1", ""]);
    const status = (types: string[], extra: Record<string, unknown> = {}) =>
      cells(JOBS, { metadata: { ...metadata, ...extra }, spec: { completions: 1 }, status: { conditions: types.map((type) => ({ type, status: "True" })) } })[1];
    expect(status(["FailureTarget", "Failed"])).toBe("Failed");
    expect(status(["FailureTarget"])).toBe("FailureTarget");
    expect(status(["SuccessCriteriaMet"])).toBe("SuccessCriteriaMet");
    expect(status(["Suspended"])).toBe("Suspended");
    expect(status([], { deletionTimestamp: "2024-06-01T11:59:00Z" })).toBe("Terminating");
  });

  it("prints schedule, time zone, suspend, active and last schedule", () => {
    const cj = {
      metadata: { name: "c1", creationTimestamp: "2024-06-01T11:00:00Z" },
      spec: { schedule: "*/1 * * * *", suspend: false, jobTemplate: { spec: { template } } },
      status: { active: [{ name: "c1-1" }], lastScheduleTime: "2024-06-01T11:59:00Z" },
    };
    expect(cells(CRONJOBS, cj)).toEqual(["c1", "*/1 * * * *", "<none>", "False", 1, "60s", "60m", "a,b", "busybox,nginx:1.27", "<none>"]);
    expect(cells(CRONJOBS, { metadata: cj.metadata, spec: { schedule: "@daily", timeZone: "Europe/Paris" } }).slice(1, 6)).toEqual(["@daily", "Europe/Paris", "<unset>", 0, "<none>"]);
  });
});
