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

/**
 * A meter certificate, as DeliverySettlement.MeterCertificate: the community's meter registrar (an
 * installer, never the owner) vouches for the meter's device key and rated power. Signed under
 * `reportDomain` (the DeliverySettlement contract); `DeliverySettlement.registerMeter(certificate,
 * signature)` registers the meter.
 */
export interface MeterCertificate {
  communityId: number;
  owner: Address;
  /** Communities.MeterKind: 0 producer, 1 consumer, 2 prosumer, 3 storage. */
  kind: number;
  capacityW: number;
  deviceKey: Address;
  /** Unix seconds: the last second the certificate may be used. */
  deadline: number;
}

export const METER_CERTIFICATE_TYPES = {
  MeterCertificate: [
    { name: "communityId", type: "uint32" },
    { name: "owner", type: "address" },
    { name: "kind", type: "uint8" },
    { name: "capacityW", type: "uint32" },
    { name: "deviceKey", type: "address" },
    { name: "deadline", type: "uint40" },
  ],
} as const;

/**
 * A batch of silence attestations, as DeliverySettlement.attestSilence: the meters that sold in the
 * slot's market and sent the oracle no reading. Signed under `reportDomain` like report batches.
 */
export const SILENCE_TYPES = {
  SilenceBatch: [
    { name: "slotStart", type: "uint40" },
    { name: "meterIds", type: "uint32[]" },
  ],
} as const;

/** The typed data a registrar signs for `certificate` (pass to `signTypedData`). */
export function meterCertificateTypedData(
  chainId: number,
  settlement: Address,
  certificate: MeterCertificate,
) {
  return {
    domain: reportDomain(chainId, settlement),
    types: METER_CERTIFICATE_TYPES,
    primaryType: "MeterCertificate" as const,
    message: certificate,
  };
}

/** A certificate with its registrar's signature, as the registrar hands it to the meter's owner. */
export interface SignedMeterCertificate {
  certificate: MeterCertificate;
  signature: `0x${string}`;
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
