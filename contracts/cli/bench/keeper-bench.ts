/**
 * `npm run bench:keeper` — what the settlement loop costs and how fast the keeper closes it, on a
 * private Hardhat chain (automine). Writes docs/benchmarks/keeper.json:
 *
 *   keeper_gas_per_seller {"1","10","100","1_returning"}
 *                                           all gas the keeper spent on a market (maker claims,
 *                                           settleSale per seller meter, refunds) per seller meter,
 *                                           market with N sellers, half delivered; "1": a seller's
 *                                           first settlement in the community, "1_returning": the
 *                                           same seller's next (decision 0028's definitions)
 *   keeper_gas_per_trade {first, returning} the 1-seller, 1-buyer markets: one maker ask lifted by
 *                                           one IOC bid, settled by the keeper (claim, settlement
 *                                           and refund in one settleSale)
 *   keeper_transactions_per_market {...}    the keeper's transactions for each measured market
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
    // Gas per seller for 1, 10 and 100 sellers; one market each, each with 10 buyers (1 buyer for 1
    // seller); then the first seller again, alone ("1_returning": it has settled before).
    const sizes = ["1", "10", "100", "1_returning"];
    const markets: MarketSetup[] = [];
    for (const [k, label] of sizes.entries()) {
      const n = label === "1_returning" ? 1 : Number(label);
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
    // Measured markets one at a time, by the keeper itself (one cycle restricted to the market).
    const keeperGas: Record<string, number> = {};
    const keeperTxs: Record<string, number> = {};
    for (const [k, m] of markets.entries()) {
      const label = sizes[k]!;
      const n = m.sellers.length;
      const r = await new Keeper(keeperClient, log, { markets: (id) => id === m.marketId }).cycle();
      if (r.settled !== n || r.failures !== 0) throw new Error(`settled ${r.settled} of ${n} sellers`);
      if (!(await keeperClient.settlement(m.marketId)).complete) throw new Error("market not complete");
      keeperGas[label] = Math.round(Number(r.gasUsed) / n);
      keeperTxs[label] = r.transactions;
      console.log(
        `market of ${label} seller(s): ${keeperGas[label]} gas per seller, ${r.transactions} tx ` +
          `(${r.claimed} claims, ${r.settled} settled, ${r.refunded} refunds)`,
      );
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
      keeper_gas_per_seller: keeperGas,
      keeper_gas_per_trade: { first: keeperGas["1"], returning: keeperGas["1_returning"] },
      keeper_transactions_per_market: keeperTxs,
      markets_settled_per_min: Math.round((tp.length / elapsedS) * 60 * 10) / 10,
      report_to_credited_s: Math.round(elapsedS * 10) / 10,
      report_window_s: REPORT_WINDOW,
      setup: {
        chain: "hardhat node (automine), private, started by the bench",
        sellers_per_measured_market: [1, 10, 100, 1],
        buyers_per_measured_market: [1, 10, 10, 1],
        delivery:
          "every seller meter reports 50 of 100 Wh sold (partial delivery: payout, slash and refunds all move)",
        keeper:
          "CLI keeper: settleSale per seller meter, the first with the market's maker orders (≤ 40; more are claimed 40 per transaction first), the last with ≤ 40 buyers",
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
