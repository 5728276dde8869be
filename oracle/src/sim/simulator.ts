/**
 * Meter simulator: every meter integrates its power profile on a (possibly scaled) clock and
 * publishes a signed cumulative reading every `intervalMs` of simulated time, QoS 1.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import mqtt, { type MqttClient } from "mqtt";
import type { PrivateKeyAccount } from "viem/accounts";
import type { Clock } from "../clock/clock.ts";
import type { MetersFile } from "../directory/json-file.ts";
import type { Logger } from "../log/logger.ts";
import type { MeterInfo } from "../protocol/meter.ts";
import { readingTopic } from "../protocol/topics.ts";
import { signReading } from "./device.ts";
import { deviceAccount } from "./keys.ts";
import { netPower, seededRandom, type ProfileState, type Random } from "./profiles.ts";

export interface SimMeterState {
  seq: number;
  ts: number;
  importWh: number;
  exportWh: number;
  cloud: number;
  soc: number;
}

interface SimMeter {
  info: MeterInfo;
  device: PrivateKeyAccount;
  rnd: Random;
  state: SimMeterState;
  client: MqttClient;
}

export interface SimulatorOptions {
  file: MetersFile;
  seed: string;
  mqttUrl: string;
  clock: Clock;
  intervalMs: number;
  connections: number;
  logger: Logger;
  /** Where meter counters are kept between runs (so seq and counters keep increasing). */
  statePath?: string;
}

export class Simulator {
  readonly #o: SimulatorOptions;
  readonly #meters: SimMeter[] = [];
  readonly #clients: MqttClient[] = [];
  #timer: NodeJS.Timeout | undefined;
  #published = 0;
  #acked = 0;

  constructor(o: SimulatorOptions) {
    this.#o = o;
  }

  get published(): number {
    return this.#published;
  }
  get acked(): number {
    return this.#acked;
  }

  async start(): Promise<void> {
    const { file, seed, mqttUrl, connections, clock, statePath } = this.#o;
    const saved: Record<string, SimMeterState> =
      statePath && existsSync(statePath)
        ? (JSON.parse(readFileSync(statePath, "utf8")) as Record<string, SimMeterState>)
        : {};
    for (let i = 0; i < Math.max(1, Math.min(connections, file.meters.length)); i++) {
      this.#clients.push(
        await mqtt.connectAsync(mqttUrl, {
          clientId: `powershare-sim-${process.pid}-${i}`,
          reconnectPeriod: 500,
        }),
      );
    }
    const now = clock.now();
    file.meters.forEach((info, i) => {
      const s = saved[info.meterId];
      this.#meters.push({
        info,
        device: deviceAccount(seed, info.meterId),
        rnd: seededRandom(info.meterId * 7919),
        state: s ?? { seq: 0, ts: now, importWh: 0, exportWh: 0, cloud: 0.8, soc: 0.5 },
        client: this.#clients[i % this.#clients.length]!,
      });
    });
    const tickMs = 50;
    this.#timer = setInterval(() => void this.#step(), tickMs);
  }

  async #step(): Promise<void> {
    const now = this.#o.clock.now();
    const due = this.#meters.filter((m) => now - m.state.ts >= this.#o.intervalMs);
    await Promise.all(due.map((m) => this.#publish(m, now)));
  }

  async #publish(m: SimMeter, now: number): Promise<void> {
    const s = m.state;
    const ts = s.ts + this.#o.intervalMs * Math.floor((now - s.ts) / this.#o.intervalMs);
    const hours = (ts - s.ts) / 3_600_000;
    const profile: ProfileState = { cloud: s.cloud, soc: s.soc };
    const w = netPower(m.info.kind, m.info.capacityW, ts, profile, m.rnd);
    s.cloud = profile.cloud;
    if (m.info.kind === "storage")
      s.soc = Math.min(1, Math.max(0, s.soc + (w * hours) / (m.info.capacityW * 2)));
    // Counters are integers; keep the fractional Wh for the next reading.
    if (w > 0) s.importWh += w * hours;
    else s.exportWh += -w * hours;
    s.ts = ts;
    s.seq += 1;
    const reading = await signReading(m.device, {
      meterId: m.info.meterId,
      seq: s.seq,
      ts,
      importWh: Math.floor(s.importWh),
      exportWh: Math.floor(s.exportWh),
    });
    this.#published++;
    await m.client.publishAsync(readingTopic(m.info.communityId, m.info.meterId), JSON.stringify(reading), {
      qos: 1,
    });
    this.#acked++;
  }

  saveState(): void {
    if (!this.#o.statePath) return;
    const out: Record<string, SimMeterState> = {};
    for (const m of this.#meters) out[m.info.meterId] = m.state;
    const tmp = `${this.#o.statePath}.tmp`;
    writeFileSync(tmp, JSON.stringify(out));
    renameSync(tmp, this.#o.statePath);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.saveState();
    await Promise.all(this.#clients.map((c) => c.endAsync()));
  }
}
