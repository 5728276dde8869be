/**
 * Parity: a real local-chain session (the indexer tests' random activity: trading, cancels, claims,
 * signed delivery reports, settlement directly and through the keeper, refunds, withdrawals, meter
 * transfers, governance) indexed by the real indexer (Ponder) and replayed through the compiled
 * subgraph mappings in the wasm host; every table row must equal its entity, field by field, and the
 * timeseries and its hour/day rollups must equal the trades and candles. Two injected faults (a
 * missed Trade event, one corrupted balance write) must each fail the comparison.
 *
 *   SUBGRAPH_PARITY_ORDERS  orders the session places (default 600)
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { MappingHost } from "../host/instance.ts";
import { Kind } from "../host/store.ts";
import { compareTables, compareTimeseries, PAIRINGS, type Comparison } from "./compare.ts";
import { runSession, type Session } from "./session.ts";

const ORDERS = Number(process.env.SUBGRAPH_PARITY_ORDERS ?? 600);
let session: Session;

const summary = (c: Comparison) =>
  c.differences
    .slice(0, 10)
    .map(
      (d) => `${d.table}[${d.key}].${d.field}: indexer ${String(d.ponder)}, subgraph ${String(d.subgraph)}`,
    )
    .join("\n");

describe(`subgraph ↔ indexer parity (${ORDERS} orders)`, () => {
  beforeAll(async () => {
    session = await runSession({
      orders: ORDERS,
      log: (l) => process.env.SUBGRAPH_TEST_VERBOSE && console.log(l),
    });
  }, 240_000);

  it("replays every event of the session through the mappings", () => {
    const { replay, input } = session;
    expect(replay.triggers).toBe(input.logs.length); // every log of the four contracts has a handler
    for (const h of [
      "handleCommunityCreated",
      "handleMemberJoined",
      "handleMeterRegistered",
      "handleDeposited",
      "handleWithdrawn",
      "handleOrderPlaced",
      "handleTrade",
      "handleOrderCancelled",
      "handleOrderClaimed",
      "handleMeterReported",
      "handleSaleSettled",
      "handleSellerSettled",
      "handleRefundClaimed",
      "handleBuyerRefunded",
      "handleEscrowSwept",
      "handleUpkeepPerformed",
      "handleMeterTransferred",
      "handleMeterDeactivated",
      "handleProposalCreated",
      "handleVoteCast",
      "handleProposalCanceled",
      "handleProposalQueued",
      "handleProposalExecuted",
      "handleTreasuryPaid",
    ])
      expect(replay.byHandler[h], h).toBeGreaterThan(0);
    expect(session.subgraph.unimplemented()).toEqual([]);
  });

  it("has every indexer table equal to its entities, field by field", () => {
    const c = compareTables(session.subgraph.store, session.tables);
    for (const p of PAIRINGS) expect(c.rows[p.table], p.table).toBeGreaterThan(0);
    expect(c.entitiesCompared).toBeGreaterThan(1000);
    expect(c.differences, summary(c)).toEqual([]);
  });

  it("has the trade timeseries and its hour/day rollups equal to the trades and candles", () => {
    const c = compareTimeseries(session.subgraph.store, session.subgraph.aggregator.rows, session.tables);
    expect(c.rows.TradePoint).toBe(session.tables.trades!.length);
    expect(c.rows.MarketStats_hour).toBeGreaterThan(0);
    expect(c.differences, summary(c)).toEqual([]);
  });

  it("fails when the host drops one Trade event (a missed event)", () => {
    let trades = 0;
    const wrap = (_ds: string, host: MappingHost): MappingHost => ({
      ...host,
      store: host.store,
      unimplemented: host.unimplemented,
      run(handler, build) {
        if (handler === "handleTrade" && ++trades === 5) return;
        host.run(handler, build);
      },
    });
    const { subgraph } = session.replayAgain({ wrap });
    const c = compareTables(subgraph.store, session.tables);
    const tables = new Set(c.differences.map((d) => d.table));
    expect(tables).toContain("trades");
    expect(tables).toContain("book_levels");
    expect(tables).toContain("balances");
  });

  it("fails when one balance write is off by one unit", () => {
    const { subgraph } = session.replayAgain({
      prepare(s) {
        const set = s.store.set.bind(s.store);
        let n = 0;
        s.store.set = (type, id, data) => {
          const free = data.get("free");
          if (type === "Balance" && free?.kind === Kind.BIGINT && ++n === 40)
            data = new Map(data).set("free", { kind: Kind.BIGINT, value: free.value - 1n });
          set(type, id, data);
        };
      },
    });
    const c = compareTables(subgraph.store, session.tables);
    expect(c.differences.length).toBeGreaterThan(0);
    expect(c.differences.every((d) => d.table === "balances" && d.field === "free")).toBe(true);
  });
});
