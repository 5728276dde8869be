/**
 * npm run bench:subgraph — a larger parity session (SUBGRAPH_BENCH_ORDERS orders, default 4000):
 * the chain's logs replayed through the compiled wasm mappings three times (events per second of
 * the median replay: a fresh wasm instance per event, as graph-node runs handlers), then every
 * entity compared with the indexer's tables. MERGES its keys into docs/benchmarks/subgraph.json
 * (the analytics bench's csv_* keys stay):
 *
 *   events, events_per_s, entities_compared, differences (goal 0), fields_compared, …
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { compareTables, compareTimeseries } from "../test/parity/compare.ts";
import { runSession } from "../test/parity/session.ts";

const ORDERS = Number(process.env.SUBGRAPH_BENCH_ORDERS ?? 4000);
const OUT = path.resolve(import.meta.dirname, "..", "..", "docs", "benchmarks", "subgraph.json");

const session = await runSession({ orders: ORDERS, log: (l) => console.log(`  ${l}`) });
const runs = [session.replay.ms];
for (let i = 0; i < 2; i++) runs.push(session.replayAgain().stats.ms);
const median = [...runs].sort((a, b) => a - b)[1]!;
const events = session.replay.triggers;

const tables = compareTables(session.subgraph.store, session.tables);
const series = compareTimeseries(session.subgraph.store, session.subgraph.aggregator.rows, session.tables);
const differences = tables.differences.length + series.differences.length;
for (const d of [...tables.differences, ...series.differences].slice(0, 20))
  console.error(
    `  difference ${d.table}[${d.key}].${d.field}: indexer ${String(d.ponder)}, subgraph ${String(d.subgraph)}`,
  );

const result = {
  events,
  events_per_s: Math.round(events / (median / 1000)),
  entities_compared: tables.entitiesCompared + series.entitiesCompared,
  differences,
  fields_compared: tables.fieldsCompared + series.fieldsCompared,
  subgraph_orders: ORDERS,
  subgraph_blocks: session.replay.blocks,
  subgraph_replay_ms_runs: runs.map((ms) => Math.round(ms)),
  subgraph_rows_by_table: { ...tables.rows, ...series.rows },
  subgraph_rollups_pending: series.pending,
  subgraph_timings_ms: session.timings,
  subgraph_measured_at: new Date().toISOString(),
  subgraph_load_average: Number(loadavg()[0]!.toFixed(2)),
};
const previous = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, "utf8")) as Record<string, unknown>) : {};
writeFileSync(OUT, JSON.stringify({ ...previous, ...result }, null, 2) + "\n");
console.log(JSON.stringify(result, null, 2));
console.log(`merged into ${OUT}`);
if (differences > 0) process.exitCode = 1;
