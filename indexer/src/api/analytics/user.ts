/**
 * User analytics (by address): energy sold and bought, earnings and spend, delivery rate, average
 * prices against the community's VWAP, and savings against a retail tariff.
 *
 * Energy and money come from the trade legs (taker `trades` and `maker_fills`, final once a market's
 * gate passed, whether or not the maker claimed); settlement figures (payout, fee, delivery,
 * slashed bond) from the seller's settled `sales`; refunds from `positions`.
 */
import schema from "ponder:schema";
import { sql } from "ponder";
import type { SQL } from "drizzle-orm";
import type { Context } from "hono";
import { z } from "zod";
import { listing, summary } from "./csv.ts";
import { community } from "./community-lookup.ts";
import { num } from "./market.ts";
import { big, perKwh, ratio, rows } from "./sql.ts";
import {
  addressSchema,
  communityIdSchema,
  formatShape,
  intCursor,
  pageShape,
  parse,
  priceSchema,
  range,
  rangeShape,
  type Range,
} from "./validation.ts";

import type { UserAnalytics, UserFigures, UserMarketRow } from "../../../analytics-types.ts";

const { makerFills, markets, orders, positions, sales, trades } = schema;

/** Default retail tariff (what a household pays the grid), quote base units per kWh: 0.30 USDC. */
export const DEFAULT_RETAIL_TARIFF = BigInt(process.env.ANALYTICS_RETAIL_TARIFF ?? 300_000);
/** Default feed-in tariff (what the grid pays for exported energy): 0.08 USDC per kWh. */
export const DEFAULT_FEED_IN_TARIFF = BigInt(process.env.ANALYTICS_FEED_IN_TARIFF ?? 80_000);

const slotOf = (marketId: SQL) => sql`mod(${marketId}, 1099511627776)`;
const communityOf = (marketId: SQL) => sql`floor(${marketId} / 1099511627776)`;

interface Filter {
  account: `0x${string}`;
  communityId?: number;
  range: Range;
}

/** Every trade leg of the account: (community, market, bought?, Wh, value). */
function legs(f: Filter): SQL {
  const tSlot = slotOf(sql`${trades.marketId}`);
  return sql`
    SELECT ${trades.communityId} AS cid, ${trades.marketId} AS market_id, ${trades.takerIsBid} AS bought,
      ${trades.amountWh} AS wh, ${trades.value} AS v
    FROM ${trades}
    WHERE ${trades.taker} = ${f.account} AND ${tSlot} >= ${num(f.range.from)} AND ${tSlot} < ${num(f.range.to)}
      ${f.communityId === undefined ? sql`` : sql`AND ${trades.communityId} = ${f.communityId}`}
    UNION ALL
    SELECT ${orders.communityId}, ${orders.marketId}, ${orders.isBid}, ${makerFills.amountWh}, ${makerFills.value}
    FROM ${makerFills} JOIN ${orders} ON ${orders.id} = ${makerFills.orderId}
    WHERE ${makerFills.maker} = ${f.account} AND ${orders.slotStart} >= ${num(f.range.from)}
      AND ${orders.slotStart} < ${num(f.range.to)}
      ${f.communityId === undefined ? sql`` : sql`AND ${orders.communityId} = ${f.communityId}`}`;
}

type Sums = Record<string, string | null>;

/** Settlement of the account's sales, grouped by `key` (community or market). */
function salesBy(f: Filter, key: "community" | "market", markets?: [bigint, bigint]): SQL {
  const k = key === "community" ? communityOf(sql`${sales.marketId}`) : sql`${sales.marketId}`;
  const s = slotOf(sql`${sales.marketId}`);
  return sql`
    SELECT ${k}::text AS k,
      (count(*) FILTER (WHERE ${sales.settled}))::int AS settled,
      (count(*) FILTER (WHERE ${sales.reported}))::int AS reported,
      (sum(${sales.soldWh}) FILTER (WHERE ${sales.settled} AND ${sales.reported}))::text AS reported_sold,
      (sum(${sales.soldWh}) FILTER (WHERE ${sales.settled} AND NOT ${sales.reported}))::text AS unreported_sold,
      (sum(${sales.deliveredWh}) FILTER (WHERE ${sales.reported}))::text AS delivered,
      sum(${sales.payout})::text AS payout, sum(${sales.fee})::text AS fee,
      sum(${sales.bondSlashed})::text AS slashed
    FROM ${sales}
    WHERE ${sales.seller} = ${f.account} AND ${s} >= ${num(f.range.from)} AND ${s} < ${num(f.range.to)}
      ${f.communityId === undefined ? sql`` : sql`AND ${communityOf(sql`${sales.marketId}`)} = ${f.communityId}`}
      ${markets ? sql`AND ${sales.marketId} >= ${num(markets[0])} AND ${sales.marketId} <= ${num(markets[1])}` : sql``}
    GROUP BY 1`;
}

function refundsBy(f: Filter, key: "community" | "market", markets?: [bigint, bigint]): SQL {
  const k = key === "community" ? communityOf(sql`${positions.marketId}`) : sql`${positions.marketId}`;
  const s = slotOf(sql`${positions.marketId}`);
  return sql`
    SELECT ${k}::text AS k, sum(${positions.refunded})::text AS refunds
    FROM ${positions}
    WHERE ${positions.buyer} = ${f.account} AND ${s} >= ${num(f.range.from)} AND ${s} < ${num(f.range.to)}
      ${f.communityId === undefined ? sql`` : sql`AND ${communityOf(sql`${positions.marketId}`)} = ${f.communityId}`}
      ${markets ? sql`AND ${positions.marketId} >= ${num(markets[0])} AND ${positions.marketId} <= ${num(markets[1])}` : sql``}
    GROUP BY 1`;
}

interface Figures {
  trades: number;
  boughtWh: bigint;
  paid: bigint;
  refunds: bigint;
  soldWh: bigint;
  proceeds: bigint;
  payout: bigint;
  fees: bigint;
  bondSlashed: bigint;
  salesSettled: number;
  salesReported: number;
  reportedSoldWh: bigint;
  unreportedSoldWh: bigint;
  deliveredWh: bigint;
}

const ZERO: Figures = {
  trades: 0,
  boughtWh: 0n,
  paid: 0n,
  refunds: 0n,
  soldWh: 0n,
  proceeds: 0n,
  payout: 0n,
  fees: 0n,
  bondSlashed: 0n,
  salesSettled: 0,
  salesReported: 0,
  reportedSoldWh: 0n,
  unreportedSoldWh: 0n,
  deliveredWh: 0n,
};

const add = (a: Figures, b: Figures): Figures => {
  const out = { ...a } as Record<string, bigint | number>;
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] as never) + (v as never);
  return out as unknown as Figures;
};

function figures(leg: Sums | undefined, sale: Sums | undefined, refund: Sums | undefined): Figures {
  return {
    trades: Number(leg?.trades ?? 0),
    boughtWh: big(leg?.bought_wh),
    paid: big(leg?.paid),
    refunds: big(refund?.refunds),
    soldWh: big(leg?.sold_wh),
    proceeds: big(leg?.proceeds),
    payout: big(sale?.payout),
    fees: big(sale?.fee),
    bondSlashed: big(sale?.slashed),
    salesSettled: Number(sale?.settled ?? 0),
    salesReported: Number(sale?.reported ?? 0),
    reportedSoldWh: big(sale?.reported_sold),
    unreportedSoldWh: big(sale?.unreported_sold),
    deliveredWh: big(sale?.delivered),
  };
}

/** Derived figures: spend, earnings, delivery rate, prices, savings. */
function derive(
  f: Figures,
  tariff: bigint,
  feedInTariff: bigint,
  communityVwap: number | null,
): UserFigures<bigint> {
  const avgBuyPrice = perKwh(f.paid, f.boughtWh);
  const avgSellPrice = perKwh(f.proceeds, f.soldWh);
  const retailCost = (f.boughtWh * tariff) / 1000n;
  const netEarnings = f.payout - f.bondSlashed;
  const feedInValue = (f.deliveredWh * feedInTariff) / 1000n;
  const vs = (p: number | null) =>
    p === null || communityVwap === null || communityVwap === 0
      ? null
      : Math.round((p / communityVwap) * 1e6) / 1e6;
  return {
    ...f,
    netSpend: f.paid - f.refunds,
    netEarnings,
    deliveryRate: ratio(f.deliveredWh, f.reportedSoldWh),
    avgBuyPrice,
    avgSellPrice,
    communityVwap,
    buyPriceVsCommunity: vs(avgBuyPrice),
    sellPriceVsCommunity: vs(avgSellPrice),
    retailCost,
    savings: retailCost - f.paid,
    feedInValue,
    gainOverFeedIn: netEarnings - feedInValue,
  };
}

const LEG_SUMS = sql`
  count(*)::int AS trades,
  (sum(wh) FILTER (WHERE bought))::text AS bought_wh, (sum(v) FILTER (WHERE bought))::text AS paid,
  (sum(wh) FILTER (WHERE NOT bought))::text AS sold_wh, (sum(v) FILTER (WHERE NOT bought))::text AS proceeds`;

const userQuery = z.object({
  community: communityIdSchema.optional(),
  tariff: priceSchema("tariff").optional(),
  feedInTariff: priceSchema("feedInTariff").optional(),
  ...rangeShape,
  ...formatShape,
  ...pageShape,
});

async function filterOf(c: Context) {
  const account = parse(addressSchema, c.req.param("address"));
  const q = parse(userQuery, c.req.query());
  const r = range(q);
  if (q.community !== undefined) await community(q.community);
  const tariff = q.tariff ?? DEFAULT_RETAIL_TARIFF;
  const feedInTariff = q.feedInTariff ?? DEFAULT_FEED_IN_TARIFF;
  return { q, f: { account, communityId: q.community, range: r } as Filter, tariff, feedInTariff };
}

/**
 * GET /analytics/users/:address?community=&from=&to=&tariff=&feedInTariff= — the account's
 * figures over delivery slots in [from, to), in total and per community.
 */
export async function user(c: Context): Promise<Response> {
  const { q, f, tariff, feedInTariff } = await filterOf(c);
  const [legRows, saleRows, refundRows] = await Promise.all([
    rows<Sums & { k: string }>(sql`SELECT cid::text AS k, ${LEG_SUMS} FROM (${legs(f)}) l GROUP BY cid`),
    rows<Sums & { k: string }>(salesBy(f, "community")),
    rows<Sums & { k: string }>(refundsBy(f, "community")),
  ]);
  const ids = [...new Set([...legRows, ...saleRows, ...refundRows].map((r) => Number(r.k)))].sort(
    (a, b) => a - b,
  );
  const vwaps =
    ids.length === 0
      ? []
      : await rows<{ k: string; wh: string; v: string }>(sql`
          SELECT ${trades.communityId}::text AS k, sum(${trades.amountWh})::text AS wh, sum(${trades.value})::text AS v
          FROM ${trades}
          WHERE ${trades.communityId} IN (${sql.join(
            ids.map((i) => sql`${i}`),
            sql`, `,
          )})
            AND ${slotOf(sql`${trades.marketId}`)} >= ${num(f.range.from)}
            AND ${slotOf(sql`${trades.marketId}`)} < ${num(f.range.to)}
          GROUP BY 1`);
  let total = ZERO;
  let communityWh = 0n;
  let communityValue = 0n;
  const byCommunity = ids.map((id) => {
    const k = String(id);
    const fig = figures(
      legRows.find((r) => r.k === k),
      saleRows.find((r) => r.k === k),
      refundRows.find((r) => r.k === k),
    );
    total = add(total, fig);
    const v = vwaps.find((r) => r.k === k);
    communityWh += big(v?.wh);
    communityValue += big(v?.v);
    return { communityId: id, ...derive(fig, tariff, feedInTariff, perKwh(big(v?.v), big(v?.wh))) };
  });
  const body: UserAnalytics<bigint> = {
    account: f.account,
    communityId: f.communityId ?? null,
    from: f.range.from,
    to: q.to ?? null,
    tariff,
    feedInTariff,
    // Over several communities the reference price is their trades' joint VWAP.
    ...derive(total, tariff, feedInTariff, perKwh(communityValue, communityWh)),
    byCommunity,
  };
  return summary(c, q.format, `user-${f.account}`, body);
}

/** GET /analytics/users/:address/markets — the same figures per market, by market id. */
export async function userMarkets(c: Context): Promise<Response> {
  const { q, f, tariff, feedInTariff } = await filterOf(c);
  return listing(c, q, {
    name: "markets",
    columns: [
      "marketId",
      "communityId",
      "slotStart",
      "trades",
      "boughtWh",
      "paid",
      "refunds",
      "netSpend",
      "avgBuyPrice",
      "communityVwap",
      "soldWh",
      "proceeds",
      "payout",
      "fees",
      "bondSlashed",
      "netEarnings",
      "reportedSoldWh",
      "unreportedSoldWh",
      "deliveredWh",
      "deliveryRate",
      "avgSellPrice",
      "savings",
    ] as const,
    meta: {
      account: f.account,
      communityId: f.communityId ?? null,
      from: f.range.from,
      to: q.to ?? null,
      tariff,
      feedInTariff,
    },
    async fetch(cursor, limit) {
      const after = intCursor(cursor) ?? -1n;
      const legRows = await rows<Sums & { k: string }>(sql`
        SELECT market_id::text AS k, ${LEG_SUMS} FROM (${legs(f)}) l
        WHERE market_id > ${num(after)} GROUP BY market_id ORDER BY market_id LIMIT ${limit + 1}`);
      const more = legRows.length > limit;
      const page = legRows.slice(0, limit);
      if (page.length === 0) return { rows: [] };
      const span: [bigint, bigint] = [BigInt(page[0]!.k), BigInt(page[page.length - 1]!.k)];
      const [saleRows, refundRows, marketRows] = await Promise.all([
        rows<Sums & { k: string }>(salesBy(f, "market", span)),
        rows<Sums & { k: string }>(refundsBy(f, "market", span)),
        rows<{ k: string; wh: string; v: string }>(sql`
          SELECT ${markets.id}::text AS k, ${markets.tradedWh}::text AS wh, ${markets.tradedValue}::text AS v
          FROM ${markets} WHERE ${markets.id} IN (${sql.join(
            page.map((l) => num(BigInt(l.k))),
            sql`, `,
          )})`),
      ]);
      const out = page.map((l): UserMarketRow<bigint> => {
        const id = BigInt(l.k);
        const d = derive(
          figures(
            l,
            saleRows.find((r) => r.k === l.k),
            refundRows.find((r) => r.k === l.k),
          ),
          tariff,
          feedInTariff,
          ((m) => (m ? perKwh(big(m.v), big(m.wh)) : null))(marketRows.find((r) => r.k === l.k)),
        );
        return { marketId: id, communityId: Number(id >> 40n), slotStart: id & 0xffffffffffn, ...d };
      });
      return { rows: out, next: more ? page[page.length - 1]!.k : undefined };
    },
  });
}
