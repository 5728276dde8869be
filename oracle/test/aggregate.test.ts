/** Slot aggregation: boundary interpolation, gaps, grace period, late and missing readings. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Aggregator } from "../src/aggregate/aggregator.ts";
import { counterAt, slotEnergy, slotStartOf, type CounterPoint } from "../src/aggregate/slot-energy.ts";
import { ManualClock } from "../src/clock/clock.ts";
import { StaticMeterDirectory } from "../src/directory/json-file.ts";
import { Metrics } from "../src/http/metrics.ts";
import { silentLogger } from "../src/log/logger.ts";
import { Store } from "../src/store/store.ts";
import { testFleet } from "./helpers.ts";

const p = (ts: number, importWh: number, exportWh = 0): CounterPoint => ({ ts, importWh, exportWh });
const MIN = 60_000;
const HOUR = 60 * MIN;

describe("slot energy", () => {
  it("uses a reading exactly at the boundary", () => {
    assert.deepEqual(counterAt(1000, { atOrBefore: p(1000, 42), after: undefined }, HOUR), {
      kind: "value",
      importWh: 42,
      exportWh: 0,
    });
  });

  it("interpolates linearly between the readings that straddle a boundary, rounding down", () => {
    const v = counterAt(30 * MIN, { atOrBefore: p(20 * MIN, 100, 10), after: p(50 * MIN, 401, 13) }, HOUR);
    assert.deepEqual(v, { kind: "value", importWh: 200, exportWh: 11 }); // 100 + 301/3 = 200.33; 10 + 1 = 11
  });

  it("waits for a reading after the boundary, and refuses a too-long gap", () => {
    assert.deepEqual(counterAt(1000, { atOrBefore: p(500, 1), after: undefined }, HOUR), { kind: "pending" });
    assert.deepEqual(counterAt(2 * HOUR, { atOrBefore: p(0, 1), after: p(3 * HOUR, 9) }, HOUR), {
      kind: "gap",
      spanMs: 3 * HOUR,
    });
  });

  it("adds up over consecutive slots to exactly the counter difference", () => {
    const readings = [p(7 * MIN, 13), p(23 * MIN, 71), p(24 * MIN, 72), p(52 * MIN, 333), p(61 * MIN, 350)];
    const boundary = (t: number) => ({
      atOrBefore: [...readings].reverse().find((r) => r.ts <= t),
      after: readings.find((r) => r.ts > t),
    });
    let total = 0;
    for (let s = 15 * MIN; s < 60 * MIN; s += 15 * MIN) {
      const e = slotEnergy(boundary(s), boundary(s + 15 * MIN), s, s + 15 * MIN, HOUR);
      assert.equal(e.kind, "ready");
      if (e.kind === "ready") total += e.importedWh;
    }
    const c = (t: number) => counterAt(t, boundary(t), HOUR) as { importWh: number };
    assert.equal(total, c(60 * MIN).importWh - c(15 * MIN).importWh);
  });

  it("counts a meter that came online mid-slot from its first reading", () => {
    const first = p(20 * MIN, 500);
    const e = slotEnergy(
      { atOrBefore: undefined, after: first },
      { atOrBefore: p(29 * MIN, 530), after: p(31 * MIN, 540) },
      15 * MIN,
      30 * MIN,
      HOUR,
    );
    assert.deepEqual(e, { kind: "ready", importedWh: 35, exportedWh: 0 });
  });

  it("computes slot starts on the community's grid", () => {
    assert.equal(slotStartOf(1_700_000_123_456, 900), 1_700_000_100);
    assert.equal(slotStartOf(1_700_000_123_456, 3600), 1_699_999_200);
  });
});

describe("aggregator", () => {
  const SLOT = 900;
  function setup() {
    const fleet = testFleet(3, 10);
    const directory = new StaticMeterDirectory(fleet);
    const store = new Store(":memory:");
    const slot0 = 1_800_000_000 - (1_800_000_000 % SLOT);
    const clock = new ManualClock(slot0 * 1000);
    const agg = new Aggregator({
      store,
      directory,
      clock,
      logger: silentLogger,
      metrics: new Metrics(),
      graceMs: 60_000,
      maxWaitMs: 2 * HOUR,
      maxGapMs: 30 * MIN,
    });
    let seq = 0;
    const put = (meterId: number, tsMs: number, importWh: number, exportWh = 0) =>
      store.insertReadings([{ meterId, seq: ++seq, ts: tsMs, importWh, exportWh, sig: "0x" }]);
    return { store, clock, agg, put, s0: slot0 * 1000, slot0 };
  }

  it("reports a slot only after its end plus the grace period, with interpolated boundaries", () => {
    const { store, clock, agg, put, s0, slot0 } = setup();
    put(10, s0 - MIN, 1000);
    put(10, s0 + MIN, 1020); // counter at slot start: 1010
    put(10, s0 + 14 * MIN, 1150);
    put(10, s0 + 16 * MIN, 1170); // counter at slot end: 1160
    clock.set(s0 + 15 * MIN + 59_000);
    agg.tick();
    assert.equal(store.slotReport(10, slot0), undefined, "still in the grace period");
    clock.set(s0 + 16 * MIN);
    agg.tick();
    assert.deepEqual(store.slotReport(10, slot0), {
      meterId: 10,
      slotStart: slot0,
      communityId: 10,
      importedWh: 150,
      exportedWh: 0,
      status: "ready",
      reason: null,
    });
  });

  it("interpolates across a gap that spans a boundary, skips one longer than the maximum", () => {
    const { store, clock, agg, put, s0, slot0 } = setup();
    put(10, s0 - 10 * MIN, 0);
    put(10, s0 + 20 * MIN, 300); // 30 min gap: allowed; 10 Wh/min
    put(11, s0 - 20 * MIN, 0);
    put(11, s0 + 20 * MIN, 400); // 40 min gap spanning both boundaries: too long
    clock.set(s0 + 30 * MIN);
    agg.tick();
    const r10 = store.slotReport(10, slot0)!;
    assert.equal(r10.status, "ready");
    assert.equal(r10.importedWh, 150); // counter(15 min) = 250, counter(0) = 100
    const r11 = store.slotReport(11, slot0)!;
    assert.equal(r11.status, "skipped");
    assert.match(r11.reason!, /gap/);
  });

  it("waits for a late reading (then reports it as late), and gives up after the maximum wait", () => {
    const { store, clock, agg, put, s0, slot0 } = setup();
    put(10, s0, 0);
    put(10, s0 + 10 * MIN, 100);
    put(11, s0, 0);
    put(11, s0 + 10 * MIN, 50);
    clock.set(s0 + 20 * MIN);
    agg.tick();
    assert.equal(store.slotReport(10, slot0)!.status, "waiting");
    put(10, s0 + 25 * MIN, 250); // arrives after the grace period
    clock.set(s0 + 30 * MIN);
    agg.tick();
    assert.deepEqual(
      { ...store.slotReport(10, slot0)! },
      {
        meterId: 10,
        slotStart: slot0,
        communityId: 10,
        importedWh: 150,
        exportedWh: 0,
        status: "ready",
        reason: "late",
      },
    );
    assert.equal(store.slotReport(11, slot0)!.status, "waiting");
    clock.set(s0 + 15 * MIN + 2 * HOUR + 1);
    agg.tick();
    assert.equal(store.slotReport(11, slot0)!.status, "skipped");
    assert.equal(store.slotReport(12, slot0), undefined, "a meter without readings gets no report");
  });

  it("resumes from its cursor: each slot is aggregated once", () => {
    const { store, clock, agg, put, s0, slot0 } = setup();
    for (let i = 0; i <= 8; i++) put(10, s0 + i * 5 * MIN, i * 10);
    clock.set(s0 + 40 * MIN + 2 * MIN);
    agg.tick();
    agg.tick();
    assert.equal(store.nextSlotStart(10), slot0 + 2 * SLOT);
    assert.deepEqual(
      store.slotReports("ready").map((r) => [r.slotStart - slot0, r.importedWh]),
      [
        [0, 30],
        [SLOT, 30],
      ],
    );
  });
});
