/** EIP-712 report batches: the typed data every oracle node signs and the contract verifies. */
import {
  hashTypedData,
  recoverTypedDataAddress,
  type Address,
  type Hex,
  type LocalAccount,
  type TypedDataDomain,
} from "viem";
import { REPORT_TYPES, reportDomain as contractsReportDomain, type MeterReport } from "@powershare/contracts";

// The protocol's report types live with the contracts that verify them.
export { REPORT_TYPES, type MeterReport } from "@powershare/contracts";

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
