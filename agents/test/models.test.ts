import { describe, expect, it } from "vitest";
import { clearSkyGhi, pvEnergyWh } from "../src/model/solar.ts";
import { h25EnergyWh, h25QuarterWh, localTime } from "../src/model/load-profile.ts";
import { Battery } from "../src/model/battery.ts";
import { Random } from "../src/model/random.ts";
import { Weather } from "../src/model/weather.ts";

const BERLIN = { latitude: 52.52, longitude: 13.4 };
const day = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h) / 1000;

describe("PV model (Haurwitz clear sky × kWp × PR × clouds)", () => {
  it("is zero at night, peaks near solar noon, and scales with kWp and clouds", () => {
    expect(clearSkyGhi(new Date(day(2027, 6, 21, 0) * 1000), BERLIN)).toBe(0);
    const noon = clearSkyGhi(new Date(day(2027, 6, 21, 11) * 1000), BERLIN);
    // Haurwitz at Berlin's June solstice noon (zenith ≈ 29°): 1098 · 0.875 · e^(−0.059/0.875) ≈ 898 W/m²
    expect(noon).toBeGreaterThan(860);
    expect(noon).toBeLessThan(920);
    const winterNoon = clearSkyGhi(new Date(day(2027, 12, 21, 11) * 1000), BERLIN);
    expect(winterNoon).toBeLessThan(noon / 2);
    const a = { kWp: 5, performanceRatio: 0.8 };
    const t = day(2027, 6, 21, 11);
    const clear = pvEnergyWh(a, BERLIN, t, 900, () => 1);
    expect(clear).toBeCloseTo(((noon / 1000) * 5 * 1000 * 0.8) / 4, -1);
    expect(pvEnergyWh({ ...a, kWp: 10 }, BERLIN, t, 900, () => 1)).toBeCloseTo(2 * clear, 6);
    expect(pvEnergyWh(a, BERLIN, t, 900, () => 0.5)).toBeCloseTo(clear / 2, 6);
    // clouds are clamped to [0, 1], never negative production
    expect(pvEnergyWh(a, BERLIN, t, 900, () => -3)).toBe(0);
    expect(() => pvEnergyWh({ kWp: -1, performanceRatio: 0.8 }, BERLIN, t, 900, () => 1)).toThrow(/kWp/);
  });
});

describe("load model (BDEW H25)", () => {
  it("sums to the annual consumption over a year and follows the day's shape", () => {
    let year = 0;
    for (let t = day(2027, 1, 1); t < day(2028, 1, 1); t += 900) year += h25QuarterWh(t, 4000);
    expect(year / 1000).toBeGreaterThan(3990);
    expect(year / 1000).toBeLessThan(4010);
    // a June workday: evening peak above the 3 a.m. trough
    const night = h25EnergyWh(day(2027, 6, 9, 1), 900, 4000);
    const evening = h25EnergyWh(day(2027, 6, 9, 17), 900, 4000);
    expect(evening).toBeGreaterThan(1.8 * night);
    expect(localTime(day(2027, 6, 12, 10))).toMatchObject({ month: 5, dayType: "SA", quarter: 48 });
    expect(() => h25QuarterWh(day(2027, 6, 9), Number.NaN)).toThrow(/annual consumption/);
    expect(() => h25QuarterWh(day(2027, 6, 9), -1)).toThrow(/annual consumption/);
  });
});

describe("battery", () => {
  it("keeps its reserve, its power limit and its efficiency", () => {
    const b = new Battery({ capacityWh: 10_000, maxPowerW: 4_000, efficiency: 0.9, reserveWh: 1_000 }, 2_000);
    expect(b.discharge(5_000, 900)).toBe(1_000); // 4 kW × 15 min = 1 kWh, and 1 kWh above the reserve
    expect(b.socWh).toBe(1_000);
    expect(b.discharge(100, 900)).toBe(0);
    expect(b.charge(500, 900)).toBe(500);
    expect(b.socWh).toBeCloseTo(1_450, 6);
    expect(b.charge(-5, 900)).toBe(0);
    expect(() => new Battery({ capacityWh: 0, maxPowerW: 1, efficiency: 1, reserveWh: 0 })).toThrow();
  });
});

describe("seeded randomness and weather", () => {
  it("is the same for the same seed and differs for another", () => {
    const a = new Random(7);
    const b = new Random(7);
    expect([a.next(), a.next(), a.normal()]).toEqual([b.next(), b.next(), b.normal()]);
    expect(new Random(8).next()).not.toBe(new Random(7).next());
    const w1 = new Weather(1, day(2027, 6, 7), 7);
    const w2 = new Weather(1, day(2027, 6, 7), 7);
    const t = day(2027, 6, 9, 10);
    expect(w1.cloudFactor(t)).toBe(w2.cloudFactor(t));
    for (let h = 0; h < 24 * 7; h++) {
      const c = w1.cloudFactor(day(2027, 6, 7) + h * 3600);
      expect(c).toBeGreaterThanOrEqual(0.05);
      expect(c).toBeLessThanOrEqual(1);
    }
  });
});
