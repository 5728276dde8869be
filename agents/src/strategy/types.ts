/** What a strategy sees and what it proposes. Plain JSON (numbers, strings) so it checkpoints. */
import type { SlotForecast } from "../forecast/forecaster.ts";

export type Side = "buy" | "sell";

export interface Tariffs {
  /** What the household pays the utility, quote base units per kWh (e.g. 300000 = 0.30 USDC). */
  retailPerKwh: number;
  /** What the utility pays for exported energy, quote base units per kWh. */
  feedInPerKwh: number;
}

export interface MarketView {
  /** Decimal string of the uint256 market id. */
  marketId: string;
  slotStart: number;
  opensAt: number;
  gateAt: number;
  bestBidTick?: number | undefined;
  bestAskTick?: number | undefined;
  /** The book's levels, best first (when the source reads them: the indexer). */
  bids?: { tick: number; wh: number }[] | undefined;
  asks?: { tick: number; wh: number }[] | undefined;
}

export interface OwnOrder {
  orderId: string;
  marketId: string;
  slotStart: number;
  side: Side;
  tick: number;
  amountWh: number;
  filledWh: number;
  remainingWh: number;
}

export interface BatteryView {
  socWh: number;
  capacityWh: number;
  reserveWh: number;
  maxPowerW: number;
}

export interface DecisionInput {
  now: number;
  slotLength: number;
  tickSize: number;
  minOrderWh: number;
  tariffs: Tariffs;
  meterId: number;
  markets: MarketView[];
  /** Forecasts for the markets' slots and beyond (battery planning). */
  forecasts: SlotForecast[];
  /** Resting orders of the agent. */
  own: OwnOrder[];
  /** Filled Wh per slot start so far, per side. */
  filled: Record<string, { buyWh: number; sellWh: number }>;
  battery?: BatteryView | undefined;
  /** The last measured net (export − import) per slot start, from the agent's own meter reports. */
  measuredNet: Record<string, number>;
  /**
   * Share of a forecast surplus a seller keeps back because past settlements found its meter
   * short of what it sold (0..1; forecast/delivery-tracker.ts). Absent: 0.
   */
  sellHoldback?: number | undefined;
}

export interface OrderIntent {
  marketId: string;
  slotStart: number;
  side: Side;
  tick: number;
  amountWh: number;
  reason: string;
}

export interface Plan {
  cancel: string[];
  place: OrderIntent[];
  notes: string[];
  source: string;
}

export interface Strategy {
  readonly name: string;
  decide(input: DecisionInput): Plan;
}

export function emptyPlan(source: string, note?: string): Plan {
  return { cancel: [], place: [], notes: note ? [note] : [], source };
}
