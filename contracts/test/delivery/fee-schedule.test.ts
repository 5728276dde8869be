// F3 of issue 13: a fee raised after trades matched must not apply to them. Fails against the
// contracts before the fix (commit 66be8c5): settlement read the community's fee at settlement.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseEventLogs } from "viem";
import {
  FEE_BPS,
  GATE_LEAD,
  HORIZON,
  REPORT_WINDOW,
  SLOT,
  deployDelivery,
  networkHelpers,
  order,
  viem,
} from "./fixture.ts";

const A = viem.assertions;
const load = () => networkHelpers.loadFixture(deployDelivery);

describe("DeliverySettlement · the fee in force when the trade matched (issue 13, F3)", () => {
  it("a fee raised after the trade does not touch it; it applies to markets not yet open", async () => {
    const fx = await load();
    // alice sells 1000 Wh to carol at tick 25 (250,000 base units) under the 1 % fee.
    const askId = await order(fx, fx.alice, 1, false, 25, 1000n);
    await order(fx, fx.carol, 3, true, 25, 1000n, 1);
    assert.equal((await fx.market.read.marketTotals([fx.marketId])).feeBps, FEE_BPS);

    // The admin raises the fee to 10 %: scheduled for the first slot whose market is not open.
    const now = BigInt(await networkHelpers.time.latest());
    const from = ((now + 1n + BigInt(HORIZON)) / BigInt(SLOT) + 1n) * BigInt(SLOT);
    await A.emitWithArgs(
      fx.market.write.setCommunityFee([1, 1_000], { account: fx.alice.account }),
      fx.market,
      "CommunityFeeScheduled",
      [1, 1_000, Number(from)],
    );
    const c = await fx.market.read.community([1]);
    assert.deepEqual(
      [c.feeBps, c.feeScheduled, c.nextFeeBps, c.nextFeeFrom],
      [FEE_BPS, true, 1_000, Number(from)],
    );
    // A market of the slot before `from` that trades now fixes the old fee.
    const before = Number(from) - SLOT;
    await fx.market.write.placeOrder(
      [
        {
          communityId: 1,
          slotStart: before,
          isBid: false,
          tick: 25,
          amountWh: 100n,
          meterId: 2,
          orderType: 0,
        },
      ],
      { account: fx.bob.account },
    );
    await fx.market.write.placeOrder(
      [
        {
          communityId: 1,
          slotStart: before,
          isBid: true,
          tick: 25,
          amountWh: 100n,
          meterId: 4,
          orderType: 1,
        },
      ],
      { account: fx.dave.account },
    );
    assert.equal((await fx.market.read.marketTotals([(1n << 40n) | BigInt(before)])).feeBps, FEE_BPS);
    // A second change while the first is visible to an open market is refused ...
    await networkHelpers.time.increaseTo(Number(from) - HORIZON);
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.setCommunityFee([1, 500], { account: fx.alice.account }),
      fx.market,
      "FeeChangePending",
      [1, Number(from)],
    );

    // Settlement of the traded market charges 1 %, not 10 %.
    await networkHelpers.time.increaseTo(fx.slotStart - GATE_LEAD);
    await fx.market.write.claim([[askId]]);
    await networkHelpers.time.increaseTo(fx.slotStart + SLOT);
    await fx.submit([{ meterId: 1, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 1000n }]);
    await networkHelpers.time.increaseTo(fx.slotStart + SLOT + REPORT_WINDOW);
    const hash = await fx.settlement.write.settleSeller([fx.marketId, 1]);
    const receipt = await fx.publicClient.waitForTransactionReceipt({ hash });
    const [settled] = parseEventLogs({
      abi: fx.settlement.abi,
      logs: receipt.logs,
      eventName: "SaleSettled",
    });
    assert.equal(settled!.args.fee, 2_500n);
    assert.equal(settled!.args.payout, 247_500n);
    assert.equal(await fx.market.read.treasuryBalance([1]), 2_500n);
  });

  it("a change no open market sees yet can be replaced; a change in effect becomes the fee", async () => {
    const fx = await load();
    await fx.market.write.setCommunityFee([1, 300], { account: fx.alice.account });
    // Same second's horizon: still unseen by any open market, so replaced.
    await fx.market.write.setCommunityFee([1, 200], { account: fx.alice.account });
    const c = await fx.market.read.community([1]);
    assert.equal(c.feeBps, FEE_BPS);
    assert.equal(c.nextFeeBps, 200);
    assert.equal(c.feeScheduled, true);
    await networkHelpers.time.increaseTo(c.nextFeeFrom);
    await A.emitWithArgs(
      fx.market.write.setCommunityFee([1, 50], { account: fx.alice.account }),
      fx.market,
      "CommunityFeeChanged",
      [1, 200],
    );
    assert.equal((await fx.market.read.community([1])).feeBps, 200);
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.setCommunityFee([1, 1_001], { account: fx.alice.account }),
      fx.market,
      "InvalidCommunityParams",
      ["0x" + Buffer.from("feeBps").toString("hex").padEnd(64, "0")],
    );
    await A.revertWithCustomError(
      fx.market.write.setCommunityFee([1, 10], { account: fx.bob.account }),
      fx.market,
      "NotCommunityAdmin",
    );
  });
});
