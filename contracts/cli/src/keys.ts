/**
 * Signing keys for the CLI and the keeper: a private key from an environment variable, or a Web3
 * Secret Storage v3 keystore (the JSON format geth, ethers and viem-based wallets write; scrypt or
 * pbkdf2 with aes-128-ctr) decrypted with the password from an environment variable. A key is
 * never printed, logged or put into an error message.
 */
import {
  createCipheriv,
  createDecipheriv,
  pbkdf2Sync,
  randomBytes,
  randomUUID,
  scryptSync,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { bytesToHex, hexToBytes, keccak256, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyError";
  }
}

interface Keystore {
  version: number;
  address?: string;
  crypto?: KeystoreCrypto;
  Crypto?: KeystoreCrypto;
}
interface KeystoreCrypto {
  cipher: string;
  cipherparams: { iv: string };
  ciphertext: string;
  kdf: "scrypt" | "pbkdf2";
  kdfparams: { dklen: number; salt: string; n?: number; r?: number; p?: number; c?: number; prf?: string };
  mac: string;
}

const hex = (s: string): Uint8Array => hexToBytes((s.startsWith("0x") ? s : `0x${s}`) as Hex);

function deriveKey(c: KeystoreCrypto, password: string): Buffer {
  const salt = Buffer.from(hex(c.kdfparams.salt));
  const dklen = c.kdfparams.dklen;
  if (c.kdf === "scrypt") {
    const { n = 0, r = 0, p = 0 } = c.kdfparams;
    return scryptSync(password.normalize("NFKC"), salt, dklen, {
      N: n,
      r,
      p,
      maxmem: 256 * n * r + 1024 * 1024,
    });
  }
  if (c.kdf === "pbkdf2") {
    if (c.kdfparams.prf !== "hmac-sha256") throw new KeyError(`unsupported keystore prf ${c.kdfparams.prf}`);
    return pbkdf2Sync(password.normalize("NFKC"), salt, c.kdfparams.c ?? 0, dklen, "sha256");
  }
  throw new KeyError(`unsupported keystore kdf ${String(c.kdf)}`);
}

/** Decrypts a v3 keystore; throws KeyError on a wrong password or a malformed file. */
export function decryptKeystore(json: string, password: string): Hex {
  let ks: Keystore;
  try {
    ks = JSON.parse(json) as Keystore;
  } catch {
    throw new KeyError("the keystore file is not JSON");
  }
  const c = ks.crypto ?? ks.Crypto;
  if (ks.version !== 3 || !c) throw new KeyError("the keystore is not a version 3 keystore");
  if (c.cipher !== "aes-128-ctr") throw new KeyError(`unsupported keystore cipher ${c.cipher}`);
  const dk = deriveKey(c, password);
  const ciphertext = Buffer.from(hex(c.ciphertext));
  const mac = keccak256(Buffer.concat([dk.subarray(16, 32), ciphertext]));
  if (mac.slice(2).toLowerCase() !== c.mac.replace(/^0x/, "").toLowerCase()) {
    throw new KeyError("wrong keystore password (MAC mismatch)");
  }
  const decipher = createDecipheriv("aes-128-ctr", dk.subarray(0, 16), Buffer.from(hex(c.cipherparams.iv)));
  return bytesToHex(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
}

/** Encrypts a private key into a v3 keystore (scrypt). `n` defaults to 2^17 (use less in tests). */
export function encryptKeystore(privateKey: Hex, password: string, opts: { n?: number } = {}): string {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const kdfparams = { dklen: 32, salt: salt.toString("hex"), n: opts.n ?? 131_072, r: 8, p: 1 };
  const c: KeystoreCrypto = {
    cipher: "aes-128-ctr",
    cipherparams: { iv: iv.toString("hex") },
    ciphertext: "",
    kdf: "scrypt",
    kdfparams,
    mac: "",
  };
  const dk = deriveKey(c, password);
  const cipher = createCipheriv("aes-128-ctr", dk.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(hexToBytes(privateKey))), cipher.final()]);
  c.ciphertext = ciphertext.toString("hex");
  c.mac = keccak256(Buffer.concat([dk.subarray(16, 32), ciphertext])).slice(2);
  const address = privateKeyToAccount(privateKey).address.slice(2).toLowerCase();
  return JSON.stringify({ version: 3, id: randomUUID(), address, crypto: c });
}

export interface KeySource {
  /** Name of the environment variable holding a 0x private key. */
  keyEnv: string;
  /** Path of a v3 keystore file. */
  keystore?: string | undefined;
  /** Name of the environment variable holding the keystore's password. */
  passwordEnv: string;
}

/** The signing account, or a KeyError saying where a key was looked for (never the key itself). */
export function loadAccount(src: KeySource, env: NodeJS.ProcessEnv = process.env): PrivateKeyAccount {
  let key: string | undefined;
  if (src.keystore) {
    const password = env[src.passwordEnv];
    if (password === undefined) {
      throw new KeyError(
        `the keystore ${src.keystore} needs its password in the environment variable ${src.passwordEnv}`,
      );
    }
    let json: string;
    try {
      json = readFileSync(src.keystore, "utf8");
    } catch {
      throw new KeyError(`cannot read the keystore file ${src.keystore}`);
    }
    key = decryptKeystore(json, password);
  } else {
    key = env[src.keyEnv]?.trim();
    if (!key) {
      throw new KeyError(
        `no signing key: set ${src.keyEnv} to a 0x private key, or pass --keystore <file> (password in ${src.passwordEnv})`,
      );
    }
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new KeyError(
      src.keystore
        ? "the keystore does not hold a 32-byte private key"
        : `${src.keyEnv} is not a 0x-prefixed 32-byte hex private key`,
    );
  }
  return privateKeyToAccount(key as Hex);
}
