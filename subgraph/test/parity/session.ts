/**
 * One parity session: a private Hardhat chain with the protocol deployed, the indexer tests' random
 * activity on it (trading with crossing, partial and cancelled orders, claims, signed meter reports,
 * settlement directly and through the keeper, refunds, withdrawals, meter transfers, governance),
 * then the real indexer (Ponder) syncs the chain while the same logs are replayed through the
 * compiled subgraph mappings in the wasm host. Returns both sides for comparison.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@ponder/client";
import { getTableName, is, Table } from "drizzle-orm";
import type { Hex } from "viem";
import * as schema from "../../../indexer/ponder.schema.ts";
import { runActivity } from "../../../indexer/test/support/activity.ts";
import { deployStack, startHardhatNode, type HardhatNode } from "../../../indexer/test/support/chain.ts";
import { freePort, startPonder, type PonderProcess } from "../../../indexer/test/support/ponder.ts";
import type { MappingHost } from "../host/instance.ts";
import { Subgraph, type ReplayInput, type ReplayStats } from "../host/subgraph.ts";
import { fetchChainLogs } from "./chain-logs.ts";
import type { Row } from "./compare.ts";

export const BUILD_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..", "build");

export interface SessionOptions {
  orders: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface Session {
  input: ReplayInput;
  addresses: Record<string, { address: Hex; startBlock: number }>;
  tables: Record<string, Row[]>;
  subgraph: Subgraph;
  replay: ReplayStats;
  /** A fresh subgraph over the same logs, e.g. with a fault injected in its host or its store. */
  replayAgain(opts?: {
    wrap?: (ds: string, host: MappingHost) => MappingHost;
    prepare?: (subgraph: Subgraph) => void;
  }): { subgraph: Subgraph; stats: ReplayStats };
  timings: Record<string, number>;
}

export async function readTables(url: string): Promise<Record<string, Row[]>> {
  const client = createClient(`${url}/sql`, { schema });
  const out: Record<string, Row[]> = {};
  for (const t of Object.values(schema)) {
    if (!is(t, Table)) continue;
    out[getTableName(t)] = (await client.db.select().from(t as never)) as Row[];
  }
  return out;
}

export async function runSession(opts: SessionOptions): Promise<Session> {
  const log = opts.log ?? (() => {});
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = Math.round(performance.now() - t0);
    }
  };
  const dir = mkdtempSync(path.join(tmpdir(), "ps-subgraph-parity-"));
  let node: HardhatNode | undefined;
  let ponder: PonderProcess | undefined;
  try {
    node = await time("chain", async () => startHardhatNode(await freePort()));
    const stack = await deployStack(node.url);
    const activity = await time("activity", () =>
      runActivity(stack, { orders: opts.orders, seed: opts.seed ?? 7 }),
    );
    log(`activity: ${activity.txs} transactions`);
    const book = path.join(dir, "book.json");
    stack.writeAddressBook(book);
    const head = Number(await stack.pub.getBlockNumber());
    ponder = await startPonder({
      rpcUrl: node.url,
      addressBook: book,
      schema: `subgraph_parity_${process.pid}`,
      env: { GOVERNOR_GRACE_PERIOD: String(7 * 24 * 3600) },
      logLevel: "warn",
    });
    const addresses = {
      EnergyMarket: { address: stack.market, startBlock: stack.startBlock },
      DeliverySettlement: { address: stack.settlement, startBlock: stack.startBlock },
      TreasuryGovernor: { address: stack.governor, startBlock: stack.startBlock },
      SettlementKeeper: { address: stack.keeper, startBlock: stack.startBlock },
    };
    const input = await time("fetch logs", () =>
      fetchChainLogs(
        stack.pub,
        Object.values(addresses).map((a) => a.address),
        BigInt(stack.startBlock),
        BigInt(head),
      ),
    );
    const p = ponder;
    await time("ponder", async () => {
      await p.ready();
      await p.waitForBlock(head, 120_000);
    });
    // Read the tables before the replay: a replay blocks the event loop for seconds, long enough
    // for the SQL endpoint's keep-alive sockets to be closed under the client.
    const tables = await time("read tables", () => readTables(p.url));
    await ponder.stop();
    ponder = undefined;
    await node.stop();
    node = undefined;
    const subgraph = new Subgraph(BUILD_DIR, addresses);
    const replay = subgraph.replay(input);
    timings.replay = Math.round(replay.ms);
    log(`replayed ${replay.triggers} events in ${replay.ms.toFixed(0)} ms`);
    return {
      input,
      addresses,
      tables,
      subgraph,
      replay,
      timings,
      replayAgain({ wrap, prepare } = {}) {
        const s = new Subgraph(BUILD_DIR, addresses, wrap);
        prepare?.(s);
        return { subgraph: s, stats: s.replay(input) };
      },
    };
  } finally {
    await ponder?.stop();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
