/**
 * Every kubectl a user may have (1.27 … 1.33) against one in-process
 * cluster, one version after another, each with a fresh discovery cache:
 * discovery (the aggregated form), api-resources / api-versions as a real
 * cluster prints them, explain from the generated OpenAPI, create / apply /
 * replace of a Deployment file under kubectl's default strict validation, edit,
 * get -o yaml, and drain (cordon + eviction).
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { call, installedKubectls, type KubectlCluster, kubectlFor, startKubectlCluster } from "@kubeactor/testing";

const run = promisify(execFile);
const MINORS = [27, 28, 29, 30, 31, 32, 33];
const installed = installedKubectls(MINORS);

/** What `kubectl api-resources` prints for these resources on a real cluster (NAME SHORTNAMES APIVERSION NAMESPACED KIND). */
const REAL_API_RESOURCES = [
  ["configmaps", "cm", "v1", "true", "ConfigMap"],
  ["endpoints", "ep", "v1", "true", "Endpoints"],
  ["events", "ev", "v1", "true", "Event"],
  ["limitranges", "limits", "v1", "true", "LimitRange"],
  ["namespaces", "ns", "v1", "false", "Namespace"],
  ["nodes", "no", "v1", "false", "Node"],
  ["persistentvolumeclaims", "pvc", "v1", "true", "PersistentVolumeClaim"],
  ["persistentvolumes", "pv", "v1", "false", "PersistentVolume"],
  ["pods", "po", "v1", "true", "Pod"],
  ["podtemplates", "", "v1", "true", "PodTemplate"],
  ["replicationcontrollers", "rc", "v1", "true", "ReplicationController"],
  ["resourcequotas", "quota", "v1", "true", "ResourceQuota"],
  ["secrets", "", "v1", "true", "Secret"],
  ["serviceaccounts", "sa", "v1", "true", "ServiceAccount"],
  ["services", "svc", "v1", "true", "Service"],
  ["controllerrevisions", "", "apps/v1", "true", "ControllerRevision"],
  ["daemonsets", "ds", "apps/v1", "true", "DaemonSet"],
  ["deployments", "deploy", "apps/v1", "true", "Deployment"],
  ["replicasets", "rs", "apps/v1", "true", "ReplicaSet"],
  ["statefulsets", "sts", "apps/v1", "true", "StatefulSet"],
  ["selfsubjectreviews", "", "authentication.k8s.io/v1", "false", "SelfSubjectReview"],
  ["localsubjectaccessreviews", "", "authorization.k8s.io/v1", "true", "LocalSubjectAccessReview"],
  ["selfsubjectaccessreviews", "", "authorization.k8s.io/v1", "false", "SelfSubjectAccessReview"],
  ["selfsubjectrulesreviews", "", "authorization.k8s.io/v1", "false", "SelfSubjectRulesReview"],
  ["subjectaccessreviews", "", "authorization.k8s.io/v1", "false", "SubjectAccessReview"],
  ["horizontalpodautoscalers", "hpa", "autoscaling/v1", "true", "HorizontalPodAutoscaler"],
  ["cronjobs", "cj", "batch/v1", "true", "CronJob"],
  ["jobs", "", "batch/v1", "true", "Job"],
  ["leases", "", "coordination.k8s.io/v1", "true", "Lease"],
  ["endpointslices", "", "discovery.k8s.io/v1", "true", "EndpointSlice"],
  ["events", "ev", "events.k8s.io/v1", "true", "Event"],
  ["ingressclasses", "", "networking.k8s.io/v1", "false", "IngressClass"],
  ["ingresses", "ing", "networking.k8s.io/v1", "true", "Ingress"],
  ["networkpolicies", "netpol", "networking.k8s.io/v1", "true", "NetworkPolicy"],
  ["poddisruptionbudgets", "pdb", "policy/v1", "true", "PodDisruptionBudget"],
  ["clusterrolebindings", "", "rbac.authorization.k8s.io/v1", "false", "ClusterRoleBinding"],
  ["clusterroles", "", "rbac.authorization.k8s.io/v1", "false", "ClusterRole"],
  ["rolebindings", "", "rbac.authorization.k8s.io/v1", "true", "RoleBinding"],
  ["roles", "", "rbac.authorization.k8s.io/v1", "true", "Role"],
  ["storageclasses", "sc", "storage.k8s.io/v1", "false", "StorageClass"],
];

/** Splits a kubectl table by the header's column starts (so empty cells stay empty). */
const parseTable = (text: string): string[][] => {
  const [header, ...lines] = text.trimEnd().split("\n");
  const starts = [...header!.matchAll(/\S+/g)].map((m) => m.index!);
  return lines.map((line) => starts.map((s, i) => line.slice(s, starts[i + 1] ?? line.length).trim()));
};

const deploymentYaml = (name: string, image: string, replicasField = "replicas") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  ${replicasField}: 2
  selector:
    matchLabels: {app: ${name}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
        env: [{name: MODE, value: test}]
`;

describe.skipIf(installed.length === 0)("kubectl 1.27 … 1.33 against one cluster", () => {
  let k: KubectlCluster;
  beforeAll(async () => {
    k = await startKubectlCluster("kubectl-matrix");
  });
  afterAll(async () => {
    await k?.stop();
  });

  it.each(installed)(
    "kubectl 1.%i",
    async (minor) => {
      const client = kubectlFor({ kubeconfig: k.kubeconfig, minor });
      const kubectl = client.output;
      const failure = client.fails;
      try {
        // discovery: two requests answered in the aggregated form (v2 from 1.30, v2beta1 before), no per-group-version lists
        const resources = await kubectl("api-resources", "-v=8");
        expect(resources.stderr).toMatch(/\/apis\?timeout/);
        expect(resources.stderr).not.toMatch(/\/apis\/apps\/v1\?timeout/);
        const served = minor >= 30 ? "v2" : "v2beta1";
        expect(resources.stderr).toContain(`Content-Type: application/json;g=apidiscovery.k8s.io;v=${served};as=APIGroupDiscoveryList`);
        expect(resources.stdout.split("\n")[0]).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);
        const rows = parseTable(resources.stdout);
        const known = rows.filter((r) => REAL_API_RESOURCES.some((e) => e[0] === r[0] && e[2] === r[2]));
        expect(known).toEqual(REAL_API_RESOURCES);

        const versions = (await kubectl("api-versions")).stdout.trim().split("\n");
        expect(versions).toEqual([...versions].sort());
        expect(versions).toEqual(expect.arrayContaining(["apps/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1", "v1"]));

        // auth: no authentication and AlwaysAllow, as kube-apiserver with anonymous auth answers (1.32+ posts protobuf)
        expect((await kubectl("auth", "can-i", "create", "pods")).stdout).toBe("yes\n");
        expect((await kubectl("auth", "can-i", "delete", "nodes", "--as", "alice")).stdout).toBe("yes\n");
        const rules = (await kubectl("auth", "can-i", "--list", "-n", "kube-system")).stdout.split("\n").map((l) => l.trim().split(/\s+/));
        expect(rules.slice(1, 3)).toEqual([
          ["*.*", "[]", "[]", "[*]"],
          ["[*]", "[]", "[*]"],
        ]);
        if (minor >= 28) {
          // SelfSubjectReview is authentication.k8s.io/v1 from 1.28 (kubectl 1.27 asks for v1beta1 only)
          expect((await kubectl("auth", "whoami")).stdout).toMatch(/^ATTRIBUTE\s+VALUE\nUsername\s+system:anonymous\nGroups\s+\[system:unauthenticated\]\n$/);
          expect((await kubectl("auth", "whoami", "--as", "alice", "--as-group", "dev")).stdout).toMatch(/Username\s+alice\nGroups\s+\[dev system:authenticated\]/);
        }

        // create token: a signed service account JWT (1.32+ sends the TokenRequest as protobuf)
        await kubectl("create", "serviceaccount", `robot-${minor}`);
        const token = (await kubectl("create", "token", `robot-${minor}`, "--audience=vault", "--duration=20m")).stdout.trim();
        const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"));
        expect(claims).toMatchObject({ aud: ["vault"], sub: `system:serviceaccount:default:robot-${minor}` });
        expect(claims.exp - claims.iat).toBe(1200);
        expect(await failure("create", "token", `robot-${minor}`, "--duration=1m")).toContain(
          'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
        );

        // get cs: the deprecated ComponentStatus, with kube's warning on stderr (this cluster runs no scheduler or controller manager)
        const cs = await kubectl("get", "componentstatuses");
        expect(cs.stdout.split("\n").map((l) => l.trim().split(/\s{2,}/))).toEqual([
          ["NAME", "STATUS", "MESSAGE", "ERROR"],
          ["scheduler", "Unhealthy", "no leader: lease kube-system/kube-scheduler not found"],
          ["controller-manager", "Unhealthy", "no leader: lease kube-system/kube-controller-manager not found"],
          ["etcd-0", "Healthy", "ok"],
          [""],
        ]);
        expect(cs.stderr).toContain("Warning: v1 ComponentStatus is deprecated in v1.19+");

        // explain: ≤ 1.28 reads the v2 protobuf document, newer ones the v3 JSON documents
        const strategy = (await kubectl("explain", "deployment.spec.strategy")).stdout;
        expect(strategy).toContain("FIELD: strategy <DeploymentStrategy>");
        expect(strategy).toMatch(/rollingUpdate\t<RollingUpdateDeployment>/);
        expect(strategy).toMatch(/How existing pods are replaced/);
        const containers = (await kubectl("explain", "pod.spec.containers")).stdout;
        expect(containers).toContain("FIELD: containers <[]Container>");
        expect(containers).toMatch(/name\t<string> -required-/);
        expect(containers).toMatch(/image\t<string>\n\s+The container image to run/);

        // files under kubectl's default (strict) validation
        const name = `web-${minor}`;
        const file = join(k.dir, `${name}.yaml`);
        writeFileSync(file, deploymentYaml(name, "nginx:1.27", "replica"));
        expect(await failure("apply", "-f", file)).toContain(
          `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"`,
        );
        // create job / cronjob: protobuf bodies from 1.32, JSON before
        expect((await kubectl("create", "cronjob", `cj-${minor}`, "--image=busybox", "--schedule=@hourly", "--", "true")).stdout).toBe(`cronjob.batch/cj-${minor} created\n`);
        expect((await kubectl("create", "job", `job-${minor}`, `--from=cronjob/cj-${minor}`)).stdout).toBe(`job.batch/job-${minor} created\n`);
        expect((await kubectl("get", "job", `job-${minor}`, "-o", "jsonpath={.metadata.annotations}")).stdout).toBe('{"cronjob.kubernetes.io/instantiate":"manual"}');
        writeFileSync(file, deploymentYaml(name, "nginx:1.27"));
        expect((await kubectl("create", "-f", file)).stdout).toBe(`deployment.apps/${name} created\n`);
        writeFileSync(file, deploymentYaml(name, "nginx:1.28"));
        expect((await kubectl("apply", "-f", file)).stdout).toBe(`deployment.apps/${name} configured\n`);
        writeFileSync(file, deploymentYaml(name, "nginx:1.29"));
        expect((await kubectl("replace", "-f", file)).stdout).toBe(`deployment.apps/${name} replaced\n`);
        const got = parseYaml((await kubectl("get", "deployment", name, "-o", "yaml")).stdout);
        expect(got.spec.template.spec.containers[0].image).toBe("nginx:1.29");
        expect(got.spec.replicas).toBe(2);
        // what get -o yaml printed goes back in unchanged
        const roundTrip = join(k.dir, `${name}-got.yaml`);
        writeFileSync(roundTrip, (await kubectl("get", "deployment", name, "-o", "yaml")).stdout);
        expect((await kubectl("replace", "-f", roundTrip)).stdout).toBe(`deployment.apps/${name} replaced\n`);

        // edit sends a strategic merge patch under strict validation; a typo comes back as the server's error
        const editor = (from: string, to: string) => ({ ...process.env, EDITOR: `sed -i s/${from}/${to}/` });
        const edited = await run(client.binary, client.argv("edit", "deployment", name), {
          env: editor("replicas:\\ 2", "replicas:\\ 3"),
          timeout: 30_000,
        });
        expect(edited.stdout).toBe(`deployment.apps/${name} edited\n`);
        const typo = await run(client.binary, client.argv("edit", "deployment", name), {
          env: editor("replicas:\\ 3", "replicaz:\\ 4"),
          timeout: 30_000,
        }).then(
          () => "",
          (e: { stderr: string }) => e.stderr,
        );
        expect(typo).toContain('strict decoding error: unknown field "spec.replicaz"');
        expect((await call(k.cluster.url, "GET", `/apis/apps/v1/namespaces/default/deployments/${name}`)).body.spec.replicas).toBe(3);

        // drain: cordon, then evict every pod on the node (one without a controller needs --force)
        const node = `node-${minor}`;
        const nodeFile = join(k.dir, `${node}.yaml`);
        const podOn = (pod: string, owned: boolean) => `---
apiVersion: v1
kind: Pod
metadata:
  name: ${pod}
  namespace: default
${owned ? `  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs-${minor}, uid: 6f1c2a52-0c1b-4b8e-9d7e-${String(minor).padStart(12, "0")}, controller: true}]\n` : ""}spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 0
  containers: [{name: c, image: busybox}]
`;
        writeFileSync(nodeFile, `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${node}\n${podOn(`owned-${minor}`, true)}${podOn(`bare-${minor}`, false)}`);
        await kubectl("create", "-f", nodeFile);
        const drained = await kubectl("drain", node, "--force", "--timeout=60s");
        expect(drained.stdout).toContain(`node/${node} cordoned`);
        expect(drained.stdout).toContain(`evicting pod default/owned-${minor}`);
        expect(drained.stdout).toContain(`pod/bare-${minor} evicted`);
        expect(drained.stdout).toContain(`node/${node} drained`);
        expect(drained.stderr).toContain(`deleting Pods that declare no controller: default/bare-${minor}`);
        expect((await call(k.cluster.url, "GET", `/api/v1/nodes/${node}`)).body.spec.unschedulable).toBe(true);
        expect((await call(k.cluster.url, "GET", `/api/v1/pods?fieldSelector=spec.nodeName%3D${node}`)).body.items).toEqual([]);
      } finally {
        client.dispose();
      }
    },
    60_000,
  );
});
