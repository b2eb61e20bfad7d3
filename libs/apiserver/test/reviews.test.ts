/**
 * The review kinds over HTTP: answered in the 201 response, never stored,
 * validated with kube-apiserver's messages, create their only verb.
 * (apps/kubeactor/test/kubectl-matrix.test.ts drives `kubectl auth` 1.27–1.33.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startMemoryCluster, type TestCluster } from "@kubeactor/testing";

const AUTHZ = "/apis/authorization.k8s.io/v1";
const ssar = (spec: unknown, metadata: unknown = {}) => ({ apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", metadata, spec });

describe("access and identity reviews", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startMemoryCluster();
  });
  afterAll(() => c?.stop());

  it("answers a SelfSubjectAccessReview allowed, echoing the spec, and stores nothing", async () => {
    const spec = { resourceAttributes: { namespace: "default", verb: "create", resource: "pods" } };
    const res = await call(c.url, "POST", `${AUTHZ}/selfsubjectaccessreviews`, ssar(spec));
    expect(res).toEqual({ code: 201, body: { kind: "SelfSubjectAccessReview", apiVersion: "authorization.k8s.io/v1", metadata: {}, spec, status: { allowed: true } } });
    const get = await call(c.url, "GET", `${AUTHZ}/selfsubjectaccessreviews`);
    expect(get.code).toBe(405);
    expect(get.body).toMatchObject({ reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource" });
    expect((await call(c.url, "DELETE", `${AUTHZ}/selfsubjectaccessreviews/x`)).code).toBe(405);
  });

  it("refuses a spec with both or neither attribute sets, and metadata beyond managedFields", async () => {
    const both = await call(c.url, "POST", `${AUTHZ}/selfsubjectaccessreviews`, ssar({ resourceAttributes: { verb: "get" }, nonResourceAttributes: { path: "/healthz", verb: "get" } }));
    expect(both.code).toBe(422);
    expect(both.body.message).toBe(
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: {"path":"/healthz","verb":"get"}: cannot be specified in combination with resourceAttributes',
    );
    const neither = await call(c.url, "POST", `${AUTHZ}/selfsubjectaccessreviews`, ssar({}, { name: "x" }));
    expect(neither.code).toBe(422);
    expect(neither.body.details.causes.map((x: any) => x.field)).toEqual(["spec.resourceAttributes", "metadata"]);
    expect(neither.body.details.causes[0].message).toBe("Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified");
  });

  it("SubjectAccessReview needs a user or a group; LocalSubjectAccessReview stays in its namespace", async () => {
    const sar = (spec: unknown) => ({ apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec });
    const noUser = await call(c.url, "POST", `${AUTHZ}/subjectaccessreviews`, sar({ resourceAttributes: { verb: "get", resource: "pods" } }));
    expect(noUser.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "spec.user", message: 'Invalid value: "": at least one of user or group must be specified' }]);
    const ok = await call(c.url, "POST", `${AUTHZ}/subjectaccessreviews`, sar({ user: "alice", resourceAttributes: { verb: "get", resource: "pods" } }));
    expect(ok.code).toBe(201);
    expect(ok.body.status).toEqual({ allowed: true });

    const local = (spec: unknown) => ({ apiVersion: "authorization.k8s.io/v1", kind: "LocalSubjectAccessReview", spec });
    const elsewhere = await call(c.url, "POST", `${AUTHZ}/namespaces/team-a/localsubjectaccessreviews`, local({ groups: ["dev"], resourceAttributes: { namespace: "team-b", verb: "get" } }));
    expect(elsewhere.body.message).toBe('LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "team-b": must match metadata.namespace');
    const here = await call(c.url, "POST", `${AUTHZ}/namespaces/team-a/localsubjectaccessreviews`, local({ groups: ["dev"], resourceAttributes: { namespace: "team-a", verb: "get" } }));
    expect(here.code).toBe(201);
    expect(here.body.metadata).toEqual({ namespace: "team-a" });
  });

  it("lists AlwaysAllow's rules and says who the caller is, impersonation included", async () => {
    const rules = await call(c.url, "POST", `${AUTHZ}/selfsubjectrulesreviews`, { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace: "default" } });
    expect(rules.body.status).toEqual({
      resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
      nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
      incomplete: false,
    });
    const ssr = { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" };
    const anonymous = await call(c.url, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", ssr);
    expect(anonymous.body.status).toEqual({ userInfo: { username: "system:anonymous", groups: ["system:unauthenticated"] } });
    const alice = await call(c.url, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", ssr, {
      "Impersonate-User": "alice",
      "Impersonate-Group": "dev",
      "Impersonate-Uid": "42",
      "Impersonate-Extra-Scopes": "view",
    });
    expect(alice.body.status).toEqual({ userInfo: { username: "alice", uid: "42", groups: ["dev", "system:authenticated"], extra: { scopes: ["view"] } } });
  });

  it("lists them in discovery with create as the only verb and no per-object OpenAPI path", async () => {
    const list = (await call(c.url, "GET", AUTHZ)).body;
    expect(list.resources.find((r: any) => r.name === "selfsubjectaccessreviews")).toMatchObject({ kind: "SelfSubjectAccessReview", namespaced: false, verbs: ["create"] });
    const doc = (await call(c.url, "GET", "/openapi/v3/apis/authorization.k8s.io/v1")).body;
    expect(Object.keys(doc.paths)).toContain("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
    expect(Object.keys(doc.paths).some((p) => p.endsWith("{name}"))).toBe(false);
  });
});
