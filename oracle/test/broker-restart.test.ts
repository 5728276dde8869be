/**
 * Broker restart mid-stream. The embedded broker is closed and restarted on the same port while
 * meters publish; with MQTT_URL set, a private Mosquitto (persistence on, in a temp dir) is
 * restarted instead. Meters and the oracle reconnect; every acknowledged reading is stored once.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Oracle } from "../src/oracle.ts";
import type { Reading } from "../src/protocol/reading.ts";
import {
  EXTERNAL_MQTT_URL,
  connectPublisher,
  freePort,
  idBase,
  publishReading,
  signed,
  startTestOracle,
  tempDir,
  testFleet,
  until,
  writeFleet,
} from "./helpers.ts";

const METERS = 10;
const PER_METER = 100;

async function streamWithRestart(
  url: string,
  community: number,
  readings: Reading[],
  restart: () => Promise<void>,
): Promise<void> {
  const pub = await connectPublisher(url);
  const acks: Promise<void>[] = [];
  let restarted = false;
  for (let i = 0; i < readings.length; i += 20) {
    for (const r of readings.slice(i, i + 20)) acks.push(publishReading(pub, community, r));
    await new Promise((r) => setTimeout(r, 20));
    if (!restarted && i >= readings.length / 3) {
      restarted = true;
      await restart();
    }
  }
  let acked = 0;
  for (const a of acks) void a.then(() => acked++);
  await until(() => acked === acks.length, 30_000, `acks (${acked}/${acks.length})`);
  await pub.endAsync();
}

async function makeReadings(base: number): Promise<Reading[]> {
  const t0 = Date.now() - 24 * 3_600_000;
  const out: Reading[] = [];
  for (let seq = 1; seq <= PER_METER; seq++) {
    for (let m = 0; m < METERS; m++) {
      out.push(await signed(base + m, { seq, ts: t0 + seq * 60_000, importWh: seq * 5, exportWh: 0 }));
    }
  }
  return out;
}

function assertAllStoredOnce(oracle: Oracle, base: number): void {
  assert.equal(oracle.store.readingCount(), METERS * PER_METER);
  for (let m = 0; m < METERS; m++) {
    assert.deepEqual(
      oracle.store.readings(base + m).map((r) => r.seq),
      Array.from({ length: PER_METER }, (_, i) => i + 1),
    );
  }
}

describe("broker restart mid-stream", () => {
  it(
    "embedded broker: closed and restarted on the same port",
    { skip: !!EXTERNAL_MQTT_URL, timeout: 60_000 },
    async () => {
      const dir = tempDir();
      const base = idBase();
      const fleet = testFleet(METERS, base);
      const port = await freePort();
      const oracle = await startTestOracle({
        dataDir: dir.path,
        metersFile: writeFleet(dir.path, fleet),
        env: { BROKER_PORT: String(port) },
      });
      try {
        const readings = await makeReadings(base);
        await streamWithRestart(oracle.mqttUrl, fleet.communities[0]!.communityId, readings, async () => {
          await oracle.broker!.close();
          await new Promise((r) => setTimeout(r, 300));
          await oracle.broker!.start();
        });
        assert.equal(oracle.broker!.port, port);
        await oracle.ingestor.idle();
        assertAllStoredOnce(oracle, base);
      } finally {
        await oracle.close();
        dir.remove();
      }
    },
  );

  const mosquitto = spawnSync("mosquitto", ["-h"], { encoding: "utf8" }).stdout?.includes(
    "mosquitto version",
  );
  it(
    "Mosquitto (persistent) restarted while the oracle keeps its session",
    {
      skip: !EXTERNAL_MQTT_URL ? "MQTT_URL unset" : !mosquitto ? "no mosquitto binary" : false,
      timeout: 60_000,
    },
    async () => {
      const dir = tempDir();
      const base = idBase();
      const fleet = testFleet(METERS, base);
      const port = await freePort();
      const conf = join(dir.path, "mosquitto.conf");
      // Started as root, mosquitto drops to the "mosquitto" user: its data dir must be writable for it.
      const db = join(dir.path, "mosquitto");
      mkdirSync(db);
      chmodSync(dir.path, 0o755);
      chmodSync(db, 0o777);
      writeFileSync(
        conf,
        [
          `listener ${port} 127.0.0.1`,
          "allow_anonymous true",
          "persistence true",
          `persistence_location ${db}/`,
          "max_queued_messages 100000",
          "log_dest none",
        ].join("\n") + "\n",
      );
      let broker: ChildProcess | undefined;
      const startBroker = async () => {
        broker = spawn("mosquitto", ["-c", conf], { stdio: "ignore" });
        await until(
          () =>
            connectPublisher(`mqtt://127.0.0.1:${port}`).then(
              (c) => c.endAsync().then(() => true),
              () => false,
            ),
          10_000,
          "mosquitto to listen",
        );
      };
      const stopBroker = async () => {
        const b = broker!;
        const gone = new Promise((r) => b.once("exit", r));
        b.kill("SIGTERM");
        await gone;
      };
      await startBroker();
      const oracle = await startTestOracle({
        dataDir: dir.path,
        metersFile: writeFleet(dir.path, fleet),
        env: { MQTT_URL: `mqtt://127.0.0.1:${port}` },
      });
      try {
        const readings = await makeReadings(base);
        await streamWithRestart(
          `mqtt://127.0.0.1:${port}`,
          fleet.communities[0]!.communityId,
          readings,
          async () => {
            await stopBroker();
            await new Promise((r) => setTimeout(r, 300));
            await startBroker();
          },
        );
        await until(() => oracle.store.readingCount() >= METERS * PER_METER, 20_000, "readings to be stored");
        await oracle.ingestor.idle();
        assertAllStoredOnce(oracle, base);
      } finally {
        await oracle.close();
        await stopBroker();
        dir.remove();
      }
    },
  );
});
