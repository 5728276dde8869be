/**
 * Ingestion pipeline: parse -> validate -> verify the device signature -> stateful checks -> commit.
 *
 * `submit` resolves once the reading's outcome is durable: an accepted reading is committed to the
 * store; a rejected one is logged and counted. The MQTT layer releases the QoS 1 acknowledgement only
 * then. Outcomes resolve in submission order (MQTT requires PUBACKs in PUBLISH order), and readings
 * accumulated while the previous commit ran are committed together in one transaction.
 */
import type { Clock } from "../clock/clock.ts";
import type { MeterDirectory } from "../directory/directory.ts";
import type { Metrics } from "../http/metrics.ts";
import type { Logger } from "../log/logger.ts";
import type { MeterInfo } from "../protocol/meter.ts";
import { readingSchema, type Reading } from "../protocol/reading.ts";
import { parseReadingTopic } from "../protocol/topics.ts";
import type { Store } from "../store/store.ts";
import type { SignatureVerifier } from "./signature-verifier.ts";

export const REJECT_REASONS = [
  "bad_topic",
  "malformed_json",
  "schema",
  "unknown_meter",
  "inactive_meter",
  "topic_mismatch",
  "future_timestamp",
  "bad_signature",
  "seq_not_increasing",
  "ts_going_backwards",
  "counter_backwards",
  "rate_exceeded",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type IngestOutcome =
  | { status: "accepted"; reading: Reading }
  | { status: "duplicate"; reading: Reading }
  | { status: "rejected"; reason: RejectReason; detail: string };

export interface IngestorOptions {
  store: Store;
  directory: MeterDirectory;
  verifier: SignatureVerifier;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** How far a reading's timestamp may be ahead of the oracle's clock. */
  futureToleranceMs?: number;
  /** Relative tolerance on capacityW x elapsed time (meter clock jitter, rounding). */
  rateTolerance?: number;
  /** Absolute tolerance in Wh on top of the relative one (counter resolution). */
  rateSlackWh?: number;
  /** Most readings committed in one transaction. */
  maxBatch?: number;
}

interface MeterState {
  seq: number;
  ts: number;
  importWh: number;
  exportWh: number;
}

interface Item {
  early: IngestOutcome | undefined;
  reading: Reading | undefined;
  meter: MeterInfo | undefined;
  settled: boolean;
  signatureOk: boolean;
  resolve: (o: IngestOutcome) => void;
  reject: (err: unknown) => void;
}

interface Decided {
  outcome: IngestOutcome;
  item: Item;
}

const sameReading = (a: Reading, b: Reading): boolean =>
  a.meterId === b.meterId &&
  a.seq === b.seq &&
  a.ts === b.ts &&
  a.importWh === b.importWh &&
  a.exportWh === b.exportWh &&
  a.sig.toLowerCase() === b.sig.toLowerCase();

export class Ingestor {
  readonly #o: Required<IngestorOptions>;
  readonly #fifo: Item[] = [];
  #head = 0;
  readonly #states = new Map<number, MeterState>();
  #decided: Decided[] = [];
  #toInsert: Reading[] = [];
  readonly #uncommitted = new Map<string, Reading>();
  #commitScheduled = false;
  #inflight = 0;
  /** Submitted, parsed and not yet committed readings per meter. */
  readonly #pendingByMeter = new Map<number, number>();
  #idleWaiters: (() => void)[] = [];

  constructor(options: IngestorOptions) {
    this.#o = {
      futureToleranceMs: 60_000,
      rateTolerance: 0.05,
      rateSlackWh: 2,
      maxBatch: 512,
      ...options,
    };
  }

  /** Number of readings submitted whose outcome is not yet durable. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Whether a reading of this meter is submitted and its outcome not yet durable. */
  ingesting(meterId: number): boolean {
    return this.#pendingByMeter.has(meterId);
  }

  submit(topic: string, payload: Buffer | string): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.#inflight++;
      const item: Item = {
        early: undefined,
        reading: undefined,
        meter: undefined,
        settled: true,
        signatureOk: false,
        resolve,
        reject,
      };
      item.early = this.#precheck(item, topic, payload);
      this.#fifo.push(item);
      if (item.early === undefined) {
        item.settled = false;
        const r = item.reading!;
        this.#pendingByMeter.set(r.meterId, (this.#pendingByMeter.get(r.meterId) ?? 0) + 1);
        this.#o.verifier
          .verify({ ...r, deviceKey: item.meter!.deviceKey })
          .then(
            (ok) => {
              item.signatureOk = ok;
            },
            (err) => {
              this.#o.logger.error("signature_verifier_failed", { err });
              item.signatureOk = false;
            },
          )
          .finally(() => {
            item.settled = true;
            this.#drain();
          });
      } else {
        this.#drain();
      }
    });
  }

  /** Resolves when every submitted reading has its durable outcome. */
  idle(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #precheck(item: Item, topic: string, payload: Buffer | string): IngestOutcome | undefined {
    const t = parseReadingTopic(topic);
    if (!t) return reject("bad_topic", `not a readings topic: ${topic.slice(0, 200)}`);
    let json: unknown;
    try {
      json = JSON.parse(typeof payload === "string" ? payload : payload.toString("utf8"));
    } catch (err) {
      return reject("malformed_json", (err as Error).message);
    }
    const parsed = readingSchema.safeParse(json);
    if (!parsed.success) {
      return reject(
        "schema",
        parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "),
      );
    }
    const reading = parsed.data as Reading;
    if (reading.meterId !== t.meterId) {
      return reject("topic_mismatch", `topic meter ${t.meterId} but payload meter ${reading.meterId}`);
    }
    const meter = this.#o.directory.get(reading.meterId);
    if (!meter) return reject("unknown_meter", `meter ${reading.meterId} is not registered`);
    if (!meter.active) return reject("inactive_meter", `meter ${reading.meterId} is deactivated`);
    if (meter.communityId !== t.communityId) {
      return reject(
        "topic_mismatch",
        `meter ${reading.meterId} belongs to community ${meter.communityId}, topic says ${t.communityId}`,
      );
    }
    const now = this.#o.clock.now();
    if (reading.ts > now + this.#o.futureToleranceMs) {
      return reject(
        "future_timestamp",
        `ts ${reading.ts} is ${reading.ts - now} ms ahead of the oracle clock`,
      );
    }
    item.reading = reading;
    item.meter = meter;
    return undefined;
  }

  #state(meterId: number): MeterState | undefined {
    let s = this.#states.get(meterId);
    if (!s) {
      const last = this.#o.store.lastReading(meterId);
      if (!last) return undefined;
      s = { seq: last.seq, ts: last.ts, importWh: last.importWh, exportWh: last.exportWh };
      this.#states.set(meterId, s);
    }
    return s;
  }

  #decide(item: Item): IngestOutcome {
    if (item.early) return item.early;
    const r = item.reading!;
    const meter = item.meter!;
    if (!item.signatureOk) return reject("bad_signature", `not signed by device key ${meter.deviceKey}`);
    const s = this.#state(r.meterId);
    if (s) {
      if (r.seq <= s.seq) {
        const key = `${r.meterId}:${r.seq}`;
        const stored = this.#uncommitted.get(key) ?? this.#o.store.reading(r.meterId, r.seq);
        if (stored && sameReading(stored, r)) return { status: "duplicate", reading: r };
        return reject("seq_not_increasing", `seq ${r.seq} <= last accepted ${s.seq}`);
      }
      if (r.ts < s.ts) return reject("ts_going_backwards", `ts ${r.ts} < last accepted ${s.ts}`);
      if (r.importWh < s.importWh) {
        return reject("counter_backwards", `importWh ${r.importWh} < last accepted ${s.importWh}`);
      }
      if (r.exportWh < s.exportWh) {
        return reject("counter_backwards", `exportWh ${r.exportWh} < last accepted ${s.exportWh}`);
      }
      const elapsedH = (r.ts - s.ts) / 3_600_000;
      const maxWh = meter.capacityW * elapsedH * (1 + this.#o.rateTolerance) + this.#o.rateSlackWh;
      const dImport = r.importWh - s.importWh;
      const dExport = r.exportWh - s.exportWh;
      if (dImport > maxWh || dExport > maxWh) {
        return reject(
          "rate_exceeded",
          `+${Math.max(dImport, dExport)} Wh in ${r.ts - s.ts} ms exceeds capacity ${meter.capacityW} W`,
        );
      }
    }
    this.#states.set(r.meterId, { seq: r.seq, ts: r.ts, importWh: r.importWh, exportWh: r.exportWh });
    this.#uncommitted.set(`${r.meterId}:${r.seq}`, r);
    this.#toInsert.push(r);
    return { status: "accepted", reading: r };
  }

  #drain(): void {
    while (this.#head < this.#fifo.length) {
      const item = this.#fifo[this.#head]!;
      if (!item.settled) break;
      this.#head++;
      this.#decided.push({ outcome: this.#decide(item), item });
      if (this.#decided.length >= this.#o.maxBatch) this.#commit();
    }
    if (this.#head > 1024 && this.#head * 2 > this.#fifo.length) {
      this.#fifo.splice(0, this.#head);
      this.#head = 0;
    }
    this.#o.metrics.set("oracle_ingest_queue_depth", this.#inflight);
    if (this.#decided.length > 0 && !this.#commitScheduled) {
      this.#commitScheduled = true;
      setImmediate(() => {
        this.#commitScheduled = false;
        this.#commit();
      });
    }
  }

  #commit(): void {
    if (this.#decided.length === 0) return;
    const decided = this.#decided;
    const toInsert = this.#toInsert;
    this.#decided = [];
    this.#toInsert = [];
    try {
      this.#o.store.insertReadings(toInsert);
    } catch (err) {
      // Nothing of this batch is acknowledged; forget cached states so they reload from the store.
      this.#states.clear();
      this.#uncommitted.clear();
      this.#o.logger.error("store_commit_failed", { err, readings: toInsert.length });
      for (const d of decided) d.item.reject(err);
      this.#settle(decided);
      return;
    }
    this.#uncommitted.clear();
    const { metrics, logger } = this.#o;
    for (const { outcome, item } of decided) {
      if (outcome.status === "accepted") metrics.inc("oracle_readings_accepted_total");
      else if (outcome.status === "duplicate") metrics.inc("oracle_readings_duplicate_total");
      else {
        metrics.inc("oracle_readings_rejected_total", { reason: outcome.reason });
        logger.warn("reading_rejected", {
          reason: outcome.reason,
          detail: outcome.detail,
          meterId: item.reading?.meterId,
          seq: item.reading?.seq,
        });
      }
      item.resolve(outcome);
    }
    this.#settle(decided);
  }

  #settle(decided: readonly Decided[]): void {
    for (const { item } of decided) {
      if (item.early !== undefined || !item.reading) continue;
      const id = item.reading.meterId;
      const left = (this.#pendingByMeter.get(id) ?? 1) - 1;
      if (left > 0) this.#pendingByMeter.set(id, left);
      else this.#pendingByMeter.delete(id);
    }
    const n = decided.length;
    this.#inflight -= n;
    this.#o.metrics.set("oracle_ingest_queue_depth", this.#inflight);
    if (this.#inflight === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

function reject(reason: RejectReason, detail: string): IngestOutcome {
  return { status: "rejected", reason, detail };
}
