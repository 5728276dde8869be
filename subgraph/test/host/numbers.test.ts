import { describe, expect, it } from "vitest";
import { BigIntMath, fromSignedBytesLE, parseBigInt, toSignedBytesLE } from "./bigint.ts";
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
    expect(() => BigIntMath.div(1n, 0n)).toThrow(/divide by zero/);
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
  it("rounds half to even past 34 digits", () => {
    expect(Dec.toString(d("1" + "0".repeat(32) + "25"))).toBe("1" + "0".repeat(32) + "2" + "0");
    expect(Dec.toString(d("1" + "0".repeat(32) + "35"))).toBe("1" + "0".repeat(32) + "4" + "0");
  });
});
