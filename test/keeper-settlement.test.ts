/**
 * The settlement loop closed by the keeper, end to end: a private chain (mining a block every second,
 * as a real chain does), the oracle process (MQTT in, signed per-slot reports out), the indexer
 * (Ponder) and the real `powershare keeper` process. Two sellers and two buyers trade in one 20 s
 * slot; the sellers' meters publish signed readings over MQTT while the slot runs on the wall clock:
 * one seller exports 60 % of what it sold, the other more than it sold; the oracle aggregates and
 * posts its reports; then, with no other call, the makers are claimed, the sellers paid for what
 * they delivered (fee to the treasury, bond slashed pro rata), the buyers refunded the rest —
 * balances checked to the base unit, and the market contract's token balance equals everything it
 * owes.
 *
 * The keeper is SIGKILLed right after its first transaction (the claim of the unfilled bid at the
 * gate; the filled makers wait for their settlement) and restarted; the indexer is stopped halfway,
 * so the second keeper finds its work from chain logs. With one claim per transaction, the second
 * keeper claims one ask maker on its own and settles each seller with settleSale (decision 0029):
 * the first call claims the other ask, the last refunds both buyers. Every order is claimed once, every seller settled
 * once, every buyer refunded once, and no keeper transaction reverted.
 *
 * Only the report window (1 h after the slot) is skipped by moving chain time, once every report
 * has landed.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { MqttClient } from "mqtt";
import { erc20Abi, type Address } from "viem";
import { deliverySettlementAbi, energyMarketAbi } from "@powershare/contracts";
import { createPowerShare, marketIdOf, openSlots, type PowerShare } from "@powershare/contracts/sdk";
import {
  devAccount,
  ORACLE_INDEX,
  REPORT_WINDOW,
  startTestStack,
  TEST_COMMUNITY,
  type TestStack,
} from "@powershare/contracts/sdk/testing";
import { startPonder, type PonderProcess } from "../indexer/test/support/ponder.ts";
import { EXTERNAL_MQTT_URL, connectPublisher, freePort as freeOraclePort } from "../oracle/test/helpers.ts";
import { slotReadings, streamReadings } from "../oracle/test/support/meters.ts";
import {
  chainOracleEnv,
  startOracleProcess,
  type OracleProcess,
} from "../oracle/test/support/oracle-process.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "contracts", "cli", "bin", "powershare.ts");
const KEEPER = 8;
const [A, B, C, D] = [1, 3, 2, 4]; // sellers A, B; buyers C, D
const DEPOSIT = 10_000_000n; // 10 USDC each
/** A short slot on the wall clock, so that the meters, the oracle and the chain all run in real time. */
const SLOT = { slotLength: 20, gateLead: 4, horizon: 3_600 };
const ORACLE_GRACE_S = 2;
const addr = (i: number): Address => devAccount(i).address;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface KeeperProc {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function startKeeper(stack: TestStack, book: string, indexerUrl: string): KeeperProc {
  const child = spawn(
    process.execPath,
    [BIN, "keeper", "--interval", "0.3", "--port", "0", "--max-claims", "1", "--log-level", "debug"],
    {
      env: {
        PATH: process.env.PATH ?? "",
        POWERSHARE_RPC_URL: stack.url,
        POWERSHARE_ADDRESS_BOOK: book,
        POWERSHARE_INDEXER_URL: indexerUrl,
        POWERSHARE_PRIVATE_KEY: devAccount(KEEPER).privateKey,
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const lines: Record<string, unknown>[] = [];
  let buf = "";
  child.stderr!.on("data", (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, lines, exited };
}

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe(
  "keeper closes the settlement loop (chain + oracle + indexer + keeper)",
  { timeout: 600_000 },
  () => {
    let stack: TestStack;
    let ponder: PonderProcess | undefined;
    let keeper: KeeperProc | undefined;
    let oracle: OracleProcess | undefined;
    let publisher: MqttClient | undefined;
    let dir: string;
    const sessions: string[] = [];
    let ps: PowerShare;
    let book: string;
    let communityId: number;
    const meters: Record<number, number> = {};
    let slot: number;
    let marketId: bigint;
    let startBlock: bigint;

    before(async () => {
      stack = await startTestStack();
      // A block every second besides automine: chain time follows the wall clock, as on Polygon.
      await stack.publicClient.request({
        method: "evm_setIntervalMining" as never,
        params: [1_000] as never,
      });
      dir = mkdtempSync(path.join(tmpdir(), "keeper-e2e-"));
      book = path.join(dir, "book.json");
      writeFileSync(book, JSON.stringify(stack.addressBook));
      ps = createPowerShare({ publicClient: stack.publicClient, addresses: stack.addresses });
      communityId = await stack.createCommunity(SLOT); // fee 1 %, bond 0.01 USDC/kWh, tick 0.001 USDC/kWh
      // 200 kW producers: a 20 s slot's 700 Wh is 126 kW, within what the oracle accepts.
      meters[A] = await stack.onboard(A, communityId, DEPOSIT, 0, 200_000);
      meters[B] = await stack.onboard(B, communityId, DEPOSIT, 0, 200_000);
      meters[C] = await stack.onboard(C, communityId, DEPOSIT, 1);
      meters[D] = await stack.onboard(D, communityId, DEPOSIT, 1);
      startBlock = await stack.publicClient.getBlockNumber();
      ponder = await startPonder({
        rpcUrl: stack.url,
        addressBook: book,
        schema: `keeper_e2e_${process.pid}`,
        logLevel: "warn",
      });
      await ponder.ready(180_000);
    });

    after(async () => {
      keeper?.child.kill("SIGKILL");
      publisher?.end(true);
      await oracle?.kill("SIGKILL");
      await ponder?.stop();
      await stack?.stop();
    });

    it("trades, reports, and settles with no manual call, surviving a keeper crash", async () => {
      const c = (i: number) =>
        createPowerShare({
          publicClient: stack.publicClient,
          walletClient: stack.wallet(i),
          addresses: stack.addresses,
        });
      // The oracle: its embedded broker (or MQTT_URL), the meter directory and slot length from the chain.
      const brokerPort = await freeOraclePort();
      oracle = await startOracleProcess(
        chainOracleEnv(
          {
            test: "keeper-e2e",
            stack: { market: stack.addresses.market, settlement: stack.addresses.settlement },
            dataRoot: dir,
            graceSeconds: ORACLE_GRACE_S,
            reportWindowSeconds: REPORT_WINDOW,
            sessions,
          },
          "oracle",
          stack.url,
          { BROKER_PORT: String(brokerPort) },
        ),
      );

      // Automined blocks each take a new second, so set-up leaves chain time ahead of the wall clock:
      // let the wall clock catch up before anything is timed.
      const ahead = (await stack.now()) * 1000 - Date.now();
      if (ahead > 0) await sleep(ahead + 100);
      // The first slot whose gate leaves 10 s to trade.
      const t0 = Math.max(await stack.now(), Date.now() / 1000);
      slot = Math.ceil((t0 + 10 + SLOT.gateLead) / SLOT.slotLength) * SLOT.slotLength;
      marketId = marketIdOf(communityId, slot);
      const chainNow = await stack.now();
      assert.ok(
        openSlots({ ...TEST_COMMUNITY, ...SLOT }, chainNow).includes(slot),
        `slot ${slot} not open at chain time ${chainNow} (wall clock ${Date.now() / 1000})`,
      );
      // The sellers' meters during the slot: A exports 600 Wh (of 1000 sold), B 700 Wh (of 500 sold).
      // Each meter's device key is its owner's dev account (as `onboard` registered it).
      const readings = await slotReadings(
        [
          { meterId: meters[A]!, device: devAccount(A), communityId, importWh: 0, exportWh: 600 },
          { meterId: meters[B]!, device: devAccount(B), communityId, importWh: 0, exportWh: 700 },
        ],
        slot,
        SLOT.slotLength,
      );
      publisher = await connectPublisher(EXTERNAL_MQTT_URL ?? `mqtt://127.0.0.1:${brokerPort}`);
      const streamed = streamReadings(publisher, readings).finally(() => publisher?.endAsync());

      const p = { communityId, slotStart: slot };
      // Makers: A asks 1000 Wh at tick 250, B 1000 Wh at 255, C bids 600 Wh at 240 (never filled).
      await c(A).place({ ...p, side: "sell", tick: 250, amountWh: 1_000n, meterId: meters[A]! });
      await c(B).place({ ...p, side: "sell", tick: 255, amountWh: 1_000n, meterId: meters[B]! });
      await c(C).place({ ...p, side: "buy", tick: 240, amountWh: 600n, meterId: meters[C]! });
      // Takers: C buys 800 Wh (from A at 250); D buys 700 Wh (200 from A at 250, 500 from B at 255).
      await c(C).place({ ...p, side: "buy", tick: 260, amountWh: 800n, meterId: meters[C]!, type: "ioc" });
      await c(D).place({ ...p, side: "buy", tick: 260, amountWh: 700n, meterId: meters[D]!, type: "ioc" });

      // Gate passes (on the wall clock); the keeper starts and is killed right after its first transaction.
      await until("the gate", async () => (await stack.now()) >= slot - SLOT.gateLead, 30_000);
      keeper = startKeeper(stack, book, ponder!.url);
      await until("the keeper's first claim", () => keeper!.lines.some((l) => l.msg === "claim done"));
      keeper.child.kill("SIGKILL");
      await keeper.exited;
      const claimsBeforeCrash = keeper.lines.filter((l) => l.msg === "claim done").length;
      assert.ok(claimsBeforeCrash >= 1);
      assert.ok(
        keeper.lines.some((l) => l.msg === "work found" && l.source === "indexer"),
        "the first keeper found its work through the indexer",
      );

      // The slot is delivered and the oracle reports it: A exported 600 of 1000 Wh sold, B all of its 500.
      await streamed;
      await until(
        "the oracle's reports",
        async () => !!(await ps.report(meters[A]!, slot)) && !!(await ps.report(meters[B]!, slot)),
        60_000,
      ).catch((err: Error) => {
        const tail = oracle!.lines.slice(-15).map((l) => JSON.stringify(l));
        throw new Error(`${err.message}; the oracle's last log lines:\n${tail.join("\n")}`);
      });
      assert.deepEqual(await ps.report(meters[A]!, slot), {
        meterId: meters[A],
        slotStart: slot,
        importedWh: 0n,
        exportedWh: 600n,
      });
      assert.equal((await ps.report(meters[B]!, slot))!.exportedWh, 700n);
      assert.ok(oracle.lines.length > 0);
      await oracle.kill();
      oracle = undefined;
      // The indexer goes down; a new keeper must find what is left from chain logs.
      await ponder!.stop();
      ponder = undefined;
      await stack.warpTo(slot + SLOT.slotLength + REPORT_WINDOW);
      keeper = startKeeper(stack, book, "http://127.0.0.1:9");
      await until(
        "the market's settlement to complete",
        async () => (await ps.settlement(marketId)).complete,
        180_000,
      );
      await sleep(1_500); // one more cycle: it must find nothing left to do
      keeper.child.kill("SIGTERM");
      await keeper.exited;
      assert.ok(keeper.lines.some((l) => l.msg === "indexer unavailable: discovering from chain logs"));

      // ---- balances to the base unit
      // A: sold 1000 Wh at 250 → proceeds 250000; bond 10000; delivered 600 → gross 150000, fee 1500,
      //    payout 148500, slashed 4000 → free = deposit − 10000 + 148500 + 6000.
      // B: sold 500 of 1000 at 255 → proceeds 127500; unfilled bond 5000 back at the claim; delivered
      //    all → fee 1275, payout 126225, bond 5000 back → free = deposit + 126225.
      // Refund pool = (250000 − 150000) + 4000 = 104000, traded value 377500:
      //    C paid 200000 → 55099; D paid 177500 → 48900; 1 unit of dust swept to the treasury.
      const free = async (i: number) => (await ps.balances(addr(i))).free;
      const locked = async (i: number) => (await ps.balances(addr(i))).locked;
      assert.equal(await free(A), DEPOSIT - 10_000n + 148_500n + 6_000n);
      assert.equal(await free(B), DEPOSIT + 126_225n);
      assert.equal(await free(C), DEPOSIT - 200_000n + 55_099n);
      assert.equal(await free(D), DEPOSIT - 177_500n + 48_900n);
      for (const i of [A, B, C, D]) assert.equal(await locked(i), 0n);
      const treasury = await stack.publicClient.readContract({
        address: stack.addresses.market,
        abi: energyMarketAbi,
        functionName: "treasuryBalance",
        args: [communityId],
      });
      assert.equal(treasury, 1_500n + 1_275n + 1n);

      // ---- conservation: the market holds exactly what it owes
      const held = await stack.publicClient.readContract({
        address: stack.addresses.quoteToken,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [stack.addresses.market],
      });
      let owed = treasury;
      for (const i of [A, B, C, D]) owed += (await free(i)) + (await locked(i));
      assert.equal(held, owed);
      assert.equal(held, 4n * DEPOSIT);

      // ---- nothing done twice
      const range = { fromBlock: startBlock, toBlock: "latest" as const };
      const claimed = await stack.publicClient.getContractEvents({
        address: stack.addresses.market,
        abi: energyMarketAbi,
        eventName: "OrderClaimed",
        ...range,
      });
      const ids = claimed.map((l) => (l.args as { orderId: bigint }).orderId);
      assert.equal(ids.length, 3);
      assert.equal(new Set(ids).size, 3);
      const settled = await stack.publicClient.getContractEvents({
        address: stack.addresses.settlement,
        abi: deliverySettlementAbi,
        eventName: "SaleSettled",
        ...range,
      });
      assert.deepEqual(
        settled.map((l) => Number((l.args as { meterId: number }).meterId)).sort(),
        [meters[A], meters[B]].sort(),
      );
      const refunded = await stack.publicClient.getContractEvents({
        address: stack.addresses.settlement,
        abi: deliverySettlementAbi,
        eventName: "RefundClaimed",
        ...range,
      });
      assert.deepEqual(
        refunded.map((l) => (l.args as { buyer: Address }).buyer).sort(),
        [addr(C), addr(D)].sort(),
      );
      const latest = await stack.publicClient.getBlockNumber();
      let keeperTxs = 0;
      for (let b = startBlock; b <= latest; b++) {
        const block = await stack.publicClient.getBlock({ blockNumber: b, includeTransactions: true });
        for (const tx of block.transactions) {
          if (tx.from.toLowerCase() !== addr(KEEPER).toLowerCase()) continue;
          keeperTxs++;
          const r = await stack.publicClient.getTransactionReceipt({ hash: tx.hash });
          assert.equal(r.status, "success", `keeper transaction ${tx.hash} reverted`);
        }
      }
      // The unfilled bid's claim at the gate, one ask claimed on its own (--max-claims 1), and one
      // settleSale per seller (the first claims the other ask, the last refunds both buyers).
      assert.equal(keeperTxs, 4);
      // The reports came from the oracle's account, one per meter.
      const reported = await stack.publicClient.getContractEvents({
        address: stack.addresses.settlement,
        abi: deliverySettlementAbi,
        eventName: "MeterReported",
        ...range,
      });
      assert.deepEqual(
        reported.map((l) => Number((l.args as { meterId: number }).meterId)).sort(),
        [meters[A], meters[B]].sort(),
      );
      for (const l of reported) {
        const tx = await stack.publicClient.getTransaction({ hash: l.transactionHash });
        assert.equal(tx.from.toLowerCase(), devAccount(ORACLE_INDEX).address.toLowerCase());
      }
    });
  },
);
