#!/usr/bin/env node
/**
 * powershare-gateway — the Beckn v2 BPP of PowerShare (see docs/beckn.md).
 *
 *   node gateway/bin/gateway.ts [--dev] [--port N]
 *
 * Settings from the environment (src/config.ts). SIGINT/SIGTERM stop it after the answers in flight.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { pino } from "pino";
import { createPublicClient, createWalletClient, defineChain, http } from "viem";
import { readAddressBook } from "@powershare/contracts/node";
import { addressesFromBook, type AnyPublicClient, type AnyWalletClient } from "@powershare/contracts/sdk";
import type { AddressBook } from "@powershare/contracts";
import { readAccountsFile } from "../src/bap-accounts.ts";
import { ConfigError, loadConfig } from "../src/config.ts";
import { startGateway } from "../src/gateway.ts";
import { fileRegistry } from "../src/registry.ts";

const args = process.argv.slice(2);
const dev = args.includes("--dev");
const portAt = args.indexOf("--port");
const port = portAt >= 0 ? Number(args[portAt + 1]) : undefined;
if (args.includes("--help")) {
  console.log(
    "powershare-gateway [--dev] [--port N]   (settings: see gateway/src/config.ts and docs/beckn.md)",
  );
  process.exit(0);
}

try {
  const cfg = loadConfig(process.env, { dev, ...(port !== undefined ? { port } : {}) });
  const log = pino({ name: "gateway", level: cfg.logLevel });
  let book: AddressBook;
  try {
    book = cfg.addressBookFile
      ? (JSON.parse(readFileSync(cfg.addressBookFile, "utf8")) as AddressBook)
      : readAddressBook(cfg.chainId);
  } catch (err) {
    throw new ConfigError(`cannot load the address book: ${(err as Error).message}`);
  }
  const chain = defineChain({
    id: cfg.chainId,
    name: `chain ${cfg.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [cfg.rpcUrl] } },
  });
  const transport = http(cfg.rpcUrl, { timeout: 30_000 });
  const publicClient = createPublicClient({ chain, transport }) as AnyPublicClient;
  const accounts = cfg.accountsFile ? readAccountsFile(cfg.accountsFile) : [];
  const gw = await startGateway({
    key: { subscriberId: cfg.participantId, uniqueKeyId: cfg.uniqueKeyId, privateKey: cfg.privateKey },
    publicUrl: cfg.publicUrl,
    registry: fileRegistry(cfg.registryFile),
    accounts,
    publicClient,
    walletFor: (a) => createWalletClient({ chain, transport, account: a.account }) as AnyWalletClient,
    addresses: addressesFromBook(book),
    chainId: cfg.chainId,
    indexerUrl: cfg.indexerUrl,
    log,
    host: cfg.host,
    port: cfg.port,
    ordersFile: path.join(cfg.dataDir, "orders.json"),
    becknGatewayUrl: cfg.becknGatewayUrl,
    publishSeconds: cfg.publishSeconds,
  });
  log.info(
    {
      url: gw.url,
      subscriberId: cfg.participantId,
      uniqueKeyId: cfg.uniqueKeyId,
      signingPublicKey: cfg.publicKey,
      registry: cfg.registryFile,
      bapAccounts: accounts.map((a) => a.bapId),
    },
    "ready",
  );
  const stop = async (signal: string) => {
    log.info({ signal }, "stopping");
    await gw.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
} catch (err) {
  if (
    err instanceof ConfigError ||
    (err as Error).name === "AccountsError" ||
    (err as Error).name === "RegistryError"
  ) {
    console.error(`powershare-gateway: ${(err as Error).message}`);
    process.exit(2);
  }
  throw err;
}
