/**
 * The controller workqueue, as client-go's: keys (`namespace/name`, never
 * diffs), deduplicated while waiting; at most one reconcile in flight per key
 * (a key added while it is processed runs again afterwards); failed keys come
 * back with per-key exponential backoff (5 ms doubling to 1000 s); a terminal
 * error is logged and counted, not retried.
 */
export type ReconcileResult = { readonly requeueAfterMs?: number } | void;

/** Throw this from a reconcile for errors that retrying cannot fix. */
export class TerminalError extends Error {
  readonly _tag = "TerminalError";
}

export interface WorkQueueOptions {
  readonly name: string;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly log?: (line: string) => void;
}

export interface WorkQueueStats {
  added: number;
  processed: number;
  retries: number;
  terminalErrors: number;
}

export class WorkQueue {
  readonly stats: WorkQueueStats = { added: 0, processed: 0, retries: 0, terminalErrors: 0 };
  private readonly queue: string[] = [];
  private readonly waiting = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly wakers: (() => void)[] = [];
  private shuttingDown = false;

  constructor(private readonly opts: WorkQueueOptions) {}

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    this.stats.added++;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    this.waiting.add(key);
    this.queue.push(key);
    this.wakers.shift()?.();
  }

  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    clearTimeout(this.timers.get(key));
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    t.unref();
    this.timers.set(key, t);
  }

  /** Retry with this key's backoff. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.stats.retries++;
    const delay = Math.min(this.opts.maxDelayMs ?? 1_000_000, (this.opts.baseDelayMs ?? 5) * 2 ** n);
    this.addAfter(key, delay);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Runs `workers` loops calling `reconcile(key)` until shutDown(). */
  run(workers: number, reconcile: (key: string) => Promise<ReconcileResult>): Promise<void> {
    return Promise.all(Array.from({ length: workers }, () => this.worker(reconcile))).then(() => {});
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.wakers.splice(0)) w();
  }

  private async next(): Promise<string | undefined> {
    while (this.queue.length === 0) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((r) => this.wakers.push(r));
    }
    const key = this.queue.shift()!;
    this.waiting.delete(key);
    this.processing.add(key);
    return key;
  }

  private done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  private async worker(reconcile: (key: string) => Promise<ReconcileResult>): Promise<void> {
    for (;;) {
      const key = await this.next();
      if (key === undefined) return;
      try {
        const result = await reconcile(key);
        this.stats.processed++;
        this.forget(key);
        if (result && result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
      } catch (e) {
        if (e instanceof TerminalError) {
          this.stats.terminalErrors++;
          this.forget(key);
          this.opts.log?.(`${this.opts.name}: ${key}: ${e.message} (not retried)`);
        } else {
          this.opts.log?.(`${this.opts.name}: ${key}: ${(e as Error).message ?? e} (retrying)`);
          this.addRateLimited(key);
        }
      } finally {
        this.done(key);
      }
    }
  }
}
