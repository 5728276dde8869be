/**
 * Turns stored readings into per-meter slot reports once a slot has ended and its grace period
 * passed. A slot's result is one of:
 * - ready: energy known (both boundaries at a reading or interpolated between two readings);
 * - waiting: no reading after the slot end yet; re-checked on every tick until one arrives (the
 *   report is then "late" and batched on its own) or until `maxWaitMs` after the slot end, when it
 *   is skipped for good (no report: the contract refunds the buyers);
 * - skipped: the readings around a boundary are more than `maxGapMs` apart.
 * A meter with no reading at all up to the slot end, or silent for longer than `maxGapMs` before
 * the slot, gets no row.
 */
import type { Clock } from "../clock/clock.ts";
import type { MeterDirectory } from "../directory/directory.ts";
import type { Metrics } from "../http/metrics.ts";
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import { slotEnergy, slotStartOf, type Boundary } from "./slot-energy.ts";

export interface AggregatorOptions {
  store: Store;
  directory: MeterDirectory;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  graceMs: number;
  maxWaitMs: number;
  maxGapMs: number;
}

export class Aggregator {
  readonly #o: AggregatorOptions;

  constructor(o: AggregatorOptions) {
    this.#o = o;
  }

  #boundary(meterId: number, ts: number): Boundary {
    return {
      atOrBefore: this.#o.store.lastAtOrBefore(meterId, ts),
      after: this.#o.store.firstAfter(meterId, ts),
    };
  }

  /** Evaluates one meter for one slot; writes nothing. */
  evaluate(meterId: number, communityId: number, slotStart: number, slotLength: number, now: number) {
    const s = slotStart * 1000;
    const e = (slotStart + slotLength) * 1000;
    const end = this.#boundary(meterId, e);
    if (end.atOrBefore && !end.after && end.atOrBefore.ts < e && end.atOrBefore.ts < s - this.#o.maxGapMs) {
      return undefined; // long silent meter: nothing to report
    }
    const energy = slotEnergy(this.#boundary(meterId, s), end, s, e, this.#o.maxGapMs);
    const base = { meterId, slotStart, communityId, importedWh: 0, exportedWh: 0 };
    switch (energy.kind) {
      case "no-data":
        return undefined;
      case "ready":
        return {
          ...base,
          importedWh: energy.importedWh,
          exportedWh: energy.exportedWh,
          status: "ready" as const,
        };
      case "gap":
        return {
          ...base,
          status: "skipped" as const,
          reason: `gap at slot ${energy.boundary}: ${energy.spanMs} ms`,
        };
      case "pending":
        return now > e + this.#o.maxWaitMs
          ? { ...base, status: "skipped" as const, reason: "no reading after the slot end" }
          : { ...base, status: "waiting" as const };
    }
  }

  /** Aggregates every slot whose grace period has passed; re-checks waiting ones. */
  tick(): { ready: number; skipped: number } {
    const { store, directory, clock, graceMs, maxWaitMs, metrics, logger } = this.#o;
    const now = clock.now();
    let ready = 0;
    let skipped = 0;
    const communities = new Map<number, number[]>();
    for (const m of directory.all()) {
      const list = communities.get(m.communityId) ?? [];
      list.push(m.meterId);
      communities.set(m.communityId, list);
    }
    for (const [communityId, meterIds] of communities) {
      const len = directory.slotLength(communityId);
      let next: number | undefined = store.nextSlotStart(communityId);
      const oldest = slotStartOf(now - maxWaitMs, len);
      if (next === undefined) {
        const firsts = meterIds.map((id) => store.firstAfter(id, -1)?.ts).filter((t) => t !== undefined);
        if (firsts.length === 0) continue;
        next = slotStartOf(Math.min(...firsts), len);
      }
      if (next < oldest) next = oldest;
      let slot: number = next;
      while ((slot + len) * 1000 + graceMs <= now) {
        store.transaction(() => {
          for (const meterId of meterIds) {
            const row = this.evaluate(meterId, communityId, slot, len, now);
            if (!row) continue;
            store.putSlotReport({ reason: null, ...row });
            if (row.status === "ready") ready++;
            if (row.status === "skipped") skipped++;
          }
          store.setNextSlotStart(communityId, slot + len);
        });
        logger.debug("slot_aggregated", { communityId, slotStart: slot });
        slot += len;
      }
    }
    // Waiting rows: a later reading may have arrived.
    const waiting = store.slotReports("waiting");
    if (waiting.length > 0) {
      store.transaction(() => {
        for (const w of waiting) {
          const row = this.evaluate(
            w.meterId,
            w.communityId,
            w.slotStart,
            directory.slotLength(w.communityId),
            now,
          );
          if (!row || row.status === "waiting") continue;
          if (row.status === "ready") ready++;
          if (row.status === "skipped") skipped++;
          store.putSlotReport({ reason: row.status === "ready" ? "late" : null, ...row });
        }
      });
    }
    if (skipped) metrics.inc("oracle_reports_skipped_total", {}, skipped);
    return { ready, skipped };
  }
}
