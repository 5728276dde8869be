/**
 * Market and order identifiers (OrderId.sol) and a market's timeline.
 *
 *   marketId = communityId (32 bits) << 40 | slotStart (40 bits, unix seconds)
 *   orderId  = marketId << 40 | isBid (8 bits) << 32 | tick (16 bits) << 16 | queue index (16 bits)
 */
import { InvalidInputError } from "./errors/sdk-errors.ts";

const U32 = 0xffff_ffffn;
const U40 = (1n << 40n) - 1n;

export interface MarketKey {
  communityId: number;
  /** Unix seconds. */
  slotStart: number;
}

export interface OrderKey {
  marketId: bigint;
  communityId: number;
  slotStart: number;
  isBid: boolean;
  tick: number;
  /** Position of the order in its price level's queue. */
  index: number;
}

/** The market id of a community's delivery slot. */
export function marketIdOf(communityId: number, slotStart: number | bigint): bigint {
  if (!Number.isInteger(communityId) || communityId < 1 || BigInt(communityId) > U32) {
    throw new InvalidInputError(`community id must be an integer from 1 to 2^32 − 1, got ${communityId}`);
  }
  const slot = BigInt(slotStart);
  if (slot < 0n || slot > U40) throw new InvalidInputError(`slot start ${slotStart} is out of range`);
  return (BigInt(communityId) << 40n) | slot;
}

/** Community and slot of a market id. */
export function decodeMarketId(marketId: bigint): MarketKey {
  if (marketId <= 0n || marketId >> 72n !== 0n || marketId >> 40n === 0n) {
    throw new InvalidInputError(`not a market id: ${marketId}`);
  }
  return { communityId: Number(marketId >> 40n), slotStart: Number(marketId & U40) };
}

/** Parses a market id given as decimal or 0x-hex text, or as "communityId:slotStart". */
export function parseMarketId(text: string): bigint {
  const s = text.trim();
  const pair = /^(\d+):(\d+)$/.exec(s);
  if (pair) return marketIdOf(Number(pair[1]), Number(pair[2]));
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(s)) {
    throw new InvalidInputError(`market id must be a number or "communityId:slotStart", got "${text}"`);
  }
  const id = BigInt(s);
  decodeMarketId(id);
  return id;
}

/** The id of the order at `index` in the queue of (`marketId`, side, `tick`). */
export function encodeOrderId(marketId: bigint, isBid: boolean, tick: number, index: number): bigint {
  decodeMarketId(marketId);
  return (marketId << 40n) | (isBid ? 1n << 32n : 0n) | (BigInt(tick) << 16n) | BigInt(index);
}

/** Market, side, tick and queue index of an order id. */
export function decodeOrderId(orderId: bigint): OrderKey {
  if (orderId <= 0n || orderId >> 112n !== 0n) throw new InvalidInputError(`not an order id: ${orderId}`);
  const marketId = orderId >> 40n;
  const { communityId, slotStart } = decodeMarketId(marketId);
  const side = (orderId >> 32n) & 0xffn;
  if (side > 1n) throw new InvalidInputError(`not an order id: ${orderId}`);
  return {
    marketId,
    communityId,
    slotStart,
    isBid: side === 1n,
    tick: Number((orderId >> 16n) & 0xffffn),
    index: Number(orderId & 0xffffn),
  };
}

/** Parses an order id (decimal or 0x-hex). */
export function parseOrderId(text: string): bigint {
  const s = text.trim();
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(s))
    throw new InvalidInputError(`order id must be a number, got "${text}"`);
  const id = BigInt(s);
  decodeOrderId(id);
  return id;
}

/** The start of the slot containing `time` (unix seconds). */
export function slotStartOf(time: number, slotLength: number): number {
  return Math.floor(time / slotLength) * slotLength;
}

/** The parameters of a community that fix its markets' timeline. */
export interface SlotTiming {
  slotLength: number;
  gateLead: number;
  horizon: number;
}

/** When a market opens, closes, delivers and stops accepting reports (unix seconds). */
export interface MarketTimes {
  slotStart: number;
  /** Orders accepted from here … */
  opensAt: number;
  /** … until here (exclusive): the gate. Makers can be claimed from the gate on. */
  gateAt: number;
  slotEnd: number;
  /** Reports accepted until here (exclusive); settlement possible from here on. Needs the report window. */
  reportDeadline: number | undefined;
}

export function marketTimes(timing: SlotTiming, slotStart: number, reportWindow?: number): MarketTimes {
  return {
    slotStart,
    opensAt: slotStart - timing.horizon,
    gateAt: slotStart - timing.gateLead,
    slotEnd: slotStart + timing.slotLength,
    reportDeadline: reportWindow === undefined ? undefined : slotStart + timing.slotLength + reportWindow,
  };
}

/**
 * Where a market stands at `now`: "upcoming" (not open yet), "open" (trading), "closed" (gate
 * passed, slot not ended), "reporting" (slot ended, reports accepted), "settling" (report window
 * over: claims, settlement and refunds can run).
 */
export type MarketPhase = "upcoming" | "open" | "closed" | "reporting" | "settling";

export function marketPhase(times: MarketTimes, now: number): MarketPhase {
  if (now < times.opensAt) return "upcoming";
  if (now < times.gateAt) return "open";
  if (now < times.slotEnd) return "closed";
  if (times.reportDeadline === undefined || now < times.reportDeadline) return "reporting";
  return "settling";
}

/** Slot starts of a community's markets that accept orders at `now`, earliest first. */
export function openSlots(timing: SlotTiming, now: number, limit = 500): number[] {
  // Open: opensAt <= now < gateAt  ⇔  now + gateLead < slotStart <= now + horizon.
  const out: number[] = [];
  let slot = slotStartOf(now + timing.gateLead, timing.slotLength);
  if (slot <= now + timing.gateLead) slot += timing.slotLength;
  for (; slot <= now + timing.horizon && out.length < limit; slot += timing.slotLength) out.push(slot);
  return out;
}

/** Checks a slot start is aligned to the community's slot length. */
export function isAlignedSlot(slotStart: number, slotLength: number): boolean {
  return Number.isInteger(slotStart) && slotStart >= 0 && slotStart % slotLength === 0;
}
