/**
 * Packed ids (contracts/src/market/libraries/OrderId.sol) and entity ids.
 *   marketId = communityId << 40 | slotStart
 *   orderId  = marketId << 40 | isBid << 32 | tick << 16 | queueIndex
 */
import { BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";

const MASK40: u64 = 0xffffffffff;

export function marketCommunity(marketId: BigInt): i32 {
  return marketId.rightShift(40).toI32();
}

export function marketSlot(marketId: BigInt): BigInt {
  return BigInt.fromU64(marketId.bitAnd(BigInt.fromU64(MASK40)).toU64());
}

export function orderMarket(orderId: BigInt): BigInt {
  return orderId.rightShift(40);
}

function orderLow(orderId: BigInt): u64 {
  return orderId.bitAnd(BigInt.fromU64(MASK40)).toU64();
}

export function orderIsBid(orderId: BigInt): boolean {
  return ((orderLow(orderId) >> 32) & 0xff) == 1;
}

export function orderTick(orderId: BigInt): i32 {
  return <i32>((orderLow(orderId) >> 16) & 0xffff);
}

export function orderIndex(orderId: BigInt): i32 {
  return <i32>(orderLow(orderId) & 0xffff);
}

export function orderIdOf(marketId: BigInt, isBid: boolean, tick: i32, index: i32): BigInt {
  const low: u64 = ((isBid ? <u64>1 : <u64>0) << 32) | ((<u64>tick) << 16) | (<u64>index);
  return marketId.leftShift(40).bitOr(BigInt.fromU64(low));
}

export function levelId(marketId: BigInt, isBid: boolean, tick: i32): string {
  return marketId.toString() + "-" + (isBid ? "1" : "0") + "-" + tick.toString();
}

export function pairId(a: string, b: string): string {
  return a + "-" + b;
}

/** txHash-logIndex: one id per log. */
export function eventId(event: ethereum.Event): string {
  return event.transaction.hash.toHexString() + "-" + event.logIndex.toString();
}

export function hex(b: Bytes): string {
  return b.toHexString();
}

/** Reputation score in basis points with the contract's prior (8 of 10 kWh delivered). */
export function scoreBps(committedWh: BigInt, deliveredWh: BigInt): i32 {
  return deliveredWh
    .plus(BigInt.fromI32(8000))
    .times(BigInt.fromI32(10000))
    .div(committedWh.plus(BigInt.fromI32(10000)))
    .toI32();
}
