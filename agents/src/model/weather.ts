/**
 * Cloudiness over a simulated period, seeded: each day draws a sky (clear, broken, overcast) and a
 * base cloud factor (the share of clear-sky irradiance that reaches the panels); each hour varies
 * around it. The day-ahead forecast knows the day's base factor with an error, not the hourly
 * variation — so PV forecasts miss as real ones do, and an agent has something to learn from its
 * meter readings.
 */
import { Random } from "./random.ts";

export interface CloudSource {
  /** Share of clear-sky irradiance, [0, 1], at `timeSec`. */
  cloudFactor(timeSec: number): number;
}

export class Weather implements CloudSource {
  readonly #days: number[] = [];
  readonly #forecastDays: number[] = [];
  readonly #hours: number[] = [];
  readonly startSec: number;

  constructor(seed: number, startSec: number, days: number) {
    const rng = new Random(seed);
    this.startSec = startSec;
    for (let d = 0; d < days + 3; d++) {
      const u = rng.next();
      const base =
        u < 0.45 ? rng.uniform(0.85, 1) : u < 0.8 ? rng.uniform(0.5, 0.85) : rng.uniform(0.15, 0.5);
      this.#days.push(base);
      this.#forecastDays.push(clamp(base + rng.normal(0, 0.08)));
      for (let h = 0; h < 24; h++) this.#hours.push(clamp(base * (1 + rng.normal(0, 0.15))));
    }
  }

  cloudFactor(timeSec: number): number {
    const h = Math.floor((timeSec - this.startSec) / 3600);
    return this.#hours[Math.min(Math.max(h, 0), this.#hours.length - 1)]!;
  }

  /** The day-ahead forecast an agent gets. */
  readonly forecast: CloudSource = {
    cloudFactor: (timeSec: number) => {
      const d = Math.floor((timeSec - this.startSec) / 86400);
      return this.#forecastDays[Math.min(Math.max(d, 0), this.#forecastDays.length - 1)]!;
    },
  };
}

function clamp(x: number): number {
  return Math.min(1, Math.max(0.05, x));
}
