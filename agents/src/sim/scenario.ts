/** A simulated community: its households, tariffs and calendar, all from one seed. */
import type { BatterySpec } from "../model/battery.ts";
import type { PvArray, Site } from "../model/solar.ts";
import { Random } from "../model/random.ts";
import type { Tariffs } from "../strategy/types.ts";

export type StrategyName = "ramp" | "naive";

export interface SimParams {
  seed: number;
  households: number;
  pvHouseholds: number;
  /** Among the PV households. */
  batteryHouseholds: number;
  days: number;
  /** First slot, unix seconds (a multiple of the slot length). */
  startSec: number;
  slotLength: number;
  tariffs: Tariffs;
  /** Community fee on sellers' proceeds, basis points. */
  feeBps: number;
  /** Seller bond, quote base units per kWh. */
  bondPerKwh: number;
  /** Trading window before each gate, in slots. */
  windowSlots: number;
  strategies: StrategyName[];
  site: Site;
  /**
   * Seeds the order in which a tick's transactions are mined (a permutation of the agents per tick;
   * default: `seed`). Runs with the same seed and order seed give the same figures to the unit.
   */
  orderSeed?: number | undefined;
  /**
   * Meter readings signed by each meter's device key and reported by the oracle's own pipeline
   * (ingest → aggregation → signing → posting, in process; sim/oracle-path.ts) — the default — or
   * (false, `--direct-reports`) a batch the simulation builds and signs with the oracle key.
   */
  oraclePipeline?: boolean | undefined;
  /**
   * Each world runs the real indexer (Ponder, PGlite in a temporary directory) on its chain and its
   * agents observe through it (`IndexerSource`, the chain as fallback); every tick waits (bounded)
   * until the indexer has reached the tick's block. Decision 0039.
   */
  indexer?: boolean | undefined;
}

export const DEFAULT_PARAMS: SimParams = {
  seed: 42,
  households: 20,
  pvHouseholds: 8,
  batteryHouseholds: 3,
  days: 7,
  // Monday 7 June 2027, 00:00 Berlin time (22:00 UTC the day before)
  startSec: Date.UTC(2027, 5, 6, 22) / 1000,
  slotLength: 900,
  tariffs: { retailPerKwh: 300_000, feedInPerKwh: 80_000 },
  feeBps: 100,
  bondPerKwh: 10_000,
  windowSlots: 2,
  strategies: ["ramp", "naive"],
  site: { latitude: 52.52, longitude: 13.4 },
  oraclePipeline: true,
};

/**
 * gsy-e's default community as a sanity scenario: 9 homes, 4 with PV, 2 of those with a battery;
 * the utility sells at 22 ct/kWh and buys at 21 ct/kWh, with a 4 ct/kWh grid fee on what the homes
 * import (retail 26 ct) — the feed-in tariff is the utility's buying price. One day by default.
 * (gsy-e also charges its grid fee on trades inside the area; here the community's fee is its
 * 100 bps on sellers' proceeds.)
 */
export const GSY_E_PARAMS: SimParams = {
  ...DEFAULT_PARAMS,
  households: 9,
  pvHouseholds: 4,
  batteryHouseholds: 2,
  days: 1,
  tariffs: { retailPerKwh: 260_000, feedInPerKwh: 210_000 },
};

export const SCENARIOS = { default: DEFAULT_PARAMS, "gsy-e": GSY_E_PARAMS } as const;

export interface HouseholdPlan {
  index: number;
  annualKwh: number;
  pv?: PvArray | undefined;
  battery?: BatterySpec | undefined;
}

export function householdsOf(p: SimParams): HouseholdPlan[] {
  if (!(p.households >= 1) || p.pvHouseholds > p.households || p.batteryHouseholds > p.pvHouseholds)
    throw new Error(
      `need 1 ≤ households, PV households ≤ households, batteries ≤ PV households (got ${p.households}/${p.pvHouseholds}/${p.batteryHouseholds})`,
    );
  const rng = new Random(p.seed).fork(1);
  return Array.from({ length: p.households }, (_, index) => {
    const pv = index < p.pvHouseholds;
    const battery = index < p.batteryHouseholds;
    return {
      index,
      annualKwh: Math.round(pv ? rng.uniform(3_000, 5_500) : rng.uniform(2_000, 4_500)),
      pv: pv ? { kWp: Math.round(rng.uniform(4, 9) * 10) / 10, performanceRatio: 0.8 } : undefined,
      battery: battery
        ? { capacityWh: 10_000, maxPowerW: 4_000, efficiency: 0.92, reserveWh: 1_000 }
        : undefined,
    };
  });
}
