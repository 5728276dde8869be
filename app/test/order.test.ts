import { describe, expect, it } from "vitest";
import { validateOrder, type OrderContext } from "@/lib/order";

const ctx: OrderContext = {
  blocker: null,
  communityId: 1,
  slotStart: 10_000,
  gateAt: 9_700,
  opensAt: 0,
  now: 5_000,
  tickSize: 1000n,
  minOrderWh: 100n,
  bondPerWh: 10n,
  isMember: true,
  free: 2_000_000_000n,
  meters: [{ id: 3, active: true, communityId: 1 }],
  band: { reference: 250_000n, bps: 2000, low: 200_000n, high: 300_000n },
  bestBid: 240,
  bestAsk: 260,
};
const bid = { isBid: true, price: "0.25", amountKwh: "1.5", orderType: 0, meterId: 3 as number | undefined };

describe("order validation (why the button is disabled)", () => {
  it("accepts a valid bid and previews its lock", () => {
    const r = validateOrder(bid, ctx);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.params).toEqual({
        communityId: 1,
        slotStart: 10_000,
        isBid: true,
        tick: 250,
        amountWh: 1500n,
        meterId: 3,
        orderType: 0,
      });
      expect(r.value.lock).toBe(375_000n);
    }
  });
  it("says why, in order of what to fix first", () => {
    const why = (patch: Partial<typeof bid>, c: Partial<OrderContext> = {}) => {
      const r = validateOrder({ ...bid, ...patch }, { ...ctx, ...c });
      return r.ok ? "ok" : r.reason;
    };
    expect(why({}, { blocker: "Connect a wallet first" })).toBe("Connect a wallet first");
    expect(why({}, { now: 9_700 })).toMatch(/gate of this slot has closed/);
    expect(why({}, { isMember: false })).toMatch(/Join this community/);
    expect(why({ price: "" })).toBe("Enter a price per kWh");
    expect(why({ price: "0.31" })).toBe("Price 0.310 is outside this community's band of 0.20–0.30 USDC/kWh");
    expect(why({ amountKwh: "0" })).toMatch(/more than zero/);
    expect(why({ amountKwh: "-2" })).toMatch(/negative/);
    expect(why({ amountKwh: "1.00001" })).toMatch(/more than 3 decimals/);
    expect(why({ amountKwh: "0.05" })).toBe("The minimum order is 0.1 kWh");
    expect(why({}, { free: 1n })).toMatch(/needs 0.375 USDC but your free balance is 0.000001 USDC/);
    expect(why({ orderType: 3, price: "0.26" })).toBe("A post-only bid must be below the best offer");
  });
  it("needs a receiving meter for a buy", () => {
    expect(validateOrder({ ...bid, meterId: undefined }, ctx)).toMatchObject({
      ok: false,
      reason: "Choose the meter that will receive this energy",
    });
    expect(validateOrder(bid, { ...ctx, meters: [] })).toMatchObject({
      ok: false,
      reason: "Buying needs a meter of yours registered in this community",
    });
  });
  it("needs a meter of the community for a sell", () => {
    const sell = { ...bid, isBid: false, price: "0.27" };
    expect(validateOrder({ ...sell, meterId: 3 }, ctx).ok).toBe(true);
    expect(validateOrder({ ...sell, meterId: 3 }, { ...ctx, meters: [] })).toMatchObject({
      ok: false,
      reason: /needs a meter/,
    });
    expect(validateOrder({ ...sell, meterId: 9 }, ctx)).toMatchObject({
      ok: false,
      reason: "Choose the meter that will deliver this energy",
    });
    const r = validateOrder({ ...sell, meterId: 3 }, ctx);
    if (r.ok) expect(r.value.lock).toBe(15_000n); // 1500 Wh × 10 base units bond
  });
});
