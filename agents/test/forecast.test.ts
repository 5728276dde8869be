import { describe, expect, it } from "vitest";
import { emptyTracker, recordError } from "../src/forecast/error-tracker.ts";
import { forecastSlot, MARGIN } from "../src/forecast/forecaster.ts";

const BERLIN = { latitude: 52.52, longitude: 13.4 };
const noon = Date.UTC(2027, 5, 9, 11) / 1000;
const night = Date.UTC(2027, 5, 9, 1) / 1000;
const sunny = { cloudFactor: () => 1 };
const spec = { site: BERLIN, annualKwh: 3500, pv: { kWp: 6, performanceRatio: 0.8 } };

describe("forecast per slot", () => {
  it("forecasts PV minus load, with a margin", () => {
    const f = forecastSlot(spec, sunny, noon, 900, emptyTracker());
    expect(f.pvWh).toBeGreaterThan(900);
    expect(f.loadWh).toBeGreaterThan(50);
    expect(f.netWh).toBeCloseTo(f.pvWh - f.loadWh, 6);
    expect(f.marginWh).toBeGreaterThanOrEqual(MARGIN.share * (f.pvWh + f.loadWh) - 1e-9);
    const n = forecastSlot(spec, sunny, night, 900, emptyTracker());
    expect(n.pvWh).toBe(0);
    expect(n.sunlit).toBe(false);
    expect(n.netWh).toBeLessThan(0);
    expect(() => forecastSlot(spec, sunny, noon + 0.5, 900, emptyTracker())).toThrow(/integer/);
  });

  it("learns a bias from the meter and widens the margin with the error", () => {
    let tracker = emptyTracker();
    const f0 = forecastSlot(spec, sunny, noon, 900, tracker);
    // the meter keeps showing 300 Wh less than forecast (a shaded panel, say)
    for (let i = 0; i < 30; i++) tracker = recordError(tracker, true, f0.netWh, f0.netWh - 300);
    expect(tracker.sunlit.bias).toBeCloseTo(-300, 0);
    expect(tracker.dark.samples).toBe(0);
    const f1 = forecastSlot(spec, sunny, noon, 900, tracker);
    expect(f1.netWh).toBeCloseTo(f0.netWh - 300, 0);
    expect(f1.marginWh).toBeGreaterThanOrEqual(1.5 * 299);
    // a broken reading (NaN) leaves the tracker alone
    expect(recordError(tracker, true, Number.NaN, 5)).toBe(tracker);
    expect(recordError(tracker, true, 5, Number.POSITIVE_INFINITY)).toBe(tracker);
  });
});
