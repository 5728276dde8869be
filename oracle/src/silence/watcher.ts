/**
 * Finds the seller meters that sent this oracle nothing for a slot, so that it can attest their
 * silence (DeliverySettlement.attestSilence; decision 0024).
 *
 * For each community the oracle knows and each slot whose readings are due (slot end + grace)
 * and whose report window is still open (minus a margin to sign and post), it reads from the chain
 * which meters sold in the slot's market and classifies each (`classifySeller`):
 * - a valid reading timestamped in the slot, or a report (ready or batched) → never silent;
 * - no such reading, no report possible (no data, or the aggregator skipped it) → silent;
 * - the aggregator has not closed the slot yet or waits for the meter's closing reading (a report
 *   may still come), or a reading of the meter is being ingested → not decided yet;
 * - a meter unknown to the oracle's directory (its readings would be refused) → never attested.
 * A silent meter is checked against the chain (a report or attestation there: done) and recorded
 * `ready`; the report coordinator signs and posts such rows in silence batches.
 *
 * The oracle attests only slots it watched from start to due time: an uptime record (heartbeats
 * while the broker runs / the MQTT source is connected) must cover [slot start, slot end + grace].
 * A slot during which the oracle was down, restarting or disconnected is closed "oracle_down":
 * nobody is attested for it (settlement then treats the missing report as the oracles' outage).
 *
 * A slot is re-read (at most every `rescanMs`) until every matched ask is accounted for
 * (claimed, or an unclaimed maker ask read from the book: `ChainSalesView`) and every seller is decided; then it is
 * closed for good, so a restart does not read it again.
 */
import type { Aggregator } from "../aggregate/aggregator.ts";
import type { SalesView } from "../chain/sales-view.ts";
import type { Clock } from "../clock/clock.ts";
import type { MeterDirectory } from "../directory/directory.ts";
import type { Metrics } from "../http/metrics.ts";
import type { Logger } from "../log/logger.ts";
import type { MeterInfo } from "../protocol/meter.ts";
import type { SlotReportStatus, Store } from "../store/store.ts";

export type SellerVerdict =
  /** Sold, sent nothing for the slot, no report possible: attest. */
  | "silent"
  /** A valid reading timestamped within the slot. */
  | "has-reading"
  /** A report exists or is being posted (ready, batched). */
  | "reportable"
  /**
   * Not decidable yet: the aggregator has not closed the slot, waits for the meter's closing
   * reading (a report may still come), or a reading of the meter is being ingested.
   */
  | "pending"
  /** Not in the oracle's directory (its readings would have been refused): never attested. */
  | "unknown-meter"
  /** Registered in another community than the market's (cannot happen on chain). */
  | "other-community";

export interface SellerFacts {
  meter: MeterInfo | undefined;
  communityId: number;
  /** A stored reading with a timestamp in [slot start, slot end]. */
  readingInSlot: boolean;
  /** A reading of the meter is submitted but not yet committed. */
  ingesting: boolean;
  /** The aggregator's row for (meter, slot), if any. */
  row: SlotReportStatus | undefined;
  /** What the aggregator makes of the slot now (undefined: no data at all). */
  evaluated: SlotReportStatus | undefined;
}

/** The choice of a silent meter (pure). */
export function classifySeller(f: SellerFacts): SellerVerdict {
  if (!f.meter) return "unknown-meter";
  if (f.meter.communityId !== f.communityId) return "other-community";
  if (f.readingInSlot) return "has-reading";
  if (f.ingesting) return "pending";
  const status = f.row ?? f.evaluated;
  if (status === undefined || status === "skipped") return "silent";
  if (f.row === undefined) return "pending"; // the aggregator will write its row
  if (f.row === "waiting") return "pending"; // a report if its closing reading comes, else skipped
  return "reportable";
}

export interface SilenceWatcherOptions {
  store: Store;
  directory: MeterDirectory;
  aggregator: Pick<Aggregator, "evaluate">;
  sales: SalesView;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  graceMs: number;
  /** The contract's report window (after the slot end). */
  reportWindowMs: number;
  /** No new silence is recorded later than this before the window's end (time to sign and post). */
  marginMs: number;
  /** Whether readings can reach the oracle now (the broker runs / the MQTT source is connected). */
  alive: () => boolean;
  /** Whether a reading of the meter is submitted but not yet committed. */
  ingesting?: (meterId: number) => boolean;
  /** Wall-clock ms between reads of an open slot's sales. Default 5 s. */
  rescanMs?: number;
  /** Heartbeats further apart than this (wall clock) break the uptime record. Default 30 s. */
  heartbeatGapMs?: number;
}

export class SilenceWatcher {
  readonly #o: SilenceWatcherOptions;
  /** Start of the current uptime interval (oracle clock) and the last beat (wall clock). */
  #upSince: number | undefined;
  #lastBeatWall = 0;
  readonly #lastRead = new Map<string, number>();
  #scanning: Promise<number> | undefined;

  constructor(o: SilenceWatcherOptions) {
    this.#o = o;
  }

  /** Extends this oracle's uptime record while readings can reach it. */
  heartbeat(): void {
    const { store, clock, alive } = this.#o;
    const wall = Date.now();
    if (!alive()) {
      this.#upSince = undefined;
      return;
    }
    if (this.#upSince === undefined || wall - this.#lastBeatWall > (this.#o.heartbeatGapMs ?? 30_000)) {
      this.#upSince = clock.now();
    }
    this.#lastBeatWall = wall;
    store.beat(this.#upSince, clock.now());
  }

  /** One scan (concurrent calls share it). Resolves to the number of meters newly found silent. */
  scan(): Promise<number> {
    this.#scanning ??= this.#scan().finally(() => {
      this.#scanning = undefined;
    });
    return this.#scanning;
  }

  /** Resolves when no scan is running (a running one finished). */
  async idle(): Promise<void> {
    await this.#scanning?.catch(() => 0);
  }

  async #scan(): Promise<number> {
    const { store, directory, clock, graceMs, reportWindowMs, marginMs } = this.#o;
    this.heartbeat();
    const now = clock.now();
    const communities = new Set(directory.all().map((m) => m.communityId));
    let found = 0;
    for (const communityId of [...communities].sort((a, b) => a - b)) {
      const len = directory.slotLength(communityId);
      const notWatched: number[] = [];
      // Slots with readings due (end + grace <= now) and a window still open (end + window - margin > now).
      const oldest = Math.max(0, Math.floor((now - reportWindowMs + marginMs) / 1000 / len) * len - len);
      // Slots before the scan range are never looked at again.
      store.pruneSilenceSlots(communityId, oldest);
      for (let slot = oldest; (slot + len) * 1000 + graceMs <= now; slot += len) {
        const endMs = (slot + len) * 1000;
        if (now >= endMs + reportWindowMs - marginMs) continue;
        if (store.silenceSlotOutcome(communityId, slot) !== undefined) continue;
        if (!store.upThroughout(slot * 1000, endMs + graceMs)) {
          store.closeSilenceSlot(communityId, slot, "oracle_down");
          notWatched.push(slot);
          continue;
        }
        found += await this.#slot(communityId, slot, len, now);
      }
      if (notWatched.length > 0) {
        this.#o.metrics.inc(
          "oracle_silence_slots_skipped_total",
          { reason: "oracle_down" },
          notWatched.length,
        );
        this.#o.logger.info("silence_slots_not_watched", { communityId, slotStarts: notWatched });
      }
    }
    return found;
  }

  async #slot(communityId: number, slot: number, len: number, now: number): Promise<number> {
    const { store, directory, sales, logger } = this.#o;
    const startMs = slot * 1000;
    const endMs = (slot + len) * 1000;
    const key = `${communityId}/${slot}`;
    const wall = Date.now();
    if (wall - (this.#lastRead.get(key) ?? -Infinity) < (this.#o.rescanMs ?? 5_000)) return 0;
    this.#lastRead.set(key, wall);
    let market;
    try {
      market = await sales.sales(communityId, slot);
    } catch (err) {
      logger.warn("silence_sales_read_failed", { communityId, slotStart: slot, err: firstLine(err) });
      return 0;
    }
    if (market.tradedWh === 0n) {
      store.closeSilenceSlot(communityId, slot, "no_sales");
      this.#lastRead.delete(key);
      return 0;
    }
    let undecided = 0;
    let found = 0;
    for (const meterId of market.sellers) {
      if (store.silence(meterId, slot)) continue;
      const verdict = classifySeller({
        meter: directory.get(meterId),
        communityId,
        readingInSlot: store.hasReadingBetween(meterId, startMs, endMs),
        ingesting: this.#o.ingesting?.(meterId) ?? false,
        row: store.slotReport(meterId, slot)?.status,
        evaluated: this.#o.aggregator.evaluate(meterId, communityId, slot, len, now)?.status,
      });
      if (verdict === "pending") undecided++;
      if (verdict === "unknown-meter") logger.warn("silence_seller_unknown", { meterId, slotStart: slot });
      if (verdict !== "silent") continue;
      let onChain: boolean;
      try {
        onChain = await sales.onChain(meterId, slot);
      } catch (err) {
        logger.warn("silence_chain_read_failed", { meterId, slotStart: slot, err: firstLine(err) });
        undecided++;
        continue;
      }
      store.putSilence({ meterId, slotStart: slot, communityId, status: onChain ? "done" : "ready" });
      if (onChain) continue;
      found++;
      logger.info("meter_silent", { meterId, communityId, slotStart: slot });
    }
    if (market.complete && undecided === 0) {
      store.closeSilenceSlot(communityId, slot, "checked");
      this.#lastRead.delete(key);
    }
    return found;
  }
}

const firstLine = (err: unknown): string => String((err as Error)?.message ?? err).split("\n")[0]!;
