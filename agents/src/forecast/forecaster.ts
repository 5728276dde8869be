/**
 * A household's forecast per delivery slot: PV production (clear-sky × kWp × performance ratio ×
 * forecast cloudiness), consumption (BDEW H25 × annual consumption), their difference corrected by
 * the tracked bias, and a safety margin from the tracked mean absolute error.
 */
import { h25EnergyWh } from "../model/load-profile.ts";
import { pvEnergyWh, type PvArray, type Site } from "../model/solar.ts";
import type { BatterySpec } from "../model/battery.ts";
import type { CloudSource } from "../model/weather.ts";
import type { ErrorTrackerState } from "./error-tracker.ts";

export interface HouseholdSpec {
  site: Site;
  annualKwh: number;
  pv?: PvArray | undefined;
  battery?: BatterySpec | undefined;
  timeZone?: string;
}

export interface SlotForecast {
  slotStart: number;
  pvWh: number;
  loadWh: number;
  /** Expected export − import before the battery, bias-corrected (positive: surplus). */
  netWh: number;
  /** How far the net may miss, Wh (≥ 0). */
  marginWh: number;
  sunlit: boolean;
}

/** The margin never falls below this share of the slot's gross flows, nor below `floorWh`. */
export const MARGIN = { maeFactor: 1.5, share: 0.1, floorWh: 20 };

const flowCache = new WeakMap<CloudSource, Map<string, { pvWh: number; loadWh: number }>>();

/** PV and load expected in a slot (memoised per cloud source: they do not depend on the tracker). */
function expectedFlows(spec: HouseholdSpec, clouds: CloudSource, slotStart: number, slotLength: number) {
  let cache = flowCache.get(clouds);
  if (!cache) flowCache.set(clouds, (cache = new Map()));
  const key = `${spec.site.latitude},${spec.site.longitude},${spec.pv?.kWp ?? 0},${spec.pv?.performanceRatio ?? 0},${spec.annualKwh},${spec.timeZone ?? ""},${slotStart},${slotLength}`;
  let v = cache.get(key);
  if (!v) {
    if (cache.size > 500_000) cache.clear();
    v = {
      pvWh: spec.pv ? pvEnergyWh(spec.pv, spec.site, slotStart, slotLength, (t) => clouds.cloudFactor(t)) : 0,
      loadWh: h25EnergyWh(slotStart, slotLength, spec.annualKwh, spec.timeZone),
    };
    cache.set(key, v);
  }
  return v;
}

export function forecastSlot(
  spec: HouseholdSpec,
  clouds: CloudSource,
  slotStart: number,
  slotLength: number,
  tracker: ErrorTrackerState,
): SlotForecast {
  if (!Number.isInteger(slotStart) || !Number.isInteger(slotLength) || slotLength <= 0)
    throw new Error(`forecast needs integer slot times, got ${slotStart}/${slotLength}`);
  const { pvWh, loadWh } = expectedFlows(spec, clouds, slotStart, slotLength);
  const sunlit = pvWh > 1;
  const stats = sunlit ? tracker.sunlit : tracker.dark;
  const netWh = pvWh - loadWh + (stats.samples > 0 ? stats.bias : 0);
  const marginWh = Math.max(MARGIN.floorWh, MARGIN.maeFactor * stats.mae, MARGIN.share * (pvWh + loadWh));
  return { slotStart, pvWh, loadWh, netWh, marginWh, sunlit };
}
