/**
 * Entity ↔ table: every indexer table (indexer/ponder.schema.ts) and the subgraph entity that holds
 * the same rows, with the key that pairs them and the column ↔ field names where they differ.
 * Every column of every row is compared with its field (Bytes as lowercase hex, BigInt as bigint,
 * Int as number, a missing field as null); a row on one side only is a difference too.
 * Fields the tables do not have (the entities' relations, Community.halted/reputationBonds, …) are
 * listed in ENTITY_ONLY_FIELDS and not compared; entities with no table (AdminEvent, OracleSigner,
 * SellerBond, TradePoint and the aggregations) are compared with trades/candles in parity.test.ts.
 */
import type { EntityData, EntityStore } from "../host/store.ts";
import { plain } from "../host/store.ts";

export type Row = Record<string, unknown>;

export interface TablePairing {
  table: string;
  entity: string;
  /** The subgraph id of a table row. */
  key: (row: Row, ctx: KeyContext) => string;
  /** table column → entity field, where the names differ. */
  rename?: Record<string, string>;
  /** Columns whose value is a different key on the subgraph side (e.g. Ponder's event ids). */
  translate?: Record<string, (value: unknown, ctx: KeyContext) => unknown>;
  /** Entities keyed by something other than their id (Upkeep: Ponder's ids are its own). */
  entityKey?: (e: Row) => string;
}

export interface KeyContext {
  /** Ponder trade id → subgraph Trade id (txHash-logIndex). */
  tradeIds: Map<string, string>;
}

const lower = (v: unknown) => String(v).toLowerCase();

export const PAIRINGS: TablePairing[] = [
  { table: "communities", entity: "Community", key: (r) => String(r.id) },
  { table: "members", entity: "Member", key: (r) => `${r.communityId}-${lower(r.account)}` },
  { table: "meters", entity: "Meter", key: (r) => String(r.id) },
  { table: "markets", entity: "Market", key: (r) => String(r.id) },
  { table: "orders", entity: "Order", key: (r) => String(r.id) },
  {
    table: "trades",
    entity: "Trade",
    key: (r) => `${lower(r.txHash)}-${r.logIndex}`,
    translate: { id: (v, ctx) => ctx.tradeIds.get(String(v)) },
  },
  {
    table: "maker_fills",
    entity: "MakerFill",
    key: (r, ctx) => {
      const [trade, idx] = String(r.id).split(":");
      return `${ctx.tradeIds.get(trade!)}:${idx}`;
    },
    rename: { tradeId: "trade" },
    translate: {
      id: (v, ctx) => {
        const [trade, idx] = String(v).split(":");
        return `${ctx.tradeIds.get(trade!)}:${idx}`;
      },
      tradeId: (v, ctx) => ctx.tradeIds.get(String(v)),
    },
  },
  {
    table: "book_levels",
    entity: "BookLevel",
    key: (r) => `${r.marketId}-${r.isBid ? 1 : 0}-${r.tick}`,
  },
  { table: "candles", entity: "Candle", key: (r) => `${r.marketId}-${r.interval}-${r.bucketStart}` },
  { table: "balances", entity: "Balance", key: (r) => lower(r.account) },
  { table: "positions", entity: "Position", key: (r) => `${r.marketId}-${lower(r.buyer)}` },
  { table: "sales", entity: "Sale", key: (r) => `${r.marketId}-${r.meterId}` },
  { table: "reports", entity: "Report", key: (r) => `${r.meterId}-${r.slotStart}` },
  { table: "silences", entity: "Silence", key: (r) => `${r.meterId}-${r.slotStart}` },
  { table: "refund_claims", entity: "RefundClaim", key: (r) => `${r.marketId}-${lower(r.buyer)}` },
  { table: "reputation", entity: "Reputation", key: (r) => lower(r.seller) },
  { table: "proposals", entity: "Proposal", key: (r) => String(r.id) },
  { table: "votes", entity: "Vote", key: (r) => `${r.proposalId}-${lower(r.voter)}` },
  {
    table: "upkeeps",
    entity: "Upkeep",
    key: (r) => `${r.marketId}@${r.timestamp}x${r.sellers}`,
    entityKey: (e) => `${e.marketId}@${e.timestamp}x${e.sellers}`,
    translate: { id: () => undefined },
  },
];

/** Subgraph fields with no column (not compared). */
export const ENTITY_ONLY_FIELDS: Record<string, string[]> = {
  Community: ["halted", "reputationBonds"],
  Member: ["community"],
  Meter: ["community"],
  Market: ["community"],
  Order: ["market"],
  Trade: ["market"],
  MakerFill: ["order"],
  BookLevel: ["market"],
  Candle: ["market"],
  Position: ["market"],
  Sale: ["market"],
  Report: ["meter"],
  Silence: ["meter"],
  RefundClaim: ["market"],
  Proposal: ["community"],
  Vote: ["proposal"],
};

export interface Difference {
  table: string;
  key: string;
  field: string;
  ponder: unknown;
  subgraph: unknown;
}

export interface Comparison {
  /** Rows compared per table. */
  rows: Record<string, number>;
  entitiesCompared: number;
  fieldsCompared: number;
  differences: Difference[];
}

/** A value as both sides can be compared: hex lowercase, integers as bigint, absent as null. */
export function normal(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return BigInt(v);
  if (typeof v === "string" && /^0x[0-9a-fA-F]*$/.test(v)) return v.toLowerCase();
  return v;
}

export function compareTables(store: EntityStore, tables: Record<string, Row[]>): Comparison {
  const ctx: KeyContext = { tradeIds: new Map() };
  for (const t of tables.trades ?? []) ctx.tradeIds.set(String(t.id), `${lower(t.txHash)}-${t.logIndex}`);
  const out: Comparison = { rows: {}, entitiesCompared: 0, fieldsCompared: 0, differences: [] };
  for (const p of PAIRINGS) {
    const rows = tables[p.table];
    if (!rows) throw new Error(`no rows read for table ${p.table}`);
    const entities = new Map<string, Row>();
    for (const [id, e] of store.entities.get(p.entity) ?? new Map()) {
      const row: Row = {};
      for (const [k, v] of e) row[k] = plain(v);
      entities.set(p.entityKey ? p.entityKey(row) : id, row);
    }
    const seen = new Set<string>();
    for (const r of rows) {
      const key = p.key(r, ctx);
      seen.add(key);
      const e = entities.get(key);
      if (!e) {
        out.differences.push({ table: p.table, key, field: "(row)", ponder: "present", subgraph: "missing" });
        continue;
      }
      out.entitiesCompared++;
      for (const [col, value] of Object.entries(r)) {
        const field = p.rename?.[col] ?? col;
        const want = p.translate?.[col] ? p.translate[col]!(value, ctx) : value;
        if (want === undefined && p.translate?.[col]) continue; // nothing to compare (Ponder-internal id)
        out.fieldsCompared++;
        // ID fields are strings in the subgraph, integers in some tables.
        const a = field === "id" ? String(want) : normal(want);
        const b = field === "id" ? String(e[field]) : normal(e[field]);
        if (a !== b && !(a instanceof Uint8Array))
          out.differences.push({ table: p.table, key, field, ponder: a, subgraph: b });
      }
    }
    for (const key of entities.keys())
      if (!seen.has(key))
        out.differences.push({ table: p.table, key, field: "(row)", ponder: "missing", subgraph: "present" });
    out.rows[p.table] = rows.length;
  }
  return out;
}

/**
 * The timeseries and its rollups against the tables: TradePoint n is the n-th trade in chain order
 * (market, community, amountWh, value, tick, block time in µs); every MarketStats row of an hour or
 * a day equals the indexer's candle of that market, interval and bucket, and every CommunityStats
 * row the sums of that community's trades in the bucket. Buckets graph-node has not rolled up yet
 * (the last, unfinished ones) are counted in `pending`.
 */
export function compareTimeseries(
  store: EntityStore,
  rollups: Map<string, EntityData[]>,
  tables: Record<string, Row[]>,
): Comparison & { pending: number } {
  const out = {
    rows: {} as Record<string, number>,
    entitiesCompared: 0,
    fieldsCompared: 0,
    differences: [] as Difference[],
    pending: 0,
  };
  const diff = (table: string, key: string, field: string, ponder: unknown, subgraph: unknown) => {
    out.fieldsCompared++;
    if (normal(ponder) !== normal(subgraph))
      out.differences.push({ table, key, field, ponder: normal(ponder), subgraph: normal(subgraph) });
  };
  const trades = [...tables.trades!].sort((a, b) =>
    a.blockNumber === b.blockNumber
      ? Number(a.logIndex) - Number(b.logIndex)
      : (a.blockNumber as bigint) < (b.blockNumber as bigint)
        ? -1
        : 1,
  );
  const points = store.entities.get("TradePoint") ?? new Map();
  trades.forEach((t, i) => {
    const key = String(i + 1);
    const p = points.get(key);
    if (!p)
      return out.differences.push({
        table: "trades→TradePoint",
        key,
        field: "(row)",
        ponder: "present",
        subgraph: "missing",
      });
    out.entitiesCompared++;
    const v = (f: string) => plain(p.get(f)!);
    diff("trades→TradePoint", key, "market", String(t.marketId), v("market"));
    diff("trades→TradePoint", key, "community", String(t.communityId), v("community"));
    diff("trades→TradePoint", key, "amountWh", t.amountWh, v("amountWh"));
    diff("trades→TradePoint", key, "value", t.value, v("value"));
    diff("trades→TradePoint", key, "tick", t.tick, v("tick"));
    diff("trades→TradePoint", key, "timestamp", (t.timestamp as bigint) * 1_000_000n, v("timestamp"));
  });
  if (points.size !== trades.length)
    out.differences.push({
      table: "trades→TradePoint",
      key: "*",
      field: "(count)",
      ponder: BigInt(trades.length),
      subgraph: BigInt(points.size),
    });
  out.rows.TradePoint = points.size;

  const SECONDS: Record<string, bigint> = { hour: 3600n, day: 86400n };
  const candles = new Map(tables.candles!.map((c) => [`${c.marketId}-${c.interval}-${c.bucketStart}`, c]));
  for (const interval of ["hour", "day"]) {
    const rows = rollups.get(`MarketStats_${interval}`) ?? [];
    const seen = new Set<string>();
    for (const r of rows) {
      const start = (r.get("timestamp")!.value as bigint) / 1_000_000n;
      const key = `${plain(r.get("market")!)}-${SECONDS[interval]}-${start}`;
      seen.add(key);
      const c = candles.get(key);
      if (!c) {
        out.differences.push({
          table: `candles→MarketStats_${interval}`,
          key,
          field: "(row)",
          ponder: "missing",
          subgraph: "present",
        });
        continue;
      }
      out.entitiesCompared++;
      for (const f of ["volumeWh", "value", "trades", "high", "low", "open", "close"])
        diff(`candles→MarketStats_${interval}`, key, f, c[f], plain(r.get(f)!));
    }
    // Every candle of a finished bucket has its row; later ones are pending.
    for (const [key, c] of candles) {
      if (BigInt(c.interval as number) !== SECONDS[interval] || seen.has(key)) continue;
      out.pending++;
      const lastBlockTime = trades.length ? (trades[trades.length - 1]!.timestamp as bigint) : 0n;
      if ((c.bucketStart as bigint) + SECONDS[interval]! <= lastBlockTime)
        out.differences.push({
          table: `candles→MarketStats_${interval}`,
          key,
          field: "(row)",
          ponder: "present",
          subgraph: "missing",
        });
    }
    out.rows[`MarketStats_${interval}`] = rows.length;

    const sums = new Map<string, { volumeWh: bigint; value: bigint; trades: bigint }>();
    for (const t of trades) {
      const start = ((t.timestamp as bigint) / SECONDS[interval]!) * SECONDS[interval]!;
      const key = `${t.communityId}-${start}`;
      const s = sums.get(key) ?? { volumeWh: 0n, value: 0n, trades: 0n };
      s.volumeWh += t.amountWh as bigint;
      s.value += t.value as bigint;
      s.trades += 1n;
      sums.set(key, s);
    }
    for (const r of rollups.get(`CommunityStats_${interval}`) ?? []) {
      const key = `${plain(r.get("community")!)}-${(r.get("timestamp")!.value as bigint) / 1_000_000n}`;
      const s = sums.get(key);
      if (!s) {
        out.differences.push({
          table: `trades→CommunityStats_${interval}`,
          key,
          field: "(row)",
          ponder: "missing",
          subgraph: "present",
        });
        continue;
      }
      out.entitiesCompared++;
      for (const f of ["volumeWh", "value", "trades"] as const)
        diff(`trades→CommunityStats_${interval}`, key, f, s[f], plain(r.get(f)!));
    }
    out.rows[`CommunityStats_${interval}`] = rollups.get(`CommunityStats_${interval}`)?.length ?? 0;
  }
  return out;
}
