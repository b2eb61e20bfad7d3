import { describe, expect, it } from "vitest";
import { parseCronSchedule, cronParseError } from "./cron.ts";
import { applyDefaults, prepareForCreate } from "./defaults.ts";
import { findResource, resolveResourceName } from "./registry.ts";
import { fieldsOf, matchesFields, parseFieldSelector } from "./selectors.ts";
import { validateObject, validateUpdate } from "./validation.ts";

const JOBS = findResource("batch", "v1", "jobs")!;
const CRONJOBS = findResource("batch", "v1", "cronjobs")!;
const UID = "0f0e0d0c-0000-4000-8000-000000000001";

/** What the API server does on create: default, set the uid, generate the selector. */
const createJob = (spec: Record<string, unknown>, name = "j1") => {
  const job = applyDefaults(JOBS, { metadata: { name, namespace: "default", uid: UID }, spec });
  prepareForCreate(JOBS, job);
  return job as any;
};
const template = (restartPolicy?: string) => ({ spec: { containers: [{ name: "c", image: "busybox" }], ...(restartPolicy ? { restartPolicy } : {}) } });
const messages = (cs: { field: string; message: string }[]) => cs.map((c) => `${c.field}: ${c.message}`);

describe("batch/v1 registry", () => {
  it("serves jobs and cronjobs (cj) in category all with a status subresource", () => {
    expect(JOBS).toMatchObject({ kind: "Job", namespaced: true, categories: ["all"], subresources: [{ name: "status" }] });
    expect(resolveResourceName("cj")).toEqual([CRONJOBS]);
    expect(CRONJOBS.categories).toEqual(["all"]);
  });

  it("selects jobs by status.successful (status.succeeded)", () => {
    expect(fieldsOf(JOBS, { metadata: { name: "j", namespace: "n" }, status: { succeeded: 2 } })).toEqual({ "metadata.name": "j", "metadata.namespace": "n", "status.successful": "2" });
    expect(matchesFields(parseFieldSelector("status.successful=0"), fieldsOf(JOBS, { metadata: { name: "j" } }))).toBe(true);
  });
});

describe("Job defaults and generated selector", () => {
  it("defaults like SetDefaults_Job and labels the template and the job with the uid and name", () => {
    const job = createJob({ template: template("Never") });
    expect(job.spec).toMatchObject({
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: "NonIndexed",
      suspend: false,
      podReplacementPolicy: "TerminatingOrFailed",
      selector: { matchLabels: { "batch.kubernetes.io/controller-uid": UID } },
    });
    const labels = { "batch.kubernetes.io/controller-uid": UID, "batch.kubernetes.io/job-name": "j1", "controller-uid": UID, "job-name": "j1" };
    expect(job.spec.template.metadata.labels).toEqual(labels);
    expect(job.metadata.labels).toEqual(labels);
    expect(job.spec.template.spec).toMatchObject({ dnsPolicy: "ClusterFirst", terminationGracePeriodSeconds: 30, schedulerName: "default-scheduler" });
    expect(validateObject(JOBS, job)).toEqual([]);
  });

  it("keeps parallelism alone when only completions is set, and leaves manual selectors to the user", () => {
    expect(createJob({ completions: 5, template: template("Never") }).spec.parallelism).toBe(1);
    expect(createJob({ parallelism: 3, template: template("Never") }).spec.completions).toBeUndefined();
    const manual = createJob({ manualSelector: true, selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, ...template("Never") } });
    expect(manual.spec.selector).toEqual({ matchLabels: { a: "b" } });
    expect(validateObject(JOBS, manual)).toEqual([]);
  });

  it("refuses the pod restart policy Always (the pod default) and others than OnFailure/Never", () => {
    expect(messages(validateObject(JOBS, createJob({ template: template() })))).toEqual([
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]);
    expect(messages(validateObject(JOBS, createJob({ template: template("Sometimes") })))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
    ]);
  });

  it("checks counts, modes and that the selector matches the template", () => {
    const job = createJob({ parallelism: -1, completionMode: "Sometimes", template: template("Never") });
    expect(messages(validateObject(JOBS, job))).toEqual([
      "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
      'spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"',
    ]);
    const bad = createJob({ manualSelector: true, selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "c" } }, ...template("Never") } });
    expect(messages(validateObject(JOBS, bad))).toEqual(['spec.template.metadata.labels: Invalid value: {"a":"c"}: `selector` does not match template `labels`']);
    const wrongUid = applyDefaults(JOBS, { metadata: { name: "j", namespace: "default", uid: UID }, spec: { template: { metadata: { labels: { "controller-uid": "x" } }, ...template("Never") } } });
    prepareForCreate(JOBS, wrongUid);
    expect(messages(validateObject(JOBS, wrongUid))[0]).toBe(`spec.template.metadata.labels[controller-uid]: Invalid value: "x": must be '${UID}'`);
  });

  it("checks pod failure policy rules and requires restartPolicy Never with one", () => {
    const job = createJob({
      podFailurePolicy: { rules: [{ action: "Retry", onExitCodes: { operator: "In", values: [3, 0] } }, { action: "Ignore" }] },
      template: template("OnFailure"),
    });
    expect(job.spec.podReplacementPolicy).toBe("Failed");
    expect(messages(validateObject(JOBS, job))).toEqual([
      'spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
      "spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must not be 0 for the In operator",
      "spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must be ordered",
      "spec.podFailurePolicy.rules[1]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required",
      'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
    ]);
  });

  it("makes the template, selector and completions immutable", () => {
    const old = createJob({ template: template("Never") });
    const changed = structuredClone(old);
    changed.spec.template.spec.containers[0].image = "nginx";
    changed.spec.completions = 2;
    expect(messages(validateUpdate(JOBS, changed, old)).map((m) => m.replace(/Invalid value: .*: /, ""))).toEqual([
      "spec.completions: field is immutable",
      "spec.template: field is immutable",
    ]);
    const unsuspended = structuredClone(old);
    unsuspended.spec.suspend = true;
    unsuspended.spec.parallelism = 4;
    expect(validateUpdate(JOBS, unsuspended, old)).toEqual([]);
  });
});

describe("CronJob", () => {
  const cronJob = (spec: Record<string, unknown>, name = "c1") =>
    applyDefaults(CRONJOBS, {
      metadata: { name, namespace: "default" },
      spec: { schedule: "*/1 * * * *", jobTemplate: { spec: { template: template("OnFailure") } }, ...spec },
    }) as any;

  it("defaults concurrencyPolicy, suspend and the history limits; the job template gets pod defaults only", () => {
    const cj = cronJob({});
    expect(cj.spec).toMatchObject({ concurrencyPolicy: "Allow", suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(cj.spec.jobTemplate.spec.parallelism).toBeUndefined();
    expect(cj.spec.jobTemplate.spec.template.spec.dnsPolicy).toBe("ClusterFirst");
    expect(validateObject(CRONJOBS, cj)).toEqual([]);
  });

  it("validates the schedule with robfig's messages, the time zone and the name length", () => {
    expect(messages(validateObject(CRONJOBS, cronJob({ schedule: "x" })))).toEqual(['spec.schedule: Invalid value: "x": expected exactly 5 fields, found 1: [x]']);
    expect(messages(validateObject(CRONJOBS, cronJob({ schedule: "61 * * * *" })))).toEqual([
      'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
    ]);
    expect(messages(validateObject(CRONJOBS, cronJob({ schedule: "TZ=UTC * * * * *" })))).toEqual([
      'spec.schedule: Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ]);
    expect(messages(validateObject(CRONJOBS, cronJob({ timeZone: "Mars/Olympus" })))).toEqual(['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']);
    expect(validateObject(CRONJOBS, cronJob({ timeZone: "Europe/Paris" }))).toEqual([]);
    expect(messages(validateObject(CRONJOBS, cronJob({ concurrencyPolicy: "Never" })))).toEqual([
      'spec.concurrencyPolicy: Unsupported value: "Never": supported values: "Allow", "Forbid", "Replace"',
    ]);
    expect(messages(validateObject(CRONJOBS, cronJob({}, "c".repeat(53))))[0]).toMatch(/^metadata.name: Invalid value: "c+": must be no more than 52 characters$/);
  });
});

describe("cron schedules (robfig/cron ParseStandard)", () => {
  const next = (spec: string, from: string, zone?: string) => parseCronSchedule(spec, zone).next(new Date(from))?.toISOString();

  it("steps, ranges, lists and names", () => {
    expect(next("*/1 * * * *", "2025-01-01T00:00:00Z")).toBe("2025-01-01T00:01:00.000Z");
    expect(next("*/15 * * * *", "2025-01-01T00:16:30Z")).toBe("2025-01-01T00:30:00.000Z");
    expect(next("5 4 * * *", "2025-01-01T05:00:00Z")).toBe("2025-01-02T04:05:00.000Z");
    expect(next("0 9-17/4 * * mon-fri", "2025-01-03T14:00:00Z")).toBe("2025-01-03T17:00:00.000Z"); // 9, 13, 17
    expect(next("0 9-17/4 * * mon-fri", "2025-01-03T18:00:00Z")).toBe("2025-01-06T09:00:00.000Z"); // Friday evening: Monday
    expect(next("0 0 1,15 feb *", "2025-02-01T00:00:00Z")).toBe("2025-02-15T00:00:00.000Z");
    // day-of-month and day-of-week both restricted: either matches
    expect(next("0 0 13 * 5", "2025-01-01T00:00:00Z")).toBe("2025-01-03T00:00:00.000Z");
    expect(next("0 0 31 2 *", "2025-01-01T00:00:00Z")).toBeUndefined();
  });

  it("descriptors and @every", () => {
    expect(next("@hourly", "2025-01-01T10:30:00Z")).toBe("2025-01-01T11:00:00.000Z");
    expect(next("@daily", "2025-01-01T10:30:00Z")).toBe("2025-01-02T00:00:00.000Z");
    expect(next("@weekly", "2025-01-01T10:30:00Z")).toBe("2025-01-05T00:00:00.000Z");
    expect(next("@monthly", "2025-01-01T10:30:00Z")).toBe("2025-02-01T00:00:00.000Z");
    expect(next("@yearly", "2025-01-01T10:30:00Z")).toBe("2026-01-01T00:00:00.000Z");
    expect(next("@every 90s", "2025-01-01T10:30:00.500Z")).toBe("2025-01-01T10:31:30.000Z");
    expect(cronParseError("@often")).toBe("unrecognized descriptor: @often");
    expect(cronParseError("* * * * mon-x")).toBe('failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    expect(cronParseError("5-1 * * * *")).toBe("beginning of range (5) beyond end of range (1): 5-1");
  });

  it("reads the schedule in a time zone", () => {
    // 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer
    expect(next("0 9 * * *", "2025-01-10T12:00:00Z", "Europe/Paris")).toBe("2025-01-11T08:00:00.000Z");
    expect(next("0 9 * * *", "2025-07-10T12:00:00Z", "Europe/Paris")).toBe("2025-07-11T07:00:00.000Z");
    expect(next("30 2 * * *", "2025-01-10T12:00:00Z", "Asia/Kolkata")).toBe("2025-01-10T21:00:00.000Z");
  });
});
