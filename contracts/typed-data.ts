/**
 * EIP-712 typed data of the protocol, shared by everything that signs for the contracts (oracle
 * nodes, tests, benchmarks, the app): meter report batches verified by DeliverySettlement and the
 * quote token's EIP-2612 permit used by EnergyMarket.depositWithPermit.
 */
import type { Address, TypedDataDomain } from "viem";

/** One meter's measurement for one slot, as DeliverySettlement.MeterReport. */
export interface MeterReport {
  meterId: number;
  slotStart: number;
  importedWh: bigint;
  exportedWh: bigint;
}

/** The types of a report batch; every oracle node signs the whole batch. */
export const REPORT_TYPES = {
  ReportBatch: [{ name: "reports", type: "MeterReport[]" }],
  MeterReport: [
    { name: "meterId", type: "uint32" },
    { name: "slotStart", type: "uint40" },
    { name: "importedWh", type: "uint64" },
    { name: "exportedWh", type: "uint64" },
  ],
} as const;

/** The domain of report batches: bound to the chain and the DeliverySettlement contract. */
export function reportDomain(chainId: number, settlement: Address): TypedDataDomain {
  return { name: "PowerShare", version: "1", chainId, verifyingContract: settlement };
}

/** EIP-2612 permit types. */
export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;
