/**
 * How a BAP pays (docs/decisions/0050): each BAP that buys through the gateway is itself a
 * PowerShare participant — a wallet that is a member of the communities it buys in, owns a
 * receiving meter there, and has deposited its own USDC into the market contract. The BAP hands the
 * gateway a signing key for that trading wallet (a dedicated key, not its treasury's); the gateway
 * places an order from it only on a confirm the BAP signed, and only up to its free balance. The
 * gateway holds no other money: sellers are paid and buyers refunded by the contracts.
 *
 *   { "accounts": [ { "bap_id": "bap.example.com", "private_key_env": "BAP_EXAMPLE_KEY",
 *                     "meters": [12] } ] }       (or "private_key": "0x…" in a file only the operator reads)
 */
import { readFileSync } from "node:fs";
import type { Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

export interface BapAccount {
  bapId: string;
  account: PrivateKeyAccount;
  /** Receiving meters the trading wallet owns (one per community it buys in). */
  meters: number[];
}

export class AccountsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AccountsError";
  }
}

export function parseAccounts(json: unknown, env: NodeJS.ProcessEnv = process.env): BapAccount[] {
  const list = (json as { accounts?: unknown })?.accounts;
  if (!Array.isArray(list)) throw new AccountsError('the BAP accounts file must be { "accounts": [ … ] }');
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const e = raw as Record<string, unknown>;
    const where = `BAP account ${i}`;
    if (typeof e?.bap_id !== "string" || !e.bap_id)
      throw new AccountsError(`${where}: bap_id must be a non-empty string`);
    if (seen.has(e.bap_id)) throw new AccountsError(`${where}: ${e.bap_id} is listed twice`);
    seen.add(e.bap_id);
    let key: unknown = e.private_key;
    if (typeof e.private_key_env === "string") {
      key = env[e.private_key_env];
      if (!key) throw new AccountsError(`${where}: the environment variable ${e.private_key_env} is not set`);
    }
    if (typeof key !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
      throw new AccountsError(
        `${where}: private_key (or private_key_env) must give a 0x-prefixed 32-byte hex key`,
      );
    }
    const meters = e.meters;
    if (
      !Array.isArray(meters) ||
      meters.length === 0 ||
      !meters.every((m) => Number.isSafeInteger(m) && (m as number) > 0)
    ) {
      throw new AccountsError(`${where}: meters must list the trading wallet's receiving meter ids`);
    }
    return { bapId: e.bap_id, account: privateKeyToAccount(key as Hex), meters: meters as number[] };
  });
}

export function readAccountsFile(file: string, env: NodeJS.ProcessEnv = process.env): BapAccount[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new AccountsError(`cannot read the BAP accounts file ${file}: ${(err as Error).message}`);
  }
  return parseAccounts(json, env);
}
