/**
 * Server-only: reads the runtime configuration at request time — the dev chain's address book is
 * rewritten by every `npm run dev`, so it cannot be baked into the build.
 *
 *   POWERSHARE_CHAIN_ID   31337 (default), 80002 or 137
 *   CHAIN_RPC_URL         the JSON-RPC the server proxies at /api/rpc (default 127.0.0.1:8545 on 31337)
 *   INDEXER_URL           the indexer the server proxies at /api/indexer (default 127.0.0.1:42069)
 *   NOTIFIER_URL          the notifier the server proxies at /api/notifier (unset: no notifications UI)
 *   AGENTS_URL            the agents service the server proxies at /api/agents (unset: no AI Assistant)
 *   ADDRESS_BOOK          an address-book JSON file (default: the contracts package's book)
 *   NEXT_PUBLIC_WALLETCONNECT_PROJECT_ID   enables WalletConnect (off by default: nothing calls out)
 */
import "server-only";
import { readFileSync } from "node:fs";
import type { AddressBook } from "@powershare/contracts";
import { readAddressBook } from "@powershare/contracts/node";
import { zeroAddress } from "viem";
import { CHAIN_NAMES, EXPLORERS, type AppConfig } from "./config";

export function serverEnv() {
  const chainId = Number(process.env.POWERSHARE_CHAIN_ID ?? 31337);
  const rpc =
    process.env.CHAIN_RPC_URL ??
    (chainId === 31337
      ? "http://127.0.0.1:8545"
      : chainId === 80002
        ? (process.env.AMOY_RPC_URL ?? "https://rpc-amoy.polygon.technology")
        : (process.env.POLYGON_RPC_URL ?? "https://polygon-rpc.com"));
  const indexer = (process.env.INDEXER_URL ?? "http://127.0.0.1:42069").replace(/\/$/, "");
  const notifier = process.env.NOTIFIER_URL ? process.env.NOTIFIER_URL.replace(/\/$/, "") : undefined;
  const agents = process.env.AGENTS_URL ? process.env.AGENTS_URL.replace(/\/$/, "") : undefined;
  return { chainId, rpc, indexer, notifier, agents };
}

function loadBook(chainId: number): AddressBook | undefined {
  try {
    if (process.env.ADDRESS_BOOK)
      return JSON.parse(readFileSync(process.env.ADDRESS_BOOK, "utf8")) as AddressBook;
    return readAddressBook(chainId);
  } catch {
    return undefined;
  }
}

export function appConfig(): AppConfig {
  const { chainId } = serverEnv();
  const book = loadBook(chainId);
  const c = book?.contracts ?? {};
  return {
    chainId,
    chainName: CHAIN_NAMES[chainId] ?? `Chain ${chainId}`,
    rpcUrl: "/api/rpc",
    indexerUrl: "/api/indexer",
    notifierUrl: serverEnv().notifier ? "/api/notifier" : undefined,
    agentsUrl: serverEnv().agents ? "/api/agents" : undefined,
    explorerUrl: EXPLORERS[chainId],
    walletConnectProjectId: process.env.NEXT_PUBLIC_WALLETCONNECT_PROJECT_ID || undefined,
    contracts: {
      market: c.EnergyMarket?.address ?? zeroAddress,
      quoteToken: book?.quoteToken ?? zeroAddress,
      settlement: c.DeliverySettlement?.address,
      governor: c.TreasuryGovernor?.address,
      keeper: c.SettlementKeeper?.address,
    },
    deployed: Boolean(c.EnergyMarket),
  };
}
