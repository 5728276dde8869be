/**
 * Ingestion over a real broker (the embedded Aedes, or MQTT_URL's broker): every class of bad
 * input is rejected with its reason, counted, and changes nothing; good readings are stored.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { MqttClient } from "mqtt";
import { privateKeyToAccount } from "viem/accounts";
import type { Oracle } from "../src/oracle.ts";
import { readingDigest } from "../src/protocol/reading.ts";
import {
  connectPublisher,
  dropSession,
  idBase,
  publishReading,
  signed,
  startTestOracle,
  tempDir,
  testFleet,
  until,
  writeFleet,
} from "./helpers.ts";

describe("ingestion", () => {
  const dir = tempDir();
  const base = idBase();
  const fleet = testFleet(3, base);
  fleet.meters[2]!.active = false;
  const community = fleet.communities[0]!.communityId;
  const A = base; // a consumer, capacity 4000 W
  const B = base + 2; // inactive
  const clientId = `oracle-ingest-${base}`;
  let oracle: Oracle;
  let pub: MqttClient;
  const t0 = Date.now() - 3_600_000;

  before(async () => {
    oracle = await startTestOracle({ dataDir: dir.path, metersFile: writeFleet(dir.path, fleet), clientId });
    pub = await connectPublisher(oracle.mqttUrl);
  });
  after(async () => {
    await pub.endAsync();
    await oracle.close();
    await dropSession(clientId);
    dir.remove();
  });

  const rejected = (reason: string) => oracle.metrics.get("oracle_readings_rejected_total", { reason });
  const processed = () =>
    oracle.metrics.total("oracle_readings_accepted_total") +
    oracle.metrics.total("oracle_readings_rejected_total") +
    oracle.metrics.total("oracle_readings_duplicate_total");

  async function send(
    payload: Parameters<typeof publishReading>[2],
    topicMeterId?: number,
    topicCommunity = community,
  ) {
    const before = processed();
    await publishReading(pub, topicCommunity, payload, topicMeterId);
    await until(() => processed() > before, 10_000, "the oracle to process the reading");
  }

  it("accepts valid readings and stores them", async () => {
    await send(await signed(A, { seq: 1, ts: t0, importWh: 1000, exportWh: 0 }));
    await send(await signed(A, { seq: 2, ts: t0 + 60_000, importWh: 1060, exportWh: 0 }));
    assert.equal(oracle.metrics.get("oracle_readings_accepted_total"), 2);
    assert.deepEqual(
      oracle.store.readings(A).map((r) => [r.seq, r.importWh]),
      [
        [1, 1000],
        [2, 1060],
      ],
    );
  });

  it("rejects malformed JSON", async () => {
    await send("{not json", A);
    assert.equal(rejected("malformed_json"), 1);
  });

  it("rejects schema violations", async () => {
    const good = await signed(A, { seq: 3, ts: t0 + 120_000, importWh: 1100, exportWh: 0 });
    await send({ ...good, sig: undefined });
    await send({ ...good, importWh: -5 });
    await send({ ...good, importWh: 1.5 });
    await send({ ...good, extra: true });
    await send({ ...good, sig: "0x1234" });
    assert.equal(rejected("schema"), 5);
  });

  it("rejects unknown and inactive meters", async () => {
    await send(await signed(base + 999, { seq: 1, ts: t0, importWh: 0, exportWh: 0 }));
    await send(await signed(B, { seq: 1, ts: t0, importWh: 0, exportWh: 0 }));
    assert.equal(rejected("unknown_meter"), 1);
    assert.equal(rejected("inactive_meter"), 1);
  });

  it("rejects a topic that names another meter or community", async () => {
    const r = await signed(A, { seq: 3, ts: t0 + 120_000, importWh: 1100, exportWh: 0 });
    await send(r, A + 1);
    await send(r, A, community + 1);
    assert.equal(rejected("topic_mismatch"), 2);
  });

  it("rejects bad device signatures (wrong key, tampered payload)", async () => {
    const stranger = privateKeyToAccount(`0x${"11".repeat(32)}`);
    const u = { meterId: A, seq: 3, ts: t0 + 120_000, importWh: 1100, exportWh: 0 };
    await send({ ...u, sig: await stranger.signMessage({ message: { raw: readingDigest(u) } }) });
    const good = await signed(A, { seq: 3, ts: t0 + 120_000, importWh: 1100, exportWh: 0 });
    await send({ ...good, importWh: 1101 });
    assert.equal(rejected("bad_signature"), 2);
  });

  it("acknowledges an identical redelivery as a duplicate, rejects replays and out-of-order seqs", async () => {
    await send(await signed(A, { seq: 2, ts: t0 + 60_000, importWh: 1060, exportWh: 0 }));
    assert.equal(oracle.metrics.get("oracle_readings_duplicate_total"), 1);
    await send(await signed(A, { seq: 2, ts: t0 + 60_000, importWh: 1070, exportWh: 0 })); // replayed seq
    await send(await signed(A, { seq: 1, ts: t0 + 90_000, importWh: 1065, exportWh: 0 })); // out of order
    assert.equal(rejected("seq_not_increasing"), 2);
  });

  it("rejects counters going backwards and timestamps going backwards", async () => {
    await send(await signed(A, { seq: 3, ts: t0 + 120_000, importWh: 1059, exportWh: 0 }));
    assert.equal(rejected("counter_backwards"), 1);
    await send(await signed(A, { seq: 3, ts: t0 + 30_000, importWh: 1061, exportWh: 0 }));
    assert.equal(rejected("ts_going_backwards"), 1);
  });

  it("rejects rates beyond the meter's capacity, within a small tolerance", async () => {
    // 4000 W for 60 s is 66.7 Wh; +100 Wh is impossible, +68 Wh within tolerance.
    await send(await signed(A, { seq: 3, ts: t0 + 120_000, importWh: 1160, exportWh: 0 }));
    assert.equal(rejected("rate_exceeded"), 1);
    await send(await signed(A, { seq: 3, ts: t0 + 120_000, importWh: 1128, exportWh: 0 }));
    assert.equal(oracle.metrics.get("oracle_readings_accepted_total"), 3);
  });

  it("rejects timestamps far in the future", async () => {
    await send(await signed(A, { seq: 4, ts: Date.now() + 10 * 60_000, importWh: 1130, exportWh: 0 }));
    assert.equal(rejected("future_timestamp"), 1);
  });

  it("changed nothing for any rejected reading, and exposes the counts on /metrics", async () => {
    assert.deepEqual(
      oracle.store.readings(A).map((r) => [r.seq, r.importWh]),
      [
        [1, 1000],
        [2, 1060],
        [3, 1128],
      ],
    );
    assert.equal(oracle.store.readings(B).length, 0);
    const text = await (await fetch(`http://127.0.0.1:${oracle.http.port}/metrics`)).text();
    assert.match(text, /oracle_readings_rejected_total\{reason="bad_signature"\} 2/);
    assert.match(text, /oracle_readings_accepted_total 3/);
    const health = await (await fetch(`http://127.0.0.1:${oracle.http.port}/health`)).json();
    assert.equal((health as { ok: boolean }).ok, true);
  });
});
