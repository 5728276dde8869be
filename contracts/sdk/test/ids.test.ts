import { describe, expect, it } from "vitest";
import {
  decodeMarketId,
  decodeOrderId,
  encodeOrderId,
  InvalidInputError,
  marketIdOf,
  marketPhase,
  marketTimes,
  openSlots,
  parseMarketId,
  parseOrderId,
  slotStartOf,
} from "../index.ts";

describe("market ids", () => {
  it("packs community and slot like OrderId.sol", () => {
    const id = marketIdOf(1, 1_764_654_300);
    expect(id).toBe((1n << 40n) | 1_764_654_300n);
    expect(decodeMarketId(id)).toEqual({ communityId: 1, slotStart: 1_764_654_300 });
    expect(parseMarketId("1:1764654300")).toBe(id);
    expect(parseMarketId(id.toString())).toBe(id);
    expect(parseMarketId(`0x${id.toString(16)}`)).toBe(id);
  });
  it("refuses ids without a community and malformed text", () => {
    expect(() => decodeMarketId(1_764_654_300n)).toThrow(InvalidInputError);
    expect(() => marketIdOf(0, 900)).toThrow(/community id/);
    expect(() => parseMarketId("abc")).toThrow(/market id must be/);
    expect(() => parseMarketId("1:-5")).toThrow(InvalidInputError);
  });
});

describe("order ids", () => {
  it("round-trips market, side, tick and queue index", () => {
    const m = marketIdOf(7, 900 * 1000);
    const bid = encodeOrderId(m, true, 265, 3);
    expect(decodeOrderId(bid)).toEqual({
      marketId: m,
      communityId: 7,
      slotStart: 900_000,
      isBid: true,
      tick: 265,
      index: 3,
    });
    const ask = encodeOrderId(m, false, 1, 0);
    expect(decodeOrderId(ask).isBid).toBe(false);
    expect(parseOrderId(bid.toString())).toBe(bid);
    expect(() => parseOrderId("12x")).toThrow(/order id must be a number/);
    expect(() => decodeOrderId((m << 40n) | (2n << 32n))).toThrow(/not an order id/);
  });
});

describe("market timeline", () => {
  const timing = { slotLength: 900, gateLead: 300, horizon: 3600 };
  it("computes the window and the phase at each boundary", () => {
    const t = marketTimes(timing, 9000, 600);
    expect(t).toEqual({ slotStart: 9000, opensAt: 5400, gateAt: 8700, slotEnd: 9900, reportDeadline: 10500 });
    expect(marketPhase(t, 5399)).toBe("upcoming");
    expect(marketPhase(t, 5400)).toBe("open");
    expect(marketPhase(t, 8699)).toBe("open");
    expect(marketPhase(t, 8700)).toBe("closed");
    expect(marketPhase(t, 9900)).toBe("reporting");
    expect(marketPhase(t, 10500)).toBe("settling");
  });
  it("lists exactly the slots whose market accepts orders, as the contract's checks do", () => {
    const now = 9000;
    const slots = openSlots(timing, now);
    // open ⇔ now + gateLead < slotStart ≤ now + horizon
    expect(slots).toEqual([9900, 10800, 11700, 12600]);
    expect(slotStartOf(9899, 900)).toBe(9000);
    // at a gate boundary the slot is already closed
    expect(openSlots(timing, 8700)[0]).toBe(9900);
  });
});
