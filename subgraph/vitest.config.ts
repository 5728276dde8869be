import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    // The parity test starts a chain and the indexer: one file at a time on a shared machine.
    fileParallelism: false,
  },
});
