/**
 * fieldValidation=Strict|Warn|Ignore on create, update and patch, with the
 * bodies of kube-apiserver's own field validation test and its messages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startMemoryCluster, type TestCluster } from "@kubeactor/testing";

const invalidJson = (name: string) => `{
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": { "name": "dupename", "name": "${name}", "labels": {"app": "nginx"}, "unknownMeta": "metaVal" },
  "spec": {
    "unknown1": "val1", "unknownDupe": "valDupe", "unknownDupe": "valDupe2", "paused": true, "paused": false,
    "selector": { "matchLabels": { "app": "nginx" } },
    "template": { "metadata": { "labels": { "app": "nginx" } },
      "spec": { "containers": [{ "name": "nginx", "image": "nginx:latest", "unknownNested": "val1", "imagePullPolicy": "Always", "imagePullPolicy": "Never" }] } }
  }
}`;

const invalidYaml = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: dupename
  name: ${name}
  unknownMeta: metaVal
  labels:
    app: nginx
spec:
  unknown1: val1
  unknownDupe: valDupe
  unknownDupe: valDupe2
  paused: true
  paused: false
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:latest
        unknownNested: val1
        imagePullPolicy: Always
        imagePullPolicy: Never`;

const JSON_ISSUES = [
  'duplicate field "metadata.name"',
  'unknown field "metadata.unknownMeta"',
  'unknown field "spec.unknown1"',
  'unknown field "spec.unknownDupe"',
  'duplicate field "spec.paused"',
  'unknown field "spec.template.spec.containers[0].unknownNested"',
  'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
];
const PREFIX = 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ';
const DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments";

const json = async (res: Response): Promise<any> => res.json();

/** The Warning header texts, unquoted. */
const warnings = (res: Response): string[] =>
  (res.headers.get("warning") ?? "")
    .split(/,\s*(?=299 )/)
    .filter((w) => w !== "")
    .map((w) => JSON.parse(w.replace(/^299 - /, "")) as string);

describe("server-side field validation", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startMemoryCluster();
  });
  afterAll(() => c?.stop());
  const post = (query: string, body: string, type = "application/json") =>
    fetch(`${c.url}${DEPLOYMENTS}${query}`, { method: "POST", headers: { "Content-Type": type }, body });

  it("Strict rejects unknown and duplicate JSON fields in document order with a 400 Status", async () => {
    const res = await post("?fieldValidation=Strict", invalidJson("strict"));
    expect(res.status).toBe(400);
    const status = await json(res);
    expect(status).toMatchObject({ kind: "Status", reason: "BadRequest", code: 400 });
    expect(status.message).toBe(PREFIX + JSON_ISSUES.join(", "));
    expect((await call(c.url, "GET", `${DEPLOYMENTS}/strict`)).code).toBe(404);
  });

  it("Warn (also the default) stores the object without the unknown fields and returns Warning headers", async () => {
    for (const [query, name] of [["?fieldValidation=Warn", "warn"], ["", "default"]] as const) {
      const res = await post(query, invalidJson(name));
      expect(res.status).toBe(201);
      expect(warnings(res)).toEqual(JSON_ISSUES);
      const stored = (await call(c.url, "GET", `${DEPLOYMENTS}/${name}`)).body;
      expect(stored.metadata.unknownMeta).toBeUndefined();
      expect(stored.spec.unknown1).toBeUndefined();
      expect(stored.spec.paused).toBe(false); // the last duplicate wins
      expect(stored.spec.template.spec.containers[0].unknownNested).toBeUndefined();
      expect(stored.spec.template.spec.containers[0].imagePullPolicy).toBe("Never");
    }
  });

  it("Ignore drops unknown fields silently", async () => {
    const res = await post("?fieldValidation=Ignore", invalidJson("ignore"));
    expect(res.status).toBe(201);
    expect(res.headers.get("warning")).toBeNull();
    expect((await json(res)).spec.unknown1).toBeUndefined();
  });

  it("YAML bodies: go-yaml's duplicate-key lines, then unknown fields", async () => {
    const res = await post("?fieldValidation=Strict", invalidYaml("yaml-strict"), "application/yaml");
    expect(res.status).toBe(400);
    expect((await json(res)).message).toBe(
      PREFIX +
        'yaml: unmarshal errors:\n  line 5: key "name" already set in map\n  line 12: key "unknownDupe" already set in map\n  line 14: key "paused" already set in map\n  line 28: key "imagePullPolicy" already set in map, unknown field "metadata.unknownMeta", unknown field "spec.template.spec.containers[0].unknownNested", unknown field "spec.unknown1", unknown field "spec.unknownDupe"',
    );
    const warned = await post("?fieldValidation=Warn", invalidYaml("yaml-warn"), "application/yaml");
    expect(warned.status).toBe(201);
    expect(warnings(warned).slice(0, 2)).toEqual(['line 5: key "name" already set in map', 'line 12: key "unknownDupe" already set in map']);
  });

  it("PUT and PATCH are validated too; a bad directive is refused", async () => {
    const current = (await call(c.url, "GET", `${DEPLOYMENTS}/ignore`)).body;
    const put = await fetch(`${c.url}${DEPLOYMENTS}/ignore?fieldValidation=Strict`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...current, spec: { ...current.spec, replica: 3 } }),
    });
    expect(put.status).toBe(400);
    expect((await json(put)).message).toBe(`${PREFIX}unknown field "spec.replica"`);

    const mergePatch = '{"spec": {"unknown1": "val1", "paused": true, "paused": false, "template": {"spec": {"containers": [{"name": "nginx", "unknownNested": "x"}]}}}}';
    const patch = await fetch(`${c.url}${DEPLOYMENTS}/ignore?fieldValidation=Strict`, {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json" },
      body: mergePatch,
    });
    expect(patch.status).toBe(400);
    expect((await json(patch)).message).toBe(
      `${PREFIX}duplicate field "spec.paused", unknown field "spec.template.spec.containers[0].unknownNested", unknown field "spec.unknown1"`,
    );
    const smp = await fetch(`${c.url}${DEPLOYMENTS}/ignore`, {
      method: "PATCH",
      headers: { "Content-Type": "application/strategic-merge-patch+json" },
      body: '{"spec": {"replica": 2}}',
    });
    expect(smp.status).toBe(200);
    expect(warnings(smp)).toEqual(['unknown field "spec.replica"']);
    expect((await json(smp)).spec.replica).toBeUndefined();

    const bad = await post("?fieldValidation=Loud", invalidJson("bad"));
    expect(bad.status).toBe(422);
    expect((await json(bad)).message).toContain('fieldValidation: Unsupported value: "Loud"');
  });

  it("fields inside loosely modelled objects and map keys are never unknown", async () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "loose", labels: { anything: "goes" }, annotations: { "a/b": "c" } },
      spec: { securityContext: { runAsUser: 1000, somethingNew: true }, containers: [{ name: "c", image: "busybox", resources: { limits: { "example.com/gpu": 1 } } }] },
    };
    const res = await fetch(`${c.url}/api/v1/namespaces/default/pods?fieldValidation=Strict`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(pod),
    });
    expect(res.status).toBe(201);
    expect((await json(res)).spec.securityContext.somethingNew).toBe(true);
  });
});
