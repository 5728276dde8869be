/**
 * Past settlements fed back into the seller's decisions: the share its meter did not deliver is
 * tracked per settled sale, the ramp strategy holds that much (×1.5, at most 80 %) of its surplus
 * back from its offers, and the holdback fades as the meter delivers in full again. Deterministic:
 * the same input gives the same plan. Hostile settlement rows (NaN, negative, delivered > sold)
 * change nothing.
 */
import { describe, expect, it } from "vitest";
import {
  DELIVERY,
  emptyDelivery,
  recordSale,
  sellHoldback,
  type SettlementResult,
} from "../src/forecast/delivery-tracker.ts";
import { RampStrategy } from "../src/strategy/ramp.ts";
import type { DecisionInput } from "../src/strategy/types.ts";

const S = 1_800_000_000;
const sale = (slotStart: number, soldWh: number, deliveredWh: number): SettlementResult => ({
  slotStart,
  soldWh,
  deliveredWh,
  reported: true,
  payout: deliveredWh * 200,
  fee: 0,
  refunded: (soldWh - deliveredWh) * 200,
  bondSlashed: (soldWh - deliveredWh) * 10,
});

function input(sellHoldbackShare?: number): DecisionInput {
  return {
    now: S - 300 - 2 * 900,
    slotLength: 900,
    tickSize: 1_000,
    minOrderWh: 10,
    tariffs: { retailPerKwh: 300_000, feedInPerKwh: 80_000 },
    meterId: 1,
    markets: [{ marketId: "m1", slotStart: S, opensAt: S - 48 * 3600, gateAt: S - 300, bestAskTick: 250 }],
    forecasts: [{ slotStart: S, pvWh: 1_100, loadWh: 100, netWh: 1_000, marginWh: 100, sunlit: true }],
    own: [],
    filled: {},
    measuredNet: {},
    sellHoldback: sellHoldbackShare,
  };
}

describe("delivery feedback", () => {
  it("tracks the share not delivered and holds offers back by it", () => {
    let d = emptyDelivery();
    expect(sellHoldback(d)).toBe(0);
    d = recordSale(d, sale(S, 1_000, 600)); // 40 % short
    expect(d.shortfallShare).toBeCloseTo(0.4, 9);
    expect(d.bondSlashed).toBe(4_000);
    expect(sellHoldback(d)).toBeCloseTo(0.6, 9);
    const full = new RampStrategy().decide(input()).place[0]!;
    const held = new RampStrategy().decide(input(sellHoldback(d)));
    expect(full.amountWh).toBe(900); // 1000 − margin 100
    expect(held.place[0]!.amountWh).toBe(360); // 900 × (1 − 0.6)
    expect(held.place[0]!.reason).toMatch(/60 % held back/);
    expect(held.notes.join(" ")).toMatch(/held back 60 %/);
    // deterministic
    expect(new RampStrategy().decide(input(sellHoldback(d)))).toEqual(held);
    // a meter that fails entirely is capped at the maximum holdback
    expect(sellHoldback(recordSale(emptyDelivery(), sale(S, 500, 0)))).toBe(DELIVERY.maxHoldback);
  });

  it("lets the holdback fade as the meter delivers in full", () => {
    let d = recordSale(emptyDelivery(), sale(S, 1_000, 600));
    const first = sellHoldback(d);
    for (let k = 1; k <= 12; k++) d = recordSale(d, sale(S + k * 900, 800, 800));
    expect(sellHoldback(d)).toBeLessThan(first / 10);
    expect(d.samples).toBe(13);
  });

  it("ignores hostile rows", () => {
    const d = recordSale(emptyDelivery(), sale(S, 1_000, 600));
    for (const bad of [
      sale(S, 1_000, 1_200), // delivered more than sold
      sale(S, 0, 0), // nothing sold
      sale(S, Number.NaN, 0),
      sale(S, -5, -10),
      { ...sale(S, 100, 50), bondSlashed: Number.POSITIVE_INFINITY },
    ])
      expect(recordSale(d, bad)).toBe(d);
    // a holdback from broken input never leaves [0, 1] in the strategy
    for (const h of [Number.NaN, -3, 7]) {
      const p = new RampStrategy().decide(input(h));
      for (const i of p.place) expect(i.amountWh).toBeLessThanOrEqual(900);
      for (const i of p.place) expect(i.amountWh).toBeGreaterThanOrEqual(0);
    }
  });
});
