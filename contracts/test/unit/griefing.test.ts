// Griefing attacks found by the independent review (issue 13), each reproduced: these tests fail
// against the contracts before the fix (commit 66be8c5) and pass after it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseEventLogs } from "viem";
import {
  MIN_WH,
  UNIT,
  balance,
  bid,
  closeGate,
  eventsNamed,
  load,
  orderParams,
  placeMany,
  params,
  viem,
  type Fx,
  type Wallet,
} from "./fixture.ts";

const A = viem.assertions;

async function gasOf(fx: Fx, hash: Promise<`0x${string}`>) {
  return (await fx.publicClient.waitForTransactionReceipt({ hash: await hash })).gasUsed;
}

/** `n` minimum asks of `who` at `tick`, in batches of 64 orders per transaction; their ids. */
async function minimumAsks(fx: Fx, who: Wallet, tick: number, n: number): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (let done = 0; done < n; done += 64) {
    const batch = Array.from({ length: Math.min(64, n - done) }, () =>
      orderParams(fx, who, { isBid: false, tick, amountWh: MIN_WH }),
    );
    const hash = await placeMany(fx, who, batch);
    const receipt = await fx.publicClient.waitForTransactionReceipt({ hash });
    const logs = (await fx.market.getEvents.OrderPlaced({}, { blockHash: receipt.blockHash })) as any[];
    for (const l of logs) ids.push(l.args.orderId as bigint);
  }
  return ids;
}

async function cancelAll(fx: Fx, who: Wallet, ids: bigint[]) {
  for (let i = 0; i < ids.length; i += 64) {
    await fx.market.write.cancelMany([ids.slice(i, i + 64)], { account: who.account });
  }
}

describe("EnergyMarket · griefing (issue 13)", () => {
  it("F1: pausing costs the same however many communities users create", async () => {
    const fx = await load();
    const pauseGas = await gasOf(fx, fx.market.write.pause({ account: fx.guardian.account }));
    const unpauseGas = await gasOf(fx, fx.market.write.unpause({ account: fx.guardian.account }));
    // Junk communities, created by an outsider at no risk.
    for (let i = 0; i < 40; i++) {
      await fx.market.write.createCommunity([`junk ${i}`, params()], { account: fx.eve.account });
    }
    assert.equal(await gasOf(fx, fx.market.write.pause({ account: fx.guardian.account })), pauseGas);
    // Paused: order entry refused in every community.
    await A.revertWithCustomError(bid(fx, fx.carol, 30, 100n), fx.market, "EnforcedPause");
    assert.equal(await gasOf(fx, fx.market.write.unpause({ account: fx.guardian.account })), unpauseGas);
    await bid(fx, fx.carol, 30, 100n);
  });

  it("F2: a level filled with cancelled orders takes new makers, and their fills and claims are exact", async () => {
    const fx = await load();
    const tick = 20;
    // The attack: 512 minimum asks at one tick, then every one cancelled (every unit comes back).
    const before = await balance(fx, fx.bob);
    const junk = await minimumAsks(fx, fx.bob, tick, 512);
    // A taker fills the first two, so the first generation mixes fills and cancels at the front
    // and behind it.
    await bid(fx, fx.dave, tick, 2n * MIN_WH, 1);
    await cancelAll(fx, fx.bob, junk.slice(2).reverse());
    const [, , , available] = await fx.market.read.level([fx.marketId, false, tick]);
    assert.equal(available, 0n);

    // Another maker can still rest at that tick, and a level with holes fills in order.
    const carol = await minimumAsks(fx, fx.carol, tick, 3);
    await fx.market.write.cancel([carol[1]!], { account: fx.carol.account });
    const take = await bid(fx, fx.dave, tick, 150n, 1);
    assert.equal(take.filledWh, 150n);
    await closeGate(fx);
    const claimed: any[] = [];
    const all = [...junk, ...carol];
    for (let i = 0; i < all.length; i += 128) {
      const hash = await fx.market.write.claim([all.slice(i, i + 128)]);
      const receipt = await fx.publicClient.waitForTransactionReceipt({ hash });
      claimed.push(
        ...eventsNamed(parseEventLogs({ abi: fx.market.abi, logs: receipt.logs }), "OrderClaimed"),
      );
    }
    const fill = new Map(claimed.map((e) => [e.args.orderId as bigint, e.args.filledWh as bigint]));
    assert.equal(fill.get(junk[0]!), MIN_WH);
    assert.equal(fill.get(junk[1]!), MIN_WH);
    for (const id of junk.slice(2)) assert.equal(fill.get(id), 0n);
    assert.deepEqual(
      carol.map((id) => fill.get(id)),
      [100n, 0n, 50n],
    );
    // bob got back everything but the bond of what he sold (200 Wh, still bonded until settlement).
    const after = await balance(fx, fx.bob);
    assert.equal(after.free + after.locked, before.free + before.locked);
    const totals = await fx.market.read.marketTotals([fx.marketId]);
    assert.equal(totals.tradedWh, 350n);
    assert.equal(totals.resolvedAskWh, 350n);
    assert.equal(totals.tradedValue, 350n * BigInt(tick) * UNIT);
  });

  it("F2: a level holding 512 resting orders is full until they are taken or cancelled", async () => {
    const fx = await load();
    const tick = 21;
    const ids = await minimumAsks(fx, fx.bob, tick, 512);
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.placeOrder([orderParams(fx, fx.carol, { isBid: false, tick, amountWh: MIN_WH })], {
        account: fx.carol.account,
      }),
      fx.market,
      "LevelFull",
      [tick],
    );
    // One left resting: still full. None left: a new generation starts.
    await cancelAll(fx, fx.bob, ids.slice(0, 511));
    await A.revertWithCustomError(
      fx.market.write.placeOrder([orderParams(fx, fx.carol, { isBid: false, tick, amountWh: MIN_WH })], {
        account: fx.carol.account,
      }),
      fx.market,
      "LevelFull",
    );
    await bid(fx, fx.dave, tick, MIN_WH, 1);
    const placed = await fx.market.write.placeOrder(
      [orderParams(fx, fx.carol, { isBid: false, tick, amountWh: MIN_WH })],
      { account: fx.carol.account },
    );
    const receipt = await fx.publicClient.waitForTransactionReceipt({ hash: placed });
    const rolled = await fx.market.getEvents.LevelGenerationStarted({}, { blockHash: receipt.blockHash });
    assert.equal(rolled.length, 1);
    assert.equal(rolled[0]!.args.generation, 1);
  });
});
