import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { zeroAddress } from "viem";
import {
  DEPOSIT,
  OrderType,
  type Fx,
  ask,
  balance,
  bid,
  load,
  networkHelpers,
  orderParams,
  refused,
  val,
  viem,
} from "./fixture.ts";

const A = viem.assertions;

// Reference 0.20 USDC per kWh = 200,000 base units per kWh = tick 20 (tick size 10,000).
async function withBand(fx: Fx, decimals = 8, answer = 20_000_000n, bandBps = 1000, maxAge = 600) {
  const feed = await viem.deployContract("TestReferenceFeed", [decimals, answer]);
  await fx.market.write.setPriceBand([fx.communityId, feed.address, bandBps, maxAge], {
    account: fx.alice.account,
  });
  return feed;
}

describe("EnergyMarket · reference price band", () => {
  it("accepts orders inside the band, band edges included (both sides, every type)", async () => {
    const fx = await load();
    await withBand(fx);
    // ±10 % of 200,000 → 180,000..220,000 → ticks 18..22
    await bid(fx, fx.bob, 18, 100n);
    await bid(fx, fx.bob, 22, 100n, OrderType.ImmediateOrCancel);
    const r = await fx.market.simulate.placeOrder(
      [orderParams(fx, fx.carol, { isBid: false, tick: 22, amountWh: 100n, orderType: OrderType.PostOnly })],
      { account: fx.carol.account },
    );
    assert.equal(r.result.restingWh, 100n);
    await fx.market.write.placeOrder(
      [
        orderParams(fx, fx.carol, {
          isBid: false,
          tick: 18,
          amountWh: 100n,
          orderType: OrderType.FillOrKill,
        }),
      ],
      { account: fx.carol.account },
    );
    // the FOK ask filled bob's resting bid at 18; its value stays locked until the claim
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT - val(100n, 18), locked: val(100n, 18) });
  });

  it("refuses orders outside the band with PriceOutsideBand(price, reference, bandBps)", async () => {
    const fx = await load();
    await withBand(fx);
    for (const [isBid, tick] of [
      [true, 23],
      [true, 17],
      [false, 23],
      [false, 1],
      [true, 65535],
    ] as const) {
      const p = orderParams(fx, fx.bob, { isBid, tick, amountWh: 100n });
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.placeOrder([p], { account: fx.bob.account }),
          fx.market,
          "PriceOutsideBand",
          [BigInt(tick) * 10_000n, 200_000n, 1000],
        ),
      );
    }
  });

  it("converts feed decimals to quote decimals (18-decimal feed)", async () => {
    const fx = await load();
    await withBand(fx, 18, 2n * 10n ** 17n, 500); // 0.2 with 18 decimals, ±5 %
    await bid(fx, fx.bob, 21, 100n);
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.placeOrder([orderParams(fx, fx.bob, { isBid: true, tick: 22, amountWh: 100n })], {
        account: fx.bob.account,
      }),
      fx.market,
      "PriceOutsideBand",
      [220_000n, 200_000n, 500],
    );
  });

  it("refuses every order while the reference is stale, and accepts again when it is updated", async () => {
    const fx = await load();
    const feed = await withBand(fx);
    const [, , , updatedAt] = await feed.read.latestRoundData();
    await networkHelpers.time.setNextBlockTimestamp(Number(updatedAt) + 600);
    await bid(fx, fx.bob, 20, 100n); // exactly maxAge old: still fresh
    await networkHelpers.time.setNextBlockTimestamp(Number(updatedAt) + 601);
    await networkHelpers.mine();
    const p = orderParams(fx, fx.bob, { isBid: true, tick: 20, amountWh: 100n });
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(
        fx.market.write.placeOrder([p], { account: fx.bob.account }),
        fx.market,
        "StaleReferencePrice",
        [updatedAt, 600n],
      ),
    );
    await feed.write.updateAnswer([20_000_000n]);
    await bid(fx, fx.bob, 20, 100n);
  });

  it("refuses every order while the reference is zero or negative", async () => {
    const fx = await load();
    const feed = await withBand(fx);
    for (const answer of [0n, -1n, -20_000_000n]) {
      await feed.write.updateAnswer([answer]);
      const p = orderParams(fx, fx.carol, { isBid: false, tick: 20, amountWh: 100n });
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.placeOrder([p], { account: fx.carol.account }),
          fx.market,
          "InvalidReferencePrice",
          [answer],
        ),
      );
    }
  });

  it("follows the reference as it moves; removing the band lifts the check", async () => {
    const fx = await load();
    const feed = await withBand(fx);
    await feed.write.updateAnswer([30_000_000n]); // 0.30 → ticks 27..33
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.placeOrder([orderParams(fx, fx.bob, { isBid: true, tick: 20, amountWh: 100n })], {
        account: fx.bob.account,
      }),
      fx.market,
      "PriceOutsideBand",
      [200_000n, 300_000n, 1000],
    );
    await bid(fx, fx.bob, 27, 100n);
    await fx.market.write.setPriceBand([fx.communityId, zeroAddress, 0, 0], { account: fx.alice.account });
    await bid(fx, fx.bob, 1, 100n);
    await bid(fx, fx.bob, 65535, 100n);
  });

  it("guards order entry only: a resting order placed in the band fills after the reference moved (decision 0022)", async () => {
    const fx = await load();
    const feed = await withBand(fx); // 0.20 → ticks 18..22
    const resting = await ask(fx, fx.dave, 18, 100n); // in the band when placed
    await feed.write.updateAnswer([30_000_000n]); // 0.30 → ticks 27..33: tick 18 is now outside
    // A taker inside the new band crosses the resting ask at the maker's price (tick 18).
    const taken = await bid(fx, fx.bob, 27, 100n, OrderType.ImmediateOrCancel);
    assert.equal(taken.filledWh, 100n);
    assert.equal(taken.value, val(100n, 18));
    assert.notEqual(resting.orderId, 0n);
  });

  it("cancels and claims ignore the band (a stale feed traps nothing)", async () => {
    const fx = await load();
    const feed = await withBand(fx);
    const r = await bid(fx, fx.bob, 20, 100n);
    const r2 = await bid(fx, fx.carol, 20, 100n);
    await feed.write.updateAnswer([0n]);
    await fx.market.write.cancel([r.orderId], { account: fx.bob.account });
    await networkHelpers.time.increaseTo(fx.gateAt);
    await fx.market.write.claim([[r2.orderId]]);
    assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT, locked: 0n });
    assert.deepEqual(await balance(fx, fx.carol), { free: DEPOSIT, locked: 0n });
  });
});
