import { describe, expect, it } from "vitest";
import { BigIntMath, checked, fromSignedBytesLE, parseBigInt, toSignedBytesLE } from "./bigint.ts";
import { Dec } from "./bigdecimal.ts";

describe("BigInt as graph-node passes it (num_bigint signed little-endian)", () => {
  it("encodes minimally and round-trips", () => {
    expect([...toSignedBytesLE(0n)]).toEqual([0]);
    expect([...toSignedBytesLE(127n)]).toEqual([127]);
    expect([...toSignedBytesLE(128n)]).toEqual([128, 0]);
    expect([...toSignedBytesLE(-1n)]).toEqual([255]);
    expect([...toSignedBytesLE(-129n)]).toEqual([127, 255]);
    for (const v of [0n, 1n, -1n, 255n, -256n, 2n ** 255n, -(2n ** 200n) + 7n])
      expect(fromSignedBytesLE(toSignedBytesLE(v))).toBe(v);
  });
  it("divides toward zero, keeps the dividend's sign in mod, floors right shifts", () => {
    expect(BigIntMath.div(-7n, 2n)).toBe(-3n);
    expect(BigIntMath.mod(-7n, 2n)).toBe(-1n);
    expect(BigIntMath.rightShift(-5n, 1)).toBe(-3n);
    expect(() => BigIntMath.div(1n, 0n)).toThrow("attempted to divide BigInt `1` by zero");
    expect(() => BigIntMath.mod(5n, 0n)).toThrow(/remainder of `5` with a divisor of zero/);
  });
  it("refuses a BigInt beyond graph-node's 435,412 bits", () => {
    expect(checked(2n ** 435_410n)).toBe(2n ** 435_410n);
    expect(() => checked(2n ** 435_411n)).toThrow("BigInt is too big, total bits 435413 (max 435412)");
    expect(() => BigIntMath.pow(10n ** 1000n, 200)).toThrow(/BigInt is too big/);
  });
  it("parses decimal strings only", () => {
    expect(parseBigInt("-42")).toBe(-42n);
    expect(() => parseBigInt("0x10")).toThrow();
  });
});

describe("BigDecimal with graph-node's 34 significant digits", () => {
  const d = (s: string) => Dec.fromString(s);
  it("normalises and prints plain notation", () => {
    expect(Dec.toString(d("1.500"))).toBe("1.5");
    expect(Dec.toString(d("1e3"))).toBe("1000");
    expect(Dec.toString(d("-0.00012"))).toBe("-0.00012");
    expect(Dec.toString(d("0.000"))).toBe("0");
  });
  it("adds, multiplies and divides", () => {
    expect(Dec.toString(Dec.plus(d("0.1"), d("0.2")))).toBe("0.3");
    expect(Dec.toString(Dec.times(d("1.5"), d("-2")))).toBe("-3");
    expect(Dec.toString(Dec.dividedBy(d("1"), d("3")))).toBe("0." + "3".repeat(34));
    expect(Dec.toString(Dec.dividedBy(d("2"), d("3")))).toBe("0." + "6".repeat(33) + "7");
    expect(() => Dec.dividedBy(d("1"), d("0"))).toThrow(/divide by zero/);
  });
  it("rounds a positive value past 34 digits by its first dropped digit (bigdecimal 0.1.2 with_prec)", () => {
    const one32 = "1" + "0".repeat(32);
    expect(Dec.toString(d(one32 + "25"))).toBe(one32 + "30"); // 5 rounds up (not half-even)
    expect(Dec.toString(d(one32 + "35"))).toBe(one32 + "40");
    expect(Dec.toString(d(one32 + "24"))).toBe(one32 + "20");
    expect(Dec.toString(d(one32 + "2" + "49"))).toBe(one32 + "200"); // only the first dropped digit counts
    expect(Dec.toString(d("9".repeat(35)))).toBe("1" + "0".repeat(35)); // carries into a 35th digit
  });
  it("truncates a negative value past 34 digits toward zero (the crate's p < 10·r check)", () => {
    const one32 = "1" + "0".repeat(32);
    expect(Dec.toString(d("-" + one32 + "29"))).toBe("-" + one32 + "20");
    expect(Dec.toString(Dec.dividedBy(d("-2"), d("3")))).toBe("-0." + "6".repeat(34));
  });
  it("divides to 100 digits, rounds the 101st half up, then normalises", () => {
    // 1/7 has a repeating 142857: 100 digits then 34.
    expect(Dec.toString(Dec.dividedBy(d("1"), d("7")))).toBe("0.1428571428571428571428571428571429"); // dropped "57…" rounds up
    expect(Dec.toString(Dec.dividedBy(d("10"), d("4")))).toBe("2.5");
    expect(Dec.toString(Dec.dividedBy(d("1.5"), d("1")))).toBe("1.5");
    expect(Dec.toString(Dec.dividedBy(d("3e5"), d("3e2")))).toBe("1000");
    expect(Dec.toString(Dec.dividedBy(d("0"), d("7")))).toBe("0");
  });
  it("parses exponents and refuses garbage", () => {
    expect(Dec.toString(d("-1.25e-3"))).toBe("-0.00125");
    expect(() => d("1.2.3")).toThrow(/failed to parse BigDecimal/);
    expect(() => d("")).toThrow(/failed to parse BigDecimal/);
  });
});
