import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // One Hardhat node per integration file; two cores on the dev machines.
    fileParallelism: false,
  },
});
