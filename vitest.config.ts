import { defineConfig } from "vitest/config";

// One root run over every package; integration tests that start real servers
// live in each package's test/ folder and get a longer timeout there.
export default defineConfig({
  test: {
    include: ["libs/*/src/**/*.test.ts", "libs/*/test/**/*.test.ts", "apps/*/src/**/*.test.ts", "apps/*/test/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
