/** A home battery: state of charge in Wh, power limit, round-trip efficiency (charged on the way in). */
export interface BatterySpec {
  capacityWh: number;
  maxPowerW: number;
  /** Round-trip efficiency in (0, 1]. */
  efficiency: number;
  /** Lowest state of charge the controller keeps, Wh. */
  reserveWh: number;
}

export class Battery {
  readonly spec: BatterySpec;
  #socWh: number;
  constructor(spec: BatterySpec, socWh = spec.capacityWh / 2) {
    if (!(spec.capacityWh > 0) || !(spec.maxPowerW > 0) || !(spec.efficiency > 0 && spec.efficiency <= 1))
      throw new Error("battery needs capacity > 0, power > 0 and efficiency in (0, 1]");
    if (!(spec.reserveWh >= 0 && spec.reserveWh <= spec.capacityWh))
      throw new Error("battery reserve must be within [0, capacity]");
    this.spec = spec;
    this.#socWh = Math.min(spec.capacityWh, Math.max(0, socWh));
  }
  get socWh(): number {
    return this.#socWh;
  }
  /** Most energy the battery can deliver in `seconds` without going below its reserve. */
  dischargeableWh(seconds: number): number {
    return Math.max(0, Math.min(this.#socWh - this.spec.reserveWh, (this.spec.maxPowerW * seconds) / 3600));
  }
  /** Most energy the battery can take in from outside in `seconds`. */
  chargeableWh(seconds: number): number {
    const room = (this.spec.capacityWh - this.#socWh) / this.spec.efficiency;
    return Math.max(0, Math.min(room, (this.spec.maxPowerW * seconds) / 3600));
  }
  /** Takes up to `wh` in; returns what it took. */
  charge(wh: number, seconds: number): number {
    const take = Math.min(Math.max(0, wh), this.chargeableWh(seconds));
    this.#socWh = Math.min(this.spec.capacityWh, this.#socWh + take * this.spec.efficiency);
    return take;
  }
  /** Gives up to `wh` out; returns what it gave. */
  discharge(wh: number, seconds: number): number {
    const give = Math.min(Math.max(0, wh), this.dischargeableWh(seconds));
    this.#socWh -= give;
    return give;
  }
}
