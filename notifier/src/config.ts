/** The notifier's configuration from environment variables, each checked with a sentence. */
import { readFileSync } from "node:fs";
import { createPublicClient, defineChain, http } from "viem";
import { readAddressBook, type AddressBook } from "@powershare/contracts/node";
import { addressesFromBook, type AnyPublicClient } from "@powershare/contracts/sdk";
import type { NotifierConfig } from "./notifier.ts";
import { smsProviderFromEnv } from "./channels/sms.ts";

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, def: number, min = 0): number {
  const v = env[name];
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new ConfigError(`${name} must be an integer ≥ ${min}, not "${v}"`);
  return n;
}

/**
 * POWERSHARE_RPC_URL, POWERSHARE_CHAIN_ID (31337), POWERSHARE_ADDRESS_BOOK (file; else the
 * package's book for the chain), NOTIFIER_PORT (8790), NOTIFIER_HOST, NOTIFIER_CONFIRMATIONS (2),
 * NOTIFIER_POLL_MS, NOTIFIER_SQLITE (notifier.sqlite) or DATABASE_URL (+ NOTIFIER_PG_SCHEMA),
 * SMTP_URL + EMAIL_FROM, VAPID_PUBLIC_KEY + VAPID_PRIVATE_KEY + VAPID_SUBJECT, SMS_PROVIDER (+ its
 * keys), NOTIFIER_ALLOW_PRIVATE_WEBHOOKS, NOTIFIER_ADMIN_TOKEN, NOTIFIER_HOOK_TOKEN,
 * NOTIFIER_SIWE_DOMAIN, NOTIFIER_MAX_ATTEMPTS, NOTIFIER_RETRY_BASE_MS, NOTIFIER_MAX_WEBHOOKS, NOTIFIER_CORS_ORIGINS (comma list; default *), LOG_LEVEL.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): Omit<NotifierConfig, "logger"> {
  const chainId = int(env, "POWERSHARE_CHAIN_ID", 31337, 1);
  const rpc = env.POWERSHARE_RPC_URL ?? (chainId === 31337 ? "http://127.0.0.1:8545" : undefined);
  if (!rpc) throw new ConfigError(`POWERSHARE_RPC_URL is needed for chain ${chainId}`);
  let book: AddressBook;
  if (env.POWERSHARE_ADDRESS_BOOK) {
    try {
      book = JSON.parse(readFileSync(env.POWERSHARE_ADDRESS_BOOK, "utf8")) as AddressBook;
    } catch {
      throw new ConfigError(`cannot read the address book ${env.POWERSHARE_ADDRESS_BOOK}`);
    }
  } else book = readAddressBook(chainId);
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
  });
  const publicClient = createPublicClient({
    chain,
    transport: http(rpc, { timeout: 30_000 }),
  }) as AnyPublicClient;
  const vapid =
    env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY
      ? {
          publicKey: env.VAPID_PUBLIC_KEY,
          privateKey: env.VAPID_PRIVATE_KEY,
          subject: env.VAPID_SUBJECT ?? "mailto:ops@powershare.invalid",
        }
      : undefined;
  if (env.SMTP_URL && !/^smtps?:\/\//.test(env.SMTP_URL))
    throw new ConfigError("SMTP_URL must start with smtp:// or smtps://");
  return {
    publicClient,
    addresses: addressesFromBook(book),
    chainId,
    sqlitePath: env.NOTIFIER_SQLITE ?? "notifier.sqlite",
    databaseUrl: env.DATABASE_URL || undefined,
    pgSchema: env.NOTIFIER_PG_SCHEMA ?? "notifier",
    confirmations: int(env, "NOTIFIER_CONFIRMATIONS", 2),
    pollMs: int(env, "NOTIFIER_POLL_MS", 1000, 10),
    port: int(env, "NOTIFIER_PORT", 8790),
    host: env.NOTIFIER_HOST ?? "127.0.0.1",
    siweDomain: env.NOTIFIER_SIWE_DOMAIN,
    smtp: env.SMTP_URL
      ? { url: env.SMTP_URL, from: env.EMAIL_FROM ?? "PowerShare <notify@powershare.invalid>" }
      : undefined,
    vapid,
    pushCa: env.NOTIFIER_PUSH_CA ? readFileSync(env.NOTIFIER_PUSH_CA) : undefined,
    sms: smsProviderFromEnv(env),
    allowPrivateWebhooks:
      env.NOTIFIER_ALLOW_PRIVATE_WEBHOOKS === "true" || env.NOTIFIER_ALLOW_PRIVATE_WEBHOOKS === "1",
    maxWebhooksPerAddress: int(env, "NOTIFIER_MAX_WEBHOOKS", 10, 1),
    corsOrigins: env.NOTIFIER_CORS_ORIGINS ? env.NOTIFIER_CORS_ORIGINS.split(",").map((o) => o.trim()) : "*",
    adminToken: env.NOTIFIER_ADMIN_TOKEN,
    hookToken: env.NOTIFIER_HOOK_TOKEN,
    retry: {
      maxAttempts: int(env, "NOTIFIER_MAX_ATTEMPTS", 8, 1),
      baseMs: int(env, "NOTIFIER_RETRY_BASE_MS", 1000, 1),
    },
  };
}
