/**
 * @powershare/contracts — the public entry of the contracts package for TypeScript consumers
 * (oracle, indexer, agents, app, bots): typed ABIs (`as const`, so viem infers every function,
 * event and error) and the address books of public chains.
 *
 * The ABIs are generated from the compiled artifacts into generated/abis.ts by
 * scripts/export-abis.ts (run by `npm install` and `npm run build -w contracts`). Browser-safe;
 * the dev chain's address book, rewritten by every `npm run dev`, is read at run time through
 * `@powershare/contracts/node`.
 */
import { deployments } from "./generated/abis.ts";
import type { AddressBook } from "./types.ts";

export {
  energyMarketAbi,
  deliverySettlementAbi,
  settlementKeeperAbi,
  treasuryGovernorAbi,
  mockUsdcAbi,
  mockV3AggregatorAbi,
  deployments,
} from "./generated/abis.ts";
export type { AddressBook, AddressBookEntry, Hex } from "./types.ts";
export {
  METER_CERTIFICATE_TYPES,
  PERMIT_TYPES,
  REPORT_TYPES,
  SILENCE_TYPES,
  meterCertificateTypedData,
  reportDomain,
  type MeterCertificate,
  type MeterReport,
  type SignedMeterCertificate,
} from "./typed-data.ts";

/** Chain ids PowerShare deploys to. */
export const CHAIN_IDS = { polygon: 137, amoy: 80002, hardhat: 31337 } as const;

/** USDC, the quote token on public chains (native USDC by Circle). */
export const USDC = {
  137: "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
  80002: "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582",
} as const;

/** The committed address book of a public chain, or undefined if PowerShare is not deployed there. */
export function publicAddressBook(chainId: number): AddressBook | undefined {
  return (deployments as Record<string, AddressBook | undefined>)[String(chainId)];
}
