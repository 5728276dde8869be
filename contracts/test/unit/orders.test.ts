import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress } from "viem";
import {
  FEE_BPS,
  BOND_PER_WH,
  DEPOSIT,
  GATE_LEAD,
  HORIZON,
  MAX_AMOUNT,
  MIN_WH,
  OrderType,
  SLOT,
  type Fx,
  ask,
  balance,
  bid,
  bond,
  decodeOrderId,
  eventsNamed,
  load,
  networkHelpers,
  orderIdOf,
  orderParams,
  place,
  refused,
  val,
  saleOf,
  placeMany,
  simulateMany,
  viem,
} from "./fixture.ts";

const A = viem.assertions;
const addr = (w: { account: { address: `0x${string}` } }) => getAddress(w.account.address);

async function level(fx: Fx, isBid: boolean, tick: number, marketId = fx.marketId) {
  const [queued, taken, cancelled, available, count] = await fx.market.read.level([marketId, isBid, tick]);
  return { queued, taken, cancelled, available, count };
}
async function best(fx: Fx, marketId = fx.marketId) {
  const [hasBid, bestBid, hasAsk, bestAsk] = await fx.market.read.bestPrices([marketId]);
  return { hasBid, bestBid, hasAsk, bestAsk };
}
async function orderView(fx: Fx, id: bigint) {
  const [owner, meterId, amountWh, cancelledWh, filledWh] = await fx.market.read.order([id]);
  return { owner, meterId, amountWh, cancelledWh, filledWh };
}

describe("EnergyMarket · placeOrder validation", () => {
  const refuse = async (
    fx: Fx,
    who: Fx["bob"],
    o: Parameters<typeof orderParams>[2],
    error: string,
    args: readonly unknown[],
  ) => {
    const p = orderParams(fx, who, o);
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.placeOrder([p], { account: who.account }),
        fx.market,
        error as never,
        args as never,
      ),
    );
  };

  it("refuses an unknown community", async () => {
    const fx = await load();
    await refuse(
      fx,
      fx.bob,
      { isBid: true, tick: 20, amountWh: 1000n, communityId: 9 },
      "UnknownCommunity",
      [9],
    );
  });

  it("refuses unknown, foreign, other-community and inactive meters (both sides)", async () => {
    const fx = await load();
    for (const isBid of [true, false]) {
      const o = { isBid, tick: 20, amountWh: 1000n };
      await refuse(fx, fx.bob, { ...o, meterId: 99 }, "UnknownMeter", [99]);
      await refuse(fx, fx.bob, { ...o, meterId: fx.meters.carol }, "NotMeterOwner", [
        fx.meters.carol,
        addr(fx.bob),
      ]);
      // an outsider without meters
      await refuse(fx, fx.eve, { ...o, meterId: fx.meters.bob }, "NotMeterOwner", [
        fx.meters.bob,
        addr(fx.eve),
      ]);
    }
    // a meter of another community
    await fx.market.write.createCommunity(["Other", (await import("./fixture.ts")).params()], {
      account: fx.bob.account,
    });
    await fx.market.write.registerMeter([fx.bob.account.address, 2, 0, 1000, fx.bob.account.address], {
      account: fx.registry.account,
    });
    await refuse(
      fx,
      fx.bob,
      { isBid: false, tick: 20, amountWh: 1000n, meterId: 5 },
      "MeterNotInCommunity",
      [5, 1],
    );
    await fx.market.write.deactivateMeter([fx.meters.bob], { account: fx.bob.account });
    await refuse(fx, fx.bob, { isBid: false, tick: 20, amountWh: 1000n }, "MeterInactive", [fx.meters.bob]);
    await refuse(fx, fx.bob, { isBid: true, tick: 20, amountWh: 1000n }, "MeterInactive", [fx.meters.bob]);
  });

  it("refuses a slot that is not aligned", async () => {
    const fx = await load();
    await refuse(
      fx,
      fx.bob,
      { isBid: true, tick: 20, amountWh: 1000n, slotStart: fx.slotStart + 1 },
      "SlotNotAligned",
      [fx.slotStart + 1, BigInt(SLOT)],
    );
  });

  it("refuses a market that has not opened yet and opens exactly horizon before the slot", async () => {
    const fx = await load();
    const now = await networkHelpers.time.latest();
    const slot = (Math.floor((now + HORIZON) / SLOT) + 2) * SLOT;
    const marketId = await fx.market.read.marketIdOf([fx.communityId, slot]);
    const o = { isBid: true, tick: 20, amountWh: 1000n, slotStart: slot };
    await refuse(fx, fx.bob, o, "MarketNotOpen", [marketId]);
    // one second early
    await networkHelpers.time.setNextBlockTimestamp(slot - HORIZON - 1);
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.placeOrder([orderParams(fx, fx.bob, o)], { account: fx.bob.account }),
      fx.market,
      "MarketNotOpen",
      [marketId],
    );
    // exactly at opensAt
    await networkHelpers.time.setNextBlockTimestamp(slot - HORIZON);
    await fx.market.write.placeOrder([orderParams(fx, fx.bob, o)], { account: fx.bob.account });
    assert.equal((await level(fx, true, 20, marketId)).count, 1);
    const [opensAt] = await fx.market.read.marketWindow([marketId]);
    assert.equal(opensAt, BigInt(slot - HORIZON));
  });

  it("refuses orders at and after the gate; accepts the second before", async () => {
    const fx = await load();
    await networkHelpers.time.setNextBlockTimestamp(fx.gateAt - 1);
    const r = await bid(fx, fx.bob, 20, 1000n);
    assert.notEqual(r.orderId, 0n);
    // next block is at the gate
    await refuse(fx, fx.bob, { isBid: true, tick: 20, amountWh: 1000n }, "MarketClosed", [fx.marketId]);
    await networkHelpers.time.increase(SLOT * 2);
    await refuse(fx, fx.carol, { isBid: false, tick: 20, amountWh: 1000n }, "MarketClosed", [fx.marketId]);
  });

  it("refuses tick 0", async () => {
    const fx = await load();
    await refuse(fx, fx.bob, { isBid: true, tick: 0, amountWh: 1000n }, "InvalidTick", [0]);
    await refuse(fx, fx.bob, { isBid: false, tick: 0, amountWh: 1000n }, "InvalidTick", [0]);
  });

  it("refuses amounts below the community minimum and above MAX_ORDER_WH", async () => {
    const fx = await load();
    assert.equal(await fx.market.read.MAX_ORDER_WH(), MAX_AMOUNT);
    await refuse(fx, fx.bob, { isBid: true, tick: 20, amountWh: MIN_WH - 1n }, "AmountTooSmall", [
      MIN_WH - 1n,
      MIN_WH,
    ]);
    await refuse(fx, fx.bob, { isBid: false, tick: 20, amountWh: 0n }, "AmountTooSmall", [0n, MIN_WH]);
    await refuse(fx, fx.bob, { isBid: true, tick: 1, amountWh: MAX_AMOUNT + 1n }, "AmountTooLarge", [
      MAX_AMOUNT + 1n,
      MAX_AMOUNT,
    ]);
    // both limits are inclusive
    await bid(fx, fx.bob, 1, MIN_WH);
    await bid(fx, fx.bob, 1, MAX_AMOUNT);
    assert.deepEqual(await balance(fx, fx.bob), {
      free: DEPOSIT - val(MIN_WH + MAX_AMOUNT, 1),
      locked: val(MIN_WH + MAX_AMOUNT, 1),
    });
  });

  it("refuses a bid whose lock exceeds the free balance, and an ask whose bond does", async () => {
    const fx = await load();
    await fx.market.write.withdraw([DEPOSIT - 9_999n, fx.bob.account.address], { account: fx.bob.account });
    // 100 Wh at tick 10 locks exactly 10,000
    await refuse(fx, fx.bob, { isBid: true, tick: 10, amountWh: 100n }, "InsufficientBalance", [
      9_999n,
      10_000n,
    ]);
    // 200 Wh bond = 10,000
    await refuse(fx, fx.bob, { isBid: false, tick: 10, amountWh: 200n }, "InsufficientBalance", [
      9_999n,
      10_000n,
    ]);
    await fx.market.write.deposit([1n], { account: fx.bob.account });
    await bid(fx, fx.bob, 10, 100n);
    assert.deepEqual(await balance(fx, fx.bob), { free: 0n, locked: 10_000n });
  });

  it("refuses a taker bid that cannot pay for its fills plus its resting lock", async () => {
    const fx = await load();
    await ask(fx, fx.carol, 20, 500n);
    await fx.market.write.withdraw([DEPOSIT - val(500n, 20) - val(500n, 25) + 1n, fx.bob.account.address], {
      account: fx.bob.account,
    });
    const free = val(500n, 20) + val(500n, 25) - 1n;
    await refuse(fx, fx.bob, { isBid: true, tick: 25, amountWh: 1000n }, "InsufficientBalance", [
      free,
      val(500n, 20) + val(500n, 25),
    ]);
    // as IOC it only pays for the fill
    const r = await bid(fx, fx.bob, 25, 1000n, OrderType.ImmediateOrCancel);
    assert.equal(r.filledWh, 500n);
    assert.deepEqual(await balance(fx, fx.bob), { free: free - val(500n, 20), locked: 0n });
  });

  it("refuses an ask taker that cannot bond what it sells", async () => {
    const fx = await load();
    await bid(fx, fx.bob, 20, 1000n);
    await fx.market.write.withdraw([DEPOSIT - bond(1000n) + 1n, fx.carol.account.address], {
      account: fx.carol.account,
    });
    await refuse(fx, fx.carol, { isBid: false, tick: 20, amountWh: 1000n }, "InsufficientBalance", [
      bond(1000n) - 1n,
      bond(1000n),
    ]);
  });

  it("refuses the 513th order of a level with LevelFull; other levels still accept", async () => {
    const fx = await load();
    const batch = Array.from({ length: 128 }, () =>
      orderParams(fx, fx.carol, { isBid: false, tick: 30, amountWh: MIN_WH }),
    );
    for (let i = 0; i < 4; i++) await placeMany(fx, fx.carol, batch);
    const l = await level(fx, false, 30);
    assert.equal(l.count, 512);
    assert.equal(l.queued, 512n * MIN_WH);
    await refuse(fx, fx.carol, { isBid: false, tick: 30, amountWh: MIN_WH }, "LevelFull", [30]);
    // even after cancels the level's slots are not recycled
    await fx.market.write.cancel([orderIdOf(fx.marketId, false, 30, 0)], { account: fx.carol.account });
    await refuse(fx, fx.carol, { isBid: false, tick: 30, amountWh: MIN_WH }, "LevelFull", [30]);
    // but a taker can still fill the full level, and other ticks accept orders
    await ask(fx, fx.carol, 31, MIN_WH);
    const r = await bid(fx, fx.bob, 30, 511n * MIN_WH, OrderType.FillOrKill);
    assert.equal(r.filledWh, 511n * MIN_WH);
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: true, bestAsk: 31 });
  });

  it("refuses a bad order type (ABI decoding)", async () => {
    const fx = await load();
    const p = { ...orderParams(fx, fx.bob, { isBid: true, tick: 20, amountWh: 1000n }), orderType: 4 };
    await refused(fx, () => A.revert(fx.market.write.placeOrder([p], { account: fx.bob.account })));
  });
});

describe("EnergyMarket · matching", () => {
  it("a resting limit bid locks amount × limit price and joins the book", async () => {
    const fx = await load();
    const r = await bid(fx, fx.bob, 20, 1500n);
    const id = orderIdOf(fx.marketId, true, 20, 0);
    assert.deepEqual(
      { orderId: r.orderId, filledWh: r.filledWh, value: r.value, restingWh: r.restingWh },
      { orderId: id, filledWh: 0n, value: 0n, restingWh: 1500n },
    );
    assert.deepEqual(decodeOrderId(id), { marketId: fx.marketId, isBid: true, tick: 20, index: 0 });
    await A.emitWithArgs(Promise.resolve(r.hash), fx.market, "OrderPlaced", [
      id,
      addr(fx.bob),
      fx.marketId,
      fx.meters.bob,
      1500n,
      0n,
    ]);
    assert.equal(eventsNamed(r.logs, "Trade").length, 0);
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT - val(1500n, 20), locked: val(1500n, 20) });
    assert.deepEqual(await level(fx, true, 20), {
      queued: 1500n,
      taken: 0n,
      cancelled: 0n,
      available: 1500n,
      count: 1,
    });
    assert.deepEqual(await best(fx), { hasBid: true, bestBid: 20, hasAsk: false, bestAsk: 0 });
    assert.deepEqual(await orderView(fx, id), {
      owner: addr(fx.bob),
      meterId: fx.meters.bob,
      amountWh: 1500n,
      cancelledWh: 0n,
      filledWh: 0n,
    });
    // a second order at the level queues behind it
    const r2 = await bid(fx, fx.carol, 20, 700n);
    assert.equal(r2.orderId, orderIdOf(fx.marketId, true, 20, 1));
    await A.emitWithArgs(Promise.resolve(r2.hash), fx.market, "OrderPlaced", [
      r2.orderId,
      addr(fx.carol),
      fx.marketId,
      fx.meters.carol,
      700n,
      1500n,
    ]);
  });

  it("a resting limit ask locks the seller bond", async () => {
    const fx = await load();
    const r = await ask(fx, fx.carol, 22, 2000n);
    assert.equal(r.orderId, orderIdOf(fx.marketId, false, 22, 0));
    assert.deepEqual(await balance(fx, fx.carol), {
      free: DEPOSIT - 2000n * BOND_PER_WH,
      locked: 2000n * BOND_PER_WH,
    });
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: true, bestAsk: 22 });
    assert.deepEqual(await level(fx, false, 22), {
      queued: 2000n,
      taken: 0n,
      cancelled: 0n,
      available: 2000n,
      count: 1,
    });
  });

  it("an ask taker sells at the bid maker's price and bonds what it sold", async () => {
    const fx = await load();
    await bid(fx, fx.bob, 25, 1000n);
    const tokenBefore = await fx.usdc.read.balanceOf([fx.market.address]);
    const r = await ask(fx, fx.carol, 20, 600n);
    assert.deepEqual([r.orderId, r.filledWh, r.value, r.restingWh], [0n, 600n, val(600n, 25), 0n]);
    const trades = eventsNamed(r.logs, "Trade");
    assert.equal(trades.length, 1);
    assert.deepEqual(trades[0].args, {
      marketId: fx.marketId,
      taker: addr(fx.carol),
      takerIsBid: false,
      takerMeterId: fx.meters.carol,
      tick: 25,
      amountWh: 600n,
      value: val(600n, 25),
      levelTaken: 600n,
    });
    // seller: bond for the sold part locked, proceeds wait in escrow
    assert.deepEqual(await balance(fx, fx.carol), { free: DEPOSIT - bond(600n), locked: bond(600n) });
    // maker bid: still fully locked until claimed
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT - val(1000n, 25), locked: val(1000n, 25) });
    assert.deepEqual(await saleOf(fx, fx.marketId, fx.meters.carol), {
      seller: addr(fx.carol),
      soldWh: 600n,
      proceeds: val(600n, 25),
    });
    assert.deepEqual(await fx.market.read.marketTotals([fx.marketId]), {
      tradedWh: 600n,
      resolvedAskWh: 600n,
      tradedValue: val(600n, 25),
      feeBps: FEE_BPS,
    });
    assert.equal(await fx.market.read.pendingBidValue([fx.marketId]), val(600n, 25));
    assert.deepEqual(await fx.market.read.position([fx.marketId, fx.bob.account.address]), {
      boughtWh: 0n,
      paid: 0n,
      refunded: 0n,
    });
    assert.equal(await fx.usdc.read.balanceOf([fx.market.address]), tokenBefore);
    assert.equal((await orderView(fx, orderIdOf(fx.marketId, true, 25, 0))).filledWh, 600n);
    assert.deepEqual(await level(fx, true, 25), {
      queued: 1000n,
      taken: 600n,
      cancelled: 0n,
      available: 400n,
      count: 1,
    });
    assert.deepEqual(await best(fx), { hasBid: true, bestBid: 25, hasAsk: false, bestAsk: 0 });
  });

  it("a bid taker pays the ask maker's price: the price improvement stays with the taker", async () => {
    const fx = await load();
    await ask(fx, fx.carol, 18, 1000n);
    const r = await bid(fx, fx.bob, 25, 1000n);
    assert.deepEqual([r.orderId, r.filledWh, r.value, r.restingWh], [0n, 1000n, val(1000n, 18), 0n]);
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT - val(1000n, 18), locked: 0n });
    assert.deepEqual(await fx.market.read.position([fx.marketId, fx.bob.account.address]), {
      boughtWh: 1000n,
      paid: val(1000n, 18),
      refunded: 0n,
    });
    assert.deepEqual(await fx.market.read.marketTotals([fx.marketId]), {
      tradedWh: 1000n,
      resolvedAskWh: 0n, // the maker ask is attributed at claim
      tradedValue: val(1000n, 18),
      feeBps: FEE_BPS, // the market's fee, fixed at its first trade
    });
    assert.equal(await fx.market.read.pendingBidValue([fx.marketId]), 0n);
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: false, bestAsk: 0 });
    const t = eventsNamed(r.logs, "Trade")[0].args;
    assert.deepEqual(
      [t.takerIsBid, t.tick, t.amountWh, t.value, t.levelTaken],
      [true, 18, 1000n, val(1000n, 18), 1000n],
    );
  });

  it("a limit taker larger than the book fills and rests the remainder at its own limit", async () => {
    const fx = await load();
    await ask(fx, fx.carol, 20, 400n);
    const r = await bid(fx, fx.bob, 22, 1000n);
    assert.equal(r.filledWh, 400n);
    assert.equal(r.value, val(400n, 20));
    assert.equal(r.restingWh, 600n);
    assert.equal(r.orderId, orderIdOf(fx.marketId, true, 22, 0));
    assert.deepEqual(await balance(fx, fx.bob), {
      free: DEPOSIT - val(400n, 20) - val(600n, 22),
      locked: val(600n, 22),
    });
    assert.deepEqual(await best(fx), { hasBid: true, bestBid: 22, hasAsk: false, bestAsk: 0 });
    await A.emitWithArgs(Promise.resolve(r.hash), fx.market, "OrderPlaced", [
      r.orderId,
      addr(fx.bob),
      fx.marketId,
      fx.meters.bob,
      600n,
      0n,
    ]);
  });

  it("fills in price-time priority across levels, one Trade per level, at each maker's price", async () => {
    const fx = await load();
    const a1 = await ask(fx, fx.carol, 20, 300n); // first at 20
    const a2 = await ask(fx, fx.dave, 20, 300n); // second at 20
    const a3 = await ask(fx, fx.alice, 19, 200n); // better price, later
    const a4 = await ask(fx, fx.carol, 21, 500n);
    const a5 = await ask(fx, fx.dave, 23, 500n); // beyond the limit
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: true, bestAsk: 19 });
    const r = await bid(fx, fx.bob, 21, 1000n);
    const expectedValue = val(200n, 19) + val(600n, 20) + val(200n, 21);
    assert.deepEqual([r.filledWh, r.value, r.restingWh, r.orderId], [1000n, expectedValue, 0n, 0n]);
    const trades = eventsNamed(r.logs, "Trade").map((t) => [
      t.args.tick,
      t.args.amountWh,
      t.args.value,
      t.args.levelTaken,
    ]);
    assert.deepEqual(trades, [
      [19, 200n, val(200n, 19), 200n],
      [20, 600n, val(600n, 20), 600n],
      [21, 200n, val(200n, 21), 200n],
    ]);
    assert.equal((await orderView(fx, a3.orderId)).filledWh, 200n);
    assert.equal((await orderView(fx, a1.orderId)).filledWh, 300n);
    assert.equal((await orderView(fx, a2.orderId)).filledWh, 300n);
    assert.equal((await orderView(fx, a4.orderId)).filledWh, 200n);
    assert.equal((await orderView(fx, a5.orderId)).filledWh, 0n);
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: true, bestAsk: 21 });
    assert.deepEqual(await level(fx, false, 20), {
      queued: 600n,
      taken: 600n,
      cancelled: 0n,
      available: 0n,
      count: 2,
    });
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT - expectedValue, locked: 0n });
  });

  it("an ask taker walks the bids from the highest down; time priority within a level", async () => {
    const fx = await load();
    const b1 = await bid(fx, fx.bob, 20, 300n);
    const b2 = await bid(fx, fx.carol, 20, 300n);
    const b3 = await bid(fx, fx.alice, 22, 100n);
    const r = await ask(fx, fx.dave, 20, 250n);
    assert.deepEqual(
      eventsNamed(r.logs, "Trade").map((t) => [t.args.tick, t.args.amountWh]),
      [
        [22, 100n],
        [20, 150n],
      ],
    );
    assert.equal(r.value, val(100n, 22) + val(150n, 20));
    assert.equal((await orderView(fx, b3.orderId)).filledWh, 100n);
    assert.equal((await orderView(fx, b1.orderId)).filledWh, 150n);
    assert.equal((await orderView(fx, b2.orderId)).filledWh, 0n);
    // a later taker continues where the first stopped
    await ask(fx, fx.dave, 1, 300n, OrderType.ImmediateOrCancel);
    assert.equal((await orderView(fx, b1.orderId)).filledWh, 300n);
    assert.equal((await orderView(fx, b2.orderId)).filledWh, 150n);
    assert.deepEqual(await best(fx), { hasBid: true, bestBid: 20, hasAsk: false, bestAsk: 0 });
  });

  it("does not cross at a worse price than the limit; crossing is inclusive at equal prices", async () => {
    const fx = await load();
    await ask(fx, fx.carol, 21, 500n);
    const r = await bid(fx, fx.bob, 20, 500n);
    assert.equal(r.filledWh, 0n);
    assert.deepEqual(await best(fx), { hasBid: true, bestBid: 20, hasAsk: true, bestAsk: 21 });
    const r2 = await bid(fx, fx.dave, 21, 100n);
    assert.equal(r2.filledWh, 100n);
  });

  it("immediate-or-cancel fills what crosses and drops the rest, locking nothing", async () => {
    const fx = await load();
    await ask(fx, fx.carol, 20, 300n);
    const r = await bid(fx, fx.bob, 20, 1000n, OrderType.ImmediateOrCancel);
    assert.deepEqual([r.orderId, r.filledWh, r.value, r.restingWh], [0n, 300n, val(300n, 20), 0n]);
    assert.equal(eventsNamed(r.logs, "OrderPlaced").length, 0);
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT - val(300n, 20), locked: 0n });
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: false, bestAsk: 0 });
    // nothing to cross: a no-op
    const r2 = await ask(fx, fx.dave, 20, 1000n, OrderType.ImmediateOrCancel);
    assert.deepEqual([r2.orderId, r2.filledWh, r2.value, r2.restingWh], [0n, 0n, 0n, 0n]);
    assert.equal(r2.logs.length, 0);
    assert.deepEqual(await balance(fx, fx.dave), { free: DEPOSIT, locked: 0n });
  });

  it("fill-or-kill fills completely or reverts with FillOrKillNotFilled, changing nothing", async () => {
    const fx = await load();
    await ask(fx, fx.carol, 20, 300n);
    await ask(fx, fx.dave, 21, 300n);
    const p = orderParams(fx, fx.bob, {
      isBid: true,
      tick: 21,
      amountWh: 601n,
      orderType: OrderType.FillOrKill,
    });
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.placeOrder([p], { account: fx.bob.account }),
        fx.market,
        "FillOrKillNotFilled",
        [600n, 601n],
      ),
    );
    const p2 = orderParams(fx, fx.bob, {
      isBid: true,
      tick: 20,
      amountWh: 400n,
      orderType: OrderType.FillOrKill,
    });
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.placeOrder([p2], { account: fx.bob.account }),
        fx.market,
        "FillOrKillNotFilled",
        [300n, 400n],
      ),
    );
    const r = await bid(fx, fx.bob, 21, 600n, OrderType.FillOrKill);
    assert.deepEqual(
      [r.orderId, r.filledWh, r.value, r.restingWh],
      [0n, 600n, val(300n, 20) + val(300n, 21), 0n],
    );
    // ask side
    await bid(fx, fx.alice, 19, 200n);
    const p3 = orderParams(fx, fx.carol, {
      isBid: false,
      tick: 19,
      amountWh: 201n,
      orderType: OrderType.FillOrKill,
    });
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.placeOrder([p3], { account: fx.carol.account }),
        fx.market,
        "FillOrKillNotFilled",
        [200n, 201n],
      ),
    );
    const r2 = await ask(fx, fx.carol, 19, 200n, OrderType.FillOrKill);
    assert.equal(r2.filledWh, 200n);
  });

  it("post-only rests when it does not cross and refuses with WouldCross when it would (both sides)", async () => {
    const fx = await load();
    await ask(fx, fx.carol, 22, 500n);
    await bid(fx, fx.bob, 18, 500n);
    for (const [isBid, tick, bestOpp] of [
      [true, 22, 22],
      [true, 30, 22],
      [false, 18, 18],
      [false, 1, 18],
    ] as const) {
      const who = isBid ? fx.dave : fx.alice;
      const p = orderParams(fx, who, { isBid, tick, amountWh: 100n, orderType: OrderType.PostOnly });
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.placeOrder([p], { account: who.account }),
          fx.market,
          "WouldCross",
          [tick, bestOpp],
        ),
      );
    }
    const r = await place(fx, fx.dave, {
      isBid: true,
      tick: 21,
      amountWh: 100n,
      orderType: OrderType.PostOnly,
    });
    assert.deepEqual([r.filledWh, r.restingWh], [0n, 100n]);
    const r2 = await place(fx, fx.alice, {
      isBid: false,
      tick: 22,
      amountWh: 100n,
      orderType: OrderType.PostOnly,
    });
    assert.deepEqual([r2.filledWh, r2.restingWh], [0n, 100n]);
    assert.deepEqual(await best(fx), { hasBid: true, bestBid: 21, hasAsk: true, bestAsk: 22 });
    assert.deepEqual(await level(fx, false, 22), {
      queued: 600n,
      taken: 0n,
      cancelled: 0n,
      available: 600n,
      count: 2,
    });
  });

  it("post-only on an empty book rests", async () => {
    const fx = await load();
    const r = await place(fx, fx.dave, {
      isBid: false,
      tick: 5,
      amountWh: 100n,
      orderType: OrderType.PostOnly,
    });
    assert.equal(r.restingWh, 100n);
  });

  it("self-trades are allowed: the trader pays itself", async () => {
    const fx = await load();
    await ask(fx, fx.bob, 20, 500n);
    const r = await bid(fx, fx.bob, 20, 500n);
    assert.equal(r.filledWh, 500n);
    assert.deepEqual(await balance(fx, fx.bob), {
      free: DEPOSIT - val(500n, 20) - bond(500n),
      locked: bond(500n),
    });
  });

  it("markets of different slots and communities are separate books", async () => {
    const fx = await load();
    const next = fx.slotStart + SLOT;
    const nextId = await fx.market.read.marketIdOf([fx.communityId, next]);
    await place(fx, fx.carol, { isBid: false, tick: 20, amountWh: 500n, slotStart: next });
    const r = await bid(fx, fx.bob, 25, 500n);
    assert.equal(r.filledWh, 0n);
    assert.deepEqual(await best(fx, nextId), { hasBid: false, bestBid: 0, hasAsk: true, bestAsk: 20 });
    assert.deepEqual(await best(fx), { hasBid: true, bestBid: 25, hasAsk: false, bestAsk: 0 });
  });

  it("a batch of orders (multicall) places each in turn and is atomic", async () => {
    const fx = await load();
    const ps = [
      orderParams(fx, fx.bob, { isBid: true, tick: 20, amountWh: 500n }),
      orderParams(fx, fx.bob, { isBid: false, tick: 25, amountWh: 500n }),
      orderParams(fx, fx.bob, {
        isBid: true,
        tick: 25,
        amountWh: 200n,
        orderType: OrderType.ImmediateOrCancel,
      }),
    ];
    const result: any[] = await simulateMany(fx, fx.bob, ps);
    assert.deepEqual(
      result.map((x) => [x.orderId, x.filledWh, x.value, x.restingWh]),
      [
        [orderIdOf(fx.marketId, true, 20, 0), 0n, 0n, 500n],
        [orderIdOf(fx.marketId, false, 25, 0), 0n, 0n, 500n],
        [0n, 200n, val(200n, 25), 0n],
      ],
    );
    await placeMany(fx, fx.bob, ps);
    assert.deepEqual(await level(fx, false, 25), {
      queued: 500n,
      taken: 200n,
      cancelled: 0n,
      available: 300n,
      count: 1,
    });
    const bad = [...ps, orderParams(fx, fx.bob, { isBid: true, tick: 0, amountWh: 500n })];
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(placeMany(fx, fx.bob, bad), fx.market, "InvalidTick", [0]),
    );
    await placeMany(fx, fx.bob, []);
  });

  it("supports the extreme ticks 1 and 65535", async () => {
    const fx = await load();
    await ask(fx, fx.carol, 65535, 100n);
    await bid(fx, fx.bob, 1, 100n);
    assert.deepEqual(await best(fx), { hasBid: true, bestBid: 1, hasAsk: true, bestAsk: 65535 });
    const r = await bid(fx, fx.dave, 65535, 100n);
    assert.equal(r.value, val(100n, 65535));
    const r2 = await ask(fx, fx.alice, 1, 100n);
    assert.equal(r2.value, val(100n, 1));
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: false, bestAsk: 0 });
  });
});

describe("EnergyMarket · views", () => {
  it("marketIdOf packs community and slot; marketWindow gives open and gate times", async () => {
    const fx = await load();
    assert.equal(fx.marketId, (1n << 40n) | BigInt(fx.slotStart));
    assert.equal(await fx.market.read.marketIdOf([7, 123]), (7n << 40n) | 123n);
    assert.deepEqual(await fx.market.read.marketWindow([fx.marketId]), [
      BigInt(fx.slotStart - HORIZON),
      BigInt(fx.slotStart - GATE_LEAD),
    ]);
    await A.revertWithCustomErrorWithArgs(
      fx.market.read.marketWindow([(5n << 40n) | BigInt(fx.slotStart)]),
      fx.market,
      "UnknownCommunity",
      [5],
    );
  });

  it("empty book, level, totals, position and sale read as zero; unknown orders revert", async () => {
    const fx = await load();
    assert.deepEqual(await best(fx), { hasBid: false, bestBid: 0, hasAsk: false, bestAsk: 0 });
    assert.deepEqual(await level(fx, true, 20), {
      queued: 0n,
      taken: 0n,
      cancelled: 0n,
      available: 0n,
      count: 0,
    });
    assert.deepEqual(await fx.market.read.marketTotals([fx.marketId]), {
      tradedWh: 0n,
      resolvedAskWh: 0n,
      tradedValue: 0n,
      feeBps: 0,
    });
    assert.deepEqual(await fx.market.read.position([fx.marketId, fx.bob.account.address]), {
      boughtWh: 0n,
      paid: 0n,
      refunded: 0n,
    });
    assert.deepEqual(await saleOf(fx, fx.marketId, 1), {
      seller: "0x0000000000000000000000000000000000000000",
      soldWh: 0n,
      proceeds: 0n,
    });
    const id = orderIdOf(fx.marketId, true, 20, 0);
    await A.revertWithCustomErrorWithArgs(fx.market.read.order([id]), fx.market, "UnknownOrder", [id]);
  });
});
