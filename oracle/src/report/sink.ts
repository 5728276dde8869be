/** Where signed report batches go (the chain, in production). */
import type { Address, Hex } from "viem";
import type { MeterReport, SilenceBatch } from "./typed-data.ts";

/** A (meter, slot): what the contract keeps at most one report or attestation for. */
export interface MeterSlot {
  meterId: number;
  slotStart: number;
}

export interface SignedBatch {
  batchHash: Hex;
  reports: MeterReport[];
  /** Strictly ascending, no duplicates; k of the registered oracle signers. */
  signers: Address[];
  signatures: Hex[];
}

/** A signed batch of silence attestations (`attestSilence`). */
export interface SignedSilenceBatch {
  batchHash: Hex;
  silence: SilenceBatch;
  /** Strictly ascending, no duplicates; k of the registered oracle signers. */
  signers: Address[];
  signatures: Hex[];
}

export type SubmitResult<T extends MeterSlot = MeterReport> =
  | { status: "confirmed"; txHash: Hex }
  /**
   * Every (meter, slot) of the batch already has a report or an attestation on chain (posted by
   * another node, or before a crash).
   */
  | { status: "already-reported" }
  /** Some are on chain, others not: the batch would revert; the rest must be re-batched. */
  | { status: "partially-reported"; missing: T[] };

/** A signed transaction: its hash and the exact bytes that were (or are about to be) broadcast. */
export interface SignedTransaction {
  txHash: Hex;
  raw: Hex;
}

export interface SubmitHooks {
  /**
   * A transaction was signed for the batch and is about to be broadcast: record it durably before
   * returning. After a crash anywhere from here on, the batch is resumed with it (`prior`).
   */
  onSigned?(tx: SignedTransaction): void;
  /** The node accepted the transaction. */
  onSent?(txHash: Hex): void;
  /**
   * The transaction recorded for this batch earlier (by `onSigned`, possibly before a crash): its
   * receipt is looked up and the same bytes re-broadcast, instead of signing a second transaction.
   */
  prior?: SignedTransaction | undefined;
}

export interface ReportSink {
  /** Posts the batch; resolves once it is confirmed (or found already on chain). */
  submit(batch: SignedBatch, hooks?: SubmitHooks): Promise<SubmitResult>;
  /**
   * Posts a silence batch the same way (same checks, nonces, write-ahead and retries). A sink
   * without it cannot attest silence: the oracle then signs none.
   */
  submitSilence?(batch: SignedSilenceBatch, hooks?: SubmitHooks): Promise<SubmitResult<MeterSlot>>;
  /** Most reports (or silent meters) one batch may hold (gas budget). */
  readonly maxReportsPerBatch: number;
}

/** Sorts signatures by signer address, drops duplicate signers, keeps the first `k`. */
export function assembleSignatures(
  sigs: readonly { signer: Address; signature: Hex }[],
  k: number,
): { signers: Address[]; signatures: Hex[] } {
  const bySigner = new Map<string, { signer: Address; signature: Hex }>();
  for (const s of sigs) if (!bySigner.has(s.signer.toLowerCase())) bySigner.set(s.signer.toLowerCase(), s);
  const sorted = [...bySigner.values()].sort((a, b) => {
    const x = BigInt(a.signer);
    const y = BigInt(b.signer);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const chosen = sorted.slice(0, k);
  return { signers: chosen.map((s) => s.signer), signatures: chosen.map((s) => s.signature) };
}
