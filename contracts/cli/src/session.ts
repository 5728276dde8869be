/**
 * What a command runs against: the RPC (checked to be the expected chain), the deployment's
 * addresses, the indexer (optional) and, for writes, the signing account.
 */
import { readFileSync } from "node:fs";
import { createPublicClient, createWalletClient, defineChain, http, type Chain } from "viem";
import { readAddressBook, type AddressBook } from "@powershare/contracts/node";
import {
  addressesFromBook,
  createPowerShare,
  type AnyPublicClient,
  type AnyWalletClient,
  type PowerShare,
  type TxQueueOptions,
} from "@powershare/contracts/sdk";
import { KeyError, loadAccount, type KeySource } from "./keys.ts";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const CHAINS: Record<string, { id: number; name: string; rpc?: string }> = {
  hardhat: { id: 31337, name: "PowerShare dev (hardhat)", rpc: "http://127.0.0.1:8545" },
  localhost: { id: 31337, name: "PowerShare dev (hardhat)", rpc: "http://127.0.0.1:8545" },
  amoy: { id: 80002, name: "Polygon Amoy" },
  polygon: { id: 137, name: "Polygon" },
};

export interface GlobalOptions {
  rpc?: string;
  chain: string;
  addresses?: string;
  indexer?: string;
  keyEnv: string;
  keystore?: string;
  passwordEnv: string;
  json: boolean;
  feeCapGwei?: string;
}

export function resolveChain(spec: string): { id: number; name: string; rpc?: string | undefined } {
  const byName = CHAINS[spec.toLowerCase()];
  if (byName) return byName;
  if (/^\d+$/.test(spec)) {
    const id = Number(spec);
    const known = Object.values(CHAINS).find((c) => c.id === id);
    return known ?? { id, name: `chain ${id}` };
  }
  throw new ConfigError(`unknown chain "${spec}" (use hardhat, amoy, polygon or a chain id)`);
}

export interface Session {
  ps: PowerShare;
  chain: Chain;
  book: AddressBook;
  publicClient: AnyPublicClient;
  walletClient?: AnyWalletClient | undefined;
}

function loadBook(opts: GlobalOptions, chainId: number): AddressBook {
  const file = opts.addresses ?? process.env.POWERSHARE_ADDRESS_BOOK;
  if (file) {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as AddressBook;
    } catch {
      throw new ConfigError(`cannot read the address book ${file}`);
    }
  }
  try {
    return readAddressBook(chainId);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** Connects, checks the chain id, loads addresses and (with `signer`) the key. */
export async function openSession(opts: GlobalOptions, signer: boolean): Promise<Session> {
  const c = resolveChain(opts.chain);
  const rpc = opts.rpc ?? process.env.POWERSHARE_RPC_URL ?? c.rpc;
  if (!rpc) throw new ConfigError(`no RPC URL for ${c.name}: pass --rpc <url> or set POWERSHARE_RPC_URL`);
  // The key is checked before any network call, so "no key" is reported the same online or offline.
  let account;
  if (signer) {
    const src: KeySource = { keyEnv: opts.keyEnv, keystore: opts.keystore, passwordEnv: opts.passwordEnv };
    try {
      account = loadAccount(src);
    } catch (err) {
      if (err instanceof KeyError) throw new ConfigError(err.message);
      throw err;
    }
  }
  const chain = defineChain({
    id: c.id,
    name: c.name,
    nativeCurrency: {
      name: c.id === 31337 ? "Ether" : "POL",
      symbol: c.id === 31337 ? "ETH" : "POL",
      decimals: 18,
    },
    rpcUrls: { default: { http: [rpc] } },
  });
  const transport = http(rpc, { timeout: 30_000, retryCount: 1 });
  const publicClient = createPublicClient({
    chain,
    transport,
    pollingInterval: c.id === 31337 ? 100 : 2_000,
  }) as AnyPublicClient;
  let actual: number;
  try {
    actual = await publicClient.getChainId();
  } catch {
    throw new NetworkError(`cannot reach the RPC at ${rpc}`);
  }
  if (actual !== c.id)
    throw new ConfigError(
      `the RPC at ${rpc} is chain ${actual}, not ${c.name} (${c.id}); pass the right --chain or --rpc`,
    );
  const book = loadBook(opts, c.id);
  if (book.chainId !== c.id)
    throw new ConfigError(`the address book is for chain ${book.chainId}, not ${c.id}`);
  const walletClient = account
    ? (createWalletClient({
        chain,
        transport,
        account,
        pollingInterval: publicClient.pollingInterval,
      }) as AnyWalletClient)
    : undefined;
  const tx: TxQueueOptions = {};
  if (opts.feeCapGwei !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(opts.feeCapGwei))
      throw new ConfigError(`--fee-cap must be a number of gwei, got "${opts.feeCapGwei}"`);
    tx.maxFeePerGasCap = BigInt(Math.round(Number(opts.feeCapGwei) * 1e9));
  }
  const ps = createPowerShare({
    publicClient,
    walletClient,
    addresses: addressesFromBook(book),
    indexerUrl: opts.indexer ?? process.env.POWERSHARE_INDEXER_URL,
    tx,
  });
  return { ps, chain, book, publicClient, walletClient };
}

export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetworkError";
  }
}
