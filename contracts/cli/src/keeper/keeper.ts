/**
 * The keeper: the off-chain half of settlement. Each cycle it
 *   1. finds work (the indexer's API first, the contracts' logs when the indexer is down),
 *   2. claims every maker order past its gate, in gas-bounded batches,
 *   3. settles seller meters through SettlementKeeper.checkUpkeep/performUpkeep (the path
 *      Chainlink Automation takes on Polygon), at most `maxSellersPerUpkeep` per transaction,
 *   4. pays every buyer's refund once a market's refund pool is final.
 * Every step is permissionless and idempotent, and every write is re-checked against the chain
 * before it is sent, so a restart (or a crash mid-batch) re-finds what is left and does nothing
 * twice: an item someone else did meanwhile is counted as skipped, not failed.
 */
import type { Address } from "viem";
import type { Logger } from "pino";
import {
  ContractError,
  PreflightError,
  explainError,
  type PowerShare,
  type SettlementWork,
  type WriteResult,
} from "@powershare/contracts/sdk";
import { KeeperMetrics, type KeeperAction } from "./metrics.ts";

export interface KeeperOptions {
  /** Pause between cycles. Default 5 s. */
  intervalMs?: number;
  /** Orders per claim transaction. Default 40 (~2.5 M gas on the current contracts). */
  maxClaimsPerTx?: number;
  /** Seller meters per performUpkeep. Default 20. */
  maxSellersPerUpkeep?: number;
  /** Refund transactions in flight at once (pipelined through the signer's nonce queue). Default 4. */
  refundConcurrency?: number;
  /** Attempts per action on transient errors. Default 3. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt. Default 500 ms. */
  backoffMs?: number;
  /** Longest back-off between failing cycles. Default 60 s. */
  maxBackoffMs?: number;
  /** Unhealthy when no cycle completed for this long. Default 10 × interval, at least 60 s. */
  staleAfterMs?: number;
}

export interface CycleReport {
  source: SettlementWork["source"];
  fallbackReason?: string | undefined;
  marketsPending: number;
  claimed: number;
  settled: number;
  refunded: number;
  skipped: number;
  failures: number;
  transactions: number;
  gasUsed: bigint;
  ms: number;
}

/** Errors meaning "already done" (by us before a restart, or by someone else). */
const DONE_CONTRACT = new Set(["UnknownOrder", "NoSale", "AlreadyClaimed", "NothingPaid"]);
const DONE_PREFLIGHT = new Set(["UNKNOWN_ORDER", "ALREADY_CLAIMED", "NOTHING_PAID", "NOTHING_TO_SETTLE"]);
/** Errors that no retry will fix now (a later cycle may). */
const PERMANENT_PREFLIGHT = new Set([
  "MARKET_STILL_OPEN",
  "SETTLEMENT_NOT_READY",
  "REFUND_POOL_NOT_FINAL",
  "NO_SALE",
]);

function isDone(err: unknown): boolean {
  return (
    (err instanceof ContractError && DONE_CONTRACT.has(err.errorName)) ||
    (err instanceof PreflightError && DONE_PREFLIGHT.has(err.code))
  );
}

/** Slots one checkUpkeep call scans at most (each costs a few external calls inside one eth_call). */
const MAX_LOOKBACK_SLOTS = 192;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Keeper {
  readonly metrics: KeeperMetrics;
  readonly #ps: PowerShare;
  readonly #log: Logger;
  readonly #o: Required<KeeperOptions>;
  #running = false;
  #stopped: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #lastOkAt = 0;
  #lastError: string | undefined;
  #lastReport: CycleReport | undefined;
  #consecutiveFailures = 0;
  readonly #startedAt = Date.now();

  constructor(ps: PowerShare, log: Logger, opts: KeeperOptions = {}, metrics = new KeeperMetrics()) {
    if (!ps.account) throw new Error("the keeper needs a signing account");
    this.#ps = ps;
    this.#log = log;
    this.metrics = metrics;
    const intervalMs = opts.intervalMs ?? 5_000;
    this.#o = {
      intervalMs,
      maxClaimsPerTx: opts.maxClaimsPerTx ?? 40,
      maxSellersPerUpkeep: opts.maxSellersPerUpkeep ?? 20,
      refundConcurrency: opts.refundConcurrency ?? 4,
      maxAttempts: opts.maxAttempts ?? 3,
      backoffMs: opts.backoffMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 60_000,
      staleAfterMs: opts.staleAfterMs ?? Math.max(60_000, intervalMs * 10),
    };
  }

  get account(): Address {
    return this.#ps.account!;
  }

  /** Runs one action with retries; "already done" is a skip, exhausted retries a failure. */
  async #act(
    action: KeeperAction,
    what: Record<string, unknown>,
    fn: () => Promise<WriteResult<unknown>>,
    report: CycleReport,
  ): Promise<WriteResult<unknown> | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await fn();
        report.transactions++;
        report.gasUsed += r.gasUsed;
        this.metrics.transactions.inc({ action });
        this.metrics.gasSpent.inc({ action }, Number(r.gasUsed));
        this.metrics.feesPaid.inc(Number(r.gasUsed * r.effectiveGasPrice));
        this.#log.info({ action, ...what, tx: r.hash, gasUsed: Number(r.gasUsed) }, `${action} done`);
        return r;
      } catch (err) {
        if (isDone(err)) {
          report.skipped++;
          this.metrics.skipped.inc({ action });
          this.#log.info({ action, ...what, reason: explainError(err) }, `${action} already done`);
          return undefined;
        }
        const permanent = err instanceof PreflightError && PERMANENT_PREFLIGHT.has(err.code);
        if (permanent || attempt >= this.#o.maxAttempts) {
          report.failures++;
          this.metrics.failures.inc({ action });
          this.#log.warn({ action, ...what, attempt, err: explainError(err) }, `${action} failed`);
          return undefined;
        }
        const delay = this.#o.backoffMs * 2 ** (attempt - 1);
        this.#log.warn(
          { action, ...what, attempt, retryInMs: delay, err: explainError(err) },
          `${action} failed, retrying`,
        );
        await sleep(delay);
      }
    }
  }

  /** One pass over all work; safe to call at any time (also concurrently with nothing else). */
  async cycle(): Promise<CycleReport> {
    const t0 = Date.now();
    const ps = this.#ps;
    const work = await ps.settlementWork();
    const report: CycleReport = {
      source: work.source,
      fallbackReason: work.fallbackReason,
      marketsPending: work.markets.length,
      claimed: 0,
      settled: 0,
      refunded: 0,
      skipped: 0,
      failures: 0,
      transactions: 0,
      gasUsed: 0n,
      ms: 0,
    };
    this.#log.debug(
      { source: work.source, orders: work.orders.length, markets: work.markets.length },
      "work found",
    );
    if (work.fallbackReason)
      this.#log.warn({ reason: work.fallbackReason }, "indexer unavailable: discovering from chain logs");
    this.metrics.marketsPending.set(work.markets.length);
    this.metrics.ordersPending.set(work.orders.length);

    // 1. Claims, oldest market first, in gas-bounded batches; each batch re-read on chain.
    const orders = [...work.orders].sort((a, b) =>
      a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0,
    );
    for (let i = 0; i < orders.length; i += this.#o.maxClaimsPerTx) {
      const ids = orders.slice(i, i + this.#o.maxClaimsPerTx).map((o) => o.orderId);
      const live = (await ps.orders(ids)).map((o) => o.orderId);
      const gone = ids.length - live.length;
      if (gone) {
        report.skipped += gone;
        this.metrics.skipped.inc({ action: "claim" }, gone);
      }
      if (live.length === 0) continue;
      const r = await this.#act("claim", { orders: live.length }, () => ps.claim(live), report);
      if (r) {
        const n = r.events.filter((e) => e.eventName === "OrderClaimed").length;
        report.claimed += n;
        this.metrics.actions.inc({ action: "claim" }, n);
      }
    }

    // 2. Settlement through the Automation upkeep, per community, until it reports no work.
    const byCommunity = new Map<number, bigint[]>();
    for (const m of work.markets) {
      const c = Number(m >> 40n);
      byCommunity.set(c, [...(byCommunity.get(c) ?? []), m]);
    }
    const now = await ps.now();
    for (const [communityId, markets] of byCommunity) {
      const community = await ps.community(communityId);
      const oldest = markets.reduce((a, b) => (a < b ? a : b)) & ((1n << 40n) - 1n);
      const current = Math.floor(now / community.slotLength) * community.slotLength;
      // checkUpkeep scans `lookbackSlots` markets in one eth_call, so it is bounded; markets it does
      // not reach are settled directly below (the same settleSeller calls, without the wrapper).
      const lookbackSlots = Math.min(
        MAX_LOOKBACK_SLOTS,
        Math.max(1, Math.ceil((current - Number(oldest)) / community.slotLength) + 1),
      );
      const seen = new Map<string, number>();
      for (let k = 0; k < 1_000; k++) {
        let check;
        try {
          check = await ps.checkUpkeep(communityId, {
            lookbackSlots,
            maxSellers: this.#o.maxSellersPerUpkeep,
          });
        } catch (err) {
          this.#log.warn(
            { communityId, lookbackSlots, err: explainError(err) },
            "checkUpkeep failed; settling directly",
          );
          break;
        }
        if (!check.upkeepNeeded) break;
        const key = check.performData;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        if (seen.get(key)! > this.#o.maxAttempts) break; // the same work keeps failing: next cycle
        const r = await this.#act(
          "settle",
          { marketId: String(check.marketId), meters: check.meterIds },
          () => ps.performUpkeep(check.performData),
          report,
        );
        if (r) {
          const n = r.events.filter((e) => e.eventName === "SaleSettled").length;
          report.settled += n;
          this.metrics.actions.inc({ action: "settle" }, n);
        }
      }
    }

    // 2b. Markets the upkeep did not reach: settle their sellers directly, in the same batch size.
    for (const marketId of work.markets) {
      const st = await ps.settlement(marketId);
      if (!st.ready || st.sellersSettled >= st.sellers.length) continue;
      const unsettled: number[] = [];
      for (const meterId of st.sellers)
        if (!(await ps.sale(marketId, meterId)).settled) unsettled.push(meterId);
      for (let i = 0; i < unsettled.length; i += this.#o.maxSellersPerUpkeep) {
        const chunk = unsettled.slice(i, i + this.#o.maxSellersPerUpkeep);
        const r = await this.#act(
          "settle",
          { marketId: String(marketId), meters: chunk, direct: true },
          () => ps.settle(marketId, chunk),
          report,
        );
        if (r) {
          const n = r.events.filter((e) => e.eventName === "SaleSettled").length;
          report.settled += n;
          this.metrics.actions.inc({ action: "settle" }, n);
        }
      }
    }

    // 3. Refunds of every market whose pool is final.
    const refunds: { marketId: bigint; buyer: Address }[] = [];
    for (const marketId of work.markets) {
      const st = await ps.settlement(marketId);
      if (!st.refundPoolFinal || st.complete) continue;
      for (const buyer of work.buyers.get(marketId) ?? []) {
        if (await ps.refundClaimed(marketId, buyer)) continue;
        if ((await ps.position(marketId, buyer)).paid === 0n) continue;
        refunds.push({ marketId, buyer });
      }
    }
    let next = 0;
    const worker = async () => {
      while (next < refunds.length) {
        const { marketId, buyer } = refunds[next++]!;
        const r = await this.#act(
          "refund",
          { marketId: String(marketId), buyer },
          () => ps.claimRefund(marketId, buyer),
          report,
        );
        if (r) {
          report.refunded++;
          this.metrics.actions.inc({ action: "refund" });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.refundConcurrency, refunds.length) }, worker));

    report.ms = Date.now() - t0;
    this.metrics.cycleSeconds.observe(report.ms / 1000);
    this.metrics.lastCycle.set(Date.now() / 1000);
    this.#lastReport = report;
    return report;
  }

  /** Runs cycles until stop(); a failing cycle backs off exponentially. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopped = (async () => {
      while (this.#running) {
        let wait = this.#o.intervalMs;
        try {
          const r = await this.cycle();
          this.#lastOkAt = Date.now();
          this.#lastError = undefined;
          this.#consecutiveFailures = 0;
          this.metrics.cycles.inc({ source: r.source, result: "ok" });
          if (r.transactions || r.failures || r.skipped) {
            this.#log.info({ ...r, gasUsed: Number(r.gasUsed) }, "keeper cycle");
          }
        } catch (err) {
          this.#consecutiveFailures++;
          this.#lastError = explainError(err);
          this.metrics.cycles.inc({ source: "none", result: "error" });
          wait = Math.min(this.#o.maxBackoffMs, this.#o.intervalMs * 2 ** this.#consecutiveFailures);
          this.#log.error({ err: this.#lastError, retryInMs: wait }, "keeper cycle failed");
        }
        if (!this.#running) break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.#wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#stopped;
  }

  health(): {
    healthy: boolean;
    account: Address;
    lastCycleAt: string | null;
    lastError: string | null;
    last: CycleReport | null;
  } {
    const since = this.#lastOkAt || this.#startedAt;
    return {
      healthy:
        this.#lastOkAt > 0
          ? Date.now() - since < this.#o.staleAfterMs
          : Date.now() - this.#startedAt < this.#o.staleAfterMs,
      account: this.account,
      lastCycleAt: this.#lastOkAt ? new Date(this.#lastOkAt).toISOString() : null,
      lastError: this.#lastError ?? null,
      last: this.#lastReport ?? null,
    };
  }
}
