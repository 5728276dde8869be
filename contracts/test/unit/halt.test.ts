import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress } from "viem";
import { ask, bid, closeGate, load, orderParams, params, refused, viem } from "./fixture.ts";

const A = viem.assertions;

describe("EnergyMarket · halting order entry", () => {
  it("the guardian halts one community: its orders are refused, cancels and claims still work", async () => {
    const fx = await load();
    const resting = await ask(fx, fx.bob, 30, 500n);
    await A.emitWithArgs(
      fx.market.write.setCommunityHalted([fx.communityId, true], { account: fx.guardian.account }),
      fx.market,
      "CommunityHalted",
      [fx.communityId, true],
    );
    await refused(fx, () =>
      A.revertWithCustomErrorWithArgs(bid(fx, fx.carol, 30, 100n), fx.market, "OrderEntryHalted", [
        fx.communityId,
      ]),
    );
    // Another community trades on.
    await fx.market.write.createCommunity(["Other", params()], { account: fx.eve.account });
    assert.equal((await fx.market.read.community([2])).halted, 0);
    await fx.market.write.cancel([resting.orderId], { account: fx.bob.account });
    await fx.market.write.setCommunityHalted([fx.communityId, false], { account: fx.guardian.account });
    await bid(fx, fx.carol, 30, 100n);
    await closeGate(fx);
  });

  it("a pause halts every community and unpausing keeps a guardian halt in place", async () => {
    const fx = await load();
    await fx.market.write.setCommunityHalted([fx.communityId, true], { account: fx.guardian.account });
    await fx.market.write.pause({ account: fx.guardian.account });
    // The pause is one global flag: the community keeps only its own halt.
    assert.equal((await fx.market.read.community([fx.communityId])).halted, 1);
    assert.equal(await fx.market.read.paused(), true);
    await A.revertWithCustomError(
      fx.market.write.placeOrder([orderParams(fx, fx.carol, { isBid: true, tick: 30, amountWh: 100n })], {
        account: fx.carol.account,
      }),
      fx.market,
      "EnforcedPause",
    );
    await A.revertWithCustomError(
      fx.market.write.createCommunity(["Other", params()], { account: fx.eve.account }),
      fx.market,
      "EnforcedPause",
    );
    await fx.market.write.unpause({ account: fx.guardian.account });
    assert.equal((await fx.market.read.community([fx.communityId])).halted, 1);
    await A.revertWithCustomErrorWithArgs(bid(fx, fx.carol, 30, 100n), fx.market, "OrderEntryHalted", [
      fx.communityId,
    ]);
  });

  it("only the guardian halts, and only known communities", async () => {
    const fx = await load();
    const role = await fx.market.read.GUARDIAN_ROLE();
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.setCommunityHalted([fx.communityId, true], { account: fx.alice.account }),
      fx.market,
      "AccessControlUnauthorizedAccount",
      [getAddress(fx.alice.account.address), role],
    );
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.setCommunityHalted([99, true], { account: fx.guardian.account }),
      fx.market,
      "UnknownCommunity",
      [99],
    );
  });
});
