/**
 * Pre-checks: each write is checked against the chain's current state before anything is signed,
 * so a caller learns why it would fail (PreflightError with a code and a sentence) without paying
 * for a reverted transaction. The contract stays the authority: a simulation follows every check.
 */
import type { Address } from "viem";
import { energyMarketAbi } from "../../index.ts";
import { chainNow, type SdkContext } from "../context.ts";
import { InvalidInputError, PreflightError } from "../errors/sdk-errors.ts";
import { describeMarket, describeOrder } from "../errors/messages.ts";
import { isAlignedSlot, marketIdOf, marketTimes } from "../ids.ts";
import { getBalances, getOrder, type Order } from "../reads/accounts.ts";
import { getBestPrices } from "../reads/book.ts";
import { getCommunity, getMeter, type Community } from "../reads/communities.ts";
import { isMarketPaused } from "../reads/markets.ts";
import { askBond, checkTick, formatQuote, MAX_ORDER_WH, orderValue } from "../units.ts";

export const ORDER_TYPES = ["limit", "ioc", "fok", "post-only"] as const;
export type OrderTypeName = (typeof ORDER_TYPES)[number];
/** OrderType enum values of MarketTypes.sol. */
export const ORDER_TYPE_INDEX: Record<OrderTypeName, number> = { limit: 0, ioc: 1, fok: 2, "post-only": 3 };

export type Side = "buy" | "sell";

export interface PlaceOrderParams {
  communityId: number;
  /** Delivery slot start, unix seconds (a multiple of the community's slot length). */
  slotStart: number;
  side: Side;
  /** Limit price as a tick: price = tick × tickSize (see units.priceToTick). */
  tick: number;
  amountWh: bigint;
  /** The seller's delivering meter, or the buyer's consuming meter. */
  meterId: number;
  /** Default "limit". */
  type?: OrderTypeName;
}

export interface CheckedOrder {
  community: Community;
  marketId: bigint;
  /** Most quote the order can take from the free balance (bid: amount × limit; ask: bond). */
  maxLock: bigint;
}

/** Local validation of an order's fields (no RPC). */
export function validateOrderParams(p: PlaceOrderParams): void {
  if (p.side !== "buy" && p.side !== "sell")
    throw new InvalidInputError(`side must be "buy" or "sell", got "${String(p.side)}"`);
  if (p.type !== undefined && !ORDER_TYPES.includes(p.type)) {
    throw new InvalidInputError(
      `order type must be one of ${ORDER_TYPES.join(", ")}, got "${String(p.type)}"`,
    );
  }
  checkTick(p.tick);
  if (typeof p.amountWh !== "bigint" || p.amountWh <= 0n) {
    throw new InvalidInputError(`amount must be a positive number of Wh, got ${String(p.amountWh)}`);
  }
  if (p.amountWh > MAX_ORDER_WH)
    throw new InvalidInputError(`amount ${p.amountWh} Wh exceeds the largest order, ${MAX_ORDER_WH} Wh`);
  if (!Number.isInteger(p.meterId) || p.meterId < 1)
    throw new InvalidInputError(`meter id must be a positive integer, got ${p.meterId}`);
  if (!Number.isInteger(p.slotStart) || p.slotStart <= 0)
    throw new InvalidInputError(`slot start must be unix seconds, got ${p.slotStart}`);
}

async function bondIndexOf(ctx: SdkContext, seller: Address): Promise<number> {
  const bps = Number(
    await ctx.publicClient.readContract({
      address: ctx.addresses.market,
      abi: energyMarketAbi,
      functionName: "bondFactorBps",
      args: [seller],
    }),
  );
  if (bps === 0) return 16;
  return Math.min(31, Math.ceil(bps / 625));
}

/** Checks an order against the chain; throws InvalidInputError or PreflightError. */
export async function checkPlaceOrder(
  ctx: SdkContext,
  account: Address,
  p: PlaceOrderParams,
): Promise<CheckedOrder> {
  validateOrderParams(p);
  const [community, paused] = await Promise.all([getCommunity(ctx, p.communityId), isMarketPaused(ctx)]);
  if (paused) {
    throw new PreflightError("MARKET_PAUSED", "the market is paused: order entry is stopped", {
      communityId: p.communityId,
    });
  }
  if (community.halted) {
    throw new PreflightError("ORDER_ENTRY_HALTED", `order entry in community ${p.communityId} is halted`, {
      communityId: p.communityId,
    });
  }
  if (!isAlignedSlot(p.slotStart, community.slotLength)) {
    throw new PreflightError(
      "SLOT_NOT_ALIGNED",
      `slot start ${p.slotStart} is not a multiple of community ${p.communityId}'s slot length (${community.slotLength} s)`,
      { slotStart: p.slotStart, slotLength: community.slotLength },
    );
  }
  const marketId = marketIdOf(p.communityId, p.slotStart);
  const now = await chainNow(ctx);
  const t = marketTimes(community, p.slotStart);
  if (now < t.opensAt) {
    throw new PreflightError(
      "MARKET_NOT_OPEN",
      `${describeMarket(marketId)} opens at ${new Date(t.opensAt * 1000).toISOString()}`,
      {
        marketId,
        opensAt: t.opensAt,
      },
    );
  }
  if (now >= t.gateAt) {
    throw new PreflightError(
      "MARKET_CLOSED",
      `${describeMarket(marketId)} closed at its gate, ${new Date(t.gateAt * 1000).toISOString()}`,
      {
        marketId,
        gateAt: t.gateAt,
      },
    );
  }
  if (p.amountWh < community.minOrderWh) {
    throw new PreflightError(
      "AMOUNT_TOO_SMALL",
      `${p.amountWh} Wh is below community ${p.communityId}'s minimum order of ${community.minOrderWh} Wh`,
      {
        amountWh: p.amountWh,
        minOrderWh: community.minOrderWh,
      },
    );
  }
  const meter = await getMeter(ctx, p.meterId);
  if (!meter)
    throw new PreflightError("UNKNOWN_METER", `meter ${p.meterId} is not registered`, { meterId: p.meterId });
  if (meter.owner.toLowerCase() !== account.toLowerCase()) {
    throw new PreflightError(
      "NOT_METER_OWNER",
      `meter ${p.meterId} belongs to ${meter.owner}, not to ${account}`,
      { meterId: p.meterId },
    );
  }
  if (meter.communityId !== p.communityId) {
    throw new PreflightError(
      "METER_NOT_IN_COMMUNITY",
      `meter ${p.meterId} is in community ${meter.communityId}, not ${p.communityId}`,
      {
        meterId: p.meterId,
      },
    );
  }
  if (!meter.active)
    throw new PreflightError("METER_INACTIVE", `meter ${p.meterId} is deactivated`, { meterId: p.meterId });

  const isBid = p.side === "buy";
  let maxLock: bigint;
  if (isBid) {
    maxLock = orderValue(p.amountWh, p.tick, community.tickSize);
  } else {
    const index = community.reputationBonds ? await bondIndexOf(ctx, account) : 16;
    maxLock = askBond(p.amountWh, community.bondPerWh, index);
  }
  const [balances, best] = await Promise.all([getBalances(ctx, account), getBestPrices(ctx, marketId)]);
  if (balances.free < maxLock) {
    throw new PreflightError(
      "INSUFFICIENT_BALANCE",
      `${isBid ? "this bid needs" : "this ask's bond needs"} ${formatQuote(maxLock)} in the free balance; ${account} has ${formatQuote(balances.free)} (deposit first)`,
      { free: balances.free, required: maxLock },
    );
  }
  if (p.type === "post-only") {
    const opposite = isBid ? best.bestAsk : best.bestBid;
    if (opposite !== undefined && (isBid ? opposite <= p.tick : opposite >= p.tick)) {
      throw new PreflightError(
        "WOULD_CROSS",
        `a post-only ${p.side} at tick ${p.tick} would match the best opposite order at tick ${opposite}`,
        {
          tick: p.tick,
          bestOpposite: opposite,
        },
      );
    }
  }
  return { community, marketId, maxLock };
}

/** Checks `account` can cancel `orderId` now; returns the order. */
export async function checkCancel(
  ctx: SdkContext,
  account: Address,
  orderId: bigint,
  now?: number,
): Promise<Order> {
  const order = await getOrder(ctx, orderId);
  if (!order)
    throw new PreflightError(
      "UNKNOWN_ORDER",
      `${describeOrder(orderId)} does not exist (never placed, or already claimed)`,
      { orderId },
    );
  if (order.owner.toLowerCase() !== account.toLowerCase()) {
    throw new PreflightError(
      "NOT_ORDER_OWNER",
      `${describeOrder(orderId)} belongs to ${order.owner}, not to ${account}`,
      { orderId },
    );
  }
  if (order.remainingWh === 0n)
    throw new PreflightError("NOTHING_TO_CANCEL", `${describeOrder(orderId)} has nothing left to cancel`, {
      orderId,
    });
  const community = await getCommunity(ctx, order.communityId);
  const t = marketTimes(community, order.slotStart);
  if ((now ?? (await chainNow(ctx))) >= t.gateAt) {
    throw new PreflightError(
      "MARKET_CLOSED",
      `${describeMarket(order.marketId)} is closed; after the gate an order is claimed, not cancelled`,
      {
        orderId,
      },
    );
  }
  return order;
}

/** Checks a positive amount. */
export function checkAmount(amount: bigint, what = "amount"): void {
  if (typeof amount !== "bigint" || amount <= 0n)
    throw new InvalidInputError(`${what} must be greater than zero, got ${String(amount)}`);
}
