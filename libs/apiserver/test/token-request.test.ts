/**
 * serviceaccounts/{name}/token (kubectl create token) over HTTP: the token is
 * a JWT that verifies against the key set the API server publishes, with
 * kube's claims; bad requests are answered as kube-apiserver answers them.
 */
import { createPublicKey, verify, type JsonWebKey } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, memoryCase, startTestCluster, type TestCluster } from "@kubeactor/testing";

const TOKEN = "/api/v1/namespaces/default/serviceaccounts/robot/token";
const ISSUER = "https://kubernetes.default.svc.cluster.local";

const decodePart = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

describe("TokenRequest (kubectl create token)", () => {
  const tc = memoryCase();
  let c: TestCluster;
  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    await call(c.url, "POST", "/api/v1/namespaces/default/serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "robot" } });
  });
  afterAll(async () => {
    await c?.stop();
    await tc.teardown();
  });

  it("issues an RS256 JWT for the account that verifies against /openid/v1/jwks, with kube's claims", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await call(c.url, "POST", TOKEN, { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} });
    expect(res.code).toBe(201);
    expect(res.body).toMatchObject({
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name: "robot", namespace: "default" },
      spec: { audiences: [ISSUER], expirationSeconds: 3600, boundObjectRef: null },
    });
    const [header, claims, signature] = String(res.body.status.token).split(".");
    const account = (await call(c.url, "GET", "/api/v1/namespaces/default/serviceaccounts/robot")).body;
    const payload = decodePart(claims!);
    expect(payload).toMatchObject({
      aud: [ISSUER],
      iss: ISSUER,
      sub: "system:serviceaccount:default:robot",
      "kubernetes.io": { namespace: "default", serviceaccount: { name: "robot", uid: account.metadata.uid } },
    });
    expect(payload.exp - payload.iat).toBe(3600);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(res.body.status.expirationTimestamp).toBe(new Date(payload.exp * 1000).toISOString().replace(".000Z", "Z"));

    const discovery = (await call(c.url, "GET", "/.well-known/openid-configuration")).body;
    expect(discovery).toMatchObject({ issuer: ISSUER, jwks_uri: `${ISSUER}/openid/v1/jwks` });
    const { keys } = (await call(c.url, "GET", "/openid/v1/jwks")).body as { keys: (JsonWebKey & { kid: string })[] };
    const { kid, alg } = decodePart(header!);
    expect(alg).toBe("RS256");
    const key = keys.find((k) => k.kid === kid)!;
    const publicKey = createPublicKey({ key, format: "jwk" });
    expect(verify("sha256", Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature!, "base64url"))).toBe(true);
    expect(verify("sha256", Buffer.from(`${header}.${claims}x`), publicKey, Buffer.from(signature!, "base64url"))).toBe(false);
  });

  it("binds a token to a pod, with the audiences and duration asked for", async () => {
    const pod = await call(c.url, "POST", "/api/v1/namespaces/default/pods", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p1" },
      spec: { containers: [{ name: "app", image: "nginx" }] },
    });
    const uid = pod.body.metadata.uid;
    const res = await call(c.url, "POST", TOKEN, { spec: { audiences: ["vault"], expirationSeconds: 7200, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "p1", uid } } });
    expect(res.code).toBe(201);
    const payload = decodePart(String(res.body.status.token).split(".")[1]!);
    expect(payload.aud).toEqual(["vault"]);
    expect(payload.exp - payload.iat).toBe(7200);
    expect(payload["kubernetes.io"].pod).toEqual({ name: "p1", uid });
    const stale = await call(c.url, "POST", TOKEN, { spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "p1", uid: "not-it" } } });
    expect([stale.code, stale.body.message]).toEqual([400, expect.stringContaining("does not match the UID in record")]);
    const missing = await call(c.url, "POST", TOKEN, { spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "gone" } } });
    expect([missing.code, missing.body.message]).toEqual([404, 'pods "gone" not found']);
  });

  it("refuses what kube refuses: too short or too long, an unknown account, a GET", async () => {
    const short = await call(c.url, "POST", TOKEN, { spec: { expirationSeconds: 60 } });
    expect([short.code, short.body.message]).toEqual([
      422,
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    ]);
    const long = await call(c.url, "POST", TOKEN, { spec: { expirationSeconds: 2 ** 33 } });
    expect(long.body.message).toContain("may not specify a duration larger than 2^32 seconds");
    const nobody = await call(c.url, "POST", "/api/v1/namespaces/default/serviceaccounts/nobody/token", { spec: {} });
    expect([nobody.code, nobody.body.message]).toEqual([404, 'serviceaccounts "nobody" not found']);
    expect((await call(c.url, "GET", TOKEN)).code).toBe(405);
  });
});
