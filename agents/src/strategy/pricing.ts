/** Price helpers shared by the strategies: ticks from prices, and gsy-e style linear ramps. */
import type { Tariffs } from "./types.ts";

/** Ticks that bound [feed-in, retail]: [first tick ≥ feed-in, last tick ≤ retail]. */
export function tariffTicks(t: Tariffs, tickSize: number): { low: number; high: number } {
  if (!(tickSize > 0)) throw new Error(`tick size must be positive, got ${tickSize}`);
  return { low: Math.ceil(t.feedInPerKwh / tickSize), high: Math.floor(t.retailPerKwh / tickSize) };
}

/**
 * How far the trading window of a market has run at `now`, in [0, 1]: 0 when the window opens
 * (`windowSeconds` before the gate), 1 at the gate.
 */
export function rampProgress(now: number, gateAt: number, windowSeconds: number): number {
  if (!(windowSeconds > 0)) return 1;
  const p = (now - (gateAt - windowSeconds)) / windowSeconds;
  return Math.min(1, Math.max(0, p));
}

/** A seller starts at retail and comes down to feed-in; a buyer starts at feed-in and goes up to retail. */
export function rampTick(side: "buy" | "sell", progress: number, t: Tariffs, tickSize: number): number {
  const { low, high } = tariffTicks(t, tickSize);
  const span = high - low;
  return side === "sell" ? Math.ceil(high - span * progress) : Math.floor(low + span * progress);
}
