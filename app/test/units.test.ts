import { describe, expect, it } from "vitest";
import {
  countdown,
  formatKwh,
  formatPrice,
  formatUsdc,
  lockOf,
  marketIdOf,
  decodeMarketId,
  parseKwh,
  parsePrice,
  parseUsdc,
} from "@/lib/units";
import { toCsv } from "@/lib/csv";

describe("units", () => {
  it("parses kWh into Wh and explains bad input", () => {
    expect(parseKwh("1.5")).toEqual({ ok: true, value: 1500n });
    expect(parseKwh("0.001")).toEqual({ ok: true, value: 1n });
    expect(parseKwh("")).toEqual({ ok: false, reason: "Enter an amount in kWh" });
    expect(parseKwh("0")).toMatchObject({ ok: false, reason: "Amount in kWh must be more than zero" });
    expect(parseKwh("-1")).toMatchObject({ ok: false, reason: "Amount in kWh cannot be negative" });
    expect(parseKwh("abc")).toMatchObject({ ok: false, reason: "Amount in kWh must be a number" });
    expect(parseKwh("NaN")).toMatchObject({ ok: false });
    expect(parseKwh("1.2345")).toMatchObject({ ok: false, reason: "Amount in kWh has more than 3 decimals" });
  });

  it("puts prices on the tick grid and refuses prices between ticks", () => {
    expect(parsePrice("0.265", 1000n)).toEqual({ ok: true, value: 265 });
    expect(parsePrice("0.2655", 1000n)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("multiple of 0.001"),
    });
    expect(formatPrice(265, 1000n)).toBe("0.265");
    expect(formatPrice(250, 1000n)).toBe("0.250");
  });

  it("formats money and energy", () => {
    expect(formatUsdc(2_000_000_000n)).toBe("2,000.00");
    expect(formatUsdc(132_500n, 6)).toBe("0.1325");
    expect(formatKwh(1500n)).toBe("1.5");
    expect(parseUsdc("12.5")).toEqual({ ok: true, value: 12_500_000n });
  });

  it("computes what an order locks as the contract does", () => {
    // bid: amount × tick × tickSize/1000 ; ask: amount × bondPerWh
    expect(lockOf({ isBid: true, tick: 265, amountWh: 500n, tickSize: 1000n, bondPerWh: 10n })).toBe(
      132_500n,
    );
    expect(lockOf({ isBid: false, tick: 265, amountWh: 500n, tickSize: 1000n, bondPerWh: 10n })).toBe(5_000n);
  });

  it("packs market ids and counts down", () => {
    const id = marketIdOf(1, 1_700_000_100);
    expect(decodeMarketId(id)).toEqual({ communityId: 1, slotStart: 1_700_000_100 });
    expect(countdown(3725)).toBe("1 h 2 min");
    expect(countdown(75)).toBe("1 min 15 s");
    expect(countdown(0)).toBe("closed");
  });

  it("writes RFC 4180 CSV", () => {
    expect(
      toCsv(
        ["a", "b"],
        [
          ["x,y", 'say "hi"'],
          [1n, null],
        ],
      ),
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n1,\r\n');
  });
});
