/** The runtime configuration the server hands to the browser (chain, endpoints, contract addresses). */
import type { Address } from "viem";

export interface AppConfig {
  chainId: number;
  chainName: string;
  /** JSON-RPC URL as the browser reaches it ("/api/rpc" proxies the server's CHAIN_RPC_URL). */
  rpcUrl: string;
  /** Indexer base URL as the browser reaches it ("/api/indexer" proxies INDEXER_URL). */
  indexerUrl: string;
  /** Notifier base URL as the browser reaches it ("/api/notifier" proxies NOTIFIER_URL); absent: no notifier. */
  notifierUrl?: string;
  /** Agents API base as the browser reaches it ("/api/agents" proxies AGENTS_URL); absent: no assistant. */
  agentsUrl?: string;
  explorerUrl?: string;
  walletConnectProjectId?: string;
  contracts: {
    market: Address;
    quoteToken: Address;
    settlement?: Address;
    governor?: Address;
    keeper?: Address;
  };
  /** Deployed at all? (false: no address book for the chain; the app shows how to deploy). */
  deployed: boolean;
}

export const CHAIN_NAMES: Record<number, string> = {
  31337: "PowerShare dev chain",
  80002: "Polygon Amoy",
  137: "Polygon",
};
export const EXPLORERS: Record<number, string> = {
  80002: "https://amoy.polygonscan.com",
  137: "https://polygonscan.com",
};
