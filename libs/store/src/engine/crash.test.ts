/**
 * kill -9 test: a child process creates objects concurrently and prints each
 * acknowledged key; the parent SIGKILLs it mid-stream, reopens the store and
 * checks that every acknowledged write survived with its value.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createFileBackend } from "./file-backend.ts";
import { removeDir, tempDir } from "./test-helpers.ts";

const script = fileURLToPath(new URL("./test-fixtures/crash-writer.ts", import.meta.url));
const dir = tempDir();
afterAll(() => removeDir(dir));

/** Runs the writer until `killAfterMs` after READY, returns acknowledged key → value. */
function runAndKill(prefix: string, killAfterMs: number): Promise<{ acked: Map<string, string>; startRevision: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, dir, prefix, "3000"], { stdio: ["ignore", "pipe", "inherit"] });
    const acked = new Map<string, string>();
    let startRevision = -1;
    let buffered = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!; // an incomplete line was not fully printed: ignore it
      for (const line of lines) {
        const [tag, a, b] = line.split(" ");
        if (tag === "READY") {
          startRevision = Number(a);
          setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        } else if (tag === "ACK") acked.set(a!, b!);
      }
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`writer exited on its own (${signal ?? _code})`));
      else resolve({ acked, startRevision });
    });
  });
}

describe("crash safety (SIGKILL)", () => {
  it.each([
    ["first", 700],
    ["second", 1000],
    ["third", 1300],
  ])("keeps every acknowledged write across kill -9 (%s run, kill after %i ms)", async (prefix, ms) => {
    const { acked } = await runAndKill(prefix, ms);
    expect(acked.size).toBeGreaterThan(100);
    const store = createFileBackend({ dir, snapshotEvery: 0 });
    await store.open();
    try {
      const missing: string[] = [];
      for (const [key, value] of acked) {
        const o = store.get(key);
        if (!o || (o["data"] as { value?: string }).value !== value) missing.push(key);
      }
      expect(missing).toEqual([]);
      // Revisions are dense: the number of objects equals the revision (creates only).
      expect(store.stats.objects).toBe(store.revision);
    } finally {
      await store.close();
    }
  });
});
