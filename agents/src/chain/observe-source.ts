/**
 * Where an agent's observe step reads the market from (decision 0042): the open markets of its
 * trading window with their books, the ids of its own open orders, its meter's reports and the
 * settlement results of its past sales.
 *
 * - `ChainSource`: the contracts through the SDK (best prices per market, a report read per slot,
 *   `SaleSettled` logs scanned once per chain time for all agents). The simulation's choice.
 * - `IndexerSource`: the indexer's GraphQL API first (one query per kind, books with their levels,
 *   buyer positions too), the chain source when the indexer is unset, unreachable, answers
 *   something malformed, or lags: its indexed block more than `maxLagBlocks` behind the chain head
 *   the agent read. A stale view never feeds a decision; the fallback's reason is kept.
 *
 * Neither source reads what gates money: the free balance, the community's parameters, the meter and
 * the state of the agent's orders come from the chain in the observe node, whatever the source (the
 * indexer only proposes order ids, which the chain confirms).
 */
import type { Address } from "viem";
import {
  indexedBooks,
  indexedOpenOrders,
  indexedPositions,
  indexedReports,
  indexedSettledSales,
  indexerStatus,
  IndexerError,
  marketIdOf,
  marketTimes,
  type SettledSale,
} from "@powershare/contracts/sdk";
import type { PurchaseResult, SettlementResult } from "../forecast/delivery-tracker.ts";
import type { MarketView } from "../strategy/types.ts";
import { windowSlots, type AgentIO, type CommunityView, type MeterReport } from "./agent-io.ts";

export type SourceKind = "indexer" | "chain";

export interface ObserveRequest {
  community: CommunityView;
  /** Chain time and head block, read from the chain. */
  now: number;
  head: bigint;
  windowSeconds: number;
  account: Address;
  meterId: number;
  /** Most Wh the meter can move in a slot (from its capacity on chain): reports far beyond are implausible. */
  meterReachWh: number;
  /** Meter reports wanted for these slot starts (ascending, slot-aligned). */
  reportSlots: number[];
  /** Settlement results wanted for slots in [from, to]. */
  settledFrom: number;
  settledTo: number;
}

export interface ObserveReads {
  source: SourceKind;
  /** Why the indexer was not used (IndexerSource only). */
  fallbackReason?: string | undefined;
  /** The indexer's block when it was used. */
  indexedBlock?: string | undefined;
  markets: MarketView[];
  /** Open orders of the agent the source knows of (confirmed on chain by the caller). */
  orderIds: string[];
  reports: MeterReport[];
  settlements: SettlementResult[];
  purchases: PurchaseResult[];
}

export interface ObserveSource {
  readonly kind: SourceKind;
  read(req: ObserveRequest): Promise<ObserveReads>;
}

const settlementOf = (s: SettledSale): SettlementResult => ({
  slotStart: s.slotStart,
  soldWh: Number(s.soldWh),
  deliveredWh: Number(s.deliveredWh),
  reported: s.reported,
  payout: Number(s.payout),
  fee: Number(s.fee),
  refunded: Number(s.refunded),
  bondSlashed: Number(s.bondSlashed),
});

export interface ChainSourceOptions {
  /** How far back the first scan of `SaleSettled` logs starts (default 43,200 blocks: a day of 2 s blocks). */
  settlementLookbackBlocks?: bigint | undefined;
}

/** The contracts, through the SDK. */
export class ChainSource implements ObserveSource {
  readonly kind = "chain" as const;
  readonly #io: AgentIO;
  readonly #lookback: bigint;
  constructor(io: AgentIO, opts: ChainSourceOptions = {}) {
    this.#io = io;
    this.#lookback = opts.settlementLookbackBlocks ?? 43_200n;
  }

  async read(req: ObserveRequest): Promise<ObserveReads> {
    const io = this.#io;
    const [markets, reports, sales] = await Promise.all([
      io.markets(req.community, req.now, req.windowSeconds),
      Promise.all(req.reportSlots.map((s) => io.report(req.meterId, s))),
      req.settledTo >= req.settledFrom
        ? io.shared.settledSales(req.now, req.head, this.#lookback)
        : Promise.resolve([] as SettledSale[]),
    ]);
    const lo = marketIdOf(req.community.id, Math.max(0, req.settledFrom));
    const hi = marketIdOf(req.community.id, Math.max(0, req.settledTo));
    return {
      source: "chain",
      markets,
      orderIds: [],
      reports: reports.filter((r): r is MeterReport => r !== undefined),
      settlements: sales
        .filter((s) => s.meterId === req.meterId && s.marketId >= lo && s.marketId <= hi)
        .map(settlementOf),
      purchases: [],
    };
  }
}

export interface IndexerSourceOptions {
  /** The indexer's base URL (POWERSHARE_INDEXER_URL); unset: always the chain. */
  url?: string | undefined;
  /** Most blocks the indexer may be behind the chain head and still be read (default 8). */
  maxLagBlocks?: number | undefined;
  /** Per request (default 3000 ms). */
  timeoutMs?: number | undefined;
  /** The source used when the indexer is not (default: a ChainSource on the same AgentIO). */
  fallback?: ObserveSource | undefined;
}

export const DEFAULT_MAX_LAG_BLOCKS = 8;

/** The indexer first, the chain when the indexer is unset, down, malformed or lagging. */
export class IndexerSource implements ObserveSource {
  readonly kind = "indexer" as const;
  readonly url: string | undefined;
  readonly maxLagBlocks: number;
  readonly #timeoutMs: number;
  readonly #fallback: ObserveSource;
  constructor(io: AgentIO, opts: IndexerSourceOptions = {}) {
    this.url = opts.url || undefined;
    this.maxLagBlocks = opts.maxLagBlocks ?? DEFAULT_MAX_LAG_BLOCKS;
    if (!Number.isInteger(this.maxLagBlocks) || this.maxLagBlocks < 0)
      throw new RangeError(`maxLagBlocks must be a whole number ≥ 0, got ${opts.maxLagBlocks}`);
    this.#timeoutMs = opts.timeoutMs ?? 3_000;
    this.#fallback = opts.fallback ?? new ChainSource(io);
  }

  async read(req: ObserveRequest): Promise<ObserveReads> {
    if (!this.url) return { ...(await this.#fallback.read(req)), fallbackReason: "no indexer configured" };
    try {
      return await this.#fromIndexer(this.url, req);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return { ...(await this.#fallback.read(req)), fallbackReason: reason };
    }
  }

  async #fromIndexer(url: string, req: ObserveRequest): Promise<ObserveReads> {
    const o = { timeoutMs: this.#timeoutMs };
    const status = await indexerStatus(url, o);
    const lag = req.head - status.block;
    if (lag > BigInt(this.maxLagBlocks))
      throw new IndexerError(
        `the indexer is at block ${status.block}, ${lag} behind the chain head ${req.head} (bound ${this.maxLagBlocks})`,
      );
    const c = req.community;
    const slots = windowSlots(c, req.now, req.windowSeconds);
    const ids = slots.map((s) => marketIdOf(c.id, s));
    const lastReport = req.reportSlots[req.reportSlots.length - 1];
    const wantSettled = req.settledTo >= req.settledFrom;
    const [books, orders, reports, sales, positions] = await Promise.all([
      indexedBooks(url, ids, o),
      indexedOpenOrders(url, req.account, req.now, o),
      lastReport === undefined ? [] : indexedReports(url, req.meterId, req.reportSlots[0]!, lastReport, o),
      wantSettled ? indexedSettledSales(url, c.id, req.meterId, req.settledFrom, req.settledTo, o) : [],
      wantSettled ? indexedPositions(url, c.id, req.account, req.settledFrom, req.settledTo, o) : [],
    ]);
    // Implausible meter values are a malformed answer too (a report beyond 10× the meter's reach).
    const bound = BigInt(Math.max(10_000, Math.ceil(10 * req.meterReachWh)));
    for (const r of reports)
      if (r.importedWh > bound || r.exportedWh > bound)
        throw new IndexerError(
          `malformed indexer data: report of slot ${r.slotStart} beyond the meter's reach`,
        );
    for (const s of sales)
      if (s.soldWh > bound)
        throw new IndexerError(`malformed indexer data: sale of slot ${s.slotStart} too large`);
    const wanted = new Set(req.reportSlots);
    return {
      source: "indexer",
      indexedBlock: status.block.toString(),
      markets: slots.map((s, i) => {
        const t = marketTimes(c, s);
        const b = books.get(ids[i]!)!;
        const level = (l: { tick: number; availableWh: bigint }) => ({
          tick: l.tick,
          wh: Number(l.availableWh),
        });
        return {
          marketId: ids[i]!.toString(),
          slotStart: s,
          opensAt: t.opensAt,
          gateAt: t.gateAt,
          bestBidTick: b.bids[0]?.tick,
          bestAskTick: b.asks[0]?.tick,
          bids: b.bids.slice(0, 20).map(level),
          asks: b.asks.slice(0, 20).map(level),
        };
      }),
      orderIds: orders.filter((x) => x.marketId >> 40n === BigInt(c.id)).map((x) => x.orderId.toString()),
      reports: reports
        .filter((r) => wanted.has(r.slotStart))
        .map((r) => ({
          slotStart: r.slotStart,
          importedWh: Number(r.importedWh),
          exportedWh: Number(r.exportedWh),
        })),
      settlements: sales.map(settlementOf),
      purchases: positions
        .filter((p) => p.boughtWh > 0n)
        .map((p) => ({
          slotStart: p.slotStart,
          boughtWh: Number(p.boughtWh),
          paid: Number(p.paid),
          refunded: Number(p.refunded),
        })),
    };
  }
}
