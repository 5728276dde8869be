/**
 * The keeper: the off-chain half of settlement. Each cycle it
 *   1. finds work (the indexer's API first, the contracts' logs when the indexer is down),
 *   2. claims, once past their gate, the maker orders that filled nothing (their locks come back;
 *      they attribute no sale), in gas-bounded batches,
 *   3. settles each market once its report window closed, seller meter by seller meter, through
 *      DeliverySettlement.settleSale (decisions 0028, 0029): the first call claims the market's
 *      filled maker orders (ask and bid; the oracle learned the maker-sellers from the book), the
 *      last one refunds the market's buyers; a trade's claims, settlement and refunds are thus
 *      folded into its sellers' settlement transactions,
 *   4. pays, buyer by buyer, any refund the folded calls left (a settlement someone else did,
 *      more buyers than one transaction takes).
 * Every step is permissionless and idempotent, and every write is re-checked against the chain
 * before it is sent, so a restart (or a crash mid-batch) re-finds what is left and does nothing
 * twice: an item someone else did meanwhile is counted as skipped, not failed.
 *
 * SettlementKeeper (the Chainlink Automation upkeep) is not used by this keeper; it settles the
 * same markets once their makers are claimed, and both may run.
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
  /**
   * Buyers listed in a market's last settleSale (refunded there; any others are refunded one
   * transaction each). Default 40.
   */
  maxBuyersPerTx?: number;
  /** Only markets this accepts are worked on (default: all; the bench measures market by market). */
  markets?: (marketId: bigint) => boolean;
  /** @deprecated Ignored: the keeper no longer settles through SettlementKeeper's upkeep. */
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

const count = (r: WriteResult<unknown>, name: string): number =>
  r.events.filter((e) => e.eventName === name).length;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Ascending order of ids (Array.prototype.sort's comparator for bigints). */
const ascending = (x: bigint, y: bigint): number => (x < y ? -1 : x > y ? 1 : 0);

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
      maxBuyersPerTx: opts.maxBuyersPerTx ?? 40,
      maxSellersPerUpkeep: 0,
      markets: opts.markets ?? (() => true),
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

  /** Claims orders in gas-bounded batches; false when a batch failed. */
  async #claim(ids: readonly bigint[], report: CycleReport): Promise<boolean> {
    let ok = true;
    for (let i = 0; i < ids.length; i += this.#o.maxClaimsPerTx) {
      const batch = ids.slice(i, i + this.#o.maxClaimsPerTx);
      const failures = report.failures;
      const r = await this.#act("claim", { orders: batch.length }, () => this.#ps.claim(batch), report);
      if (r) {
        const n = count(r, "OrderClaimed");
        report.claimed += n;
        this.metrics.actions.inc({ action: "claim" }, n);
      } else if (report.failures > failures) ok = false;
    }
    return ok;
  }

  /** One pass over all work; safe to call at any time (also concurrently with nothing else). */
  async cycle(): Promise<CycleReport> {
    const t0 = Date.now();
    const ps = this.#ps;
    const found = await ps.settlementWork();
    const only = this.#o.markets;
    const work = {
      ...found,
      orders: found.orders.filter((o) => only(o.marketId)),
      markets: found.markets.filter(only),
    };
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

    // Live maker orders (claimed ones are gone); a filled order waits for its market's settlement.
    const live: Awaited<ReturnType<PowerShare["orders"]>> = [];
    const ids = work.orders.map((o) => o.orderId).sort(ascending);
    for (let i = 0; i < ids.length; i += 300) live.push(...(await ps.orders(ids.slice(i, i + 300))));
    live.sort((x, y) => ascending(x.orderId, y.orderId));
    if (ids.length > live.length) {
      report.skipped += ids.length - live.length;
      this.metrics.skipped.inc({ action: "claim" }, ids.length - live.length);
    }
    const now = await ps.now();
    const reportWindow = await ps.reportWindow();
    const slotLengths = new Map<number, number>();
    const settleable = async (marketId: bigint): Promise<boolean> => {
      const communityId = Number(marketId >> 40n);
      if (!slotLengths.has(communityId))
        slotLengths.set(communityId, (await ps.community(communityId)).slotLength);
      const slotStart = Number(marketId & ((1n << 40n) - 1n));
      return now >= slotStart + slotLengths.get(communityId)! + reportWindow;
    };
    const makers = new Map<bigint, typeof live>();
    const unfilled: bigint[] = [];
    for (const o of live) {
      // A filled order of a market the settlement below will not reach (discovery did not list
      // the market) is claimed on its own, as an unfilled one is.
      if (o.filledWh === 0n || !work.markets.includes(o.marketId)) unfilled.push(o.orderId);
      else makers.set(o.marketId, [...(makers.get(o.marketId) ?? []), o]);
    }

    // 1. Unfilled makers past their gate, in batches: their locks come back now.
    await this.#claim(unfilled, report);

    // 2. Markets past their report window: each unsettled seller meter through settleSale.
    for (const marketId of [...work.markets].sort(ascending)) {
      if (!(await settleable(marketId))) continue;
      const orders = makers.get(marketId) ?? [];
      // Sellers: the meters of the unclaimed filled asks (no settlement happens while an ask is
      // unclaimed), and those attributed on chain whose sale is not settled yet.
      const st = await ps.settlement(marketId);
      const sellers = [...new Set(orders.filter((o) => !o.isBid).map((o) => o.meterId))];
      for (const meterId of st.sellers)
        if (!sellers.includes(meterId) && !(await ps.sale(marketId, meterId)).settled) sellers.push(meterId);
      if (sellers.length === 0) {
        await this.#claim(
          orders.map((o) => o.orderId),
          report,
        );
        continue;
      }
      // More makers than one transaction takes: the first ones claimed on their own.
      const extra = Math.max(0, orders.length - this.#o.maxClaimsPerTx);
      if (
        extra > 0 &&
        !(await this.#claim(
          orders.slice(0, extra).map((o) => o.orderId),
          report,
        ))
      )
        continue;
      let pending = orders.slice(extra).map((o) => o.orderId);
      const buyers = (work.buyers.get(marketId) ?? []).slice(0, this.#o.maxBuyersPerTx);
      for (let i = 0; i < sellers.length; i++) {
        const meterId = sellers[i]!;
        const last = i === sellers.length - 1;
        const r = await this.#act(
          "settle",
          { marketId: String(marketId), meterId, orders: pending.length, buyers: last ? buyers.length : 0 },
          () => ps.settleSale(marketId, meterId, pending, last ? buyers : []),
          report,
        );
        // Done by someone else meanwhile, or failed: what is left is re-read next cycle.
        if (!r) break;
        pending = [];
        const claimed = count(r, "OrderClaimed");
        const settled = count(r, "SaleSettled");
        const refunded = count(r, "RefundClaimed");
        report.claimed += claimed;
        report.settled += settled;
        report.refunded += refunded;
        if (claimed) this.metrics.actions.inc({ action: "claim" }, claimed);
        if (settled) this.metrics.actions.inc({ action: "settle" }, settled);
        if (refunded) this.metrics.actions.inc({ action: "refund" }, refunded);
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
