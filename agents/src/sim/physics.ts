/**
 * What really happens in a simulated home during a slot: actual PV (clear sky × the hour's real
 * cloudiness) and actual load (the H25 expectation × a per-home AR(1) noise), and the battery
 * controller: it first makes good what the household sold for the slot (the export it committed to),
 * then keeps the home off the grid (charging from surplus, discharging into deficits). The same
 * draws feed every strategy's copy of the home and the grid-only copy, so that only the trading differs.
 */
import { Battery, type BatterySpec } from "../model/battery.ts";
import { h25EnergyWh } from "../model/load-profile.ts";
import { pvEnergyWh, type Site } from "../model/solar.ts";
import { Random } from "../model/random.ts";
import type { Weather } from "../model/weather.ts";
import type { HouseholdPlan } from "./scenario.ts";

export interface SlotDraw {
  pvWh: number;
  loadWh: number;
}

/** The actual PV and load of one home, slot after slot, deterministic per seed. */
export class HomeDraws {
  readonly #rng: Random;
  #noise = 0;
  readonly plan: HouseholdPlan;
  readonly #site: Site;
  readonly #weather: Weather;
  constructor(plan: HouseholdPlan, site: Site, weather: Weather, seed: number) {
    this.plan = plan;
    this.#site = site;
    this.#weather = weather;
    this.#rng = new Random(seed).fork(1000 + plan.index);
  }
  /** Must be called once per slot, in order. */
  next(slotStart: number, slotLength: number): SlotDraw {
    this.#noise = 0.7 * this.#noise + this.#rng.normal(0, 0.18);
    const loadWh = h25EnergyWh(slotStart, slotLength, this.plan.annualKwh) * Math.max(0.2, 1 + this.#noise);
    const pvWh = this.plan.pv
      ? pvEnergyWh(this.plan.pv, this.#site, slotStart, slotLength, (t) => this.#weather.cloudFactor(t))
      : 0;
    return { pvWh, loadWh };
  }
}

export interface MeterFlows {
  importedWh: number;
  exportedWh: number;
  /** Battery into the home (+) or out of it (−). */
  batteryWh: number;
}

/** One copy of a home's electrical state (its battery). */
export class HomeCopy {
  readonly battery: Battery | undefined;
  constructor(spec: BatterySpec | undefined) {
    this.battery = spec ? new Battery(spec) : undefined;
  }
  /** Runs one slot with `committedExportWh` sold ahead; returns what the meter measures (whole Wh). */
  step(draw: SlotDraw, committedExportWh: number, slotLength: number): MeterFlows {
    const net0 = draw.pvWh - draw.loadWh;
    let batteryWh = 0;
    if (this.battery) {
      const commit = Math.max(0, committedExportWh);
      if (net0 < commit) batteryWh = this.battery.discharge(commit - net0, slotLength);
      else batteryWh = -this.battery.charge(net0 - commit, slotLength);
    }
    const flow = net0 + batteryWh;
    return {
      importedWh: Math.max(0, Math.round(-flow)),
      exportedWh: Math.max(0, Math.round(flow)),
      batteryWh,
    };
  }
}
