/**
 * `npm run bench:app`: builds the app (timed), gzips each route's first-load JS from
 * .next/diagnostics/route-bundle-stats.json, starts a local stack, measures the tape latency (a
 * trade's block mined → the row on the market page, median of 20) and runs axe on every page →
 * docs/benchmarks/app.json.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import AxeBuilder from "@axe-core/playwright";
import { energyMarketAbi } from "@powershare/contracts";
import { createWalletClient, encodeFunctionData, http, type Abi } from "viem";
import { devAccount } from "../../scripts/seed/index.ts";
import { connect, launch, walletPage } from "../e2e/support/browser.ts";
import { APP_DIR, ROOT, startStack } from "../e2e/support/stack.ts";

const SAMPLES = Number(process.env.TAPE_SAMPLES ?? 20);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

let buildS: number | null = null;
if (process.env.BENCH_SKIP_BUILD !== "1") {
  const t0 = performance.now();
  execFileSync(process.execPath, [path.join(ROOT, "node_modules", "next", "dist", "bin", "next"), "build"], {
    cwd: APP_DIR,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  buildS = Math.round((performance.now() - t0) / 100) / 10;
}

const stats = JSON.parse(
  readFileSync(path.join(APP_DIR, ".next", "diagnostics", "route-bundle-stats.json"), "utf8"),
) as {
  route: string;
  firstLoadUncompressedJsBytes: number;
  firstLoadChunkPaths: string[];
}[];
const routes: Record<string, { first_load_js_gzip_kb: number; first_load_js_kb: number }> = {};
for (const r of stats) {
  const gz = r.firstLoadChunkPaths.reduce(
    (s, p) => s + gzipSync(readFileSync(path.join(APP_DIR, p))).length,
    0,
  );
  routes[r.route] = {
    first_load_js_gzip_kb: Math.round(gz / 102.4) / 10,
    first_load_js_kb: Math.round(r.firstLoadUncompressedJsBytes / 102.4) / 10,
  };
}

const stack = await startStack({ log: (l) => console.log(`stack: ${l}`) });
const browser = await launch();
const latencies: number[] = [];
const indexerLatencies: number[] = [];
let axeFound = 0;
const axeDetail: string[] = [];
try {
  const seller = devAccount(1);
  const buyer = devAccount(4);
  const market = stack.book.contracts.EnergyMarket!.address;
  const slot = stack.seed.slots[2]!;
  const wallet = createWalletClient({ transport: http(stack.rpcUrl) });
  const w = await walletPage(browser, { account: devAccount(3).address, rpcUrl: stack.rpcUrl });
  await w.page.goto(`${stack.appUrl}/markets/${slot.marketId}`);
  await connect(w.page);
  await w.page.getByTestId("tape").or(w.page.getByText("No trades yet in this slot.")).first().waitFor();
  // Every order names a meter of its owner: the seller's delivers, the buyer's receives.
  const meterOf = (index: number) => stack.seed.members.find((m) => m.account.index === index)!.meter.meterId;
  const sellerMeter = meterOf(1);
  const buyerMeter = meterOf(4);
  for (let i = 0; i < SAMPLES; i++) {
    // Between the seed's best bid (≤ 242) and best ask (≥ 262): each sample makes exactly one trade.
    const tick = 250 + (i % 5);
    // The maker: the seller's limit ask, resting (returns once mined).
    await stack.send(seller.address, market, energyMarketAbi as Abi, "placeOrder", [
      {
        communityId: stack.seed.communityId,
        slotStart: slot.slotStart,
        isBid: false,
        tick,
        amountWh: 100n,
        meterId: sellerMeter,
        orderType: 0,
      },
    ]);
    // The taker's trade. The node automines: eth_sendTransaction answers once the block is mined,
    // so the clock starts when the hash arrives (not after a receipt poll, which would start it late).
    const hash = await wallet.sendTransaction({
      account: buyer.address,
      chain: null,
      to: market,
      data: encodeFunctionData({
        abi: energyMarketAbi as Abi,
        functionName: "placeOrder",
        args: [
          {
            communityId: stack.seed.communityId,
            slotStart: slot.slotStart,
            isBid: true,
            tick,
            amountWh: 100n,
            meterId: buyerMeter,
            orderType: 1, // IOC: takes the ask just placed
          },
        ],
      }),
    });
    const mined = performance.now();
    const receipt = await stack.pub.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`sample ${i}: the taker's order reverted`);
    const block = String(receipt.blockNumber);
    // Where the time goes: the indexer serving the trade (polled from here every 25 ms), then the
    // page's own poll and render.
    const indexed = (async () => {
      for (;;) {
        const r = await fetch(`${stack.indexerUrl}/markets/${slot.marketId}/trades?limit=5`);
        const { trades } = (await r.json()) as { trades: { blockNumber: string }[] };
        if (trades.some((t) => String(t.blockNumber) === block)) return performance.now() - mined;
        await new Promise((res) => setTimeout(res, 25));
      }
    })();
    await w.page.locator(`[data-testid="tape-row"][data-block="${block}"]`).waitFor({ timeout: 30_000 });
    latencies.push(performance.now() - mined);
    indexerLatencies.push(await indexed);
  }
  const routesToCheck = [
    "/",
    "/markets",
    `/markets/${slot.marketId}`,
    "/portfolio",
    "/meters",
    "/communities",
    `/communities/${stack.seed.communityId}`,
    "/analytics",
    "/settings",
  ];
  for (const r of routesToCheck) {
    await w.page.goto(`${stack.appUrl}${r}`);
    await w.page.locator("main h1, main .panel").first().waitFor();
    await w.page.waitForTimeout(1_200);
    const res = await new AxeBuilder({ page: w.page }).analyze();
    for (const v of res.violations)
      if (v.impact === "serious" || v.impact === "critical") {
        axeFound += v.nodes.length;
        axeDetail.push(`${r}: ${v.id}`);
      }
  }
} finally {
  await browser.close();
  await stack.stop();
}

const max = Math.max(...Object.values(routes).map((r) => r.first_load_js_gzip_kb));
const out = {
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    node: process.version,
    // The machine is shared: the load average says how busy it was while this ran.
    loadavg_1m: Math.round(os.loadavg()[0]! * 100) / 100,
  },
  indexer_polling_interval_ms: 100, // the test stack's (e2e/support/stack.ts); `npm run dev` polls every 200 ms
  routes,
  max_first_load_js_gzip_kb: max,
  max_first_load_js_gzip_kb_goal: 300,
  tape_latency_ms_median: Math.round(median(latencies)),
  tape_latency_ms_samples: latencies.map(Math.round),
  tape_latency_goal_ms: 1000,
  indexer_latency_ms_median: Math.round(median(indexerLatencies)),
  axe_serious_or_critical: axeFound,
  axe_details: axeDetail,
  build_s: buildS,
};
mkdirSync(path.join(ROOT, "docs", "benchmarks"), { recursive: true });
writeFileSync(path.join(ROOT, "docs", "benchmarks", "app.json"), JSON.stringify(out, null, 2) + "\n");
console.log(JSON.stringify(out, null, 2));
