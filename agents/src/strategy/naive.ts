/**
 * The naive baseline: one fixed price for everyone (midway between feed-in and retail), a persistence
 * forecast (the net measured in the same slot the day before, else the last measured slot), no
 * safety margin, no battery trading, one order per market placed once and never re-priced. Like the
 * ramp strategy, it bids only into a book that has asks.
 */
import { tariffTicks } from "./pricing.ts";
import type { DecisionInput, Plan, Strategy } from "./types.ts";

export class NaiveStrategy implements Strategy {
  readonly name = "naive";
  readonly #windowSlots: number;
  constructor(o: { windowSlots?: number } = {}) {
    this.#windowSlots = o.windowSlots ?? 4;
  }

  decide(input: DecisionInput): Plan {
    const plan: Plan = { cancel: [], place: [], notes: [], source: this.name };
    const { low, high } = tariffTicks(input.tariffs, input.tickSize);
    const tick = Math.round((low + high) / 2);
    const window = this.#windowSlots * input.slotLength;
    const lastMeasured = Object.keys(input.measuredNet)
      .map(Number)
      .sort((a, b) => b - a)[0];
    for (const m of input.markets) {
      if (input.now >= m.gateAt || m.gateAt - input.now > window) continue;
      if (input.own.some((o) => o.marketId === m.marketId)) continue;
      if (
        (input.filled[String(m.slotStart)]?.buyWh ?? 0) + (input.filled[String(m.slotStart)]?.sellWh ?? 0) >
        0
      )
        continue;
      const yesterday = input.measuredNet[String(m.slotStart - 86400)];
      const net =
        yesterday ?? (lastMeasured !== undefined ? input.measuredNet[String(lastMeasured)] : undefined);
      if (net === undefined || !Number.isFinite(net)) continue;
      if (net < 0 && m.bestAskTick === undefined) continue; // nobody sells yet
      const amount = Math.floor(Math.abs(net));
      if (amount < input.minOrderWh) continue;
      plan.place.push({
        marketId: m.marketId,
        slotStart: m.slotStart,
        side: net > 0 ? "sell" : "buy",
        tick,
        amountWh: amount,
        reason: `persistence forecast ${Math.round(net)} Wh at the fixed mid price`,
      });
    }
    return plan;
  }
}
