/**
 * graph-node's BigDecimal, digit for digit. graph-node wraps the `bigdecimal` crate pinned at 0.1.2
 * ("old_bigdecimal", kept because any change would alter proofs of indexing) and normalises the
 * result of every operation (graph/src/data/store/scalar/bigdecimal.rs, `normalized`):
 *
 *   1. `with_prec(34)`: a value with more than 34 digits drops the excess; the quotient is rounded
 *      up by one when the remainder has no leading zero and its first digit is ≥ 5 (the crate's
 *      `get_rounding_term`). The check is `p < 10 × r` on the signed remainder, so a NEGATIVE value
 *      is never rounded: it is truncated toward zero. Fewer than 34 digits are padded with zeros.
 *   2. trailing zeros are stripped into the exponent; zero is (0, 0).
 *
 * Division is the crate's `impl_division`: the magnitudes are divided to 100 significant digits
 * (long division, truncating), the 101st digit rounds the last half-up, the sign is applied after,
 * then the result is normalised as above (so a positive quotient is rounded twice, a negative one
 * truncated at 34 digits). x / 1 is x; x / x' with equal digit strings is 1 × 10^(exp difference).
 * Division by zero is a host error. Exponents outside [-6143, 6144] are rejected when a BigDecimal
 * crosses from the mapping to the host (FromAscObj for BigDecimal). toString prints plain notation.
 * In wasm a BigDecimal is {digits: BigInt, exp: BigInt}, value = digits × 10^exp.
 */
import { fromSignedBytesLE, HostError, toSignedBytesLE } from "./bigint.ts";
import { TypeId, type AscMemory } from "./memory.ts";

export const MAX_SIGNIFICANT_DIGITS = 34;
export const MIN_EXP = -6143n;
export const MAX_EXP = 6144n;
/** bigdecimal 0.1.2's precision for division. */
const DIVISION_PRECISION = 100;

export interface Decimal {
  digits: bigint;
  exp: bigint;
}

const abs = (x: bigint) => (x < 0n ? -x : x);
/** count_decimal_digits: the digits of |x|; zero has one. */
const digitCount = (x: bigint) => (x === 0n ? 1 : abs(x).toString().length);

/** The crate's get_rounding_term: 1 when the most significant digit of a positive r is ≥ 5. */
function roundingTerm(r: bigint): bigint {
  if (r === 0n) return 0n;
  return Number(r.toString()[0]) >= 5 ? 1n : 0n;
}

/** bigdecimal 0.1.2 `with_prec` (scale = −exp). */
function withPrec(x: Decimal, prec: number): Decimal {
  const digits = digitCount(x.digits);
  if (digits > prec) {
    const diff = digits - prec;
    const p = 10n ** BigInt(diff);
    let q = x.digits / p; // num_bigint div_rem: truncates toward zero
    const r = x.digits % p; // sign of the dividend
    if (p < 10n * r) q += roundingTerm(r);
    return { digits: q, exp: x.exp + BigInt(diff) };
  }
  if (digits < prec) {
    const diff = BigInt(prec - digits);
    return { digits: x.digits * 10n ** diff, exp: x.exp - diff };
  }
  return x;
}

/** graph-node's BigDecimal::normalized. */
export function normalize(x: Decimal): Decimal {
  if (x.digits === 0n) return { digits: 0n, exp: 0n };
  let { digits, exp } = withPrec(x, MAX_SIGNIFICANT_DIGITS);
  while (digits % 10n === 0n) {
    digits /= 10n;
    exp += 1n;
  }
  return { digits, exp };
}

/** bigdecimal 0.1.2 impl_division on magnitudes; `scale` is −exp. Returns digits and scale. */
function implDivision(num: bigint, den: bigint, scale: bigint): { digits: bigint; scale: bigint } {
  if (num === 0n) return { digits: 0n, scale: 0n };
  if (num < 0n || den < 0n) {
    const neg = num < 0n !== den < 0n;
    const r = implDivision(abs(num), abs(den), scale);
    return neg ? { digits: -r.digits, scale: r.scale } : r;
  }
  while (num < den) {
    scale += 1n;
    num *= 10n;
  }
  let quotient = num / den;
  let remainder = num % den;
  if (remainder === 0n) return { digits: quotient, scale };
  let precision = digitCount(quotient);
  remainder *= 10n;
  while (remainder !== 0n && precision < DIVISION_PRECISION) {
    quotient = quotient * 10n + remainder / den;
    remainder = (remainder % den) * 10n;
    precision++;
    scale += 1n;
  }
  if (remainder !== 0n) quotient += roundingTerm(remainder / den);
  return { digits: quotient, scale };
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
    if (y.digits === 0n) throw new HostError("Cannot divide by zero-valued `BigDecimal`!");
    if (x.digits === 0n) return normalize(x);
    if (y.digits === 1n && y.exp === 0n) return normalize(x); // other.is_one()
    const scale = -x.exp - -y.exp;
    if (x.digits === y.digits) return normalize({ digits: 1n, exp: -scale });
    const r = implDivision(x.digits, y.digits, scale);
    return normalize({ digits: r.digits, exp: -r.scale });
  },
  equals(x: Decimal, y: Decimal): boolean {
    const a = normalize(x);
    const b = normalize(y);
    return a.digits === b.digits && a.exp === b.exp;
  },
  /** bigdecimal 0.1.2 Display: plain notation, never an exponent. */
  toString(x: Decimal): string {
    const { digits, exp } = x;
    if (exp >= 0n) return (digits * 10n ** exp).toString();
    const neg = digits < 0n;
    let s = abs(digits).toString();
    const scale = Number(-exp);
    if (s.length <= scale) s = "0".repeat(scale - s.length + 1) + s;
    const out = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
    return neg ? `-${out}` : out;
  },
  /** bigdecimal 0.1.2 from_str: [sign] digits [. digits] [e|E [sign] digits]. */
  fromString(s: string): Decimal {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
    if (!m || (m[2] === "" && (m[3] ?? "") === ""))
      throw new HostError(`failed to parse BigDecimal from string "${s}"`);
    const frac = m[3] ?? "";
    const digits = BigInt(`${m[1]}${m[2] || "0"}${frac}`);
    return normalize({ digits, exp: BigInt(m[4] ?? 0) - BigInt(frac.length) });
  },
  fromBigInt(x: bigint): Decimal {
    return normalize({ digits: x, exp: 0n });
  },
};

/** FromAscObj for BigDecimal: built with BigDecimal::new (normalised), exponent range checked. */
export function readDecimal(mem: AscMemory, ptr: number): Decimal {
  const d = normalize({
    digits: fromSignedBytesLE(mem.readBytes(mem.u32(ptr))),
    exp: BigInt.asIntN(64, fromSignedBytesLE(mem.readBytes(mem.u32(ptr + 4)))),
  });
  if (d.exp < MIN_EXP || d.exp > MAX_EXP)
    throw new HostError(
      `big decimal exponent \`${d.exp}\` is outside the \`${MIN_EXP}\` to \`${MAX_EXP}\` range`,
    );
  return d;
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
