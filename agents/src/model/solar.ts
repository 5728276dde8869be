/**
 * PV production: Haurwitz clear-sky global horizontal irradiance (GHI = 1098 · cos Z · e^(−0.059 / cos Z)
 * W/m², Z the solar zenith angle from suncalc) × the array's peak power (kWp at 1,000 W/m²) × a
 * performance ratio × a cloudiness factor in [0, 1]. The array is treated as horizontal (no tilt or
 * orientation model): a deliberate simplification, the same for forecasts and "actual" production.
 */
import { createRequire } from "node:module";
import type * as SunCalcTypes from "suncalc";

const SunCalc = createRequire(import.meta.url)("suncalc") as typeof SunCalcTypes;

export interface PvArray {
  kWp: number;
  /** System losses (inverter, temperature, soiling), typically 0.75–0.85. */
  performanceRatio: number;
}

export interface Site {
  latitude: number;
  longitude: number;
}

/** Haurwitz clear-sky GHI in W/m² at `date`; 0 when the sun is below the horizon. */
export function clearSkyGhi(date: Date, site: Site): number {
  const { altitude } = SunCalc.getPosition(date, site.latitude, site.longitude);
  // suncalc 2 reports the altitude in degrees (1.x used radians)
  const cosZ = Math.sin((altitude * Math.PI) / 180);
  if (!(cosZ > 0.01)) return 0;
  return 1098 * cosZ * Math.exp(-0.059 / cosZ);
}

/** Energy in Wh the array yields over [startSec, startSec + seconds), sampled at 5-minute midpoints. */
export function pvEnergyWh(
  array: PvArray,
  site: Site,
  startSec: number,
  seconds: number,
  cloudFactor: (timeSec: number) => number,
): number {
  if (!(array.kWp >= 0) || !(array.performanceRatio >= 0)) {
    throw new Error(
      `PV array needs kWp ≥ 0 and a performance ratio ≥ 0, got ${array.kWp}, ${array.performanceRatio}`,
    );
  }
  if (array.kWp === 0) return 0;
  const step = 300;
  const n = Math.max(1, Math.round(seconds / step));
  let wh = 0;
  for (let i = 0; i < n; i++) {
    const t = startSec + (i + 0.5) * (seconds / n);
    const cloud = Math.min(1, Math.max(0, cloudFactor(t)));
    const watts =
      (clearSkyGhi(new Date(t * 1000), site) / 1000) * array.kWp * 1000 * array.performanceRatio * cloud;
    wh += (watts * (seconds / n)) / 3600;
  }
  return wh;
}
