/**
 * Posts signed report batches with viem to the contract that verifies them (`submitReports`).
 *
 * - Before posting it reads `reportOf` for every report: a batch already on chain (posted by another
 *   node, or by this one before a crash) is not posted again.
 * - Gas: a batch holds at most `maxReportsPerBatch` reports, from a per-report gas estimate and a
 *   gas budget per transaction; the gas limit is the node's estimate plus a margin.
 * - Fees: EIP-1559 fees from the node; when the needed max fee is above the cap it waits (polling)
 *   instead of overpaying.
 * - Nonces are managed here (one transaction in flight at a time); the transaction is signed once
 *   and the same raw bytes are re-broadcast on retry, so a retry can never become a second tx.
 * - Write-ahead: the signed transaction is handed to `onSigned` (the coordinator stores it) before
 *   it is broadcast. A batch that has such a transaction (`prior`: the process died between
 *   broadcast and receipt, or an attempt failed) is resumed with it: its receipt if mined, else the
 *   same bytes re-broadcast (the node answers "already known" while it is pending) and its receipt
 *   awaited. A second transaction is signed only when that one can never be mined (its nonce went to
 *   another transaction) or it reverted while the reports are still missing.
 * - Every RPC call retries with exponential backoff, so an RPC outage only delays posting.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  ExecutionRevertedError,
  NonceTooLowError,
  encodeFunctionData,
  keccak256,
  parseTransaction,
  type Address,
  type Chain,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../http/metrics.ts";
import type { MeterReport } from "../report/typed-data.ts";
import type {
  MeterSlot,
  ReportSink,
  SignedBatch,
  SignedSilenceBatch,
  SignedTransaction,
  SubmitHooks,
  SubmitResult,
} from "../report/sink.ts";
import { marketAbi } from "./abi.ts";
import { sleep as realSleep, withRetry } from "./retry.ts";

export interface ChainReportSinkOptions {
  publicClient: PublicClient;
  account: LocalAccount;
  chain: Chain;
  /** The contract with `submitReports` and `reportOf` (the settlement contract, or the market). */
  contract: Address;
  logger: Logger;
  metrics: Metrics;
  /** Estimated gas per report (signature checks are per batch, storage writes per report). */
  gasPerReport?: bigint;
  /** Estimated fixed gas per transaction (k signature recoveries, calldata, base cost). */
  gasBase?: bigint;
  /** Gas budget of one transaction. */
  gasBudget?: bigint;
  /** Never pay more than this max fee per gas (wei); wait instead. */
  maxFeePerGasCap: bigint;
  /** Priority fee offered (wei), capped by the max fee. */
  maxPriorityFeePerGas?: bigint;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Attempts per RPC call before a submit fails (the caller retries the batch later). */
  retryAttempts?: number;
  gasPricePollMs?: number;
  receiptPollMs?: number;
  /** Re-broadcast the signed transaction when no receipt arrived after this long. */
  rebroadcastMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** One transaction's worth of work: the (meter, slot)s it records and its calldata. */
interface Job<T extends MeterSlot> {
  batchHash: Hex;
  items: readonly T[];
  call: "submitReports" | "attestSilence";
  data: Hex;
}

export const isRevert = (err: unknown): boolean =>
  err instanceof BaseError &&
  err.walk((e) => e instanceof ContractFunctionRevertedError || e instanceof ExecutionRevertedError) !== null;

const isNonceTooLow = (err: unknown): boolean =>
  (err instanceof BaseError && err.walk((e) => e instanceof NonceTooLowError) !== null) ||
  (err instanceof Error && /nonce too low|nonce has already been used/i.test(err.message));

const isAlreadyKnown = (err: unknown): boolean =>
  err instanceof Error && /already known|known transaction|already imported/i.test(err.message);

export class ChainReportSink implements ReportSink {
  readonly #o: Required<Omit<ChainReportSinkOptions, "sleep">> & { sleep: (ms: number) => Promise<void> };
  #nonce: number | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ChainReportSinkOptions) {
    this.#o = {
      gasPerReport: 60_000n,
      gasBase: 120_000n,
      gasBudget: 10_000_000n,
      maxPriorityFeePerGas: 30_000_000_000n,
      retryBaseDelayMs: 500,
      retryMaxDelayMs: 30_000,
      retryAttempts: 8,
      gasPricePollMs: 5_000,
      receiptPollMs: 1_000,
      rebroadcastMs: 60_000,
      sleep: realSleep,
      ...options,
    };
  }

  get maxReportsPerBatch(): number {
    const n = (this.#o.gasBudget - this.#o.gasBase) / this.#o.gasPerReport;
    return Math.max(1, Number(n));
  }

  submit(batch: SignedBatch, hooks: SubmitHooks = {}): Promise<SubmitResult> {
    return this.#enqueue(() =>
      this.#submit<MeterReport>(
        {
          batchHash: batch.batchHash,
          items: batch.reports,
          call: "submitReports",
          data: encodeFunctionData({
            abi: marketAbi,
            functionName: "submitReports",
            args: [batch.reports, batch.signers, batch.signatures],
          }),
        },
        hooks,
      ),
    );
  }

  /** Posts a silence batch (`attestSilence`) through the same queue, nonces and checks as reports. */
  submitSilence(batch: SignedSilenceBatch, hooks: SubmitHooks = {}): Promise<SubmitResult<MeterSlot>> {
    const { slotStart, meterIds } = batch.silence;
    return this.#enqueue(() =>
      this.#submit<MeterSlot>(
        {
          batchHash: batch.batchHash,
          items: meterIds.map((meterId) => ({ meterId, slotStart })),
          call: "attestSilence",
          data: encodeFunctionData({
            abi: marketAbi,
            functionName: "attestSilence",
            args: [slotStart, meterIds, batch.signers, batch.signatures],
          }),
        },
        hooks,
      ),
    );
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  #rpc<T>(
    what: string,
    fn: () => Promise<T>,
    retryable: (err: unknown) => boolean = (e) => !isRevert(e),
  ): Promise<T> {
    return withRetry(fn, {
      attempts: this.#o.retryAttempts,
      baseDelayMs: this.#o.retryBaseDelayMs,
      maxDelayMs: this.#o.retryMaxDelayMs,
      sleep: this.#o.sleep,
      retryable,
      onRetry: (err, attempt, delayMs) => {
        this.#o.metrics.inc("oracle_rpc_retries_total", { call: what });
        this.#o.logger.warn("rpc_retry", {
          call: what,
          attempt,
          delayMs,
          err: (err as Error).message?.split("\n")[0],
        });
      },
    });
  }

  /** Which (meter, slot)s of the batch have neither a report nor an attestation on chain yet. */
  async missingOnChain<T extends MeterSlot>(reports: readonly T[]): Promise<T[]> {
    const { publicClient, contract } = this.#o;
    const exists = await this.#rpc("reportOf", () =>
      Promise.all(
        reports.map((r) =>
          publicClient.readContract({
            address: contract,
            abi: marketAbi,
            functionName: "reportOf",
            args: [r.meterId, r.slotStart],
          }),
        ),
      ),
    );
    return reports.filter((_, i) => !exists[i]![0]);
  }

  async #fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const { publicClient, maxFeePerGasCap, logger } = this.#o;
    for (;;) {
      const block = await this.#rpc("getBlock", () => publicClient.getBlock({ blockTag: "latest" }));
      const baseFee =
        block.baseFeePerGas ?? (await this.#rpc("getGasPrice", () => publicClient.getGasPrice()));
      const priority = this.#o.maxPriorityFeePerGas;
      const wanted = baseFee * 2n + priority;
      if (baseFee + priority <= maxFeePerGasCap) {
        const maxFeePerGas = wanted < maxFeePerGasCap ? wanted : maxFeePerGasCap;
        return { maxFeePerGas, maxPriorityFeePerGas: priority < maxFeePerGas ? priority : maxFeePerGas };
      }
      this.#o.metrics.inc("oracle_gas_price_waits_total");
      logger.warn("gas_price_above_cap", { baseFee, cap: maxFeePerGasCap, waitMs: this.#o.gasPricePollMs });
      await this.#o.sleep(this.#o.gasPricePollMs);
    }
  }

  async #submit<T extends MeterSlot>(batch: Job<T>, hooks: SubmitHooks): Promise<SubmitResult<T>> {
    const { publicClient, account, contract, logger, chain } = this.#o;
    if (batch.items.length > this.maxReportsPerBatch) {
      throw new RangeError(`batch of ${batch.items.length} reports exceeds the gas budget`);
    }
    if (hooks.prior) {
      const resumed = await this.#resume(batch, hooks.prior, hooks);
      if (resumed) return resumed;
    }
    const missing = await this.missingOnChain(batch.items);
    if (missing.length === 0) return { status: "already-reported" };
    if (missing.length < batch.items.length) return { status: "partially-reported", missing };

    const { data } = batch;
    const planned = this.#o.gasBase + this.#o.gasPerReport * BigInt(batch.items.length);
    let gas: bigint;
    try {
      const estimate = await this.#rpc("estimateGas", () =>
        publicClient.estimateGas({ account: account.address, to: contract, data }),
      );
      gas = (estimate * 12n) / 10n;
    } catch (err) {
      if (!isRevert(err)) throw err;
      // It would revert: maybe another node posted meanwhile (ReportExists).
      const still = await this.missingOnChain(batch.items);
      if (still.length === 0) return { status: "already-reported" };
      if (still.length < batch.items.length) return { status: "partially-reported", missing: still };
      throw err;
    }
    if (gas > this.#o.gasBudget)
      logger.warn("gas_estimate_over_budget", { gas, planned, budget: this.#o.gasBudget });

    for (;;) {
      const fees = await this.#fees();
      this.#nonce ??= await this.#rpc("getTransactionCount", () =>
        publicClient.getTransactionCount({ address: account.address, blockTag: "pending" }),
      );
      const nonce = this.#nonce;
      const raw = await account.signTransaction!({
        type: "eip1559",
        chainId: chain.id,
        to: contract,
        data,
        gas,
        nonce,
        ...fees,
      });
      const txHash = keccak256(raw);
      // Write-ahead: from here on a crash resumes with these bytes instead of signing a second tx.
      hooks.onSigned?.({ txHash, raw });
      try {
        await this.#broadcast(raw);
      } catch (err) {
        if (!isNonceTooLow(err)) throw err;
        // Our nonce was used: by this very transaction (sent before an outage) or by another one.
        const receipt = await this.#receipt(txHash).catch(() => undefined);
        if (!receipt) {
          this.#nonce = undefined;
          const still = await this.missingOnChain(batch.items);
          if (still.length === 0) return { status: "already-reported" };
          continue;
        }
      }
      this.#nonce = nonce + 1;
      hooks.onSent?.(txHash);
      logger.info(batch.call === "submitReports" ? "report_batch_sent" : "silence_batch_sent", {
        batchHash: batch.batchHash,
        txHash,
        nonce,
        [batch.call === "submitReports" ? "reports" : "meters"]: batch.items.length,
      });
      const receipt = await this.#waitForReceipt(txHash, raw);
      const outcome = await this.#outcome(batch, txHash, receipt);
      if (outcome) return outcome;
      throw new Error(`${batch.call} reverted in ${txHash}`);
    }
  }

  /**
   * Resumes the transaction recorded for the batch: mined -> its outcome; pending or lost -> the
   * same bytes re-broadcast and its receipt awaited. Undefined when a new transaction is needed:
   * its nonce was taken by another transaction, or it reverted and the reports are still missing.
   */
  async #resume<T extends MeterSlot>(
    batch: Job<T>,
    prior: SignedTransaction,
    hooks: SubmitHooks,
  ): Promise<SubmitResult<T> | undefined> {
    const { logger } = this.#o;
    const { txHash, raw } = prior;
    if (keccak256(raw) !== txHash) throw new Error(`recorded transaction ${txHash} does not match its bytes`);
    const { nonce } = parseTransaction(raw);
    // The account's next nonce is read again afterwards: this transaction holds one, mined or not.
    this.#nonce = undefined;
    let receipt = await this.#receipt(txHash);
    if (!receipt) {
      // Not mined (yet). Another node may have posted the reports meanwhile.
      const missing = await this.missingOnChain(batch.items);
      if (missing.length === 0) return { status: "already-reported" };
      if (missing.length < batch.items.length) return { status: "partially-reported", missing };
      logger.info("report_batch_resumed", { batchHash: batch.batchHash, txHash, nonce });
      try {
        await this.#broadcast(raw);
      } catch (err) {
        if (!isNonceTooLow(err)) throw err;
        receipt = await this.#receipt(txHash);
        if (!receipt) {
          // Its nonce went to another transaction: this one can never be mined.
          logger.warn("report_tx_superseded", { batchHash: batch.batchHash, txHash, nonce });
          return undefined;
        }
      }
      hooks.onSent?.(txHash);
      receipt ??= await this.#waitForReceipt(txHash, raw);
    }
    const outcome = await this.#outcome(batch, txHash, receipt);
    if (!outcome) logger.warn("report_tx_reverted", { batchHash: batch.batchHash, txHash, nonce });
    return outcome;
  }

  /** A mined transaction's result for the batch; undefined: it reverted and every report is still missing. */
  async #outcome<T extends MeterSlot>(
    batch: Job<T>,
    txHash: Hex,
    receipt: TransactionReceipt,
  ): Promise<SubmitResult<T> | undefined> {
    if (receipt.status === "success") return { status: "confirmed", txHash };
    const still = await this.missingOnChain(batch.items);
    if (still.length === 0) return { status: "already-reported" };
    if (still.length < batch.items.length) return { status: "partially-reported", missing: still };
    return undefined;
  }

  /** Broadcasts signed bytes; "already known" (the node has them) counts as accepted. */
  #broadcast(raw: Hex): Promise<void> {
    const { publicClient } = this.#o;
    return this.#rpc(
      "sendRawTransaction",
      async () => {
        try {
          await publicClient.sendRawTransaction({ serializedTransaction: raw });
        } catch (err) {
          if (!isAlreadyKnown(err)) throw err;
        }
      },
      (e) => !isRevert(e) && !isNonceTooLow(e),
    );
  }

  /** The receipt, or undefined while the transaction is not mined (or unknown to the node). */
  #receipt(hash: Hex): Promise<TransactionReceipt | undefined> {
    const { publicClient } = this.#o;
    return this.#rpc("getTransactionReceipt", async () => {
      try {
        return await publicClient.getTransactionReceipt({ hash });
      } catch (err) {
        if (err instanceof BaseError && err.name === "TransactionReceiptNotFoundError") return undefined;
        throw err;
      }
    });
  }

  async #waitForReceipt(hash: Hex, raw: Hex): Promise<TransactionReceipt> {
    const { publicClient } = this.#o;
    let since = 0;
    for (;;) {
      const receipt = await this.#receipt(hash);
      if (receipt) return receipt;
      await this.#o.sleep(this.#o.receiptPollMs);
      since += this.#o.receiptPollMs;
      if (since >= this.#o.rebroadcastMs) {
        since = 0;
        await publicClient.sendRawTransaction({ serializedTransaction: raw }).catch(() => {});
      }
    }
  }
}
