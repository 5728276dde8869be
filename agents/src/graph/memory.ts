/** What an agent remembers between cycles (checkpointed with its thread). Plain JSON. */
import { emptyDelivery, type DeliveryStats } from "../forecast/delivery-tracker.ts";
import { emptyTracker, type ErrorTrackerState } from "../forecast/error-tracker.ts";
import type { Refusal } from "../risk/limits.ts";

export interface AgentMemory {
  cycles: number;
  tracker: ErrorTrackerState;
  /** Forecast net (before the battery) per slot start, until its meter report arrives. */
  forecasts: Record<string, { netWh: number; sunlit: boolean }>;
  /** Measured net (export − import − battery) per slot start, the last two days. */
  measuredNet: Record<string, number>;
  /** Orders the agent placed, id → slot start, until their slot's gate has passed. */
  orders: Record<string, number>;
  /** Wh filled as taker per slot start, per side. */
  takerFilled: Record<string, { buyWh: number; sellWh: number }>;
  /** The latest slot whose meter report was read. */
  lastReportedSlot: number;
  /** Past settlements of the agent's sales (delivered vs sold), folded in once each. */
  delivery: DeliveryStats;
  /** Slots whose settlement was folded in → the share not delivered, the last two days. */
  settled: Record<string, number>;
  /** Where the last observation came from, and how often each source was used. */
  observe: {
    source: string;
    fallbackReason?: string | undefined;
    indexerCycles: number;
    chainCycles: number;
  };
  placed: number;
  cancelled: number;
  refused: number;
  errors: number;
  gasUsed: number;
  lastRefusals: Refusal[];
  lastNotes: string[];
}

export function emptyMemory(): AgentMemory {
  return {
    cycles: 0,
    tracker: emptyTracker(),
    forecasts: {},
    measuredNet: {},
    orders: {},
    takerFilled: {},
    lastReportedSlot: 0,
    delivery: emptyDelivery(),
    settled: {},
    observe: { source: "none", indexerCycles: 0, chainCycles: 0 },
    placed: 0,
    cancelled: 0,
    refused: 0,
    errors: 0,
    gasUsed: 0,
    lastRefusals: [],
    lastNotes: [],
  };
}

/** Drops what no longer matters at `now` (slots older than `keepSeconds`). */
export function pruneMemory(m: AgentMemory, now: number, keepSeconds: number): AgentMemory {
  const cut = now - keepSeconds;
  const keep = <T>(r: Record<string, T>, limit = cut) =>
    Object.fromEntries(Object.entries(r).filter(([k]) => Number(k) >= limit)) as Record<string, T>;
  return {
    ...m,
    forecasts: keep(m.forecasts),
    measuredNet: keep(m.measuredNet, now - 2 * 86400),
    settled: keep(m.settled ?? {}, now - 2 * 86400),
    takerFilled: keep(m.takerFilled),
    orders: Object.fromEntries(Object.entries(m.orders).filter(([, slot]) => slot >= cut)),
  };
}
