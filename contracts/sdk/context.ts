/**
 * What every SDK call needs: a viem public client, optionally a wallet client (for writes), and
 * the deployment's addresses. Build one with `createPowerShare` (client.ts) or by hand.
 */
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import type { AddressBook } from "../types.ts";
import { InvalidInputError } from "./errors/sdk-errors.ts";
import type { TxQueue } from "./tx/queue.ts";

/** Addresses of one PowerShare deployment. */
export interface PowerShareAddresses {
  /** EnergyMarket: communities, meters, balances, order books. */
  market: Address;
  /** The quote token (USDC; MockUSDC on the dev chain). */
  quoteToken: Address;
  /** DeliverySettlement: reports, settlement, refunds. */
  settlement?: Address | undefined;
  /** SettlementKeeper: the Chainlink Automation upkeep. */
  keeper?: Address | undefined;
  /** TreasuryGovernor. */
  governor?: Address | undefined;
  /** First block of the deployment (where log scans start). */
  startBlock?: bigint | undefined;
}

/** The addresses of an address book (contracts/deployments/<chainId>.json). */
export function addressesFromBook(book: AddressBook): PowerShareAddresses {
  const c = book.contracts;
  const market = c.EnergyMarket?.address;
  if (!market) throw new InvalidInputError(`the address book of chain ${book.chainId} has no EnergyMarket`);
  return {
    market,
    quoteToken: book.quoteToken,
    settlement: c.DeliverySettlement?.address,
    keeper: c.SettlementKeeper?.address,
    governor: c.TreasuryGovernor?.address,
    startBlock: BigInt(book.startBlock),
  };
}

export type AnyPublicClient = PublicClient<Transport, Chain | undefined>;
export type AnyWalletClient = WalletClient<Transport, Chain | undefined, Account | undefined>;

export interface SdkContext {
  publicClient: AnyPublicClient;
  /** Needed for writes; its `account` signs. */
  walletClient?: AnyWalletClient | undefined;
  addresses: PowerShareAddresses;
  /** Per-signer transaction queue (nonces, fees, replacement); created on first write if absent. */
  queue?: TxQueue | undefined;
  /** Base URL of the indexer's HTTP API, for discovery (claimables); chain logs are the fallback. */
  indexerUrl?: string | undefined;
}

export function requireSettlement(ctx: SdkContext): Address {
  const a = ctx.addresses.settlement;
  if (!a) throw new InvalidInputError("this deployment has no DeliverySettlement address");
  return a;
}

export function requireKeeper(ctx: SdkContext): Address {
  const a = ctx.addresses.keeper;
  if (!a) throw new InvalidInputError("this deployment has no SettlementKeeper address");
  return a;
}

export function requireAccount(ctx: SdkContext): Account {
  const account = ctx.walletClient?.account;
  if (!account) {
    throw new InvalidInputError(
      "this call sends a transaction: give the SDK a wallet client with an account",
    );
  }
  return account;
}

/** The chain's current time: the latest block's timestamp (a dev chain may run ahead of the clock). */
export async function chainNow(ctx: SdkContext): Promise<number> {
  const block = await ctx.publicClient.getBlock({ blockTag: "latest" });
  return Number(block.timestamp);
}
