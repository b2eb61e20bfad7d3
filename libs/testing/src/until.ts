/**
 * Polls `fn` every 50 ms until it returns a truthy value (thrown errors count
 * as "not yet"); after `ms` it fails naming what it waited for and the last
 * value or error seen. Tests wait on conditions, never on fixed sleeps.
 */
export const until = async <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 10_000): Promise<T> => {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
