/**
 * The oracle's durable store: SQLite (node:sqlite) in WAL mode.
 *
 * Readings are written in small transactions before their MQTT acknowledgement is released, so a
 * reading the broker saw acknowledged is on disk. With `synchronous=NORMAL` (default) a commit
 * survives a process crash; `synchronous=FULL` also survives an OS crash or power loss, at the cost
 * of an fsync per commit.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Hex } from "viem";
import type { Reading } from "../protocol/reading.ts";

export type SlotReportStatus = "waiting" | "ready" | "batched" | "skipped";
export type BatchStatus = "signed" | "posted" | "confirmed" | "abandoned";
/** What a batch carries: meter reports (`submitReports`) or silence attestations (`attestSilence`). */
export type BatchKind = "report" | "silence";
/**
 * A seller meter found silent for a slot: `ready` to sign, `batched` (in `batchHash`), or `done`
 * (the chain already had a report or attestation for it when the oracle looked).
 */
export type SilenceStatus = "ready" | "batched" | "done";

export interface SilenceRow {
  meterId: number;
  slotStart: number;
  communityId: number;
  status: SilenceStatus;
  batchHash: Hex | null;
}

export interface SlotReportRow {
  meterId: number;
  slotStart: number;
  communityId: number;
  importedWh: number;
  exportedWh: number;
  status: SlotReportStatus;
  reason: string | null;
}

export interface BatchRow {
  batchHash: Hex;
  kind: BatchKind;
  slotStart: number;
  /** The batch's content: reports (reportsToJson) or a silence batch (silenceToJson). */
  reportsJson: string;
  status: BatchStatus;
  /** The last transaction this node signed for the batch (written before it was broadcast). */
  txHash: Hex | null;
  /** Its signed bytes (re-broadcast as they are after a restart). */
  rawTx: Hex | null;
  createdAt: number;
  updatedAt: number;
}

export interface StoreOptions {
  synchronous?: "NORMAL" | "FULL";
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS readings (
  meter_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  import_wh INTEGER NOT NULL,
  export_wh INTEGER NOT NULL,
  sig TEXT NOT NULL,
  PRIMARY KEY (meter_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS readings_by_ts ON readings (meter_id, ts);
CREATE TABLE IF NOT EXISTS slot_cursor (
  community_id INTEGER PRIMARY KEY,
  next_slot_start INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS slot_reports (
  meter_id INTEGER NOT NULL,
  slot_start INTEGER NOT NULL,
  community_id INTEGER NOT NULL,
  imported_wh INTEGER NOT NULL,
  exported_wh INTEGER NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  batch_hash TEXT,
  PRIMARY KEY (meter_id, slot_start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS slot_reports_by_status ON slot_reports (status, slot_start);
CREATE TABLE IF NOT EXISTS batches (
  batch_hash TEXT PRIMARY KEY,
  slot_start INTEGER NOT NULL,
  reports_json TEXT NOT NULL,
  status TEXT NOT NULL,
  tx_hash TEXT,
  raw_tx TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_by_status ON batches (status);
CREATE TABLE IF NOT EXISTS silences (
  meter_id INTEGER NOT NULL,
  slot_start INTEGER NOT NULL,
  community_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  batch_hash TEXT,
  PRIMARY KEY (meter_id, slot_start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS silences_by_status ON silences (status, slot_start);
CREATE TABLE IF NOT EXISTS silence_slots (
  community_id INTEGER NOT NULL,
  slot_start INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  PRIMARY KEY (community_id, slot_start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uptime (
  started_at INTEGER PRIMARY KEY,
  last_seen INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_signatures (
  batch_hash TEXT NOT NULL,
  signer TEXT NOT NULL,
  signature TEXT NOT NULL,
  PRIMARY KEY (batch_hash, signer)
) WITHOUT ROWID;
`;

interface ReadingDbRow {
  meter_id: number;
  seq: number;
  ts: number;
  import_wh: number;
  export_wh: number;
  sig: string;
}

const toReading = (r: ReadingDbRow): Reading => ({
  meterId: r.meter_id,
  seq: r.seq,
  ts: r.ts,
  importWh: r.import_wh,
  exportWh: r.export_wh,
  sig: r.sig as Hex,
});

export class Store {
  readonly db: DatabaseSync;
  readonly #insertReading: StatementSync;
  readonly #lastReading: StatementSync;
  readonly #readingBySeq: StatementSync;
  readonly #lastAtOrBefore: StatementSync;
  readonly #firstAfter: StatementSync;
  readonly #anyAfter: StatementSync;

  constructor(path: string, options: StoreOptions = {}) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${options.synchronous ?? "NORMAL"};`);
    this.db.exec("PRAGMA busy_timeout=5000;");
    this.db.exec(SCHEMA);
    // Stores created before raw_tx existed.
    const batchColumns = this.db.prepare("PRAGMA table_info(batches)").all() as { name: string }[];
    if (!batchColumns.some((c) => c.name === "raw_tx"))
      this.db.exec("ALTER TABLE batches ADD COLUMN raw_tx TEXT");
    if (!batchColumns.some((c) => c.name === "kind"))
      this.db.exec("ALTER TABLE batches ADD COLUMN kind TEXT NOT NULL DEFAULT 'report'");
    this.#insertReading = this.db.prepare(
      "INSERT INTO readings (meter_id, seq, ts, import_wh, export_wh, sig) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.#lastReading = this.db.prepare(
      "SELECT * FROM readings WHERE meter_id = ? ORDER BY seq DESC LIMIT 1",
    );
    this.#readingBySeq = this.db.prepare("SELECT * FROM readings WHERE meter_id = ? AND seq = ?");
    this.#lastAtOrBefore = this.db.prepare(
      "SELECT * FROM readings WHERE meter_id = ? AND ts <= ? ORDER BY ts DESC, seq DESC LIMIT 1",
    );
    this.#firstAfter = this.db.prepare(
      "SELECT * FROM readings WHERE meter_id = ? AND ts > ? ORDER BY ts ASC, seq ASC LIMIT 1",
    );
    this.#anyAfter = this.db.prepare("SELECT 1 AS x FROM readings WHERE meter_id = ? AND ts >= ? LIMIT 1");
  }

  /** Runs `fn` in one transaction (rolled back if it throws). */
  transaction<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (err) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw err;
    }
  }

  /** Inserts readings in one transaction. Every reading must be new (the ingestor checked). */
  insertReadings(readings: readonly Reading[]): void {
    if (readings.length === 0) return;
    this.transaction(() => {
      for (const r of readings)
        this.#insertReading.run(r.meterId, r.seq, r.ts, r.importWh, r.exportWh, r.sig);
    });
  }

  lastReading(meterId: number): Reading | undefined {
    const row = this.#lastReading.get(meterId) as ReadingDbRow | undefined;
    return row && toReading(row);
  }

  reading(meterId: number, seq: number): Reading | undefined {
    const row = this.#readingBySeq.get(meterId, seq) as ReadingDbRow | undefined;
    return row && toReading(row);
  }

  lastAtOrBefore(meterId: number, ts: number): Reading | undefined {
    const row = this.#lastAtOrBefore.get(meterId, ts) as ReadingDbRow | undefined;
    return row && toReading(row);
  }

  firstAfter(meterId: number, ts: number): Reading | undefined {
    const row = this.#firstAfter.get(meterId, ts) as ReadingDbRow | undefined;
    return row && toReading(row);
  }

  hasReadingAtOrAfter(meterId: number, ts: number): boolean {
    return this.#anyAfter.get(meterId, ts) !== undefined;
  }

  readingCount(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM readings").get() as { n: number }).n;
  }

  readings(meterId: number): Reading[] {
    return (
      this.db
        .prepare("SELECT * FROM readings WHERE meter_id = ? ORDER BY seq")
        .all(meterId) as unknown as ReadingDbRow[]
    ).map(toReading);
  }

  // --- aggregation progress -------------------------------------------------------------------

  nextSlotStart(communityId: number): number | undefined {
    const row = this.db
      .prepare("SELECT next_slot_start AS s FROM slot_cursor WHERE community_id = ?")
      .get(communityId) as { s: number } | undefined;
    return row?.s;
  }

  setNextSlotStart(communityId: number, slotStart: number): void {
    this.db
      .prepare(
        "INSERT INTO slot_cursor (community_id, next_slot_start) VALUES (?, ?) " +
          "ON CONFLICT (community_id) DO UPDATE SET next_slot_start = excluded.next_slot_start",
      )
      .run(communityId, slotStart);
  }

  putSlotReport(row: SlotReportRow): void {
    this.db
      .prepare(
        "INSERT INTO slot_reports (meter_id, slot_start, community_id, imported_wh, exported_wh, status, reason) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (meter_id, slot_start) DO UPDATE SET " +
          "imported_wh = excluded.imported_wh, exported_wh = excluded.exported_wh, status = excluded.status, reason = excluded.reason",
      )
      .run(
        row.meterId,
        row.slotStart,
        row.communityId,
        row.importedWh,
        row.exportedWh,
        row.status,
        row.reason,
      );
  }

  slotReports(status: SlotReportStatus): SlotReportRow[] {
    return this.#allSlotReports("WHERE status = ? ORDER BY slot_start, meter_id", status);
  }

  slotReport(meterId: number, slotStart: number): SlotReportRow | undefined {
    return this.#allSlotReports("WHERE meter_id = ? AND slot_start = ?", meterId, slotStart)[0];
  }

  #allSlotReports(where: string, ...params: (number | string)[]): SlotReportRow[] {
    const rows = this.db.prepare(`SELECT * FROM slot_reports ${where}`).all(...params) as unknown as {
      meter_id: number;
      slot_start: number;
      community_id: number;
      imported_wh: number;
      exported_wh: number;
      status: SlotReportStatus;
      reason: string | null;
    }[];
    return rows.map((r) => ({
      meterId: r.meter_id,
      slotStart: r.slot_start,
      communityId: r.community_id,
      importedWh: r.imported_wh,
      exportedWh: r.exported_wh,
      status: r.status,
      reason: r.reason,
    }));
  }

  markSlotReportsBatched(keys: readonly { meterId: number; slotStart: number }[], batchHash: Hex): void {
    const stmt = this.db.prepare(
      "UPDATE slot_reports SET status = 'batched', batch_hash = ? WHERE meter_id = ? AND slot_start = ?",
    );
    for (const k of keys) stmt.run(batchHash, k.meterId, k.slotStart);
  }

  // --- batches and their signatures -----------------------------------------------------------

  putBatch(
    batchHash: Hex,
    slotStart: number,
    reportsJson: string,
    now: number,
    kind: BatchKind = "report",
  ): void {
    this.db
      .prepare(
        "INSERT INTO batches (batch_hash, kind, slot_start, reports_json, status, created_at, updated_at) " +
          "VALUES (?, ?, ?, ?, 'signed', ?, ?) ON CONFLICT (batch_hash) DO NOTHING",
      )
      .run(batchHash, kind, slotStart, reportsJson, now, now);
  }

  setBatchStatus(batchHash: Hex, status: BatchStatus, txHash: Hex | null, now: number): void {
    this.db
      .prepare(
        "UPDATE batches SET status = ?, tx_hash = coalesce(?, tx_hash), updated_at = ? WHERE batch_hash = ?",
      )
      .run(status, txHash, now, batchHash);
  }

  /**
   * Records the transaction signed for a batch, before it is broadcast (write-ahead): a restart
   * finds it and re-broadcasts these bytes instead of signing a second transaction for the batch.
   */
  setBatchTransaction(batchHash: Hex, txHash: Hex, rawTx: Hex, now: number): void {
    this.db
      .prepare("UPDATE batches SET tx_hash = ?, raw_tx = ?, updated_at = ? WHERE batch_hash = ?")
      .run(txHash, rawTx, now, batchHash);
  }

  batch(batchHash: Hex): BatchRow | undefined {
    return this.#batches("WHERE batch_hash = ?", batchHash)[0];
  }

  batches(status: BatchStatus): BatchRow[] {
    return this.#batches("WHERE status = ? ORDER BY created_at", status);
  }

  #batches(where: string, ...params: string[]): BatchRow[] {
    const rows = this.db.prepare(`SELECT * FROM batches ${where}`).all(...params) as unknown as {
      batch_hash: Hex;
      kind: BatchKind;
      slot_start: number;
      reports_json: string;
      status: BatchStatus;
      tx_hash: Hex | null;
      raw_tx: Hex | null;
      created_at: number;
      updated_at: number;
    }[];
    return rows.map((r) => ({
      batchHash: r.batch_hash,
      kind: r.kind,
      slotStart: r.slot_start,
      reportsJson: r.reports_json,
      status: r.status,
      txHash: r.tx_hash,
      rawTx: r.raw_tx,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  putSignature(batchHash: Hex, signer: Hex, signature: Hex): void {
    this.db
      .prepare(
        "INSERT INTO batch_signatures (batch_hash, signer, signature) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      )
      .run(batchHash, signer, signature);
  }

  signatures(batchHash: Hex): { signer: Hex; signature: Hex }[] {
    return this.db
      .prepare("SELECT signer, signature FROM batch_signatures WHERE batch_hash = ? ORDER BY signer")
      .all(batchHash) as unknown as { signer: Hex; signature: Hex }[];
  }

  // --- silence attestations -------------------------------------------------------------------

  /** Whether the meter sent a reading timestamped in [fromMs, toMs] (both inclusive). */
  hasReadingBetween(meterId: number, fromMs: number, toMs: number): boolean {
    return (
      this.db
        .prepare("SELECT 1 AS x FROM readings WHERE meter_id = ? AND ts >= ? AND ts <= ? LIMIT 1")
        .get(meterId, fromMs, toMs) !== undefined
    );
  }

  /** Records a meter found silent (a row that exists is left as it is). */
  putSilence(row: Omit<SilenceRow, "batchHash">): void {
    this.db
      .prepare(
        "INSERT INTO silences (meter_id, slot_start, community_id, status) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (meter_id, slot_start) DO NOTHING",
      )
      .run(row.meterId, row.slotStart, row.communityId, row.status);
  }

  silence(meterId: number, slotStart: number): SilenceRow | undefined {
    return this.#silences("WHERE meter_id = ? AND slot_start = ?", meterId, slotStart)[0];
  }

  silences(status: SilenceStatus): SilenceRow[] {
    return this.#silences("WHERE status = ? ORDER BY slot_start, meter_id", status);
  }

  setSilenceStatus(meterId: number, slotStart: number, status: SilenceStatus, batchHash: Hex | null): void {
    this.db
      .prepare("UPDATE silences SET status = ?, batch_hash = ? WHERE meter_id = ? AND slot_start = ?")
      .run(status, batchHash, meterId, slotStart);
  }

  #silences(where: string, ...params: (number | string)[]): SilenceRow[] {
    const rows = this.db.prepare(`SELECT * FROM silences ${where}`).all(...params) as unknown as {
      meter_id: number;
      slot_start: number;
      community_id: number;
      status: SilenceStatus;
      batch_hash: Hex | null;
    }[];
    return rows.map((r) => ({
      meterId: r.meter_id,
      slotStart: r.slot_start,
      communityId: r.community_id,
      status: r.status,
      batchHash: r.batch_hash,
    }));
  }

  /** How a community's slot was closed for silence ("checked", "oracle_down", "too_late"), if it was. */
  silenceSlotOutcome(communityId: number, slotStart: number): string | undefined {
    const row = this.db
      .prepare("SELECT outcome FROM silence_slots WHERE community_id = ? AND slot_start = ?")
      .get(communityId, slotStart) as { outcome: string } | undefined;
    return row?.outcome;
  }

  closeSilenceSlot(communityId: number, slotStart: number, outcome: string): void {
    this.db
      .prepare(
        "INSERT INTO silence_slots (community_id, slot_start, outcome) VALUES (?, ?, ?) " +
          "ON CONFLICT (community_id, slot_start) DO NOTHING",
      )
      .run(communityId, slotStart, outcome);
  }

  /** Forgets a community's closed slots that started before `slotStart` (past their report window). */
  pruneSilenceSlots(communityId: number, beforeSlotStart: number): void {
    this.db
      .prepare("DELETE FROM silence_slots WHERE community_id = ? AND slot_start < ?")
      .run(communityId, beforeSlotStart);
  }

  // --- uptime: when this oracle was running and receiving readings ----------------------------

  /** Extends the uptime interval that started at `startedAt` to `now` (creates it if new). */
  beat(startedAt: number, now: number): void {
    this.db
      .prepare(
        "INSERT INTO uptime (started_at, last_seen) VALUES (?, ?) " +
          "ON CONFLICT (started_at) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)",
      )
      .run(startedAt, now);
  }

  /** Whether one uptime interval covers [fromMs, toMs]. */
  upThroughout(fromMs: number, toMs: number): boolean {
    return (
      this.db
        .prepare("SELECT 1 AS x FROM uptime WHERE started_at <= ? AND last_seen >= ? LIMIT 1")
        .get(fromMs, toMs) !== undefined
    );
  }

  uptimeIntervals(): { startedAt: number; lastSeen: number }[] {
    return (
      this.db.prepare("SELECT started_at, last_seen FROM uptime ORDER BY started_at").all() as unknown as {
        started_at: number;
        last_seen: number;
      }[]
    ).map((r) => ({ startedAt: r.started_at, lastSeen: r.last_seen }));
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
