/** The keeper in process on a local chain: health and metrics, and work someone else did first. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { createPowerShare, openSlots, marketIdOf } from "@powershare/contracts/sdk";
import { startTestStack, TEST_COMMUNITY, type TestStack } from "@powershare/contracts/sdk/testing";
import { Keeper } from "../src/keeper/keeper.ts";
import { KeeperMetrics } from "../src/keeper/metrics.ts";
import { startKeeperServer } from "../src/keeper/server.ts";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const client = (i: number) =>
  createPowerShare({
    publicClient: stack.publicClient,
    walletClient: stack.wallet(i),
    addresses: stack.addresses,
  });

describe("keeper", () => {
  it("reports health and metrics, and leaves alone what others already did", async () => {
    const communityId = await stack.createCommunity();
    const seller = await stack.onboard(1, communityId, 100_000_000n, 0);
    const buyer = await stack.onboard(2, communityId, 100_000_000n, 1);
    const slot = openSlots(TEST_COMMUNITY, await stack.now())[1]!;
    const marketId = marketIdOf(communityId, slot);
    await client(1).place({
      communityId,
      slotStart: slot,
      side: "sell",
      tick: 300,
      amountWh: 1_000n,
      meterId: seller,
    });
    await client(2).place({
      communityId,
      slotStart: slot,
      side: "buy",
      tick: 300,
      amountWh: 400n,
      meterId: buyer,
      type: "ioc",
    });

    const metrics = new KeeperMetrics();
    const keeper = new Keeper(client(8), pino({ level: "silent" }), { intervalMs: 200 }, metrics);
    const { server, url } = await startKeeperServer(0, "127.0.0.1", metrics, () => keeper.health());
    try {
      // Nothing to do before the gate.
      const idle = await keeper.cycle();
      expect(idle).toMatchObject({ source: "chain", claimed: 0, transactions: 0, marketsPending: 0 });

      // Someone else claims the maker before the keeper does; the keeper then settles and refunds.
      await stack.warpTo(slot - TEST_COMMUNITY.gateLead);
      const [order] = await client(5).ordersOf(stack.wallet(1).account!.address);
      await client(5).claim([order!.orderId]);
      await stack.warpTo(slot + TEST_COMMUNITY.slotLength + 3600);
      const r = await keeper.cycle();
      expect(r).toMatchObject({ claimed: 0, settled: 1, refunded: 1, failures: 0 });
      expect((await client(8).settlement(marketId)).complete).toBe(true);
      const again = await keeper.cycle();
      expect(again).toMatchObject({ transactions: 0, failures: 0 });

      keeper.start();
      await new Promise((res) => setTimeout(res, 600));
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ healthy: true, lastError: null });
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(text).toMatch(/powershare_keeper_actions_total\{action="settle"\} 1/);
      expect(text).toMatch(/powershare_keeper_actions_total\{action="refund"\} 1/);
      expect(text).toMatch(/powershare_keeper_gas_spent_total\{action="settle"\} [1-9]\d+/);
      expect(text).toMatch(/powershare_keeper_markets_pending 0/);
      expect((await fetch(`${url}/nope`)).status).toBe(404);
    } finally {
      await keeper.stop();
      await new Promise((res) => server.close(res));
    }
  });

  it("settles through settleSale: makers claimed in the first seller's settlement, refunds in the last", async () => {
    const communityId = await stack.createCommunity();
    const s1 = await stack.onboard(1, communityId, 100_000_000n, 0);
    const s2 = await stack.onboard(3, communityId, 100_000_000n, 0);
    const buyer = await stack.onboard(2, communityId, 100_000_000n, 1);
    const bidder = await stack.onboard(4, communityId, 100_000_000n, 1);
    const slot = openSlots(TEST_COMMUNITY, await stack.now())[1]!;
    const marketId = marketIdOf(communityId, slot);
    const p = { communityId, slotStart: slot };
    await client(1).place({ ...p, side: "sell", tick: 300, amountWh: 500n, meterId: s1 });
    await client(3).place({ ...p, side: "sell", tick: 310, amountWh: 500n, meterId: s2 });
    await client(4).place({ ...p, side: "buy", tick: 200, amountWh: 300n, meterId: bidder }); // never filled
    await client(2).place({ ...p, side: "buy", tick: 310, amountWh: 800n, meterId: buyer, type: "ioc" });

    const keeper = new Keeper(client(8), pino({ level: "silent" }), {});
    // After the gate: only the unfilled bid is claimed; the filled asks wait for the settlement (the
    // oracle learns their sellers from the book).
    await stack.warpTo(slot - TEST_COMMUNITY.gateLead);
    const gate = await keeper.cycle();
    expect(gate).toMatchObject({ claimed: 1, settled: 0, refunded: 0, failures: 0, transactions: 1 });
    expect((await client(8).settlement(marketId)).sellers).toEqual([]);

    // After the report window, no report (the oracle was down): each seller settled by one
    // settleSale; the first claims both asks, the last refunds the buyer.
    await stack.warpTo(slot + TEST_COMMUNITY.slotLength + 3600);
    const r = await keeper.cycle();
    expect(r).toMatchObject({ claimed: 2, settled: 2, refunded: 1, failures: 0, transactions: 2 });
    expect((await client(8).settlement(marketId)).complete).toBe(true);
    for (const i of [1, 2, 3, 4])
      expect((await client(8).balances(stack.wallet(i).account!.address)).locked).toBe(0n);
    // A restarted keeper finds nothing left.
    const again = await new Keeper(client(8), pino({ level: "silent" }), {}).cycle();
    expect(again).toMatchObject({ transactions: 0, failures: 0 });
  });
});
