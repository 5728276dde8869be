/**
 * End to end on a real local chain: a private `hardhat node` with the protocol deployed from the
 * compiled artifacts, a real broker (the oracle's embedded Aedes, or MQTT_URL), the oracle reading
 * its meter directory from the chain and posting to DeliverySettlement with Hardhat account 9 (the
 * registered signer, k = 1).
 *
 * The chain and the oracle both follow the wall clock (automine; the oracle's system clock), with a
 * 12 s slot. Meters publish signed readings on the slot's boundaries and every 2 s in between, so a
 * slot's energy is known exactly from the published counters.
 *
 * - faults: the oracle SIGKILLed between posting batches and restarted; the RPC cut (TCP proxy)
 *   from mid-slot for at least 10 s and past the oracle's first failed posting attempt; the broker
 *   restarted mid-stream. Each time every meter's report lands once with the exact Wh, no oracle
 *   transaction reverted, and no (meter, slot) has two MeterReported events.
 * - settlement (last: it moves chain time past the report window): asks, a taking bid, makers
 *   claimed after the gate, readings -> reports -> settleSeller / claimRefund, balances follow the
 *   delivery ratio to the base unit.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import type { PrivateKeyAccount } from "viem/accounts";
import { loadConfig } from "../src/config/config.ts";
import { silentLogger } from "../src/log/logger.ts";
import { startOracle } from "../src/oracle.ts";
import { deviceAccount } from "../src/sim/keys.ts";
import { EXTERNAL_MQTT_URL, connectPublisher, dropSession, freePort, tempDir, until } from "./helpers.ts";
import {
  METER_KIND,
  ORDER_TYPE,
  TcpProxy,
  accountAt,
  usdcAbi,
  certifiedMeterCall,
  registrarCall,
  type Call,
  deployStack,
  marketAbi,
  settlementAbi,
  startHardhatNode,
  type HardhatNode,
  type Stack,
} from "./support/chain.ts";
import { slotReadings, streamReadings, type MeterPlan, type SlotReadings } from "./support/meters.ts";
import { chainOracleEnv, startOracleProcess, type OracleProcess } from "./support/oracle-process.ts";

const SLOT = 12; // seconds
const GATE_LEAD = 2;
const GRACE = 2;
const REPORT_WINDOW = 600;
const CAPACITY_W = 200_000;
const SEED = `chain-e2e-${process.pid}-${Date.now()}`;
const ORACLE = accountAt(9).address;
const FUNDS = 1_000_000n; // 1 USDC per funded account

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Mosquitto binary for the broker restart with MQTT_URL (a private, persistent instance). */
const hasMosquitto = !!spawnSync("mosquitto", ["-h"], { encoding: "utf8" }).stdout?.includes(
  "mosquitto version",
);

describe("oracle end to end on a local chain", { timeout: 280_000 }, () => {
  const dir = tempDir("oracle-chain-e2e-");
  const sessions: string[] = [];
  let node: HardhatNode;
  let stack: Stack;
  let proc: OracleProcess | undefined;

  interface Community {
    id: number;
    meters: { meterId: number; owner: number; device: PrivateKeyAccount }[];
  }
  const communities: Record<"sigkill" | "rpc" | "broker" | "settlement", Community> = {} as never;
  const FUNDED = [1, 2, 3];

  before(async () => {
    node = await startHardhatNode(await freePort());
    stack = await deployStack(node.url, REPORT_WINDOW);
    // Four communities; meters of the fault tests owned by account 0 (the communities' admin), the
    // settlement community's by sellers 1 and 2 and buyer 3. Two blocks in all.
    const names = ["sigkill", "rpc", "broker", "settlement"] as const;
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
    // The creator (account 0) names the test registrar of each new community in the same block, in
    // nonce order (community ids are sequential), so setup adds no block that would push chain time.
    const firstId = Number(await stack.read<number>(stack.market, marketAbi, "communityCount", [])) + 1;
    const created = await stack.batch([
      ...names.map((n) => ({
        to: stack.market,
        abi: marketAbi,
        functionName: "createCommunity",
        args: [n, params],
        from: 0,
      })),
      ...names.map((_, j) => registrarCall(stack.settlement, firstId + j)),
      ...FUNDED.map((i) => ({
        to: stack.usdc,
        abi: usdcAbi,
        functionName: "mint",
        args: [accountAt(i).address, FUNDS],
        from: 0,
      })),
    ]);
    const ids = created
      .filter((e) => e.eventName === "CommunityCreated")
      .map((e) => Number(e.args.communityId));
    assert.equal(ids.length, names.length);
    const idOf = (n: (typeof names)[number]) => ids[names.indexOf(n)]!;
    let key = 0;
    const devices = new Map<string, PrivateKeyAccount>();
    const register = (communityId: number, kind: number, from: number): Promise<Call> => {
      const device = deviceAccount(SEED, ++key);
      devices.set(device.address.toLowerCase(), device);
      return certifiedMeterCall(
        stack.settlement,
        { communityId, kind, capacityW: CAPACITY_W, deviceKey: device.address },
        from,
      );
    };
    const settlementId = idOf("settlement");
    const calls: Call[] = [];
    for (const [n, count] of [
      ["sigkill", 8],
      ["rpc", 4],
      ["broker", 4],
    ] as const) {
      for (let i = 0; i < count; i++) calls.push(await register(idOf(n), METER_KIND.producer, 0));
    }
    for (const i of FUNDED) {
      calls.push(
        { to: stack.market, abi: marketAbi, functionName: "join", args: [settlementId], from: i },
        await register(settlementId, i === 3 ? METER_KIND.consumer : METER_KIND.producer, i),
        { to: stack.usdc, abi: usdcAbi, functionName: "approve", args: [stack.market, FUNDS], from: i },
        { to: stack.market, abi: marketAbi, functionName: "deposit", args: [FUNDS], from: i },
      );
    }
    const registered = (await stack.batch(calls)).filter((e) => e.eventName === "MeterRegistered");
    for (const n of names) communities[n] = { id: idOf(n), meters: [] };
    for (const e of registered.sort((a, b) => Number(a.args.meterId) - Number(b.args.meterId))) {
      const c = Object.values(communities).find((x) => x.id === Number(e.args.communityId))!;
      const owner = FUNDED.find((i) => accountAt(i).address === e.args.owner) ?? 0;
      c.meters.push({
        meterId: Number(e.args.meterId),
        owner,
        device: devices.get(String(e.args.deviceKey).toLowerCase())!,
      });
    }
    assert.equal(registered.length, 19);
    // Chain time on the wall clock (within a second) before anything is timed.
    const ahead = (await stack.now()) * 1000 - Date.now();
    if (ahead > 0) await sleep(ahead + 100);
  });

  after(async () => {
    await proc?.kill("SIGKILL");
    for (const id of sessions) await dropSession(id).catch(() => {});
    await node?.stop();
    dir.remove();
  });

  /** The first slot start at least `leadS` seconds ahead of both the wall clock and chain time. */
  async function nextSlot(leadS: number): Promise<number> {
    const now = Math.max(await stack.now(), Math.ceil(Date.now() / 1000));
    return Math.ceil((now + leadS) / SLOT) * SLOT;
  }

  function oracleEnv(
    name: string,
    rpcUrl: string,
    extra: Record<string, string> = {},
  ): Record<string, string> {
    return chainOracleEnv(
      {
        test: "chain-e2e",
        stack,
        dataRoot: dir.path,
        graceSeconds: GRACE,
        reportWindowSeconds: REPORT_WINDOW,
        sessions,
      },
      name,
      rpcUrl,
      extra,
    );
  }

  /**
   * Every meter of `slot` reported exactly once with the Wh derived from its counters; no
   * (meter, slot) reported twice anywhere; every oracle transaction succeeded.
   */
  async function assertReported(slot: SlotReadings, slotStart: number): Promise<void> {
    for (const [meterId, want] of slot.expected) {
      const got = await stack.reportOf(meterId, slotStart);
      assert.deepEqual(got, { exists: true, ...want }, `report of meter ${meterId}`);
    }
    const events = await stack.meterReported();
    const counts = new Map<string, number>();
    for (const e of events)
      counts.set(`${e.meterId}/${e.slotStart}`, (counts.get(`${e.meterId}/${e.slotStart}`) ?? 0) + 1);
    for (const [key, n] of counts) assert.equal(n, 1, `MeterReported ${key} ${n} times`);
    for (const meterId of slot.expected.keys()) {
      const mine = events.filter((e) => e.meterId === meterId && e.slotStart === slotStart);
      assert.equal(mine.length, 1, `meter ${meterId} reported once for slot ${slotStart}`);
    }
    const receipts = await stack.receiptsFrom(ORACLE);
    assert.ok(receipts.length > 0);
    assert.deepEqual(
      receipts.filter((r) => r.status !== "success"),
      [],
      "no oracle transaction reverted (no ReportExists)",
    );
  }

  async function allReported(slot: SlotReadings, slotStart: number): Promise<boolean> {
    for (const meterId of slot.expected.keys()) {
      if (!(await stack.reportOf(meterId, slotStart)).exists) return false;
    }
    return true;
  }

  const plans = (c: Community): MeterPlan[] =>
    c.meters.map(({ meterId, device }, i) => ({
      meterId,
      device,
      communityId: c.id,
      importWh: 3 * i,
      exportWh: 60 + 7 * i,
    }));

  it(
    "oracle SIGKILLed between batches and restarted: every report lands once",
    { timeout: 90_000 },
    async () => {
      const c = communities.sigkill;
      const port = await freePort();
      // 2 reports per batch: (240k - 120k) / 60k.
      const env = oracleEnv("sigkill", stack.url, {
        BROKER_PORT: String(port),
        GAS_BUDGET: "240000",
        GAS_PER_REPORT: "60000",
      });
      proc = await startOracleProcess(env);
      const slotStart = await nextSlot(4);
      const slot = await slotReadings(plans(c), slotStart, SLOT);
      const pub = await connectPublisher(EXTERNAL_MQTT_URL ?? `mqtt://127.0.0.1:${port}`);
      try {
        await streamReadings(pub, slot);
      } finally {
        await pub.endAsync();
      }
      await proc.waitFor("report_batch_sent", (slotStart + SLOT + GRACE + 30) * 1000 - Date.now());
      await proc.kill("SIGKILL");
      const landedBeforeKill = (await stack.meterReported()).filter((e) => e.slotStart === slotStart).length;
      proc = await startOracleProcess(env);
      await until(() => allReported(slot, slotStart), 30_000, "every report after the restart");
      await sleep(1_500); // a second post would show up here
      await proc.kill();
      proc = undefined;
      await assertReported(slot, slotStart);
      console.log(
        `# sigkill: ${landedBeforeKill} of ${slot.expected.size} reports were on chain at the kill`,
      );
    },
  );

  it(
    "RPC cut for ~10 s across the posting time: reports land after the outage",
    { timeout: 90_000 },
    async () => {
      const c = communities.rpc;
      const rpcProxy = new TcpProxy(node.port);
      await rpcProxy.start();
      const port = await freePort();
      proc = await startOracleProcess(oracleEnv("rpc-down", rpcProxy.url, { BROKER_PORT: String(port) }));
      const slotStart = await nextSlot(4);
      const slot = await slotReadings(plans(c), slotStart, SLOT);
      const pub = await connectPublisher(EXTERNAL_MQTT_URL ?? `mqtt://127.0.0.1:${port}`);
      let cutAt = 0;
      let restoredAt = 0;
      try {
        // Cut while the slot's readings still stream, well before the oracle posts (slot end +
        // grace): however late this process runs under load, the posting time falls in the outage.
        // (Cutting by the wall clock just before the posting time raced the oracle's first post.)
        await streamReadings(pub, slot, 1_000, async (n, total) => {
          if (cutAt > 0 || n < total / 2) return;
          await rpcProxy.cut();
          cutAt = Date.now();
        });
        assert.ok(cutAt > 0);
        // The oracle signs the batch after the slot and tries to post it: RPC calls fail and retry.
        await proc.waitFor("report_batch_signed", (slotStart + SLOT + GRACE + 30) * 1000 - Date.now());
        await proc.waitFor("rpc_retry", 20_000);
        // Down for at least 10 s in all, and 2 s past the failed posting attempt.
        await sleep(Math.max(2_000, cutAt + 10_000 - Date.now()));
        assert.equal(await allReported(slot, slotStart), false, "nothing lands while the RPC is down");
        restoredAt = Math.floor(Date.now() / 1000);
        await rpcProxy.restore();
        await until(() => allReported(slot, slotStart), 45_000, "every report after the outage");
      } finally {
        await pub.endAsync();
        await rpcProxy.close();
      }
      await sleep(1_000);
      await proc.kill();
      proc = undefined;
      await assertReported(slot, slotStart);
      const events = (await stack.meterReported()).filter((e) => e.slotStart === slotStart);
      for (const e of events) {
        const block = await stack.pub.getBlock({ blockNumber: e.blockNumber });
        assert.ok(Number(block.timestamp) >= restoredAt, "posted after the outage");
      }
    },
  );

  it(
    "broker restarted mid-stream: every reading counted, every report lands once",
    { timeout: 90_000 },
    async () => {
      const c = communities.broker;
      const external = !!EXTERNAL_MQTT_URL;
      if (external && !hasMosquitto) {
        // The shared broker is not ours to restart; test/broker-restart.test.ts covers the rest.
        return;
      }
      const port = await freePort();
      let mosquitto: ChildProcess | undefined;
      let conf = "";
      const startMosquitto = async () => {
        mosquitto = spawn("mosquitto", ["-c", conf], { stdio: "ignore" });
        await until(
          () =>
            connectPublisher(`mqtt://127.0.0.1:${port}`).then(
              (cl) => cl.endAsync().then(() => true),
              () => false,
            ),
          10_000,
          "mosquitto to listen",
        );
      };
      const stopMosquitto = async () => {
        const b = mosquitto;
        if (!b || b.exitCode !== null) return;
        const gone = new Promise((r) => b.once("exit", r));
        b.kill("SIGTERM");
        await gone;
      };
      if (external) {
        // A private persistent Mosquitto (started as root it drops to "mosquitto": writable data dir).
        const mdir = join(dir.path, "mosquitto");
        mkdirSync(mdir, { recursive: true });
        chmodSync(dir.path, 0o755);
        chmodSync(mdir, 0o777);
        conf = join(mdir, "mosquitto.conf");
        writeFileSync(
          conf,
          [
            `listener ${port} 127.0.0.1`,
            "allow_anonymous true",
            "persistence true",
            `persistence_location ${mdir}/`,
            "max_queued_messages 100000",
            "log_dest none",
          ].join("\n") + "\n",
        );
        await startMosquitto();
      }
      const url = `mqtt://127.0.0.1:${port}`;
      const env = oracleEnv(
        "broker-restart",
        stack.url,
        external ? { MQTT_URL: url } : { BROKER_PORT: String(port) },
      );
      const oracle = await startOracle(loadConfig(env), { logger: silentLogger });
      let pub: MqttClient | undefined;
      try {
        const slotStart = await nextSlot(4);
        const slot = await slotReadings(plans(c), slotStart, SLOT);
        pub = await connectPublisher(url);
        let restarted = false;
        await streamReadings(pub, slot, 1_000, async (n, total) => {
          if (restarted || n < total / 2) return;
          restarted = true;
          if (external) {
            await stopMosquitto();
            await sleep(300);
            await startMosquitto();
          } else {
            await oracle.broker!.close();
            await sleep(300);
            await oracle.broker!.start();
          }
        });
        assert.ok(restarted);
        await until(
          () => oracle.store.readingCount() >= slot.readings.length,
          20_000,
          "every reading stored",
        );
        await until(
          () => allReported(slot, slotStart),
          (slotStart + SLOT + GRACE + 30) * 1000 - Date.now(),
          "reports",
        );
        await sleep(1_000);
        assert.equal(oracle.store.readingCount(), slot.readings.length, "every reading stored once");
        await assertReported(slot, slotStart);
      } finally {
        await pub?.endAsync();
        await oracle.close();
        await stopMosquitto();
      }
    },
  );

  it(
    "readings to settlement: reports match the counters, balances follow the delivery ratio",
    { timeout: 90_000 },
    async () => {
      // Sellers: accounts 1 and 2 (a producer meter each); buyer: account 3 (a consumer meter).
      const c = communities.settlement;
      const meterOf = (owner: number) => c.meters.find((m) => m.owner === owner)!;
      const [m1, m2, mBuyer] = [meterOf(1).meterId, meterOf(2).meterId, meterOf(3).meterId];
      const port = await freePort();
      proc = await startOracleProcess(oracleEnv("settlement", stack.url, { BROKER_PORT: String(port) }));

      // Orders need the market open: placed before the gate (slot start - GATE_LEAD).
      const slotStart = await nextSlot(GATE_LEAD + 8);
      const tick = 250; // 250 x 1,000 = 0.25 USDC per kWh: 100 Wh = 25,000 base units
      const ask1 = await stack.placeOrder(
        {
          communityId: c.id,
          slotStart,
          isBid: false,
          tick,
          amountWh: 100n,
          meterId: m1,
          orderType: ORDER_TYPE.PostOnly,
        },
        1,
      );
      const ask2 = await stack.placeOrder(
        {
          communityId: c.id,
          slotStart,
          isBid: false,
          tick,
          amountWh: 100n,
          meterId: m2,
          orderType: ORDER_TYPE.PostOnly,
        },
        2,
      );
      const bid = await stack.placeOrder(
        {
          communityId: c.id,
          slotStart,
          isBid: true,
          tick,
          amountWh: 200n,
          meterId: mBuyer,
          orderType: ORDER_TYPE.ImmediateOrCancel,
        },
        3,
      );
      assert.equal(bid.filledWh, 200n, "the bid takes both asks");
      assert.ok(ask1.orderId > 0n && ask2.orderId > 0n);
      const marketId = (BigInt(c.id) << 40n) | BigInt(slotStart);

      // Seller 1 exports 150 Wh (delivers all 100 sold), seller 2 exports 40 (40%), the buyer imports 140.
      const slot = await slotReadings(
        [
          { meterId: m1, device: meterOf(1).device, communityId: c.id, importWh: 0, exportWh: 150 },
          { meterId: m2, device: meterOf(2).device, communityId: c.id, importWh: 0, exportWh: 40 },
          { meterId: mBuyer, device: meterOf(3).device, communityId: c.id, importWh: 140, exportWh: 0 },
        ],
        slotStart,
        SLOT,
      );
      const pub = await connectPublisher(EXTERNAL_MQTT_URL ?? `mqtt://127.0.0.1:${port}`);
      try {
        await streamReadings(pub, slot);
      } finally {
        await pub.endAsync();
      }
      // Makers claim after the gate.
      while ((await stack.now()) < slotStart) await sleep(250);
      await stack.send(stack.market, marketAbi, "claim", [[ask1.orderId]], 1);
      await stack.send(stack.market, marketAbi, "claim", [[ask2.orderId]], 2);

      await until(
        () => allReported(slot, slotStart),
        (slotStart + SLOT + GRACE + 30) * 1000 - Date.now(),
        "reports",
      );
      assert.deepEqual(await stack.reportOf(m1, slotStart), {
        exists: true,
        importedWh: 0n,
        exportedWh: 150n,
      });
      assert.deepEqual(await stack.reportOf(m2, slotStart), {
        exists: true,
        importedWh: 0n,
        exportedWh: 40n,
      });
      assert.deepEqual(await stack.reportOf(mBuyer, slotStart), {
        exists: true,
        importedWh: 140n,
        exportedWh: 0n,
      });
      await sleep(1_000);
      await proc.kill();
      proc = undefined;
      await assertReported(slot, slotStart);

      // Past the report window (the last test: chain time runs ahead of the wall clock from here).
      await stack.increaseTime(REPORT_WINDOW + SLOT);
      const before = [await stack.balance(1), await stack.balance(2), await stack.balance(3)];
      await stack.send(stack.settlement, settlementAbi, "settleSeller", [marketId, m1]);
      await stack.send(stack.settlement, settlementAbi, "settleSeller", [marketId, m2]);
      await stack.send(stack.settlement, settlementAbi, "claimRefund", [marketId, accountAt(3).address]);
      const afterB = [await stack.balance(1), await stack.balance(2), await stack.balance(3)];

      // Each seller sold 100 Wh for 25,000 with a 10,000 bond (100 per Wh); 2% fee on the delivered value.
      // Seller 1: delivered 100/100 -> 25,000 - 500 fee, bond back in full.
      assert.equal(afterB[0]!.free - before[0]!.free, 10_000n + 24_500n);
      assert.equal(before[0]!.locked - afterB[0]!.locked, 10_000n);
      // Seller 2: delivered 40/100 -> 10,000 - 200 fee; 60% of the bond (6,000) slashed to the buyers.
      assert.equal(afterB[1]!.free - before[1]!.free, 4_000n + 9_800n);
      assert.equal(before[1]!.locked - afterB[1]!.locked, 10_000n);
      // Buyer: paid 50,000 for 200 Wh; refunded the undelivered 15,000 plus the 6,000 slashed bond.
      assert.equal(afterB[2]!.free - before[2]!.free, 15_000n + 6_000n);
      assert.equal(afterB[2]!.locked, before[2]!.locked);
    },
  );
});
