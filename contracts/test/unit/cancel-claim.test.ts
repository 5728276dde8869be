import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress } from "viem";
import {
  UNIT,
  FEE_BPS,
  DEPOSIT,
  MAX_AMOUNT,
  OrderType,
  SLOT,
  type Fx,
  ask,
  balance,
  bid,
  bond,
  closeGate,
  connection,
  eventsNamed,
  load,
  networkHelpers,
  orderIdOf,
  orderParams,
  params,
  refused,
  val,
  saleOf,
  placeMany,
  simulateMany,
  viem,
} from "./fixture.ts";

const A = viem.assertions;
const addr = (w: { account: { address: `0x${string}` } }) => getAddress(w.account.address);

async function level(fx: Fx, isBid: boolean, tick: number) {
  const [queued, taken, cancelled, available, count] = await fx.market.read.level([fx.marketId, isBid, tick]);
  return { queued, taken, cancelled, available, count };
}
async function orderView(fx: Fx, id: bigint) {
  const [owner, meterId, amountWh, cancelledWh, filledWh] = await fx.market.read.order([id]);
  return { owner, meterId, amountWh, cancelledWh, filledWh };
}
async function best(fx: Fx) {
  const [hasBid, bestBid, hasAsk, bestAsk] = await fx.market.read.bestPrices([fx.marketId]);
  return { hasBid, bestBid, hasAsk, bestAsk };
}

describe("EnergyMarket · cancel", () => {
  it("cancels a resting bid: unlocks its value, clears the empty level, emits OrderCancelled", async () => {
    const fx = await load();
    const r = await bid(fx, fx.bob, 20, 1000n);
    await A.emitWithArgs(
      fx.market.write.cancel([r.orderId], { account: fx.bob.account }),
      fx.market,
      "OrderCancelled",
      [r.orderId, addr(fx.bob), 1000n],
    );
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT, locked: 0n });
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: false, bestAsk: 0 });
    assert.equal((await level(fx, true, 20)).available, 0n);
    assert.equal((await orderView(fx, r.orderId)).filledWh, 0n);
  });

  it("cancels a resting ask: releases its bond", async () => {
    const fx = await load();
    const r = await ask(fx, fx.carol, 22, 1000n);
    await fx.market.write.cancel([r.orderId], { account: fx.carol.account });
    assert.deepEqual(await balance(fx, fx.carol), { free: DEPOSIT, locked: 0n });
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: false, bestAsk: 0 });
  });

  it("cancels only the unfilled remainder of a partly filled order", async () => {
    const fx = await load();
    const r = await bid(fx, fx.bob, 20, 1000n);
    await ask(fx, fx.carol, 20, 300n);
    await A.emitWithArgs(
      fx.market.write.cancel([r.orderId], { account: fx.bob.account }),
      fx.market,
      "OrderCancelled",
      [r.orderId, addr(fx.bob), 700n],
    );
    // the filled 300 stay locked until the claim moves them to escrow
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT - val(300n, 20), locked: val(300n, 20) });
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: false, bestAsk: 0 });
    assert.equal((await orderView(fx, r.orderId)).filledWh, 300n);
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.cancel([r.orderId], { account: fx.bob.account }),
      fx.market,
      "NothingToCancel",
      [r.orderId],
    );
  });

  it("a hole behind the front is skipped: later orders keep their priority and fill exactly", async () => {
    const fx = await load();
    const a = await ask(fx, fx.carol, 20, 300n);
    const b = await ask(fx, fx.dave, 20, 300n);
    const c = await ask(fx, fx.alice, 20, 300n);
    await fx.market.write.cancel([b.orderId], { account: fx.dave.account });
    assert.deepEqual(await level(fx, false, 20), {
      queued: 900n,
      taken: 0n,
      cancelled: 300n,
      available: 600n,
      count: 3,
    });
    assert.deepEqual(await balance(fx, fx.dave), { free: DEPOSIT, locked: 0n });
    const r = await bid(fx, fx.bob, 20, 450n);
    assert.equal(r.filledWh, 450n);
    assert.equal((await orderView(fx, a.orderId)).filledWh, 300n);
    assert.equal((await orderView(fx, b.orderId)).filledWh, 0n);
    assert.equal((await orderView(fx, b.orderId)).cancelledWh, 300n);
    assert.equal((await orderView(fx, c.orderId)).filledWh, 150n);
    await bid(fx, fx.bob, 20, 150n);
    assert.equal((await orderView(fx, c.orderId)).filledWh, 300n);
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: false, bestAsk: 0 });
  });

  it("a cancel at the front moves the front: the next order fills first", async () => {
    const fx = await load();
    const a = await ask(fx, fx.carol, 20, 300n);
    const b = await ask(fx, fx.dave, 20, 300n);
    await bid(fx, fx.bob, 20, 100n); // a filled 100
    await fx.market.write.cancel([a.orderId], { account: fx.carol.account });
    assert.deepEqual(await balance(fx, fx.carol), { free: DEPOSIT - bond(100n), locked: bond(100n) });
    const r = await bid(fx, fx.bob, 20, 300n);
    assert.equal(r.filledWh, 300n);
    assert.equal((await orderView(fx, a.orderId)).filledWh, 100n);
    assert.equal((await orderView(fx, b.orderId)).filledWh, 300n);
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: false, bestAsk: 0 });
    await closeGate(fx);
    await fx.market.write.claim([[a.orderId, b.orderId]]);
    assert.deepEqual(await saleOf(fx, fx.marketId, fx.meters.carol), {
      seller: addr(fx.carol),
      soldWh: 100n,
      proceeds: val(100n, 20),
    });
    assert.deepEqual(await balance(fx, fx.carol), { free: DEPOSIT - bond(100n), locked: bond(100n) });
  });

  // The view documents "amount, cancelled and filled so far". After a cancel behind the front it
  // reports (amount, cancelled); after a cancel at the front it reports the filled part as the amount
  // and 0 cancelled, so readers cannot tell a cancelled order from a smaller filled one.
  it("order() reports the cancelled amount after a cancel at the front of the level", async () => {
    const fx = await load();
    const a = await ask(fx, fx.carol, 20, 300n);
    await bid(fx, fx.bob, 20, 100n);
    await fx.market.write.cancel([a.orderId], { account: fx.carol.account });
    assert.deepEqual(await orderView(fx, a.orderId), {
      owner: addr(fx.carol),
      meterId: fx.meters.carol,
      amountWh: 300n,
      cancelledWh: 200n,
      filledWh: 100n,
    });
  });

  it("refuses unknown orders, other owners, fully filled orders and cancels after the gate", async () => {
    const fx = await load();
    const r = await bid(fx, fx.bob, 20, 1000n);
    const unknown = orderIdOf(fx.marketId, true, 20, 1);
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.cancel([unknown], { account: fx.bob.account }),
        fx.market,
        "UnknownOrder",
        [unknown],
      ),
    );
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.cancel([r.orderId], { account: fx.carol.account }),
        fx.market,
        "NotOrderOwner",
        [r.orderId, addr(fx.carol)],
      ),
    );
    const filled = await ask(fx, fx.carol, 25, 500n);
    await bid(fx, fx.dave, 25, 500n);
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.cancel([filled.orderId], { account: fx.carol.account }),
        fx.market,
        "NothingToCancel",
        [filled.orderId],
      ),
    );
    await closeGate(fx);
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.cancel([r.orderId], { account: fx.bob.account }),
        fx.market,
        "MarketClosed",
        [fx.marketId],
      ),
    );
  });

  it("cancelMany cancels several orders atomically", async () => {
    const fx = await load();
    const r1 = await bid(fx, fx.bob, 20, 1000n);
    const r2 = await bid(fx, fx.bob, 19, 500n);
    const r3 = await ask(fx, fx.bob, 30, 500n);
    const other = await bid(fx, fx.carol, 18, 500n);
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.cancelMany([[r1.orderId, other.orderId]], { account: fx.bob.account }),
        fx.market,
        "NotOrderOwner",
        [other.orderId, addr(fx.bob)],
      ),
    );
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.cancelMany([[r1.orderId, r1.orderId]], { account: fx.bob.account }),
        fx.market,
        "NothingToCancel",
        [r1.orderId],
      ),
    );
    const hash = await fx.market.write.cancelMany([[r1.orderId, r2.orderId, r3.orderId]], {
      account: fx.bob.account,
    });
    const receipt = await fx.publicClient.waitForTransactionReceipt({ hash });
    const { parseEventLogs } = await import("viem");
    const cancelled = eventsNamed(
      parseEventLogs({ abi: fx.market.abi, logs: receipt.logs }),
      "OrderCancelled",
    );
    assert.deepEqual(
      cancelled.map((e) => [e.args.orderId, e.args.cancelledWh]),
      [
        [r1.orderId, 1000n],
        [r2.orderId, 500n],
        [r3.orderId, 500n],
      ],
    );
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT, locked: 0n });
    assert.deepEqual(await best(fx), { hasBid: true, bestBid: 18, hasAsk: false, bestAsk: 0 });
    await fx.market.write.cancelMany([[]], { account: fx.bob.account });
  });
});

describe("EnergyMarket · claim", () => {
  it("refuses claims before the gate with MarketStillOpen and unknown orders with UnknownOrder", async () => {
    const fx = await load();
    const r = await bid(fx, fx.bob, 20, 1000n);
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.claim([[r.orderId]], { account: fx.bob.account }),
        fx.market,
        "MarketStillOpen",
        [fx.marketId],
      ),
    );
    await closeGate(fx);
    const unknown = r.orderId + 1n;
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.claim([[r.orderId, unknown]], { account: fx.bob.account }),
        fx.market,
        "UnknownOrder",
        [unknown],
      ),
    );
    await fx.market.write.claim([[r.orderId]], { account: fx.bob.account });
    // a second claim finds nothing
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.claim([[r.orderId]], { account: fx.bob.account }),
        fx.market,
        "UnknownOrder",
        [r.orderId],
      ),
    );
    await A.revertWithCustomErrorWithArgs(fx.market.read.order([r.orderId]), fx.market, "UnknownOrder", [
      r.orderId,
    ]);
  });

  it("bid makers: the filled value moves to escrow, the rest is released; anyone may claim", async () => {
    const fx = await load();
    const full = await bid(fx, fx.bob, 22, 400n);
    const part = await bid(fx, fx.carol, 21, 1000n);
    const none = await bid(fx, fx.alice, 10, 500n);
    const taker = await ask(fx, fx.dave, 20, 700n); // 400 at 22, 300 at 21
    assert.equal(taker.value, val(400n, 22) + val(300n, 21));
    const pending = val(400n, 22) + val(300n, 21);
    assert.equal(await fx.market.read.pendingBidValue([fx.marketId]), pending);
    await closeGate(fx);

    // eve (no stake) claims for everyone
    await A.emitWithArgs(
      fx.market.write.claim([[full.orderId]], { account: fx.eve.account }),
      fx.market,
      "OrderClaimed",
      [full.orderId, addr(fx.bob), 400n, val(400n, 22), 0n],
    );
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT - val(400n, 22), locked: 0n });
    assert.deepEqual(await fx.market.read.position([fx.marketId, fx.bob.account.address]), {
      boughtWh: 400n,
      paid: val(400n, 22),
      refunded: 0n,
    });
    assert.equal(await fx.market.read.pendingBidValue([fx.marketId]), val(300n, 21));

    await A.emitWithArgs(
      fx.market.write.claim([[part.orderId]], { account: fx.eve.account }),
      fx.market,
      "OrderClaimed",
      [part.orderId, addr(fx.carol), 300n, val(300n, 21), val(700n, 21)],
    );
    assert.deepEqual(await balance(fx, fx.carol), { free: DEPOSIT - val(300n, 21), locked: 0n });
    await A.emitWithArgs(
      fx.market.write.claim([[none.orderId]], { account: fx.eve.account }),
      fx.market,
      "OrderClaimed",
      [none.orderId, addr(fx.alice), 0n, 0n, val(500n, 10)],
    );
    assert.deepEqual(await balance(fx, fx.alice), { free: DEPOSIT, locked: 0n });
    assert.deepEqual(await fx.market.read.position([fx.marketId, fx.alice.account.address]), {
      boughtWh: 0n,
      paid: 0n,
      refunded: 0n,
    });
    assert.equal(await fx.market.read.pendingBidValue([fx.marketId]), 0n);
    assert.deepEqual(await balance(fx, fx.eve), { free: 0n, locked: 0n });
    const totals = await fx.market.read.marketTotals([fx.marketId]);
    assert.deepEqual(totals, { tradedWh: 700n, resolvedAskWh: 700n, tradedValue: pending, feeBps: FEE_BPS });
  });

  it("ask makers: the fill is attributed to the meter, its bond stays locked, the rest is released", async () => {
    const fx = await load();
    const full = await ask(fx, fx.carol, 18, 400n);
    const part = await ask(fx, fx.dave, 19, 1000n);
    const cancelledPart = await ask(fx, fx.alice, 19, 500n);
    await bid(fx, fx.bob, 19, 700n); // 400 at 18, 300 of dave's at 19
    await fx.market.write.cancel([cancelledPart.orderId], { account: fx.alice.account });
    let totals = await fx.market.read.marketTotals([fx.marketId]);
    assert.deepEqual(totals, {
      tradedWh: 700n,
      resolvedAskWh: 0n,
      tradedValue: val(400n, 18) + val(300n, 19),
      feeBps: FEE_BPS,
    });
    await closeGate(fx);
    await A.emitWithArgs(
      fx.market.write.claim([[full.orderId]], { account: fx.eve.account }),
      fx.market,
      "OrderClaimed",
      [full.orderId, addr(fx.carol), 400n, val(400n, 18), 0n],
    );
    assert.deepEqual(await balance(fx, fx.carol), { free: DEPOSIT - bond(400n), locked: bond(400n) });
    assert.deepEqual(await saleOf(fx, fx.marketId, fx.meters.carol), {
      seller: addr(fx.carol),
      soldWh: 400n,
      proceeds: val(400n, 18),
    });
    await A.emitWithArgs(
      fx.market.write.claim([[part.orderId, cancelledPart.orderId]], { account: fx.eve.account }),
      fx.market,
      "OrderClaimed",
      [part.orderId, addr(fx.dave), 300n, val(300n, 19), bond(700n)],
    );
    assert.deepEqual(await balance(fx, fx.dave), { free: DEPOSIT - bond(300n), locked: bond(300n) });
    assert.deepEqual(await balance(fx, fx.alice), { free: DEPOSIT, locked: 0n });
    assert.deepEqual(await saleOf(fx, fx.marketId, fx.meters.alice), {
      seller: "0x0000000000000000000000000000000000000000",
      soldWh: 0n,
      proceeds: 0n,
    });
    totals = await fx.market.read.marketTotals([fx.marketId]);
    assert.equal(totals.resolvedAskWh, totals.tradedWh);
  });

  it("after every claim the token balance equals free + locked + escrow", async () => {
    const fx = await load();
    const ids: bigint[] = [];
    ids.push((await bid(fx, fx.bob, 20, 1000n)).orderId);
    ids.push((await bid(fx, fx.carol, 21, 500n)).orderId);
    ids.push((await ask(fx, fx.dave, 23, 800n)).orderId);
    ids.push((await ask(fx, fx.alice, 20, 700n)).orderId); // takes 500 @21, 200 @20 ... rests nothing
    ids.push((await bid(fx, fx.alice, 24, 300n)).orderId); // takes 300 @23
    ids.push((await ask(fx, fx.bob, 22, 100n, OrderType.PostOnly)).orderId);
    await closeGate(fx);
    const resting = ids.filter((x) => x !== 0n);
    await fx.market.write.claim([resting], { account: fx.eve.account });
    const totals = await fx.market.read.marketTotals([fx.marketId]);
    assert.equal(totals.resolvedAskWh, totals.tradedWh);
    assert.equal(await fx.market.read.pendingBidValue([fx.marketId]), 0n);
    let sum = 0n;
    for (const w of [fx.alice, fx.bob, fx.carol, fx.dave, fx.eve]) {
      const b = await balance(fx, w);
      sum += b.free + b.locked;
    }
    assert.equal(await fx.usdc.read.balanceOf([fx.market.address]), sum + totals.tradedValue);
    assert.equal(totals.tradedValue, val(500n, 21) + val(200n, 20) + val(300n, 23));
  });

  it("claims a transferred meter's maker fill to the order's owner", async () => {
    const fx = await load();
    const r = await ask(fx, fx.carol, 20, 500n);
    await fx.market.write.transferMeter([fx.meters.carol, fx.dave.account.address], {
      account: fx.carol.account,
    });
    await bid(fx, fx.bob, 20, 500n);
    await closeGate(fx);
    await fx.market.write.claim([[r.orderId]], { account: fx.dave.account });
    assert.deepEqual(await saleOf(fx, fx.marketId, fx.meters.carol), {
      seller: addr(fx.carol),
      soldWh: 500n,
      proceeds: val(500n, 20),
    });
    assert.deepEqual(await balance(fx, fx.carol), { free: DEPOSIT - bond(500n), locked: bond(500n) });
  });
});

describe("EnergyMarket · meter transfer and trading", () => {
  it("the new owner cannot trade the meter in markets already open (MeterNotYetTradable)", async () => {
    const fx = await load();
    const hash = await fx.market.write.transferMeter([fx.meters.carol, fx.dave.account.address], {
      account: fx.carol.account,
    });
    const block = await fx.publicClient.getBlock({
      blockHash: (await fx.publicClient.waitForTransactionReceipt({ hash })).blockHash,
    });
    const p = orderParams(fx, fx.dave, { isBid: false, tick: 20, amountWh: 500n, meterId: fx.meters.carol });
    await refused(fx, () =>
      A.revertWithCustomError(
        fx.market.write.placeOrder([p], { account: fx.dave.account }),
        fx.market,
        "MeterNotYetTradable",
      ),
    );
    // it can trade slots starting after every market open at the transfer
    const later = (Math.floor((Number(block.timestamp) + 86_400) / SLOT) + 1) * SLOT;
    await networkHelpers.time.increaseTo(later - 86_400);
    await fx.market.write.placeOrder([{ ...p, slotStart: later }], { account: fx.dave.account });
    // nor the old owner
    const p2 = orderParams(fx, fx.carol, {
      isBid: false,
      tick: 20,
      amountWh: 500n,
      meterId: fx.meters.carol,
    });
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.placeOrder([p2], { account: fx.carol.account }),
        fx.market,
        "NotMeterOwner",
        [fx.meters.carol, addr(fx.carol)],
      ),
    );
  });

  // A meter transferred in the same block as the old owner's order in the market that opens at that
  // very second: tradableFrom = transfer time + horizon = that market's slot, so the new owner may
  // trade it too. The market then has two sellers for one meter and the second attribution
  // reverts with SaleSellerMismatch, so the old owner's maker claim can never succeed (its bond
  // stays locked and resolvedAskWh never reaches tradedWh).
  it("a meter never has two sellers in one market, even when transferred the second its market opens", async () => {
    const fx = await load();
    const now = await networkHelpers.time.latest();
    const slot = (Math.floor((now + 86_400) / SLOT) + 2) * SLOT;
    const t = slot - 86_400; // the market opens at t
    const meter = fx.meters.carol;
    const o = { isBid: false, tick: 20, amountWh: 500n, slotStart: slot, meterId: meter };
    await connection.provider.request({ method: "evm_setAutomine", params: [false] });
    let oldOrder: `0x${string}`;
    try {
      oldOrder = await fx.market.write.placeOrder([orderParams(fx, fx.carol, o)], {
        account: fx.carol.account,
        gas: 1_000_000n,
      });
      await fx.market.write.transferMeter([meter, fx.dave.account.address], {
        account: fx.carol.account,
        gas: 1_000_000n,
      });
      await networkHelpers.time.setNextBlockTimestamp(t);
      await networkHelpers.mine();
    } finally {
      await connection.provider.request({ method: "evm_setAutomine", params: [true] });
    }
    const rec = await fx.publicClient.getTransactionReceipt({ hash: oldOrder });
    assert.equal(rec.status, "success");
    const marketId = await fx.market.read.marketIdOf([fx.communityId, slot]);
    const oldId = orderIdOf(marketId, false, 20, 0);
    // the new owner sells the same meter in the same market
    const p = orderParams(fx, fx.dave, o);
    let newOwnerSold = true;
    try {
      await fx.market.write.placeOrder([p], { account: fx.dave.account });
    } catch (e) {
      // refused: the expected behaviour
      assert.match(String(e), /MeterNotYetTradable/);
      newOwnerSold = false;
    }
    if (!newOwnerSold) return;
    // both orders fill
    await fx.market.write.placeOrder(
      [orderParams(fx, fx.bob, { isBid: true, tick: 20, amountWh: 1000n, slotStart: slot })],
      { account: fx.bob.account },
    );
    await networkHelpers.time.increaseTo(slot - 300);
    await fx.market.write.claim([[oldId, orderIdOf(marketId, false, 20, 1)]]);
    const totals = await fx.market.read.marketTotals([marketId]);
    assert.equal(totals.resolvedAskWh, totals.tradedWh);
  });
});

describe("EnergyMarket · extreme parameters", () => {
  // The community tick size is any multiple of 1000 (uint64). Placement computes values in
  // uint256, but cancel and claim compute the price per Wh as `tick * (tickSize / 1000)` in
  // uint64, which overflows once tick × tickSize / 1000 ≥ 2^64: the order can be placed but never
  // cancelled nor claimed, so its lock is stuck for good.
  it("an order that could be placed can always be cancelled and claimed (price per Wh beyond uint64)", async () => {
    const fx = await load();
    await fx.market.write.createCommunity(["coarse", params({ tickSize: 10n ** 18n, minOrderWh: 1n })], {
      account: fx.bob.account,
    });
    await fx.market.write.registerMeter([fx.bob.account.address, 2, 0, 1000, fx.bob.account.address], {
      account: fx.registry.account,
    });
    const meterId = Number(await fx.market.read.meterCount());
    const lock = 1n * 20_000n * 10n ** 15n; // 2e19 > 2^64
    await fx.usdc.write.mint([fx.bob.account.address, 2n * lock]);
    await fx.market.write.deposit([2n * lock], { account: fx.bob.account });
    const o = { communityId: 2, isBid: true, tick: 20_000, amountWh: 1n, meterId };
    const r1 = await fx.market.simulate.placeOrder([orderParams(fx, fx.bob, o)], { account: fx.bob.account });
    await fx.market.write.placeOrder([orderParams(fx, fx.bob, o)], { account: fx.bob.account });
    await fx.market.write.placeOrder([orderParams(fx, fx.bob, o)], { account: fx.bob.account });
    const b = await balance(fx, fx.bob);
    assert.equal(b.locked, 2n * lock);
    await fx.market.write.cancel([r1.result.orderId], { account: fx.bob.account });
    await closeGate(fx);
    await fx.market.write.claim([[r1.result.orderId + 1n]], { account: fx.bob.account });
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT + 2n * lock, locked: 0n });
  });

  // Sale.soldWh is a uint32 (4.29 GWh). A seller whose maker fills in one market add up to more
  // than that can never claim the last of them (SafeCast overflow), so its bond stays locked and the
  // market's resolvedAskWh never reaches tradedWh, which settlement waits for.
  it("every maker fill can be claimed, however much one meter sells in a market", async () => {
    const fx = await load();
    const n = 257; // 257 × (2^24 − 1) Wh > 2^32 Wh
    const big = 10n ** 15n;
    for (const w of [fx.bob, fx.dave]) {
      await fx.usdc.write.mint([w.account.address, big]);
      await fx.market.write.deposit([big], { account: w.account });
    }
    const askP = orderParams(fx, fx.dave, { isBid: false, tick: 1, amountWh: MAX_AMOUNT });
    const bidP = orderParams(fx, fx.bob, {
      isBid: true,
      tick: 1,
      amountWh: MAX_AMOUNT,
      orderType: OrderType.ImmediateOrCancel,
    });
    for (let done = 0; done < n; done += 64) {
      const k = Math.min(64, n - done);
      await placeMany(fx, fx.dave, Array(k).fill(askP));
      await placeMany(fx, fx.bob, Array(k).fill(bidP));
    }
    const totals = await fx.market.read.marketTotals([fx.marketId]);
    assert.equal(totals.tradedWh, BigInt(n) * MAX_AMOUNT);
    await closeGate(fx);
    const ids = Array.from({ length: n }, (_, i) => orderIdOf(fx.marketId, false, 1, i));
    for (let i = 0; i < n; i += 64) await fx.market.write.claim([ids.slice(i, i + 64)]);
    const after = await fx.market.read.marketTotals([fx.marketId]);
    assert.equal(after.resolvedAskWh, after.tradedWh);
    // The per-sale figures, not only the totals: a sale truncated to 32 bits would fail here
    // (FINDINGS F2 regression).
    const sold = await saleOf(fx, fx.marketId, fx.meters.dave!);
    assert.ok(sold.soldWh > 2n ** 32n);
    assert.equal(sold.soldWh, BigInt(n) * MAX_AMOUNT);
    assert.equal(sold.proceeds, BigInt(n) * MAX_AMOUNT * UNIT);
  });

  it("refuses a taker that would push a market past MAX_MARKET_VALUE, changing nothing", async () => {
    const fx = await load();
    const cap = await fx.market.read.MAX_MARKET_VALUE();
    const perOrder = MAX_AMOUNT * 65535n * 10n;
    const fits = cap / perOrder; // whole orders that fit
    const big = 10n ** 16n;
    for (const w of [fx.bob, fx.dave]) {
      await fx.usdc.write.mint([w.account.address, big]);
      await fx.market.write.deposit([big], { account: w.account });
    }
    const askP = orderParams(fx, fx.dave, { isBid: false, tick: 65535, amountWh: MAX_AMOUNT });
    await placeMany(fx, fx.dave, Array(Number(fits) + 1).fill(askP));
    const bidP = orderParams(fx, fx.bob, {
      isBid: true,
      tick: 65535,
      amountWh: MAX_AMOUNT,
      orderType: OrderType.ImmediateOrCancel,
    });
    await placeMany(fx, fx.bob, Array(Number(fits)).fill(bidP));
    assert.equal((await fx.market.read.marketTotals([fx.marketId])).tradedValue, fits * perOrder);
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.placeOrder([bidP], { account: fx.bob.account }),
        fx.market,
        "MarketCapacityExceeded",
        [fx.marketId],
      ),
    );
    // At the value cap, every maker claim still succeeds and the sale holds the exact figures.
    await closeGate(fx);
    const ids = Array.from({ length: Number(fits) + 1 }, (_, i) => orderIdOf(fx.marketId, false, 65535, i));
    await fx.market.write.claim([ids]);
    const sold = await saleOf(fx, fx.marketId, fx.meters.dave!);
    assert.equal(sold.soldWh, fits * MAX_AMOUNT);
    assert.equal(sold.proceeds, fits * perOrder);
  });
});
