/**
 * A dev chain (Hardhat, 31337) restarts from block 0 with the same contract addresses, so indexed
 * state and Ponder's RPC cache (the `ponder_sync` schema, which `disableCache` does not fully
 * bypass) from an earlier chain would be mixed into the new one. Before indexing a dev chain the
 * indexer therefore starts clean: the PGlite directory is removed, or on PostgreSQL the app schema
 * is dropped and chain 31337's rows are deleted from `ponder_sync`. Public networks are never reset.
 */
import { rmSync } from "node:fs";

const SYNC_TABLES = [
  "logs",
  "blocks",
  "transactions",
  "traces",
  "intervals",
  "transaction_receipts",
  "factory_addresses",
  "rpc_request_results",
];

/**
 * PGlite keeps the RPC cache (`ponder_sync`) in a database of its own beside the app's, in
 * `<directory>-sync` (patches/ponder+0.16.10.patch, docs/decisions/0006).
 */
export const pgliteDirs = (dir: string): string[] => [dir, `${dir}-sync`];

export async function resetDevChainState(opts: {
  chainId: number;
  databaseUrl?: string;
  schema: string;
  pgliteDir?: string;
}): Promise<void> {
  if (opts.chainId !== 31337) return;
  if (!opts.databaseUrl) {
    for (const dir of opts.pgliteDir ? pgliteDirs(opts.pgliteDir) : [])
      rmSync(dir, { recursive: true, force: true });
    return;
  }
  const pg = await import("pg");
  const client = new pg.default.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${opts.schema.replaceAll('"', "")}" CASCADE`);
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ponder_sync'",
    );
    const present = new Set(rows.map((r) => r.table_name));
    for (const t of SYNC_TABLES) {
      if (present.has(t))
        await client.query(`DELETE FROM ponder_sync."${t}" WHERE chain_id = $1`, [opts.chainId]);
    }
  } finally {
    await client.end();
  }
}
