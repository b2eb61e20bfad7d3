/**
 * networking.k8s.io/v1 through real kubectl (the oldest and the newest
 * installed): the ingress generator, apply of NetworkPolicies and an
 * IngressClass, the columns kube 1.32 prints, defaulting (policyTypes,
 * port protocol) and kube's validation messages. Stored, not acted on.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, installedKubectls, type KubectlCluster, kubectlFor, startKubectlCluster } from "@kubeactor/testing";

const versions = installedKubectls([27, 33]);

const policies = (ns: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: ${ns}}
spec:
  podSelector: {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 80}]
  egress:
  - to: [{namespaceSelector: {}}]
`;

describe.skipIf(versions.length === 0)("networking.k8s.io through kubectl", () => {
  let k: KubectlCluster;
  beforeAll(async () => {
    k = await startKubectlCluster("kubectl-networking");
  });
  afterAll(async () => {
    await k?.stop();
  });

  it.each(versions)(
    "kubectl 1.%i",
    async (minor) => {
      const kubectl = kubectlFor({ kubeconfig: k.kubeconfig, minor });
      const failure = kubectl.fails;
      const ns = `net-${minor}`;
      try {
        await kubectl("create", "namespace", ns);
        await kubectl("-n", ns, "create", "ingress", "web", "--class=nginx", "--rule=foo.com/*=svc1:80", "--rule=bar.com/api=svc2:http,tls=my-cert");
        await kubectl("-n", ns, "create", "ingress", "def", "--default-backend=svc3:8080");
        expect((await kubectl("-n", ns, "get", "ingress", "-o", "wide")).split("\n").map((l) => l.split(/\s{2,}/))).toEqual([
          ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"],
          ["def", "<none>", "*", "80", expect.stringMatching(/^\d+s$/)],
          ["web", "nginx", "foo.com,bar.com", "80, 443", expect.stringMatching(/^\d+s$/)],
          [""],
        ]);
        const web = (await call(k.cluster.url, "GET", `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).body;
        expect(web.spec.rules[0].http.paths[0]).toEqual({ path: "/", pathType: "Prefix", backend: { service: { name: "svc1", port: { number: 80 } } } });

        const file = join(k.dir, `${ns}.yaml`);
        writeFileSync(file, policies(ns));
        expect(await kubectl("apply", "-f", file)).toBe(`networkpolicy.networking.k8s.io/deny-all created\nnetworkpolicy.networking.k8s.io/web created\n`);
        expect(await kubectl("-n", ns, "get", "netpol")).toMatch(/^NAME\s+POD-SELECTOR\s+AGE\ndeny-all\s+<none>\s+\d+s\nweb\s+app=web\s+\d+s\n$/);
        const policy = (await call(k.cluster.url, "GET", `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/web`)).body;
        expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
        expect(policy.spec.ingress[0].ports).toEqual([{ port: 80, protocol: "TCP" }]);
        expect((await call(k.cluster.url, "GET", `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/deny-all`)).body.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });

        expect(await failure("-n", ns, "create", "ingress", "bad", "--rule=1.2.3.4/x=svc:80")).toBe(
          'error: failed to create ingress: Ingress.networking.k8s.io "bad" is invalid: spec.rules[0].host: Invalid value: "1.2.3.4": must be a DNS name, not an IP address\n',
        );
      } finally {
        kubectl.dispose();
      }
    },
    60_000,
  );

  it("validates rules, backends, peers and ports with kube's messages", async () => {
    const post = (resource: string, body: unknown) => call(k.cluster.url, "POST", `/apis/networking.k8s.io/v1/namespaces/default/${resource}`, body);
    const ing = (spec: unknown) => ({ apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "i" }, spec });
    const causes = (r: { body: any }) => r.body.details.causes.map((x: any) => `${x.field}: ${x.message}`);
    expect(causes(await post("ingresses", ing({})))).toEqual(["spec: Invalid value: null: either `defaultBackend` or `rules` must be specified"]);
    const paths = await post(
      "ingresses",
      ing({
        rules: [
          {
            host: "*.example.com",
            http: {
              paths: [
                { path: "a//b", pathType: "Prefix", backend: { service: { name: "s", port: { name: "http", number: 80 } } } },
                { path: "/x", backend: { service: { name: "s", port: { number: 80 } } } },
                { path: "/y", pathType: "Regex", backend: {} },
              ],
            },
          },
        ],
      }),
    );
    expect(causes(paths)).toEqual([
      'spec.rules[0].http.paths[0].path: Invalid value: "a//b": must be an absolute path',
      'spec.rules[0].http.paths[0].path: Invalid value: "a//b": must not contain \'//\'',
      'spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both port name & port number',
      "spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified",
      'spec.rules[0].http.paths[2].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
      'spec.rules[0].http.paths[2].backend: Invalid value: "": resource or service backend is required',
    ]);
    const np = (spec: unknown) => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "n" }, spec });
    const peers = await post(
      "networkpolicies",
      np({
        podSelector: {},
        ingress: [{ from: [{}, { podSelector: {}, ipBlock: { cidr: "10.0.0.0/8", except: ["192.168.0.0/16"] } }], ports: [{ port: "http", endPort: 90 }, { protocol: "ICMP" }] }],
        policyTypes: ["Ingress", "Sideways"],
      }),
    );
    expect(causes(peers)).toEqual([
      "spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
      'spec.ingress[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      "spec.ingress[0].from[0]: Required value: must specify a peer",
      "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer",
      'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`',
      'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
    ]);
  });
});
