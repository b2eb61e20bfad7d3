/**
 * The objects this server wrote last (pods, node Leases), as the store
 * answered each write: the stand-in for kube-apiserver's watch cache where
 * that cache is not running (a resource's cache starts on its first LIST
 * through this server; the kubelet, the scheduler and the controllers' informers
 * list from the store). kube-apiserver's
 * GuaranteedUpdate starts from the cached object and only reads the store
 * when the compare-and-swap fails; the kubelet's status writes come in
 * chains (Pending/ContainerCreating, then Running), each sent when the
 * previous one was answered and conditional on the version it produced, so
 * the copy kept here saves the store read before each one but the first.
 * (Creates are not kept: the kubelet sees a new pod by watch and its first
 * write often arrives before the store has answered the create.) A node's
 * Lease renewal is conditional on its previous renewal's version the same way.
 *
 * Only a copy whose resourceVersion is exactly the one a write is
 * conditional on is used, so a stale copy never decides anything: the store
 * compares the versions and answers 409 as it would have. Bounded in size and
 * optionally age (the handlers choose per kind: a pod's writes come within a
 * second or two of each other, so 5 s of them; a lease is renewed every 10 s,
 * so every one).
 */
import type { JsonObject } from "@kubeactor/bus";
import { metaOf } from "./objects.ts";

export interface RecentWritesOptions {
  readonly maxEntries: number;
  /** Copies older than this are not used (default: no limit). */
  readonly maxAgeMs?: number;
  readonly clock?: () => number;
}

export class RecentWrites {
  /** In order of last write (re-inserted on every write), so the oldest go first. */
  private readonly entries = new Map<string, { readonly object: JsonObject; readonly at: number }>();

  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly clock: () => number;

  constructor(opts: RecentWritesOptions) {
    this.maxEntries = opts.maxEntries;
    this.maxAgeMs = opts.maxAgeMs ?? Infinity;
    this.clock = opts.clock ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** `object` is what the store now holds at `key` (shared from here on: read, never modify). */
  remember(key: string, object: JsonObject): void {
    const now = this.clock();
    this.entries.delete(key);
    this.entries.set(key, { object, at: now });
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && now - e.at < this.maxAgeMs) break;
      this.entries.delete(k);
    }
  }

  /** The object this server wrote at `key`, if its resourceVersion is `resourceVersion` and it is recent. */
  at(key: string, resourceVersion: string): JsonObject | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.clock() - e.at >= this.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return metaOf(e.object).resourceVersion === resourceVersion ? e.object : undefined;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
