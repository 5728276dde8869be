/** Platform analytics: communities, members, meters, markets, trading, settlement and money totals. */
import schema from "ponder:schema";
import { sql } from "ponder";
import type { Context } from "hono";
import { z } from "zod";
import { listing, summary } from "./csv.ts";
import { big, perKwh, ratio, rows } from "./sql.ts";
import { formatShape, intCursor, pageShape, parse } from "./validation.ts";
import { indexedNow } from "../state.ts";

import type { PlatformAnalytics, PlatformCommunityRow } from "../../../analytics-types.ts";

const {
  balances,
  communities,
  makerFills,
  markets,
  members,
  meters,
  orders,
  proposals,
  reports,
  sales,
  trades,
} = schema;

/** GET /analytics/platform — all-time totals. */
export async function platform(c: Context): Promise<Response> {
  const q = parse(z.object(formatShape), c.req.query());
  type R = Record<string, string | number | null>;
  const one = async (s: ReturnType<typeof sql>) => (await rows<R>(s))[0] ?? {};
  const [comm, mem, met, mkt, ord, trd, rep, sal, bal, prop, now] = await Promise.all([
    one(sql`SELECT count(*)::int AS n, sum(${communities.treasuryBalance})::text AS treasury,
      sum(${communities.feesIn})::text AS fees, sum(${communities.sweptIn})::text AS swept,
      sum(${communities.paidOut})::text AS paid FROM ${communities}`),
    one(sql`SELECT count(*)::int AS n, count(DISTINCT ${members.account})::int AS accounts FROM ${members}`),
    one(sql`SELECT count(*)::int AS n, (count(*) FILTER (WHERE ${meters.active}))::int AS active,
      (count(*) FILTER (WHERE ${meters.kind} = 0))::int AS producer, (count(*) FILTER (WHERE ${meters.kind} = 1))::int AS consumer,
      (count(*) FILTER (WHERE ${meters.kind} = 2))::int AS prosumer, (count(*) FILTER (WHERE ${meters.kind} = 3))::int AS storage
      FROM ${meters}`),
    one(sql`SELECT count(*)::int AS n, (count(*) FILTER (WHERE ${markets.tradedWh} > 0))::int AS traded,
      coalesce(sum(${markets.trades}), 0)::int AS trades, sum(${markets.tradedWh})::text AS wh,
      sum(${markets.tradedValue})::text AS v FROM ${markets}`),
    one(
      sql`SELECT count(*)::int AS n, sum(${orders.amountWh})::text AS resting, sum(${orders.filledWh})::text AS filled FROM ${orders}`,
    ),
    one(
      sql`SELECT count(*)::int AS n FROM (SELECT ${trades.taker} FROM ${trades} UNION SELECT ${makerFills.maker} FROM ${makerFills}) t`,
    ),
    one(
      sql`SELECT count(*)::int AS n, sum(${reports.importedWh})::text AS imported, sum(${reports.exportedWh})::text AS exported FROM ${reports}`,
    ),
    one(sql`SELECT (count(*) FILTER (WHERE ${sales.settled}))::int AS settled,
      (sum(${sales.soldWh}) FILTER (WHERE ${sales.settled} AND ${sales.reported}))::text AS reported_sold,
      (sum(${sales.deliveredWh}) FILTER (WHERE ${sales.reported}))::text AS delivered,
      sum(${sales.payout})::text AS payout, sum(${sales.bondSlashed})::text AS slashed FROM ${sales}`),
    one(sql`SELECT count(*)::int AS n, sum(${balances.deposited})::text AS deposited, sum(${balances.withdrawn})::text AS withdrawn,
      sum(${balances.free})::text AS free, sum(${balances.locked})::text AS locked FROM ${balances}`),
    one(sql`SELECT count(*)::int AS n, (count(*) FILTER (WHERE ${proposals.executed}))::int AS executed,
      coalesce(sum(${proposals.amount}) FILTER (WHERE ${proposals.executed}), 0)::text AS executed_amount FROM ${proposals}`),
    indexedNow(),
  ]);
  const s = (v: unknown) => big(v as string | null);
  const tradedWh = s(mkt.wh);
  const tradedValue = s(mkt.v);
  const delivered = s(sal.delivered);
  const body: PlatformAnalytics<bigint> = {
    now,
    communities: Number(comm.n ?? 0),
    members: Number(mem.n ?? 0),
    memberAccounts: Number(mem.accounts ?? 0),
    meters: {
      meters: Number(met.n ?? 0),
      activeMeters: Number(met.active ?? 0),
      producer: Number(met.producer ?? 0),
      consumer: Number(met.consumer ?? 0),
      prosumer: Number(met.prosumer ?? 0),
      storage: Number(met.storage ?? 0),
    },
    market: {
      markets: Number(mkt.n ?? 0),
      marketsTraded: Number(mkt.traded ?? 0),
      orders: Number(ord.n ?? 0),
      trades: Number(mkt.trades ?? 0),
      traders: Number(trd.n ?? 0),
      tradedWh,
      tradedValue,
      vwap: perKwh(tradedValue, tradedWh),
      fillRate: ratio(s(ord.filled), s(ord.resting)),
    },
    energy: {
      reports: Number(rep.n ?? 0),
      importedWh: s(rep.imported),
      exportedWh: s(rep.exported),
      selfSufficiency: ratio(tradedWh, s(rep.imported)),
    },
    settlement: {
      salesSettled: Number(sal.settled ?? 0),
      reportedSoldWh: s(sal.reported_sold),
      deliveredWh: delivered,
      deliveryRate: ratio(delivered, s(sal.reported_sold)),
      payout: s(sal.payout),
      bondSlashed: s(sal.slashed),
    },
    money: {
      accounts: Number(bal.n ?? 0),
      deposited: s(bal.deposited),
      withdrawn: s(bal.withdrawn),
      free: s(bal.free),
      locked: s(bal.locked),
    },
    treasury: {
      balance: s(comm.treasury),
      feesIn: s(comm.fees),
      sweptIn: s(comm.swept),
      paidOut: s(comm.paid),
    },
    proposals: {
      proposals: Number(prop.n ?? 0),
      executed: Number(prop.executed ?? 0),
      executedAmount: s(prop.executed_amount),
    },
  };
  return summary(c, q.format, "platform", body);
}

/** GET /analytics/platform/communities — one row per community, by id. */
export async function platformCommunities(c: Context): Promise<Response> {
  const q = parse(z.object({ ...formatShape, ...pageShape }), c.req.query());
  return listing(c, q, {
    name: "communities",
    columns: [
      "communityId",
      "name",
      "createdAt",
      "members",
      "meters",
      "tickSize",
      "feeBps",
      "markets",
      "trades",
      "tradedWh",
      "tradedValue",
      "vwap",
      "treasuryBalance",
      "feesIn",
      "sweptIn",
      "paidOut",
    ] as const,
    async fetch(cursor, limit) {
      const after = Number(intCursor(cursor) ?? 0n);
      const rs = await rows<Record<string, string | number>>(sql`
        SELECT ${communities.id} AS id, ${communities.name} AS name, ${communities.createdAt}::text AS created,
          ${communities.members} AS members, ${communities.meters} AS meters, ${communities.tickSize}::text AS tick_size,
          ${communities.feeBps} AS fee_bps, ${communities.tradedWh}::text AS wh, ${communities.tradedValue}::text AS v,
          ${communities.treasuryBalance}::text AS treasury, ${communities.feesIn}::text AS fees,
          ${communities.sweptIn}::text AS swept, ${communities.paidOut}::text AS paid,
          (SELECT count(*) FROM ${markets} WHERE ${markets.communityId} = ${communities.id})::int AS markets,
          (SELECT coalesce(sum(${markets.trades}), 0) FROM ${markets} WHERE ${markets.communityId} = ${communities.id})::int AS trades
        FROM ${communities} WHERE ${communities.id} > ${after}
        ORDER BY ${communities.id} LIMIT ${limit + 1}`);
      const more = rs.length > limit;
      const out = rs.slice(0, limit).map((r): PlatformCommunityRow<bigint> => {
        const wh = big(r.wh as string);
        const v = big(r.v as string);
        return {
          communityId: Number(r.id),
          name: String(r.name),
          createdAt: big(r.created as string),
          members: Number(r.members),
          meters: Number(r.meters),
          tickSize: big(r.tick_size as string),
          feeBps: Number(r.fee_bps),
          markets: Number(r.markets),
          trades: Number(r.trades),
          tradedWh: wh,
          tradedValue: v,
          vwap: perKwh(v, wh),
          treasuryBalance: big(r.treasury as string),
          feesIn: big(r.fees as string),
          sweptIn: big(r.swept as string),
          paidOut: big(r.paid as string),
        };
      });
      return { rows: out, next: more ? String(out[out.length - 1]!.communityId) : undefined };
    },
  });
}
