/**
 * The secp256k1 implementation behind device-signature checks: libsecp256k1 as a native N-API addon
 * (the `secp256k1` package's prebuilt binary, ~50 µs per verify on this machine) where it loads,
 * else libsecp256k1 compiled to WebAssembly (tiny-secp256k1, ~200 µs). The `secp256k1` package's
 * own fallback is pure-JS elliptic (~1.5 ms), so its native binding is loaded directly.
 * `ORACLE_SECP256K1=wasm` forces the WebAssembly build (tests run both).
 */
import { createRequire } from "node:module";
import * as wasm from "tiny-secp256k1";

export interface Secp256k1Backend {
  readonly name: "native" | "wasm";
  /** ECDSA verify of a 64-byte compact (r || s) signature over a 32-byte hash. */
  verify(hash: Uint8Array, publicKey: Uint8Array, compactSig: Uint8Array): boolean;
  /** The 65-byte uncompressed public key that signed `hash`, or undefined. */
  recover(hash: Uint8Array, compactSig: Uint8Array, recoveryId: 0 | 1): Uint8Array | undefined;
}

interface NativeSecp256k1 {
  ecdsaVerify(sig: Uint8Array, msg32: Uint8Array, publicKey: Uint8Array): boolean;
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
  signatureNormalize(sig: Uint8Array): Uint8Array;
}

const wasmBackend: Secp256k1Backend = {
  name: "wasm",
  verify: (hash, publicKey, sig) => wasm.verify(hash, publicKey, sig),
  recover: (hash, sig, recoveryId) => wasm.recover(hash, sig, recoveryId, false) ?? undefined,
};

function nativeBackend(): Secp256k1Backend | undefined {
  let lib: NativeSecp256k1;
  try {
    lib = createRequire(import.meta.url)("secp256k1/bindings.js") as NativeSecp256k1;
  } catch {
    return undefined;
  }
  return {
    name: "native",
    // libsecp256k1 accepts only low-s signatures; the WebAssembly path (non-strict) accepts both,
    // so normalise first: both backends then accept exactly the same signatures.
    verify: (hash, publicKey, sig) =>
      lib.ecdsaVerify(lib.signatureNormalize(Uint8Array.from(sig)), hash, publicKey),
    recover: (hash, sig, recoveryId) => {
      try {
        return lib.ecdsaRecover(sig, recoveryId, hash, false);
      } catch {
        return undefined;
      }
    },
  };
}

export function loadSecp256k1(prefer = process.env.ORACLE_SECP256K1): Secp256k1Backend {
  if (prefer === "wasm") return wasmBackend;
  return nativeBackend() ?? wasmBackend;
}
