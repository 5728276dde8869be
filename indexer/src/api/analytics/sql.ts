/** Raw SQL helpers for the analytics queries (drizzle `sql` over Ponder's read-only `db`). */
import { db } from "ponder:api";
import type { SQL } from "drizzle-orm";

/** Runs a statement and returns its rows (node-postgres and PGlite shape their results alike). */
export async function rows<T>(query: SQL): Promise<T[]> {
  const r = (await db.execute(query)) as unknown as { rows: T[] } | T[];
  return Array.isArray(r) ? r : r.rows;
}

export const SLOT_MODULUS = 1n << 40n;

/**
 * The market ids of a community's delivery slots in [from, to): [(c << 40) + from, (c << 40) + to),
 * a range the market-id indexes of trades, orders, sales and maker fills answer directly.
 */
export const marketWindow = (communityId: number, from: bigint, to: bigint): [bigint, bigint] => [
  (BigInt(communityId) << 40n) + from,
  (BigInt(communityId) << 40n) + (to < SLOT_MODULUS ? to : SLOT_MODULUS),
];

/** A ratio as a JSON number (6 decimals), null when the denominator is 0. */
export const ratio = (num: bigint, den: bigint): number | null =>
  den === 0n ? null : Number((num * 1_000_000n) / den) / 1_000_000;

/** Value per kWh (quote base units), 6 decimals, from a value and an energy in Wh. */
export const perKwh = (value: bigint, wh: bigint): number | null =>
  wh === 0n ? null : Number((value * 1_000_000_000n) / wh) / 1_000_000;

/** A numeric column or sum as a bigint (SQL answers as text). */
export const big = (v: string | number | bigint | null | undefined): bigint =>
  v === null || v === undefined ? 0n : BigInt(v);
