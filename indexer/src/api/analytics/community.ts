/**
 * Community analytics: members, meters, traded energy, self-sufficiency, settlement, treasury and
 * proposals; and the community's trades as a (streamed) export.
 *
 * Self-sufficiency = energy traded locally in the community's markets ÷ consumption reported by its
 * meters (Σ `importedWh` of the oracle's reports), over the same delivery slots;
 * `deliveredSelfSufficiency` counts only what sellers' meters proved they delivered.
 */
import { db } from "ponder:api";
import schema from "ponder:schema";
import { eq, sql } from "ponder";
import type { Context } from "hono";
import { z } from "zod";
import { listing, summary } from "./csv.ts";
import { community } from "./community-lookup.ts";
import { num } from "./market.ts";
import { big, marketWindow, perKwh, ratio, rows } from "./sql.ts";
import {
  communityIdSchema,
  formatShape,
  pageShape,
  parse,
  range,
  rangeShape,
  InvalidInput,
} from "./validation.ts";
import { governorGracePeriod, indexedNow, proposalState } from "../state.ts";

import type { CommunityAnalytics, TradeRow } from "../../../analytics-types.ts";

const { makerFills, markets, members, meters, orders, proposals, reports, sales, trades } = schema;

const KINDS = ["producer", "consumer", "prosumer", "storage"] as const;

/** GET /analytics/communities/:id?from=&to= */
export async function communitySummary(c: Context): Promise<Response> {
  const id = parse(communityIdSchema, c.req.param("id"));
  const q = parse(z.object({ ...rangeShape, ...formatShape }), c.req.query());
  const { from, to } = range(q);
  const comm = await community(id);
  // The window's market ids: one range of the market-id indexes.
  const [lo, hi] = marketWindow(id, from, to);
  const inWindow = (col: unknown) => sql`${col} >= ${num(lo)} AND ${col} < ${num(hi)}`;
  const slot = (col: unknown) => sql`${col} >= ${num(from)} AND ${col} < ${num(to)}`;
  const [memberRows, meterRows, marketRows, orderRows, traderRows, consumption, settled, props, now] =
    await Promise.all([
      rows<{ joined: number }>(sql`
      SELECT count(*)::int AS joined FROM ${members}
      WHERE ${members.communityId} = ${id} AND ${slot(members.joinedAt)}`),
      rows<{ kind: number; n: number; active: number }>(sql`
      SELECT ${meters.kind} AS kind, count(*)::int AS n, (count(*) FILTER (WHERE ${meters.active}))::int AS active
      FROM ${meters} WHERE ${meters.communityId} = ${id} GROUP BY ${meters.kind}`),
      rows<Record<string, string | number | null>>(sql`
      SELECT count(*)::int AS markets, (count(*) FILTER (WHERE ${markets.tradedWh} > 0))::int AS traded,
        coalesce(sum(${markets.trades}), 0)::int AS trades, sum(${markets.tradedWh})::text AS wh,
        sum(${markets.tradedValue})::text AS v, sum(${markets.refundPool})::text AS pool,
        sum(${markets.swept})::text AS swept
      FROM ${markets} WHERE ${markets.communityId} = ${id} AND ${slot(markets.slotStart)}`),
      rows<Record<string, string | null>>(sql`
      SELECT sum(${orders.amountWh})::text AS resting, sum(${orders.filledWh})::text AS filled
      FROM ${orders} WHERE ${inWindow(orders.marketId)}`),
      rows<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM (
        SELECT ${trades.taker} AS a FROM ${trades}
        WHERE ${inWindow(trades.marketId)}
        UNION
        SELECT ${makerFills.maker} FROM ${makerFills}
        WHERE ${inWindow(makerFills.marketId)}
      ) t`),
      rows<Record<string, string | number | null>>(sql`
      SELECT count(*)::int AS n, sum(${reports.importedWh})::text AS imported, sum(${reports.exportedWh})::text AS exported
      FROM ${reports} JOIN ${meters} ON ${meters.id} = ${reports.meterId}
      WHERE ${meters.communityId} = ${id} AND ${slot(reports.slotStart)}`),
      rows<Record<string, string | number | null>>(sql`
      SELECT (count(*) FILTER (WHERE ${sales.settled}))::int AS settled,
        (sum(${sales.soldWh}) FILTER (WHERE ${sales.settled} AND ${sales.reported}))::text AS reported_sold,
        (sum(${sales.soldWh}) FILTER (WHERE ${sales.settled} AND NOT ${sales.reported}))::text AS unreported_sold,
        (sum(${sales.deliveredWh}) FILTER (WHERE ${sales.reported}))::text AS delivered,
        sum(${sales.payout})::text AS payout, sum(${sales.fee})::text AS fee, sum(${sales.bondSlashed})::text AS slashed
      FROM ${sales}
      WHERE ${inWindow(sales.marketId)}`),
      db.select().from(proposals).where(eq(proposals.communityId, id)),
      indexedNow(),
    ]);
  const m = marketRows[0] ?? {};
  const tradedWh = big(m.wh as string | null);
  const tradedValue = big(m.v as string | null);
  const importedWh = big(consumption[0]?.imported as string | null);
  const s = settled[0] ?? {};
  const deliveredWh = big(s.delivered as string | null);
  const reportedSoldWh = big(s.reported_sold as string | null);
  const grace = governorGracePeriod();
  const states = props.map((p) => proposalState(p, now, grace));
  const count = (st: string) => states.filter((x) => x === st).length;
  const kind = (k: (typeof KINDS)[number]) => meterRows.find((r) => r.kind === KINDS.indexOf(k))?.n ?? 0;
  const body: CommunityAnalytics<bigint> = {
    communityId: id,
    name: comm.name,
    from,
    to: q.to ?? null,
    now,
    members: comm.members,
    newMembers: memberRows[0]?.joined ?? 0,
    admissionRequired: comm.admissionRequired,
    meters: {
      meters: comm.meters,
      activeMeters: meterRows.reduce((a, r) => a + r.active, 0),
      producer: kind("producer"),
      consumer: kind("consumer"),
      prosumer: kind("prosumer"),
      storage: kind("storage"),
    },
    market: {
      markets: Number(m.markets ?? 0),
      marketsTraded: Number(m.traded ?? 0),
      trades: Number(m.trades ?? 0),
      traders: traderRows[0]?.n ?? 0,
      tradedWh,
      tradedValue,
      vwap: perKwh(tradedValue, tradedWh),
      fillRate: ratio(big(orderRows[0]?.filled), big(orderRows[0]?.resting)),
    },
    energy: {
      reports: Number(consumption[0]?.n ?? 0),
      importedWh,
      exportedWh: big(consumption[0]?.exported as string | null),
      tradedWh,
      deliveredWh,
      selfSufficiency: ratio(tradedWh, importedWh),
      deliveredSelfSufficiency: ratio(deliveredWh, importedWh),
    },
    settlement: {
      salesSettled: Number(s.settled ?? 0),
      reportedSoldWh,
      unreportedSoldWh: big(s.unreported_sold as string | null),
      deliveredWh,
      deliveryRate: ratio(deliveredWh, reportedSoldWh),
      payout: big(s.payout as string | null),
      fees: big(s.fee as string | null),
      bondSlashed: big(s.slashed as string | null),
      refundPool: big(m.pool as string | null),
    },
    treasury: {
      balance: comm.treasuryBalance,
      feesIn: comm.feesIn,
      sweptIn: comm.sweptIn,
      paidOut: comm.paidOut,
      // The window's share: fees of the settled sales and dust swept from its markets.
      period: { fees: big(s.fee as string | null), swept: big(m.swept as string | null) },
    },
    proposals: {
      proposals: props.length,
      pending: count("Pending"),
      active: count("Active"),
      succeeded: count("Succeeded"),
      queued: count("Queued"),
      executed: count("Executed"),
      defeated: count("Defeated"),
      canceled: count("Canceled"),
      expired: count("Expired"),
      executedAmount: props.filter((p) => p.executed).reduce((a, p) => a + p.amount, 0n),
    },
  };
  return summary(c, q.format, `community-${id}`, body);
}

/**
 * GET /analytics/communities/:id/trades?from=&to= — every trade of the community's markets whose
 * delivery slot is in [from, to), in chain order (keyset on the event id).
 */
export async function communityTrades(c: Context): Promise<Response> {
  const id = parse(communityIdSchema, c.req.param("id"));
  const q = parse(z.object({ ...rangeShape, ...formatShape, ...pageShape }), c.req.query());
  const { from, to } = range(q);
  const comm = await community(id);
  const [lo, hi] = marketWindow(id, from, to);
  const whole = q.from === undefined && q.to === undefined;
  return listing(c, q, {
    name: "trades",
    columns: [
      "id",
      "marketId",
      "slotStart",
      "timestamp",
      "blockNumber",
      "txHash",
      "taker",
      "takerSide",
      "takerMeterId",
      "tick",
      "price",
      "amountWh",
      "value",
    ] as const,
    meta: { communityId: id, tickSize: comm.tickSize, from, to: q.to ?? null },
    async fetch(cursor, limit) {
      if (cursor !== undefined && !/^[0-9A-Za-z:_-]{1,100}$/.test(cursor))
        throw new InvalidInput("cursor is not a cursor this route returned.");
      const rs = await rows<{
        id: string;
        market_id: string;
        ts: string;
        block: string;
        tx: string;
        taker: string;
        bid: boolean;
        meter: number;
        tick: number;
        price: string;
        wh: string;
        v: string;
      }>(sql`
        SELECT ${trades.id} AS id, ${trades.marketId}::text AS market_id, ${trades.timestamp}::text AS ts,
          ${trades.blockNumber}::text AS block, ${trades.txHash} AS tx, ${trades.taker} AS taker,
          ${trades.takerIsBid} AS bid, ${trades.takerMeterId} AS meter, ${trades.tick} AS tick,
          ${trades.price}::text AS price, ${trades.amountWh}::text AS wh, ${trades.value}::text AS v
        FROM ${trades}
        WHERE ${trades.communityId} = ${id}
          ${whole ? sql`` : sql`AND ${trades.marketId} >= ${num(lo)} AND ${trades.marketId} < ${num(hi)}`}
          ${cursor === undefined ? sql`` : sql`AND ${trades.id} > ${cursor}`}
        ORDER BY ${trades.id} LIMIT ${limit + 1}`);
      const more = rs.length > limit;
      const out = rs.slice(0, limit).map((r): TradeRow<bigint> => {
        const marketId = BigInt(r.market_id);
        return {
          id: r.id,
          marketId,
          slotStart: marketId & 0xffffffffffn,
          timestamp: BigInt(r.ts),
          blockNumber: BigInt(r.block),
          txHash: r.tx,
          taker: r.taker,
          takerSide: r.bid ? "buy" : "sell",
          takerMeterId: r.meter,
          tick: r.tick,
          price: BigInt(r.price),
          amountWh: BigInt(r.wh),
          value: BigInt(r.v),
        };
      });
      return { rows: out, next: more ? out[out.length - 1]!.id : undefined };
    },
  });
}
