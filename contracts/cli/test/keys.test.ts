import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { decryptKeystore, encryptKeystore, KeyError, loadAccount } from "../src/keys.ts";

// The Web3 Secret Storage definition's PBKDF2 test vector (password "testpassword").
const VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: {
      c: 262144,
      dklen: 32,
      prf: "hmac-sha256",
      salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
    },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};
const KEY = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

describe("keystore", () => {
  it("decrypts the standard v3 test vector", () => {
    expect(decryptKeystore(JSON.stringify(VECTOR), "testpassword")).toBe(KEY);
  });
  it("refuses a wrong password and malformed files without leaking the key", () => {
    expect(() => decryptKeystore(JSON.stringify(VECTOR), "nope")).toThrow(/wrong keystore password/);
    expect(() => decryptKeystore("{", "x")).toThrow(KeyError);
    expect(() => decryptKeystore(JSON.stringify({ ...VECTOR, version: 2 }), "x")).toThrow(/version 3/);
  });
  it("round-trips its own scrypt keystores", () => {
    const json = encryptKeystore(KEY, "pw", { n: 1024 });
    expect(json).not.toContain(KEY.slice(2));
    expect(JSON.parse(json)).toMatchObject({
      version: 3,
      address: privateKeyToAccount(KEY).address.slice(2).toLowerCase(),
    });
    expect(decryptKeystore(json, "pw")).toBe(KEY);
  });
});

describe("loadAccount", () => {
  it("reads a key from the named environment variable", () => {
    const a = loadAccount({ keyEnv: "K", passwordEnv: "P" }, { K: KEY });
    expect(a.address).toBe(privateKeyToAccount(KEY).address);
  });
  it("says where it looked, never what it found", () => {
    expect(() => loadAccount({ keyEnv: "K", passwordEnv: "P" }, {})).toThrow(/no signing key: set K/);
    const bad = "0x1234";
    const err = (() => {
      try {
        loadAccount({ keyEnv: "K", passwordEnv: "P" }, { K: bad });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/K is not a 0x-prefixed 32-byte hex private key/);
    expect(err?.message).not.toContain(bad);
  });
  it("opens a keystore file with the password from the environment", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "ks-")), "k.json");
    writeFileSync(file, encryptKeystore(KEY, "s3cret", { n: 1024 }));
    expect(loadAccount({ keyEnv: "K", keystore: file, passwordEnv: "P" }, { P: "s3cret" }).address).toBe(
      privateKeyToAccount(KEY).address,
    );
    expect(() => loadAccount({ keyEnv: "K", keystore: file, passwordEnv: "P" }, {})).toThrow(
      /password in the environment variable P/,
    );
  });
});
