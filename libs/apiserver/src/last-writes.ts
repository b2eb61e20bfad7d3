/**
 * The object this API server last wrote, per key, for the resources whose
 * objects are rewritten in place many times a second by conditional updates:
 * node Leases (every node renews its own every 10 s, 500 a second at 5000
 * nodes). An update that names the resourceVersion of that write starts from
 * this copy instead of reading the store first: the object at a revision
 * never changes, so the copy is the current object, or the store's
 * compare-and-swap on that resourceVersion fails with the 409 the caller gets
 * either way. (kube-apiserver's GuaranteedUpdate starts from its watch
 * cache's copy the same way, and reads etcd only when the write conflicts.)
 * The watch cache here holds only resources someone listed through this
 * server, and the store's informers list leases directly, so it cannot serve.
 *
 * Only the kinds named below: a copy per object, where a Lease is half a
 * kilobyte. Anything that fails forgets the key, so a conflict's retry reads
 * the store.
 */
import type { ResourceInfo } from "@kubeactor/api";
import type { Obj } from "./objects.ts";

const KEPT = new Set(["coordination.k8s.io/leases"]);
/** More keys than any cluster has leases: a bound against a client writing leases of ever new names. */
const MAX_ENTRIES = 100_000;

export class LastWrites {
  private readonly objects = new Map<string, { readonly resourceVersion: string; readonly object: Obj }>();

  keeps(info: ResourceInfo): boolean {
    return KEPT.has(`${info.group}/${info.resource}`);
  }

  /** The object last written at `key` if it is at `resourceVersion`; shared: read, never modify. */
  at(info: ResourceInfo, key: string, resourceVersion: string): Obj | undefined {
    if (!this.keeps(info)) return undefined;
    const last = this.objects.get(key);
    return last?.resourceVersion === resourceVersion ? last.object : undefined;
  }

  /** Records the store's reply to a write of `key` (its JSON text). */
  wrote(info: ResourceInfo, key: string, json: Uint8Array): void {
    if (!this.keeps(info)) return;
    const object = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString("utf8")) as Obj;
    const resourceVersion = (object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    if (resourceVersion === undefined) return;
    if (this.objects.size >= MAX_ENTRIES && !this.objects.has(key)) this.objects.clear();
    this.objects.set(key, { resourceVersion, object });
  }

  forget(key: string): void {
    this.objects.delete(key);
  }
}
