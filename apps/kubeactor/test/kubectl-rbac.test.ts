/**
 * RBAC objects through real kubectl (the oldest and the newest installed):
 * the create generators (protobuf from 1.32), get -o wide, describe, apply of
 * a manifest that ships its RBAC, kube's validation messages, and the
 * bootstrap cluster-admin role. RBAC is stored, not enforced (AlwaysAllow).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, installedKubectls, type KubectlCluster, kubectlFor, startKubectlCluster } from "@kubeactor/testing";

const versions = installedKubectls([27, 33]);

const manifest = (ns: string) => `apiVersion: v1
kind: ServiceAccount
metadata: {name: operator, namespace: ${ns}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "operator:${ns}"}
rules:
- apiGroups: ["", apps]
  resources: [pods, deployments]
  verbs: [get, list, watch]
- nonResourceURLs: [/metrics]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "operator:${ns}"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "operator:${ns}"}
subjects:
- {kind: ServiceAccount, name: operator, namespace: ${ns}}
`;

describe.skipIf(versions.length === 0)("RBAC through kubectl", () => {
  let k: KubectlCluster;
  beforeAll(async () => {
    k = await startKubectlCluster("kubectl-rbac");
  });
  afterAll(async () => {
    await k?.stop();
  });

  it.each(versions)(
    "kubectl 1.%i",
    async (minor) => {
      const kubectl = kubectlFor({ kubeconfig: k.kubeconfig, minor });
      const failure = kubectl.fails;
      const ns = `team-${minor}`;
      try {
        await kubectl("create", "namespace", ns);
        expect(await kubectl("-n", ns, "create", "role", "pod-reader", "--verb=get,list", "--resource=pods")).toBe("role.rbac.authorization.k8s.io/pod-reader created\n");
        expect(await kubectl("-n", ns, "create", "rolebinding", "readers", "--role=pod-reader", "--user=alice", "--group=dev", `--serviceaccount=${ns}:sa1`)).toBe(
          "rolebinding.rbac.authorization.k8s.io/readers created\n",
        );
        const wide = (await kubectl("-n", ns, "get", "rolebinding", "readers", "-o", "wide")).split("\n");
        expect(wide[0]).toMatch(/^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS$/);
        expect(wide[1]).toMatch(new RegExp(`^readers\\s+Role/pod-reader\\s+\\S+\\s+alice\\s+dev\\s+${ns}/sa1$`));
        expect(await kubectl("-n", ns, "get", "roles")).toMatch(/^NAME\s+CREATED AT\npod-reader\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
        expect(await kubectl("-n", ns, "describe", "rolebinding", "readers")).toMatch(/Role:\n\s+Kind:\s+Role\n\s+Name:\s+pod-reader\nSubjects:/);

        // a manifest that ships its RBAC applies, names with colons included
        const file = join(k.dir, `${ns}.yaml`);
        writeFileSync(file, manifest(ns));
        expect(await kubectl("apply", "-f", file)).toBe(
          `serviceaccount/operator created\nclusterrole.rbac.authorization.k8s.io/operator:${ns} created\nclusterrolebinding.rbac.authorization.k8s.io/operator:${ns} created\n`,
        );
        const crb = (await call(k.cluster.url, "GET", `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/operator:${ns}`)).body;
        expect(crb.subjects).toEqual([{ kind: "ServiceAccount", name: "operator", namespace: ns }]);

        // kube's validation
        const changed = await failure("-n", ns, "patch", "rolebinding", "readers", "--type=merge", "-p", '{"roleRef":{"name":"other"}}');
        expect(changed).toContain('The RoleBinding "readers" is invalid: roleRef: Invalid value: ');
        expect(changed).toContain("cannot change roleRef");
        // a binding may name a role that does not exist (yet), as in Kubernetes
        expect(await kubectl("create", "clusterrolebinding", `later-${minor}`, "--clusterrole=not-yet", "--user=u", "--dry-run=server", "-o", "name")).toBe(
          `clusterrolebinding.rbac.authorization.k8s.io/later-${minor}\n`,
        );

        // the bootstrap policy users refer to
        expect(await kubectl("get", "clusterrolebinding", "cluster-admin", "-o", "wide")).toMatch(/cluster-admin\s+ClusterRole\/cluster-admin\s+\S+\s+system:masters/);
      } finally {
        kubectl.dispose();
      }
    },
    60_000,
  );

  it("refuses what kube-apiserver refuses, with its messages", async () => {
    const post = (resource: string, body: unknown, ns = "default") =>
      call(k.cluster.url, "POST", `/apis/rbac.authorization.k8s.io/v1/${ns ? `namespaces/${ns}/` : ""}${resource}`, body);
    const role = await post("roles", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "r" }, rules: [{ verbs: [], nonResourceURLs: ["/x"] }] });
    expect(role.code).toBe(422);
    expect(role.body.message).toBe(
      'Role.rbac.authorization.k8s.io "r" is invalid: [rules[0].verbs: Required value: verbs must contain at least one value, rules[0].nonResourceURLs: Invalid value: ["/x"]: namespaced rules cannot apply to non-resource URLs]',
    );
    const binding = await post(
      "clusterrolebindings",
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "b" }, roleRef: { kind: "Role", name: "r" }, subjects: [{ kind: "ServiceAccount", name: "sa" }, { kind: "Robot", name: "x" }] },
      "",
    );
    expect(binding.body.details.causes.map((x: any) => `${x.field}: ${x.message}`)).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      "subjects[0].namespace: Required value",
      'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ]);
    const slash = await post("roles", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "a%b" } });
    expect(slash.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "metadata.name", message: `Invalid value: "a%b": may not contain '%'` }]);
  });
});
