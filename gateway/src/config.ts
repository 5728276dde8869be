/**
 * The gateway's settings, from the environment (and a few flags of bin/gateway.ts):
 *
 *   BECKN_PARTICIPANT_ID    this BPP's subscriber id (default powershare.bpp.local)
 *   BECKN_UNIQUE_KEY_ID     the id of its signing key in the registry (default k1)
 *   BECKN_PRIVATE_KEY       its ed25519 private key, base64 (32-byte seed or 64-byte seed‖public)
 *   BECKN_REGISTRY_FILE     the subscriber registry (JSON; see registry.ts)
 *   BECKN_ACCOUNTS_FILE     the BAPs' trading accounts (JSON; see bap-accounts.ts); none: BAPs can
 *                           discover and select but not init/confirm
 *   BECKN_GATEWAY_URL       the network's Beckn gateway / discovery service: when set, the catalog
 *                           is published there (catalog_publish) every BECKN_PUBLISH_SECONDS
 *   BECKN_PUBLIC_URL        the URL BAPs reach this BPP at (bpp_uri); default its listening URL
 *   POWERSHARE_RPC_URL, POWERSHARE_CHAIN (31337), POWERSHARE_ADDRESS_BOOK, POWERSHARE_INDEXER_URL
 *   GATEWAY_HOST, GATEWAY_PORT, GATEWAY_DATA_DIR (orders file), LOG_LEVEL
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateSigningKeyPair, privateKeyObject, publicKeyOf } from "./signing.ts";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface GatewayConfig {
  participantId: string;
  uniqueKeyId: string;
  privateKey: string;
  publicKey: string;
  registryFile: string;
  accountsFile?: string | undefined;
  becknGatewayUrl?: string | undefined;
  publishSeconds: number;
  publicUrl?: string | undefined;
  rpcUrl: string;
  chainId: number;
  addressBookFile?: string | undefined;
  indexerUrl: string;
  host: string;
  port: number;
  dataDir: string;
  logLevel: string;
}

function url(name: string, v: string | undefined): string | undefined {
  if (v === undefined || v === "") return undefined;
  try {
    const u = new URL(v);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${v}"`);
  }
  return v.replace(/\/$/, "");
}

function int(name: string, v: string | undefined, dflt: number, min = 0): number {
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min)
    throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

/**
 * Reads the settings. With `dev`, a missing key is generated once and kept in the data directory,
 * and a missing registry file is created with no subscribers (add BAPs to it; it is re-read live).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  flags: { dev?: boolean; port?: number } = {},
): GatewayConfig {
  const dataDir = path.resolve(env.GATEWAY_DATA_DIR ?? path.join(process.cwd(), ".gateway"));
  let privateKey = env.BECKN_PRIVATE_KEY;
  if (!privateKey && flags.dev) {
    const keyFile = path.join(dataDir, "signing-key.json");
    if (!existsSync(keyFile)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(keyFile, JSON.stringify(generateSigningKeyPair(), null, 2), { mode: 0o600 });
    }
    privateKey = (JSON.parse(readFileSync(keyFile, "utf8")) as { privateKey: string }).privateKey;
  }
  if (!privateKey)
    throw new ConfigError("BECKN_PRIVATE_KEY is not set (base64 ed25519 private key; --dev generates one)");
  try {
    privateKeyObject(privateKey);
  } catch (err) {
    throw new ConfigError(`BECKN_PRIVATE_KEY: ${(err as Error).message}`);
  }
  const registryFile = path.resolve(env.BECKN_REGISTRY_FILE ?? path.join(dataDir, "registry.json"));
  if (!existsSync(registryFile)) {
    if (!flags.dev)
      throw new ConfigError(`the registry file ${registryFile} does not exist (BECKN_REGISTRY_FILE)`);
    mkdirSync(path.dirname(registryFile), { recursive: true });
    writeFileSync(registryFile, JSON.stringify({ subscribers: [] }, null, 2) + "\n");
  }
  const rpcUrl =
    url("POWERSHARE_RPC_URL", env.POWERSHARE_RPC_URL) ?? (flags.dev ? "http://127.0.0.1:8545" : undefined);
  if (!rpcUrl) throw new ConfigError("POWERSHARE_RPC_URL is not set");
  const indexerUrl =
    url("POWERSHARE_INDEXER_URL", env.POWERSHARE_INDEXER_URL) ??
    (flags.dev ? "http://127.0.0.1:42069" : undefined);
  if (!indexerUrl)
    throw new ConfigError("POWERSHARE_INDEXER_URL is not set (the gateway reads the books from the indexer)");
  return {
    participantId: env.BECKN_PARTICIPANT_ID || "powershare.bpp.local",
    uniqueKeyId: env.BECKN_UNIQUE_KEY_ID || "k1",
    privateKey,
    publicKey: publicKeyOf(privateKey),
    registryFile,
    accountsFile: env.BECKN_ACCOUNTS_FILE ? path.resolve(env.BECKN_ACCOUNTS_FILE) : undefined,
    becknGatewayUrl: url("BECKN_GATEWAY_URL", env.BECKN_GATEWAY_URL),
    publishSeconds: int("BECKN_PUBLISH_SECONDS", env.BECKN_PUBLISH_SECONDS, 60, 5),
    publicUrl: url("BECKN_PUBLIC_URL", env.BECKN_PUBLIC_URL),
    rpcUrl,
    chainId: int("POWERSHARE_CHAIN", env.POWERSHARE_CHAIN, 31337, 1),
    addressBookFile: env.POWERSHARE_ADDRESS_BOOK,
    indexerUrl,
    host: env.GATEWAY_HOST || "127.0.0.1",
    port: flags.port ?? int("GATEWAY_PORT", env.GATEWAY_PORT, 9480),
    dataDir,
    logLevel: env.LOG_LEVEL || "info",
  };
}
