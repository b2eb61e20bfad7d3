/**
 * Ctrl-C in the terminal running `kubeactor up`: the terminal signals the
 * whole foreground process group, nats-server child included. The cluster
 * must still stop cleanly (exit 0, nothing timed out) and take its
 * nats-server with it.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findNatsServer, freePort } from "@kubeactor/bus";
import { startProcess } from "@kubeactor/testing";

describe("kubeactor up and the terminal's signals", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kubeactor-signals-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it.skipIf(!findNatsServer())(
    "stops cleanly on SIGINT to its process group, and its nats-server with it",
    async () => {
      const proc = await startProcess(
        "apps/kubeactor/src/main.ts",
        ["up", "--data-dir", dataDir, "--port", String(await freePort()), "--nats-port", String(await freePort()), "--dns-port", "0"],
        { ready: /export KUBECONFIG=/, processGroup: true },
      );
      const natsPid = Number(/nats-server \(child process, pid (\d+)\)/.exec(proc.output())?.[1]);
      expect(natsPid).toBeGreaterThan(0);
      process.kill(-proc.child.pid!, "SIGINT");
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toContain("SIGINT: shutting down");
      expect(proc.output()).toContain("kubeactor stopped");
      expect(proc.output()).not.toMatch(/timed out|dropped/);
      expect(existsSync(`/proc/${natsPid}`)).toBe(false);
    },
    60_000,
  );
});
