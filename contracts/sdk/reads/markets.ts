/** Reads of markets: a community's open markets and one market's state. */
import { energyMarketAbi } from "../../index.ts";
import { chainNow, type SdkContext } from "../context.ts";
import {
  decodeMarketId,
  marketIdOf,
  marketPhase,
  marketTimes,
  openSlots,
  type MarketPhase,
  type MarketTimes,
} from "../ids.ts";
import { marketReadMany } from "./batch.ts";
import { getCommunity, type Community } from "./communities.ts";

export interface MarketSummary extends MarketTimes {
  marketId: bigint;
  communityId: number;
  phase: MarketPhase;
  bestBid: number | undefined;
  bestAsk: number | undefined;
  tradedWh: bigint;
  tradedValue: bigint;
}

type RawBest = readonly [boolean, number, boolean, number];
type RawTotals = { tradedWh: bigint; resolvedAskWh: bigint; tradedValue: bigint; feeBps: number };

async function summaries(
  ctx: SdkContext,
  community: Community,
  slots: number[],
  now: number,
  reportWindow?: number,
): Promise<MarketSummary[]> {
  const ids = slots.map((s) => marketIdOf(community.id, s));
  const [best, totals] = await Promise.all([
    marketReadMany<RawBest>(
      ctx,
      "bestPrices",
      ids.map((id) => [id]),
    ),
    marketReadMany<RawTotals>(
      ctx,
      "marketTotals",
      ids.map((id) => [id]),
    ),
  ]);
  return slots.map((slotStart, i) => {
    const times = marketTimes(community, slotStart, reportWindow);
    const b = best[i]!;
    const t = totals[i]!;
    return {
      ...times,
      marketId: ids[i]!,
      communityId: community.id,
      phase: marketPhase(times, now),
      bestBid: b[0] ? Number(b[1]) : undefined,
      bestAsk: b[2] ? Number(b[3]) : undefined,
      tradedWh: BigInt(t.tradedWh),
      tradedValue: BigInt(t.tradedValue),
    };
  });
}

/**
 * The markets of a community that accept orders now (earliest first), with best prices and
 * volume. `activeOnly` keeps only markets with resting orders or trades.
 */
export async function listMarkets(
  ctx: SdkContext,
  communityId: number,
  opts: { limit?: number; activeOnly?: boolean; now?: number } = {},
): Promise<MarketSummary[]> {
  const community = await getCommunity(ctx, communityId);
  const now = opts.now ?? (await chainNow(ctx));
  const slots = openSlots(community, now, opts.limit ?? 500);
  const list = await summaries(ctx, community, slots, now);
  return opts.activeOnly
    ? list.filter((m) => m.bestBid !== undefined || m.bestAsk !== undefined || m.tradedWh > 0n)
    : list;
}

/** One market's timeline, phase, best prices and totals. */
export async function getMarket(
  ctx: SdkContext,
  marketId: bigint,
  opts: { now?: number; reportWindow?: number } = {},
): Promise<MarketSummary> {
  const { communityId, slotStart } = decodeMarketId(marketId);
  const community = await getCommunity(ctx, communityId);
  const now = opts.now ?? (await chainNow(ctx));
  const [m] = await summaries(ctx, community, [slotStart], now, opts.reportWindow);
  return m!;
}

/** The market's opening and gate time according to the contract. */
export async function getMarketWindow(
  ctx: SdkContext,
  marketId: bigint,
): Promise<{ opensAt: number; gateAt: number }> {
  const [opensAt, gateAt] = await ctx.publicClient.readContract({
    address: ctx.addresses.market,
    abi: energyMarketAbi,
    functionName: "marketWindow",
    args: [marketId],
  });
  return { opensAt: Number(opensAt), gateAt: Number(gateAt) };
}

/**
 * The community fee (basis points) a market's sales are charged at settlement: fixed at the
 * market's first trade (`marketTotals.feeBps`); before it, what the community's fee schedule gives
 * the market's slot (the contract's `_feeOf`).
 */
export async function getMarketFeeBps(ctx: SdkContext, marketId: bigint): Promise<number> {
  const { communityId, slotStart } = decodeMarketId(marketId);
  const [totals, community] = await Promise.all([
    ctx.publicClient.readContract({
      address: ctx.addresses.market,
      abi: energyMarketAbi,
      functionName: "marketTotals",
      args: [marketId],
    }),
    getCommunity(ctx, communityId),
  ]);
  if (BigInt(totals.tradedWh) !== 0n) return Number(totals.feeBps);
  return feeOfSlot(community, slotStart);
}

/** The fee a community's schedule gives the market of `slotStart` (before its first trade). */
export function feeOfSlot(community: Community, slotStart: number): number {
  return community.nextFeeFrom !== undefined && slotStart >= community.nextFeeFrom
    ? community.nextFeeBps!
    : community.feeBps;
}

/** Whether the market is paused (deposits, order entry and treasury payouts stopped). */
export async function isMarketPaused(ctx: SdkContext): Promise<boolean> {
  return ctx.publicClient.readContract({
    address: ctx.addresses.market,
    abi: energyMarketAbi,
    functionName: "paused",
  });
}
