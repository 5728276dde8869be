/**
 * graph-node's BigDecimal: value = digits × 10^exp, normalised after every operation to at most 34
 * significant digits (rounded half to even) with trailing zeros stripped; zero is (0, 0). Division
 * by zero is a host error. toString prints plain notation (no exponent), as graph-node does.
 * In wasm a BigDecimal is {digits: BigInt, exp: BigInt}.
 */
import { BigIntMath, fromSignedBytesLE, HostError, toSignedBytesLE } from "./bigint.ts";
import { TypeId, type AscMemory } from "./memory.ts";

export const MAX_SIGNIFICANT_DIGITS = 34;

export interface Decimal {
  digits: bigint;
  exp: bigint;
}

const abs = (x: bigint) => (x < 0n ? -x : x);
const digitCount = (x: bigint) => (x === 0n ? 1 : abs(x).toString().length);

/** Rounds |d| to `drop` fewer digits, half to even. */
function roundOff(d: bigint, drop: number): bigint {
  const p = 10n ** BigInt(drop);
  const sign = d < 0n ? -1n : 1n;
  const a = abs(d);
  let q = a / p;
  const r = a % p;
  const twice = 2n * r;
  if (twice > p || (twice === p && q % 2n === 1n)) q += 1n;
  return sign * q;
}

export function normalize(x: Decimal): Decimal {
  let { digits, exp } = x;
  if (digits === 0n) return { digits: 0n, exp: 0n };
  const n = digitCount(digits);
  if (n > MAX_SIGNIFICANT_DIGITS) {
    const drop = n - MAX_SIGNIFICANT_DIGITS;
    digits = roundOff(digits, drop);
    exp += BigInt(drop);
  }
  while (digits !== 0n && digits % 10n === 0n) {
    digits /= 10n;
    exp += 1n;
  }
  return { digits, exp };
}

function align(x: Decimal, y: Decimal): [bigint, bigint, bigint] {
  const e = x.exp < y.exp ? x.exp : y.exp;
  return [x.digits * 10n ** (x.exp - e), y.digits * 10n ** (y.exp - e), e];
}

export const Dec = {
  plus(x: Decimal, y: Decimal): Decimal {
    const [a, b, e] = align(x, y);
    return normalize({ digits: a + b, exp: e });
  },
  minus(x: Decimal, y: Decimal): Decimal {
    const [a, b, e] = align(x, y);
    return normalize({ digits: a - b, exp: e });
  },
  times(x: Decimal, y: Decimal): Decimal {
    return normalize({ digits: x.digits * y.digits, exp: x.exp + y.exp });
  },
  dividedBy(x: Decimal, y: Decimal): Decimal {
    if (y.digits === 0n) throw new HostError("attempt to divide by zero");
    if (x.digits === 0n) return { digits: 0n, exp: 0n };
    // Enough extra digits that the quotient has more than MAX_SIGNIFICANT_DIGITS + 2, then round.
    const shift = BigInt(MAX_SIGNIFICANT_DIGITS + 3 + digitCount(y.digits) - digitCount(x.digits));
    const scale = shift > 0n ? shift : 0n;
    const num = x.digits * 10n ** scale;
    let q = BigIntMath.div(num, y.digits);
    const exact = num % y.digits === 0n;
    // A non-exact quotient: add a sticky digit so half-even rounding sees "more than half".
    let exp = x.exp - y.exp - scale;
    if (!exact) {
      q = q * 10n + (q < 0n || (q === 0n && x.digits * y.digits < 0n) ? -1n : 1n);
      exp -= 1n;
    }
    return normalize({ digits: q, exp });
  },
  equals(x: Decimal, y: Decimal): boolean {
    const a = normalize(x);
    const b = normalize(y);
    return a.digits === b.digits && a.exp === b.exp;
  },
  toString(x: Decimal): string {
    const { digits, exp } = normalize(x);
    if (exp >= 0n) return (digits * 10n ** exp).toString();
    const neg = digits < 0n;
    let s = abs(digits).toString();
    const scale = Number(-exp);
    if (s.length <= scale) s = "0".repeat(scale - s.length + 1) + s;
    const out = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
    return neg ? `-${out}` : out;
  },
  fromString(s: string): Decimal {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
    if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new HostError(`invalid BigDecimal string: "${s}"`);
    const frac = m[3] ?? "";
    const digits = BigInt(`${m[1]}${m[2] || "0"}${frac}`);
    return normalize({ digits, exp: BigInt(m[4] ?? 0) - BigInt(frac.length) });
  },
  fromBigInt(x: bigint): Decimal {
    return normalize({ digits: x, exp: 0n });
  },
};

export function readDecimal(mem: AscMemory, ptr: number): Decimal {
  return {
    digits: fromSignedBytesLE(mem.readBytes(mem.u32(ptr))),
    exp: fromSignedBytesLE(mem.readBytes(mem.u32(ptr + 4))),
  };
}

export function newDecimal(mem: AscMemory, x: Decimal): number {
  const d = mem.newBytes(toSignedBytesLE(x.digits));
  const e = mem.newBytes(toSignedBytesLE(x.exp));
  return mem.newObject([d, e], TypeId.BigDecimal);
}

export function bigDecimalImports(mem: () => AscMemory) {
  const r = (p: number) => readDecimal(mem(), p);
  const ret = (x: Decimal) => newDecimal(mem(), x);
  return {
    "bigDecimal.plus": (x: number, y: number) => ret(Dec.plus(r(x), r(y))),
    "bigDecimal.minus": (x: number, y: number) => ret(Dec.minus(r(x), r(y))),
    "bigDecimal.times": (x: number, y: number) => ret(Dec.times(r(x), r(y))),
    "bigDecimal.dividedBy": (x: number, y: number) => ret(Dec.dividedBy(r(x), r(y))),
    "bigDecimal.equals": (x: number, y: number) => (Dec.equals(r(x), r(y)) ? 1 : 0),
    "bigDecimal.toString": (x: number) => mem().newString(Dec.toString(r(x))),
    "bigDecimal.fromString": (s: number) => ret(Dec.fromString(mem().readString(s))),
    "bigInt.dividedByDecimal": (x: number, y: number) =>
      ret(Dec.dividedBy(Dec.fromBigInt(fromSignedBytesLE(mem().readBytes(x))), r(y))),
  };
}
