/**
 * `npm run bench:indexer` — historical sync throughput (PGlite and PostgreSQL) and realtime lag.
 *
 *   1. a private Hardhat node; the protocol deployed; members, meters and deposits
 *   2. at least INDEXER_BENCH_EVENTS (default 100,000) events: small orders in `multicall` batches
 *      (about a fifth of them crossing, so Trades walk maker queues), cancels of resting orders;
 *      automine off and several transactions per block, as on a busy chain; then as busy a tail of
 *      FINALITY_BLOCKS (30) blocks, which Ponder treats as unfinalized on a chain it does not know
 *   3. `ponder start` with PGlite, then with PostgreSQL (DATABASE_URL, default
 *      postgresql://postgres@127.0.0.1:5432/test; skipped if unreachable). Historical sync: the
 *      events of the blocks that run backfilled (up to Ponder's finalized block at its start, which
 *      moves with the head: the PostgreSQL run, after the realtime measurement, backfills more) over
 *      the time from "Started backfill indexing" (Ponder's own log) until GET /ready answers 200
 *      (backfill done, indexes built): events/s, the median of INDEXER_BENCH_REPEAT (3) runs per
 *      database, each from scratch (the VM's speed drifts; `runs` lists them all). Then, after
 *      each database's first run, the tail,
 *      indexed block by block as live blocks are (with reorg bookkeeping): its events over the
 *      time until the head is indexed
 *   4. realtime: 1-second interval blocks with a trade in each; for each, how many blocks the chain
 *      was ahead when the trade became visible through the REST API (`realtime_lag_blocks`, the max)
 *   5. PGlite once more with PONDER_BACKFILL_CACHE_WRITES=1 (`rpc_cache_written`): the local chain's
 *      RPC cache is disabled, so the runs above do not write the fetched blocks to ponder_sync; a
 *      network whose cache is kept (Amoy, Polygon) does, and this run measures that
 *
 * Prints and writes docs/benchmarks/indexer.json.
 *
 * `--serve`: generate the chain, write its address book, print the RPC URL and keep the node up
 * (until Ctrl-C) instead of measuring, for profiling `ponder start` against it by hand.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { decodeEventLog, encodeFunctionData, keccak256, toHex, type Address, type Hex } from "viem";
import { rng } from "../test/support/activity.ts";
import {
  accountAt,
  deployStack,
  energyMarketAbi,
  ROOT,
  startHardhatNode,
  type Stack,
} from "../test/support/chain.ts";
import { openCommunity, placeOrderCall } from "../test/support/community.ts";
import { freePort, startPonder, type PonderProcess } from "../test/support/ponder.ts";

const TARGET_EVENTS = Number(process.env.INDEXER_BENCH_EVENTS ?? 100_000);
const BATCH = Number(process.env.INDEXER_BENCH_BATCH ?? 100);
const TXS_PER_BLOCK = Number(process.env.INDEXER_BENCH_TXS_PER_BLOCK ?? 4);
const DATABASE_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const REALTIME_SAMPLES = Number(process.env.INDEXER_BENCH_REALTIME_SAMPLES ?? 20);
/** Historical syncs per database; the figure is their median (this VM's speed drifts). */
const REPEAT = Math.max(1, Number(process.env.INDEXER_BENCH_REPEAT ?? 3));
/** Ponder's finality window on a chain it does not know (src/utils/finality.ts): 30 blocks. */
const FINALITY_BLOCKS = 30;
const OUT = path.join(ROOT, "docs", "benchmarks", "indexer.json");

const log = (s: string) => console.log(`[bench:indexer] ${s}`);

async function generate(stack: Stack, traders: Address[], meterOf: Map<Address, number>): Promise<void> {
  const rand = rng(42);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const now = await stack.now();
  const first = ((now + 3600n) / 900n + 1n) * 900n;
  const slots = Array.from({ length: 48 }, (_, k) => first + BigInt(k) * 900n);
  const levelCount = new Map<string, number>();
  await stack.rpc("evm_setAutomine", [false]);
  const t0 = Date.now();
  let events = 0;
  let pending: { hash: Hex; from: Address }[] = [];
  const resting = new Map<Address, bigint[]>();
  let block = 0;
  const mine = async () => {
    await stack.rpc("evm_mine", []);
    block++;
    for (const { hash, from } of pending) {
      const r = await stack.pub.getTransactionReceipt({ hash });
      events += r.logs.length;
      for (const l of r.logs) {
        try {
          const ev = decodeEventLog({ abi: energyMarketAbi, topics: l.topics as never, data: l.data });
          if (ev.eventName === "OrderPlaced" && rand() < 0.06)
            resting.set(from, [...(resting.get(from) ?? []), ev.args.orderId]);
        } catch {
          // not a market event
        }
      }
    }
    pending = [];
  };
  let i = 0;
  let tailFrom = 0;
  // The target in finalized blocks, then a tail as busy as the rest.
  while (tailFrom === 0 || block < tailFrom + FINALITY_BLOCKS) {
    if (tailFrom === 0 && events >= TARGET_EVENTS && pending.length === 0) tailFrom = block;
    const t = traders[i++ % traders.length]!;
    const cancels = resting.get(t) ?? [];
    if (cancels.length >= 20) {
      // Only orders just placed (likely untouched): a filled one would revert the whole batch.
      resting.set(t, []);
      const hash = await stack.wallet.sendTransaction({
        account: t,
        to: stack.market,
        data: encodeFunctionData({ abi: energyMarketAbi, functionName: "cancelMany", args: [cancels] }),
        gas: 16_000_000n,
        chain: null,
      });
      pending.push({ hash, from: t });
    }
    const calls: Hex[] = [];
    while (calls.length < BATCH) {
      const slotStart = slots[int(0, slots.length - 1)]!;
      const isBid = rand() < 0.5;
      const cross = rand() < 0.2;
      const tick = isBid ? (cross ? int(150, 160) : int(100, 150)) : cross ? int(140, 150) : int(150, 200);
      const key = `${slotStart}:${isBid}:${tick}`;
      const n = levelCount.get(key) ?? 0;
      if (n >= 500) continue;
      levelCount.set(key, n + 1);
      calls.push(
        placeOrderCall({ slotStart, isBid, tick, amountWh: BigInt(int(1, 500)), meterId: meterOf.get(t)! }),
      );
    }
    const hash = await stack.wallet.sendTransaction({
      account: t,
      to: stack.market,
      data: encodeFunctionData({ abi: energyMarketAbi, functionName: "multicall", args: [calls] }),
      gas: 16_000_000n,
      chain: null,
    });
    pending.push({ hash, from: t });
    if (pending.length >= TXS_PER_BLOCK) await mine();
    if (block % 50 === 0 && pending.length === 0) log(`  ${events} events in ${block} blocks`);
  }
  if (pending.length) await mine();
  await stack.rpc("evm_setAutomine", [true]);
  log(`generated ${events} events in ${block} blocks in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** The protocol's events in blocks [from, to]. */
async function countEvents(stack: Stack, from: number, to: number): Promise<number> {
  let n = 0;
  for (let b = from; b <= to; b += 10) {
    const logs = await stack.pub.getLogs({
      address: [stack.market, stack.settlement, stack.governor, stack.keeper],
      fromBlock: BigInt(b),
      toBlock: BigInt(Math.min(b + 9, to)),
    });
    n += logs.length;
  }
  return n;
}

interface SyncResult {
  /** The last block of the historical sync; its events over the time below. */
  backfilledTo: number;
  events: number;
  /** Historical sync: the backfilled events over "Started backfill indexing" → GET /ready. */
  seconds: number;
  eventsPerS: number;
  /** The unfinalized tail, indexed block by block after /ready, until the head. */
  tailEvents: number;
  tailSeconds: number;
  tailEventsPerS: number;
  wallSeconds: number;
}

async function timedSync(
  url: string,
  book: string,
  stack: Stack,
  databaseUrl: string | undefined,
  schema: string,
  { env, tail = true }: { env?: Record<string, string>; tail?: boolean } = {},
): Promise<{ result: SyncResult; ponder: PonderProcess }> {
  const logFile = path.join(tmpdir(), `ps-indexer-bench-${schema}.log`);
  const started = Date.now();
  const ponder = await startPonder({
    rpcUrl: url,
    addressBook: book,
    databaseUrl,
    schema,
    env,
    logFile,
    logLevel: "info",
  });
  // Polled gently: every request is served by the thread that indexes. The times come from
  // Ponder's own log lines.
  await ponder.ready(900_000, 500);
  const head = Number(await stack.pub.getBlockNumber());
  if (tail) await ponder.waitForBlock(head, 300_000, 50);
  const caughtUp = Date.now();
  const wallSeconds = (caughtUp - started) / 1000;
  const lines = ponder
    .output()
    .split("\n")
    .map((l) => {
      try {
        return JSON.parse(l) as { msg: string; time: number; endpoint?: string; block_range?: string };
      } catch {
        return undefined;
      }
    });
  const backfillStart = lines.find((l) => l?.msg === "Started backfill indexing");
  const begin = backfillStart?.time;
  const ready = lines.find(
    (l) => l?.msg === "Started returning 200 responses" && l.endpoint === "/ready",
  )?.time;
  if (!begin || !ready) throw new Error(`no backfill start or readiness in the log (${logFile})`);
  // The blocks Ponder backfilled (up to what it took as finalized: it moves with the head, so a run
  // after the realtime measurement backfills more) and the ones it then indexed as live.
  const [, to] = JSON.parse(backfillStart!.block_range ?? "[0,0]") as [number, number];
  const events = await countEvents(stack, stack.startBlock, to);
  const tailEvents = tail ? await countEvents(stack, to + 1, head) : 0;
  const seconds = (ready - begin) / 1000;
  const tailSeconds = (caughtUp - ready) / 1000;
  return {
    result: {
      backfilledTo: to,
      events,
      seconds,
      eventsPerS: Math.round(events / seconds),
      tailEvents,
      tailSeconds,
      tailEventsPerS: Math.round(tailEvents / tailSeconds),
      wallSeconds,
    },
    ponder,
  };
}

async function realtimeLag(
  stack: Stack,
  ponder: PonderProcess,
  traders: Address[],
  meterOf: Map<Address, number>,
) {
  const now = await stack.now();
  const slotStart = Number(((now + 7200n) / 900n + 1n) * 900n);
  const [a, b] = [traders[0]!, traders[1]!];
  await stack.rpc("evm_setAutomine", [false]);
  await stack.rpc("evm_setIntervalMining", [1000]);
  const lags: number[] = [];
  const latencies: number[] = [];
  try {
    for (let k = 0; k < REALTIME_SAMPLES; k++) {
      const order = (isBid: boolean, t: Address) =>
        placeOrderCall({ slotStart, isBid, tick: 120, amountWh: 10n, meterId: meterOf.get(t)! });
      await stack.wallet.sendTransaction({
        account: a,
        to: stack.market,
        data: order(false, a),
        gas: 2_000_000n,
        chain: null,
      });
      const hash = await stack.wallet.sendTransaction({
        account: b,
        to: stack.market,
        data: order(true, b),
        gas: 2_000_000n,
        chain: null,
      });
      const receipt = await stack.pub.waitForTransactionReceipt({ hash, pollingInterval: 20 });
      const minedAt = Date.now();
      const mId = (1n << 40n) | BigInt(slotStart);
      // Whichever of the two lands first rests and the other takes it: wait for this block's trade.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await fetch(`${ponder.url}/markets/${mId}/trades?limit=1`);
        const body = (await r.json()) as { trades: { blockNumber: string }[] };
        if (BigInt(body.trades[0]?.blockNumber ?? 0) >= receipt.blockNumber) break;
        if (Date.now() > deadline)
          throw new Error(`trade of block ${receipt.blockNumber} not indexed in 30 s`);
        await new Promise((res) => setTimeout(res, 10));
      }
      const head = await stack.pub.getBlockNumber();
      lags.push(Number(head - receipt.blockNumber));
      latencies.push(Date.now() - minedAt);
    }
  } finally {
    await stack.rpc("evm_setIntervalMining", [0]);
    await stack.rpc("evm_setAutomine", [true]);
  }
  latencies.sort((x, y) => x - y);
  return {
    lagBlocks: Math.max(...lags),
    p50Ms: latencies[Math.floor(latencies.length / 2)]!,
    maxMs: latencies[latencies.length - 1]!,
  };
}

const round = (x: number | undefined) => (x === undefined ? null : Number(x.toFixed(2)));

/** The run with the median rate (the lower middle one of an even count). */
function median(runs: SyncResult[]): SyncResult {
  const sorted = [...runs].sort((a, b) => a.eventsPerS - b.eventsPerS);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

const runSummary = (r: SyncResult) => ({
  to: r.backfilledTo,
  events: r.events,
  seconds: round(r.seconds),
  events_per_s: r.eventsPerS,
});

async function pgReachable(url: string): Promise<boolean> {
  try {
    const pg = await import("pg");
    const c = new pg.default.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const pg = await import("pg");
  const c = new pg.default.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

/**
 * A fixed single-thread workload (JSON and keccak over 8 MB, like the sync's), timed: this VM's
 * speed varies over the day by half as much again, so the figures carry the speed they were
 * measured at. Lower is faster.
 */
function calibrate(): number {
  const rows = Array.from({ length: 20_000 }, (_, i) => ({
    blockNumber: `0x${i.toString(16)}`,
    data: `0x${"ab".repeat(192)}`,
    topics: [keccak256(toHex(i)), keccak256(toHex(i + 1))],
  }));
  const t0 = performance.now();
  for (let k = 0; k < 3; k++) {
    const parsed = JSON.parse(JSON.stringify(rows)) as typeof rows;
    for (const r of parsed) keccak256(r.data as Hex);
  }
  return Math.round(performance.now() - t0);
}

async function main(): Promise<void> {
  const calibrationBefore = calibrate();
  log(`calibration: ${calibrationBefore} ms`);
  const dir = mkdtempSync(path.join(tmpdir(), "ps-indexer-bench-"));
  const node = await startHardhatNode(await freePort());
  const ponders: PonderProcess[] = [];
  try {
    const stack = await deployStack(node.url);
    const traders = Array.from({ length: 8 }, (_, i) => accountAt(i + 1).address);
    const meterOf = await openCommunity(stack, traders, "Bench Grid");
    await generate(stack, traders, meterOf);
    const head = Number(await stack.pub.getBlockNumber());
    const finalized = head - FINALITY_BLOCKS;
    const count = {
      finalized: await countEvents(stack, stack.startBlock, finalized),
      tail: await countEvents(stack, finalized + 1, head),
    };
    log(
      `chain: ${head} blocks, ${count.finalized} events up to block ${finalized}, ${count.tail} in the last ${FINALITY_BLOCKS}`,
    );
    const book = path.join(dir, "book.json");
    stack.writeAddressBook(book);
    if (process.argv.includes("--serve")) {
      log(`serving: PONDER_RPC_URL_31337=${node.url} ADDRESS_BOOK=${book} (Ctrl-C stops)`);
      await new Promise((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      return;
    }

    const pglite = await timedSync(node.url, book, stack, undefined, "bench");
    ponders.push(pglite.ponder);
    log(
      `PGlite: historical ${pglite.result.seconds.toFixed(1)} s → ${pglite.result.eventsPerS} events/s; tail ${pglite.result.tailSeconds.toFixed(1)} s → ${pglite.result.tailEventsPerS} events/s (wall ${pglite.result.wallSeconds.toFixed(1)} s)`,
    );
    const realtime = await realtimeLag(stack, pglite.ponder, traders, meterOf);
    log(
      `realtime (PGlite, 1 s blocks): lag ≤ ${realtime.lagBlocks} block(s), p50 ${realtime.p50Ms} ms, max ${realtime.maxMs} ms`,
    );
    await pglite.ponder.stop();
    const pgliteRuns = [pglite.result];
    for (let k = 1; k < REPEAT; k++) {
      const r = await timedSync(node.url, book, stack, undefined, `bench_${k}`, { tail: false });
      ponders.push(r.ponder);
      await r.ponder.stop();
      pgliteRuns.push(r.result);
      log(
        `PGlite, run ${k + 1}: historical ${r.result.seconds.toFixed(1)} s → ${r.result.eventsPerS} events/s`,
      );
    }

    // As on a network whose RPC cache is kept (Amoy, Polygon): the fetched blocks are also
    // written to ponder_sync, which this dev chain (cache disabled) skips.
    const cached = await timedSync(node.url, book, stack, undefined, "bench_cached", {
      env: { PONDER_BACKFILL_CACHE_WRITES: "1" },
      tail: false,
    });
    ponders.push(cached.ponder);
    await cached.ponder.stop();
    log(
      `PGlite, RPC cache written: historical ${cached.result.seconds.toFixed(1)} s → ${cached.result.eventsPerS} events/s`,
    );

    const postgresRuns: SyncResult[] = [];
    if (await pgReachable(DATABASE_URL)) {
      for (let k = 0; k < REPEAT; k++) {
        const schema = `indexer_bench_${process.pid}_${k}`;
        try {
          const r = await timedSync(node.url, book, stack, DATABASE_URL, schema, { tail: k === 0 });
          ponders.push(r.ponder);
          postgresRuns.push(r.result);
          await r.ponder.stop();
        } finally {
          await dropSchema(DATABASE_URL, schema).catch(() => {});
        }
        const r = postgresRuns[k]!;
        log(
          k === 0
            ? `PostgreSQL: historical ${r.seconds.toFixed(1)} s → ${r.eventsPerS} events/s; tail ${r.tailSeconds.toFixed(1)} s → ${r.tailEventsPerS} events/s (wall ${r.wallSeconds.toFixed(1)} s)`
            : `PostgreSQL, run ${k + 1}: historical ${r.seconds.toFixed(1)} s → ${r.eventsPerS} events/s`,
        );
      }
    } else {
      log(`PostgreSQL not reachable at ${DATABASE_URL}: skipped`);
    }

    const postgres = postgresRuns[0]; // the run that also measured the tail
    const pgliteMedian = median(pgliteRuns);
    const postgresMedian = postgresRuns.length ? median(postgresRuns) : undefined;
    log(
      `median of ${REPEAT}: PGlite ${pgliteMedian.eventsPerS} events/s` +
        (postgresMedian ? `, PostgreSQL ${postgresMedian.eventsPerS} events/s` : ""),
    );
    const calibrationAfter = calibrate();
    const result = {
      benchmark: "indexer",
      date: new Date().toISOString(),
      ponder: "0.16.10",
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model ?? "?",
        node: process.version,
        calibration_ms: { before: calibrationBefore, after: calibrationAfter },
      },
      chain: { blocks: head, txs_per_block: TXS_PER_BLOCK, orders_per_tx: BATCH, finalized_block: finalized },
      events: count.finalized,
      events_per_s_pglite: pgliteMedian.eventsPerS,
      events_per_s_postgres: postgresMedian?.eventsPerS ?? null,
      historical_seconds: { pglite: round(pgliteMedian.seconds), postgres: round(postgresMedian?.seconds) },
      runs: {
        note: `${REPEAT} historical syncs per database of the same chain, one after another; the figures above are the median run`,
        pglite: pgliteRuns.map(runSummary),
        postgres: postgresRuns.map(runSummary),
      },
      rpc_cache_written: {
        note: "PGlite again, writing the fetched blocks to ponder_sync as on a network whose RPC cache is kept; this dev chain's cache is disabled, so the runs above skip those writes",
        events_per_s_pglite: cached.result.eventsPerS,
        historical_seconds_pglite: round(cached.result.seconds),
        backfilled: { to: cached.result.backfilledTo, events: cached.result.events },
      },
      backfilled: {
        note: "the median run's historical sync: blocks 1..to (Ponder's finalized block then) and their events",
        pglite: { to: pgliteMedian.backfilledTo, events: pgliteMedian.events },
        postgres: postgresMedian ? { to: postgresMedian.backfilledTo, events: postgresMedian.events } : null,
      },
      unfinalized_tail: {
        blocks: FINALITY_BLOCKS,
        events: { pglite: pglite.result.tailEvents, postgres: postgres?.tailEvents ?? null },
        note: "the blocks after the historical sync, indexed one block at a time with reorg bookkeeping, as live blocks are",
        events_per_s_pglite: pglite.result.tailEventsPerS,
        events_per_s_postgres: postgres?.tailEventsPerS ?? null,
      },
      wall_seconds_incl_startup_and_tail: {
        pglite: round(pglite.result.wallSeconds),
        postgres: round(postgres?.wallSeconds),
      },
      realtime_lag_blocks: realtime.lagBlocks,
      realtime: {
        block_time_s: 1,
        samples: REALTIME_SAMPLES,
        p50_ms: realtime.p50Ms,
        max_ms: realtime.maxMs,
      },
      targets: { events_per_s: 5000, realtime_lag_blocks: 1 },
    };
    mkdirSync(path.dirname(OUT), { recursive: true });
    writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
    console.log(JSON.stringify(result, null, 2));
    log(`wrote ${path.relative(ROOT, OUT)}`);
  } finally {
    for (const p of ponders) await p.stop();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
