/**
 * HTTP API: Ponder's GraphQL (/graphql, also at /), SQL over HTTP (/sql/*, with live queries for
 * @ponder/client) and REST routes for the dApp. Every REST input is validated (zod): a bad one
 * gets a 400 with `{ error, issues }`. Amounts are decimal strings (bigints).
 */
import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono, type Context } from "hono";
import { and, asc, client, desc, eq, gt, graphql, gte, lt, lte, sql } from "ponder";
import { z } from "zod";
import { decodeMarketId } from "../lib/ids.ts";
import analytics from "./analytics/index.ts";
import { indexedNow, proposalState } from "./state.ts";

const {
  balances,
  bookLevels,
  candles,
  communities,
  markets,
  meters,
  orders,
  positions,
  proposals,
  sales,
  trades,
} = schema;

const app = new Hono();

app.use("/sql/*", client({ db, schema }));
app.use("/graphql", graphql({ db, schema }));
app.use("/", graphql({ db, schema }));
app.route("/analytics", analytics);

// ---------------------------------------------------------------- helpers

const uint = (max: bigint, what: string) =>
  z
    .string()
    .trim()
    .regex(/^(0x[0-9a-fA-F]+|[0-9]+)$/, `${what} must be a decimal or 0x-hex integer`)
    .transform((s) => BigInt(s))
    .refine((v) => v <= max, `${what} is out of range`);

const marketIdSchema = uint((1n << 72n) - 1n, "marketId").refine(
  (v) => v >> 40n > 0n,
  "marketId must be communityId << 40 | slotStart with a non-zero community",
);
const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address")
  .transform((s) => s.toLowerCase() as `0x${string}`);
const limitSchema = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);

class BadRequest extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super("invalid request");
  }
}

function parse<T extends z.ZodTypeAny>(zschema: T, input: unknown): z.output<T> {
  const r = zschema.safeParse(input);
  if (!r.success) {
    throw new BadRequest(r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
  }
  return r.data;
}

/** JSON with bigints as decimal strings. */
function json(c: Context, data: unknown, status: 200 | 404 = 200): Response {
  const body = JSON.stringify(data, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return c.body(body, status, { "content-type": "application/json; charset=utf-8" });
}

app.onError((err, c) => {
  if (err instanceof BadRequest) return c.json({ error: "invalid request", issues: err.issues }, 400);
  console.error(err);
  return c.json({ error: "internal error" }, 500);
});

// ---------------------------------------------------------------- markets

/** GET /markets/:marketId/depth?levels=20 — resting size per price level, best first. */
app.get("/markets/:marketId/depth", async (c) => {
  const marketId = parse(marketIdSchema, c.req.param("marketId"));
  const { levels } = parse(z.object({ levels: limitSchema(20, 500) }), c.req.query());
  const market = await db.select().from(markets).where(eq(markets.id, marketId));
  const side = (isBid: boolean) =>
    db
      .select({
        tick: bookLevels.tick,
        available: bookLevels.available,
        queued: bookLevels.queued,
        taken: bookLevels.taken,
        cancelled: bookLevels.cancelled,
        orders: bookLevels.count,
      })
      .from(bookLevels)
      .where(
        and(eq(bookLevels.marketId, marketId), eq(bookLevels.isBid, isBid), gt(bookLevels.available, 0n)),
      )
      .orderBy(isBid ? desc(bookLevels.tick) : asc(bookLevels.tick))
      .limit(levels);
  const [bids, asks] = await Promise.all([side(true), side(false)]);
  const community = await db
    .select({ tickSize: communities.tickSize })
    .from(communities)
    .where(eq(communities.id, decodeMarketId(marketId).communityId));
  const tickSize = community[0]?.tickSize ?? 0n;
  const withPrice = <T extends { tick: number }>(l: T) => ({ ...l, price: BigInt(l.tick) * tickSize });
  return json(c, {
    marketId,
    ...decodeMarketId(marketId),
    gateAt: market[0]?.gateAt ?? null,
    bestBid: bids[0]?.tick ?? null,
    bestAsk: asks[0]?.tick ?? null,
    bids: bids.map(withPrice),
    asks: asks.map(withPrice),
  });
});

/** GET /markets/:marketId/trades?limit=50&beforeBlock=… — most recent first. */
app.get("/markets/:marketId/trades", async (c) => {
  const marketId = parse(marketIdSchema, c.req.param("marketId"));
  const q = parse(
    z.object({ limit: limitSchema(50, 1000), beforeBlock: uint(1n << 63n, "beforeBlock").optional() }),
    c.req.query(),
  );
  const rows = await db
    .select()
    .from(trades)
    .where(
      and(
        eq(trades.marketId, marketId),
        q.beforeBlock === undefined ? undefined : lt(trades.blockNumber, q.beforeBlock),
      ),
    )
    .orderBy(desc(trades.blockNumber), desc(trades.logIndex))
    .limit(q.limit);
  return json(c, { marketId, trades: rows });
});

/** GET /markets/:marketId/candles?interval=900|3600|86400&from=&to=&limit= — oldest first. */
app.get("/markets/:marketId/candles", async (c) => {
  const marketId = parse(marketIdSchema, c.req.param("marketId"));
  const q = parse(
    z.object({
      interval: z.enum(["900", "3600", "86400", "15m", "1h", "1d"]).default("3600"),
      from: uint(1n << 40n, "from").optional(),
      to: uint(1n << 40n, "to").optional(),
      limit: limitSchema(500, 5000),
    }),
    c.req.query(),
  );
  const interval = { "15m": 900, "1h": 3600, "1d": 86400 }[q.interval as string] ?? Number(q.interval);
  const rows = await db
    .select()
    .from(candles)
    .where(
      and(
        eq(candles.marketId, marketId),
        eq(candles.interval, interval),
        q.from === undefined ? undefined : gte(candles.bucketStart, q.from),
        q.to === undefined ? undefined : lte(candles.bucketStart, q.to),
      ),
    )
    .orderBy(desc(candles.bucketStart))
    .limit(q.limit);
  return json(c, { marketId, interval, candles: rows.reverse() });
});

// ---------------------------------------------------------------- accounts

/** GET /accounts/:address/orders?limit= — resting orders still open for matching (gate not passed). */
app.get("/accounts/:address/orders", async (c) => {
  const owner = parse(addressSchema, c.req.param("address"));
  const { limit } = parse(z.object({ limit: limitSchema(200, 5000) }), c.req.query());
  const now = await indexedNow();
  const rows = await db
    .select()
    .from(orders)
    .where(
      and(
        eq(orders.owner, owner),
        eq(orders.claimed, false),
        gt(orders.remainingWh, 0n),
        gt(orders.gateAt, now),
      ),
    )
    .orderBy(asc(orders.marketId), asc(orders.isBid), asc(orders.tick), asc(orders.queueIndex))
    .limit(limit);
  return json(c, { account: owner, now, orders: rows });
});

/**
 * GET /accounts/:address/claimables — what the account can collect: maker orders of closed markets
 * not yet claimed (with what a claim releases), and refunds of markets whose pool is final.
 */
app.get("/accounts/:address/claimables", async (c) => {
  const owner = parse(addressSchema, c.req.param("address"));
  const now = await indexedNow();
  const open = await db
    .select({
      order: orders,
      tickSize: communities.tickSize,
      bondPerWh: communities.bondPerWh,
    })
    .from(orders)
    .innerJoin(communities, eq(communities.id, orders.communityId))
    .where(and(eq(orders.owner, owner), eq(orders.claimed, false), lte(orders.gateAt, now)))
    .orderBy(asc(orders.marketId), asc(orders.isBid), asc(orders.tick), asc(orders.queueIndex));
  const orderClaims = open.map(({ order: o, tickSize, bondPerWh }) => {
    const price = BigInt(o.tick) * (tickSize / 1000n);
    const unfilled = o.amountWh - o.cancelledWh - o.filledWh;
    return {
      orderId: o.id,
      marketId: o.marketId,
      isBid: o.isBid,
      tick: o.tick,
      filledWh: o.filledWh,
      value: o.filledWh * price,
      releases: unfilled * (o.isBid ? price : bondPerWh),
    };
  });
  const refundRows = await db
    .select({ position: positions, market: markets })
    .from(positions)
    .innerJoin(markets, eq(markets.id, positions.marketId))
    .where(
      and(
        eq(positions.buyer, owner),
        eq(positions.refundClaimed, false),
        gt(positions.paid, 0n),
        eq(markets.refundPoolFinal, true),
      ),
    );
  const refunds = refundRows.map(({ position: p, market: m }) => ({
    marketId: p.marketId,
    paid: p.paid,
    refund: m.tradedValue === 0n ? 0n : (m.refundPool * p.paid) / m.tradedValue,
  }));
  const balance = await db.select().from(balances).where(eq(balances.account, owner));
  return json(c, {
    account: owner,
    now,
    balance: balance[0] ?? { account: owner, free: 0n, locked: 0n },
    orders: orderClaims,
    refunds,
  });
});

// ---------------------------------------------------------------- communities

/** GET /communities/:id — parameters, membership, meters, volume, treasury, markets, proposals. */
app.get("/communities/:id", async (c) => {
  const id = parse(z.coerce.number().int().min(1).max(0xffffffff), c.req.param("id"));
  const { markets: marketLimit } = parse(z.object({ markets: limitSchema(20, 500) }), c.req.query());
  const rows = await db.select().from(communities).where(eq(communities.id, id));
  const community = rows[0];
  if (!community) return json(c, { error: `community ${id} not found` }, 404);
  const now = await indexedNow();
  const [meterStats, recentMarkets, props, sellers] = await Promise.all([
    db
      .select({ active: meters.active, count: sql<number>`count(*)::int` })
      .from(meters)
      .where(eq(meters.communityId, id))
      .groupBy(meters.active),
    db
      .select()
      .from(markets)
      .where(eq(markets.communityId, id))
      .orderBy(desc(markets.slotStart))
      .limit(marketLimit),
    db.select().from(proposals).where(eq(proposals.communityId, id)).orderBy(desc(proposals.id)).limit(50),
    db
      .select({
        soldWh: sql<string>`coalesce(sum(${sales.soldWh}), 0)`,
        deliveredWh: sql<string>`coalesce(sum(${sales.deliveredWh}), 0)`,
      })
      .from(sales)
      .where(and(gte(sales.marketId, BigInt(id) << 40n), lt(sales.marketId, BigInt(id + 1) << 40n))),
  ]);
  const gracePeriod = process.env.GOVERNOR_GRACE_PERIOD
    ? BigInt(process.env.GOVERNOR_GRACE_PERIOD)
    : undefined;
  return json(c, {
    community,
    now,
    meters: {
      active: meterStats.find((m) => m.active)?.count ?? 0,
      inactive: meterStats.find((m) => !m.active)?.count ?? 0,
    },
    settled: sellers[0],
    markets: recentMarkets.map((m) => ({ ...m, open: m.opensAt <= now && now < m.gateAt })),
    proposals: props.map((p) => ({ ...p, state: proposalState(p, now, gracePeriod) })),
  });
});

export default app;
