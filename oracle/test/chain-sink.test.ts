/**
 * The chain sink against viem with an injected JSON-RPC transport (viem `custom`) that plays a node:
 * RPC outages (N failures), gas prices above the cap, nonce handling, and the pre-post `reportOf`
 * check. (The on-chain end-to-end test comes with the contract.)
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createPublicClient,
  custom,
  decodeFunctionData,
  defineChain,
  encodeFunctionResult,
  keccak256,
  parseTransaction,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { marketAbi } from "../src/chain/abi.ts";
import { ChainReportSink } from "../src/chain/report-sink.ts";
import { Metrics } from "../src/http/metrics.ts";
import { silentLogger } from "../src/log/logger.ts";
import type { SignedBatch, SignedTransaction } from "../src/report/sink.ts";
import { ReportCoordinator } from "../src/report/coordinator.ts";
import { Store } from "../src/store/store.ts";
import { StaticMeterDirectory } from "../src/directory/json-file.ts";
import { ManualClock } from "../src/clock/clock.ts";
import { testFleet, tempDir } from "./helpers.ts";

const chain = defineChain({
  id: 31337,
  name: "test",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: ["http://127.0.0.1:1"] } },
});
const market = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const account = privateKeyToAccount(`0x${"42".repeat(32)}`);
const gwei = 1_000_000_000n;
const hex = (n: bigint | number) => `0x${n.toString(16)}`;

class RpcError extends Error {
  code: number;
  constructor(message: string, code = -32000) {
    super(message);
    this.code = code;
  }
}

/** A scriptable JSON-RPC node. */
class FakeNode {
  calls: string[] = [];
  failures: Record<string, number> = {};
  baseFees: bigint[] = [];
  baseFee = 30n * gwei;
  nonce = 5;
  nonceTooLowOnce = false;
  onChain = new Set<string>();
  sent: Hex[] = [];
  receiptsAfterPolls = 1;
  /** Reject a transaction whose nonce is below the account's (a nonce already used). */
  strictNonces = false;
  /** Known but not mined: no receipt for this many more polls. */
  unmined = new Map<Hex, number>();
  #polls = 0;
  #receipts = new Map<Hex, Hex>();

  async request({ method, params }: { method: string; params?: unknown }): Promise<unknown> {
    this.calls.push(method);
    if ((this.failures[method] ?? 0) > 0) {
      this.failures[method]!--;
      throw new Error(`ECONNREFUSED: ${method} unavailable`);
    }
    const p = (params ?? []) as unknown[];
    switch (method) {
      case "eth_chainId":
        return hex(chain.id);
      case "eth_call": {
        const { data } = p[0] as { data: Hex };
        const { args } = decodeFunctionData({ abi: marketAbi, data });
        const [meterId, slotStart] = args as [number, number];
        const exists = this.onChain.has(`${meterId}:${slotStart}`);
        return encodeFunctionResult({ abi: marketAbi, functionName: "reportOf", result: [exists, 0n, 0n] });
      }
      case "eth_estimateGas":
        return hex(150_000);
      case "eth_getBlockByNumber": {
        const baseFee = this.baseFees.shift() ?? this.baseFee;
        return {
          number: "0x10",
          hash: `0x${"11".repeat(32)}`,
          timestamp: "0x1",
          baseFeePerGas: hex(baseFee),
          transactions: [],
        };
      }
      case "eth_getTransactionCount":
        return hex(this.nonce);
      case "eth_sendRawTransaction": {
        const raw = p[0] as Hex;
        if (this.nonceTooLowOnce) {
          this.nonceTooLowOnce = false;
          this.nonce += 1;
          throw new RpcError("nonce too low");
        }
        const tx = parseTransaction(raw);
        if (this.#receipts.has(keccak256(raw))) {
          this.sent.push(raw);
          throw new RpcError("already known");
        }
        if (this.strictNonces && tx.nonce! < this.nonce) throw new RpcError("nonce too low");
        this.sent.push(raw);
        const { args } = decodeFunctionData({ abi: marketAbi, data: tx.data! });
        for (const r of args[0] as readonly { meterId: number; slotStart: number }[])
          this.onChain.add(`${r.meterId}:${r.slotStart}`);
        this.#receipts.set(keccak256(raw), raw);
        this.nonce = Math.max(this.nonce, tx.nonce! + 1);
        return keccak256(raw);
      }
      case "eth_getTransactionReceipt": {
        const hash = p[0] as Hex;
        const unmined = this.unmined.get(hash);
        if (unmined !== undefined) {
          if (unmined > 0) {
            this.unmined.set(hash, unmined - 1);
            return null;
          }
          this.unmined.delete(hash);
        }
        if (!this.#receipts.has(hash) || ++this.#polls <= this.receiptsAfterPolls) return null;
        return {
          transactionHash: hash,
          transactionIndex: "0x0",
          blockHash: `0x${"22".repeat(32)}`,
          blockNumber: "0x11",
          from: account.address.toLowerCase(),
          to: market.toLowerCase(),
          cumulativeGasUsed: "0x30000",
          gasUsed: "0x30000",
          effectiveGasPrice: hex(this.baseFee),
          contractAddress: null,
          logs: [],
          logsBloom: `0x${"00".repeat(256)}`,
          status: "0x1",
          type: "0x2",
        };
      }
      default:
        throw new RpcError(`method ${method} not supported`, -32601);
    }
  }
}

function setup(node: FakeNode, extra: Partial<ConstructorParameters<typeof ChainReportSink>[0]> = {}) {
  const publicClient = createPublicClient({
    chain,
    transport: custom(node, { retryCount: 0 }),
  }) as PublicClient;
  const sleeps: number[] = [];
  const metrics = new Metrics();
  const sink = new ChainReportSink({
    publicClient,
    account,
    chain,
    contract: market,
    logger: silentLogger,
    metrics,
    maxFeePerGasCap: 100n * gwei,
    maxPriorityFeePerGas: 2n * gwei,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 1_000,
    gasPricePollMs: 5_000,
    receiptPollMs: 10,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...extra,
  });
  return { sink, sleeps, metrics };
}

const batch = (slotStart = 1_800_000_000, meters = [1, 2, 3]): SignedBatch => ({
  batchHash: `0x${"99".repeat(32)}`,
  reports: meters.map((meterId) => ({ meterId, slotStart, importedWh: 10n, exportedWh: 5n })),
  signers: [account.address],
  signatures: [`0x${"00".repeat(65)}`],
});

describe("chain report sink (viem, injected transport)", () => {
  it("rides through an RPC outage with exponential backoff and broadcasts one transaction", async () => {
    const node = new FakeNode();
    node.failures = { eth_call: 2, eth_sendRawTransaction: 3, eth_getTransactionReceipt: 2 };
    const { sink, sleeps, metrics } = setup(node);
    const sent: Hex[] = [];
    const result = await sink.submit(batch(), { onSent: (h) => sent.push(h) });
    assert.equal(result.status, "confirmed");
    assert.equal(node.sent.length, 1, "one transaction reached the node");
    assert.deepEqual(sent, [keccak256(node.sent[0]!)]);
    const backoffs = sleeps.filter((s) => s !== 10);
    // reportOf (one failed round of parallel calls), then 3 failed broadcasts, then 2 failed receipt polls
    assert.deepEqual(backoffs, [100, 100, 200, 400, 100, 200], "exponential backoff per call");
    assert.equal(metrics.get("oracle_rpc_retries_total", { call: "sendRawTransaction" }), 3);
    const tx = parseTransaction(node.sent[0]!);
    assert.equal(tx.nonce, 5);
    assert.equal(tx.chainId, chain.id);
    assert.equal(tx.to?.toLowerCase(), market.toLowerCase());
    assert.equal(tx.gas, 180_000n, "gas = estimate + 20%");
  });

  it("manages nonces locally across batches and recovers from 'nonce too low'", async () => {
    const node = new FakeNode();
    const { sink } = setup(node);
    await sink.submit(batch(1_800_000_000));
    await sink.submit(batch(1_800_000_900));
    assert.deepEqual(
      node.sent.map((r) => parseTransaction(r).nonce),
      [5, 6],
    );
    assert.equal(node.calls.filter((c) => c === "eth_getTransactionCount").length, 1, "nonce fetched once");
    node.nonceTooLowOnce = true; // someone else used nonce 7
    await sink.submit(batch(1_800_001_800));
    assert.equal(parseTransaction(node.sent.at(-1)!).nonce, 8);
  });

  it("resumes a transaction recorded before a crash: the same bytes again, no second transaction", async () => {
    const node = new FakeNode();
    const signed: SignedTransaction[] = [];
    await setup(node).sink.submit(batch(), { onSigned: (t) => signed.push(t) });
    assert.equal(signed.length, 1);
    const prior = signed[0]!;
    assert.equal(keccak256(node.sent[0]!), prior.txHash, "recorded before the broadcast, as broadcast");
    // As if the process died right after the broadcast and the transaction is still pending.
    node.onChain.clear();
    node.unmined.set(prior.txHash, 4);
    const callsBefore = node.calls.length;
    const { sink } = setup(node); // the restarted process
    const sent: Hex[] = [];
    const result = await sink.submit(batch(), {
      prior,
      onSigned: (t) => signed.push(t),
      onSent: (h) => sent.push(h),
    });
    assert.deepEqual(result, { status: "confirmed", txHash: prior.txHash });
    assert.equal(signed.length, 1, "nothing signed again");
    assert.deepEqual(sent, [prior.txHash]);
    assert.ok(
      node.sent.every((r) => r === prior.raw),
      "only the recorded bytes went out",
    );
    assert.ok(!node.calls.slice(callsBefore).includes("eth_estimateGas"));
    // The next batch takes the next nonce (read again, not stuck on the resumed one).
    await sink.submit(batch(1_800_000_900));
    assert.equal(parseTransaction(node.sent.at(-1)!).nonce, parseTransaction(prior.raw).nonce! + 1);
  });

  it("a recorded transaction whose nonce went to another one is replaced by a new one", async () => {
    const node = new FakeNode();
    node.strictNonces = true;
    node.failures = { eth_sendRawTransaction: 1 };
    const signed: SignedTransaction[] = [];
    await assert.rejects(
      setup(node, { retryAttempts: 1 }).sink.submit(batch(), { onSigned: (t) => signed.push(t) }),
      /ECONNREFUSED/,
    );
    const prior = signed[0]!;
    assert.equal(parseTransaction(prior.raw).nonce, 5);
    node.nonce = 6; // nonce 5 used by some other transaction of this account
    const result = await setup(node).sink.submit(batch(), { prior, onSigned: (t) => signed.push(t) });
    assert.equal(signed.length, 2, "signed anew");
    assert.deepEqual(result, { status: "confirmed", txHash: signed[1]!.txHash });
    assert.equal(parseTransaction(signed[1]!.raw).nonce, 6);
    assert.equal(node.sent.length, 1);
  });

  it("waits while the gas price is above the cap instead of overpaying", async () => {
    const node = new FakeNode();
    node.baseFees = [150n * gwei, 120n * gwei, 40n * gwei];
    const { sink, sleeps, metrics } = setup(node);
    const result = await sink.submit(batch());
    assert.equal(result.status, "confirmed");
    assert.deepEqual(
      sleeps.filter((s) => s === 5_000),
      [5_000, 5_000],
    );
    assert.equal(metrics.get("oracle_gas_price_waits_total"), 2);
    const tx = parseTransaction(node.sent[0]!);
    assert.ok(tx.maxFeePerGas! <= 100n * gwei, "never above the cap");
    assert.ok(tx.maxFeePerGas! >= 42n * gwei, "enough for base fee + tip");
  });

  it("checks reportOf first: never posts a batch already on chain", async () => {
    const node = new FakeNode();
    const { sink } = setup(node);
    for (const m of [1, 2, 3]) node.onChain.add(`${m}:1800000000`);
    assert.deepEqual(await sink.submit(batch()), { status: "already-reported" });
    node.onChain.delete("2:1800000000");
    const partial = await sink.submit(batch());
    assert.equal(partial.status, "partially-reported");
    assert.deepEqual(partial.status === "partially-reported" && partial.missing.map((r) => r.meterId), [2]);
    assert.equal(node.sent.length, 0);
    assert.ok(!node.calls.includes("eth_sendRawTransaction"));
  });

  it("gives up after the configured attempts so the batch is retried on a later tick", async () => {
    const node = new FakeNode();
    node.failures = { eth_call: 100 };
    const { sink, sleeps } = setup(node, { retryAttempts: 4 });
    await assert.rejects(sink.submit(batch()), /ECONNREFUSED/);
    assert.deepEqual(sleeps, [100, 200, 400]);
  });

  it("sizes batches to the gas budget", () => {
    const { sink } = setup(new FakeNode(), {
      gasBudget: 3_120_000n,
      gasBase: 120_000n,
      gasPerReport: 60_000n,
    });
    assert.equal(sink.maxReportsPerBatch, 50);
    return assert.rejects(
      sink.submit(
        batch(
          1,
          Array.from({ length: 51 }, (_, i) => i + 1),
        ),
      ),
      /gas budget/,
    );
  });
});

describe("crash between signing and posting", () => {
  it("a restarted node re-checks the chain and does not post a batch twice", async () => {
    const dir = tempDir();
    const node = new FakeNode();
    const path = `${dir.path}/oracle.sqlite`;
    const make = (store: Store) =>
      new ReportCoordinator({
        store,
        directory: new StaticMeterDirectory(testFleet(2, 1)),
        account,
        domain: { chainId: chain.id, verifyingContract: market },
        signers: [account.address],
        threshold: 1,
        maxReportsPerBatch: 50,
        postTimeoutMs: 30_000,
        clock: new ManualClock(1_800_000_000_000),
        logger: silentLogger,
        metrics: new Metrics(),
        sink: setup(node).sink,
      });
    let store = new Store(path);
    store.putSlotReport({
      meterId: 1,
      slotStart: 1_800_000_000,
      communityId: 1,
      importedWh: 5,
      exportedWh: 0,
      status: "ready",
      reason: null,
    });
    const [hash] = await make(store).signReady();
    // The transaction went out, then the process died before recording the confirmation.
    await setup(node).sink.submit({
      batchHash: hash!,
      reports: [{ meterId: 1, slotStart: 1_800_000_000, importedWh: 5n, exportedWh: 0n }],
      signers: [account.address],
      signatures: store.signatures(hash!).map((s) => s.signature),
    });
    store.setBatchStatus(hash!, "posted", keccak256(node.sent[0]!), 0);
    store.close();

    store = new Store(path);
    await make(store).postDue();
    assert.equal(node.sent.length, 1, "not posted again");
    assert.equal(store.batch(hash!)!.status, "confirmed");
    store.close();
    dir.remove();
  });
});

describe("report window", () => {
  it("abandons a batch whose slot is past the contract's report window instead of posting it", async () => {
    const node = new FakeNode();
    const store = new Store(":memory:");
    const clock = new ManualClock(1_800_000_000_000);
    const coordinator = new ReportCoordinator({
      store,
      directory: new StaticMeterDirectory(testFleet(1, 1, 900)),
      account,
      domain: { chainId: chain.id, verifyingContract: market },
      signers: [account.address],
      threshold: 1,
      maxReportsPerBatch: 50,
      postTimeoutMs: 30_000,
      reportWindowMs: 3_600_000,
      clock,
      logger: silentLogger,
      metrics: new Metrics(),
      sink: setup(node).sink,
    });
    store.putSlotReport({
      meterId: 1,
      slotStart: 1_800_000_000 - 900,
      communityId: 1,
      importedWh: 5,
      exportedWh: 0,
      status: "ready",
      reason: "late",
    });
    const [hash] = await coordinator.signReady();
    clock.set(1_800_000_000_000 + 3_600_000);
    await coordinator.postDue();
    assert.equal(store.batch(hash!)!.status, "abandoned");
    assert.equal(node.sent.length, 0);
    store.close();
  });
});
