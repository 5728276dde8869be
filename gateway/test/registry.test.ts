import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAccounts } from "../src/bap-accounts.ts";
import { fileRegistry, parseRegistry, RegistryError, staticRegistry } from "../src/registry.ts";
import { generateSigningKeyPair } from "../src/signing.ts";

const pub = generateSigningKeyPair().publicKey;
const entry = (o: Record<string, unknown> = {}) => ({
  subscriber_id: "bap.a",
  unique_key_id: "k1",
  type: "BAP",
  subscriber_url: "http://127.0.0.1:1/beckn",
  signing_public_key: pub,
  ...o,
});

describe("subscriber registry", () => {
  it("finds subscribed keys within their validity only", () => {
    const r = staticRegistry(
      parseRegistry({
        subscribers: [
          entry(),
          entry({ unique_key_id: "old", valid_until: "2020-01-01T00:00:00Z" }),
          entry({ unique_key_id: "off", status: "UNSUBSCRIBED" }),
        ],
      }),
    );
    expect(r.lookup("bap.a", "k1")?.subscriberUrl).toBe("http://127.0.0.1:1/beckn");
    expect(r.lookup("bap.a", "old")).toBeUndefined();
    expect(r.lookup("bap.a", "off")).toBeUndefined();
    expect(r.lookup("bap.b", "k1")).toBeUndefined();
  });

  it("refuses bad entries with a sentence", () => {
    expect(() => parseRegistry({})).toThrow(RegistryError);
    expect(() => parseRegistry({ subscribers: [entry({ type: "X" })] })).toThrow(/type must be/);
    expect(() => parseRegistry({ subscribers: [entry({ signing_public_key: "AAAA" })] })).toThrow(/32 bytes/);
    expect(() => parseRegistry({ subscribers: [entry({ valid_from: "soon" })] })).toThrow(/not a date/);
  });

  it("re-reads the file when it changes", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "gw-reg-")), "registry.json");
    writeFileSync(file, JSON.stringify({ subscribers: [entry()] }));
    const r = fileRegistry(file);
    expect(r.lookup("bap.a", "k1")).toBeDefined();
    await new Promise((res) => setTimeout(res, 20));
    writeFileSync(file, JSON.stringify({ subscribers: [entry({ subscriber_id: "bap.b" })] }));
    expect(r.lookup("bap.a", "k1")).toBeUndefined();
    expect(r.lookup("bap.b", "k1")).toBeDefined();
  });
});

describe("BAP trading accounts", () => {
  const key = "0x" + "11".repeat(32);
  it("reads keys from the environment or the file, with meters", () => {
    const [a] = parseAccounts(
      { accounts: [{ bap_id: "bap.a", private_key_env: "K", meters: [3] }] },
      { K: key },
    );
    expect(a!.bapId).toBe("bap.a");
    expect(a!.account.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(a!.meters).toEqual([3]);
  });
  it("refuses missing keys, bad keys, duplicates and no meters", () => {
    expect(() =>
      parseAccounts({ accounts: [{ bap_id: "a", private_key_env: "NOPE", meters: [1] }] }, {}),
    ).toThrow(/NOPE is not set/);
    expect(() => parseAccounts({ accounts: [{ bap_id: "a", private_key: "0x12", meters: [1] }] })).toThrow(
      /32-byte hex/,
    );
    expect(() => parseAccounts({ accounts: [{ bap_id: "a", private_key: key, meters: [] }] })).toThrow(
      /meters/,
    );
    expect(() =>
      parseAccounts({
        accounts: [
          { bap_id: "a", private_key: key, meters: [1] },
          { bap_id: "a", private_key: key, meters: [1] },
        ],
      }),
    ).toThrow(/twice/);
  });
});
