/**
 * Typed reads of the PowerShare indexer's HTTP API (Ponder: GraphQL at `/graphql`, indexing status at
 * `/status`) for clients that observe the market — the agents first: how far the indexer has indexed,
 * the books' levels, an account's open orders, a meter's reports, its sales' settlement results and a
 * buyer's positions.
 *
 * Every answer is validated before it is returned: a field of the wrong type, a negative or
 * fractional amount, a row of another meter or account, or an answer that is not JSON at all makes
 * the call throw `IndexerError` (never a half-parsed value). Callers fall back to the chain then.
 *
 * What gates money (balances, the state of an order before it is replaced) must still be read from
 * the chain: the indexer is a view that may lag behind it (decision 0042).
 */
import type { Address } from "viem";
import type { SettledSale } from "./reads/settlement.ts";

export class IndexerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IndexerError";
  }
}

export interface IndexerReadOptions {
  /** Per request, default 5000 ms. */
  timeoutMs?: number | undefined;
}

const base = (url: string) => url.replace(/\/$/, "");

async function getJson(url: string, timeoutMs: number, init?: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new IndexerError(
      `the indexer is unreachable (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const text = await res.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new IndexerError(`the indexer answered HTTP ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const errors = (body as { errors?: { message?: unknown }[] } | null)?.errors;
    const why = Array.isArray(errors) ? `: ${String(errors[0]?.message)}` : "";
    throw new IndexerError(`the indexer answered HTTP ${res.status}${why}`);
  }
  return body;
}

/** One GraphQL query; the `data` object, or an `IndexerError`. */
export async function indexerQuery(
  indexerUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  opts: IndexerReadOptions = {},
): Promise<Record<string, unknown>> {
  const body = (await getJson(`${base(indexerUrl)}/graphql`, opts.timeoutMs ?? 5_000, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  })) as { data?: unknown; errors?: { message?: unknown }[] } | null;
  if (body?.errors?.length)
    throw new IndexerError(`indexer GraphQL error: ${String(body.errors[0]?.message)}`);
  if (!body || typeof body.data !== "object" || body.data === null)
    throw new IndexerError("the indexer returned no data");
  return body.data as Record<string, unknown>;
}

// ---------------------------------------------------------------- strict field parsers

function bad(what: string, v: unknown): never {
  const shown = JSON.stringify(v);
  throw new IndexerError(
    `malformed indexer data: ${what} = ${shown === undefined ? String(v) : shown.slice(0, 80)}`,
  );
}

/** A non-negative integer (Ponder sends bigints as decimal strings). */
function uint(v: unknown, what: string): bigint {
  if (typeof v === "string" && /^[0-9]{1,78}$/.test(v)) return BigInt(v);
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  return bad(what, v);
}

function int32(v: unknown, what: string): number {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v <= 0xffffffff) return v;
  return bad(what, v);
}

function bool(v: unknown, what: string): boolean {
  if (typeof v === "boolean") return v;
  return bad(what, v);
}

function optUint(v: unknown, what: string): bigint | undefined {
  return v === null || v === undefined ? undefined : uint(v, what);
}

function address(v: unknown, what: string): Address {
  if (typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v)) return v.toLowerCase() as Address;
  return bad(what, v);
}

function items(data: Record<string, unknown>, field: string): Record<string, unknown>[] {
  const page = data[field] as { items?: unknown } | null | undefined;
  if (!page || !Array.isArray(page.items)) bad(`${field}.items`, page);
  for (const it of page.items) if (!it || typeof it !== "object") bad(`${field} row`, it);
  return page.items as Record<string, unknown>[];
}

const SLOT_MASK = (1n << 40n) - 1n;

// ---------------------------------------------------------------- status

export interface IndexerStatus {
  /** The latest indexed block. */
  block: bigint;
  /** Its timestamp (chain time, seconds). */
  timestamp: number;
}

/** How far the indexer has indexed (Ponder's `GET /status`; the first chain it indexes). */
export async function indexerStatus(
  indexerUrl: string,
  opts: IndexerReadOptions = {},
): Promise<IndexerStatus> {
  const body = await getJson(`${base(indexerUrl)}/status`, opts.timeoutMs ?? 5_000);
  if (!body || typeof body !== "object") bad("status", body);
  const first = Object.values(body as Record<string, unknown>)[0] as
    { block?: { number?: unknown; timestamp?: unknown } | null } | undefined;
  if (!first?.block) throw new IndexerError("the indexer has not indexed a block yet");
  return {
    block: uint(first.block.number, "status.block.number"),
    timestamp: Number(uint(first.block.timestamp, "status.block.timestamp")),
  };
}

// ---------------------------------------------------------------- books

export interface IndexedLevel {
  tick: number;
  availableWh: bigint;
}

export interface IndexedBook {
  marketId: bigint;
  /** Best first: bids highest tick first, asks lowest first; only levels with energy available. */
  bids: IndexedLevel[];
  asks: IndexedLevel[];
}

/** The books of several markets (every level with energy available) in one query. */
export async function indexedBooks(
  indexerUrl: string,
  marketIds: readonly bigint[],
  opts: IndexerReadOptions = {},
): Promise<Map<bigint, IndexedBook>> {
  const out = new Map<bigint, IndexedBook>(marketIds.map((m) => [m, { marketId: m, bids: [], asks: [] }]));
  if (marketIds.length === 0) return out;
  const data = await indexerQuery(
    indexerUrl,
    `query($m: [BigInt!]) { bookLevelss(where: { marketId_in: $m, available_gt: "0" }, limit: 1000) { items { marketId isBid tick available } } }`,
    { m: marketIds.map(String) },
    opts,
  );
  for (const r of items(data, "bookLevelss")) {
    const marketId = uint(r.marketId, "bookLevels.marketId");
    const book = out.get(marketId);
    if (!book) bad("bookLevels.marketId (not asked for)", r.marketId);
    const tick = int32(r.tick, "bookLevels.tick");
    if (tick === 0 || tick > 0xffff) bad("bookLevels.tick", r.tick);
    const level = { tick, availableWh: uint(r.available, "bookLevels.available") };
    if (level.availableWh === 0n) continue;
    (bool(r.isBid, "bookLevels.isBid") ? book.bids : book.asks).push(level);
  }
  for (const b of out.values()) {
    b.bids.sort((x, y) => y.tick - x.tick);
    b.asks.sort((x, y) => x.tick - y.tick);
  }
  return out;
}

// ---------------------------------------------------------------- orders

export interface IndexedOrder {
  orderId: bigint;
  marketId: bigint;
  slotStart: number;
  isBid: boolean;
  tick: number;
  amountWh: bigint;
  filledWh: bigint;
  remainingWh: bigint;
  gateAt: number;
}

/** An account's resting orders not claimed yet whose gate is after `gateAfter` (unix seconds). */
export async function indexedOpenOrders(
  indexerUrl: string,
  owner: Address,
  gateAfter: number,
  opts: IndexerReadOptions = {},
): Promise<IndexedOrder[]> {
  const who = owner.toLowerCase();
  const data = await indexerQuery(
    indexerUrl,
    `query($o: String!, $g: BigInt!) { orderss(where: { owner: $o, claimed: false, gateAt_gt: $g }, limit: 1000) { items { id marketId slotStart owner isBid tick amountWh filledWh remainingWh gateAt } } }`,
    { o: who, g: String(gateAfter) },
    opts,
  );
  return items(data, "orderss").map((r) => {
    if (address(r.owner, "orders.owner") !== who) bad("orders.owner (another account)", r.owner);
    const orderId = uint(r.id, "orders.id");
    const marketId = uint(r.marketId, "orders.marketId");
    if (orderId >> 40n !== marketId) bad("orders.id (not of its market)", r.id);
    return {
      orderId,
      marketId,
      slotStart: Number(marketId & SLOT_MASK),
      isBid: bool(r.isBid, "orders.isBid"),
      tick: int32(r.tick, "orders.tick"),
      amountWh: uint(r.amountWh, "orders.amountWh"),
      filledWh: uint(r.filledWh, "orders.filledWh"),
      remainingWh: uint(r.remainingWh, "orders.remainingWh"),
      gateAt: Number(uint(r.gateAt, "orders.gateAt")),
    };
  });
}

// ---------------------------------------------------------------- meters: reports and settlement

export interface IndexedReport {
  meterId: number;
  slotStart: number;
  importedWh: bigint;
  exportedWh: bigint;
}

/** A meter's oracle reports for slots in [fromSlot, toSlot]. */
export async function indexedReports(
  indexerUrl: string,
  meterId: number,
  fromSlot: number,
  toSlot: number,
  opts: IndexerReadOptions = {},
): Promise<IndexedReport[]> {
  const data = await indexerQuery(
    indexerUrl,
    `query($m: Int!, $f: BigInt!, $t: BigInt!) { reportss(where: { meterId: $m, slotStart_gte: $f, slotStart_lte: $t }, limit: 1000) { items { meterId slotStart importedWh exportedWh } } }`,
    { m: meterId, f: String(fromSlot), t: String(toSlot) },
    opts,
  );
  return items(data, "reportss").map((r) => {
    if (int32(r.meterId, "reports.meterId") !== meterId) bad("reports.meterId (another meter)", r.meterId);
    const slotStart = Number(uint(r.slotStart, "reports.slotStart"));
    if (slotStart < fromSlot || slotStart > toSlot) bad("reports.slotStart (outside the range)", slotStart);
    return {
      meterId,
      slotStart,
      importedWh: uint(r.importedWh, "reports.importedWh"),
      exportedWh: uint(r.exportedWh, "reports.exportedWh"),
    };
  });
}

/** A meter's settled sales of slots in [fromSlot, toSlot] of one community. */
export async function indexedSettledSales(
  indexerUrl: string,
  communityId: number,
  meterId: number,
  fromSlot: number,
  toSlot: number,
  opts: IndexerReadOptions = {},
): Promise<SettledSale[]> {
  const lo = (BigInt(communityId) << 40n) | BigInt(fromSlot);
  const hi = (BigInt(communityId) << 40n) | BigInt(toSlot);
  const data = await indexerQuery(
    indexerUrl,
    `query($m: Int!, $lo: BigInt!, $hi: BigInt!) { saless(where: { meterId: $m, settled: true, marketId_gte: $lo, marketId_lte: $hi }, limit: 1000) { items { marketId meterId soldWh deliveredWh reported payout fee refunded bondSlashed } } }`,
    { m: meterId, lo: String(lo), hi: String(hi) },
    opts,
  );
  return items(data, "saless").map((r) => {
    if (int32(r.meterId, "sales.meterId") !== meterId) bad("sales.meterId (another meter)", r.meterId);
    const marketId = uint(r.marketId, "sales.marketId");
    if (marketId < lo || marketId > hi) bad("sales.marketId (outside the range)", r.marketId);
    const soldWh = uint(r.soldWh, "sales.soldWh");
    const deliveredWh = uint(r.deliveredWh, "sales.deliveredWh");
    if (deliveredWh > soldWh) bad("sales.deliveredWh (more than sold)", r.deliveredWh);
    return {
      marketId,
      slotStart: Number(marketId & SLOT_MASK),
      meterId,
      soldWh,
      deliveredWh,
      reported: bool(r.reported, "sales.reported"),
      payout: uint(r.payout, "sales.payout"),
      fee: uint(r.fee, "sales.fee"),
      refunded: uint(r.refunded, "sales.refunded"),
      bondSlashed: optUint(r.bondSlashed, "sales.bondSlashed") ?? 0n,
    };
  });
}

/** A buyer's position in one market (what it bought, paid, and the refund for undelivered energy). */
export interface IndexedPosition {
  marketId: bigint;
  slotStart: number;
  boughtWh: bigint;
  paid: bigint;
  refunded: bigint;
  refundClaimed: boolean;
}

/** A buyer's positions in markets of slots in [fromSlot, toSlot] of one community. */
export async function indexedPositions(
  indexerUrl: string,
  communityId: number,
  buyer: Address,
  fromSlot: number,
  toSlot: number,
  opts: IndexerReadOptions = {},
): Promise<IndexedPosition[]> {
  const who = buyer.toLowerCase();
  const lo = (BigInt(communityId) << 40n) | BigInt(fromSlot);
  const hi = (BigInt(communityId) << 40n) | BigInt(toSlot);
  const data = await indexerQuery(
    indexerUrl,
    `query($b: String!, $lo: BigInt!, $hi: BigInt!) { positionss(where: { buyer: $b, marketId_gte: $lo, marketId_lte: $hi }, limit: 1000) { items { marketId buyer boughtWh paid refunded refundClaimed } } }`,
    { b: who, lo: String(lo), hi: String(hi) },
    opts,
  );
  return items(data, "positionss").map((r) => {
    if (address(r.buyer, "positions.buyer") !== who) bad("positions.buyer (another account)", r.buyer);
    const marketId = uint(r.marketId, "positions.marketId");
    if (marketId < lo || marketId > hi) bad("positions.marketId (outside the range)", r.marketId);
    return {
      marketId,
      slotStart: Number(marketId & SLOT_MASK),
      boughtWh: uint(r.boughtWh, "positions.boughtWh"),
      paid: uint(r.paid, "positions.paid"),
      refunded: uint(r.refunded, "positions.refunded"),
      refundClaimed: bool(r.refundClaimed, "positions.refundClaimed"),
    };
  });
}
