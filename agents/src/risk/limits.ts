/**
 * Hard limits every plan passes, whoever made it (the ramp strategy, the naive one, an LLM): price
 * within the band (the community's and the agent's own, [feed-in, retail] by default), amounts that
 * are whole Wh within the order minimum and the meter's physical reach, markets still open, a
 * per-slot exposure cap, a minimum free balance, a maximum number of orders per cycle, and no sell
 * without a registered, active meter of the agent's own. A refused intent is kept with its reason and
 * never sent; cancels of the agent's own resting orders always pass (they only lower exposure).
 */
import type { MarketView, OrderIntent, OwnOrder, Plan } from "../strategy/types.ts";

export interface RiskLimits {
  /** Lowest and highest price, quote base units per kWh. A band with min > max refuses everything. */
  minPricePerKwh: number;
  maxPricePerKwh: number;
  /** Most quote at stake per slot (bid value + ask bond, resting and new). */
  maxExposurePerSlot: number;
  /** Free balance that must remain after the new orders' locks. */
  minFreeBalance: number;
  /** Most new orders per cycle. */
  maxOrdersPerCycle: number;
  /** Most Wh the meter can move in one slot (capacity × slot length). */
  maxWhPerSlot: number;
}

export interface RiskContext {
  now: number;
  tickSize: number;
  minOrderWh: number;
  /** Seller bond per Wh, quote base units. */
  bondPerWh: number;
  freeBalance: number;
  meter: { id: number; registered: boolean; active: boolean; ownedByAgent: boolean };
  markets: MarketView[];
  own: OwnOrder[];
}

export interface Refusal {
  intent: OrderIntent;
  reason: string;
}

export interface RiskVerdict {
  approved: Plan;
  refused: Refusal[];
}

/** Quote an intent locks: a bid its value (rounded up), an ask its bond. */
export function lockOf(
  i: Pick<OrderIntent, "side" | "tick" | "amountWh">,
  tickSize: number,
  bondPerWh: number,
): number {
  return i.side === "buy" ? Math.ceil((i.amountWh * i.tick * tickSize) / 1000) : i.amountWh * bondPerWh;
}

export function checkPlan(plan: Plan, limits: RiskLimits, ctx: RiskContext): RiskVerdict {
  const refused: Refusal[] = [];
  const approved: Plan = { ...plan, cancel: [], place: [], notes: [...plan.notes] };
  const ownIds = new Set(ctx.own.map((o) => o.orderId));
  for (const id of plan.cancel) {
    if (ownIds.has(id) && !approved.cancel.includes(id)) approved.cancel.push(id);
    else approved.notes.push(`cancel of ${id} dropped: not a resting order of this agent`);
  }
  const cancelled = new Set(approved.cancel);
  const bandOk = Number.isFinite(limits.minPricePerKwh) && Number.isFinite(limits.maxPricePerKwh);
  const minTick = Math.ceil(limits.minPricePerKwh / ctx.tickSize);
  const maxTick = Math.floor(limits.maxPricePerKwh / ctx.tickSize);
  const markets = new Map(ctx.markets.map((m) => [m.marketId, m]));
  // exposure already resting per slot (orders not being cancelled)
  const exposure = new Map<number, number>();
  for (const o of ctx.own) {
    if (cancelled.has(o.orderId) || o.remainingWh <= 0) continue;
    const lock = lockOf({ side: o.side, tick: o.tick, amountWh: o.remainingWh }, ctx.tickSize, ctx.bondPerWh);
    exposure.set(o.slotStart, (exposure.get(o.slotStart) ?? 0) + lock);
  }
  let free = ctx.freeBalance;
  const whPerSlot = new Map<string, number>();
  for (const i of plan.place) {
    const refuse = (reason: string) => refused.push({ intent: i, reason });
    if (!i || typeof i !== "object") continue;
    if (i.side !== "buy" && i.side !== "sell") {
      refuse(`side must be buy or sell, got ${String(i.side)}`);
      continue;
    }
    if (!Number.isInteger(i.tick) || !Number.isFinite(i.tick)) {
      refuse(`price tick ${String(i.tick)} is not a whole tick`);
      continue;
    }
    if (!bandOk || minTick > maxTick) {
      refuse(`the price band [${limits.minPricePerKwh}, ${limits.maxPricePerKwh}] per kWh holds no tick`);
      continue;
    }
    if (i.tick < minTick || i.tick > maxTick) {
      refuse(`price tick ${i.tick} is outside the band [${minTick}, ${maxTick}]`);
      continue;
    }
    if (!Number.isInteger(i.amountWh) || i.amountWh <= 0) {
      refuse(`amount ${String(i.amountWh)} Wh is not a positive whole number`);
      continue;
    }
    if (i.amountWh < ctx.minOrderWh) {
      refuse(`amount ${i.amountWh} Wh is below the order minimum ${ctx.minOrderWh} Wh`);
      continue;
    }
    const m = markets.get(i.marketId);
    if (!m || m.slotStart !== i.slotStart) {
      refuse(`market ${i.marketId} is not one the agent observed`);
      continue;
    }
    if (ctx.now < m.opensAt || ctx.now >= m.gateAt) {
      refuse(`market for slot ${m.slotStart} is not open (gate ${m.gateAt}, now ${ctx.now})`);
      continue;
    }
    if (!ctx.meter.registered || !ctx.meter.active || !ctx.meter.ownedByAgent) {
      refuse(`meter ${ctx.meter.id} is not a registered, active meter of this agent`);
      continue;
    }
    const key = `${i.slotStart}:${i.side}`;
    const resting = ctx.own
      .filter((o) => o.slotStart === i.slotStart && o.side === i.side && !cancelled.has(o.orderId))
      .reduce((s, o) => s + o.remainingWh + o.filledWh, 0);
    const wh = (whPerSlot.get(key) ?? resting) + i.amountWh;
    if (wh > limits.maxWhPerSlot) {
      refuse(
        `${wh} Wh ${i.side === "sell" ? "offered" : "bid"} for slot ${i.slotStart} exceeds the meter's ${limits.maxWhPerSlot} Wh per slot`,
      );
      continue;
    }
    if (approved.place.length >= limits.maxOrdersPerCycle) {
      refuse(`more than ${limits.maxOrdersPerCycle} orders in one cycle`);
      continue;
    }
    const lock = lockOf(i, ctx.tickSize, ctx.bondPerWh);
    const slotExposure = (exposure.get(i.slotStart) ?? 0) + lock;
    if (slotExposure > limits.maxExposurePerSlot) {
      refuse(`exposure ${slotExposure} for slot ${i.slotStart} exceeds the cap ${limits.maxExposurePerSlot}`);
      continue;
    }
    if (free - lock < limits.minFreeBalance) {
      refuse(`would leave ${free - lock} free, below the minimum ${limits.minFreeBalance}`);
      continue;
    }
    free -= lock;
    exposure.set(i.slotStart, slotExposure);
    whPerSlot.set(key, wh);
    approved.place.push(i);
  }
  return { approved, refused };
}

export function isEmptyPlan(p: Plan | null | undefined): boolean {
  return !p || (p.cancel.length === 0 && p.place.length === 0);
}
