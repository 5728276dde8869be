/**
 * CSV export benchmark (`npm run bench:analytics`): a community's trades streamed as CSV by
 * `GET /analytics/communities/1/trades?format=csv` from the indexer process, over
 * ANALYTICS_BENCH_ROWS (1,000,000) rows.
 *
 *   1. A private Hardhat chain with one community; `ponder start` on PostgreSQL (DATABASE_URL,
 *      default postgresql://postgres@127.0.0.1:5432/test) in a schema of its own, dropped after.
 *   2. The trades table is filled in the database (generate_series; a chain producing a million
 *      trades would take hours): first 100,000 rows, exported once, then up to the full count.
 *   3. Each export is read to the end over HTTP while the indexer's RSS is sampled from /proc every
 *      20 ms; rows/s counts data lines over the whole request, peak RSS is the highest sample
 *      (VmHWM, the kernel's high-water mark, is reported too).
 *
 * The 1M export runs ANALYTICS_BENCH_REPEAT (3) times: rows/s is the median, peak RSS the highest.
 * Bounded memory shows as about the same peak at 100k and 1M rows. Prints the figures and merges
 * `csv_*` keys into docs/benchmarks/subgraph.json (other keys are left as they are).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { accountAt, deployStack, startHardhatNode, ROOT } from "../test/support/chain.ts";
import { openCommunity } from "../test/support/community.ts";
import { freePort, startPonder } from "../test/support/ponder.ts";

const ROWS = Number(process.env.ANALYTICS_BENCH_ROWS ?? 1_000_000);
const FIRST = Math.min(100_000, ROWS);
const REPEAT = Number(process.env.ANALYTICS_BENCH_REPEAT ?? 3);
const DATABASE_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const SCHEMA = `analytics_bench_${process.pid}`;
const OUT = path.join(ROOT, "docs", "benchmarks", "subgraph.json");

const rssMb = (pid: number, field: "VmRSS" | "VmHWM"): number => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
};

/** Inserts trades [from, to) of community 1 (96 slots, 1,000 takers, 10 trades per second). */
async function fill(db: pg.Client, from: number, to: number): Promise<void> {
  const T = `"${SCHEMA}"."trades"`;
  for (let lo = from; lo < to; lo += 100_000) {
    const hi = Math.min(to, lo + 100_000) - 1;
    await db.query(`
      INSERT INTO ${T} (id, market_id, community_id, taker, taker_is_bid, taker_meter_id, tick, price,
        amount_wh, value, level_taken_before, level_taken, block_number, timestamp, tx_hash, log_index)
      SELECT lpad(i::text, 75, '0'), (1::numeric * 1099511627776) + 1900000000 + (i % 96) * 900, 1,
        '0x' || lpad(to_hex(i % 1000), 40, '0'), i % 2 = 0, 1 + i % 8, 90 + i % 20, (90 + i % 20) * 1000,
        1 + i % 3000, (1 + i % 3000) * (90 + i % 20), 0, 1 + i % 3000, i / 100, 1800000000 + i / 10,
        '0x' || lpad(to_hex(i), 64, '0'), i % 100
      FROM generate_series(${lo}, ${hi}) AS i`);
  }
  await db.query(`ANALYZE ${T}`);
}

interface Run {
  rows: number;
  seconds: number;
  rowsPerS: number;
  mb: number;
  baselineRssMb: number;
  peakRssMb: number;
  hwmMb: number;
}

async function exportOnce(url: string, pid: number, expected: number): Promise<Run> {
  const baselineRssMb = rssMb(pid, "VmRSS");
  let peak = baselineRssMb;
  const sampler = setInterval(() => {
    const v = rssMb(pid, "VmRSS");
    if (v > peak) peak = v;
  }, 20);
  const t0 = performance.now();
  const res = await fetch(`${url}/analytics/communities/1/trades?format=csv`);
  if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const rows = lines - 1;
  if (rows !== expected) throw new Error(`export streamed ${rows} rows, expected ${expected}`);
  return {
    rows,
    seconds: Math.round(seconds * 100) / 100,
    rowsPerS: Math.round(rows / seconds),
    mb: Math.round(bytes / 1e5) / 10,
    baselineRssMb: Math.round(baselineRssMb),
    peakRssMb: Math.round(peak),
    hwmMb: Math.round(rssMb(pid, "VmHWM")),
  };
}

const db = new pg.Client({ connectionString: DATABASE_URL });
try {
  await db.connect();
} catch (err) {
  console.error(`PostgreSQL unreachable at ${DATABASE_URL}: ${(err as Error).message}`);
  process.exit(1);
}
const dir = mkdtempSync(path.join(tmpdir(), "ps-analytics-bench-"));
const node = await startHardhatNode(await freePort());
let ponder: Awaited<ReturnType<typeof startPonder>> | undefined;
try {
  const stack = await deployStack(node.url);
  await openCommunity(stack, [accountAt(1).address, accountAt(2).address], "Bench Street");
  const book = path.join(dir, "book.json");
  stack.writeAddressBook(book);
  ponder = await startPonder({
    rpcUrl: node.url,
    addressBook: book,
    databaseUrl: DATABASE_URL,
    schema: SCHEMA,
  });
  await ponder.ready();
  const pid = ponder.proc.pid!;
  // Rows written behind Ponder's back: no reorg or live-query triggers for them.
  await db.query("SET session_replication_role = replica");
  console.log(`filling ${FIRST.toLocaleString("en")} trades…`);
  await fill(db, 0, FIRST);
  const small = await exportOnce(ponder.url, pid, FIRST);
  console.log(`  ${JSON.stringify(small)}`);
  const runs: Run[] = [];
  if (ROWS > FIRST) {
    console.log(`filling up to ${ROWS.toLocaleString("en")} trades…`);
    await fill(db, FIRST, ROWS);
  }
  for (let i = 0; i < REPEAT; i++) {
    runs.push(ROWS > FIRST ? await exportOnce(ponder.url, pid, ROWS) : small);
    console.log(`  ${JSON.stringify(runs.at(-1))}`);
  }
  // Median throughput; the highest peak of all runs (garbage collection timing varies).
  const median = [...runs].sort((a, b) => a.rowsPerS - b.rowsPerS)[Math.floor(runs.length / 2)]!;
  const worst = runs.reduce((a, r) => (r.peakRssMb > a.peakRssMb ? r : a));
  const figures = {
    csv_rows: median.rows,
    csv_rows_per_s: median.rowsPerS,
    csv_peak_rss_mb: worst.peakRssMb,
    csv_baseline_rss_mb: worst.baselineRssMb,
    csv_mb: median.mb,
    csv_seconds: median.seconds,
    csv_runs: runs.map((r) => ({
      rows_per_s: r.rowsPerS,
      baseline_rss_mb: r.baselineRssMb,
      peak_rss_mb: r.peakRssMb,
    })),
    csv_peak_rss_mb_at_100k: small.peakRssMb,
    csv_baseline_rss_mb_at_100k: small.baselineRssMb,
    csv_page_rows: Number(process.env.ANALYTICS_CSV_PAGE ?? 5000),
    csv_database: "postgresql",
    csv_load_average: Number(loadavg()[0]!.toFixed(2)),
    csv_measured_at: new Date().toISOString(),
  };
  // Read, merge, write: other benchmarks write their own keys into this file.
  const current = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, "utf8")) as Record<string, unknown>) : {};
  writeFileSync(OUT, `${JSON.stringify({ ...current, ...figures }, null, 2)}\n`);
  console.log(JSON.stringify(figures, null, 2));
  console.log(`merged into ${path.relative(ROOT, OUT)}`);
} finally {
  await ponder?.stop();
  await node.stop();
  await db.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`).catch(() => {});
  await db.end();
  rmSync(dir, { recursive: true, force: true });
}
