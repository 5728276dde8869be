/**
 * Silence attestations end to end on a local chain (decision 0024): a private `hardhat node` with
 * the protocol deployed, the oracle process (embedded broker, directory and sales from the chain,
 * k = 1) and two sellers in one market.
 *
 * - Slot 1: sellers 1 and 2 each sell 100 Wh to buyer 3. Seller 1's meter and the buyer's send
 *   readings, seller 2's sends nothing. Seller 1 gets a report, seller 2 a silence attestation
 *   (MeterSilent). The oracle is SIGKILLed right after sending the attestation and restarted on
 *   its store: nothing is attested or reported twice, no oracle transaction reverts.
 * - As in `npm run dev`: the meter simulator runs seller 1's new meter, seller 2's new meter has no
 *   simulated device; both sell in one slot: the first is reported, the second attested.
 * - Slot 3: seller 2 sells again while the oracle is down; the oracle comes back after the slot:
 *   it did not watch the slot, so it attests nothing (an oracle outage slashes nobody).
 * - A silence batch for meters already on chain is not sent (the contract would revert).
 * - Settlement (last: moves chain time past the report window): seller 1 is paid; seller 2's bond
 *   for slot 1 is slashed to the buyer with its proceeds and its record charged (non-delivery); for
 *   slot 3 its bond is released and the buyer refunded, its record untouched.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineChain, parseEventLogs, type Address, type PublicClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { ChainReportSink } from "../src/chain/report-sink.ts";
import { Metrics } from "../src/http/metrics.ts";
import { silentLogger } from "../src/log/logger.ts";
import { signSilence, silenceHash } from "../src/report/typed-data.ts";
import { systemClock } from "../src/clock/clock.ts";
import type { MetersFile } from "../src/directory/json-file.ts";
import { deviceAccount } from "../src/sim/keys.ts";
import { Simulator } from "../src/sim/simulator.ts";
import { EXTERNAL_MQTT_URL, connectPublisher, dropSession, freePort, tempDir, until } from "./helpers.ts";
import {
  METER_KIND,
  ORDER_TYPE,
  accountAt,
  certifiedMeterCall,
  deployStack,
  marketAbi,
  oraclePrivateKey,
  registrarCall,
  settlementAbi,
  startHardhatNode,
  usdcAbi,
  type Call,
  type HardhatNode,
  type Stack,
} from "./support/chain.ts";
import { slotReadings, streamReadings } from "./support/meters.ts";
import { chainOracleEnv, startOracleProcess, type OracleProcess } from "./support/oracle-process.ts";

const SLOT = 12; // seconds
const GATE_LEAD = 2;
const GRACE = 2;
const REPORT_WINDOW = 600;
const CAPACITY_W = 200_000;
const SEED = `chain-silence-${process.pid}-${Date.now()}`;
const SIM_SEED = `${SEED}-sim`;
const ORACLE = accountAt(9).address;
const FUNDS = 1_000_000n;
const TICK = 250; // 0.25 USDC per kWh: 100 Wh = 25,000 base units

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("oracle silence attestations on a local chain", { timeout: 280_000 }, () => {
  const dir = tempDir("oracle-chain-silence-");
  const sessions: string[] = [];
  let node: HardhatNode;
  let stack: Stack;
  let proc: OracleProcess | undefined;
  let env: Record<string, string>;
  let communityId = 0;
  const meters = new Map<number, { meterId: number; device: PrivateKeyAccount }>(); // by owner
  const markets = new Map<string, { slotStart: number; marketId: bigint; asks: bigint[] }>();

  before(async () => {
    node = await startHardhatNode(await freePort());
    stack = await deployStack(node.url, REPORT_WINDOW);
    const params = {
      slotLength: SLOT,
      gateLead: GATE_LEAD,
      horizon: 3_600,
      tickSize: 1_000n,
      minOrderWh: 10n,
      bondPerKwh: 100_000n, // 100 per Wh
      feeBps: 200,
      priceFeed: "0x0000000000000000000000000000000000000000",
      bandBps: 0,
      maxFeedAge: 0,
    };
    communityId = Number(await stack.read<number>(stack.market, marketAbi, "communityCount", [])) + 1;
    const devices = new Map<string, PrivateKeyAccount>();
    const calls: Call[] = [
      {
        to: stack.market,
        abi: marketAbi,
        functionName: "createCommunity",
        args: ["silence", params],
        from: 0,
      },
      registrarCall(stack.settlement, communityId),
    ];
    for (const i of [1, 2, 3]) {
      const device = deviceAccount(SEED, i);
      devices.set(device.address.toLowerCase(), device);
      calls.push(
        { to: stack.usdc, abi: usdcAbi, functionName: "mint", args: [accountAt(i).address, FUNDS], from: 0 },
        { to: stack.market, abi: marketAbi, functionName: "join", args: [communityId], from: i },
        await certifiedMeterCall(
          stack.settlement,
          {
            communityId,
            kind: i === 3 ? METER_KIND.consumer : METER_KIND.producer,
            capacityW: CAPACITY_W,
            deviceKey: device.address,
          },
          i,
        ),
        { to: stack.usdc, abi: usdcAbi, functionName: "approve", args: [stack.market, FUNDS], from: i },
        { to: stack.market, abi: marketAbi, functionName: "deposit", args: [FUNDS], from: i },
      );
    }
    const events = await stack.batch(calls);
    assert.equal(
      Number(events.find((e) => e.eventName === "CommunityCreated")!.args.communityId),
      communityId,
    );
    for (const e of events.filter((x) => x.eventName === "MeterRegistered")) {
      const owner = [1, 2, 3].find((i) => accountAt(i).address === e.args.owner)!;
      meters.set(owner, {
        meterId: Number(e.args.meterId),
        device: devices.get(String(e.args.deviceKey).toLowerCase())!,
      });
    }
    assert.equal(meters.size, 3);
    const ahead = (await stack.now()) * 1000 - Date.now();
    if (ahead > 0) await sleep(ahead + 100);
    env = chainOracleEnv(
      {
        test: "chain-silence",
        stack,
        dataRoot: dir.path,
        graceSeconds: GRACE,
        reportWindowSeconds: REPORT_WINDOW,
        sessions,
      },
      "silence",
      stack.url,
      { BROKER_PORT: String(await freePort()) },
    );
  });

  after(async () => {
    await proc?.kill("SIGKILL");
    for (const id of sessions) await dropSession(id).catch(() => {});
    await node?.stop();
    dir.remove();
  });

  const m = (owner: number) => meters.get(owner)!.meterId;

  async function nextSlot(leadS: number): Promise<number> {
    const now = Math.max(await stack.now(), Math.ceil(Date.now() / 1000));
    return Math.ceil((now + leadS) / SLOT) * SLOT;
  }

  /** Sellers' meters each ask 100 Wh (post-only), the buyer takes all of it; returns the maker orders. */
  async function trade(
    name: string,
    slotStart: number,
    sellers: number[],
    meterOf: (seller: number) => number = m,
  ): Promise<bigint[]> {
    const asks: bigint[] = [];
    for (const s of sellers) {
      const r = await stack.placeOrder(
        {
          communityId,
          slotStart,
          isBid: false,
          tick: TICK,
          amountWh: 100n,
          meterId: meterOf(s),
          orderType: ORDER_TYPE.PostOnly,
        },
        s,
      );
      asks.push(r.orderId);
    }
    const bid = await stack.placeOrder(
      {
        communityId,
        slotStart,
        isBid: true,
        tick: TICK,
        amountWh: 100n * BigInt(sellers.length),
        meterId: m(3),
        orderType: ORDER_TYPE.ImmediateOrCancel,
      },
      3,
    );
    assert.equal(bid.filledWh, 100n * BigInt(sellers.length));
    markets.set(name, { slotStart, marketId: (BigInt(communityId) << 40n) | BigInt(slotStart), asks });
    return asks;
  }

  /** Makers are claimed after the gate (the keeper's job in the dev stack), before the slot starts. */
  async function claimAfterGate(slotStart: number, asks: bigint[], sellers: number[]): Promise<void> {
    // Automine only: an empty block brings chain time to the wall clock.
    while (Date.now() < (slotStart - GATE_LEAD + 1) * 1000) await sleep(100);
    while ((await stack.now()) < slotStart - GATE_LEAD + 1) {
      await stack.rpc("evm_mine", []);
      await sleep(100);
    }
    for (let i = 0; i < asks.length; i++)
      await stack.send(stack.market, marketAbi, "claim", [[asks[i]]], sellers[i]);
  }

  const isSilent = (meterId: number, slotStart: number) =>
    stack.read<boolean>(stack.settlement, settlementAbi, "isSilent", [meterId, slotStart]);

  async function meterSilentEvents(): Promise<{ meterId: number; slotStart: number }[]> {
    return (await meterSilentLogs()).map(({ meterId, slotStart }) => ({ meterId, slotStart }));
  }

  async function meterSilentLogs(): Promise<{ meterId: number; slotStart: number; blockNumber: bigint }[]> {
    const logs = await stack.pub.getLogs({ address: stack.settlement, fromBlock: 0n, toBlock: "latest" });
    return parseEventLogs({ abi: settlementAbi, logs, eventName: "MeterSilent" }).map((l) => {
      const args = l.args as unknown as { meterId: number; slotStart: number };
      return { meterId: Number(args.meterId), slotStart: Number(args.slotStart), blockNumber: l.blockNumber };
    });
  }

  async function noOracleTxReverted(): Promise<void> {
    const receipts = await stack.receiptsFrom(ORACLE);
    assert.ok(receipts.length > 0);
    assert.deepEqual(
      receipts.filter((r) => r.status !== "success"),
      [],
      "no oracle transaction reverted",
    );
  }

  it(
    "the silent seller (a maker whose ask is never claimed before settlement) is attested, the reporting one reported; a SIGKILL and restart attests nothing twice",
    { timeout: 90_000 },
    async () => {
      proc = await startOracleProcess(env);
      const slotStart = await nextSlot(GATE_LEAD + 8);
      const asks = await trade("first", slotStart, [1, 2]);
      // Seller 1 exports 150 Wh (delivers its 100), the buyer imports 140; seller 2's meter is silent.
      const slot = await slotReadings(
        [
          { meterId: m(1), device: meters.get(1)!.device, communityId, importWh: 0, exportWh: 150 },
          { meterId: m(3), device: meters.get(3)!.device, communityId, importWh: 140, exportWh: 0 },
        ],
        slotStart,
        SLOT,
      );
      const pub = await connectPublisher(EXTERNAL_MQTT_URL ?? `mqtt://127.0.0.1:${env.BROKER_PORT}`);
      try {
        // Seller 2's ask stays unclaimed until settlement, as keepers settle (settleSale, decision
        // 0029): the oracle learns that seller from the book, not from marketSellers.
        await Promise.all([streamReadings(pub, slot), claimAfterGate(slotStart, [asks[0]!], [1])]);
      } finally {
        await pub.endAsync();
      }
      const sent = await proc.waitFor(
        "silence_batch_sent",
        (slotStart + SLOT + GRACE + 40) * 1000 - Date.now(),
      );
      assert.deepEqual(
        proc.lines.find((l) => l.event === "silence_batch_signed")?.meterIds,
        [m(2)],
        "only the seller that sent nothing",
      );
      // Killed right after sending the attestation; restarted on the same store.
      await proc.kill("SIGKILL");
      proc = await startOracleProcess(env);
      await until(
        async () => (await isSilent(m(2), slotStart)) && (await stack.reportOf(m(1), slotStart)).exists,
        30_000,
        "seller 1 reported and seller 2 attested",
      );
      await sleep(3_000); // ticks and scans of the restarted oracle: a second post would show here
      assert.ok(sent.txHash);

      assert.equal(await isSilent(m(2), slotStart), true);
      assert.deepEqual(await stack.reportOf(m(2), slotStart), {
        exists: true,
        importedWh: 0n,
        exportedWh: 0n,
      });
      assert.deepEqual(await stack.reportOf(m(1), slotStart), {
        exists: true,
        importedWh: 0n,
        exportedWh: 150n,
      });
      assert.equal(await isSilent(m(1), slotStart), false, "a meter that sent readings is never attested");
      assert.deepEqual(await stack.reportOf(m(3), slotStart), {
        exists: true,
        importedWh: 140n,
        exportedWh: 0n,
      });
      assert.deepEqual(
        (await meterSilentEvents()).filter((e) => e.slotStart === slotStart),
        [{ meterId: m(2), slotStart }],
        "one attestation, for the silent seller only (the buyer's meter did not sell)",
      );
      assert.equal(
        proc.lines.filter((l) => l.event === "silence_batch_signed" || l.event === "silence_batch_sent")
          .length,
        0,
        "the restarted oracle neither signs nor sends the attestation again",
      );
      await noOracleTxReverted();
      const log = (await meterSilentLogs()).find((e) => e.slotStart === slotStart)!;
      const block = await stack.pub.getBlock({ blockNumber: log.blockNumber });
      console.log(
        `# silence: attested on chain ${Number(block.timestamp) - (slotStart + SLOT)} s after the slot end ` +
          `(grace ${GRACE} s; the oracle was SIGKILLed once the transaction was sent)`,
      );
    },
  );

  it(
    "as in the dev stack: meters run by the meter simulator report, a seller without a simulated device is attested",
    { timeout: 90_000 },
    async () => {
      // Two more meters, registered as a member registers one: device keys as the simulator derives them.
      const added = new Map<number, number>(); // seller -> meter id
      for (const seller of [1, 2]) {
        const next = Number(await stack.read<number>(stack.market, marketAbi, "meterCount", [])) + 1;
        const call = await certifiedMeterCall(
          stack.settlement,
          {
            communityId,
            kind: METER_KIND.prosumer,
            capacityW: 10_000,
            deviceKey: deviceAccount(SIM_SEED, next).address,
          },
          seller,
        );
        await stack.send(call.to, call.abi, call.functionName, call.args, seller);
        added.set(seller, next);
      }
      const simulated = added.get(1)!;
      const unsimulated = added.get(2)!;
      // The simulator runs seller 1's new meter only (dev: every seeded meter, from the meters file).
      const file: MetersFile = {
        version: 1,
        seed: SIM_SEED,
        communities: [{ communityId, slotLength: SLOT }],
        meters: [
          {
            meterId: simulated,
            communityId,
            owner: accountAt(1).address,
            kind: "prosumer",
            capacityW: 10_000,
            deviceKey: deviceAccount(SIM_SEED, simulated).address,
            active: true,
          },
        ],
      };
      const sim = new Simulator({
        file,
        seed: SIM_SEED,
        mqttUrl: EXTERNAL_MQTT_URL ?? `mqtt://127.0.0.1:${env.BROKER_PORT}`,
        clock: systemClock,
        intervalMs: 2_000,
        connections: 1,
        logger: silentLogger,
      });
      await sim.start();
      try {
        const slotStart = await nextSlot(GATE_LEAD + 8);
        const asks = await trade("simulated", slotStart, [1, 2], (s) => added.get(s)!);
        await claimAfterGate(slotStart, asks, [1, 2]);
        await until(
          async () =>
            (await isSilent(unsimulated, slotStart)) && (await stack.reportOf(simulated, slotStart)).exists,
          (slotStart + SLOT + GRACE + 40) * 1000 - Date.now(),
          "the simulated meter reported and the other attested",
        );
        assert.equal(await isSilent(simulated, slotStart), false);
        assert.ok(sim.acked > 0);
        assert.deepEqual(
          (await meterSilentEvents()).filter((e) => e.slotStart === slotStart),
          [{ meterId: unsimulated, slotStart }],
        );
        await noOracleTxReverted();
      } finally {
        await sim.stop();
      }
    },
  );

  it(
    "an oracle down during the slot attests nobody, even when back within the report window",
    { timeout: 90_000 },
    async () => {
      await proc?.kill();
      proc = undefined;
      const slotStart = await nextSlot(GATE_LEAD + 8);
      const asks = await trade("down", slotStart, [2]);
      await claimAfterGate(slotStart, asks, [2]);
      while (Date.now() < (slotStart + SLOT + GRACE + 1) * 1000) await sleep(250);
      proc = await startOracleProcess(env);
      const skipped = await proc.waitFor("silence_slots_not_watched", 20_000);
      assert.ok((skipped.slotStarts as number[]).includes(slotStart));
      await sleep(2_000);
      assert.equal(await isSilent(m(2), slotStart), false);
      assert.equal((await stack.reportOf(m(2), slotStart)).exists, false);
      assert.equal(proc.lines.filter((l) => l.event === "silence_batch_signed").length, 0);
      await proc.kill();
      proc = undefined;
    },
  );

  it("a silence batch for meters already on chain is not sent (it would revert with ReportExists)", async () => {
    const slotStart = markets.get("first")!.slotStart;
    const chain = defineChain({
      id: 31337,
      name: "hardhat",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [stack.url] } },
    });
    const account = privateKeyToAccount(oraclePrivateKey());
    const sink = new ChainReportSink({
      publicClient: stack.pub as PublicClient,
      account,
      chain,
      contract: stack.settlement,
      logger: silentLogger,
      metrics: new Metrics(),
      maxFeePerGasCap: 10n ** 12n,
    });
    const domain = { chainId: 31337, verifyingContract: stack.settlement as Address };
    const txsBefore = (await stack.receiptsFrom(ORACLE)).length;
    const post = async (meterIds: number[]) => {
      const silence = { slotStart, meterIds };
      return sink.submitSilence({
        batchHash: silenceHash(domain, silence),
        silence,
        signers: [account.address],
        signatures: [await signSilence(account, domain, silence)],
      });
    };
    assert.deepEqual(await post([m(2)]), { status: "already-reported" });
    // Seller 1 has a report: with the silent meter, nothing is missing either.
    assert.deepEqual(await post([m(1), m(2)].sort((a, b) => a - b)), { status: "already-reported" });
    assert.equal((await stack.receiptsFrom(ORACLE)).length, txsBefore, "no transaction sent");
  });

  it(
    "settlement: the silent seller's bond is slashed and its record charged; an oracle outage costs nobody",
    { timeout: 60_000 },
    async () => {
      const first = markets.get("first")!;
      const second = markets.get("down")!;
      const reputation = async (i: number) => {
        const [committed, delivered] = await stack.read<[bigint, bigint, bigint]>(
          stack.settlement,
          settlementAbi,
          "reputationOf",
          [accountAt(i).address],
        );
        return { committed, delivered };
      };
      await stack.increaseTime(REPORT_WINDOW + SLOT);
      const bal = () => Promise.all([1, 2, 3].map((i) => stack.balance(i)));
      const rep0 = [await reputation(1), await reputation(2)];

      // Slot 1: seller 1 delivered, seller 2 attested silent.
      let before = await bal();
      // Seller 2's ask was never claimed: claimed in its settlement (the keeper's settleSale), which
      // every other settlement of the market waits for.
      await stack.send(stack.settlement, settlementAbi, "settleSale", [
        first.marketId,
        m(2),
        [first.asks[1]!],
        [],
      ]);
      await stack.send(stack.settlement, settlementAbi, "settleSeller", [first.marketId, m(1)]);
      await stack.send(stack.settlement, settlementAbi, "claimRefund", [
        first.marketId,
        accountAt(3).address,
      ]);
      let afterB = await bal();
      // Each sold 100 Wh for 25,000 with a 10,000 bond (100 per Wh); 2 % fee on the delivered value.
      assert.equal(afterB[0]!.free - before[0]!.free, 10_000n + 24_500n, "seller 1 paid, bond back");
      assert.equal(before[0]!.locked - afterB[0]!.locked, 10_000n);
      assert.equal(afterB[1]!.free - before[1]!.free, 0n, "seller 2: no pay, no bond back");
      assert.equal(before[1]!.locked - afterB[1]!.locked, 10_000n, "seller 2's bond left its locked balance");
      assert.equal(
        afterB[2]!.free - before[2]!.free,
        25_000n + 10_000n,
        "buyer: seller 2's proceeds and bond",
      );
      const rep1 = [await reputation(1), await reputation(2)];
      assert.deepEqual(rep1[0], {
        committed: rep0[0]!.committed + 100n,
        delivered: rep0[0]!.delivered + 100n,
      });
      assert.deepEqual(rep1[1], { committed: rep0[1]!.committed + 100n, delivered: rep0[1]!.delivered });

      // Slot 3: no report and no attestation (the oracle was down): refunds, bond released, record untouched.
      before = await bal();
      await stack.send(stack.settlement, settlementAbi, "settleSeller", [second.marketId, m(2)]);
      await stack.send(stack.settlement, settlementAbi, "claimRefund", [
        second.marketId,
        accountAt(3).address,
      ]);
      afterB = await bal();
      assert.equal(afterB[1]!.free - before[1]!.free, 10_000n, "seller 2's bond back");
      assert.equal(before[1]!.locked - afterB[1]!.locked, 10_000n);
      assert.equal(afterB[2]!.free - before[2]!.free, 25_000n, "buyer refunded in full");
      assert.deepEqual(await reputation(2), rep1[1]);
    },
  );
});
