/**
 * Silence attestations (decision 0024): which seller meters the oracle finds silent for a slot,
 * when, and how the batches are signed and posted. The chain end to end is in chain-silence.test.ts.
 */
import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BaseError, ContractFunctionRevertedError, encodeErrorResult, hashTypedData, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { Aggregator } from "../src/aggregate/aggregator.ts";
import { marketAbi } from "../src/chain/abi.ts";
import { ChainSalesView, type MarketSales, type SalesView } from "../src/chain/sales-view.ts";
import { ManualClock } from "../src/clock/clock.ts";
import { StaticMeterDirectory } from "../src/directory/json-file.ts";
import { Metrics } from "../src/http/metrics.ts";
import { silentLogger } from "../src/log/logger.ts";
import type { MeterInfo } from "../src/protocol/meter.ts";
import { ReportCoordinator } from "../src/report/coordinator.ts";
import type { SignatureExchange, SignatureMessage } from "../src/report/exchange.ts";
import type {
  MeterSlot,
  ReportSink,
  SignedBatch,
  SignedSilenceBatch,
  SubmitResult,
} from "../src/report/sink.ts";
import {
  SILENCE_TYPES,
  recoverSilenceSigner,
  reportDomain,
  silenceHash,
  type ReportDomain,
} from "../src/report/typed-data.ts";
import { SilenceWatcher, classifySeller, type SellerFacts } from "../src/silence/watcher.ts";
import { Store } from "../src/store/store.ts";
import { signed, tempDir, testFleet } from "./helpers.ts";

const SLOT = 900;
const S = 1_800_000_000 - (1_800_000_000 % SLOT); // a slot start
const GRACE = 60_000;
const WINDOW = 3_600_000;
const MARGIN = 60_000;
const endMs = (slot: number) => (slot + SLOT) * 1000;

describe("classifySeller: the choice of a silent meter", () => {
  const meter: MeterInfo = {
    meterId: 5,
    communityId: 1,
    owner: "0x0000000000000000000000000000000000000001",
    kind: "producer",
    capacityW: 1000,
    deviceKey: "0x0000000000000000000000000000000000000002",
    active: true,
  };
  const facts = (f: Partial<SellerFacts>): SellerFacts => ({
    meter,
    communityId: 1,
    readingInSlot: false,
    ingesting: false,
    row: undefined,
    evaluated: undefined,
    ...f,
  });

  it("silent: sold, no reading in the slot and no report possible", () => {
    assert.equal(classifySeller(facts({})), "silent");
    assert.equal(classifySeller(facts({ row: "skipped" })), "silent");
    assert.equal(classifySeller(facts({ evaluated: "skipped" })), "silent");
    // A deactivated meter's readings are refused: deactivating it does not dodge the attestation.
    assert.equal(classifySeller(facts({ meter: { ...meter, active: false } })), "silent");
  });

  it("never silent with a reading in the slot, whatever the aggregator made of it", () => {
    for (const row of [undefined, "ready", "waiting", "skipped", "batched"] as const) {
      assert.equal(classifySeller(facts({ readingInSlot: true, row })), "has-reading");
    }
  });

  it("never silent with a report made", () => {
    assert.equal(classifySeller(facts({ row: "ready" })), "reportable");
    assert.equal(classifySeller(facts({ row: "batched" })), "reportable");
  });

  it("undecided while a report may still come or a reading is being ingested", () => {
    assert.equal(classifySeller(facts({ row: "waiting" })), "pending");
    assert.equal(classifySeller(facts({ evaluated: "ready" })), "pending");
    assert.equal(classifySeller(facts({ evaluated: "waiting" })), "pending");
    assert.equal(classifySeller(facts({ ingesting: true })), "pending");
  });

  it("never attests a meter unknown to its directory or of another community", () => {
    assert.equal(classifySeller(facts({ meter: undefined })), "unknown-meter");
    assert.equal(classifySeller(facts({ communityId: 2 })), "other-community");
  });
});

/** A market view standing in for the chain. */
class FakeSales implements SalesView {
  readonly markets = new Map<string, MarketSales>();
  readonly chain = new Set<string>();
  reads = 0;
  fail = false;
  set(communityId: number, slot: number, sellers: number[], complete = true): void {
    this.markets.set(`${communityId}/${slot}`, { tradedWh: sellers.length ? 100n : 0n, sellers, complete });
  }
  async sales(communityId: number, slot: number): Promise<MarketSales> {
    this.reads++;
    if (this.fail) throw new Error("rpc down");
    return this.markets.get(`${communityId}/${slot}`) ?? { tradedWh: 0n, sellers: [], complete: true };
  }
  async onChain(meterId: number, slot: number): Promise<boolean> {
    return this.chain.has(`${meterId}/${slot}`);
  }
}

describe("SilenceWatcher", () => {
  const fleet = testFleet(5, 500, SLOT);
  const community = fleet.communities[0]!.communityId;
  const [A, B, C, D, E] = fleet.meters.map((m) => m.meterId) as [number, number, number, number, number];
  let store: Store;
  let clock: ManualClock;
  let sales: FakeSales;
  let aggregator: Aggregator;
  let up: boolean;
  let directory: StaticMeterDirectory;

  const watcher = (s = store) =>
    new SilenceWatcher({
      store: s,
      directory,
      aggregator,
      sales,
      clock,
      logger: silentLogger,
      metrics: new Metrics(),
      graceMs: GRACE,
      reportWindowMs: WINDOW,
      marginMs: MARGIN,
      alive: () => up,
      rescanMs: 0,
      heartbeatGapMs: Infinity,
    });

  /** A reading of `meterId` at `tsMs` (counters growing with time). */
  async function read(meterId: number, tsMs: number, seq: number): Promise<void> {
    const wh = Math.floor((tsMs - S * 1000) / 10_000) + 1_000;
    store.insertReadings([await signed(meterId, { seq, ts: tsMs, importWh: 0, exportWh: wh })]);
  }

  const silentOf = (slot = S) => [
    ...store
      .silences("ready")
      .filter((r) => r.slotStart === slot)
      .map((r) => r.meterId),
  ];

  beforeEach(() => {
    store = new Store(":memory:");
    clock = new ManualClock(S * 1000 - 60_000);
    sales = new FakeSales();
    up = true;
    directory = new StaticMeterDirectory(fleet);
    aggregator = new Aggregator({
      store,
      directory,
      clock,
      logger: silentLogger,
      metrics: new Metrics(),
      graceMs: GRACE,
      maxWaitMs: 1_800_000,
      maxGapMs: WINDOW,
    });
  });

  it("attests the seller that sent nothing, not the one that reported nor a meter that did not sell", async () => {
    const w = watcher();
    w.heartbeat(); // watching since before the slot
    // A (seller) reports all through the slot; B (seller) sends nothing; C sends nothing but did not sell.
    for (let k = 0, seq = 1; k <= SLOT / 60 + 1; k++) await read(A, S * 1000 + k * 60_000, seq++);
    sales.set(community, S, [A, B]);
    clock.set(endMs(S) + GRACE - 1);
    aggregator.tick();
    assert.equal(await w.scan(), 0, "nothing before the readings are due (slot end + grace)");
    clock.set(endMs(S) + GRACE);
    aggregator.tick();
    assert.equal(store.slotReport(A, S)?.status, "ready");
    assert.equal(await w.scan(), 1);
    assert.deepEqual(silentOf(), [B]);
    assert.equal(store.silenceSlotOutcome(community, S), "checked");
    // Closed: a second scan reads nothing and adds nothing.
    const reads = sales.reads;
    assert.equal(await w.scan(), 0);
    assert.equal(sales.reads, reads, "a closed slot is not read again");
    assert.equal(store.silences("ready").length, 1);
  });

  it("a meter with one reading inside the slot is never attested, even when no report can be made", async () => {
    const w = watcher();
    w.heartbeat();
    await read(A, S * 1000 + 300_000, 1); // one reading mid-slot, then nothing
    sales.set(community, S, [A]);
    clock.set(endMs(S) + GRACE);
    aggregator.tick();
    assert.equal(await w.scan(), 0);
    clock.set(endMs(S) + 1_800_001); // past the aggregator's wait: skipped, no report
    aggregator.tick();
    assert.equal(store.slotReport(A, S)?.status, "skipped");
    assert.equal(await w.scan(), 0);
    assert.deepEqual(silentOf(), []);
  });

  it("waits for a meter whose closing reading may still come; attests it once the aggregator gives up", async () => {
    const w = watcher();
    w.heartbeat();
    await read(A, S * 1000 - 120_000, 1); // last reading 2 min before the slot: its end is pending
    sales.set(community, S, [A]);
    clock.set(endMs(S) + GRACE);
    aggregator.tick();
    assert.equal(store.slotReport(A, S)?.status, "waiting");
    assert.equal(await w.scan(), 0);
    assert.equal(store.silenceSlotOutcome(community, S), undefined, "the slot stays open");
    clock.set(endMs(S) + 1_800_001);
    aggregator.tick();
    assert.equal(store.slotReport(A, S)?.status, "skipped");
    assert.equal(await w.scan(), 1);
    assert.deepEqual(silentOf(), [A]);
  });

  it("a meter that came back with a reading the slot can be interpolated from gets its report instead", async () => {
    const w = watcher();
    w.heartbeat();
    await read(A, S * 1000 - 120_000, 1);
    sales.set(community, S, [A]);
    clock.set(endMs(S) + GRACE);
    aggregator.tick();
    await read(A, endMs(S) + 120_000, 2); // back 2 min after the slot
    clock.set(endMs(S) + 130_000);
    aggregator.tick();
    assert.equal(store.slotReport(A, S)?.status, "ready");
    assert.equal(await w.scan(), 0);
    assert.deepEqual(silentOf(), []);
    assert.equal(store.silenceSlotOutcome(community, S), "checked");
  });

  it("sellers attributed later (makers claimed after the first look) are attested then", async () => {
    const w = watcher();
    w.heartbeat();
    sales.set(community, S, [B], false);
    clock.set(endMs(S) + GRACE);
    assert.equal(await w.scan(), 1);
    assert.equal(store.silenceSlotOutcome(community, S), undefined, "open while asks are unattributed");
    sales.set(community, S, [B, D], true);
    clock.advance(10_000);
    assert.equal(await w.scan(), 1);
    assert.deepEqual(silentOf(), [B, D]);
    assert.equal(store.silenceSlotOutcome(community, S), "checked");
  });

  it("attests nothing for a slot the oracle did not watch from its start (oracle down)", async () => {
    const w = watcher();
    up = false;
    w.heartbeat(); // the broker is not running: not watching
    clock.set(S * 1000 + 5_000);
    up = true;
    w.heartbeat(); // up again 5 s into the slot
    sales.set(community, S, [B]);
    clock.set(endMs(S) + GRACE);
    assert.equal(await w.scan(), 0);
    assert.equal(store.silenceSlotOutcome(community, S), "oracle_down");
    // The next slot was watched throughout.
    sales.set(community, S + SLOT, [B]);
    clock.set(endMs(S + SLOT) + GRACE);
    assert.equal(await w.scan(), 1);
    assert.deepEqual(silentOf(S + SLOT), [B]);
  });

  it("a restart (a new process on the same store) does not count as watching", async () => {
    const dir = tempDir("oracle-silence-");
    try {
      const path = `${dir.path}/oracle.sqlite`;
      store = new Store(path);
      watcher().heartbeat();
      clock.set(S * 1000 + 200_000);
      store.close();
      store = new Store(path);
      const w2 = watcher();
      w2.heartbeat(); // a new uptime interval from now
      sales.set(community, S, [B]);
      clock.set(endMs(S) + GRACE);
      assert.equal(await w2.scan(), 0);
      assert.equal(store.silenceSlotOutcome(community, S), "oracle_down");
      store.close();
    } finally {
      dir.remove();
    }
  });

  it("skips meters already reported or attested on chain, and unknown meters", async () => {
    const w = watcher();
    w.heartbeat();
    sales.chain.add(`${B}/${S}`);
    sales.set(community, S, [B, E, 99_999]);
    clock.set(endMs(S) + GRACE);
    assert.equal(await w.scan(), 1);
    assert.deepEqual(silentOf(), [E]);
    assert.equal(store.silence(B, S)?.status, "done");
    assert.equal(store.silence(99_999, S), undefined);
  });

  it("records nothing once the window is nearly over, and keeps an open slot on a failed chain read", async () => {
    const w = watcher();
    w.heartbeat();
    sales.set(community, S, [B]);
    sales.fail = true;
    clock.set(endMs(S) + GRACE);
    assert.equal(await w.scan(), 0);
    assert.equal(store.silenceSlotOutcome(community, S), undefined);
    sales.fail = false;
    clock.set(endMs(S) + WINDOW - MARGIN);
    assert.equal(await w.scan(), 0, "too late to attest");
    assert.deepEqual(silentOf(), []);
    clock.set(endMs(S) + WINDOW - MARGIN - 1);
    assert.equal(await w.scan(), 1);
  });

  it("a closed slot stays closed until its window ends (the dev stack's 5-min window and 15-min slots)", async () => {
    const metrics = new Metrics();
    const devWatcher = (window: number) =>
      new SilenceWatcher({
        store,
        directory,
        aggregator,
        sales,
        clock,
        logger: silentLogger,
        metrics,
        graceMs: GRACE,
        reportWindowMs: window,
        marginMs: MARGIN,
        alive: () => true,
        rescanMs: 0,
        heartbeatGapMs: Infinity,
      });
    clock.set(S * 1000 + 60_000); // started during slot S: not watched
    const w = devWatcher(300_000);
    w.heartbeat();
    sales.set(community, S, [B]);
    sales.set(community, S + SLOT, [B]);
    for (let t = endMs(S) + GRACE; t < endMs(S) + 300_000; t += 10_000) {
      clock.set(t);
      await w.scan();
    }
    assert.equal(metrics.get("oracle_silence_slots_skipped_total", { reason: "oracle_down" }), 1, "once");
    assert.equal(sales.reads, 0);
    for (let t = endMs(S + SLOT) + GRACE; t < endMs(S + SLOT) + 300_000; t += 10_000) {
      clock.set(t);
      await w.scan();
    }
    assert.deepEqual(silentOf(S + SLOT), [B]);
    assert.equal(sales.reads, 1, "a checked slot is read once");
  });

  it("waits while a reading of the seller is being ingested", async () => {
    let ingesting = true;
    const w = new SilenceWatcher({
      store,
      directory,
      aggregator,
      sales,
      clock,
      logger: silentLogger,
      metrics: new Metrics(),
      graceMs: GRACE,
      reportWindowMs: WINDOW,
      marginMs: MARGIN,
      alive: () => true,
      ingesting: () => ingesting,
      rescanMs: 0,
      heartbeatGapMs: Infinity,
    });
    w.heartbeat();
    sales.set(community, S, [B]);
    clock.set(endMs(S) + GRACE);
    assert.equal(await w.scan(), 0);
    ingesting = false;
    assert.equal(await w.scan(), 1);
  });
});

/** A sink standing in for DeliverySettlement: one report or attestation per (meter, slot). */
class SilenceSink implements ReportSink {
  readonly maxReportsPerBatch = 2;
  readonly chain = new Set<string>();
  readonly posted: SignedSilenceBatch[] = [];
  async submit(_batch: SignedBatch): Promise<SubmitResult> {
    throw new Error("no reports here");
  }
  async submitSilence(batch: SignedSilenceBatch): Promise<SubmitResult<MeterSlot>> {
    const items = batch.silence.meterIds.map((meterId) => ({ meterId, slotStart: batch.silence.slotStart }));
    const missing = items.filter((i) => !this.chain.has(`${i.meterId}/${i.slotStart}`));
    if (missing.length === 0) return { status: "already-reported" };
    if (missing.length < items.length) return { status: "partially-reported", missing };
    this.posted.push(batch);
    for (const i of items) this.chain.add(`${i.meterId}/${i.slotStart}`);
    return { status: "confirmed", txHash: `0x${"cd".repeat(32)}` };
  }
}

describe("silence batches: signing and posting", () => {
  const account = privateKeyToAccount(`0x${"a1".repeat(32)}`);
  const domain: ReportDomain = {
    chainId: 31337,
    verifyingContract: "0x00000000000000000000000000000000000000aa",
  };
  const fleet = testFleet(5, 700, SLOT);
  const ids = fleet.meters.map((m) => m.meterId);

  function coordinator(store: Store, sink: SilenceSink, metrics: Metrics, clock: ManualClock) {
    return new ReportCoordinator({
      store,
      directory: new StaticMeterDirectory(fleet),
      account,
      domain,
      signers: [account.address],
      threshold: 1,
      maxReportsPerBatch: sink.maxReportsPerBatch,
      postTimeoutMs: 30_000,
      reportWindowMs: WINDOW,
      clock,
      logger: silentLogger,
      metrics,
      sink,
    });
  }

  it("signs the SilenceBatch typed data of DeliverySettlement.silenceDigest", async () => {
    const batch = { slotStart: S, meterIds: [3, 9] };
    const viaTypes = hashTypedData({
      domain: reportDomain(domain),
      types: SILENCE_TYPES,
      primaryType: "SilenceBatch",
      message: batch,
    });
    assert.equal(silenceHash(domain, batch), viaTypes);
    const store = new Store(":memory:");
    for (const meterId of batch.meterIds)
      store.putSilence({ meterId, slotStart: S, communityId: 1, status: "ready" });
    const c = coordinator(store, new SilenceSink(), new Metrics(), new ManualClock(endMs(S) + GRACE));
    const [hash] = await c.signSilences();
    assert.equal(hash, viaTypes);
    const [sig] = store.signatures(hash!);
    assert.equal(await recoverSilenceSigner(domain, batch, sig!.signature as Hex), account.address);
    assert.notEqual(silenceHash({ ...domain, chainId: 137 }, batch), hash);
    assert.notEqual(silenceHash(domain, { ...batch, meterIds: [3] }), hash);
  });

  it("posts per slot in sorted chunks, counts the attested, and re-batches what another node did not", async () => {
    const store = new Store(":memory:");
    const sink = new SilenceSink();
    const metrics = new Metrics();
    const clock = new ManualClock(endMs(S) + GRACE);
    const c = coordinator(store, sink, metrics, clock);
    for (const meterId of [ids[2]!, ids[0]!, ids[1]!])
      store.putSilence({ meterId, slotStart: S, communityId: 1, status: "ready" });
    // Another node attested ids[2] meanwhile: the second chunk is all on chain, the first is posted.
    sink.chain.add(`${ids[2]}/${S}`);
    const hashes = await c.signSilences();
    assert.equal(hashes.length, 2, "chunks of maxReportsPerBatch");
    assert.equal(await c.signSilences().then((h) => h.length), 0, "signed once");
    await c.postDue();
    assert.deepEqual(
      sink.posted.map((b) => b.silence),
      [{ slotStart: S, meterIds: [ids[0], ids[1]] }],
    );
    assert.equal(metrics.get("oracle_silences_attested_total"), 2);
    assert.equal(store.batches("confirmed").length, 2);
    // A partial batch: the meters still missing go back to be signed again.
    store.putSilence({ meterId: ids[3]!, slotStart: S, communityId: 1, status: "ready" });
    store.putSilence({ meterId: ids[4]!, slotStart: S, communityId: 1, status: "ready" });
    await c.signSilences();
    sink.chain.add(`${ids[4]}/${S}`);
    await c.postDue();
    assert.equal(store.silence(ids[3]!, S)?.status, "ready");
    assert.equal(store.silence(ids[4]!, S)?.status, "done");
    await c.signSilences();
    await c.postDue();
    assert.deepEqual(sink.posted.at(-1)!.silence, { slotStart: S, meterIds: [ids[3]] });
    assert.equal(metrics.get("oracle_silences_attested_total"), 3);
  });

  it("abandons a batch whose report window is over", async () => {
    const store = new Store(":memory:");
    const sink = new SilenceSink();
    const metrics = new Metrics();
    const clock = new ManualClock(endMs(S) + GRACE);
    const c = coordinator(store, sink, metrics, clock);
    store.putSilence({ meterId: ids[0]!, slotStart: S, communityId: 1, status: "ready" });
    await c.signSilences();
    clock.set(endMs(S) + WINDOW);
    await c.postDue();
    assert.equal(sink.posted.length, 0);
    assert.equal(store.batches("abandoned").length, 1);
    assert.equal(metrics.get("oracle_silences_abandoned_total"), 1);
  });
});

/** An in-memory signatures topic: every published message reaches every node. */
class LocalExchange implements SignatureExchange {
  readonly #handlers: ((msg: SignatureMessage) => void)[] = [];
  async publish(msg: SignatureMessage): Promise<void> {
    for (const h of this.#handlers) h(msg);
  }
  onMessage(handler: (msg: SignatureMessage) => void): void {
    this.#handlers.push(handler);
  }
  async close(): Promise<void> {}
}

describe("silence batches with k = 2 of 2 nodes", () => {
  const keys: Hex[] = [`0x${"b1".repeat(32)}`, `0x${"c2".repeat(32)}`];
  const accounts = keys.map((k) => privateKeyToAccount(k));
  const domain: ReportDomain = {
    chainId: 31337,
    verifyingContract: "0x00000000000000000000000000000000000000bb",
  };
  const fleet = testFleet(3, 900, SLOT);
  const [x, y] = fleet.meters.map((m) => m.meterId) as [number, number];

  it("nodes that disagree on one meter split their batch and attest the meter they agree on", async () => {
    const clock = new ManualClock(endMs(S) + GRACE);
    const exchange = new LocalExchange();
    const sink = new SilenceSink();
    const nodes = accounts.map((account) => {
      const store = new Store(":memory:");
      const metrics = new Metrics();
      const coordinator = new ReportCoordinator({
        store,
        directory: new StaticMeterDirectory(fleet),
        account,
        domain,
        signers: accounts.map((a) => a.address),
        threshold: 2,
        maxReportsPerBatch: 50,
        postTimeoutMs: 30_000,
        reportWindowMs: WINDOW,
        clock,
        logger: silentLogger,
        metrics,
        sink,
        exchange,
      });
      return { store, coordinator, metrics };
    });
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    // Node a found x and y silent; node b got a reading from y and found only x.
    a.store.putSilence({ meterId: x, slotStart: S, communityId: 1, status: "ready" });
    a.store.putSilence({ meterId: y, slotStart: S, communityId: 1, status: "ready" });
    b.store.putSilence({ meterId: x, slotStart: S, communityId: 1, status: "ready" });
    for (const n of nodes) await n.coordinator.signSilences();
    await new Promise((r) => setImmediate(r)); // signatures delivered
    for (const n of nodes) await n.coordinator.postDue();
    assert.equal(sink.posted.length, 0, "different batches: neither reaches k");
    // Not yet stale: nothing split.
    clock.advance(59_000);
    for (const n of nodes) assert.deepEqual(await n.coordinator.signSilences(), []);
    clock.advance(1_000);
    for (const n of nodes) await n.coordinator.signSilences();
    await new Promise((r) => setImmediate(r));
    clock.advance(30_000); // past the backup poster's delay too
    for (const n of nodes) await n.coordinator.postDue();
    assert.deepEqual(
      sink.posted.map((p) => p.silence),
      [{ slotStart: S, meterIds: [x] }],
      "x attested by both; y, on which they disagree, never",
    );
    assert.equal(sink.posted[0]!.signers.length, 2);
    assert.equal(a.store.silence(y, S)?.status, "batched");
    for (const n of nodes) await n.coordinator.postDue();
    assert.equal(sink.posted.length, 1, "posted once");
  });
});

describe("ChainSalesView: the sellers of a closed slot (decision 0029)", () => {
  const MARKET = "0x00000000000000000000000000000000000000aa" as const;
  const communityId = 3;
  const marketId = (BigInt(communityId) << 40n) | BigInt(S);
  const orderId = (isBid: boolean, index: number) =>
    (marketId << 40n) | ((isBid ? 1n : 0n) << 32n) | (250n << 16n) | BigInt(index);

  /** A public client answering the market's views from a book: unclaimed orders and claimed sellers. */
  function fakeClient(o: {
    tradedWh: bigint;
    resolvedAskWh: bigint;
    orders: Map<bigint, { meterId: number; filledWh: bigint }>;
    marketSellers: number[];
  }) {
    const placed = [...o.orders.keys(), orderId(false, 9)]; // ask 9 was claimed (gone)
    return {
      getContractEvents: async (q: { eventName: string; args: { marketId: bigint } }) => {
        assert.equal(q.eventName, "OrderPlaced");
        assert.equal(q.args.marketId, marketId);
        return placed.map((id) => ({ args: { orderId: id, marketId } }));
      },
      readContract: async (q: { functionName: string; args: readonly unknown[] }) => {
        if (q.functionName === "marketTotals")
          return { tradedWh: o.tradedWh, resolvedAskWh: o.resolvedAskWh, tradedValue: 0n, feeBps: 0 };
        if (q.functionName === "marketSellers")
          return [o.marketSellers.slice(Number(q.args[1])), BigInt(o.marketSellers.length)];
        if (q.functionName === "order") {
          const r = o.orders.get(q.args[0] as bigint);
          if (!r) {
            const data = encodeErrorResult({
              abi: marketAbi,
              errorName: "UnknownOrder",
              args: [q.args[0] as bigint],
            });
            throw new BaseError("reverted", {
              cause: new ContractFunctionRevertedError({ abi: marketAbi, data, functionName: "order" }),
            });
          }
          return ["0x0000000000000000000000000000000000000001", r.meterId, 100n, 0n, r.filledWh];
        }
        throw new Error(`unexpected read ${q.functionName}`);
      },
    };
  }

  it("a maker-only seller whose filled ask is not claimed is a seller; unfilled asks and bids are not", async () => {
    const orders = new Map([
      [orderId(false, 0), { meterId: 7, filledWh: 100n }], // maker-only seller, never claimed
      [orderId(false, 1), { meterId: 8, filledWh: 0n }], // ask that filled nothing
      [orderId(true, 2), { meterId: 9, filledWh: 50n }], // a bid
    ]);
    // 250 Wh traded: 100 from meter 7's unclaimed ask, 150 attributed (meter 5 took; ask 9 claimed by meter 6).
    const client = fakeClient({ tradedWh: 250n, resolvedAskWh: 150n, orders, marketSellers: [5, 6] });
    const view = new ChainSalesView(client as never, MARKET, MARKET);
    assert.deepEqual(await view.sales(communityId, S), {
      tradedWh: 250n,
      sellers: [5, 6, 7],
      complete: true,
    });

    // A fill not accounted for (an ask claimed between the reads): not complete, read again later.
    const racing = fakeClient({ tradedWh: 250n, resolvedAskWh: 100n, orders, marketSellers: [5, 6] });
    assert.equal(
      (await new ChainSalesView(racing as never, MARKET, MARKET).sales(communityId, S)).complete,
      false,
    );
  });

  it("the watcher attests the silent maker-only seller the view names", async () => {
    // The watcher's side is SalesView-agnostic: once the view names meter 7, classifySeller decides.
    assert.equal(
      classifySeller({
        meter: { meterId: 7, communityId, kind: "prosumer", active: true } as unknown as MeterInfo,
        communityId,
        readingInSlot: false,
        ingesting: false,
        row: undefined,
        evaluated: undefined,
      }),
      "silent",
    );
  });
});
