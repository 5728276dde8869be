/**
 * What past settlements say about the agent as a seller: per settled sale, the share of the sold
 * energy its meter did not deliver (a silent meter delivered nothing), as an exponentially weighted
 * average, plus running totals of what settlement paid and slashed. The seller's offers are held back
 * by a share that grows with that average and shrinks again as the meter delivers in full: its bond
 * (slashed pro rata for the shortfall) and its reputation are at stake. Plain JSON (checkpointed);
 * deterministic.
 */

/** One settled sale of the agent's meter, in Wh and quote base units. */
export interface SettlementResult {
  slotStart: number;
  soldWh: number;
  deliveredWh: number;
  reported: boolean;
  payout: number;
  fee: number;
  refunded: number;
  bondSlashed: number;
}

/** A buyer position of the agent in a past slot (indexer only): what it paid, what came back. */
export interface PurchaseResult {
  slotStart: number;
  boughtWh: number;
  paid: number;
  refunded: number;
}

export interface DeliveryStats {
  /** EWMA of (sold − delivered) / sold over settled sales, 0..1. */
  shortfallShare: number;
  samples: number;
  soldWh: number;
  deliveredWh: number;
  payout: number;
  bondSlashed: number;
  refunded: number;
  /** The last settled slot folded in. */
  lastSlot: number;
}

export const DELIVERY = {
  /** Weight of a new sale (the first ones weigh more, as in the error tracker). */
  alpha: 0.25,
  /** Share held back = factor × shortfallShare, at most `maxHoldback`. */
  factor: 1.5,
  maxHoldback: 0.8,
};

export function emptyDelivery(): DeliveryStats {
  return {
    shortfallShare: 0,
    samples: 0,
    soldWh: 0,
    deliveredWh: 0,
    payout: 0,
    bondSlashed: 0,
    refunded: 0,
    lastSlot: 0,
  };
}

/** Folds one settled sale in; a sale with nothing sold or with values out of range is ignored. */
export function recordSale(s: DeliveryStats, r: SettlementResult): DeliveryStats {
  const finite = [r.soldWh, r.deliveredWh, r.payout, r.bondSlashed, r.refunded].every(
    (v) => Number.isFinite(v) && v >= 0,
  );
  if (!finite || r.soldWh <= 0 || r.deliveredWh > r.soldWh) return s;
  const short = (r.soldWh - r.deliveredWh) / r.soldWh;
  const a = Math.max(DELIVERY.alpha, 1 / (s.samples + 1));
  return {
    shortfallShare: s.shortfallShare + a * (short - s.shortfallShare),
    samples: s.samples + 1,
    soldWh: s.soldWh + r.soldWh,
    deliveredWh: s.deliveredWh + r.deliveredWh,
    payout: s.payout + r.payout,
    bondSlashed: s.bondSlashed + r.bondSlashed,
    refunded: s.refunded + r.refunded,
    lastSlot: Math.max(s.lastSlot, r.slotStart),
  };
}

/** Share of a forecast surplus (after the margin) the seller keeps back from its offers, 0..maxHoldback. */
export function sellHoldback(s: DeliveryStats | undefined): number {
  if (!s || s.samples === 0 || !Number.isFinite(s.shortfallShare)) return 0;
  const h = Math.min(DELIVERY.maxHoldback, Math.max(0, DELIVERY.factor * s.shortfallShare));
  return Math.round(h * 1e6) / 1e6; // whole ppm: 0.4 × 1.5 holds back 60 %, not 60.0000000001 %
}
