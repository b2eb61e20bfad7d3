import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startProcess, until } from "../src/index.ts";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("startProcess", () => {
  const dir = mkdtempSync(join(tmpdir(), "kubeactor-processes-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("stops a child that never became ready instead of leaving it running", async () => {
    const pidFile = join(dir, "pid");
    await expect(startProcess("libs/testing/test/fixtures/never-ready.ts", [pidFile], { ready: /never printed/, timeoutMs: 3000 })).rejects.toThrow(
      "not ready after 3000ms",
    );
    expect(existsSync(pidFile)).toBe(true);
    const pid = Number(readFileSync(pidFile, "utf8"));
    await until("the child gone", () => !alive(pid), 10_000);
  });

});
