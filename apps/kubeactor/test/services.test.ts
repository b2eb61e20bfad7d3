/**
 * `kubeactor up` serves Services and names: the `kubernetes` Service's
 * ClusterIP reaches the API server through kube-proxy, and the cluster DNS
 * answers its name.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { Resolver } from "node:dns/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, type RunningProcess, startProcess, until } from "@kubeactor/testing";

describe("kubeactor up with kube-proxy and DNS", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kubeactor-up-svc-"));
  let proc: RunningProcess | undefined;
  afterAll(async () => {
    await proc?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("reaches the API server through the kubernetes Service and resolves its name", async () => {
    const [port, natsPort, dnsPort] = [await freePort(), await freePort(), await freePort()];
    const net = `127.${64 + Math.floor(Math.random() * 32)}.${Math.floor(Math.random() * 256)}`;
    proc = await startProcess(
      "apps/kubeactor/src/main.ts",
      ["up", "--embedded", "--nodes", "1", "--data-dir", dataDir, "--port", String(port), "--nats-port", String(natsPort), "--dns-port", String(dnsPort), "--service-cluster-ip-range", `${net}.0/24`],
      { ready: /export KUBECONFIG=/, timeoutMs: 60_000 },
    );
    expect(proc.output()).toContain(`dns: serving cluster.local on 127.0.0.1:${dnsPort}`);
    const r = new Resolver({ timeout: 2000, tries: 2 });
    r.setServers([`127.0.0.1:${dnsPort}`]);
    expect(await until("kubernetes.default's name", () => r.resolve4("kubernetes.default.svc.cluster.local"), 30_000)).toEqual([`${net}.1`]);
    const version = await until("the API through the ClusterIP", () => fetch(`http://${net}.1:443/version`).then((res) => res.json()), 30_000);
    expect(version).toMatchObject({ major: "1" });
  });
});
