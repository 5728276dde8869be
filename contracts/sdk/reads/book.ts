/** Reads of a market's order book: best prices and price levels, from the chain. */
import { energyMarketAbi } from "../../index.ts";
import { decodeMarketId } from "../ids.ts";
import { MAX_TICK } from "../units.ts";
import type { SdkContext } from "../context.ts";
import { marketReadMany } from "./batch.ts";
import { getCommunity } from "./communities.ts";

export interface BestPrices {
  bestBid: number | undefined;
  bestAsk: number | undefined;
}

export interface BookLevel {
  tick: number;
  /** Quote base units per kWh. */
  price: bigint;
  /** Wh still resting at this price. */
  availableWh: bigint;
  /** Orders ever queued at this level (including filled and cancelled ones). */
  orders: number;
}

export interface Book extends BestPrices {
  marketId: bigint;
  tickSize: bigint;
  /** Best (highest) first. */
  bids: BookLevel[];
  /** Best (lowest) first. */
  asks: BookLevel[];
}

export async function getBestPrices(ctx: SdkContext, marketId: bigint): Promise<BestPrices> {
  decodeMarketId(marketId);
  const [hasBid, bestBid, hasAsk, bestAsk] = await ctx.publicClient.readContract({
    address: ctx.addresses.market,
    abi: energyMarketAbi,
    functionName: "bestPrices",
    args: [marketId],
  });
  return { bestBid: hasBid ? Number(bestBid) : undefined, bestAsk: hasAsk ? Number(bestAsk) : undefined };
}

type RawLevel = readonly [bigint, bigint, bigint, bigint, number];

/**
 * The book of a market: up to `levels` non-empty levels per side, found by scanning at most
 * `scanTicks` ticks from the best price (one eth_call per side).
 */
export async function getBook(
  ctx: SdkContext,
  marketId: bigint,
  opts: { levels?: number; scanTicks?: number } = {},
): Promise<Book> {
  const { communityId } = decodeMarketId(marketId);
  const levels = opts.levels ?? 20;
  const scan = opts.scanTicks ?? 256;
  const [community, best] = await Promise.all([getCommunity(ctx, communityId), getBestPrices(ctx, marketId)]);
  const side = async (isBid: boolean, from: number | undefined): Promise<BookLevel[]> => {
    if (from === undefined) return [];
    const ticks: number[] = [];
    for (let k = 0; k < scan; k++) {
      const t = isBid ? from - k : from + k;
      if (t < 1 || t > MAX_TICK) break;
      ticks.push(t);
    }
    const raws = await marketReadMany<RawLevel>(
      ctx,
      "level",
      ticks.map((t) => [marketId, isBid, t]),
    );
    const out: BookLevel[] = [];
    raws.forEach((r, i) => {
      if (out.length < levels && r[3] > 0n) {
        const tick = ticks[i]!;
        out.push({ tick, price: BigInt(tick) * community.tickSize, availableWh: r[3], orders: Number(r[4]) });
      }
    });
    return out;
  };
  const [bids, asks] = await Promise.all([side(true, best.bestBid), side(false, best.bestAsk)]);
  return { marketId, tickSize: community.tickSize, ...best, bids, asks };
}
