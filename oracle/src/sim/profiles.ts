/**
 * Power profiles of simulated meters (W, positive = import from the grid, negative = export).
 * Deterministic given the meter id and a random source, so runs can be repeated.
 */
import type { MeterKind } from "../protocol/meter.ts";

export type Random = () => number;

/** mulberry32: small seeded PRNG. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hourOfDay = (tsMs: number): number => (((tsMs / 3_600_000) % 24) + 24) % 24;

/** Clear-sky PV output as a fraction of peak: a sine from 06:00 to 18:00 UTC. */
export function sunFraction(tsMs: number): number {
  const h = hourOfDay(tsMs);
  return h <= 6 || h >= 18 ? 0 : Math.sin((Math.PI * (h - 6)) / 12);
}

/** Household load in W: base load plus morning and evening peaks. */
export function householdLoad(tsMs: number, scaleW: number, rnd: Random): number {
  const h = hourOfDay(tsMs);
  const morning = Math.exp(-((h - 7.5) ** 2) / 1.5);
  const evening = Math.exp(-((h - 19.5) ** 2) / 3);
  const spike = rnd() < 0.05 ? rnd() * 0.5 : 0; // kettle, oven
  return scaleW * (0.15 + 0.35 * morning + 0.5 * evening + spike);
}

export interface ProfileState {
  cloud: number;
  /** Battery state of charge, 0..1 (storage only). */
  soc: number;
}

/** Net power (W) of a meter at `tsMs`, never beyond its capacity. */
export function netPower(
  kind: MeterKind,
  capacityW: number,
  tsMs: number,
  state: ProfileState,
  rnd: Random,
): number {
  state.cloud = Math.min(1, Math.max(0.2, state.cloud + (rnd() - 0.5) * 0.1));
  let w: number;
  switch (kind) {
    case "producer":
      w = -capacityW * sunFraction(tsMs) * state.cloud + 3; // inverter standby draws a little at night
      break;
    case "consumer":
      w = householdLoad(tsMs, capacityW * 0.8, rnd);
      break;
    case "prosumer":
      w = householdLoad(tsMs, capacityW * 0.4, rnd) - capacityW * 0.7 * sunFraction(tsMs) * state.cloud;
      break;
    case "storage": {
      const h = hourOfDay(tsMs);
      if (h >= 10 && h < 15 && state.soc < 1) w = capacityW * 0.5;
      else if (h >= 17 && h < 22 && state.soc > 0.1) w = -capacityW * 0.6;
      else w = 0;
      break;
    }
  }
  return Math.max(-capacityW, Math.min(capacityW, w));
}
