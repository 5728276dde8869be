import { describe, expect, it } from "vitest";
import { RampStrategy } from "../src/strategy/ramp.ts";
import { NaiveStrategy } from "../src/strategy/naive.ts";
import { rampProgress, rampTick, tariffTicks } from "../src/strategy/pricing.ts";
import { checkPlan, type RiskContext, type RiskLimits } from "../src/risk/limits.ts";
import type { DecisionInput, MarketView, Plan } from "../src/strategy/types.ts";
import type { SlotForecast } from "../src/forecast/forecaster.ts";

const TARIFFS = { retailPerKwh: 300_000, feedInPerKwh: 80_000 };
const TICK = 1_000;
const SLOT = 900;
const S = 1_800_000_000; // a slot start (multiple of 900)
const market = (slotStart: number, extra: Partial<MarketView> = {}): MarketView => ({
  marketId: `m${slotStart}`,
  slotStart,
  opensAt: slotStart - 48 * 3600,
  gateAt: slotStart - 300,
  bestAskTick: 250,
  ...extra,
});
const fc = (slotStart: number, netWh: number, marginWh = 50, sunlit = true): SlotForecast => ({
  slotStart,
  pvWh: Math.max(0, netWh) + 100,
  loadWh: 100,
  netWh,
  marginWh,
  sunlit,
});
function input(over: Partial<DecisionInput> = {}): DecisionInput {
  return {
    now: S - 300 - 2 * SLOT,
    slotLength: SLOT,
    tickSize: TICK,
    minOrderWh: 10,
    tariffs: TARIFFS,
    meterId: 1,
    markets: [market(S)],
    forecasts: [fc(S, 800)],
    own: [],
    filled: {},
    measuredNet: {},
    ...over,
  };
}

describe("price ramp", () => {
  it("moves sellers down from retail and buyers up from feed-in over the window", () => {
    expect(tariffTicks(TARIFFS, TICK)).toEqual({ low: 80, high: 300 });
    expect(rampProgress(0, 3600, 3600)).toBe(0);
    expect(rampProgress(1800, 3600, 3600)).toBe(0.5);
    expect(rampProgress(9999, 3600, 3600)).toBe(1);
    expect(rampTick("sell", 0, TARIFFS, TICK)).toBe(300);
    expect(rampTick("sell", 1, TARIFFS, TICK)).toBe(80);
    expect(rampTick("buy", 0, TARIFFS, TICK)).toBe(80);
    expect(rampTick("buy", 0.5, TARIFFS, TICK)).toBe(190);
    expect(() => tariffTicks(TARIFFS, 0)).toThrow(/tick size/);
  });
});

describe("ramp strategy", () => {
  it("offers forecast surplus minus the margin, and bids for a deficit", () => {
    const p = new RampStrategy().decide(input());
    expect(p.place).toHaveLength(1);
    expect(p.place[0]).toMatchObject({ side: "sell", amountWh: 750, slotStart: S });
    expect(p.place[0]!.tick).toBeLessThan(300);
    expect(p.place[0]!.tick).toBeGreaterThan(80);
    const b = new RampStrategy().decide(input({ forecasts: [fc(S, -400, 40, false)] }));
    expect(b.place[0]).toMatchObject({ side: "buy", amountWh: 380 });
  });

  it("bids only into a book that has asks", () => {
    const p = new RampStrategy().decide(
      input({ markets: [market(S, { bestAskTick: undefined })], forecasts: [fc(S, -400, 40, false)] }),
    );
    expect(p.place).toEqual([]);
    expect(p.notes).toEqual([]);
    const n = new NaiveStrategy().decide(
      input({ markets: [market(S, { bestAskTick: undefined })], measuredNet: { [S - 86400]: -300 } }),
    );
    expect(n.place).toEqual([]);
  });

  it("keeps an order already at the right price and size, re-prices the others", () => {
    const first = new RampStrategy().decide(input()).place[0]!;
    const own = [
      {
        orderId: "1",
        marketId: first.marketId,
        slotStart: S,
        side: "sell" as const,
        tick: first.tick,
        amountWh: 750,
        filledWh: 0,
        remainingWh: 750,
      },
    ];
    expect(new RampStrategy().decide(input({ own }))).toMatchObject({ cancel: [], place: [] });
    const later = new RampStrategy().decide(input({ own, now: S - 300 - SLOT }));
    expect(later.cancel).toEqual(["1"]);
    expect(later.place[0]!.tick).toBeLessThan(first.tick);
  });

  it("does not sell again what is already filled", () => {
    const p = new RampStrategy().decide(input({ filled: { [S]: { buyWh: 0, sellWh: 700 } } }));
    expect(p.place).toHaveLength(1);
    expect(p.place[0]!.amountWh).toBe(50);
  });

  it("survives hostile inputs: negative or NaN forecasts, empty books, closed markets", () => {
    // a negative forecast never becomes a sell
    const neg = new RampStrategy().decide(input({ forecasts: [fc(S, -5_000)] }));
    expect(neg.place.every((i) => i.side === "buy")).toBe(true);
    // NaN forecast: nothing placed, resting orders withdrawn
    const own = [
      {
        orderId: "9",
        marketId: `m${S}`,
        slotStart: S,
        side: "sell" as const,
        tick: 200,
        amountWh: 100,
        filledWh: 0,
        remainingWh: 100,
      },
    ];
    const nan = new RampStrategy().decide(input({ own, forecasts: [fc(S, Number.NaN)] }));
    expect(nan.place).toEqual([]);
    expect(nan.cancel).toEqual(["9"]);
    // no markets (empty book, nothing open): nothing to do
    expect(new RampStrategy().decide(input({ markets: [] })).place).toEqual([]);
    // after the gate: nothing
    expect(new RampStrategy().decide(input({ now: S })).place).toEqual([]);
    // a surplus smaller than the margin: nothing
    expect(new RampStrategy().decide(input({ forecasts: [fc(S, 40, 50)] })).place).toEqual([]);
  });

  it("sells battery energy beyond the reserve and the night's needs after sunset", () => {
    const battery = { socWh: 9_000, capacityWh: 10_000, reserveWh: 1_000, maxPowerW: 4_000 };
    const forecasts = [
      fc(S, -200, 30, false),
      fc(S + SLOT, -200, 30, false),
      fc(S + 2 * SLOT, 500, 30, true),
    ];
    const p = new RampStrategy().decide(input({ battery, forecasts }));
    expect(p.place[0]).toMatchObject({ side: "sell" });
    // 0.5 × (9,000 − 1,000 − 200) = 3,900, capped by 4 kW × 15 min = 1,000 Wh
    expect(p.place[0]!.amountWh).toBe(1_000);
    const empty = new RampStrategy().decide(input({ battery: { ...battery, socWh: 1_100 }, forecasts }));
    expect(empty.place[0]).toMatchObject({ side: "buy" });
  });
});

describe("naive strategy", () => {
  it("uses yesterday's measurement at one fixed mid price, once per market", () => {
    const p = new NaiveStrategy().decide(input({ measuredNet: { [S - 86400]: 420 } }));
    expect(p.place).toEqual([expect.objectContaining({ side: "sell", amountWh: 420, tick: 190 })]);
    expect(new NaiveStrategy().decide(input()).place).toEqual([]);
    const own = [
      {
        orderId: "1",
        marketId: `m${S}`,
        slotStart: S,
        side: "sell" as const,
        tick: 190,
        amountWh: 420,
        filledWh: 0,
        remainingWh: 420,
      },
    ];
    expect(new NaiveStrategy().decide(input({ own, measuredNet: { [S - 86400]: 420 } })).place).toEqual([]);
  });
});

const LIMITS: RiskLimits = {
  minPricePerKwh: 80_000,
  maxPricePerKwh: 300_000,
  maxExposurePerSlot: 1_000_000,
  minFreeBalance: 100_000,
  maxOrdersPerCycle: 3,
  maxWhPerSlot: 2_500,
};
const CTX: RiskContext = {
  now: S - 2000,
  tickSize: TICK,
  minOrderWh: 10,
  bondPerWh: 10,
  freeBalance: 5_000_000,
  meter: { id: 1, registered: true, active: true, ownedByAgent: true },
  markets: [market(S)],
  own: [],
};
const plan = (place: Plan["place"], cancel: string[] = []): Plan => ({
  cancel,
  place,
  notes: [],
  source: "test",
});
const intent = (o: Partial<Plan["place"][number]> = {}) => ({
  marketId: `m${S}`,
  slotStart: S,
  side: "sell" as const,
  tick: 200,
  amountWh: 500,
  reason: "t",
  ...o,
});

describe("risk limits", () => {
  it("approves a plan within every limit", () => {
    const v = checkPlan(plan([intent()]), LIMITS, CTX);
    expect(v.refused).toEqual([]);
    expect(v.approved.place).toHaveLength(1);
  });

  it("refuses hostile intents with a reason and keeps the rest", () => {
    const bad = [
      intent({ tick: Number.NaN }),
      intent({ tick: 301 }),
      intent({ tick: 79 }),
      intent({ amountWh: -5 }),
      intent({ amountWh: 0.5 }),
      intent({ amountWh: 5 }),
      intent({ amountWh: 5_000 }),
      intent({ marketId: "elsewhere" }),
      intent({ side: "hold" as never }),
      intent(),
    ];
    const v = checkPlan(plan(bad), LIMITS, CTX);
    expect(v.approved.place).toEqual([intent()]);
    expect(v.refused.map((r) => r.reason)).toEqual([
      expect.stringMatching(/not a whole tick/),
      expect.stringMatching(/outside the band/),
      expect.stringMatching(/outside the band/),
      expect.stringMatching(/positive whole number/),
      expect.stringMatching(/positive whole number/),
      expect.stringMatching(/below the order minimum/),
      expect.stringMatching(/per slot/),
      expect.stringMatching(/not one the agent observed/),
      expect.stringMatching(/side must be/),
    ]);
  });

  it("refuses everything in a band of zero width unless it is exactly on the tick, and in an inverted or NaN band", () => {
    const zero = { ...LIMITS, minPricePerKwh: 200_000, maxPricePerKwh: 200_000 };
    expect(checkPlan(plan([intent({ tick: 200 })]), zero, CTX).approved.place).toHaveLength(1);
    expect(checkPlan(plan([intent({ tick: 201 })]), zero, CTX).refused).toHaveLength(1);
    const between = { ...LIMITS, minPricePerKwh: 200_100, maxPricePerKwh: 200_900 };
    expect(checkPlan(plan([intent({ tick: 200 })]), between, CTX).refused[0]!.reason).toMatch(
      /holds no tick/,
    );
    const nan = { ...LIMITS, maxPricePerKwh: Number.NaN };
    expect(checkPlan(plan([intent()]), nan, CTX).refused[0]!.reason).toMatch(/holds no tick/);
  });

  it("caps exposure per slot, the free balance, the orders per cycle, and needs the agent's own meter", () => {
    const bids = [intent({ side: "buy", tick: 300, amountWh: 2_000 })];
    // a bid of 2 kWh at 0.30 locks 600,000; the cap is 500,000
    expect(checkPlan(plan(bids), { ...LIMITS, maxExposurePerSlot: 500_000 }, CTX).refused[0]!.reason).toMatch(
      /exposure/,
    );
    expect(checkPlan(plan(bids), LIMITS, { ...CTX, freeBalance: 650_000 }).refused[0]!.reason).toMatch(
      /below the minimum/,
    );
    const many = [1, 2, 3, 4].map(() => intent({ amountWh: 100 }));
    const v = checkPlan(plan(many), LIMITS, CTX);
    expect(v.approved.place).toHaveLength(3);
    expect(v.refused[0]!.reason).toMatch(/more than 3 orders/);
    for (const meter of [
      { id: 1, registered: false, active: false, ownedByAgent: false },
      { id: 1, registered: true, active: false, ownedByAgent: true },
      { id: 1, registered: true, active: true, ownedByAgent: false },
    ]) {
      expect(checkPlan(plan([intent()]), LIMITS, { ...CTX, meter }).refused[0]!.reason).toMatch(
        /registered, active meter/,
      );
    }
    // after the gate
    expect(checkPlan(plan([intent()]), LIMITS, { ...CTX, now: S - 300 }).refused[0]!.reason).toMatch(
      /not open/,
    );
  });

  it("passes cancels of its own resting orders only", () => {
    const own = [
      {
        orderId: "7",
        marketId: `m${S}`,
        slotStart: S,
        side: "sell" as const,
        tick: 200,
        amountWh: 100,
        filledWh: 0,
        remainingWh: 100,
      },
    ];
    const v = checkPlan(plan([], ["7", "8"]), LIMITS, { ...CTX, own });
    expect(v.approved.cancel).toEqual(["7"]);
    expect(v.approved.notes.join()).toMatch(/8/);
  });
});
