/**
 * `npm run bench:oracle`: readings per second from MQTT publish to committed in the oracle's store,
 * through the embedded broker and through Mosquitto (MQTT_URL, else 127.0.0.1:1883, if reachable).
 * Then `slot_end_to_chain_s` on a local chain (bench/chain-latency.ts). Prints the results and writes
 * docs/benchmarks/oracle.json.
 *
 * Flags: --meters 200 --readings 250 (per meter: 50,000 in all, several seconds sustained)
 * --connections 8 --window 900 --workers N --out FILE; --only embedded|mosquitto (that run alone),
 * --skip-chain, --repeat N (stress: N runs of each broker, a summary of losses and drops).
 *
 * The publisher is a separate process; it publishes pre-signed readings with QoS 1 as fast as it
 * may, keeping at most `window` readings ahead of what the oracle has committed and, on an external
 * broker, of what the broker has seen acknowledged (see the fence in `run`): Mosquitto's default
 * max_queued_messages is 1000 and past it the broker drops QoS 1 messages for the subscriber, which
 * would measure the broker's configuration rather than the oracle. Such drops are reported apart
 * (`broker_dropped`: acknowledged to the publisher, never delivered to the oracle) from `lost`
 * (delivered to the oracle, never stored).
 */
import { fork } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { loadConfig } from "../src/config/config.ts";
import { silentLogger } from "../src/log/logger.ts";
import { startOracle } from "../src/oracle.ts";
import { readingTopic } from "../src/protocol/topics.ts";
import { signReading } from "../src/sim/device.ts";
import { deviceAccount } from "../src/sim/keys.ts";
import { measureSlotEndToChain } from "./chain-latency.ts";
import { SEED, freePort, tempDir, testFleet, writeFleet } from "../test/helpers.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    meters: { type: "string", default: "200" },
    readings: { type: "string", default: "250" },
    connections: { type: "string", default: "8" },
    window: { type: "string", default: "900" },
    workers: { type: "string", default: String(Math.min(4, availableParallelism())) },
    only: { type: "string" }, // embedded | mosquitto: that run alone
    "skip-chain": { type: "boolean", default: false },
    repeat: { type: "string", default: "1" }, // runs of each broker (stress); the last one is reported
    "credit-on-commit": { type: "boolean", default: false }, // the old credit (the broker may drop)
    out: { type: "string", default: join(import.meta.dirname, "../../docs/benchmarks/oracle.json") },
  },
});
const METERS = Number(values.meters);
const PER_METER = Number(values.readings);
const WINDOW = Number(values.window);
const CREDIT_ON_COMMIT = values["credit-on-commit"];
const BASE = 500_000_000; // signatures bind the meter id: every run uses this fleet
const TOTAL = METERS * PER_METER;
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const LOAD_AT_START = loadavg()[0]!; // the machine may be shared: other load lowers the figures

async function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port || 1883), u.hostname);
    s.setTimeout(1000);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
    s.once("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}

interface RunResult {
  readings_per_s: number;
  published: number;
  /** PUBLISHes the broker delivered to the oracle (external broker only). */
  delivered: number | null;
  /** Acknowledged by the broker to the publisher but never delivered to the oracle: dropped by the broker. */
  broker_dropped: number | null;
  stored: number;
  /** Delivered to the oracle (or published, embedded broker) but not stored: lost by the oracle. */
  lost: number;
  /** Most readings the broker held for the oracle at once (acked to the publisher, not yet delivered). */
  broker_backlog_max: number | null;
  held_acks_max: number | null;
  duplicated: number;
  rejected: number;
  seconds: number;
  main_thread_busy: number;
}

async function run(
  mode: "embedded" | "mosquitto",
  mqttUrl: string | undefined,
  itemsFile: string,
): Promise<RunResult> {
  const dir = tempDir("oracle-bench-");
  const clientId = `oracle-bench-${process.pid}-${mode}`;
  const oracle = await startOracle(
    loadConfig({
      DATA_DIR: dir.path,
      METERS_FILE: writeFleet(dir.path, testFleet(METERS, BASE)),
      BROKER_PORT: String(await freePort()),
      HTTP_PORT: "0",
      VERIFY_WORKERS: values.workers,
      MQTT_CLIENT_ID: clientId,
      ...(mqttUrl ? { MQTT_URL: mqttUrl } : {}),
    }),
    { logger: silentLogger, manualTick: true },
  );
  const child = fork(
    join(import.meta.dirname, "publisher.ts"),
    [oracle.mqttUrl, itemsFile, values.connections],
    {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  await new Promise<void>((resolve) => child.once("message", () => resolve()));
  let brokerAcked = 0;
  child.on("message", (m: { acked?: number }) => {
    if (m.acked !== undefined) brokerAcked = m.acked;
  });
  let backlogMax = 0;
  let heldMax = 0;
  // External broker: what it delivered to the oracle (distinct readings), to tell a broker's drop
  // from the oracle's loss.
  const deliveredSet = new Set<string>();
  const source = oracle.source;
  // (Only this run's meters: other clients of a shared broker may publish readings too.)
  source?.client.on("message", (topic, payload) => {
    if (benchTopics.has(topic)) deliveredSet.add(payload.toString("latin1"));
  });
  // Credit is granted on readings committed *and* whose PUBACKs the broker has read: a QoS 1
  // publish by the oracle's own client ("fence") is answered only after the broker has processed
  // every earlier packet on that connection, the PUBACKs of the readings committed before it
  // included. Crediting on commits alone lets the broker's backlog for the oracle (queued + PUBACKs
  // not yet read, which Mosquitto reads one packet per socket per loop) exceed its
  // max_queued_messages, and the broker then drops readings.
  let confirmed = 0;
  let fencePending = false;
  const fence = () => {
    if (!source || fencePending) return;
    fencePending = true;
    const at = processed();
    source.client.publish("powershare-bench/fence", "", { qos: 1 }, () => {
      fencePending = false;
      confirmed = Math.max(confirmed, at);
    });
  };
  const processed = () =>
    oracle.metrics.total("oracle_readings_accepted_total") +
    oracle.metrics.total("oracle_readings_duplicate_total") +
    oracle.metrics.total("oracle_readings_rejected_total");
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  child.send({ credit: WINDOW });
  let tLast = t0;
  await new Promise<void>((resolve) => {
    let last = -1;
    let lastChange = Date.now();
    const timer = setInterval(() => {
      const done = processed();
      if (source) {
        backlogMax = Math.max(backlogMax, brokerAcked - deliveredSet.size);
        heldMax = Math.max(heldMax, source.heldAcks);
        fence();
        child.send({ credit: (CREDIT_ON_COMMIT ? done : confirmed) + WINDOW });
      } else child.send({ credit: done + WINDOW });
      if (done !== last) {
        last = done;
        lastChange = Date.now();
        tLast = performance.now();
      }
      if (done >= TOTAL || Date.now() - lastChange > 10_000) {
        if (done < TOTAL) log(`${mode}: no progress for 10 s with ${done}/${TOTAL} processed`);
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  const seconds = (tLast - t0) / 1000; // until the last reading was committed
  const mainThreadBusy = performance.eventLoopUtilization(elu0).utilization;
  await oracle.ingestor.idle();
  child.send({ stop: true });
  const rows = oracle.store.db
    .prepare("SELECT count(*) AS n, count(DISTINCT meter_id || ':' || seq) AS d FROM readings")
    .get() as { n: number; d: number };
  const rejected = oracle.metrics.total("oracle_readings_rejected_total");
  const delivered = source ? deliveredSet.size : null;
  await oracle.close();
  if (mqttUrl) await (await mqtt.connectAsync(mqttUrl, { clientId, clean: true })).endAsync();
  dir.remove();
  return {
    readings_per_s: Math.round(rows.d / seconds),
    published: TOTAL,
    delivered,
    broker_dropped: delivered === null ? null : Math.max(0, TOTAL - delivered),
    stored: rows.d,
    lost: (delivered ?? TOTAL) - rows.d,
    broker_backlog_max: delivered === null ? null : backlogMax,
    held_acks_max: delivered === null ? null : heldMax,
    duplicated: rows.n - rows.d,
    rejected,
    seconds: Number(seconds.toFixed(2)),
    main_thread_busy: Number(mainThreadBusy.toFixed(2)),
  };
}

log(`signing ${TOTAL} readings for ${METERS} meters...`);
const signDir = tempDir("oracle-bench-sign-");
const community = testFleet(1, BASE).communities[0]!.communityId;
const t0 = Date.now() - 48 * 3_600_000;
const items: [string, string][] = [];
for (let seq = 1; seq <= PER_METER; seq++) {
  for (let m = 0; m < METERS; m++) {
    const meterId = BASE + m;
    const r = await signReading(deviceAccount(SEED, meterId), {
      meterId,
      seq,
      ts: t0 + seq * 60_000,
      importWh: seq * 20,
      exportWh: seq * 3,
    });
    items.push([readingTopic(community, meterId), JSON.stringify(r)]);
  }
}
const benchTopics = new Set(items.map(([topic]) => topic));
const itemsFile = join(signDir.path, "items.json");
writeFileSync(itemsFile, JSON.stringify(items));

const REPEAT = Number(values.repeat);
const stress: RunResult[] = [];
let embedded: RunResult | null = null;
if (values.only === undefined || values.only === "embedded") {
  for (let i = 0; i < REPEAT; i++) {
    log("embedded broker...");
    embedded = await run("embedded", undefined, itemsFile);
    log(JSON.stringify(embedded));
    stress.push(embedded);
  }
}
const mosquittoUrl = process.env.MQTT_URL || "mqtt://127.0.0.1:1883";
let mosquitto: RunResult | null = null;
if (values.only === undefined || values.only === "mosquitto") {
  if (await reachable(mosquittoUrl)) {
    for (let i = 0; i < REPEAT; i++) {
      log(`mosquitto at ${mosquittoUrl}...`);
      mosquitto = await run("mosquitto", mosquittoUrl, itemsFile);
      log(JSON.stringify(mosquitto));
      stress.push(mosquitto);
    }
  } else log(`no broker reachable at ${mosquittoUrl}: skipping the Mosquitto run`);
}
signDir.remove();

let chain: Awaited<ReturnType<typeof measureSlotEndToChain>> | null = null;
if (!values["skip-chain"]) {
  log("slot end to chain (local hardhat node, the oracle's default grace)...");
  chain = await measureSlotEndToChain(100, log);
  log(JSON.stringify(chain));
}

if (REPEAT > 1) {
  const sum = (k: "lost" | "broker_dropped") => stress.reduce((a, r) => a + (r[k] ?? 0), 0);
  log(
    `${stress.length} runs: lost by the oracle ${sum("lost")} (in ${stress.filter((r) => r.lost > 0).length} runs), ` +
      `dropped by the broker ${sum("broker_dropped")} (in ${stress.filter((r) => (r.broker_dropped ?? 0) > 0).length} runs), ` +
      `readings/s ${stress.map((r) => r.readings_per_s).join(" ")}`,
  );
}

const result = {
  readings_per_s_embedded: embedded?.readings_per_s ?? null,
  readings_per_s_mosquitto: mosquitto?.readings_per_s ?? null,
  lost: (embedded?.lost ?? 0) + (mosquitto?.lost ?? 0),
  broker_dropped: mosquitto?.broker_dropped ?? null,
  duplicated: (embedded?.duplicated ?? 0) + (mosquitto?.duplicated ?? 0),
  slot_end_to_chain_s: chain?.slot_end_to_chain_s ?? null,
  slot_end_to_chain_note: chain
    ? "slot end to every report of the slot mined (reportOf polled), local hardhat node (automine), " +
      `${chain.meters} meters, ${chain.slot_seconds} s slot, default GRACE_SECONDS ${chain.grace_seconds} and TICK_MS ${chain.tick_ms}, embedded broker`
    : null,
  runs: { embedded, mosquitto, chain },
  setup: {
    meters: METERS,
    readings: TOTAL,
    publisher_connections: Number(values.connections),
    window: WINDOW,
    verify_workers: Number(values.workers),
    cpus: availableParallelism(),
    load_avg_1m_at_start: Number(LOAD_AT_START.toFixed(2)),
    node: process.version,
    measured: "first publish to last reading committed (QoS 1, signature verified, SQLite WAL)",
  },
  date: new Date().toISOString(),
};
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, JSON.stringify(result, null, 2) + "\n");
console.log(JSON.stringify(result, null, 2));
process.exit(0); // the chain run's HTTP clients may keep sockets open
