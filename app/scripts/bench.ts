/**
 * `npm run bench:app`: builds the app (timed), gzips each route's first-load JS from
 * .next/diagnostics/route-bundle-stats.json, starts a local stack, measures the tape latency (a
 * trade's block mined → the row on the market page, median of 20) and runs axe on every page →
 * docs/benchmarks/app.json.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import AxeBuilder from "@axe-core/playwright";
import { energyMarketAbi } from "@powershare/contracts";
import type { Abi } from "viem";
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
let axeFound = 0;
const axeDetail: string[] = [];
try {
  const seller = devAccount(1);
  const buyer = devAccount(4);
  const market = stack.book.contracts.EnergyMarket!.address;
  const slot = stack.seed.slots[2]!;
  const w = await walletPage(browser, { account: devAccount(3).address, rpcUrl: stack.rpcUrl });
  await w.page.goto(`${stack.appUrl}/markets/${slot.marketId}`);
  await connect(w.page);
  await w.page.getByTestId("tape").or(w.page.getByText("No trades yet in this slot.")).first().waitFor();
  const meterId = stack.seed.members.find((m) => m.account.index === 1)!.meter.meterId;
  for (let i = 0; i < SAMPLES; i++) {
    const tick = 250 + (i % 5);
    const place = (from: typeof seller, isBid: boolean, orderType: number) =>
      stack.send(from.address, market, energyMarketAbi as Abi, "placeOrder", [
        {
          communityId: stack.seed.communityId,
          slotStart: slot.slotStart,
          isBid,
          tick,
          amountWh: 100n,
          meterId: isBid ? 0 : meterId,
          orderType,
        },
      ]);
    await place(seller, false, 0);
    const hash = await place(buyer, true, 1); // returns once mined
    const mined = performance.now();
    const receipt = await stack.pub.getTransactionReceipt({ hash });
    await w.page
      .locator(`[data-testid="tape-row"][data-block="${receipt.blockNumber}"]`)
      .waitFor({ timeout: 30_000 });
    latencies.push(performance.now() - mined);
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
  machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
  routes,
  max_first_load_js_gzip_kb: max,
  max_first_load_js_gzip_kb_goal: 300,
  tape_latency_ms_median: Math.round(median(latencies)),
  tape_latency_ms_samples: latencies.map(Math.round),
  tape_latency_goal_ms: 1000,
  axe_serious_or_critical: axeFound,
  axe_details: axeDetail,
  build_s: buildS,
};
mkdirSync(path.join(ROOT, "docs", "benchmarks"), { recursive: true });
writeFileSync(path.join(ROOT, "docs", "benchmarks", "app.json"), JSON.stringify(out, null, 2) + "\n");
console.log(JSON.stringify(out, null, 2));
