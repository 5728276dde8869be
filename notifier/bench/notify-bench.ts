/**
 * `npm run bench:notify` — trade fills told by webhook, end to end, on a private Hardhat chain with
 * the notifier and the webhook endpoints (bench/webhook-sink.ts) running as their own processes
 * (SQLite). Writes docs/benchmarks/notify.json:
 *
 *   webhooks_per_s            webhook deliveries answered 2xx per wall second while the notifier
 *                             drains a backlog (trades made while it was down), 100 endpoints of
 *                             which 1 always answers 500 (retried, then failed)
 *   fill_to_webhook_p50_s     from a trade's receipt at the trader to each of the taker's webhooks
 *   fill_to_webhook_p99_s     arriving, 1-second blocks, 2 confirmations, steady trading, including
 *                             a notifier restart (SIGTERM, 3 s down) in the middle of that phase
 *   lost                      expected (event, healthy endpoint) pairs never received
 *   duplicated                2xx receipts beyond the first of an (event, endpoint) pair
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Address, Hex } from "viem";
import { createPowerShare, marketIdOf, openSlots, type PowerShare } from "@powershare/contracts/sdk";
import { devAccount, startTestStack, TEST_COMMUNITY } from "@powershare/contracts/sdk/testing";
import { api, signIn } from "../test/support/siwe-client.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const OUT = path.join(ROOT, "docs", "benchmarks", "notify.json");
const SELLER = 1;
const BUYERS = [2, 3, 4, 5, 6, 7];
const HOOKS_PER = { seller: 10, buyer: 15 }; // 10 + 6 × 15 = 100 endpoints
const FAILING = "/e-3-0"; // one of buyer 3's endpoints: 1 % of the endpoints
const BACKLOG_TRADES_PER_BUYER = Number(process.env.BENCH_BACKLOG ?? 30);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_S ?? 40);
const CONFIRMATIONS = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lower = (a: string) => a.toLowerCase() as Address;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

interface Receipt {
  path: string;
  event: string;
  key: string;
  status: number;
  at: number;
}

const cleanup: (() => unknown)[] = [];

async function main() {
  const started = Date.now();
  const stack = await startTestStack();
  cleanup.push(() => stack.stop());
  const rpc = (method: string, params: unknown[]) =>
    stack.publicClient.request({ method: method as never, params: params as never });
  const communityId = await stack.createCommunity();
  const meters: Record<number, number> = {};
  meters[SELLER] = await stack.onboard(SELLER, communityId, 1_000_000_000n, 0);
  for (const b of BUYERS) meters[b] = await stack.onboard(b, communityId, 1_000_000_000n, 1);
  const client = (i: number): PowerShare =>
    createPowerShare({
      publicClient: stack.publicClient,
      walletClient: stack.wallet(i),
      addresses: stack.addresses,
    });
  const slot = openSlots(TEST_COMMUNITY, await stack.now())[4]!;
  const marketId = marketIdOf(communityId, slot);
  const dir = mkdtempSync(path.join(os.tmpdir(), "notify-bench-"));
  const book = path.join(dir, "book.json");
  writeFileSync(book, JSON.stringify(stack.addressBook));

  // 100 webhook endpoints on one local server.
  const receipts: Receipt[] = [];
  /** (event, endpoint) pairs answered 2xx, kept as they arrive (cheap to check while waiting). */
  const okSet = new Set<string>();
  const sink = spawn(process.execPath, [path.join(HERE, "webhook-sink.ts"), FAILING], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  cleanup.push(() => sink.kill("SIGKILL"));
  const hookBase = await new Promise<string>((resolve, reject) => {
    let buf = "";
    let url: string | undefined;
    sink.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = JSON.parse(buf.slice(0, nl)) as Receipt & { url?: string };
        buf = buf.slice(nl + 1);
        if (line.url) {
          url = line.url;
          resolve(line.url);
          continue;
        }
        receipts.push(line);
        if (line.status < 300) okSet.add(`${line.event}|${line.path}`);
      }
    });
    sink.once("exit", (c) => (url ? undefined : reject(new Error(`webhook sink exited ${c}`))));
  });

  const sqlite = path.join(dir, "notifier.sqlite");
  let notifier: { child: ChildProcess; url: string } | undefined;
  const startN = async () => {
    const child = spawn(process.execPath, [path.join(HERE, "..", "bin", "notifier.ts")], {
      env: {
        PATH: process.env.PATH ?? "",
        POWERSHARE_RPC_URL: stack.url,
        POWERSHARE_ADDRESS_BOOK: book,
        NOTIFIER_SQLITE: sqlite,
        NOTIFIER_PORT: "0",
        NOTIFIER_CONFIRMATIONS: String(CONFIRMATIONS),
        NOTIFIER_POLL_MS: "100",
        NOTIFIER_ALLOW_PRIVATE_WEBHOOKS: "true",
        NOTIFIER_MAX_WEBHOOKS: "20",
        NOTIFIER_MAX_ATTEMPTS: "3",
        NOTIFIER_RETRY_BASE_MS: "200",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let buf = "";
      child.stdout!.on("data", (d: Buffer) => {
        buf += d.toString();
        const m = /\{"notifier":"([^"]+)"\}/.exec(buf);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (c) => reject(new Error(`notifier exited ${c}`)));
    });
    notifier = { child, url };
    cleanup.push(() => child.kill("SIGKILL"));
    return notifier;
  };
  const stopN = async (signal: NodeJS.Signals) => {
    const n = notifier!;
    const exited = new Promise((r) => n.child.once("exit", r));
    n.child.kill(signal);
    await exited;
    notifier = undefined;
  };

  // Register the endpoints through the API, signed in with each account.
  let n = await startN();
  const endpointsOf = new Map<Address, string[]>();
  for (const [i, count] of [
    [SELLER, HOOKS_PER.seller] as const,
    ...BUYERS.map((b) => [b, HOOKS_PER.buyer] as const),
  ]) {
    const s = await signIn(n.url, devAccount(i));
    const a = lower(devAccount(i).address);
    const paths: string[] = [];
    for (let k = 0; k < count; k++) {
      const p = `/e-${i}-${k}`;
      const r = await api(n.url, s.token).post(`/v1/accounts/${a}/webhooks`, { url: `${hookBase}${p}` });
      if (r.status !== 201) throw new Error(`webhook registration failed: ${JSON.stringify(r.body)}`);
      paths.push(p);
    }
    endpointsOf.set(a, paths);
  }
  // Only webhooks: no in-app rows for this run's figures to wait on.
  for (const i of [SELLER, ...BUYERS]) {
    const s = await signIn(n.url, devAccount(i));
    await api(n.url, s.token).put(`/v1/accounts/${lower(devAccount(i).address)}/preferences`, {
      subscriptions: { order_filled: ["webhook"] },
    });
  }

  // The seller's resting ask, big enough for every buy.
  await client(SELLER).place({
    communityId,
    slotStart: slot,
    side: "sell",
    tick: 300,
    amountWh: 2_000_000n,
    meterId: meters[SELLER]!,
  });
  const [ask] = await client(SELLER).ordersOf(devAccount(SELLER).address, { marketId });
  const trades: { tx: Hex; block: bigint; buyer: Address; at: number; phase: "backlog" | "steady" }[] = [];
  const buy = async (b: number, phase: "backlog" | "steady") => {
    const r = await client(b).place({
      communityId,
      slotStart: slot,
      side: "buy",
      tick: 300,
      amountWh: 100n,
      meterId: meters[b]!,
      type: "ioc",
    });
    trades.push({
      tx: r.hash!,
      block: r.receipt!.blockNumber,
      buyer: lower(devAccount(b).address),
      at: Date.now(),
      phase,
    });
  };

  // Phase 1: a backlog made while the notifier is down (automine), then drained.
  await stopN("SIGTERM");
  await Promise.all(
    BUYERS.map(async (b) => {
      for (let k = 0; k < BACKLOG_TRADES_PER_BUYER; k++) await buy(b, "backlog");
    }),
  );
  await rpc("evm_mine", []);
  await rpc("evm_mine", []);
  const expectedOk = () => {
    const want = new Set<string>();
    const makerBlocks = new Set<bigint>();
    for (const t of trades) {
      for (const p of endpointsOf.get(t.buyer)!)
        if (p !== FAILING) want.add(`fill:taker:${t.tx}:${marketId}:buy|${p}`);
      makerBlocks.add(t.block);
    }
    for (const b of makerBlocks)
      for (const p of endpointsOf.get(lower(devAccount(SELLER).address))!)
        want.add(`fill:maker:${ask!.orderId}:${b}|${p}`);
    return want;
  };
  const okPairs = () => okSet;
  const waitAll = async (timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    const missing = new Set([...expectedOk()].filter((w) => !okSet.has(w)));
    for (;;) {
      for (const w of missing) if (okSet.has(w)) missing.delete(w);
      if (missing.size === 0) return;
      if (Date.now() > end) {
        console.error(
          `still missing ${missing.size}, e.g. ${[...missing].slice(0, 3).join(", ")}; received e.g. ${[...okSet].slice(0, 2).join(", ")}`,
        );
        return;
      }
      await sleep(250);
    }
  };
  const drainStart = Date.now();
  const before = receipts.length;
  n = await startN();
  await waitAll(300_000);
  const drained = receipts.slice(before).filter((r) => r.status < 300);
  const drainEnd = Math.max(...drained.map((r) => r.at));
  const webhooksPerS = drained.length / ((drainEnd - drainStart) / 1000);
  console.log(
    `backlog: ${trades.length} trades, ${drained.length} webhooks in ${((drainEnd - drainStart) / 1000).toFixed(1)} s (incl. start-up)`,
  );

  // Phase 2: steady trading on 1-second blocks, a restart in the middle.
  await rpc("evm_setAutomine", [false]);
  await rpc("evm_setIntervalMining", [1_000]);
  const steadyFrom = trades.length;
  const stopAt = Date.now() + STEADY_SECONDS * 1000;
  let restarted = false;
  const restart = (async () => {
    await sleep((STEADY_SECONDS * 1000) / 2);
    await stopN("SIGTERM");
    await sleep(3_000);
    n = await startN();
    restarted = true;
  })();
  await Promise.all(
    BUYERS.map(async (b, i) => {
      await sleep(i * 150);
      while (Date.now() < stopAt) {
        await buy(b, "steady");
        await sleep(800);
      }
    }),
  );
  await restart;
  await rpc("evm_mine", []);
  await rpc("evm_mine", []);
  await rpc("evm_mine", []);
  await waitAll(120_000);
  await sleep(2_000); // anything late or repeated would show now

  const want = expectedOk();
  const got = okPairs();
  const lost = [...want].filter((w) => !got.has(w)).length;
  const okReceipts = receipts.filter((r) => r.status < 300);
  const duplicated = okReceipts.length - got.size;
  const firstAt = new Map<string, number>();
  for (const r of okReceipts) {
    const k = `${r.event}|${r.path}`;
    if (!firstAt.has(k)) firstAt.set(k, r.at);
  }
  const lat: number[] = [];
  for (const t of trades.slice(steadyFrom))
    for (const p of endpointsOf.get(t.buyer)!) {
      const at = firstAt.get(`fill:taker:${t.tx}:${marketId}:buy|${p}`);
      if (at !== undefined) lat.push((at - t.at) / 1000);
    }
  const failedAttempts = receipts.filter((r) => r.path === FAILING).length;
  await stopN("SIGTERM");
  sink.kill("SIGTERM");
  await stack.stop();

  const result = {
    webhooks_per_s: Math.round(webhooksPerS * 10) / 10,
    fill_to_webhook_p50_s: Math.round(pct(lat, 50) * 1000) / 1000,
    fill_to_webhook_p99_s: Math.round(pct(lat, 99) * 1000) / 1000,
    lost,
    duplicated,
    restarted_during_steady_phase: restarted,
    endpoints: HOOKS_PER.seller + BUYERS.length * HOOKS_PER.buyer,
    failing_endpoints: 1,
    failing_endpoint_attempts: failedAttempts,
    trades_backlog: steadyFrom,
    trades_steady: trades.length - steadyFrom,
    webhooks_expected: want.size,
    webhooks_received_2xx: okReceipts.length,
    confirmations: CONFIRMATIONS,
    block_time_s_steady: 1,
    store: "sqlite",
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}`,
    node: process.version,
    run_s: Math.round((Date.now() - started) / 1000),
    date: new Date().toISOString(),
  };
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

try {
  await main();
  process.exit(0);
} catch (err) {
  console.error(err);
  for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => undefined);
  process.exit(1);
}
