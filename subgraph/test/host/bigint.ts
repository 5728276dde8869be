/**
 * graph-node's BigInt: an arbitrary-precision signed integer, passed to the mappings as its
 * two's-complement little-endian bytes (num_bigint's to_signed_bytes_le: minimal length, zero is [0]).
 * Arithmetic follows Rust's num_bigint: division truncates toward zero, the remainder has the sign
 * of the dividend, shifts are arithmetic (rightShift floors); division by zero is a host error.
 */
import type { AscMemory } from "./memory.ts";

export function toSignedBytesLE(n: bigint): Uint8Array {
  if (n === 0n) return Uint8Array.of(0);
  const out: number[] = [];
  let v = n;
  for (;;) {
    const byte = Number(v & 0xffn);
    out.push(byte);
    v >>= 8n; // arithmetic
    const signBit = (byte & 0x80) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) break;
  }
  return Uint8Array.from(out);
}

export function fromSignedBytesLE(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v;
}

export function fromUnsignedBytesLE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

export class HostError extends Error {}

/** graph-node BigInt::MAX_BITS: 131072 decimal digits (PostgreSQL numeric), sign bit included. */
export const MAX_BITS = 435_412;

/** Magnitude bits, as num_bigint's bits(). */
export function bitsOf(x: bigint): number {
  return x === 0n ? 0 : (x < 0n ? -x : x).toString(2).length;
}

/** BigInt::new: what crosses from the mapping (and pow's result) is checked against MAX_BITS. */
export function checked(x: bigint): bigint {
  const bits = bitsOf(x) + 1;
  if (bits > MAX_BITS) throw new HostError(`BigInt is too big, total bits ${bits} (max ${MAX_BITS})`);
  return x;
}

/** num_bigint semantics on JS bigints (shared with BigDecimal). */
export const BigIntMath = {
  div(x: bigint, y: bigint): bigint {
    if (y === 0n) throw new HostError(`attempted to divide BigInt \`${x}\` by zero`);
    return x / y; // truncates toward zero, as num_bigint
  },
  mod(x: bigint, y: bigint): bigint {
    if (y === 0n)
      throw new HostError(`attempted to calculate the remainder of \`${x}\` with a divisor of zero`);
    return x % y; // sign of the dividend, as num_bigint
  },
  pow(x: bigint, exp: number): bigint {
    return checked(x ** BigInt(exp));
  },
  leftShift(x: bigint, bits: number): bigint {
    return x << BigInt(bits);
  },
  rightShift(x: bigint, bits: number): bigint {
    return x >> BigInt(bits); // floors, as num_bigint's Shr on a negative value
  },
};

/** Parses like graph-node's BigInt::from_str (num_bigint, radix 10, optional sign, no whitespace). */
export function parseBigInt(s: string): bigint {
  if (!/^[+-]?[0-9]+(_[0-9]+)*$/.test(s)) throw new HostError(`invalid BigInt string: "${s}"`);
  return BigInt(s.replace(/_/g, ""));
}

export function bigIntImports(mem: () => AscMemory) {
  const read = (p: number) => checked(fromSignedBytesLE(mem().readBytes(p)));
  const ret = (v: bigint) => mem().newBytes(toSignedBytesLE(v));
  return {
    "bigInt.plus": (x: number, y: number) => ret(read(x) + read(y)),
    "bigInt.minus": (x: number, y: number) => ret(read(x) - read(y)),
    "bigInt.times": (x: number, y: number) => ret(read(x) * read(y)),
    "bigInt.dividedBy": (x: number, y: number) => ret(BigIntMath.div(read(x), read(y))),
    "bigInt.mod": (x: number, y: number) => ret(BigIntMath.mod(read(x), read(y))),
    "bigInt.pow": (x: number, exp: number) => ret(BigIntMath.pow(read(x), exp & 0xff)),
    "bigInt.fromString": (s: number) => ret(parseBigInt(mem().readString(s))),
    "bigInt.bitOr": (x: number, y: number) => ret(read(x) | read(y)),
    "bigInt.bitAnd": (x: number, y: number) => ret(read(x) & read(y)),
    "bigInt.leftShift": (x: number, bits: number) => ret(BigIntMath.leftShift(read(x), bits & 0xff)),
    "bigInt.rightShift": (x: number, bits: number) => ret(BigIntMath.rightShift(read(x), bits & 0xff)),
  };
}
