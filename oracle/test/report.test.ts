/**
 * Report signing (EIP-712) and the k-of-n meeting of signatures: three oracle nodes, k = 2, over a
 * real broker (an embedded Aedes, or MQTT_URL's broker).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodeFunctionData,
  encodeFunctionData,
  getAddress,
  recoverTypedDataAddress,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { EmbeddedBroker } from "../src/broker/embedded.ts";
import { marketAbi } from "../src/chain/abi.ts";
import { ManualClock } from "../src/clock/clock.ts";
import { StaticMeterDirectory } from "../src/directory/json-file.ts";
import { Metrics } from "../src/http/metrics.ts";
import { silentLogger } from "../src/log/logger.ts";
import { ReportCoordinator } from "../src/report/coordinator.ts";
import { MqttSignatureExchange, type SignatureMessage } from "../src/report/exchange.ts";
import {
  assembleSignatures,
  type ReportSink,
  type SignedBatch,
  type SubmitResult,
} from "../src/report/sink.ts";
import {
  REPORT_TYPES,
  batchHash,
  recoverBatchSigner,
  reportDomain,
  signBatch,
  type MeterReport,
  type ReportDomain,
} from "../src/report/typed-data.ts";
import { Store } from "../src/store/store.ts";
import { EXTERNAL_MQTT_URL, idBase, testFleet, until } from "./helpers.ts";

const keys: Hex[] = [`0x${"a1".repeat(32)}`, `0x${"b2".repeat(32)}`, `0x${"c3".repeat(32)}`];
const accounts = keys.map((k) => privateKeyToAccount(k));
const market = privateKeyToAccount(
  `0x${"0d".repeat(31)}${idBase().toString(16).slice(-2).padStart(2, "0")}`,
).address;
const domain: ReportDomain = { chainId: 31337, verifyingContract: market };

const reports: MeterReport[] = [
  { meterId: 7, slotStart: 1_800_000_000, importedWh: 120n, exportedWh: 0n },
  { meterId: 9, slotStart: 1_800_000_000, importedWh: 0n, exportedWh: 2_500n },
];

describe("EIP-712 report batches", () => {
  it("signs a batch that recovers to the signer, bound to chain id and contract", async () => {
    const sig = await signBatch(accounts[0]!, domain, reports);
    assert.equal(await recoverBatchSigner(domain, reports, sig), accounts[0]!.address);
    const viaViem = await recoverTypedDataAddress({
      domain: reportDomain(domain),
      types: REPORT_TYPES,
      primaryType: "ReportBatch",
      message: { reports },
      signature: sig,
    });
    assert.equal(viaViem, accounts[0]!.address);
    assert.notEqual(
      await recoverBatchSigner({ ...domain, chainId: 137 }, reports, sig),
      accounts[0]!.address,
    );
    const tampered = [{ ...reports[0]!, importedWh: 121n }, reports[1]!];
    assert.notEqual(await recoverBatchSigner(domain, tampered, sig), accounts[0]!.address);
    assert.notEqual(batchHash(domain, reports), batchHash(domain, tampered));
  });

  it("assembles signatures sorted ascending by signer, without duplicates", () => {
    const sigs = accounts.map((a, i) => ({ signer: a.address, signature: `0x0${i}` as Hex }));
    const dup = { signer: accounts[1]!.address.toLowerCase() as Address, signature: "0x09" as Hex };
    const { signers, signatures } = assembleSignatures([sigs[2]!, dup, sigs[0]!, sigs[1]!], 3);
    const sorted = [...accounts.map((a) => a.address)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    assert.deepEqual(
      signers.map((s) => getAddress(s)),
      sorted,
    );
    assert.equal(new Set(signers.map((s) => s.toLowerCase())).size, 3);
    assert.equal(signatures.length, 3);
  });
});

/** A sink standing in for the contract: it records calldata and refuses a second report per meter+slot. */
class RecordingSink implements ReportSink {
  readonly maxReportsPerBatch = 50;
  readonly calls: { node: Address; data: Hex }[] = [];
  readonly node: Address;
  readonly chain: Set<string>;
  constructor(node: Address, chain: Set<string>) {
    this.node = node;
    this.chain = chain;
  }
  async submit(batch: SignedBatch): Promise<SubmitResult> {
    const missing = batch.reports.filter((r) => !this.chain.has(`${r.meterId}:${r.slotStart}`));
    if (missing.length === 0) return { status: "already-reported" };
    const data = encodeFunctionData({
      abi: marketAbi,
      functionName: "submitReports",
      args: [batch.reports, batch.signers, batch.signatures],
    });
    this.calls.push({ node: this.node, data });
    for (const r of batch.reports) this.chain.add(`${r.meterId}:${r.slotStart}`);
    return { status: "confirmed", txHash: `0x${"ab".repeat(32)}` };
  }
}

describe("k-of-n signature meeting: 3 nodes, k = 2", () => {
  let broker: EmbeddedBroker | undefined;
  let url: string;
  const chain = new Set<string>();
  const clock = new ManualClock(1_800_000_000_000);
  const nodes: {
    coordinator: ReportCoordinator;
    store: Store;
    sink: RecordingSink;
    exchange: MqttSignatureExchange;
  }[] = [];
  const fleet = testFleet(3, 7);
  const directory = new StaticMeterDirectory(fleet);

  before(async () => {
    if (EXTERNAL_MQTT_URL) url = EXTERNAL_MQTT_URL;
    else {
      broker = new EmbeddedBroker({ port: 0, logger: silentLogger });
      await broker.start();
      url = broker.url;
    }
    for (const account of accounts) {
      const store = new Store(":memory:");
      const sink = new RecordingSink(account.address, chain);
      const exchange = await MqttSignatureExchange.connect(
        url,
        `kofn-${account.address.slice(2, 10)}-${idBase()}`,
        silentLogger,
      );
      const coordinator = new ReportCoordinator({
        store,
        directory,
        account,
        domain,
        signers: accounts.map((a) => a.address),
        threshold: 2,
        maxReportsPerBatch: 50,
        postTimeoutMs: 30_000,
        clock,
        logger: silentLogger,
        metrics: new Metrics(),
        sink,
        exchange,
      });
      nodes.push({ coordinator, store, sink, exchange });
    }
  });
  after(async () => {
    for (const n of nodes) {
      await n.exchange.close();
      n.store.close();
    }
    await broker?.close();
  });

  const ready = (store: Store, r: MeterReport) =>
    store.putSlotReport({
      meterId: r.meterId,
      slotStart: r.slotStart,
      communityId: 7,
      importedWh: Number(r.importedWh),
      exportedWh: Number(r.exportedWh),
      status: "ready",
      reason: null,
    });

  it("nodes sign identical batches, meet on the signatures topic, and exactly one posts", async () => {
    for (const n of nodes) for (const r of reports) ready(n.store, r);
    const hashes = await Promise.all(nodes.map((n) => n.coordinator.signReady()));
    assert.equal(hashes[0]!.length, 1);
    assert.ok(
      hashes.every((h) => h[0] === hashes[0]![0]),
      "deterministic composition: one batch hash",
    );
    const hash = hashes[0]![0]!;
    await until(() => nodes.every((n) => n.store.signatures(hash).length === 3), 10_000, "all signatures");

    await Promise.all(nodes.map((n) => n.coordinator.postDue()));
    const calls = nodes.flatMap((n) => n.sink.calls);
    assert.equal(calls.length, 1, "only the designated poster posts at once");
    const lowest = [...accounts.map((a) => a.address)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))[0];
    assert.equal(calls[0]!.node, lowest);

    const { args } = decodeFunctionData({ abi: marketAbi, data: calls[0]!.data });
    const [posted, signers, signatures] = args as readonly [
      readonly MeterReport[],
      readonly Address[],
      readonly Hex[],
    ];
    assert.equal(signers.length, 2);
    assert.ok(BigInt(signers[0]!) < BigInt(signers[1]!), "signers strictly ascending");
    for (let i = 0; i < signers.length; i++) {
      const recovered = await recoverTypedDataAddress({
        domain: reportDomain(domain),
        types: REPORT_TYPES,
        primaryType: "ReportBatch",
        message: { reports: posted },
        signature: signatures[i]!,
      });
      assert.equal(recovered, signers[i]);
    }
    assert.equal(nodes.find((n) => n.sink.node === lowest)!.store.batch(hash)!.status, "confirmed");
  });

  it("a backup node posts after its timeout and finds the reports already on chain", async () => {
    const hash = nodes.flatMap((n) => n.store.batches("confirmed"))[0]!.batchHash;
    clock.advance(61_000);
    await Promise.all(nodes.map((n) => n.coordinator.postDue()));
    assert.equal(nodes.flatMap((n) => n.sink.calls).length, 1, "no second post");
    for (const n of nodes) assert.equal(n.store.batch(hash)!.status, "confirmed");
  });

  it("ignores signatures of unregistered signers, other chains, and forged ones", async () => {
    const node = nodes[0]!.coordinator;
    const stranger = privateKeyToAccount(`0x${"ee".repeat(32)}`);
    const json = JSON.stringify(
      reports.map((r) => [r.meterId, r.slotStart, r.importedWh.toString(), r.exportedWh.toString()]),
    );
    const msg = async (
      account = stranger,
      d = domain,
      signer: Address = account.address,
    ): Promise<SignatureMessage> => ({
      v: 1,
      chainId: d.chainId,
      market: d.verifyingContract,
      batchHash: batchHash(d, reports),
      reports: json,
      signer,
      signature: await signBatch(account, d, reports),
    });
    assert.equal(await node.receive(await msg()), false, "unregistered signer");
    assert.equal(
      await node.receive(await msg(accounts[1]!, { ...domain, chainId: 1 })),
      false,
      "other chain",
    );
    assert.equal(
      await node.receive(await msg(stranger, domain, accounts[2]!.address)),
      false,
      "forged signer",
    );
    assert.equal(await node.receive(await msg(accounts[1]!)), true);
  });

  it("a node that computed different data cannot complete a batch alone", async () => {
    const slot = 1_800_000_900;
    const mine: MeterReport = { meterId: 7, slotStart: slot, importedWh: 10n, exportedWh: 0n };
    ready(nodes[0]!.store, mine);
    ready(nodes[1]!.store, { ...mine, importedWh: 11n });
    ready(nodes[2]!.store, { ...mine, importedWh: 12n });
    const hashes = (await Promise.all(nodes.map((n) => n.coordinator.signReady()))).map((h) => h[0]!);
    assert.equal(new Set(hashes).size, 3);
    await new Promise((r) => setTimeout(r, 300));
    clock.advance(120_000);
    const before = nodes.flatMap((n) => n.sink.calls).length;
    await Promise.all(nodes.map((n) => n.coordinator.postDue()));
    assert.equal(nodes.flatMap((n) => n.sink.calls).length, before, "no batch reached k = 2");
  });
});
