/**
 * `npm run bench:keeper` — what the settlement loop costs and how fast the keeper closes it, on a
 * private Hardhat chain (automine). Writes docs/benchmarks/keeper.json:
 *
 *   settle_gas_per_seller {"1","10","100"}  gas of SettlementKeeper.performUpkeep per seller meter
 *                                           settled (market with N sellers, half delivered, keeper's
 *                                           batches of 20 meters per transaction)
 *   claim_gas_per_order                      gas of EnergyMarket.claim per maker order (batches of 40)
 *   refund_gas_per_buyer                     gas of DeliverySettlement.claimRefund per buyer
 *   markets_settled_per_min                  markets taken from "gate and report window passed" to
 *                                           complete (claims, settlement, refunds) per wall minute
 *   report_to_credited_s                     wall seconds from the moment settlement is allowed
 *                                           (the report window after the slot's last report has
 *                                           passed) to every balance credited, keeper polling 1 s
 *   report_window_s                          the chain-time wait the contracts impose between a
 *                                           slot's end and settlement (not included above)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { createPowerShare, marketIdOf, openSlots, type PowerShare } from "@powershare/contracts/sdk";
import {
  devAccount,
  REPORT_WINDOW,
  startTestStack,
  TEST_COMMUNITY,
  type TestStack,
} from "@powershare/contracts/sdk/testing";
import { Keeper } from "../src/keeper/keeper.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const OUT = path.join(ROOT, "docs", "benchmarks", "keeper.json");
const KEEPER = 8;
const BUYER_BASE = 10;
const SELLER_BASE = 40;
const log = pino({ level: "silent" });

async function fund(stack: TestStack, i: number): Promise<void> {
  if (i < 20) return;
  await stack.publicClient.request({
    method: "hardhat_setBalance" as never,
    params: [devAccount(i).address, "0x3635C9ADC5DEA00000"] as never, // 1000 ETH
  });
}

interface MarketSetup {
  marketId: bigint;
  slot: number;
  sellers: { account: number; meter: number }[];
}

/** One market with `sellers` sellers (100 Wh asks each) fully lifted by `buyers` IOC bids. */
async function buildMarket(
  stack: TestStack,
  client: (i: number) => PowerShare,
  communityId: number,
  slot: number,
  sellerAccounts: { account: number; meter: number }[],
  buyerAccounts: { account: number; meter: number }[],
): Promise<MarketSetup> {
  for (const s of sellerAccounts) {
    await client(s.account).place({
      communityId,
      slotStart: slot,
      side: "sell",
      tick: 250,
      amountWh: 100n,
      meterId: s.meter,
    });
  }
  const total = BigInt(sellerAccounts.length) * 100n;
  const per = total / BigInt(buyerAccounts.length);
  for (const [k, b] of buyerAccounts.entries()) {
    const amount = k === buyerAccounts.length - 1 ? total - per * BigInt(buyerAccounts.length - 1) : per;
    await client(b.account).place({
      communityId,
      slotStart: slot,
      side: "buy",
      tick: 260,
      amountWh: amount,
      meterId: b.meter,
      type: "ioc",
    });
  }
  return { marketId: marketIdOf(communityId, slot), slot, sellers: sellerAccounts };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const stack = await startTestStack();
  try {
    const clients = new Map<number, PowerShare>();
    const client = (i: number) => {
      let c = clients.get(i);
      if (!c) {
        c = createPowerShare({
          publicClient: stack.publicClient,
          walletClient: stack.wallet(i),
          addresses: stack.addresses,
        });
        clients.set(i, c);
      }
      return c;
    };
    const communityId = await stack.createCommunity({ horizon: 30 * 24 * 3600 });
    const onboarded = new Map<number, number>();
    const onboard = async (i: number, kind: number) => {
      if (!onboarded.has(i)) {
        await fund(stack, i);
        onboarded.set(i, await stack.onboard(i, communityId, 100_000_000n, kind));
      }
      return { account: i, meter: onboarded.get(i)! };
    };
    const buyers = [];
    for (let i = 0; i < 10; i++) buyers.push(await onboard(BUYER_BASE + i, 1));
    const sellers = [];
    for (let i = 0; i < 100; i++) sellers.push(await onboard(SELLER_BASE + i, 0));
    console.log(`onboarded ${onboarded.size} accounts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const slots = openSlots({ ...TEST_COMMUNITY, horizon: 30 * 24 * 3600 }, await stack.now());
    // Gas per seller for 1, 10 and 100 sellers; one market each, each with 10 buyers (1 buyer for 1 seller).
    const sizes = [1, 10, 100];
    const markets: MarketSetup[] = [];
    for (const [k, n] of sizes.entries()) {
      markets.push(
        await buildMarket(
          stack,
          client,
          communityId,
          slots[2 + k]!,
          sellers.slice(0, n),
          n === 1 ? buyers.slice(0, 1) : buyers,
        ),
      );
    }
    // Throughput: 10 more markets of 3 sellers and 2 buyers.
    const tp: MarketSetup[] = [];
    for (let k = 0; k < 10; k++) {
      tp.push(
        await buildMarket(
          stack,
          client,
          communityId,
          slots[10 + k]!,
          sellers.slice(k * 3, k * 3 + 3),
          buyers.slice(k % 5, (k % 5) + 2),
        ),
      );
    }
    console.log(`built ${markets.length + tp.length} markets in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Deliver half of every sale (and post the reports inside each slot's window).
    const last = tp.at(-1)!.slot;
    for (const m of [...markets, ...tp].sort((a, b) => a.slot - b.slot)) {
      // Each market's reports inside its own window: just after its slot ends.
      if ((await stack.now()) < m.slot + TEST_COMMUNITY.slotLength)
        await stack.warpTo(m.slot + TEST_COMMUNITY.slotLength + 1);
      const reports = m.sellers.map((s) => ({
        meterId: s.meter,
        slotStart: m.slot,
        importedWh: 0n,
        exportedWh: 50n,
      }));
      for (let i = 0; i < reports.length; i += 50) await stack.report(reports.slice(i, i + 50));
    }
    // Settlement allowed for every market from here on.
    await stack.warpTo(last + TEST_COMMUNITY.slotLength + REPORT_WINDOW);

    const keeperClient = client(KEEPER);
    const gasBy = async (hashes: `0x${string}`[]) => {
      let g = 0n;
      for (const h of hashes) g += (await stack.publicClient.getTransactionReceipt({ hash: h })).gasUsed;
      return g;
    };
    // Measured markets one at a time, by their transactions' receipts.
    const settleGas: Record<string, number> = {};
    let claimGas = 0n;
    let claimed = 0;
    let refundGas = 0n;
    let refunds = 0;
    for (const [k, m] of markets.entries()) {
      const n = sizes[k]!;
      const orders = (await keeperClient.settlementWork()).orders
        .filter((o) => o.marketId === m.marketId)
        .map((o) => o.orderId);
      for (let i = 0; i < orders.length; i += 40) {
        const r = await keeperClient.claim(orders.slice(i, i + 40));
        claimGas += r.gasUsed;
        claimed += r.events.filter((e) => e.eventName === "OrderClaimed").length;
      }
      const hashes: `0x${string}`[] = [];
      let settled = 0;
      for (;;) {
        const lookbackSlots = Math.ceil(((await stack.now()) - m.slot) / TEST_COMMUNITY.slotLength) + 1;
        const check = await keeperClient.checkUpkeep(communityId, { lookbackSlots, maxSellers: 20 });
        if (!check.upkeepNeeded || check.marketId !== m.marketId) break;
        const r = await keeperClient.performUpkeep(check.performData);
        hashes.push(r.hash!);
        settled += r.events.filter((e) => e.eventName === "SaleSettled").length;
      }
      if (settled !== n) throw new Error(`settled ${settled} of ${n} sellers`);
      settleGas[String(n)] = Math.round(Number(await gasBy(hashes)) / n);
      const work = await keeperClient.settlementWork();
      for (const b of work.buyers.get(m.marketId) ?? []) {
        if (await keeperClient.refundClaimed(m.marketId, b)) continue;
        const r = await keeperClient.claimRefund(m.marketId, b);
        refundGas += r.gasUsed;
        refunds++;
      }
      console.log(`market of ${n} seller(s): ${settleGas[String(n)]} gas per seller settled`);
    }

    // Throughput and latency: the keeper service (1 s polling) takes the 10 markets to completion.
    const keeper = new Keeper(keeperClient, log, { intervalMs: 1_000 });
    const start = Date.now();
    keeper.start();
    const done = async () => {
      for (const m of tp) if (!(await keeperClient.settlement(m.marketId)).complete) return false;
      return true;
    };
    while (!(await done())) {
      if (Date.now() - start > 600_000) throw new Error("the keeper did not finish in 10 minutes");
      await new Promise((r) => setTimeout(r, 200));
    }
    const elapsedS = (Date.now() - start) / 1000;
    await keeper.stop();

    const result = {
      settle_gas_per_seller: settleGas,
      claim_gas_per_order: Math.round(Number(claimGas) / claimed),
      refund_gas_per_buyer: Math.round(Number(refundGas) / refunds),
      markets_settled_per_min: Math.round((tp.length / elapsedS) * 60 * 10) / 10,
      report_to_credited_s: Math.round(elapsedS * 10) / 10,
      report_window_s: REPORT_WINDOW,
      setup: {
        chain: "hardhat node (automine), private, started by the bench",
        sellers_per_measured_market: sizes,
        buyers_per_measured_market: [1, 10, 10],
        delivery:
          "every seller meter reports 50 of 100 Wh sold (partial delivery: payout, slash and refunds all move)",
        keeper_batches: { claims_per_tx: 40, sellers_per_upkeep: 20 },
        throughput_markets: tp.length,
        throughput_orders_per_market: "3 asks (makers) + 2 IOC bids",
      },
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "?", node: process.version },
      measured_at: new Date().toISOString(),
      total_runtime_s: Math.round((Date.now() - t0) / 1000),
    };
    mkdirSync(path.dirname(OUT), { recursive: true });
    writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
    console.log(JSON.stringify(result, null, 2));
    console.log(`wrote ${path.relative(ROOT, OUT)}`);
  } finally {
    await stack.stop();
  }
}

await main();
