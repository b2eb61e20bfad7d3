/**
 * Node address indexes claimed host-wide. A node's index decides its pod
 * CIDR (127.244.<i>.0/24) and InternalIP (ipam.ts), and those are loopback
 * addresses of the host itself: two kubelet processes on one host (two
 * `kubeactor up`, test clusters running side by side) on the same indexes
 * hand out the same pod IPs, so their process pods fight for one address
 * and port (the loser exits 1 with EADDRINUSE and crash-loops, restarts its
 * user never caused) and each one's probes and Services reach the other's
 * servers. As CNI's host-local plugin keeps its reservations in a directory
 * every plugin on the host shares, each index is claimed by a file
 * `<dir>/<index>` holding the owner's pid, created atomically (a hard link
 * of a file already written, so nobody reads a claim half made); a file
 * whose process is gone (a SIGKILLed kubelet) is stale and taken over.
 * Another kubelet of the same process holds its own claims: it moves on too.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_NODE_INDEX } from "./ipam.ts";

/** One directory per user (a directory another user made may not be writable). */
export const defaultClaimDir = (): string => join(tmpdir(), `kubeactor-node-indexes-${process.getuid?.() ?? "user"}`);

const alive = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

const ownerOf = (file: string): number | undefined => {
  try {
    return Number(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
};

export class NodeIndexClaims {
  private readonly held = new Set<number>();

  constructor(readonly dir: string = defaultClaimDir()) {}

  /**
   * The first index ≥ `first` starting `count` consecutive indexes that no
   * other live claim holds, now held by this one (`first` itself when free).
   * Throws past `max` or when the directory is unusable.
   */
  claim(first: number, count: number, max = MAX_NODE_INDEX): number {
    mkdirSync(this.dir, { recursive: true });
    // Written once, then hard-linked as each index's claim: a link either appears whole or fails with EEXIST.
    const source = join(this.dir, `.claim-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const fd = openSync(source, "w");
    writeSync(fd, String(process.pid));
    closeSync(fd);
    try {
      for (let start = first; start + count - 1 <= max; ) {
        const got: number[] = [];
        let blocked: number | undefined;
        for (let i = start; i < start + count; i++) {
          if (this.claimOne(source, i)) got.push(i);
          else {
            blocked = i;
            break;
          }
        }
        if (blocked === undefined) {
          for (const i of got) this.held.add(i);
          return start;
        }
        for (const i of got) this.unlinkOwn(i);
        start = blocked + 1;
      }
      throw new Error(`no ${count} free node indexes from ${first} to ${max} on this host (claims in ${this.dir})`);
    } finally {
      unlinkSync(source);
    }
  }

  /** Gives every index this instance holds back. */
  release(): void {
    for (const i of this.held) this.unlinkOwn(i);
    this.held.clear();
  }

  private claimOne(source: string, index: number): boolean {
    const file = join(this.dir, String(index));
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(source, file);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const owner = ownerOf(file);
      if (owner !== undefined && alive(owner)) return false;
      // Stale (its kubelet is gone) or removed meanwhile: take it over.
      try {
        unlinkSync(file);
      } catch {}
    }
    return false;
  }

  private unlinkOwn(index: number): void {
    const file = join(this.dir, String(index));
    if (ownerOf(file) !== process.pid) return;
    try {
      unlinkSync(file);
    } catch {}
  }
}
