/**
 * Clean shutdown on SIGINT/SIGTERM: run the stop steps in order once, then
 * exit. A second signal while stopping exits at once.
 */
export const onShutdown = (stop: () => Promise<void>, log: (line: string) => void = console.error): void => {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: shutting down`);
    stop().then(
      () => process.exit(0),
      (e) => {
        log(`shutdown failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => handler("SIGINT"));
  process.on("SIGTERM", () => handler("SIGTERM"));
};
