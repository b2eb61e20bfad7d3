/**
 * One scenario, every real kubectl from 1.27 to 1.33, one whole cluster
 * (API server, controllers, scheduler, simulated nodes: startCluster, as
 * `kubeactor up` runs it), each version in a namespace of its own and with a
 * fresh discovery cache. Output is compared exactly where kubectl's text is
 * stable: it is what kubectl prints against a real cluster.
 *
 * Not repeated here (see kubectl-matrix / kubectl-apply / kubectl tests):
 * api-resources / api-versions / explain in detail, apply --force-conflicts,
 * client-side to server-side apply migration, drain.
 *
 * Time: the full scenario runs on the oldest and the newest kubectl (1.27,
 * 1.33); 1.28 … 1.32 run a smoke subset (generators, -f, apply twice, get,
 * label, scale, the error messages), which keeps the file within a few
 * minutes on a loaded 2-core machine.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { installedKubectls, kubectlFor, until } from "@kubeactor/testing";
import { type RunningCluster, startCluster } from "../src/up.ts";

const run = promisify(execFile);
const MINORS = [27, 28, 29, 30, 31, 32, 33];
const FULL = new Set([27, 33]);
const installed = installedKubectls(MINORS);

/** Splits a kubectl table by the header's column starts (so empty cells stay empty). */
const parseTable = (text: string): string[][] => {
  const [header, ...lines] = text.trimEnd().split("\n");
  const starts = [...header!.matchAll(/\S+/g)].map((m) => m.index!);
  return [header!.split(/\s+/), ...lines.map((line) => starts.map((s, i) => line.slice(s, starts[i + 1] ?? line.length).trim()))];
};

const deploymentYaml = (ns: string, name: string, image: string, env: Record<string, string>, tier = "a") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels: {app: ${name}, tier: ${tier}}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: web
        image: ${image}
        env:
${Object.entries(env)
  .map(([k, v]) => `        - {name: ${k}, value: "${v}"}`)
  .join("\n")}
`;

const configMapYaml = (ns: string, name: string, data: Record<string, string>, extra = "") => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: ${ns}
  labels: {tier: b}
${extra}data: ${JSON.stringify(data)}
`;

describe.skipIf(installed.length === 0)("one scenario, kubectl 1.27 … 1.33, one cluster", () => {
  let cluster: RunningCluster;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "kubectl-e2e-"));
    cluster = await startCluster(
      // in-process bus, no DNS, no fixed port; a service range of its own so parallel tests never share ClusterIPs
      { dataDir, port: 0, natsPort: 0, nodes: 2, embedded: true, dnsPort: 0, serviceClusterIpRange: "127.200.0.0/16" },
      () => {},
    );
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(installed)(
    "kubectl 1.%i",
    async (minor) => {
      const ns = `e2e-${minor}`;
      const kubectl = kubectlFor({ kubeconfig: cluster.kubeconfig, minor, timeoutMs: 60_000 });
      const inNs = (...args: string[]) => kubectl("-n", ns, ...args);
      /** kubectl's stderr when it fails; a success fails the test. */
      const failure = (...args: string[]) => kubectl.fails("-n", ns, ...args);
      const file = (name: string, text: string) => {
        const path = join(dataDir, `${minor}-${name}.yaml`);
        writeFileSync(path, text);
        return path;
      };
      const getJson = async (what: string) => JSON.parse(await inNs("get", what, "-o", "json"));
      try {
        // ---- generators (protobuf bodies from 1.32) and -f
        expect(await kubectl("create", "namespace", ns)).toBe(`namespace/${ns} created\n`);
        expect(await inNs("create", "configmap", "gen", "--from-literal=a=1")).toBe("configmap/gen created\n");
        expect(await inNs("create", "secret", "generic", "creds", "--from-literal=password=s3cret")).toBe("secret/creds created\n");
        expect(await inNs("create", "deployment", "gen-web", "--image=nginx:1.27")).toBe("deployment.apps/gen-web created\n");
        expect((await getJson("secret/creds")).data).toEqual({ password: Buffer.from("s3cret").toString("base64") });
        const secretYaml = `apiVersion: v1\nkind: Secret\nmetadata: {name: file-creds, namespace: ${ns}}\nstringData: {token: abc}\n`;
        const files = file("files", `${configMapYaml(ns, "from-file", { k: "v" })}---\n${secretYaml}---\n${deploymentYaml(ns, "file-web", "nginx:1.27", { A: "1" }, "b")}`);
        expect(await kubectl("create", "-f", files)).toBe("configmap/from-file created\nsecret/file-creds created\ndeployment.apps/file-web created\n");
        // stringData is write-only: stored base64-encoded under data
        const fileSecret = await getJson("secret/file-creds");
        expect([fileSecret.data, fileSecret.stringData, fileSecret.type]).toEqual([{ token: Buffer.from("abc").toString("base64") }, undefined, "Opaque"]);
        const nsFile = file("ns", `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}-file}\n`);
        expect(await kubectl("create", "-f", nsFile)).toBe(`namespace/${ns}-file created\n`);

        // ---- the error messages kubectl prints against a real cluster
        expect(await failure("get", "deployment", "nope")).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
        expect(await failure("create", "configmap", "gen", "--from-literal=a=1")).toBe(
          // the generator wraps the server's message; `create -f` prints it as "Error from server"
          'error: failed to create configmap: configmaps "gen" already exists\n',
        );
        expect(await failure("create", "-f", files)).toBe(
          `Error from server (AlreadyExists): error when creating "${files}": configmaps "from-file" already exists\n` +
            `Error from server (AlreadyExists): error when creating "${files}": secrets "file-creds" already exists\n` +
            `Error from server (AlreadyExists): error when creating "${files}": deployments.apps "file-web" already exists\n`,
        );
        const stale = (await getJson("configmap/from-file")).metadata.resourceVersion;
        await inNs("label", "configmap", "from-file", "touched=yes");
        const staleFile = file("stale", configMapYaml(ns, "from-file", { k: "w" }, `  resourceVersion: "${stale}"\n`));
        expect(await failure("replace", "-f", staleFile)).toBe(
          `Error from server (Conflict): error when replacing "${staleFile}": Operation cannot be fulfilled on configmaps "from-file": the object has been modified; please apply your changes to the latest version and try again\n`,
        );

        // ---- apply twice: a changed image, a removed env var (gone from the object)
        const web = (image: string, env: Record<string, string>) => file("web", deploymentYaml(ns, "web", image, env));
        expect(await kubectl("apply", "-f", web("nginx:1.27", { KEEP: "1", DROP: "2" }))).toBe("deployment.apps/web created\n");
        expect(await kubectl("apply", "-f", web("nginx:1.28", { KEEP: "1" }))).toBe("deployment.apps/web configured\n");
        const applied = (await getJson("deployment/web")).spec.template.spec.containers[0];
        expect(applied.image).toBe("nginx:1.28");
        expect(applied.env).toEqual([{ name: "KEEP", value: "1" }]);

        // ---- get: -o wide, -o jsonpath, -l with a set selector
        await until(
          "web rolled out",
          async () => {
            const { metadata, status } = await getJson("deployment/web");
            return status?.observedGeneration === metadata.generation && status.replicas === 1 && status.updatedReplicas === 1 && status.availableReplicas === 1;
          },
          60_000,
        );
        const wide = parseTable(await inNs("get", "deployment", "web", "-o", "wide"));
        expect(wide[0]).toEqual(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
        expect(wide[1]).toEqual(["web", "1/1", "1", "1", expect.stringMatching(/^\d+[sm]/), "web", "nginx:1.28", "app=web"]);
        expect(await inNs("get", "configmap", "gen", "-o", "jsonpath={.data.a}")).toBe("1");
        expect(await inNs("get", "deployments", "-l", "tier in (a,b)", "-o", "name")).toBe("deployment.apps/file-web\ndeployment.apps/web\n");
        expect(await inNs("get", "deployments", "-l", "tier in (b,c)", "-o", "name")).toBe("deployment.apps/file-web\n");

        // ---- label / annotate and their removal, scale with and without a precondition
        expect(await inNs("label", "configmap", "gen", "tier=a")).toBe("configmap/gen labeled\n");
        expect(await inNs("get", "configmaps", "-l", "tier in (a,b)", "-o", "name")).toBe("configmap/from-file\nconfigmap/gen\n");
        expect(await inNs("label", "configmap", "gen", "tier-")).toBe("configmap/gen unlabeled\n");
        expect((await getJson("configmap/gen")).metadata.labels).toBeUndefined();
        expect(await inNs("scale", "deployment", "web", "--replicas=2")).toBe("deployment.apps/web scaled\n");
        expect(await failure("scale", "deployment", "web", "--current-replicas=5", "--replicas=3")).toBe("error: Expected replicas to be 5, was 2\n");
        expect(await inNs("scale", "deployment", "web", "--current-replicas=2", "--replicas=1")).toBe("deployment.apps/web scaled\n");

        if (!FULL.has(minor)) return;

        // kubectl 1.27 itself prints "annotate" here (its print flags' operation; later releases say "annotated")
        const annotated = minor === 27 ? "configmap/gen annotate\n" : "configmap/gen annotated\n";
        expect(await inNs("annotate", "configmap", "gen", "note=hello")).toBe(annotated);
        expect((await getJson("configmap/gen")).metadata.annotations).toEqual({ note: "hello" });
        expect(await inNs("annotate", "configmap", "gen", "note-")).toBe(annotated);
        expect((await getJson("configmap/gen")).metadata.annotations ?? {}).toEqual({});

        // a JSON patch whose test fails: Kubernetes' bare 422, as kubectl prints it
        expect(await failure("patch", "configmap", "gen", "--type=json", "-p", '[{"op":"test","path":"/data/a","value":"9"}]')).toBe(
          "The request is invalid: the server rejected our request due to an error in our request\n",
        );

        // ---- get -o yaml, and -A (a NAMESPACE column, every namespace)
        const asYaml = parseYaml(await inNs("get", "configmap", "gen", "-o", "yaml"));
        expect(asYaml).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "gen", namespace: ns }, data: { a: "1" } });
        const all = parseTable(await kubectl("get", "configmaps", "-A"));
        expect(all[0]).toEqual(["NAMESPACE", "NAME", "DATA", "AGE"]);
        expect(all).toContainEqual([ns, "gen", "1", expect.stringMatching(/^\d+[sm]/)]);

        // ---- server-side apply, and a conflict between two managers
        const ssa = (data: Record<string, string>) => file("ssa", configMapYaml(ns, "ssa", data));
        expect(await kubectl("apply", "--server-side", "-f", ssa({ k: "1" }))).toBe("configmap/ssa serverside-applied\n");
        const conflict = await failure("apply", "--server-side", "--field-manager=other", "-f", ssa({ k: "2" }));
        expect(conflict).toMatch(
          /^error: Apply failed with 1 conflict: conflict with "kubectl": \.data\.k\nPlease review the fields above--they currently have other managers\. /,
        );
        expect((await getJson("configmap/ssa")).data).toEqual({ k: "1" });

        // ---- edit through $EDITOR
        const edited = await run(kubectl.binary, kubectl.argv("-n", ns, "edit", "configmap", "gen"), {
          env: { ...process.env, EDITOR: `sed -i s/a:\\ \\"1\\"/a:\\ \\"2\\"/` },
          timeout: 60_000,
        });
        expect(edited.stdout).toBe("configmap/gen edited\n");
        expect((await getJson("configmap/gen")).data).toEqual({ a: "2" });

        // ---- explain, api-resources (the details are kubectl-matrix's)
        expect(await kubectl("explain", "configmap.data")).toMatch(/FIELD: +data <map\[string\]string>/);
        expect(await kubectl("api-resources", "--api-group=apps", "-o", "name")).toMatch(/^(.+\n)*deployments\.apps\n(.+\n)*replicasets\.apps\n/);

        // ---- --dry-run=server: validated and answered, nothing stored
        expect(await inNs("create", "configmap", "dry", "--from-literal=a=b", "--dry-run=server")).toBe("configmap/dry created (server dry run)\n");
        expect(await failure("get", "configmap", "dry")).toBe('Error from server (NotFound): configmaps "dry" not found\n');
        expect(await inNs("delete", "configmap", "gen", "--dry-run=server")).toBe('configmap "gen" deleted (server dry run)\n');
        expect((await getJson("configmap/gen")).data).toEqual({ a: "2" });

        // ---- strict validation: the server's strict decoding error
        const typo = file("typo", configMapYaml(ns, "typo", { a: "b" }).replace("\ndata:", "\ndatta:"));
        expect(await failure("create", "-f", typo)).toBe(
          `Error from server (BadRequest): error when creating "${typo}": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "datta"\n`,
        );

        // ---- get -w: the table, then one row per event
        const watcher = spawn(kubectl.binary, kubectl.argv("-n", ns, "get", "configmaps", "-w"));
        let seen = "";
        watcher.stdout.on("data", (d: Buffer) => (seen += d.toString()));
        try {
          await until("the watch's first table", () => /^NAME\s+DATA\s+AGE\n/.test(seen) && seen.includes("\ngen "), 30_000);
          await inNs("create", "configmap", "watched", "--from-literal=x=y");
          await until("the watched configmap's row", () => /\nwatched\s+1\s+\d+s\n/.test(seen), 30_000);
        } finally {
          watcher.kill();
        }

        // ---- wait: a condition, and deletion (held by a finalizer until we release it)
        expect(await inNs("wait", "--for=condition=Available", "deployment/web", "--timeout=60s")).toBe("deployment.apps/web condition met\n");
        await kubectl("apply", "-f", file("held", configMapYaml(ns, "held", { a: "b" }, "  finalizers: [example.com/hold]\n")));
        expect(await inNs("delete", "configmap", "held", "--wait=false")).toBe('configmap "held" deleted\n');
        // -v=6 logs the watch request: release the finalizer only once kubectl watches (else it finds nothing to wait for)
        const waiter = spawn(kubectl.binary, kubectl.argv("-n", ns, "wait", "--for=delete", "configmap/held", "--timeout=60s", "-v=6"));
        let waitOut = "";
        let waitLog = "";
        waiter.stdout.on("data", (d: Buffer) => (waitOut += d.toString()));
        waiter.stderr.on("data", (d: Buffer) => (waitLog += d.toString()));
        const exited = new Promise<number | null>((resolve) => waiter.on("exit", resolve));
        try {
          await until("kubectl wait watching", () => /watch=true/.test(waitLog), 30_000);
          await inNs("patch", "configmap", "held", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]');
          expect(await exited).toBe(0);
          expect(waitOut).toBe("configmap/held condition met\n");
        } finally {
          waiter.kill();
        }

        // ---- delete with each cascade policy
        const replicaSetsOf = async (deployment: string) =>
          (await getJson("replicasets")).items.filter((rs: any) => rs.metadata.name.startsWith(`${deployment}-`));
        for (const d of ["fg", "orphaned"]) await inNs("create", "deployment", d, "--image=nginx:1.27");
        for (const d of ["fg", "orphaned"]) await until(`${d}'s ReplicaSet`, async () => (await replicaSetsOf(d)).length === 1, 60_000);
        // foreground: kubectl waits for the owner, which goes only after its dependents
        expect(await inNs("delete", "deployment", "fg", "--cascade=foreground")).toBe('deployment.apps "fg" deleted\n');
        expect(await replicaSetsOf("fg")).toEqual([]);
        // orphan: the ReplicaSet stays, without its owner reference
        expect(await inNs("delete", "deployment", "orphaned", "--cascade=orphan")).toBe('deployment.apps "orphaned" deleted\n');
        const [orphan] = await replicaSetsOf("orphaned");
        expect(orphan?.metadata.ownerReferences ?? []).toEqual([]);
        // background (the default): the owner goes at once, the collector follows
        expect(await inNs("delete", "deployment", "web")).toBe('deployment.apps "web" deleted\n');
        await until("web's ReplicaSet collected", async () => (await replicaSetsOf("web")).length === 0, 60_000);

        // ---- delete --all (every configmap of the namespace)
        const before: string[] = (await getJson("configmaps")).items.map((c: any) => c.metadata.name);
        const deleted = await inNs("delete", "configmap", "--all");
        expect(deleted.trim().split("\n").sort()).toEqual(before.map((n) => `configmap "${n}" deleted`).sort());
        expect((await getJson("configmaps")).items).toEqual([]);

        // ---- delete a namespace: kubectl waits while the namespace controller empties it
        expect(await kubectl("delete", "namespace", `${ns}-file`)).toBe(`namespace "${ns}-file" deleted\n`);
        expect(await kubectl("delete", "namespace", ns, "--timeout=90s")).toBe(`namespace "${ns}" deleted\n`);
        expect(await failure("get", "namespace", ns)).toBe(`Error from server (NotFound): namespaces "${ns}" not found\n`);
      } finally {
        kubectl.dispose();
      }
    },
    180_000,
  );
});
