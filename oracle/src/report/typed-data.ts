/** EIP-712 report batches: the typed data every oracle node signs and the contract verifies. */
import {
  hashTypedData,
  recoverTypedDataAddress,
  type Address,
  type Hex,
  type LocalAccount,
  type TypedDataDomain,
} from "viem";
import {
  REPORT_TYPES,
  SILENCE_TYPES,
  reportDomain as contractsReportDomain,
  type MeterReport,
} from "@powershare/contracts";

// The protocol's report types live with the contracts that verify them.
export { REPORT_TYPES, SILENCE_TYPES, type MeterReport } from "@powershare/contracts";

/** A batch of silence attestations (DeliverySettlement.attestSilence): meter ids ascending. */
export interface SilenceBatch {
  slotStart: number;
  meterIds: number[];
}

export interface ReportDomain {
  chainId: number;
  verifyingContract: Address;
}

export function reportDomain(d: ReportDomain): TypedDataDomain {
  return contractsReportDomain(d.chainId, d.verifyingContract);
}

const typedData = (domain: ReportDomain, reports: readonly MeterReport[]) =>
  ({
    domain: reportDomain(domain),
    types: REPORT_TYPES,
    primaryType: "ReportBatch",
    message: { reports: reports.map((r) => ({ ...r })) },
  }) as const;

/** The EIP-712 digest of a batch: what the nodes sign, and the batch's identity between nodes. */
export function batchHash(domain: ReportDomain, reports: readonly MeterReport[]): Hex {
  return hashTypedData(typedData(domain, reports));
}

export function signBatch(
  account: LocalAccount,
  domain: ReportDomain,
  reports: readonly MeterReport[],
): Promise<Hex> {
  return account.signTypedData(typedData(domain, reports));
}

export function recoverBatchSigner(
  domain: ReportDomain,
  reports: readonly MeterReport[],
  signature: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({ ...typedData(domain, reports), signature });
}

/** Reports as JSON (bigints as decimal strings) for the store and the signature topic. */
export function reportsToJson(reports: readonly MeterReport[]): string {
  return JSON.stringify(
    reports.map((r) => [r.meterId, r.slotStart, r.importedWh.toString(), r.exportedWh.toString()]),
  );
}

export function reportsFromJson(json: string): MeterReport[] {
  const rows = JSON.parse(json) as [number, number, string, string][];
  return rows.map(([meterId, slotStart, i, e]) => ({
    meterId,
    slotStart,
    importedWh: BigInt(i),
    exportedWh: BigInt(e),
  }));
}

const silenceTypedData = (domain: ReportDomain, batch: SilenceBatch) =>
  ({
    domain: reportDomain(domain),
    types: SILENCE_TYPES,
    primaryType: "SilenceBatch",
    message: { slotStart: batch.slotStart, meterIds: [...batch.meterIds] },
  }) as const;

/** The EIP-712 digest of a silence batch (`silenceDigest` on chain): signed, and its identity. */
export function silenceHash(domain: ReportDomain, batch: SilenceBatch): Hex {
  return hashTypedData(silenceTypedData(domain, batch));
}

export function signSilence(account: LocalAccount, domain: ReportDomain, batch: SilenceBatch): Promise<Hex> {
  return account.signTypedData(silenceTypedData(domain, batch));
}

export function recoverSilenceSigner(
  domain: ReportDomain,
  batch: SilenceBatch,
  signature: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({ ...silenceTypedData(domain, batch), signature });
}

/** A silence batch as JSON for the store and the signature topic: `[slotStart, [meterId, ...]]`. */
export function silenceToJson(batch: SilenceBatch): string {
  return JSON.stringify([batch.slotStart, batch.meterIds]);
}

export function silenceFromJson(json: string): SilenceBatch {
  const parsed = JSON.parse(json) as unknown;
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !Number.isSafeInteger(parsed[0]) ||
    !Array.isArray(parsed[1]) ||
    !(parsed[1] as unknown[]).every((id) => Number.isSafeInteger(id))
  ) {
    throw new Error("not a silence batch");
  }
  return { slotStart: parsed[0] as number, meterIds: parsed[1] as number[] };
}
