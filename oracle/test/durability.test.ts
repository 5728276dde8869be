/**
 * Durability: the oracle process is killed with SIGKILL mid-stream and restarted on the same data
 * directory (and broker port). Every reading the broker acknowledged ends up stored exactly once.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import type { Reading } from "../src/protocol/reading.ts";
import {
  EXTERNAL_MQTT_URL,
  connectPublisher,
  dropSession,
  freePort,
  idBase,
  publishReading,
  signed,
  tempDir,
  testEnv,
  testFleet,
  until,
  writeFleet,
} from "./helpers.ts";

const METERS = 20;
const PER_METER = 120;

function startOracleProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["src/main.ts"], {
    cwd: join(import.meta.dirname, ".."),
    env: { ...process.env, ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"oracle_started"')) {
        buf = "";
        resolve(child);
      }
    });
    child.once("exit", (code) => reject(new Error(`oracle exited early with ${code}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));

function storedCount(dataDir: string): number {
  const db = new DatabaseSync(join(dataDir, "oracle.sqlite"), { readOnly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM readings").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe("durability across SIGKILL", () => {
  const dir = tempDir();
  const base = idBase();
  const clientId = `oracle-durability-${base}`;
  let child: ChildProcess | undefined;
  let pub: Awaited<ReturnType<typeof connectPublisher>> | undefined;
  after(async () => {
    // Also after a failure: an open publisher would keep this test file's process alive.
    pub?.end(true);
    if (child && child.exitCode === null) {
      child.kill("SIGKILL");
      await exited(child);
    }
    await dropSession(clientId);
    dir.remove();
  });

  it("loses and duplicates no acknowledged reading", { timeout: 120_000 }, async () => {
    const fleet = testFleet(METERS, base);
    const community = fleet.communities[0]!.communityId;
    const port = await freePort();
    const env = {
      ...testEnv({ dataDir: dir.path, metersFile: writeFleet(dir.path, fleet), clientId }),
      BROKER_PORT: String(port),
    };
    const url = EXTERNAL_MQTT_URL ?? `mqtt://127.0.0.1:${port}`;
    const t0 = Date.now() - 24 * 3_600_000;
    const readings: Reading[] = [];
    for (let seq = 1; seq <= PER_METER; seq++) {
      for (let m = 0; m < METERS; m++) {
        readings.push(
          await signed(base + m, { seq, ts: t0 + seq * 60_000, importWh: seq * 10, exportWh: seq }),
        );
      }
    }

    child = await startOracleProcess(env);
    pub = await connectPublisher(url);
    const acks: Promise<void>[] = [];
    let killed = false;
    // Bursts keep many readings in flight (received, not yet verified and committed) when the
    // process is killed right after one. Through Mosquitto they stay smaller: its default
    // max_queued_messages (1000) would drop messages queued for the restarting oracle.
    // The burst right before the kill is larger through Mosquitto: it delivers at most 20 unacknowledged
    // messages (max_inflight_messages), so only a PUBACK sent before the commit lets more of them be
    // received and not yet committed when the kill lands (the publisher waits during the restart).
    const burst = EXTERNAL_MQTT_URL ? 20 : 100;
    const killBurst = EXTERNAL_MQTT_URL ? 200 : burst;
    for (let i = 0, n = burst; i < readings.length; i += n) {
      const killNow = !killed && i >= readings.length / 3;
      n = killNow ? killBurst : burst;
      for (const r of readings.slice(i, i + n)) acks.push(publishReading(pub!, community, r));
      await new Promise((r) =>
        setTimeout(r, killed || i + burst < readings.length / 3 ? (burst === 100 ? 60 : 40) : 5),
      );
      if (killNow) {
        killed = true;
        child.kill("SIGKILL");
        await exited(child);
        child = await startOracleProcess(env);
      }
    }
    assert.ok(killed);
    let acked = 0;
    for (const a of acks) void a.then(() => acked++);
    await until(() => acked === acks.length, 30_000, "the broker to acknowledge every reading").catch(
      (err) => {
        throw new Error(
          `${(err as Error).message}: ${acked}/${acks.length} acknowledged, ${storedCount(dir.path)} stored`,
        );
      },
    );
    await until(() => storedCount(dir.path) >= readings.length, 30_000, "every reading to be stored");
    await new Promise((r) => setTimeout(r, 300)); // a late duplicate would show up here
    child.kill("SIGTERM");
    await exited(child);
    await pub.endAsync();

    const db = new DatabaseSync(join(dir.path, "oracle.sqlite"), { readOnly: true });
    const rows = db.prepare("SELECT meter_id AS m, seq FROM readings ORDER BY meter_id, seq").all() as {
      m: number;
      seq: number;
    }[];
    db.close();
    assert.equal(rows.length, readings.length, "stored exactly the published readings");
    for (let m = 0; m < METERS; m++) {
      const seqs = rows.filter((r) => r.m === base + m).map((r) => r.seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: PER_METER }, (_, i) => i + 1),
        `meter ${base + m}`,
      );
    }
  });
});
