/**
 * A per-signer transaction queue: safe for concurrent callers (nonces are assigned one at a time,
 * in call order, and never skipped), EIP-1559 fees with a hard cap, and replacement of a
 * transaction that is not mined in time (same nonce, same call, fees bumped by 12.5 %, never above
 * the cap). Waiting for receipts happens outside the lock, so callers pipeline.
 *
 * With a JSON-RPC account (a browser wallet) the wallet owns nonces and fees: the queue only
 * serialises sending and waits for the receipt.
 */
import type { Account, Address, Chain, Hash, Hex, TransactionReceipt } from "viem";
import { TransactionError } from "../errors/sdk-errors.ts";
import { toPowerShareError } from "../errors/decoder.ts";
import type { AnyPublicClient, AnyWalletClient } from "../context.ts";
import { toTxResult, type TxResult } from "./receipts.ts";

export interface TxQueueOptions {
  /** Highest max fee per gas (wei) the queue ever offers. Default: no cap. */
  maxFeePerGasCap?: bigint | undefined;
  /** Priority fee (wei); default: the node's suggestion. */
  maxPriorityFeePerGas?: bigint | undefined;
  /** A transaction not mined after this long is replaced with higher fees. Default 30 s. */
  stuckAfterMs?: number;
  /** Most replacements of one transaction. Default 3. */
  maxReplacements?: number;
  /** Give up waiting for a receipt after this long. Default 5 min. */
  receiptTimeoutMs?: number;
  /** How often to look for receipts. Default: the public client's polling interval. */
  pollMs?: number;
  /** Gas limit = estimate × (10000 + this) / 10000. Default 2000 (+20 %). */
  gasHeadroomBps?: number;
}

export interface TxRequest {
  to: Address;
  data: Hex;
  value?: bigint;
  /** Gas limit; estimated (with headroom) when absent. */
  gas?: bigint;
}

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

const BUMP_NUM = 1125n;
const BUMP_DEN = 1000n;

export class TxQueue {
  readonly address: Address;
  readonly #public: AnyPublicClient;
  readonly #wallet: AnyWalletClient;
  readonly #account: Account;
  readonly #opts: Required<Omit<TxQueueOptions, "maxFeePerGasCap" | "maxPriorityFeePerGas">> &
    Pick<TxQueueOptions, "maxFeePerGasCap" | "maxPriorityFeePerGas">;
  #tail: Promise<unknown> = Promise.resolve();
  #nextNonce: number | undefined;
  /** Transactions broadcast and not yet mined. */
  #inFlight = 0;

  constructor(publicClient: AnyPublicClient, walletClient: AnyWalletClient, options: TxQueueOptions = {}) {
    const account = walletClient.account;
    if (!account) throw new TransactionError("NO_ACCOUNT", "the wallet client has no account to send from");
    this.#public = publicClient;
    this.#wallet = walletClient;
    this.#account = account;
    this.address = account.address;
    this.#opts = {
      stuckAfterMs: options.stuckAfterMs ?? 30_000,
      maxReplacements: options.maxReplacements ?? 3,
      receiptTimeoutMs: options.receiptTimeoutMs ?? 300_000,
      pollMs: options.pollMs ?? Math.max(50, publicClient.pollingInterval ?? 1_000),
      gasHeadroomBps: options.gasHeadroomBps ?? 2_000,
      maxFeePerGasCap: options.maxFeePerGasCap,
      maxPriorityFeePerGas: options.maxPriorityFeePerGas,
    };
  }

  /** Transactions sent and not yet mined. */
  get pending(): number {
    return this.#inFlight;
  }

  /** Forgets the local nonce; the next send reads it from the node (after an external send). */
  resync(): void {
    this.#nextNonce = undefined;
  }

  /**
   * Sends a transaction and waits for it to be mined. Concurrent calls get consecutive nonces in
   * call order. Throws a ContractError if the call reverts when estimated, a TransactionError if
   * fees exceed the cap, the receipt never comes or the mined transaction reverted.
   */
  async send(request: TxRequest): Promise<TxResult> {
    const broadcast = this.#enqueue(() => this.#broadcast(request));
    const sent = await broadcast;
    this.#inFlight++;
    try {
      return await this.#confirm(sent);
    } finally {
      this.#inFlight--;
    }
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #local(): boolean {
    return this.#account.type === "local";
  }

  async #fees(): Promise<Fees> {
    const cap = this.#opts.maxFeePerGasCap;
    const block = await this.#public.getBlock({ blockTag: "latest" });
    const baseFee = block.baseFeePerGas ?? 0n;
    if (cap !== undefined && baseFee > cap) {
      throw new TransactionError(
        "FEE_CAP_EXCEEDED",
        `the base fee (${baseFee} wei) is above the fee cap (${cap} wei); nothing was sent`,
        { baseFee, cap },
      );
    }
    let priority = this.#opts.maxPriorityFeePerGas;
    if (priority === undefined) {
      try {
        priority = await this.#public.estimateMaxPriorityFeePerGas();
      } catch {
        priority = 1_000_000_000n;
      }
    }
    let maxFee = baseFee * 2n + priority;
    if (cap !== undefined && maxFee > cap) maxFee = cap;
    if (priority > maxFee) priority = maxFee;
    return { maxFeePerGas: maxFee, maxPriorityFeePerGas: priority };
  }

  async #broadcast(
    request: TxRequest,
  ): Promise<{ hashes: Hash[]; nonce: number; request: TxRequest; fees: Fees; gas: bigint }> {
    let gas = request.gas;
    if (gas === undefined) {
      try {
        const estimate = await this.#public.estimateGas({
          account: this.#account,
          to: request.to,
          data: request.data,
          value: request.value,
        });
        gas = (estimate * BigInt(10_000 + this.#opts.gasHeadroomBps)) / 10_000n;
      } catch (err) {
        throw toPowerShareError(err);
      }
    }
    const fees = await this.#fees();
    if (!this.#local()) {
      const hash = await this.#sendRaw(request, gas, fees, undefined);
      return { hashes: [hash], nonce: -1, request, fees, gas };
    }
    for (let attempt = 0; ; attempt++) {
      if (this.#nextNonce === undefined) {
        this.#nextNonce = await this.#public.getTransactionCount({
          address: this.address,
          blockTag: "pending",
        });
      }
      const nonce = this.#nextNonce;
      try {
        const hash = await this.#sendRaw(request, gas, fees, nonce);
        this.#nextNonce = nonce + 1;
        return { hashes: [hash], nonce, request, fees, gas };
      } catch (err) {
        const msg = String((err as { details?: string; message?: string }).details ?? (err as Error).message);
        // Someone else used the account: re-read the nonce once.
        if (attempt === 0 && /nonce/i.test(msg)) {
          this.#nextNonce = undefined;
          continue;
        }
        this.#nextNonce = undefined;
        throw toPowerShareError(err);
      }
    }
  }

  async #sendRaw(request: TxRequest, gas: bigint, fees: Fees, nonce: number | undefined): Promise<Hash> {
    return this.#wallet.sendTransaction({
      account: this.#account,
      chain: this.#wallet.chain as Chain,
      to: request.to,
      data: request.data,
      value: request.value ?? 0n,
      gas,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      ...(nonce === undefined ? {} : { nonce }),
    });
  }

  async #receiptOf(hashes: Hash[]): Promise<TransactionReceipt | undefined> {
    for (const hash of hashes) {
      try {
        return await this.#public.getTransactionReceipt({ hash });
      } catch {
        // not mined (yet)
      }
    }
    return undefined;
  }

  async #confirm(sent: {
    hashes: Hash[];
    nonce: number;
    request: TxRequest;
    fees: Fees;
    gas: bigint;
  }): Promise<TxResult> {
    const started = Date.now();
    let lastBroadcast = started;
    let fees = sent.fees;
    for (;;) {
      const receipt = await this.#receiptOf(sent.hashes);
      if (receipt) {
        const result = toTxResult(receipt, sent.hashes);
        if (receipt.status !== "success") {
          throw new TransactionError(
            "REVERTED",
            `transaction ${receipt.transactionHash} reverted when mined`,
            {
              hash: receipt.transactionHash,
              gasUsed: receipt.gasUsed,
            },
          );
        }
        return result;
      }
      const now = Date.now();
      if (now - started > this.#opts.receiptTimeoutMs) {
        throw new TransactionError(
          "RECEIPT_TIMEOUT",
          `no receipt for ${sent.hashes.at(-1)} after ${now - started} ms`,
          {
            hashes: sent.hashes,
          },
        );
      }
      if (
        this.#local() &&
        now - lastBroadcast > this.#opts.stuckAfterMs &&
        sent.hashes.length <= this.#opts.maxReplacements
      ) {
        const bumped = this.#bump(fees);
        if (bumped) {
          try {
            const hash = await this.#sendRaw(sent.request, sent.gas, bumped, sent.nonce);
            sent.hashes.push(hash);
            fees = bumped;
          } catch {
            // The original may have been mined meanwhile ("nonce too low"): the next poll finds it.
          }
          lastBroadcast = Date.now();
        }
      }
      await new Promise((r) => setTimeout(r, this.#opts.pollMs));
    }
  }

  /** Fees 12.5 % higher (nodes want ≥ 10 %), or undefined if the cap leaves no room. */
  #bump(fees: Fees): Fees | undefined {
    let maxFee = (fees.maxFeePerGas * BUMP_NUM) / BUMP_DEN + 1n;
    let priority = (fees.maxPriorityFeePerGas * BUMP_NUM) / BUMP_DEN + 1n;
    const cap = this.#opts.maxFeePerGasCap;
    if (cap !== undefined && maxFee > cap) {
      if (fees.maxFeePerGas * BUMP_NUM > cap * BUMP_DEN) return undefined;
      maxFee = cap;
    }
    if (priority > maxFee) priority = maxFee;
    return { maxFeePerGas: maxFee, maxPriorityFeePerGas: priority };
  }
}

/** One queue per signer address, shared by every caller in the process. */
const QUEUES = new Map<string, TxQueue>();

export function queueFor(
  publicClient: AnyPublicClient,
  walletClient: AnyWalletClient,
  options?: TxQueueOptions,
): TxQueue {
  const address = walletClient.account?.address;
  if (!address) throw new TransactionError("NO_ACCOUNT", "the wallet client has no account to send from");
  const key = `${walletClient.chain?.id ?? "?"}:${address.toLowerCase()}`;
  let q = QUEUES.get(key);
  if (!q) {
    q = new TxQueue(publicClient, walletClient, options);
    QUEUES.set(key, q);
  }
  return q;
}
