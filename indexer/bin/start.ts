/**
 * `npm start -w indexer` (and the dev stack's `indexer` service): `ponder start` with a schema per
 * network (PONDER_SCHEMA, default `powershare_<network>`), telemetry off, and — for the dev chain
 * only — a clean slate first (see src/lib/reset.ts; INDEXER_KEEP_STATE=1 keeps it). Extra
 * arguments go to `ponder start` (e.g. `--port 42069`; INDEXER_PORT does the same).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { networkSettings } from "../src/network.ts";
import { resetDevChainState } from "../src/lib/reset.ts";
import { PONDER_NODE_FLAGS } from "../src/lib/node-flags.ts";

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const net = networkSettings();
const schema = process.env.PONDER_SCHEMA ?? `powershare_${net.name}`;
const pgliteDir = path.resolve(dir, process.env.PGLITE_DIR ?? ".ponder/pglite");
if (process.env.INDEXER_KEEP_STATE !== "1") {
  await resetDevChainState({
    chainId: net.chainId,
    databaseUrl: process.env.DATABASE_URL,
    schema,
    pgliteDir,
  });
}
const bin = path.resolve(dir, "..", "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");
const port = process.env.INDEXER_PORT ? ["--port", process.env.INDEXER_PORT] : [];
const child = spawn(
  process.execPath,
  [...PONDER_NODE_FLAGS, bin, "start", "--schema", schema, ...port, ...process.argv.slice(2)],
  {
    cwd: dir,
    stdio: "inherit",
    env: { ...process.env, PONDER_TELEMETRY_DISABLED: "true", PGLITE_DIR: pgliteDir },
  },
);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
