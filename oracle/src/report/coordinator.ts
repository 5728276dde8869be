/**
 * Signs per-slot reports in deterministic batches, meets the other oracle nodes' signatures, and
 * posts batches that reached k signatures.
 *
 * Deterministic composition: the on-time reports of a slot (ready when the grace period ended) are
 * sorted by meter id and cut into chunks of `maxReportsPerBatch`; a late report (its meter's next
 * reading came after the grace period) is a batch of its own. Nodes that saw the same readings thus
 * build byte-identical batches, whose EIP-712 hash is the batch's identity between nodes.
 *
 * Posting: among the nodes whose signatures a node holds for a batch, the lowest address posts at
 * once; the node ranked r (0-based, by address) posts only when the batch is still unconfirmed
 * r x `postTimeoutMs` after it signed. The sink checks the chain first, so a late poster finds the
 * reports there and merely marks them confirmed; the contract refuses a second report anyway.
 *
 * Silence batches (decision 0024) go the same way: the silence watcher records the meters it found
 * silent (`ready`), `signSilences` signs them per slot (meter ids ascending, chunks of
 * `maxReportsPerBatch`), and they are stored, exchanged, counted towards k and posted
 * (`attestSilence`) with the same rank delays, write-ahead transaction, window and chain checks as
 * report batches.
 *
 * Crash between broadcast and receipt: the sink hands over each transaction it signs before
 * broadcasting it, and it is stored with the batch (`raw_tx`). A batch with a stored transaction is
 * resumed with it (receipt, or the same bytes re-broadcast), never posted with a second one, and such
 * batches go first so that their nonces come before any new transaction's.
 */
import { getAddress, type Address, type Hex, type LocalAccount } from "viem";
import type { Clock } from "../clock/clock.ts";
import type { MeterDirectory } from "../directory/directory.ts";
import type { Metrics } from "../http/metrics.ts";
import type { Logger } from "../log/logger.ts";
import type { BatchRow, SilenceRow, SlotReportRow, Store } from "../store/store.ts";
import type { SignatureExchange, SignatureMessage } from "./exchange.ts";
import {
  assembleSignatures,
  type MeterSlot,
  type ReportSink,
  type SubmitHooks,
  type SubmitResult,
} from "./sink.ts";
import {
  batchHash,
  recoverBatchSigner,
  recoverSilenceSigner,
  reportsFromJson,
  reportsToJson,
  signBatch,
  signSilence,
  silenceFromJson,
  silenceHash,
  silenceToJson,
  type MeterReport,
  type ReportDomain,
  type SilenceBatch,
} from "./typed-data.ts";

export interface CoordinatorOptions {
  store: Store;
  directory: MeterDirectory;
  account: LocalAccount;
  domain: ReportDomain;
  /** The registered oracle signers (n). */
  signers: readonly Address[];
  /** Signatures a batch needs (k). */
  threshold: number;
  maxReportsPerBatch: number;
  postTimeoutMs: number;
  /**
   * k > 1: a silence batch of several meters still short of k signatures this long after it was
   * signed is split into one batch per meter. Default 2 x `postTimeoutMs`.
   */
  silenceSplitMs?: number;
  /** The contract refuses reports this long after their slot's end: such batches are abandoned. */
  reportWindowMs?: number;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  sink?: ReportSink | undefined;
  exchange?: SignatureExchange | undefined;
}

const toReport = (r: SlotReportRow): MeterReport => ({
  meterId: r.meterId,
  slotStart: r.slotStart,
  importedWh: BigInt(r.importedWh),
  exportedWh: BigInt(r.exportedWh),
});

export class ReportCoordinator {
  readonly #o: CoordinatorOptions;
  readonly #signers: Set<string>;
  readonly #posting = new Set<Hex>();

  constructor(o: CoordinatorOptions) {
    this.#o = o;
    this.#signers = new Set(o.signers.map((s) => getAddress(s)));
    o.exchange?.onMessage((msg) => void this.receive(msg));
  }

  /** Builds the batches of the currently ready reports (pure: the same input gives the same batches). */
  compose(rows: readonly SlotReportRow[]): MeterReport[][] {
    const batches: MeterReport[][] = [];
    const onTime = new Map<number, SlotReportRow[]>();
    for (const r of rows) {
      if (r.reason === "late") batches.push([toReport(r)]);
      else onTime.set(r.slotStart, [...(onTime.get(r.slotStart) ?? []), r]);
    }
    for (const slot of [...onTime.keys()].sort((a, b) => a - b)) {
      const sorted = onTime.get(slot)!.sort((a, b) => a.meterId - b.meterId);
      for (let i = 0; i < sorted.length; i += this.#o.maxReportsPerBatch) {
        batches.push(sorted.slice(i, i + this.#o.maxReportsPerBatch).map(toReport));
      }
    }
    return batches;
  }

  /** Signs every ready report's batch and publishes the signatures. */
  async signReady(): Promise<Hex[]> {
    const { store, account, domain, clock, metrics, logger, exchange } = this.#o;
    const hashes: Hex[] = [];
    for (const reports of this.compose(store.slotReports("ready"))) {
      const hash = batchHash(domain, reports);
      const signature = await signBatch(account, domain, reports);
      const json = reportsToJson(reports);
      store.transaction(() => {
        store.putBatch(hash, reports[0]!.slotStart, json, clock.now());
        store.putSignature(hash, account.address, signature);
        store.markSlotReportsBatched(reports, hash);
      });
      metrics.inc("oracle_reports_signed_total", {}, reports.length);
      logger.info("report_batch_signed", {
        batchHash: hash,
        reports: reports.length,
        slotStart: reports[0]!.slotStart,
      });
      hashes.push(hash);
      const msg: SignatureMessage = {
        v: 1,
        chainId: domain.chainId,
        market: domain.verifyingContract,
        batchHash: hash,
        reports: json,
        signer: account.address,
        signature,
      };
      await exchange?.publish(msg).catch((err: unknown) => logger.warn("signature_publish_failed", { err }));
    }
    return hashes;
  }

  /** Builds the silence batches of the silent meters found (pure, deterministic like `compose`). */
  composeSilences(rows: readonly SilenceRow[]): SilenceBatch[] {
    const bySlot = new Map<number, number[]>();
    for (const r of rows) bySlot.set(r.slotStart, [...(bySlot.get(r.slotStart) ?? []), r.meterId]);
    const batches: SilenceBatch[] = [];
    for (const slotStart of [...bySlot.keys()].sort((a, b) => a - b)) {
      const ids = [...new Set(bySlot.get(slotStart))].sort((a, b) => a - b);
      for (let i = 0; i < ids.length; i += this.#o.maxReportsPerBatch) {
        batches.push({ slotStart, meterIds: ids.slice(i, i + this.#o.maxReportsPerBatch) });
      }
    }
    return batches;
  }

  /** Signs a silence batch for the meters found silent and publishes the signatures. */
  async signSilences(): Promise<Hex[]> {
    const hashes: Hex[] = [];
    for (const silence of this.composeSilences(this.#o.store.silences("ready"))) {
      hashes.push(await this.#signSilence(silence));
    }
    hashes.push(...(await this.#splitStaleSilences()));
    return hashes;
  }

  async #signSilence(silence: SilenceBatch): Promise<Hex> {
    const { store, account, domain, clock, metrics, logger, exchange } = this.#o;
    const hash = silenceHash(domain, silence);
    const signature = await signSilence(account, domain, silence);
    const json = silenceToJson(silence);
    store.transaction(() => {
      store.putBatch(hash, silence.slotStart, json, clock.now(), "silence");
      store.putSignature(hash, account.address, signature);
      for (const meterId of silence.meterIds)
        store.setSilenceStatus(meterId, silence.slotStart, "batched", hash);
    });
    metrics.inc("oracle_silences_signed_total", {}, silence.meterIds.length);
    logger.info("silence_batch_signed", {
      batchHash: hash,
      slotStart: silence.slotStart,
      meterIds: silence.meterIds,
    });
    const msg: SignatureMessage = {
      v: 1,
      kind: "silence",
      chainId: domain.chainId,
      market: domain.verifyingContract,
      batchHash: hash,
      reports: json,
      signer: account.address,
      signature,
    };
    await exchange?.publish(msg).catch((err: unknown) => logger.warn("signature_publish_failed", { err }));
    return hash;
  }

  /**
   * k > 1: nodes sign the same silence batch only if they found the same meters silent. One node
   * that got a reading from one of the meters signs a batch without it, and neither batch reaches
   * k. After `silenceSplitMs` such a batch is split into one batch per meter, so that the
   * disagreement holds up only that meter (which then stays unattested: the cautious side), and the
   * others reach k among the nodes that agree on them. The single batches are signed before the
   * batch is abandoned, so a crash in between only repeats the split.
   */
  async #splitStaleSilences(): Promise<Hex[]> {
    const { store, threshold, clock, logger } = this.#o;
    if (threshold <= 1) return [];
    const splitMs = this.#o.silenceSplitMs ?? 2 * this.#o.postTimeoutMs;
    const hashes: Hex[] = [];
    for (const batch of store.batches("signed")) {
      if (batch.kind !== "silence" || clock.now() - batch.createdAt < splitMs) continue;
      const silence = silenceFromJson(batch.reportsJson);
      if (silence.meterIds.length < 2) continue;
      const sigs = store.signatures(batch.batchHash).filter((x) => this.#signers.has(getAddress(x.signer)));
      if (sigs.length >= threshold) continue;
      for (const meterId of silence.meterIds) {
        hashes.push(await this.#signSilence({ slotStart: silence.slotStart, meterIds: [meterId] }));
      }
      store.setBatchStatus(batch.batchHash, "abandoned", null, clock.now());
      logger.info("silence_batch_split", {
        batchHash: batch.batchHash,
        slotStart: silence.slotStart,
        meterIds: silence.meterIds,
        signatures: sigs.length,
      });
    }
    return hashes;
  }

  /** A signature from the exchange (ours included): kept if it is a registered signer's, for this chain. */
  async receive(msg: SignatureMessage): Promise<boolean> {
    const { domain, store, logger } = this.#o;
    try {
      if (msg.v !== 1 || msg.chainId !== domain.chainId) return false;
      if (getAddress(msg.market) !== getAddress(domain.verifyingContract)) return false;
      const signer = getAddress(msg.signer);
      if (!this.#signers.has(signer)) {
        logger.warn("signature_from_unknown_signer", { signer });
        return false;
      }
      let recovered: Address;
      if (msg.kind === "silence") {
        const silence = silenceFromJson(msg.reports);
        if (silenceHash(domain, silence) !== msg.batchHash) return false;
        recovered = await recoverSilenceSigner(domain, silence, msg.signature);
      } else {
        const reports = reportsFromJson(msg.reports);
        if (batchHash(domain, reports) !== msg.batchHash) return false;
        recovered = await recoverBatchSigner(domain, reports, msg.signature);
      }
      if (recovered !== signer) {
        logger.warn("signature_invalid", { signer, batchHash: msg.batchHash });
        return false;
      }
      store.putSignature(msg.batchHash, signer, msg.signature);
      return true;
    } catch (err) {
      logger.warn("signature_message_rejected", { err });
      return false;
    }
  }

  /** Posts the batches this node is due to post. */
  async postDue(): Promise<void> {
    const { store, sink } = this.#o;
    if (!sink) return;
    const due = [...store.batches("signed"), ...store.batches("posted")];
    // Batches with a transaction already signed first (a stable sort keeps creation order).
    due.sort((a, b) => Number(a.rawTx === null) - Number(b.rawTx === null));
    await Promise.all(due.map((b) => this.#post(b)));
  }

  async #post(batch: BatchRow): Promise<void> {
    const { store, sink, account, threshold, clock, postTimeoutMs, metrics, logger, directory } = this.#o;
    const { batchHash: hash, createdAt, slotStart } = batch;
    if (!sink || this.#posting.has(hash)) return;
    const silence = batch.kind === "silence" ? silenceFromJson(batch.reportsJson) : undefined;
    if (silence && !sink.submitSilence) return;
    const reports = silence ? [] : reportsFromJson(batch.reportsJson);
    const items: MeterSlot[] = silence
      ? silence.meterIds.map((meterId) => ({ meterId, slotStart: silence.slotStart }))
      : reports;
    const what = silence ? "silence" : "report";
    const counter = silence ? "oracle_silences" : "oracle_reports";
    const first = directory.get(items[0]!.meterId);
    const slotEnd = (slotStart + (first ? directory.slotLength(first.communityId) : 0)) * 1000;
    if (this.#o.reportWindowMs !== undefined && clock.now() >= slotEnd + this.#o.reportWindowMs) {
      store.setBatchStatus(hash, "abandoned", null, clock.now());
      metrics.inc(
        silence ? "oracle_silences_abandoned_total" : "oracle_reports_skipped_total",
        {},
        items.length,
      );
      logger.warn(`${what}_batch_too_late`, { batchHash: hash, slotStart });
      return;
    }
    const sigs = store.signatures(hash).filter((s) => this.#signers.has(getAddress(s.signer)));
    if (sigs.length < threshold) return;
    const rank = sigs.map((s) => getAddress(s.signer)).indexOf(account.address);
    if (clock.now() - createdAt < Math.max(0, rank) * postTimeoutMs) return;
    const { signers, signatures } = assembleSignatures(sigs, threshold);
    this.#posting.add(hash);
    try {
      const prior = batch.txHash && batch.rawTx ? { txHash: batch.txHash, raw: batch.rawTx } : undefined;
      const hooks: SubmitHooks = {
        prior,
        onSigned: ({ txHash, raw }) => store.setBatchTransaction(hash, txHash, raw, clock.now()),
        onSent: (txHash) => {
          if (store.batch(hash)?.status !== "posted")
            metrics.inc(`${counter}_posted_total`, {}, items.length);
          store.setBatchStatus(hash, "posted", txHash, clock.now());
        },
      };
      const result: SubmitResult<MeterSlot> = silence
        ? await sink.submitSilence!({ batchHash: hash, silence, signers, signatures }, hooks)
        : await sink.submit({ batchHash: hash, reports, signers, signatures }, hooks);
      const now = clock.now();
      if (result.status === "partially-reported") {
        // Some (meter, slot)s got a report or an attestation meanwhile: the rest is re-batched.
        const missing = new Set(result.missing.map((m) => `${m.meterId}/${m.slotStart}`));
        store.transaction(() => {
          store.setBatchStatus(hash, "abandoned", null, now);
          if (silence) {
            for (const m of items) {
              const left = missing.has(`${m.meterId}/${m.slotStart}`);
              store.setSilenceStatus(m.meterId, m.slotStart, left ? "ready" : "done", left ? null : hash);
            }
          } else {
            for (const r of result.missing) {
              const row = store.slotReport(r.meterId, r.slotStart);
              if (row) store.putSlotReport({ ...row, status: "ready", reason: "late" });
            }
          }
        });
        logger.warn(`${what}_batch_partially_on_chain`, { batchHash: hash, missing: result.missing.length });
        return;
      }
      store.setBatchStatus(hash, "confirmed", result.status === "confirmed" ? result.txHash : null, now);
      if (silence) {
        // "already-reported": another node's batch (or a report) got there first.
        if (result.status === "confirmed") metrics.inc("oracle_silences_attested_total", {}, items.length);
        logger.info("silence_batch_confirmed", {
          batchHash: hash,
          result: result.status,
          slotStart,
          meterIds: silence.meterIds,
        });
        return;
      }
      metrics.inc("oracle_reports_confirmed_total", {}, reports.length);
      metrics.set("oracle_last_slot_latency_seconds", (now - slotEnd) / 1000);
      logger.info("report_batch_confirmed", { batchHash: hash, result: result.status });
    } catch (err) {
      metrics.inc("oracle_post_failures_total");
      logger.error(`${what}_batch_post_failed`, {
        batchHash: hash,
        err: (err as Error).message?.split("\n")[0],
      });
    } finally {
      this.#posting.delete(hash);
    }
  }
}
