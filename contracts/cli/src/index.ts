/** @powershare/cli — the keeper as a library (benchmarks, end-to-end tests) and the CLI's entry. */
export { Keeper, type CycleReport, type KeeperOptions } from "./keeper/keeper.ts";
export { KeeperMetrics } from "./keeper/metrics.ts";
export { startKeeperServer } from "./keeper/server.ts";
export { decryptKeystore, encryptKeystore, loadAccount } from "./keys.ts";
export { main, buildProgram, classify } from "./main.ts";
export { EXIT } from "./exit-codes.ts";
