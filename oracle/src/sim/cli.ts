/**
 * `npm run meters -- [--meters 50] [--communities 2] [--speed 60] [--interval 60] [--seed dev]
 *                    [--file .oracle-data/meters.json] [--mqtt-url mqtt://127.0.0.1:1883]
 *                    [--slot-seconds 900] [--duration 0] [--init] [--init-only]`
 *
 * Uses the meters file if it exists (its meters, seed and clock), else writes a generated fleet
 * there (--init: always); then publishes signed readings of every meter in the file.
 */
import { existsSync } from "node:fs";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { scaledClock } from "../clock/clock.ts";
import { readMetersFile, writeMetersFile } from "../directory/json-file.ts";
import { createLogger } from "../log/logger.ts";
import { fleetFile } from "./fleet.ts";
import { Simulator } from "./simulator.ts";

const { values } = parseArgs({
  // npm's "--" separator may reach us (doubled by nested npm scripts): drop it
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    meters: { type: "string", default: "20" },
    communities: { type: "string", default: "1" },
    speed: { type: "string", default: "1" },
    interval: { type: "string", default: "60" },
    seed: { type: "string", default: "powershare-dev" },
    file: { type: "string", default: process.env.METERS_FILE ?? ".oracle-data/meters.json" },
    "mqtt-url": { type: "string", default: process.env.MQTT_URL ?? "mqtt://127.0.0.1:1883" },
    "slot-seconds": { type: "string", default: "900" },
    connections: { type: "string", default: "20" },
    duration: { type: "string", default: "0" },
    init: { type: "boolean", default: false },
    "init-only": { type: "boolean", default: false },
  },
});

const num = (name: string, v: string, min: number): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) {
    process.stderr.write(`--${name} must be a number >= ${min} (got "${v}")\n`);
    process.exit(2);
  }
  return n;
};

const logger = createLogger({ base: { service: "meters" } });
const meters = num("meters", values.meters, 1);
const speed = num("speed", values.speed, 0.001);
const seed = values.seed;
const path = values.file;
mkdirSync(dirname(path), { recursive: true });

// An existing file is authoritative (e.g. written by the chain seed script): its meters, seed and
// clock are used as they are. A new file (or --init) is a generated fleet.
let file = existsSync(path) && !values.init ? readMetersFile(path) : undefined;
if (!file) {
  file = fleetFile({
    seed,
    meters,
    communities: num("communities", values.communities, 1),
    slotLength: num("slot-seconds", values["slot-seconds"], 1),
    clock: { epochMs: Date.now(), speed },
  });
  writeMetersFile(path, file);
  logger.info("meters_file_written", { path, meters, speed });
}
if (file.seed === undefined) {
  process.stderr.write(`${path} has no "seed": the simulator cannot derive the device keys\n`);
  process.exit(2);
}
if (values["init-only"]) process.exit(0);

const clock = scaledClock(file.clock?.epochMs ?? Date.now(), file.clock?.speed ?? 1);
const sim = new Simulator({
  file,
  seed: file.seed,
  mqttUrl: values["mqtt-url"],
  clock,
  intervalMs: num("interval", values.interval, 1) * 1000,
  connections: num("connections", values.connections, 1),
  logger,
  statePath: `${path}.state.json`,
});
await sim.start();
logger.info("simulator_started", { meters, speed, mqtt: values["mqtt-url"] });
const report = setInterval(() => {
  sim.saveState();
  logger.info("simulator_progress", { published: sim.published, acked: sim.acked });
}, 5000);
const stop = async () => {
  clearInterval(report);
  await sim.stop();
  logger.info("simulator_stopped", { published: sim.published, acked: sim.acked });
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
const duration = num("duration", values.duration, 0);
if (duration > 0) setTimeout(() => void stop(), duration * 1000);
