import { describe, expect, it } from "vitest";
import {
  askBond,
  bondRate,
  formatKwh,
  formatQuote,
  InvalidInputError,
  orderValue,
  parseKwh,
  parseQuote,
  previewSellerSettlement,
  priceToTick,
  refundShare,
  tickToPrice,
} from "../index.ts";

describe("energy units", () => {
  it("converts kWh to Wh exactly", () => {
    expect(parseKwh("1.5")).toBe(1500n);
    expect(parseKwh("0.001")).toBe(1n);
    expect(parseKwh("12")).toBe(12_000n);
    expect(parseKwh(2.25)).toBe(2250n);
    expect(formatKwh(1500n)).toBe("1.5");
    expect(formatKwh(1n)).toBe("0.001");
    expect(formatKwh(12_000n)).toBe("12");
  });
  it("refuses sub-Wh precision and malformed text", () => {
    expect(() => parseKwh("0.0005")).toThrow(InvalidInputError);
    expect(() => parseKwh("-1")).toThrow(/non-negative decimal/);
    expect(() => parseKwh("1e3")).toThrow(InvalidInputError);
    expect(() => parseKwh("")).toThrow(InvalidInputError);
  });
});

describe("quote units", () => {
  it("parses and formats USDC base units", () => {
    expect(parseQuote("0.25")).toBe(250_000n);
    expect(parseQuote("1000")).toBe(1_000_000_000n);
    expect(parseQuote("0.000001")).toBe(1n);
    expect(formatQuote(250_000n)).toBe("0.25");
    expect(formatQuote(1n)).toBe("0.000001");
    expect(formatQuote(-1_500_000n)).toBe("-1.5");
    expect(() => parseQuote("0.0000001")).toThrow(/more than 6 decimal places/);
  });
});

describe("ticks", () => {
  const tickSize = 1_000n; // 0.001 USDC per kWh
  it("maps prices to ticks and back", () => {
    expect(priceToTick(250_000n, tickSize)).toBe(250);
    expect(tickToPrice(250, tickSize)).toBe(250_000n);
    expect(priceToTick(parseQuote("0.265"), tickSize)).toBe(265);
  });
  it("refuses a price off the grid unless asked to round, and rounds in the caller's favour", () => {
    expect(() => priceToTick(250_500n, tickSize)).toThrow(/off the tick grid.*250 and 251/);
    expect(priceToTick(250_500n, tickSize, "down")).toBe(250);
    expect(priceToTick(250_500n, tickSize, "up")).toBe(251);
  });
  it("refuses ticks outside 1..65535 and bad tick sizes", () => {
    expect(() => priceToTick(500n, tickSize, "down")).toThrow(/outside the tick range/);
    expect(() => priceToTick(65_536_000n, tickSize)).toThrow(/outside the tick range/);
    expect(() => tickToPrice(0, tickSize)).toThrow(/tick must be an integer/);
    expect(() => tickToPrice(1.5, tickSize)).toThrow(/tick must be an integer/);
    expect(() => priceToTick(1000n, 1500n)).toThrow(/multiple of 1000/);
    expect(() => priceToTick(0n, tickSize)).toThrow(/positive/);
  });
  it("values orders as the contract does: amount × tick × tickSize / 1000", () => {
    // 500 Wh at tick 260 with 0.001 USDC/kWh ticks = 0.5 kWh × 0.26 USDC = 0.13 USDC
    expect(orderValue(500n, 260, tickSize)).toBe(130_000n);
    expect(orderValue(1n, 1, 5_000n)).toBe(5n);
  });
});

describe("bonds and settlement maths", () => {
  it("rounds reputation bond rates up", () => {
    expect(bondRate(10n)).toBe(10n);
    expect(bondRate(10n, 8)).toBe(5n);
    expect(bondRate(10n, 9)).toBe(6n); // 90/16 = 5.625 → 6
    expect(askBond(1_500n, 10n)).toBe(15_000n);
  });
  it("previews a partial delivery: seller rounded down, refund gets the rest", () => {
    const p = previewSellerSettlement({
      soldWh: 300n,
      proceeds: 1_000n,
      bond: 3_000n,
      feeBps: 100,
      exportedWh: 100n,
    });
    expect(p.deliveredWh).toBe(100n);
    expect(p.gross).toBe(333n); // 1000 × 100 / 300 rounded down
    expect(p.fee).toBe(3n);
    expect(p.payout).toBe(330n);
    expect(p.bondSlashed).toBe(2_000n);
    expect(p.bondReleased).toBe(1_000n);
    expect(p.refund).toBe(1_000n - 333n + 2_000n);
    // conservation: what the seller's proceeds and bond become
    expect(p.payout + p.fee + p.refund + p.bondReleased).toBe(1_000n + 3_000n);
  });
  it("caps delivery at what was sold and refunds in full without a report", () => {
    const over = previewSellerSettlement({
      soldWh: 300n,
      proceeds: 900n,
      bond: 30n,
      feeBps: 0,
      exportedWh: 999n,
    });
    expect(over).toMatchObject({ deliveredWh: 300n, gross: 900n, bondSlashed: 0n, refund: 0n });
    const none = previewSellerSettlement({
      soldWh: 300n,
      proceeds: 900n,
      bond: 30n,
      feeBps: 100,
      exportedWh: undefined,
    });
    expect(none).toMatchObject({ payout: 0n, refund: 900n, bondReleased: 30n, bondSlashed: 0n });
  });
  it("shares refunds pro rata, rounded down", () => {
    expect(refundShare(1_000n, 1n, 3n)).toBe(333n);
    expect(refundShare(1_000n, 2n, 3n)).toBe(666n);
    expect(refundShare(5n, 1n, 0n)).toBe(0n);
  });
});
