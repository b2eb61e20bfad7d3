/**
 * `serviceaccounts/{name}/token` (authentication.k8s.io/v1 TokenRequest),
 * what `kubectl create token` asks for: a service account token, a JWT
 * signed RS256 with the claims kube-apiserver puts in one (iss, sub, aud,
 * exp/iat/nbf, jti and `kubernetes.io` naming the namespace, the service
 * account and, when bound, the pod / secret / node).
 *
 * kubeactor authenticates nobody (reviews.ts), so nothing here checks these
 * tokens; they are issued so the clients that ask for one get a real one,
 * which anyone can verify against the key set served as kube-apiserver's
 * service account issuer discovery does (`/.well-known/openid-configuration`,
 * `/openid/v1/jwks`). The signing key lives as long as the API server
 * process (made on first use): a restarted or second API server signs with
 * another.
 */
import { createHash, generateKeyPair, type KeyObject, randomUUID, sign } from "node:crypto";
import { promisify } from "node:util";
import { badRequest, findResource, type FieldCause, invalid, invalidCause, isObj, type ResourceInfo, rfc3339 } from "@kubeactor/api";
import type { Reply, ResourceHandlers } from "./handlers.ts";
import type { ResourceTarget } from "./routes.ts";

type Obj = Record<string, unknown>;

/** kube-apiserver's --service-account-issuer and --api-audiences in a kubeadm cluster. */
export const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";
/** ValidateTokenRequest's bounds, and the default `kubectl create token` gets without --duration. */
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const DEFAULT_EXPIRATION_SECONDS = 3600;

/** The objects a token may be bound to, as kube-apiserver resolves `boundObjectRef.kind`. */
const BINDABLE: Record<string, { info: ResourceInfo; claim: "pod" | "secret" | "node" }> = {
  Pod: { info: findResource("", "v1", "pods")!, claim: "pod" },
  Secret: { info: findResource("", "v1", "secrets")!, claim: "secret" },
  Node: { info: findResource("", "v1", "nodes")!, claim: "node" },
};

interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The JWT `kid`: base64url of the SHA-256 of the public key's DER, as kube-apiserver derives it. */
  readonly keyId: string;
}
let signingKey: Promise<SigningKey> | undefined;
const keyOf = (): Promise<SigningKey> =>
  (signingKey ??= promisify(generateKeyPair)("rsa", { modulusLength: 2048 }).then(({ privateKey, publicKey }) => ({
    privateKey,
    publicKey,
    keyId: createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("base64url"),
  })));

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

const signJwt = (key: SigningKey, claims: Obj): string => {
  const unsigned = `${base64url({ alg: "RS256", kid: key.keyId })}.${base64url(claims)}`;
  return `${unsigned}.${sign("sha256", Buffer.from(unsigned), key.privateKey).toString("base64url")}`;
};


/** The request's spec as kube decodes and validates it (unknown kinds of bound object are 400s, as in kube). */
const specOf = (body: Obj): { audiences: string[]; expirationSeconds: number; boundObjectRef?: Obj } => {
  if (body["kind"] !== undefined && body["kind"] !== "TokenRequest") throw badRequest(`the body of the request must be a TokenRequest, not ${String(body["kind"])}`);
  const spec = isObj(body["spec"]) ? body["spec"] : {};
  const audiences = spec["audiences"];
  if (audiences !== undefined && audiences !== null && !(Array.isArray(audiences) && audiences.every((a) => typeof a === "string")))
    throw badRequest("spec.audiences: expected a list of strings");
  const seconds = spec["expirationSeconds"] ?? DEFAULT_EXPIRATION_SECONDS;
  if (typeof seconds !== "number" || !Number.isInteger(seconds)) throw badRequest("spec.expirationSeconds: expected an integer");
  const causes: FieldCause[] = [];
  if (seconds < MIN_EXPIRATION_SECONDS) causes.push(invalidCause("spec.expirationSeconds", seconds, "may not specify a duration less than 10 minutes"));
  if (seconds > MAX_EXPIRATION_SECONDS) causes.push(invalidCause("spec.expirationSeconds", seconds, "may not specify a duration larger than 2^32 seconds"));
  const name = isObj(body["metadata"]) && typeof body["metadata"]["name"] === "string" ? body["metadata"]["name"] : "";
  if (causes.length > 0) throw invalid("TokenRequest", "authentication.k8s.io", name, causes);
  const ref = spec["boundObjectRef"];
  return {
    audiences: (audiences as string[] | undefined)?.length ? (audiences as string[]) : [SERVICE_ACCOUNT_ISSUER],
    expirationSeconds: seconds,
    ...(isObj(ref) ? { boundObjectRef: ref } : {}),
  };
};

/** The bound object's claim (`{name, uid}`), after checking it exists with the uid the request names. */
const boundClaim = async (handlers: ResourceHandlers, namespace: string, ref: Obj): Promise<{ claim: string; value: Obj }> => {
  const kind = String(ref["kind"] ?? "");
  const target = BINDABLE[kind];
  if (!target) throw badRequest(`cannot bind token for object of type ${kind || '""'}`);
  const name = String(ref["name"] ?? "");
  const t: ResourceTarget = { kind: "resource", info: target.info, namespace: target.info.namespaced ? namespace : "", name, watchPrefix: false };
  const obj = (await handlers.get(t, name)).body as Obj;
  const uid = String((obj["metadata"] as Obj | undefined)?.["uid"] ?? "");
  if (ref["uid"] && ref["uid"] !== uid) throw badRequest(`the UID in the bound object reference (${String(ref["uid"])}) does not match the UID in record. The object might have been deleted and then recreated`);
  return { claim: target.claim, value: { name, uid } };
};

/** POST serviceaccounts/{name}/token: 201 with the request, its spec completed and the token in its status. */
export const createToken = async (handlers: ResourceHandlers, t: ResourceTarget, name: string, body: Obj): Promise<Reply> => {
  const spec = specOf(body);
  const account = (await handlers.get(t, name)).body as Obj; // 404 `serviceaccounts "x" not found` when absent
  const bound = spec.boundObjectRef ? await boundClaim(handlers, t.namespace, spec.boundObjectRef) : undefined;
  const now = Date.now();
  const issuedAt = Math.floor(now / 1000);
  const expires = issuedAt + spec.expirationSeconds;
  const uid = String((account["metadata"] as Obj | undefined)?.["uid"] ?? "");
  const token = signJwt(await keyOf(), {
    aud: spec.audiences,
    exp: expires,
    iat: issuedAt,
    iss: SERVICE_ACCOUNT_ISSUER,
    jti: randomUUID(),
    "kubernetes.io": { namespace: t.namespace, ...(bound ? { [bound.claim]: bound.value } : {}), serviceaccount: { name, uid } },
    nbf: issuedAt,
    sub: `system:serviceaccount:${t.namespace}:${name}`,
  });
  return {
    code: 201,
    body: {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name, namespace: t.namespace, creationTimestamp: null },
      spec: { audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
      status: { token, expirationTimestamp: rfc3339(expires * 1000) },
    },
  };
};

/** GET /.well-known/openid-configuration: where the issuer's keys are (kube's default jwks_uri, under the issuer). */
export const openidConfiguration = () => ({
  issuer: SERVICE_ACCOUNT_ISSUER,
  jwks_uri: `${SERVICE_ACCOUNT_ISSUER}/openid/v1/jwks`,
  response_types_supported: ["id_token"],
  subject_types_supported: ["public"],
  id_token_signing_alg_values_supported: ["RS256"],
});

/** GET /openid/v1/jwks: the public key tokens are signed with, as a JSON Web Key Set. */
export const jwks = async () => {
  const key = await keyOf();
  const { n, e } = key.publicKey.export({ format: "jwk" });
  return { keys: [{ use: "sig", kty: "RSA", kid: key.keyId, alg: "RS256", n, e }] };
};
