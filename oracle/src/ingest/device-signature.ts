/**
 * Device signature check: EIP-191 personal_sign over the reading digest, by the meter's device key.
 *
 * libsecp256k1 does the curve work (native, else WebAssembly: secp256k1-backend.ts). Recovering a
 * public key costs a little more than verifying against a known one, and yields an address only
 * after a keccak, so the first signature of a device is checked by recovery (which also yields its
 * public key, checked against the registered address) and later ones by plain verification against
 * the cached key.
 */
import { bytesToHex, getAddress, keccak256, type Address, type Hex } from "viem";
import type { UnsignedReading } from "../protocol/reading.ts";
import { loadSecp256k1, type Secp256k1Backend } from "./secp256k1-backend.ts";

export interface SignatureTask extends UnsignedReading {
  sig: Hex;
  deviceKey: Address;
}

const PREFIX = Buffer.from("\x19Ethereum Signed Message:\n32", "latin1");

/**
 * keccak256("\x19Ethereum Signed Message:\n32" || readingDigest(r)) computed on bytes (same value as
 * viem's hashMessage({ raw: readingDigest(r) }), without the hex round trips of the hot path).
 */
export function readingMessageHash(r: UnsignedReading): Uint8Array {
  const packed = Buffer.allocUnsafe(36);
  packed.writeUInt32BE(r.meterId, 0);
  packed.writeBigUInt64BE(BigInt(r.seq), 4);
  packed.writeBigUInt64BE(BigInt(r.ts), 12);
  packed.writeBigUInt64BE(BigInt(r.importWh), 20);
  packed.writeBigUInt64BE(BigInt(r.exportWh), 28);
  const message = Buffer.allocUnsafe(60);
  PREFIX.copy(message, 0);
  message.set(keccak256(packed, "bytes"), 28);
  return keccak256(message, "bytes");
}

export class DeviceSignatureChecker {
  readonly #publicKeys = new Map<Address, Uint8Array>();
  readonly #ecc: Secp256k1Backend;

  constructor(backend: Secp256k1Backend = loadSecp256k1()) {
    this.#ecc = backend;
  }

  get backend(): Secp256k1Backend["name"] {
    return this.#ecc.name;
  }

  check(task: SignatureTask): boolean {
    const hash = readingMessageHash(task);
    const sig = Buffer.from(task.sig.slice(2), "hex");
    if (sig.length !== 65) return false;
    const compact = sig.subarray(0, 64);
    const known = this.#publicKeys.get(task.deviceKey);
    try {
      if (known) return this.#ecc.verify(hash, known, compact);
      const v = sig[64]!;
      const recoveryId = v >= 27 ? v - 27 : v;
      if (recoveryId !== 0 && recoveryId !== 1) return false;
      const pub = this.#ecc.recover(hash, compact, recoveryId);
      if (!pub) return false;
      const address = getAddress(`0x${keccak256(bytesToHex(pub.subarray(1))).slice(-40)}`);
      if (address !== getAddress(task.deviceKey)) return false;
      this.#publicKeys.set(task.deviceKey, pub);
      return true;
    } catch {
      return false;
    }
  }
}
