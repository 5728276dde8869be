/** Shapes of the contracts package's public data (address books). */
export type Hex = `0x${string}`;

export interface AddressBookEntry {
  address: Hex;
  /** The block the contract was deployed in. */
  blockNumber: number;
  transactionHash: Hex;
  /** The Ignition future that deployed it, e.g. "PowerShare#EnergyMarket". */
  future: string;
}

/** contracts/deployments/<chainId>.json, written from an Ignition journal by scripts/address-book.ts. */
export interface AddressBook {
  chainId: number;
  deploymentId: string;
  /** The quote token EnergyMarket settles in (USDC; MockUSDC on the dev chain). */
  quoteToken: Hex;
  /** The lowest deployment block, where indexers start. */
  startBlock: number;
  /**
   * By contract name: EnergyMarket always; on the dev chain also MockUSDC, MockV3Aggregator,
   * DeliverySettlement, SettlementKeeper and TreasuryGovernor.
   */
  contracts: Record<string, AddressBookEntry>;
}
