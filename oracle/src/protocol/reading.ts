/** The signed meter reading: wire schema and the digest its device key signs. */
import { z } from "zod";
import { encodePacked, keccak256, type Hex } from "viem";

const uint = (max: number) => z.number().int().nonnegative().max(max);
const UINT64_SAFE = Number.MAX_SAFE_INTEGER; // JSON numbers above 2^53 cannot be represented exactly

export const readingSchema = z
  .object({
    meterId: uint(0xffff_ffff),
    seq: uint(UINT64_SAFE),
    ts: uint(UINT64_SAFE),
    importWh: uint(UINT64_SAFE),
    exportWh: uint(UINT64_SAFE),
    sig: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "sig must be a 65-byte hex signature"),
  })
  .strict();

export interface Reading {
  meterId: number;
  seq: number;
  ts: number;
  importWh: number;
  exportWh: number;
  sig: Hex;
}

export type UnsignedReading = Omit<Reading, "sig">;

/** keccak256(abi.encodePacked(uint32 meterId, uint64 seq, uint64 ts, uint64 importWh, uint64 exportWh)). */
export function readingDigest(r: UnsignedReading): Hex {
  return keccak256(
    encodePacked(
      ["uint32", "uint64", "uint64", "uint64", "uint64"],
      [r.meterId, BigInt(r.seq), BigInt(r.ts), BigInt(r.importWh), BigInt(r.exportWh)],
    ),
  );
}
