/**
 * `npm run dev` end to end: the stack comes up, prints "ready", the chain holds the deployed and
 * seeded contracts (community, members, meters, balances, resting orders, the trade), the indexer
 * serves the seeded book and trade, and SIGINT
 * stops everything with exit code 0 and frees the chain's port.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createPublicClient, getAddress, http, type Address } from "viem";
import { deliverySettlementAbi, energyMarketAbi, mockUsdcAbi, type AddressBook } from "@powershare/contracts";
import { readAddressBook } from "@powershare/contracts/node";
import {
  DEMO_COMMUNITY,
  DEMO_MEMBERS,
  DEMO_TRADE,
  FUNDED_ACCOUNTS,
  MEMBER_DEPOSIT,
  SEEDED_SLOTS,
  WALLET_FUNDING,
  deviceAccount,
  devAccount,
} from "../scripts/seed/index.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RPC_URL = "http://127.0.0.1:8545";
const READY = /PowerShare dev stack ready/;
const READY_TIMEOUT_MS = 240_000; // a cold start compiles the contracts

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

describe("npm run dev", { timeout: READY_TIMEOUT_MS + 240_000 }, () => {
  let dev: ChildProcess;
  let output = "";
  let exit: Promise<[number | null, NodeJS.Signals | null]>;
  let book: AddressBook;
  const client = createPublicClient({ transport: http(RPC_URL), pollingInterval: 100 });
  // The agents start trading as soon as the stack is up: what the seed left is read at the seed's
  // last block (its one trade, which follows every seeded order), not at the head.
  const seedEnd = async () => {
    const [trade] = await client.getContractEvents({
      address: book.contracts.EnergyMarket!.address,
      abi: energyMarketAbi,
      eventName: "Trade",
      fromBlock: BigInt(book.startBlock),
    });
    assert.ok(trade, "the seed's trade is on chain");
    return trade.blockNumber;
  };

  before(async () => {
    assert.equal(await portOpen(8545), false, "port 8545 is busy: stop the running `npm run dev` first");
    dev = spawn(process.execPath, [path.join(ROOT, "scripts", "dev.ts")], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    exit = once(dev, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    dev.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    dev.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not ready in time; output:\n${output}`)),
        READY_TIMEOUT_MS,
      );
      const check = () => {
        if (READY.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      dev.stdout!.on("data", check);
      void exit.then(([code]) => {
        clearTimeout(timer);
        reject(new Error(`dev exited (${code}) before ready; output:\n${output}`));
      });
    });
    book = readAddressBook(31337);
  });

  after(async () => {
    if (dev.exitCode === null && dev.signalCode === null) {
      dev.kill("SIGINT");
      await exit;
    }
  });

  it("prints the contracts, the accounts with their dev keys and the services", () => {
    assert.match(output, new RegExp(`EnergyMarket\\s+${book.contracts.EnergyMarket!.address}`));
    assert.match(output, new RegExp(devAccount(0).privateKey));
    assert.match(output, /chain\s+up\s+Hardhat node/);
    assert.match(output, /127\.0\.0\.1:8545/);
  });

  it("runs the keeper and the dApp, and prints where to find them", async () => {
    assert.match(output, /keeper\s+up\s+settlement keeper/);
    const app = /app\s+up\s+dApp.*? url (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    assert.ok(app, "the dApp is up and its URL printed");
    // The dev server compiles a page on its first request.
    const res = await fetch(`${app[1]}/markets`, { signal: AbortSignal.timeout(180_000) });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<title>[^<]*PowerShare<\/title>/);
  });

  it("deployed the LocalStack contracts recorded in the address book", async () => {
    assert.equal(book.chainId, 31337);
    assert.equal(await client.getChainId(), 31337);
    for (const name of [
      "EnergyMarket",
      "MockUSDC",
      "MockV3Aggregator",
      "DeliverySettlement",
      "SettlementKeeper",
      "TreasuryGovernor",
    ]) {
      const c = book.contracts[name];
      assert.ok(c, `${name} in the address book`);
      const code = await client.getCode({ address: c.address });
      assert.ok(code && code.length > 2, `${name} has code at ${c.address}`);
    }
    const market = book.contracts.EnergyMarket!.address;
    const quote = await client.readContract({
      address: market,
      abi: energyMarketAbi,
      functionName: "quoteToken",
    });
    assert.equal(getAddress(quote), getAddress(book.contracts.MockUSDC!.address));
    assert.equal(getAddress(book.quoteToken), getAddress(quote));
    // The oracle's account is the one registered signer of the settlement contract.
    const settlement = book.contracts.DeliverySettlement;
    assert.ok(settlement, "DeliverySettlement in the address book");
    const isSigner = (a: Address) =>
      client.readContract({
        address: settlement.address,
        abi: deliverySettlementAbi,
        functionName: "isOracleSigner",
        args: [a],
      });
    assert.equal(await isSigner(devAccount(9).address), true);
    assert.equal(await isSigner(devAccount(0).address), false);
  });

  it("seeded the community, its members and their meters", async () => {
    const market = book.contracts.EnergyMarket!.address;
    const read = (functionName: string, args: readonly unknown[] = []) =>
      client.readContract({
        address: market,
        abi: energyMarketAbi,
        functionName,
        args,
      } as never) as Promise<unknown>;
    assert.equal(Number(await read("communityCount")), 1);
    assert.equal(await read("isMember", [1, devAccount(0).address]), true);
    assert.equal(Number(await read("meterCount")), DEMO_MEMBERS.length);
    for (const [i, m] of DEMO_MEMBERS.entries()) {
      const a = devAccount(m.accountIndex).address;
      assert.equal(await read("isMember", [1, a]), true, `${m.name} is a member`);
      const meterId = i + 1;
      const [owner, communityId, , active, capacityW, deviceKey] = (await read("meter", [meterId])) as [
        Address,
        number,
        number,
        boolean,
        number,
        Address,
      ];
      assert.equal(getAddress(owner), getAddress(a));
      assert.equal(Number(communityId), 1);
      assert.equal(active, true);
      assert.equal(Number(capacityW), m.meter.capacityW);
      assert.equal(getAddress(deviceKey), deviceAccount(meterId).address, "deterministic device key");
    }
  });

  it("funded the accounts: wallet USDC and market balances that back the resting orders", async () => {
    const usdc = book.contracts.MockUSDC!.address;
    const market = book.contracts.EnergyMarket!.address;
    const spare = devAccount(FUNDED_ACCOUNTS - 2).address; // #8: funded, not a member
    assert.equal(
      await client.readContract({
        address: usdc,
        abi: mockUsdcAbi,
        functionName: "balanceOf",
        args: [spare],
      }),
      WALLET_FUNDING,
    );
    const unit = DEMO_COMMUNITY.params.tickSize / 1000n;
    const blockNumber = await seedEnd();
    for (const m of DEMO_MEMBERS) {
      const a = devAccount(m.accountIndex).address;
      const [free, locked] = await client.readContract({
        address: market,
        abi: energyMarketAbi,
        functionName: "balanceOf",
        args: [a],
        blockNumber,
      });
      // A resting bid locks amount × limit price; the IOC trade paid its maker's price from free.
      let bidLock = 0n;
      for (let k = 0; k < SEEDED_SLOTS; k++) {
        for (const b of m.bids) bidLock += b.amountWh * BigInt(b.tick + k) * unit;
      }
      const paid = m.accountIndex === DEMO_TRADE.buyerAccountIndex ? DEMO_TRADE.amountWh * 260n * unit : 0n;
      if (m.asks.length === 0) {
        assert.equal(locked, bidLock, `${m.name}: locked backs the bids`);
        assert.equal(free, MEMBER_DEPOSIT - bidLock - paid, `${m.name}: free is the rest`);
      } else {
        // Sellers additionally lock their bond for what they offer (and sold).
        assert.ok(locked > bidLock, `${m.name}: the asks lock a bond`);
        assert.equal(free + locked, MEMBER_DEPOSIT, `${m.name}: nothing lost`);
      }
    }
  });

  it("left resting bids and asks on the next slots, and one trade", async () => {
    const market = book.contracts.EnergyMarket!.address;
    const blockNumber = await seedEnd();
    const placed = await client.getContractEvents({
      address: market,
      abi: energyMarketAbi,
      eventName: "OrderPlaced",
      fromBlock: BigInt(book.startBlock),
      toBlock: blockNumber,
    });
    const perSlotOrders = DEMO_MEMBERS.reduce((n, m) => n + m.asks.length + m.bids.length, 0);
    assert.equal(placed.length, perSlotOrders * SEEDED_SLOTS);
    const marketIds = [...new Set(placed.map((e) => (e.args as { marketId: bigint }).marketId))].sort(
      (a, b) => (a < b ? -1 : 1),
    );
    assert.equal(marketIds.length, SEEDED_SLOTS);
    const bestBid = Math.max(...DEMO_MEMBERS.flatMap((m) => m.bids.map((b) => b.tick)));
    const bestAsk = Math.min(...DEMO_MEMBERS.flatMap((m) => m.asks.map((a) => a.tick)));
    for (const [k, marketId] of marketIds.entries()) {
      const [hasBid, bid, hasAsk, ask] = await client.readContract({
        address: market,
        abi: energyMarketAbi,
        functionName: "bestPrices",
        args: [marketId],
        blockNumber,
      });
      assert.deepEqual([hasBid, Number(bid), hasAsk, Number(ask)], [true, bestBid + k, true, bestAsk + k]);
    }
    const trades = await client.getContractEvents({
      address: market,
      abi: energyMarketAbi,
      eventName: "Trade",
      fromBlock: BigInt(book.startBlock),
      toBlock: blockNumber,
    });
    assert.equal(trades.length, 1);
    const t = trades[0]!.args as { marketId: bigint; amountWh: bigint; tick: number };
    assert.equal(t.marketId, marketIds[0]);
    assert.equal(t.amountWh, DEMO_TRADE.amountWh);
    assert.equal(Number(t.tick), bestAsk);
  });

  it("indexes the seeded book and trade: the indexer's REST API agrees with the chain", async () => {
    const port = /http:\/\/127\.0\.0\.1:(\d+)\/graphql/.exec(output)?.[1];
    assert.ok(port, "the indexer's address is printed");
    const base = `http://127.0.0.1:${port}`;
    const head = Number(await client.getBlockNumber());
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = (await (await fetch(`${base}/status`)).json()) as Record<
        string,
        { block: { number: number } }
      >;
      if ((Object.values(status)[0]?.block.number ?? 0) >= head) break;
      assert.ok(Date.now() < deadline, "the indexer reaches the chain's head");
      await new Promise((r) => setTimeout(r, 250));
    }
    const market = book.contracts.EnergyMarket!.address;
    const [trade] = await client.getContractEvents({
      address: market,
      abi: energyMarketAbi,
      eventName: "Trade",
      fromBlock: BigInt(book.startBlock),
    });
    const { marketId, amountWh, tick } = trade!.args as { marketId: bigint; amountWh: bigint; tick: number };
    const trades = (await (await fetch(`${base}/markets/${marketId}/trades?limit=10`)).json()) as {
      trades: { amountWh: string; tick: number }[];
    };
    assert.deepEqual(
      trades.trades.map((t) => [BigInt(t.amountWh), Number(t.tick)]),
      [[amountWh, Number(tick)]],
    );
    const depth = (await (await fetch(`${base}/markets/${marketId}/depth`)).json()) as {
      bestBid: number | null;
      bestAsk: number | null;
    };
    const [, bid, , ask] = await client.readContract({
      address: market,
      abi: energyMarketAbi,
      functionName: "bestPrices",
      args: [marketId],
    });
    assert.deepEqual([depth.bestBid, depth.bestAsk], [Number(bid), Number(ask)]);
  });

  it("stops cleanly on SIGINT: exit code 0 and the chain's port released", async () => {
    dev.kill("SIGINT");
    const [code, signal] = await exit;
    assert.equal(signal, null);
    assert.equal(code, 0, output.slice(-2000));
    assert.match(output, /stopped cleanly/);
    assert.equal(await portOpen(8545), false, "the hardhat node is gone");
  });
});
