/**
 * Packed ids (contracts/src/market/libraries/OrderId.sol):
 *   marketId = communityId << 40 | slotStart
 *   orderId  = marketId << 40 | isBid << 32 | tick << 16 | queueIndex
 */
export const marketIdOf = (communityId: number, slotStart: bigint): bigint =>
  (BigInt(communityId) << 40n) | slotStart;

export function decodeMarketId(marketId: bigint): { communityId: number; slotStart: bigint } {
  return { communityId: Number(marketId >> 40n), slotStart: marketId & 0xffffffffffn };
}

export const orderIdOf = (marketId: bigint, isBid: boolean, tick: number, index: number): bigint =>
  (marketId << 40n) | (isBid ? 1n << 32n : 0n) | (BigInt(tick) << 16n) | BigInt(index);

export function decodeOrderId(orderId: bigint): {
  marketId: bigint;
  isBid: boolean;
  tick: number;
  index: number;
} {
  return {
    marketId: orderId >> 40n,
    isBid: ((orderId >> 32n) & 0xffn) === 1n,
    tick: Number((orderId >> 16n) & 0xffffn),
    index: Number(orderId & 0xffffn),
  };
}

/** Reputation score in basis points with the contract's prior (8 of 10 kWh delivered). */
export const scoreBps = (committedWh: bigint, deliveredWh: bigint): number =>
  Number(((deliveredWh + 8_000n) * 10_000n) / (committedWh + 10_000n));

/** An order's lifecycle status from its amounts. */
export function orderStatus(o: {
  claimed: boolean;
  cancelledWh: bigint;
  filledWh: bigint;
  remainingWh: bigint;
}): string {
  if (o.claimed) return "claimed";
  if (o.cancelledWh > 0n) return "cancelled";
  if (o.remainingWh === 0n) return "filled";
  return o.filledWh > 0n ? "partial" : "open";
}
