/**
 * The settlement loop closed by the keeper, end to end: a private chain, the indexer (Ponder) and
 * the real `powershare keeper` process. Two sellers and two buyers trade in one slot; one seller
 * delivers 60 % of what it sold, the other all of it; the oracle's signed reports land; then, with
 * no other call, the makers are claimed, the sellers paid for what they delivered (fee to the
 * treasury, bond slashed pro rata), the buyers refunded the rest — balances checked to the base
 * unit, and the market contract's token balance equals everything it owes.
 *
 * The keeper is SIGKILLed right after its first transaction (one claim per transaction, one seller
 * per upkeep, so the work spans many transactions) and restarted; the indexer is stopped halfway, so
 * the second keeper finds its work from chain logs. Every order is claimed once, every seller settled
 * once, every buyer refunded once, and no keeper transaction reverted.
 *
 * The reports are signed and posted by the test with the oracle's key (the oracle process itself is
 * tested end to end in oracle/test/chain-e2e.test.ts).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { erc20Abi, type Address } from "viem";
import { deliverySettlementAbi, energyMarketAbi } from "@powershare/contracts";
import { createPowerShare, marketIdOf, openSlots, type PowerShare } from "@powershare/contracts/sdk";
import {
  devAccount,
  startTestStack,
  TEST_COMMUNITY,
  type TestStack,
} from "@powershare/contracts/sdk/testing";
import { startPonder, type PonderProcess } from "../indexer/test/support/ponder.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "contracts", "cli", "bin", "powershare.ts");
const KEEPER = 8;
const [A, B, C, D] = [1, 3, 2, 4]; // sellers A, B; buyers C, D
const DEPOSIT = 10_000_000n; // 10 USDC each
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
    [
      BIN,
      "keeper",
      "--interval",
      "0.3",
      "--port",
      "0",
      "--max-claims",
      "1",
      "--max-sellers",
      "1",
      "--log-level",
      "debug",
    ],
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

describe("keeper closes the settlement loop (chain + indexer + keeper)", { timeout: 600_000 }, () => {
  let stack: TestStack;
  let ponder: PonderProcess | undefined;
  let keeper: KeeperProc | undefined;
  let ps: PowerShare;
  let book: string;
  let communityId: number;
  const meters: Record<number, number> = {};
  let slot: number;
  let marketId: bigint;
  let startBlock: bigint;

  before(async () => {
    stack = await startTestStack();
    const dir = mkdtempSync(path.join(tmpdir(), "keeper-e2e-"));
    book = path.join(dir, "book.json");
    writeFileSync(book, JSON.stringify(stack.addressBook));
    ps = createPowerShare({ publicClient: stack.publicClient, addresses: stack.addresses });
    communityId = await stack.createCommunity(); // fee 1 %, bond 0.01 USDC/kWh, tick 0.001 USDC/kWh
    meters[A] = await stack.onboard(A, communityId, DEPOSIT, 0);
    meters[B] = await stack.onboard(B, communityId, DEPOSIT, 0);
    meters[C] = await stack.onboard(C, communityId, DEPOSIT, 1);
    meters[D] = await stack.onboard(D, communityId, DEPOSIT, 1);
    slot = openSlots(TEST_COMMUNITY, await stack.now())[1]!;
    marketId = marketIdOf(communityId, slot);
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
    const p = { communityId, slotStart: slot };
    // Makers: A asks 1000 Wh at tick 250, B 1000 Wh at 255, C bids 600 Wh at 240 (never filled).
    await c(A).place({ ...p, side: "sell", tick: 250, amountWh: 1_000n, meterId: meters[A]! });
    await c(B).place({ ...p, side: "sell", tick: 255, amountWh: 1_000n, meterId: meters[B]! });
    await c(C).place({ ...p, side: "buy", tick: 240, amountWh: 600n, meterId: meters[C]! });
    // Takers: C buys 800 Wh (from A at 250); D buys 700 Wh (200 from A at 250, 500 from B at 255).
    await c(C).place({ ...p, side: "buy", tick: 260, amountWh: 800n, meterId: meters[C]!, type: "ioc" });
    await c(D).place({ ...p, side: "buy", tick: 260, amountWh: 700n, meterId: meters[D]!, type: "ioc" });

    // Gate passes; the keeper starts and is killed right after its first transaction.
    await stack.warpTo(slot - TEST_COMMUNITY.gateLead);
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

    // The slot is delivered and reported: A exported 600 of 1000 Wh sold, B all of its 500.
    await stack.warpTo(slot + TEST_COMMUNITY.slotLength + 1);
    await stack.report([
      { meterId: meters[A]!, slotStart: slot, importedWh: 0n, exportedWh: 600n },
      { meterId: meters[B]!, slotStart: slot, importedWh: 0n, exportedWh: 700n },
    ]);
    // The indexer goes down; a new keeper must find what is left from chain logs.
    await ponder!.stop();
    ponder = undefined;
    await stack.warpTo(slot + TEST_COMMUNITY.slotLength + 3600);
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
    // 3 claims (one per tx) + 2 upkeeps (one seller each) + 2 refunds
    assert.equal(keeperTxs, 7);
  });
});
