import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NodeIndexClaims } from "./node-indexes.ts";

describe("node index claims (host-wide, as CNI host-local's reservations)", () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), "kubeactor-claims-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("a second kubelet on the host gets the next free indexes; released ones are free again", () => {
    const d = dir();
    const a = new NodeIndexClaims(d);
    const b = new NodeIndexClaims(d);
    expect(a.claim(1, 2)).toBe(1);
    expect(b.claim(1, 2)).toBe(3);
    expect(readFileSync(join(d, "1"), "utf8")).toBe(String(process.pid));
    a.release();
    expect(existsSync(join(d, "1"))).toBe(false);
    expect(existsSync(join(d, "3"))).toBe(true);
    expect(new NodeIndexClaims(d).claim(1, 2)).toBe(1);
    b.release();
  });

  it("a block needs all its indexes: one held in the middle moves the block past it, keeping nothing of the failed try", () => {
    const d = dir();
    const a = new NodeIndexClaims(d);
    expect(a.claim(2, 1)).toBe(2);
    const b = new NodeIndexClaims(d);
    expect(b.claim(1, 2)).toBe(3);
    expect(existsSync(join(d, "1"))).toBe(false);
    expect(() => b.claim(1, 3, 4)).toThrow(/no 3 free node indexes from 1 to 4/);
  });

  it("takes over the claim of a kubelet that is gone (SIGKILLed: its pid is dead)", () => {
    const d = dir();
    const dead = spawnSync("true").pid!;
    writeFileSync(join(d, "1"), String(dead));
    expect(new NodeIndexClaims(d).claim(1, 1)).toBe(1);
    expect(readFileSync(join(d, "1"), "utf8")).toBe(String(process.pid));
  });
});
