/**
 * The oracle's own pipeline, in process, on the simulation's clock (the default; `--direct-reports`
 * signs the batches in the simulation instead; decision 0036): every simulated meter signs a reading of its cumulative counters at each slot boundary with
 * its device key (the household's account, registered as the meter's device key), the oracle's
 * `Ingestor` verifies and stores it (its SQLite store in a temp dir), its `Aggregator` turns the
 * readings into slot reports once the slot has ended, its `ReportCoordinator` signs the batches with
 * the oracle key and its `ChainReportSink` posts them to the settlement contract. The oracle's clock
 * is a `ManualClock` set to the chain's time at each tick. Device signatures use libsecp256k1's
 * native `ecdsaSign` (the `secp256k1` package whose verifier the oracle loads); the oracle's
 * verification is unchanged.
 */
import { createRequire } from "node:module";
import path from "node:path";
import type { Address, Chain, Hex, LocalAccount, PublicClient } from "viem";
import { Aggregator } from "../../../oracle/src/aggregate/aggregator.ts";
import { ChainReportSink } from "../../../oracle/src/chain/report-sink.ts";
import { ManualClock } from "../../../oracle/src/clock/clock.ts";
import type { MeterDirectory } from "../../../oracle/src/directory/directory.ts";
import { Metrics, declareOracleMetrics } from "../../../oracle/src/http/metrics.ts";
import { readingMessageHash } from "../../../oracle/src/ingest/device-signature.ts";
import { Ingestor } from "../../../oracle/src/ingest/ingestor.ts";
import { InlineSignatureVerifier } from "../../../oracle/src/ingest/signature-verifier.ts";
import { createLogger } from "../../../oracle/src/log/logger.ts";
import type { MeterInfo } from "../../../oracle/src/protocol/meter.ts";
import { readingTopic } from "../../../oracle/src/protocol/topics.ts";
import { ReportCoordinator } from "../../../oracle/src/report/coordinator.ts";
import { Store } from "../../../oracle/src/store/store.ts";

interface NativeSecp256k1 {
  ecdsaSign(msg32: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
}
const secp256k1 = createRequire(import.meta.url)("secp256k1/bindings.js") as NativeSecp256k1;

class SimDirectory implements MeterDirectory {
  readonly #meters = new Map<number, MeterInfo>();
  readonly #slotLength: number;
  constructor(slotLength: number) {
    this.#slotLength = slotLength;
  }
  add(m: MeterInfo): void {
    this.#meters.set(m.meterId, m);
  }
  get(meterId: number): MeterInfo | undefined {
    return this.#meters.get(meterId);
  }
  all(): MeterInfo[] {
    return [...this.#meters.values()];
  }
  slotLength(): number {
    return this.#slotLength;
  }
  async close(): Promise<void> {}
}

interface Device {
  communityId: number;
  key: Uint8Array;
  seq: number;
  importWh: number;
  exportWh: number;
}

export interface OraclePathStats {
  readings: number;
  rejected: number;
  batchesPosted: number;
  oracleMs: number;
}

export class OraclePath {
  readonly clock: ManualClock;
  readonly stats: OraclePathStats = { readings: 0, rejected: 0, batchesPosted: 0, oracleMs: 0 };
  readonly #store: Store;
  readonly #directory: SimDirectory;
  readonly #ingestor: Ingestor;
  readonly #aggregator: Aggregator;
  readonly #coordinator: ReportCoordinator;
  readonly #devices = new Map<number, Device>();

  constructor(o: {
    dir: string;
    publicClient: PublicClient;
    chain: Chain;
    settlement: Address;
    oracle: LocalAccount;
    slotLength: number;
    reportWindowSec: number;
    startMs: number;
  }) {
    const logger = createLogger({ level: "error", base: { service: "oracle" } });
    const metrics = new Metrics();
    declareOracleMetrics(metrics);
    this.clock = new ManualClock(o.startMs);
    this.#store = new Store(path.join(o.dir, "oracle.sqlite"), { synchronous: "NORMAL" });
    this.#directory = new SimDirectory(o.slotLength);
    this.#ingestor = new Ingestor({
      store: this.#store,
      directory: this.#directory,
      verifier: new InlineSignatureVerifier(),
      metrics,
      logger,
      clock: this.clock,
    });
    const slotMs = o.slotLength * 1000;
    this.#aggregator = new Aggregator({
      store: this.#store,
      directory: this.#directory,
      clock: this.clock,
      logger,
      metrics,
      graceMs: 0,
      maxWaitMs: 3 * slotMs,
      maxGapMs: 4 * slotMs,
    });
    const sink = new ChainReportSink({
      publicClient: o.publicClient,
      account: o.oracle,
      chain: o.chain,
      contract: o.settlement,
      logger,
      metrics,
      maxFeePerGasCap: 1_000_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
      receiptPollMs: 10,
      retryBaseDelayMs: 50,
    });
    this.#coordinator = new ReportCoordinator({
      store: this.#store,
      directory: this.#directory,
      account: o.oracle,
      domain: { chainId: o.chain.id, verifyingContract: o.settlement },
      signers: [o.oracle.address],
      threshold: 1,
      maxReportsPerBatch: sink.maxReportsPerBatch,
      postTimeoutMs: 60_000,
      reportWindowMs: o.reportWindowSec * 1000,
      clock: this.clock,
      logger,
      metrics,
      sink,
    });
  }

  /** A registered meter: its device key signs its readings. */
  addMeter(m: MeterInfo, devicePrivateKey: Uint8Array): void {
    this.#directory.add(m);
    this.#devices.set(m.meterId, {
      communityId: m.communityId,
      key: devicePrivateKey,
      seq: 0,
      importWh: 0,
      exportWh: 0,
    });
  }

  async #publish(meterId: number, tsMs: number): Promise<void> {
    const d = this.#devices.get(meterId)!;
    d.seq += 1;
    const r = { meterId, seq: d.seq, ts: tsMs, importWh: d.importWh, exportWh: d.exportWh };
    const { signature, recid } = secp256k1.ecdsaSign(readingMessageHash(r), d.key);
    const sig = `0x${Buffer.from(signature).toString("hex")}${(27 + recid).toString(16)}` as Hex;
    const outcome = await this.#ingestor.submit(
      readingTopic(d.communityId, meterId),
      JSON.stringify({ ...r, sig }),
    );
    this.stats.readings += 1;
    if (outcome.status !== "accepted") {
      this.stats.rejected += 1;
      throw new Error(`the oracle refused meter ${meterId}'s reading: ${JSON.stringify(outcome)}`);
    }
  }

  /** Every meter's first reading (counters at zero) at the first slot's start. */
  async start(startSec: number): Promise<void> {
    const t0 = Date.now();
    this.clock.set(startSec * 1000);
    await Promise.all([...this.#devices.keys()].map((id) => this.#publish(id, startSec * 1000)));
    this.stats.oracleMs += Date.now() - t0;
  }

  /**
   * The slot `[slotStart, slotStart + L)` ended with these meter flows: each meter publishes its
   * counters at the slot's end; the oracle (its clock at `nowSec`) aggregates, signs and posts.
   */
  async slotEnded(
    slotStart: number,
    slotLength: number,
    flows: readonly { meterId: number; importedWh: number; exportedWh: number }[],
    nowSec: number,
  ): Promise<void> {
    const t0 = Date.now();
    this.clock.set(nowSec * 1000);
    const end = (slotStart + slotLength) * 1000;
    await Promise.all(
      flows.map((f) => {
        const d = this.#devices.get(f.meterId)!;
        d.importWh += f.importedWh;
        d.exportWh += f.exportedWh;
        return this.#publish(f.meterId, end);
      }),
    );
    await this.#ingestor.idle();
    this.#aggregator.tick();
    const signed = await this.#coordinator.signReady();
    await this.#coordinator.postDue();
    this.stats.batchesPosted += signed.length;
    const left = [...this.#store.batches("signed"), ...this.#store.batches("posted")];
    if (left.length > 0) throw new Error(`${left.length} report batches of slot ${slotStart} not confirmed`);
    this.stats.oracleMs += Date.now() - t0;
  }

  close(): void {
    this.#store.close();
  }
}
