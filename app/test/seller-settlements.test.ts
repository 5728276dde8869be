import { describe, expect, it } from "vitest";
import { settlementAmounts } from "@/hooks/useSellerSettlements";

// 1 kWh sold for 0.255 USDC with a 0.01 USDC bond, 1 % fee (DeliverySettlement.settleSeller's maths).
const sale = { soldWh: 1000n, proceeds: 255_000n, bond: 10_000n };

describe("settlementAmounts", () => {
  it("pays the delivered share after the fee and slashes the bond for the rest", () => {
    // 0.6 kWh delivered: gross 153,000, fee 1,530; bond 10,000 − slashed 4,000.
    expect(settlementAmounts(sale, 600n, 100)).toEqual({
      deliveredWh: 600n,
      payout: 151_470n,
      bondBack: 6_000n,
    });
  });
  it("counts no more than was sold, and rounds the seller's amounts down", () => {
    expect(settlementAmounts(sale, 5_000n, 100)).toEqual({
      deliveredWh: 1000n,
      payout: 252_450n,
      bondBack: 10_000n,
    });
    expect(settlementAmounts({ soldWh: 3n, proceeds: 10n, bond: 10n }, 1n, 0)).toEqual({
      deliveredWh: 1n,
      payout: 3n, // 10 × 1/3 = 3.33 → 3
      bondBack: 3n, // slashed 10 − 3 = 7
    });
  });
  it("without a report pays nothing and gives the bond back (the buyers are refunded in full)", () => {
    expect(settlementAmounts(sale, undefined, 100)).toEqual({
      deliveredWh: 0n,
      payout: 0n,
      bondBack: 10_000n,
    });
  });
});
