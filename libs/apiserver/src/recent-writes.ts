/**
 * The pods this server wrote last, as the store answered each write: the
 * stand-in for kube-apiserver's watch cache where that cache is not running
 * (a resource's cache starts on its first LIST through this server; the
 * kubelet and the scheduler list pods from the store). kube-apiserver's
 * GuaranteedUpdate starts from the cached object and only reads the store
 * when the compare-and-swap fails; the kubelet's status writes come in
 * chains (Pending/ContainerCreating, then Running), each sent when the
 * previous one was answered and conditional on the version it produced, so
 * the copy kept here saves the store read before each one but the first.
 * (Creates are not kept: the kubelet sees a new pod by watch and its first
 * write often arrives before the store has answered the create.)
 *
 * Only a copy whose resourceVersion is exactly the one a write is
 * conditional on is used, so a stale copy never decides anything: the store
 * compares the versions and answers 409 as it would have. Bounded in size and
 * age (a pod's writes come within a second or two of each other): at 100 pod
 * starts a second it holds at most ~500 pods, ~3 MiB.
 */
import type { JsonObject } from "@kubeactor/bus";
import { metaOf } from "./objects.ts";

const MAX_ENTRIES = 1024;
const MAX_AGE_MS = 5000;

export class RecentWrites {
  /** In order of last write (re-inserted on every write), so the oldest go first. */
  private readonly entries = new Map<string, { readonly object: JsonObject; readonly at: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  get size(): number {
    return this.entries.size;
  }

  /** `object` is what the store now holds at `key` (shared from here on: read, never modify). */
  remember(key: string, object: JsonObject): void {
    const now = this.clock();
    this.entries.delete(key);
    this.entries.set(key, { object, at: now });
    for (const [k, e] of this.entries) {
      if (this.entries.size <= MAX_ENTRIES && now - e.at < MAX_AGE_MS) break;
      this.entries.delete(k);
    }
  }

  /** The object this server wrote at `key`, if its resourceVersion is `resourceVersion` and it is recent. */
  at(key: string, resourceVersion: string): JsonObject | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.clock() - e.at >= MAX_AGE_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return metaOf(e.object).resourceVersion === resourceVersion ? e.object : undefined;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
