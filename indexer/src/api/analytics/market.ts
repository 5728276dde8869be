/**
 * Market analytics: volume and VWAP per delivery slot and per day, the closing (or current) price
 * spread, depth over time, and the makers' fill rate.
 *
 * Definitions (docs/indexer.md, "Analytics"):
 * - VWAP = Σ trade value / Σ traded Wh, in quote base units per kWh.
 * - Spread = best ask − best bid of the resting book (the book at the gate once a market closed).
 * - Fill rate = filled / resting energy of the orders that rested in the book (per side and both);
 *   what a taker matched on entry never rested and is not in it.
 * - Depth at time t = what rested and was neither filled (by maker fills up to t) nor cancelled by t;
 *   zero from the gate on.
 */
import schema from "ponder:schema";
import { db } from "ponder:api";
import { eq, sql } from "ponder";
import type { SQL } from "drizzle-orm";
import type { Context } from "hono";
import { z } from "zod";
import { decodeMarketId } from "../../lib/ids.ts";
import { listing, summary, type Listing } from "./csv.ts";
import { big, marketWindow, perKwh, ratio, rows } from "./sql.ts";
import { community, type CommunityRow } from "./community-lookup.ts";
import {
  InvalidInput,
  communityIdSchema,
  formatShape,
  intCursor,
  marketIdSchema,
  pageShape,
  parse,
  range,
  rangeShape,
} from "./validation.ts";
import { indexedNow } from "../state.ts";
import type { DayRow, DepthSample, MarketAnalytics, SlotRow } from "../../../analytics-types.ts";

const { bookLevels, makerFills, markets, orders, trades } = schema;

/** A bigint as an SQL numeric literal parameter. */
export const num = (v: bigint): SQL => sql`${v.toString()}::numeric`;

interface SideStats {
  restingBidWh: bigint;
  filledBidWh: bigint;
  cancelledBidWh: bigint;
  restingAskWh: bigint;
  filledAskWh: bigint;
  cancelledAskWh: bigint;
}

const fillRates = (s: SideStats) => ({
  bidFillRate: ratio(s.filledBidWh, s.restingBidWh),
  askFillRate: ratio(s.filledAskWh, s.restingAskWh),
  fillRate: ratio(s.filledBidWh + s.filledAskWh, s.restingBidWh + s.restingAskWh),
});

const price = (tick: number | null | undefined, tickSize: bigint): bigint | null =>
  tick === null || tick === undefined ? null : BigInt(tick) * tickSize;

// ---------------------------------------------------------------- per-market statistics

interface MarketStatRow {
  id: string;
  slot_start: string;
  trades: number;
  traded_wh: string;
  traded_value: string;
  lo: number | null;
  hi: number | null;
  best_bid: number | null;
  best_ask: number | null;
  avail_bid: string | null;
  avail_ask: string | null;
  resting_bid: string | null;
  filled_bid: string | null;
  cancelled_bid: string | null;
  resting_ask: string | null;
  filled_ask: string | null;
  cancelled_ask: string | null;
}

/**
 * Statistics of the markets `page` selects (a statement returning `id`, `slot_start`, `trades`,
 * `traded_wh`, `traded_value`, ordered by slot), aggregated in the database.
 */
function marketStats(page: SQL): SQL {
  return sql`
    WITH page AS (${page}),
    px AS (
      SELECT ${trades.marketId} AS market_id, min(${trades.tick}) AS lo, max(${trades.tick}) AS hi
      FROM ${trades} WHERE ${trades.marketId} IN (SELECT id FROM page) GROUP BY ${trades.marketId}
    ),
    book AS (
      SELECT ${bookLevels.marketId} AS market_id,
        max(${bookLevels.tick}) FILTER (WHERE ${bookLevels.isBid}) AS best_bid,
        min(${bookLevels.tick}) FILTER (WHERE NOT ${bookLevels.isBid}) AS best_ask,
        sum(${bookLevels.available}) FILTER (WHERE ${bookLevels.isBid}) AS avail_bid,
        sum(${bookLevels.available}) FILTER (WHERE NOT ${bookLevels.isBid}) AS avail_ask
      FROM ${bookLevels}
      WHERE ${bookLevels.marketId} IN (SELECT id FROM page) AND ${bookLevels.available} > 0
      GROUP BY ${bookLevels.marketId}
    ),
    rest AS (
      SELECT ${orders.marketId} AS market_id,
        sum(${orders.amountWh}) FILTER (WHERE ${orders.isBid}) AS resting_bid,
        sum(${orders.filledWh}) FILTER (WHERE ${orders.isBid}) AS filled_bid,
        sum(${orders.cancelledWh}) FILTER (WHERE ${orders.isBid}) AS cancelled_bid,
        sum(${orders.amountWh}) FILTER (WHERE NOT ${orders.isBid}) AS resting_ask,
        sum(${orders.filledWh}) FILTER (WHERE NOT ${orders.isBid}) AS filled_ask,
        sum(${orders.cancelledWh}) FILTER (WHERE NOT ${orders.isBid}) AS cancelled_ask
      FROM ${orders} WHERE ${orders.marketId} IN (SELECT id FROM page) GROUP BY ${orders.marketId}
    )
    SELECT page.id::text AS id, page.slot_start::text AS slot_start, page.trades::int AS trades,
      page.traded_wh::text AS traded_wh, page.traded_value::text AS traded_value,
      px.lo, px.hi, book.best_bid, book.best_ask,
      book.avail_bid::text AS avail_bid, book.avail_ask::text AS avail_ask,
      rest.resting_bid::text AS resting_bid, rest.filled_bid::text AS filled_bid,
      rest.cancelled_bid::text AS cancelled_bid, rest.resting_ask::text AS resting_ask,
      rest.filled_ask::text AS filled_ask, rest.cancelled_ask::text AS cancelled_ask
    FROM page
      LEFT JOIN px ON px.market_id = page.id
      LEFT JOIN book ON book.market_id = page.id
      LEFT JOIN rest ON rest.market_id = page.id
    ORDER BY page.slot_start`;
}

function slotRow(r: MarketStatRow, tickSize: bigint): SlotRow<bigint> {
  const tradedWh = big(r.traded_wh);
  const tradedValue = big(r.traded_value);
  const sides: SideStats = {
    restingBidWh: big(r.resting_bid),
    filledBidWh: big(r.filled_bid),
    cancelledBidWh: big(r.cancelled_bid),
    restingAskWh: big(r.resting_ask),
    filledAskWh: big(r.filled_ask),
    cancelledAskWh: big(r.cancelled_ask),
  };
  const bestBid = price(r.best_bid, tickSize);
  const bestAsk = price(r.best_ask, tickSize);
  return {
    slotStart: big(r.slot_start),
    marketId: big(r.id),
    trades: r.trades,
    tradedWh,
    tradedValue,
    vwap: perKwh(tradedValue, tradedWh),
    low: price(r.lo, tickSize),
    high: price(r.hi, tickSize),
    bestBid,
    bestAsk,
    spread: bestBid !== null && bestAsk !== null ? bestAsk - bestBid : null,
    availableBidWh: big(r.avail_bid),
    availableAskWh: big(r.avail_ask),
    ...sides,
    ...fillRates(sides),
  };
}

const SLOT_COLUMNS = [
  "slotStart",
  "marketId",
  "trades",
  "tradedWh",
  "tradedValue",
  "vwap",
  "low",
  "high",
  "bestBid",
  "bestAsk",
  "spread",
  "availableBidWh",
  "availableAskWh",
  "restingBidWh",
  "filledBidWh",
  "cancelledBidWh",
  "restingAskWh",
  "filledAskWh",
  "cancelledAskWh",
  "bidFillRate",
  "askFillRate",
  "fillRate",
] as const;

const communityQuery = z.object({
  community: communityIdSchema,
  ...rangeShape,
  ...formatShape,
  ...pageShape,
});

/** GET /analytics/market/slots?community=&from=&to= — one row per delivery slot (market). */
export async function slots(c: Context): Promise<Response> {
  const q = parse(communityQuery, c.req.query());
  const { from, to } = range(q);
  const comm = await community(q.community);
  const l: Listing<ReturnType<typeof slotRow>> = {
    name: "slots",
    columns: SLOT_COLUMNS,
    meta: { communityId: comm.id, tickSize: comm.tickSize, from, to: q.to ?? null },
    async fetch(cursor, limit) {
      const after = intCursor(cursor) ?? -1n;
      const page = sql`
        SELECT ${markets.id} AS id, ${markets.slotStart} AS slot_start, ${markets.trades} AS trades,
          ${markets.tradedWh} AS traded_wh, ${markets.tradedValue} AS traded_value
        FROM ${markets}
        WHERE ${markets.communityId} = ${comm.id} AND ${markets.slotStart} >= ${num(from)}
          AND ${markets.slotStart} < ${num(to)} AND ${markets.slotStart} > ${num(after)}
        ORDER BY ${markets.slotStart} LIMIT ${limit + 1}`;
      const rs = await rows<MarketStatRow>(marketStats(page));
      const more = rs.length > limit;
      const out = rs.slice(0, limit).map((r) => slotRow(r, comm.tickSize));
      return { rows: out, next: more ? out[out.length - 1]!.slotStart.toString() : undefined };
    },
  };
  return listing(c, q, l);
}

// ---------------------------------------------------------------- per day

interface DayQueryRow {
  day: string;
  markets: number;
  markets_traded: number;
  trades: number;
  traded_wh: string;
  traded_value: string;
}

/** GET /analytics/market/days?community=&from=&to= — one row per UTC day of delivery. */
export async function days(c: Context): Promise<Response> {
  const q = parse(communityQuery, c.req.query());
  const { from, to } = range(q);
  const comm = await community(q.community);
  const day = (col: SQL) => sql`(floor(${col} / 86400) * 86400)`;
  const fetch = async (cursor: string | undefined, limit: number) => {
    const start = intCursor(cursor) ?? 0n;
    const lo = start > from ? start : from;
    const ds = await rows<DayQueryRow>(sql`
      SELECT ${day(sql`${markets.slotStart}`)}::text AS day, count(*)::int AS markets,
        (count(*) FILTER (WHERE ${markets.tradedWh} > 0))::int AS markets_traded,
        sum(${markets.trades})::int AS trades, sum(${markets.tradedWh})::text AS traded_wh,
        sum(${markets.tradedValue})::text AS traded_value
      FROM ${markets}
      WHERE ${markets.communityId} = ${comm.id} AND ${markets.slotStart} >= ${num(lo)}
        AND ${markets.slotStart} < ${num(to)}
      GROUP BY 1 ORDER BY 1 LIMIT ${limit + 1}`);
    const more = ds.length > limit;
    const page = ds.slice(0, limit);
    if (page.length === 0) return { rows: [] };
    const first = big(page[0]!.day);
    const last = big(page[page.length - 1]!.day) + 86400n;
    const pLo = first > lo ? first : lo;
    const pHi = last < to ? last : to;
    const slotOfTrade = sql`mod(${trades.marketId}, 1099511627776)`;
    const [wLo, wHi] = marketWindow(comm.id, pLo, pHi);
    const [px, fills] = await Promise.all([
      rows<{ day: string; lo: number; hi: number }>(sql`
        SELECT ${day(slotOfTrade)}::text AS day, min(${trades.tick}) AS lo, max(${trades.tick}) AS hi
        FROM ${trades}
        WHERE ${trades.marketId} >= ${num(wLo)} AND ${trades.marketId} < ${num(wHi)}
        GROUP BY 1`),
      rows<Record<string, string | null>>(sql`
        SELECT ${day(sql`${orders.slotStart}`)}::text AS day,
          sum(${orders.amountWh}) FILTER (WHERE ${orders.isBid})::text AS resting_bid,
          sum(${orders.filledWh}) FILTER (WHERE ${orders.isBid})::text AS filled_bid,
          sum(${orders.cancelledWh}) FILTER (WHERE ${orders.isBid})::text AS cancelled_bid,
          sum(${orders.amountWh}) FILTER (WHERE NOT ${orders.isBid})::text AS resting_ask,
          sum(${orders.filledWh}) FILTER (WHERE NOT ${orders.isBid})::text AS filled_ask,
          sum(${orders.cancelledWh}) FILTER (WHERE NOT ${orders.isBid})::text AS cancelled_ask
        FROM ${orders}
        WHERE ${orders.marketId} >= ${num(wLo)} AND ${orders.marketId} < ${num(wHi)}
        GROUP BY 1`),
    ]);
    const out = page.map((d): DayRow<bigint> => {
      const p = px.find((x) => x.day === d.day);
      const f = fills.find((x) => x.day === d.day) ?? {};
      const tradedWh = big(d.traded_wh);
      const tradedValue = big(d.traded_value);
      const sides: SideStats = {
        restingBidWh: big(f.resting_bid),
        filledBidWh: big(f.filled_bid),
        cancelledBidWh: big(f.cancelled_bid),
        restingAskWh: big(f.resting_ask),
        filledAskWh: big(f.filled_ask),
        cancelledAskWh: big(f.cancelled_ask),
      };
      return {
        day: big(d.day),
        markets: d.markets,
        marketsTraded: d.markets_traded,
        trades: d.trades,
        tradedWh,
        tradedValue,
        vwap: perKwh(tradedValue, tradedWh),
        low: price(p?.lo, comm.tickSize),
        high: price(p?.hi, comm.tickSize),
        ...sides,
        ...fillRates(sides),
      };
    });
    return { rows: out, next: more ? (out[out.length - 1]!.day + 86400n).toString() : undefined };
  };
  return listing(c, q, {
    name: "days",
    columns: [
      "day",
      "markets",
      "marketsTraded",
      "trades",
      "tradedWh",
      "tradedValue",
      "vwap",
      "low",
      "high",
      "restingBidWh",
      "filledBidWh",
      "cancelledBidWh",
      "restingAskWh",
      "filledAskWh",
      "cancelledAskWh",
      "bidFillRate",
      "askFillRate",
      "fillRate",
    ] as const,
    meta: { communityId: comm.id, tickSize: comm.tickSize, from, to: q.to ?? null },
    fetch,
  });
}

// ---------------------------------------------------------------- one market

async function marketRow(marketId: bigint): Promise<{ comm: CommunityRow; m: typeof markets.$inferSelect }> {
  const { communityId } = decodeMarketId(marketId);
  const comm = await community(communityId);
  const [row] = await db.select().from(markets).where(eq(markets.id, marketId));
  if (!row) throw new InvalidInput(`Market ${marketId} has no orders or trades.`);
  return { comm, m: row };
}

/** GET /analytics/market/:marketId — one market's volume, VWAP, spread, fill rate, settlement. */
export async function market(c: Context): Promise<Response> {
  const marketId = parse(marketIdSchema, c.req.param("marketId"));
  const q = parse(z.object(formatShape), c.req.query());
  const { comm, m } = await marketRow(marketId);
  const page = sql`
    SELECT ${markets.id} AS id, ${markets.slotStart} AS slot_start, ${markets.trades} AS trades,
      ${markets.tradedWh} AS traded_wh, ${markets.tradedValue} AS traded_value
    FROM ${markets} WHERE ${markets.id} = ${num(marketId)}`;
  const [r] = await rows<MarketStatRow>(marketStats(page));
  const [firstLast] = await rows<{ open: number | null; close: number | null; delivered: string | null }>(sql`
    SELECT
      (SELECT ${trades.tick} FROM ${trades} WHERE ${trades.marketId} = ${num(marketId)}
        ORDER BY ${trades.blockNumber}, ${trades.logIndex} LIMIT 1) AS open,
      (SELECT ${trades.tick} FROM ${trades} WHERE ${trades.marketId} = ${num(marketId)}
        ORDER BY ${trades.blockNumber} DESC, ${trades.logIndex} DESC LIMIT 1) AS close,
      (SELECT sum(${schema.sales.deliveredWh}) FROM ${schema.sales}
        WHERE ${schema.sales.marketId} = ${num(marketId)} AND ${schema.sales.reported})::text AS delivered`);
  const reported = await rows<{ sold: string | null }>(sql`
    SELECT sum(${schema.sales.soldWh})::text AS sold FROM ${schema.sales}
    WHERE ${schema.sales.marketId} = ${num(marketId)} AND ${schema.sales.settled} AND ${schema.sales.reported}`);
  const now = await indexedNow();
  const deliveredWh = big(firstLast?.delivered);
  const reportedSoldWh = big(reported[0]?.sold);
  const { slotStart: _s, marketId: _m, ...stats } = slotRow(r!, comm.tickSize);
  const body: MarketAnalytics<bigint> = {
    marketId,
    communityId: comm.id,
    slotStart: m.slotStart,
    opensAt: m.opensAt,
    gateAt: m.gateAt,
    now,
    status: now < m.opensAt ? "upcoming" : now < m.gateAt ? "open" : "closed",
    open: price(firstLast?.open, comm.tickSize),
    close: price(firstLast?.close, comm.tickSize),
    ...stats,
    settlement: {
      salesSettled: m.sellersSettled,
      settledSoldWh: m.settledSoldWh,
      reportedSoldWh,
      deliveredWh,
      deliveryRate: ratio(deliveredWh, reportedSoldWh),
      refundPool: m.refundPool,
      refundPoolFinal: m.refundPoolFinal,
    },
  };
  return summary(c, q.format, `market-${marketId}`, body);
}

// ---------------------------------------------------------------- depth over time

const MAX_SAMPLES = 5000;

/**
 * GET /analytics/market/:marketId/depth?step=900&from=&to= — resting energy per side, best bid and
 * ask and the spread at times from, from + step, … < to (default: the market's first order to its
 * gate, or now while it is open).
 */
export async function depth(c: Context): Promise<Response> {
  const marketId = parse(marketIdSchema, c.req.param("marketId"));
  const q = parse(
    z.object({
      step: z
        .string()
        .regex(/^[0-9]{1,7}$/, "step must be a whole number of seconds")
        .transform(BigInt)
        .refine((v) => v >= 1n && v <= 86400n * 7n, "step must be between 1 s and 7 days")
        .default("900"),
      ...rangeShape,
      ...formatShape,
      ...pageShape,
    }),
    c.req.query(),
  );
  const { comm, m } = await marketRow(marketId);
  const [first] = await rows<{ t: string | null }>(
    sql`SELECT min(${orders.placedAt})::text AS t FROM ${orders} WHERE ${orders.marketId} = ${num(marketId)}`,
  );
  const now = await indexedNow();
  const from = q.from ?? (first?.t ? big(first.t) : m.opensAt);
  const end = q.to ?? (now + 1n < m.gateAt ? now + 1n : m.gateAt);
  if (from >= end) throw new InvalidInput("The date range is empty: from must be before to.");
  if ((end - from) / q.step > BigInt(MAX_SAMPLES) * 100n)
    throw new InvalidInput(
      `The range holds too many samples at this step; at most ${MAX_SAMPLES * 100} are served.`,
    );
  const tickSize = comm.tickSize;
  const fetch = async (cursor: string | undefined, limit: number) => {
    const start = intCursor(cursor) ?? from;
    if (start < from || start >= end || (start - from) % q.step !== 0n)
      throw new InvalidInput("cursor is not a cursor this route returned.");
    const n = Math.min(limit, MAX_SAMPLES);
    let last = start + q.step * BigInt(n - 1);
    if (last >= end) last = end - 1n - ((end - 1n - start) % q.step);
    const rs = await rows<{
      t: string;
      bid_wh: string | null;
      ask_wh: string | null;
      best_bid: number | null;
      best_ask: number | null;
    }>(sql`
      WITH s AS (SELECT generate_series(${num(start)}, ${num(last)}, ${num(q.step)}) AS t),
      o AS (
        SELECT ${orders.id} AS id, ${orders.isBid} AS is_bid, ${orders.tick} AS tick,
          ${orders.amountWh} AS amount_wh, ${orders.placedAt} AS placed_at, ${orders.cancelledAt} AS cancelled_at
        FROM ${orders} WHERE ${orders.marketId} = ${num(marketId)}
      ),
      f AS (
        SELECT ${makerFills.orderId} AS order_id, ${makerFills.timestamp} AS ts, ${makerFills.amountWh} AS amount_wh
        FROM ${makerFills} WHERE ${makerFills.marketId} = ${num(marketId)}
      ),
      r AS (
        SELECT s.t, o.is_bid, o.tick, o.amount_wh - coalesce(sum(f.amount_wh), 0) AS rem
        FROM s
          JOIN o ON o.placed_at <= s.t AND (o.cancelled_at IS NULL OR o.cancelled_at > s.t)
            AND s.t < ${num(m.gateAt)}
          LEFT JOIN f ON f.order_id = o.id AND f.ts <= s.t
        GROUP BY s.t, o.id, o.is_bid, o.tick, o.amount_wh
      )
      SELECT s.t::text AS t,
        sum(r.rem) FILTER (WHERE r.is_bid AND r.rem > 0)::text AS bid_wh,
        sum(r.rem) FILTER (WHERE NOT r.is_bid AND r.rem > 0)::text AS ask_wh,
        max(r.tick) FILTER (WHERE r.is_bid AND r.rem > 0) AS best_bid,
        min(r.tick) FILTER (WHERE NOT r.is_bid AND r.rem > 0) AS best_ask
      FROM s LEFT JOIN r ON r.t = s.t
      GROUP BY s.t ORDER BY s.t`);
    const out = rs.map((r): DepthSample<bigint> => {
      const bestBid = price(r.best_bid, tickSize);
      const bestAsk = price(r.best_ask, tickSize);
      return {
        time: big(r.t),
        bidDepthWh: big(r.bid_wh),
        askDepthWh: big(r.ask_wh),
        bestBidTick: r.best_bid,
        bestAskTick: r.best_ask,
        bestBid,
        bestAsk,
        spread: bestBid !== null && bestAsk !== null ? bestAsk - bestBid : null,
      };
    });
    const next = last + q.step;
    return { rows: out, next: next < end ? next.toString() : undefined };
  };
  return listing(c, q, {
    name: "depth",
    columns: [
      "time",
      "bidDepthWh",
      "askDepthWh",
      "bestBidTick",
      "bestAskTick",
      "bestBid",
      "bestAsk",
      "spread",
    ] as const,
    meta: { marketId, communityId: comm.id, tickSize, gateAt: m.gateAt, from, to: end, step: q.step },
    fetch,
  });
}
