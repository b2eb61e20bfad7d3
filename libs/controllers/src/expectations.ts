/**
 * ControllerExpectations, as Kubernetes': after a reconcile issues creates or
 * deletes it records how many it expects to observe through the informer; the
 * next reconcile only computes a new diff once they have all been seen (or
 * five minutes passed — a lost event must not wedge the controller). Deletes
 * are tracked by pod key, so a pod seen deleted twice counts once.
 */
const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private readonly byKey = new Map<string, Expectation>();

  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    return (e.add <= 0 && e.deletes.size === 0) || Date.now() - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  expectCreations(key: string, n: number): void {
    this.byKey.set(key, { add: n, deletes: new Set(), at: Date.now() });
  }

  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.byKey.set(key, { add: 0, deletes: new Set(podKeys), at: Date.now() });
  }

  /** SetExpectations with both halves at once (the DaemonSet controller creates and deletes in one sync). */
  expect(key: string, creations: number, podKeys: readonly string[]): void {
    this.byKey.set(key, { add: creations, deletes: new Set(podKeys), at: Date.now() });
  }

  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.add--;
  }

  deletionObserved(key: string, podKey: string): void {
    this.byKey.get(key)?.deletes.delete(podKey);
  }

  delete(key: string): void {
    this.byKey.delete(key);
  }
}
