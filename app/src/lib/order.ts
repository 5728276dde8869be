/**
 * Order-form validation, before any wallet opens: every reason the submit button is disabled, as
 * the sentence it shows. Pure, so it is unit-tested without a browser.
 */
import {
  formatKwh,
  formatPrice,
  formatUsdc,
  lockOf,
  parseKwh,
  parsePrice,
  priceOfTick,
  type Parsed,
} from "./units";

export interface OrderInput {
  isBid: boolean;
  price: string;
  amountKwh: string;
  orderType: number;
  /** The seller's delivering meter, or the buyer's receiving meter. */
  meterId: number | undefined;
}

export interface OrderContext {
  blocker: string | null;
  communityId: number;
  slotStart: number;
  gateAt: number;
  opensAt: number;
  now: number;
  tickSize: bigint;
  minOrderWh: bigint;
  bondPerWh: bigint;
  isMember: boolean | undefined;
  free: bigint | undefined;
  /** Meters of the account in this community that are active. */
  meters: { id: number; active: boolean; communityId: number }[];
  band?: { low: bigint; high: bigint; reference: bigint; bps: number };
  bestBid: number | null;
  bestAsk: number | null;
}

export interface OrderPlan {
  params: {
    communityId: number;
    slotStart: number;
    isBid: boolean;
    tick: number;
    amountWh: bigint;
    meterId: number;
    orderType: number;
  };
  lock: bigint;
  /** Quote value if fully filled at the limit. */
  value: bigint;
}

export function validateOrder(input: OrderInput, ctx: OrderContext): Parsed<OrderPlan> {
  const no = (reason: string): Parsed<OrderPlan> => ({ ok: false, reason });
  if (ctx.blocker) return no(ctx.blocker);
  if (ctx.now >= ctx.gateAt) return no("The gate of this slot has closed: no more orders");
  if (ctx.now < ctx.opensAt) return no("This slot's market is not open yet");
  if (ctx.isMember === false) return no("Join this community to trade in it");
  const price = parsePrice(input.price, ctx.tickSize);
  if (!price.ok) return price;
  const tick = price.value;
  const p = priceOfTick(tick, ctx.tickSize);
  if (ctx.band && (p < ctx.band.low || p > ctx.band.high)) {
    return no(
      `Price ${formatPrice(tick, ctx.tickSize)} is outside this community's band of ${formatUsdc(ctx.band.low, 6)}–${formatUsdc(ctx.band.high, 6)} USDC/kWh`,
    );
  }
  const amount = parseKwh(input.amountKwh);
  if (!amount.ok) return amount;
  const amountWh = amount.value;
  if (amountWh < ctx.minOrderWh) return no(`The minimum order is ${formatKwh(ctx.minOrderWh)} kWh`);
  if (input.orderType === 3) {
    if (input.isBid && ctx.bestAsk !== null && tick >= ctx.bestAsk)
      return no("A post-only bid must be below the best offer");
    if (!input.isBid && ctx.bestBid !== null && tick <= ctx.bestBid)
      return no("A post-only offer must be above the best bid");
  }
  // Every order names a meter of the trader in this community: the seller's delivering meter, or
  // the buyer's consuming one (the contract checks ownership, community and activity).
  const mine = ctx.meters.filter((m) => m.communityId === ctx.communityId);
  if (mine.length === 0)
    return no(`${input.isBid ? "Buying" : "Selling"} needs a meter of yours registered in this community`);
  const m = mine.find((x) => x.id === input.meterId);
  if (!m)
    return no(
      input.isBid
        ? "Choose the meter that will receive this energy"
        : "Choose the meter that will deliver this energy",
    );
  if (!m.active) return no(`Meter #${m.id} is deactivated`);
  const meterId = m.id;
  const lock = lockOf({
    isBid: input.isBid,
    tick,
    amountWh,
    tickSize: ctx.tickSize,
    bondPerWh: ctx.bondPerWh,
  });
  if (ctx.free !== undefined && lock > ctx.free) {
    return no(
      input.isBid
        ? `This bid needs ${formatUsdc(lock, 6)} USDC but your free balance is ${formatUsdc(ctx.free, 6)} USDC: deposit first`
        : `The seller bond of ${formatUsdc(lock, 6)} USDC is above your free balance of ${formatUsdc(ctx.free, 6)} USDC: deposit first`,
    );
  }
  return {
    ok: true,
    value: {
      params: {
        communityId: ctx.communityId,
        slotStart: ctx.slotStart,
        isBid: input.isBid,
        tick,
        amountWh,
        meterId,
        orderType: input.orderType,
      },
      lock,
      value: amountWh * BigInt(tick) * (ctx.tickSize / 1000n),
    },
  };
}
