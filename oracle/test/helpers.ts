/** Shared test fixtures: temp dirs, fleets, a test oracle, publishing signed readings. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { loadConfig } from "../src/config/config.ts";
import { writeMetersFile, type MetersFile } from "../src/directory/json-file.ts";
import { silentLogger, type Logger } from "../src/log/logger.ts";
import { startOracle, type Oracle, type OracleOverrides } from "../src/oracle.ts";
import type { Reading, UnsignedReading } from "../src/protocol/reading.ts";
import { readingTopic } from "../src/protocol/topics.ts";
import { signReading } from "../src/sim/device.ts";
import { fleetFile } from "../src/sim/fleet.ts";
import { deviceAccount } from "../src/sim/keys.ts";

/** Set: tests use this broker (e.g. Mosquitto); unset: the oracle's embedded Aedes broker. */
export const EXTERNAL_MQTT_URL = process.env.MQTT_URL || undefined;
export const SEED = "oracle-tests";

export function tempDir(prefix = "oracle-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Random id base so runs against a shared broker never see each other's meters. */
export function idBase(): number {
  return 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
}

export function testFleet(count: number, base: number, slotLength = 900): MetersFile {
  const f = fleetFile({ seed: SEED, meters: count, communities: 1, slotLength });
  const communityId = base;
  return {
    ...f,
    communities: [{ communityId, slotLength }],
    meters: f.meters.map((m, i) => ({
      ...m,
      meterId: base + i,
      communityId,
      deviceKey: deviceAccount(SEED, base + i).address,
    })),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

export interface TestOracleOptions extends OracleOverrides {
  dataDir: string;
  metersFile: string;
  env?: Record<string, string>;
  clientId?: string;
}

export function testEnv(o: {
  dataDir: string;
  metersFile: string;
  clientId?: string;
}): Record<string, string> {
  return {
    DATA_DIR: o.dataDir,
    METERS_FILE: o.metersFile,
    BROKER_PORT: "0",
    HTTP_PORT: "0",
    LOG_LEVEL: "error",
    VERIFY_WORKERS: "1",
    ...(EXTERNAL_MQTT_URL ? { MQTT_URL: EXTERNAL_MQTT_URL } : {}),
    MQTT_CLIENT_ID: o.clientId ?? `oracle-test-${process.pid}-${Math.random().toString(36).slice(2, 10)}`,
  };
}

export async function startTestOracle(o: TestOracleOptions): Promise<Oracle> {
  const config = loadConfig({ ...testEnv(o), ...o.env });
  return startOracle(config, { logger: silentLogger, manualTick: true, ...o });
}

/** Removes a persistent session from an external broker (so it stops queueing for a finished test). */
export async function dropSession(clientId: string): Promise<void> {
  if (!EXTERNAL_MQTT_URL) return;
  const c = await mqtt.connectAsync(EXTERNAL_MQTT_URL, { clientId, clean: true, reconnectPeriod: 0 });
  await c.endAsync();
}

export function writeFleet(dir: string, fleet: MetersFile): string {
  const path = join(dir, "meters.json");
  writeMetersFile(path, fleet);
  return path;
}

export async function connectPublisher(url: string, clientId?: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: clientId ?? `test-pub-${Math.random().toString(36).slice(2, 10)}`,
    reconnectPeriod: 100,
    connectTimeout: 2000,
  });
}

export async function signed(meterId: number, r: Omit<UnsignedReading, "meterId">): Promise<Reading> {
  return signReading(deviceAccount(SEED, meterId), { meterId, ...r });
}

export async function publishReading(
  client: MqttClient,
  communityId: number,
  reading: Reading | Record<string, unknown> | string,
  topicMeterId?: number,
): Promise<void> {
  const payload = typeof reading === "string" ? reading : JSON.stringify(reading);
  const meterId = topicMeterId ?? (typeof reading === "object" ? Number(reading.meterId) : 0);
  await client.publishAsync(readingTopic(communityId, meterId), payload, { qos: 1 });
}

/** Polls until `check` is true or the timeout passes. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const quietLogger: Logger = silentLogger;
