/**
 * The default strategy, deterministic and offline, in the manner of gsy-e's PV and load agents:
 * sellers offer their forecast surplus minus a safety margin (less a holdback share when past
 * settlements found their meter short of what it sold) and lower the price from retail towards
 * feed-in as the gate approaches; buyers bid for their forecast deficit and raise the price from
 * feed-in towards retail. A household with a battery covers its own deficit from the battery (no
 * bid), and outside sunlit hours offers what the battery holds beyond its reserve and its own needs
 * until the sun is back — it charged from its own surplus at midday, when local energy is cheap, and
 * sells in the evening, when it is dear. Orders already resting at the right price and size stay;
 * the others are re-priced (cancel + place in one transaction). Buyers bid only into a book that
 * has asks (with no supply there is nobody to buy from, and a resting bid would only cost gas).
 */
import { rampProgress, rampTick } from "./pricing.ts";
import type { DecisionInput, OrderIntent, OwnOrder, Plan, Side, Strategy } from "./types.ts";

export interface RampOptions {
  /** Seconds before the gate the ramp starts (the trading window). Default 4 slots. */
  windowSlots?: number;
  /** Share of the battery's dischargeable energy offered per slot. Default 0.5. */
  batteryShare?: number;
}

export class RampStrategy implements Strategy {
  readonly name = "ramp";
  readonly #windowSlots: number;
  readonly #batteryShare: number;
  constructor(o: RampOptions = {}) {
    this.#windowSlots = o.windowSlots ?? 4;
    this.#batteryShare = o.batteryShare ?? 0.5;
  }

  decide(input: DecisionInput): Plan {
    const plan: Plan = { cancel: [], place: [], notes: [], source: this.name };
    const window = this.#windowSlots * input.slotLength;
    const byStart = new Map(input.forecasts.map((f) => [f.slotStart, f]));
    // past settlements found the meter short of what it sold: offer less (bond and reputation at stake)
    const hb = input.sellHoldback ?? 0;
    const holdback = Number.isFinite(hb) ? Math.min(1, Math.max(0, hb)) : 0;
    if (holdback > 0)
      plan.notes.push(`offers held back ${Math.round(holdback * 100)} % after under-delivery`);
    for (const m of input.markets) {
      if (input.now >= m.gateAt || m.gateAt - input.now > window) continue;
      const f = byStart.get(m.slotStart);
      const own = input.own.filter((o) => o.marketId === m.marketId);
      if (!f || !Number.isFinite(f.netWh) || !Number.isFinite(f.marginWh)) {
        plan.notes.push(`slot ${m.slotStart}: no usable forecast, orders withdrawn`);
        plan.cancel.push(...own.filter((o) => o.remainingWh > 0).map((o) => o.orderId));
        continue;
      }
      const filled = input.filled[String(m.slotStart)] ?? { buyWh: 0, sellWh: 0 };
      const margin = Math.max(0, f.marginWh);
      let sellWh = 0;
      let buyWh = 0;
      let why = "";
      if (f.netWh > 0) {
        sellWh = f.netWh - margin;
        why = `forecast surplus ${Math.round(f.netWh)} Wh − margin ${Math.round(margin)} Wh`;
        if (holdback > 0 && sellWh > 0) {
          why = `${why} − ${Math.round(holdback * 100)} % held back (past sales under-delivered)`;
          sellWh *= 1 - holdback;
        }
      } else {
        const deficit = -f.netWh;
        const fromBattery = input.battery ? this.#batteryCover(input, m.slotStart) : 0;
        buyWh = deficit - fromBattery - margin / 2;
        why = `forecast deficit ${Math.round(deficit)} Wh${fromBattery > 0 ? ` − battery ${Math.round(fromBattery)} Wh` : ""}`;
        if (input.battery && !f.sunlit) {
          const extra = this.#batterySurplus(input, m.slotStart);
          if (extra > 0) {
            sellWh = extra;
            buyWh = 0;
            why = `battery holds ${Math.round(extra)} Wh beyond its reserve and the night's needs`;
          }
        }
      }
      // a bid only makes sense against supply: with no ask in the book there is no one to buy from yet
      if (buyWh > 0 && m.bestAskTick === undefined) {
        buyWh = 0;
        why = `${why}; no ask in the book yet`;
      }
      const progress = rampProgress(input.now, m.gateAt, window);
      this.#target(
        plan,
        input,
        m.marketId,
        m.slotStart,
        "sell",
        Math.floor(sellWh - filled.sellWh),
        progress,
        own,
        why,
      );
      this.#target(
        plan,
        input,
        m.marketId,
        m.slotStart,
        "buy",
        Math.floor(buyWh - filled.buyWh),
        progress,
        own,
        why,
      );
    }
    return plan;
  }

  /** Keeps, re-prices or withdraws the agent's order on one side of one market. */
  #target(
    plan: Plan,
    input: DecisionInput,
    marketId: string,
    slotStart: number,
    side: Side,
    wantWh: number,
    progress: number,
    own: OwnOrder[],
    why: string,
  ): void {
    const resting = own.filter((o) => o.side === side && o.remainingWh > 0);
    const tick = rampTick(side, progress, input.tariffs, input.tickSize);
    const want = wantWh >= input.minOrderWh ? wantWh : 0;
    const keep = resting.find((o) => o.tick === tick && o.remainingWh === want);
    for (const o of resting) if (o !== keep) plan.cancel.push(o.orderId);
    if (want === 0 || keep) return;
    const intent: OrderIntent = {
      marketId,
      slotStart,
      side,
      tick,
      amountWh: want,
      reason: `${why}; ${side === "sell" ? "ask" : "bid"} ramped to ${(progress * 100).toFixed(0)} % of the window`,
    };
    plan.place.push(intent);
  }

  /** What the battery can give the household in one slot (its own deficit first). */
  #batteryCover(input: DecisionInput, _slotStart: number): number {
    const b = input.battery!;
    return Math.max(0, Math.min(b.socWh - b.reserveWh, (b.maxPowerW * input.slotLength) / 3600));
  }

  /** Battery energy beyond the reserve and the household's own deficit until the next sunlit slot. */
  #batterySurplus(input: DecisionInput, slotStart: number): number {
    const b = input.battery!;
    let need = 0;
    for (const f of input.forecasts) {
      if (f.slotStart <= slotStart) continue;
      if (f.sunlit && f.netWh > 0) break;
      need += Math.max(0, -f.netWh);
    }
    const spare = b.socWh - b.reserveWh - need;
    const power = (b.maxPowerW * input.slotLength) / 3600;
    return Math.max(0, Math.min(spare * this.#batteryShare, power));
  }
}
