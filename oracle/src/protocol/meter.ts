/** A registered meter as the oracle needs it (mirrors the market contract's `meter(uint32)`). */
import type { Address } from "viem";

export const METER_KINDS = ["producer", "consumer", "prosumer", "storage"] as const;
export type MeterKind = (typeof METER_KINDS)[number];

export interface MeterInfo {
  meterId: number;
  communityId: number;
  owner: Address;
  kind: MeterKind;
  capacityW: number;
  deviceKey: Address;
  active: boolean;
}

export function meterKindFromIndex(index: number): MeterKind {
  const kind = METER_KINDS[index];
  if (kind === undefined) throw new RangeError(`unknown meter kind index ${index}`);
  return kind;
}
