import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress } from "viem";
import { GATE_LEAD, REPORT_WINDOW, SLOT, deployDelivery, networkHelpers, order, viem } from "./fixture.ts";

const A = viem.assertions;
const load = () => networkHelpers.loadFixture(deployDelivery);

/**
 * A community that sizes bonds by reputation (base bond 50 base units per Wh). Market 1: alice and
 * bob each sell 1000 Wh to carol; alice delivers everything, bob nothing. Their records then size
 * the bonds of their asks in market 2.
 */
describe("DeliverySettlement · bonds sized by reputation", () => {
  it("a reliable seller locks less, an unreliable one more, and every lock is released exactly", async () => {
    const fx = await load();
    await A.emitWithArgs(
      fx.market.write.setReputationBonds([1, true], { account: fx.alice.account }),
      fx.market,
      "ReputationBondsSet",
      [1, true],
    );
    // Market 1: no records yet, so both lock the full bond.
    const aliceAsk = await order(fx, fx.alice, 1, false, 25, 1000n);
    const bobAsk = await order(fx, fx.bob, 2, false, 26, 1000n);
    assert.equal((await fx.balance(fx.alice)).locked, 50_000n);
    await order(fx, fx.carol, 3, true, 26, 2000n, 1);
    await networkHelpers.time.increaseTo(fx.slotStart - GATE_LEAD);
    await fx.market.write.claim([[aliceAsk, bobAsk]]);
    await networkHelpers.time.increaseTo(fx.slotStart + SLOT);
    await fx.submit([
      { meterId: 1, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 1000n },
      { meterId: 2, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 0n },
    ]);
    await networkHelpers.time.increaseTo(fx.slotStart + SLOT + REPORT_WINDOW);
    // alice: score (1000 + 8000) / (1000 + 10000) = 8181 bps → factor 10000 − 181 × 5 = 9095.
    await A.emitWithArgs(fx.settlement.write.settleSeller([fx.marketId, 1]), fx.market, "BondFactorSet", [
      getAddress(fx.alice.account.address),
      9095,
    ]);
    // bob: score 8000 / 11000 = 7272 bps → factor 10000 + 728 × 5 = 13640.
    await fx.settlement.write.settleSeller([fx.marketId, 2]);
    assert.equal(await fx.market.read.bondFactorBps([fx.bob.account.address]), 13640);
    assert.equal(await fx.settlement.read.bondFactorOf([fx.bob.account.address]), 13640);
    assert.equal((await fx.balance(fx.alice)).locked, 0n);
    assert.equal((await fx.balance(fx.bob)).locked, 0n);

    // Market 2, an hour later.
    const slot2 = fx.slotStart + 4 * SLOT;
    const market2 = (1n << 40n) | BigInt(slot2);
    const place = (w: typeof fx.alice, meterId: number, isBid: boolean, tick: number, wh: bigint, type = 0) =>
      order({ ...fx, slotStart: slot2 }, w, meterId, isBid, tick, wh, type);
    // alice: index ⌈9095 / 625⌉ = 15 → ⌈50 × 15 / 16⌉ = 47 per Wh.
    const aliceAsk2 = await place(fx.alice, 1, false, 25, 1000n);
    assert.equal((await fx.balance(fx.alice)).locked, 47_000n);
    // bob: index ⌈13640 / 625⌉ = 22 → ⌈50 × 22 / 16⌉ = 69 per Wh; his cancel releases exactly that.
    const bobFree = (await fx.balance(fx.bob)).free;
    const bobAsk2 = await place(fx.bob, 2, false, 30, 1000n);
    assert.deepEqual(await fx.balance(fx.bob), { free: bobFree - 69_000n, locked: 69_000n });
    await fx.market.write.cancel([bobAsk2], { account: fx.bob.account });
    assert.deepEqual(await fx.balance(fx.bob), { free: bobFree, locked: 0n });

    // carol takes 400 Wh of alice's ask; the claim releases 600 × 47 and the sale holds 400 × 47.
    await place(fx.carol, 3, true, 25, 400n, 1);
    await networkHelpers.time.increaseTo(slot2 - GATE_LEAD);
    await fx.market.write.claim([[aliceAsk2]]);
    assert.equal((await fx.balance(fx.alice)).locked, 18_800n);
    assert.equal(await fx.market.read.saleBond([market2, 1]), 18_800n);
    // She delivers half: half the bond (rounded up) is slashed, the rest comes back.
    await networkHelpers.time.increaseTo(slot2 + SLOT);
    await fx.submit([{ meterId: 1, slotStart: slot2, importedWh: 0n, exportedWh: 200n }]);
    await networkHelpers.time.increaseTo(slot2 + SLOT + REPORT_WINDOW);
    const aliceFree = (await fx.balance(fx.alice)).free;
    await fx.settlement.write.settleSeller([market2, 1]);
    // proceeds 400 × 25 × 10 = 100,000; delivered 200 → gross 50,000, fee 500, bond 18,800 − 9,400.
    assert.deepEqual(await fx.balance(fx.alice), { free: aliceFree + 49_500n + 9_400n, locked: 0n });
    assert.equal((await fx.settlement.read.settlementOf([market2])).refundPool, 50_000n + 9_400n);
  });

  it("only the community admin turns it on, and only settlement sets bond factors", async () => {
    const fx = await load();
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.setReputationBonds([1, true], { account: fx.bob.account }),
      fx.market,
      "NotCommunityAdmin",
      [1, getAddress(fx.bob.account.address)],
    );
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.settleSeller([fx.marketId, 1, 0n, 0n, 0n, 1], { account: fx.bob.account }),
      fx.market,
      "AccessControlUnauthorizedAccount",
      [getAddress(fx.bob.account.address), await fx.market.read.SETTLER_ROLE()],
    );
  });

  it("self-trades earn no reputation (issue 13): the part a seller bought from itself is left out", async () => {
    const fx = await load();
    await fx.market.write.setReputationBonds([1, true], { account: fx.alice.account });
    // alice rests 1000 Wh; she buys 400 of it herself, carol 600.
    const aliceAsk = await order(fx, fx.alice, 1, false, 25, 1000n);
    await order(fx, fx.alice, 1, true, 25, 400n, 1);
    await order(fx, fx.carol, 3, true, 25, 600n, 1);
    // bob sells 500 Wh only to himself.
    const bobAsk = await order(fx, fx.bob, 2, false, 26, 500n);
    await order(fx, fx.bob, 2, true, 26, 500n, 1);
    await networkHelpers.time.increaseTo(fx.slotStart - GATE_LEAD);
    await fx.market.write.claim([[aliceAsk, bobAsk]]);
    await networkHelpers.time.increaseTo(fx.slotStart + SLOT);
    await fx.submit([
      { meterId: 1, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 1000n },
      { meterId: 2, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 500n },
    ]);
    await networkHelpers.time.increaseTo(fx.slotStart + SLOT + REPORT_WINDOW);
    await fx.settlement.write.settleSellers([fx.marketId, [1, 2]]);
    // alice's record counts carol's 600 Wh only; bob's none, and his bond factor stays unset.
    const [committed, delivered] = await fx.settlement.read.reputationOf([fx.alice.account.address]);
    assert.deepEqual([committed, delivered], [600n, 600n]);
    const [bobCommitted] = await fx.settlement.read.reputationOf([fx.bob.account.address]);
    assert.equal(bobCommitted, 0n);
    assert.equal(await fx.market.read.bondFactorBps([fx.bob.account.address]), 0);
  });
});
