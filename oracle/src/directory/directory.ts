/** Where the oracle learns which meters exist, whose device key signs for them and their communities. */
import type { MeterInfo } from "../protocol/meter.ts";

export interface MeterDirectory {
  /** Synchronous lookup on the ingestion hot path (implementations keep a cache). */
  get(meterId: number): MeterInfo | undefined;
  /** Every known meter (active or not). */
  all(): MeterInfo[];
  /** Slot length in seconds of a community. */
  slotLength(communityId: number): number;
  close(): Promise<void>;
}
