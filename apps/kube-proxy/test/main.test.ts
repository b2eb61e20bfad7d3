/**
 * The kube-proxy process as a user runs it: its own process on a real
 * nats-server, serving a Service's ClusterIP and the cluster DNS.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Resolver } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, freePort, natsCase, repoRoot, type RunningProcess, startProcess, startTestCluster, type TestCluster, until } from "@kubeactor/testing";
import { type Backend, get, randomLoopbackNet, sliceFor, startHttpBackend } from "../../../libs/proxy/test/backends.ts";

describe("apps/kube-proxy", () => {
  const tc = natsCase();
  const net = randomLoopbackNet();
  let c: TestCluster;
  let proc: RunningProcess;
  let backend: Backend;
  let dnsPort: number;

  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc, { serviceClusterIpRange: `${net}.0/25` });
    dnsPort = await freePort();
    proc = await startProcess("apps/kube-proxy/src/main.ts", ["--nats", tc.url()!, "--dns-port", String(dnsPort), "--nodeport-addresses", `${net}.250`], {
      ready: /dns: serving/,
      timeoutMs: 60_000,
    });
    backend = await startHttpBackend("only", `${net}.200`);
  });
  afterAll(async () => {
    await proc?.stop();
    await backend?.close();
    await c?.stop();
    await tc.teardown();
  });

  it("serves a Service's ClusterIP and NodePort and answers its name", async () => {
    const svc = await call(c.url, "POST", "/api/v1/namespaces/default/services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web" },
      spec: { type: "NodePort", ports: [{ name: "http", port: 8080 }] },
    });
    await call(c.url, "POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", sliceFor("web", backend));
    expect(await until("the ClusterIP", () => get(svc.body.spec.clusterIP, 8080), 30_000)).toBe("only");
    expect(await until("the NodePort", () => get(`${net}.250`, svc.body.spec.ports[0].nodePort), 30_000)).toBe("only");
    const r = new Resolver({ timeout: 2000, tries: 2 });
    r.setServers([`127.0.0.1:${dnsPort}`]);
    expect(await until("web's name", () => r.resolve4("web.default.svc.cluster.local"))).toEqual([svc.body.spec.clusterIP]);
  });

  it("rejects a bad flag with a one-line message", () => {
    const out = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "apps/kube-proxy/src/main.ts"), "--min-sync-period-ms", "soon"], { cwd: repoRoot, encoding: "utf8" });
    expect(out.status).toBe(1);
    expect(out.stderr.split("\n")[0]).toBe('kube-proxy: invalid value "soon" for flag --min-sync-period-ms: must be a non-negative integer');
  });
});
