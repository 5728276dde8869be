import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeAbiParameters, encodeFunctionData, getAddress, parseEventLogs } from "viem";
import {
  DEPOSIT,
  GATE_LEAD,
  REPORT_WINDOW,
  SLOT,
  type Fx,
  type Report,
  deployDelivery,
  networkHelpers,
  order,
  viem,
} from "./fixture.ts";

const A = viem.assertions;
const load = () => networkHelpers.loadFixture(deployDelivery);

/**
 * The scenario every settlement test starts from (meters 1..4 belong to alice, bob, carol, dave):
 *  - alice rests an ask of 1000 Wh at tick 25, bob one of 1000 Wh at tick 26 (makers);
 *  - carol takes 1500 Wh with an IOC bid at 26: 1000 from alice at 25, 500 from bob at 26 (380,000);
 *  - dave rests a bid of 400 Wh at 24; alice sells it 300 Wh with an IOC ask (72,000).
 * alice's meter sold 1300 Wh for 322,000, bob's 500 Wh for 130,000; tradedValue 452,000.
 */
async function traded() {
  const fx = await load();
  const aliceAsk = await order(fx, fx.alice, 1, false, 25, 1000n);
  const bobAsk = await order(fx, fx.bob, 2, false, 26, 1000n);
  await order(fx, fx.carol, 3, true, 26, 1500n, 1);
  const daveBid = await order(fx, fx.dave, 4, true, 24, 400n);
  await order(fx, fx.alice, 1, false, 24, 300n, 1);
  return { fx, aliceAsk, bobAsk, daveBid };
}

async function toGateAndClaim(fx: Fx, orderIds: bigint[]) {
  await networkHelpers.time.increaseTo(fx.slotStart - GATE_LEAD);
  await fx.market.write.claim([orderIds]);
}

const slotEnd = (fx: Fx) => fx.slotStart + SLOT;

describe("DeliverySettlement · end to end", () => {
  it("settles a market against its reports with every balance exact to the base unit", async () => {
    const { fx, aliceAsk, bobAsk, daveBid } = await traded();
    await toGateAndClaim(fx, [aliceAsk, bobAsk, daveBid]);
    const totals = await fx.market.read.marketTotals([fx.marketId]);
    assert.equal(totals.tradedWh, 1800n);
    assert.equal(totals.tradedValue, 452_000n);

    await networkHelpers.time.increaseTo(slotEnd(fx));
    const reports: Report[] = [
      { meterId: 1, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 1000n }, // 1000 of 1300 sold
      { meterId: 2, slotStart: fx.slotStart, importedWh: 10n, exportedWh: 800n }, // more than its 500
      { meterId: 3, slotStart: fx.slotStart, importedWh: 1500n, exportedWh: 0n },
      { meterId: 4, slotStart: fx.slotStart, importedWh: 300n, exportedWh: 0n },
    ];
    await fx.submit(reports);
    assert.deepEqual(await fx.settlement.read.reportOf([1, fx.slotStart]), [true, 0n, 1000n]);

    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.settleSeller([fx.marketId, 1]),
      fx.settlement,
      "SettlementNotReady",
      [fx.marketId, "reporting window open"],
    );
    await networkHelpers.time.increaseTo(slotEnd(fx) + REPORT_WINDOW);

    // alice: gross ⌊322,000 × 1000 / 1300⌋ = 247,692, fee 2,476, bond 65,000 of which 15,000 slashed.
    await A.emitWithArgs(fx.settlement.write.settleSeller([fx.marketId, 1]), fx.settlement, "SaleSettled", [
      fx.marketId,
      1,
      getAddress(fx.alice.account.address),
      1300n,
      1000n,
      true,
      245_216n,
      2_476n,
      89_308n,
      15_000n,
    ]);
    // bob delivered everything: 130,000 less 1,300 fee; nothing refunded or slashed.
    await A.emitWithArgs(
      fx.settlement.write.settleSeller([fx.marketId, 2]),
      fx.settlement,
      "RefundPoolFinal",
      [fx.marketId, 89_308n, 452_000n],
    );
    // carol ⌊89,308 × 380,000 / 452,000⌋ = 75,081; dave ⌊89,308 × 72,000 / 452,000⌋ = 14,226; 1 of dust.
    await fx.settlement.write.claimRefund([fx.marketId, fx.carol.account.address]);
    await fx.settlement.write.claimRefund([fx.marketId, fx.dave.account.address]);

    assert.deepEqual(await fx.balance(fx.alice), { free: DEPOSIT + 230_216n, locked: 0n });
    assert.deepEqual(await fx.balance(fx.bob), { free: DEPOSIT + 128_700n, locked: 0n });
    assert.deepEqual(await fx.balance(fx.carol), { free: DEPOSIT - 304_919n, locked: 0n });
    assert.deepEqual(await fx.balance(fx.dave), { free: DEPOSIT - 57_774n, locked: 0n });
    assert.equal(await fx.market.read.treasuryBalance([1]), 2_476n + 1_300n + 1n);
    assert.equal(await fx.market.read.escrowOf([fx.marketId]), 0n);
    assert.equal(await fx.usdc.read.balanceOf([fx.market.address]), 4n * DEPOSIT);

    // Reputation: alice delivered 1000 of 1300, bob 500 of 500, each on top of the 8-of-10 kWh prior.
    assert.deepEqual(await fx.settlement.read.reputationOf([fx.alice.account.address]), [
      1300n,
      1000n,
      7964n,
    ]);
    assert.deepEqual(await fx.settlement.read.reputationOf([fx.bob.account.address]), [500n, 500n, 8095n]);
  });

  it("folds the maker claims and the refunds into settleSale, to the same base unit (0028)", async () => {
    const { fx, aliceAsk, bobAsk, daveBid } = await traded();
    await networkHelpers.time.increaseTo(slotEnd(fx));
    await fx.submit([
      { meterId: 1, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 1000n },
      { meterId: 2, slotStart: fx.slotStart, importedWh: 10n, exportedWh: 800n },
    ]);
    await networkHelpers.time.increaseTo(slotEnd(fx) + REPORT_WINDOW);
    const buyers = [fx.carol.account.address, fx.dave.account.address, fx.eve.account.address];
    // alice's settlement claims every maker (bob's ask is attributed to his meter, dave's bid to
    // his position); the pool is not final yet, so nobody is refunded.
    const first = await fx.settlement.write.settleSale([fx.marketId, 1, [aliceAsk, bobAsk, daveBid], buyers]);
    const logs1 = parseEventLogs({
      abi: [...fx.market.abi, ...fx.settlement.abi],
      logs: (await fx.publicClient.waitForTransactionReceipt({ hash: first })).logs,
    });
    assert.equal(logs1.filter((l) => l.eventName === "OrderClaimed").length, 3);
    assert.equal(logs1.filter((l) => l.eventName === "RefundClaimed").length, 0);
    assert.equal((await fx.market.read.sale([fx.marketId, 1])).soldWh, 0); // taken out
    assert.equal((await fx.market.read.sale([fx.marketId, 2])).soldWh, 500);
    // alice (a taker-seller too) was listed at her take; bob by the claim of his ask.
    assert.deepEqual(await fx.market.read.marketSellers([fx.marketId, 0n, 10n]), [[1, 2], 2n]);
    // bob's settlement makes the pool final and refunds carol and dave (eve paid nothing: skipped).
    const second = await fx.settlement.write.settleSale([fx.marketId, 2, [], buyers]);
    const logs2 = parseEventLogs({
      abi: [...fx.market.abi, ...fx.settlement.abi],
      logs: (await fx.publicClient.waitForTransactionReceipt({ hash: second })).logs,
    });
    assert.deepEqual(
      logs2.filter((l) => l.eventName === "RefundClaimed").map((l) => (l.args as { refund: bigint }).refund),
      [75_081n, 14_226n],
    );
    // Exactly the balances of the separate calls (the test above).
    assert.deepEqual(await fx.balance(fx.alice), { free: DEPOSIT + 230_216n, locked: 0n });
    assert.deepEqual(await fx.balance(fx.bob), { free: DEPOSIT + 128_700n, locked: 0n });
    assert.deepEqual(await fx.balance(fx.carol), { free: DEPOSIT - 304_919n, locked: 0n });
    assert.deepEqual(await fx.balance(fx.dave), { free: DEPOSIT - 57_774n, locked: 0n });
    assert.equal(await fx.market.read.treasuryBalance([1]), 2_476n + 1_300n + 1n);
    assert.equal(await fx.market.read.escrowOf([fx.marketId]), 0n);
    assert.equal(await fx.settlement.read.refundClaimed([fx.marketId, fx.carol.account.address]), true);
    assert.equal((await fx.market.read.position([fx.marketId, fx.carol.account.address])).refunded, 75_081n);
    // Each step once: the meter has nothing left to settle, the buyer nothing left to claim.
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.settleSale([fx.marketId, 2, [], buyers]),
      fx.settlement,
      "NoSale",
      [fx.marketId, 2],
    );
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.claimRefund([fx.marketId, fx.carol.account.address]),
      fx.market,
      "AlreadyClaimed",
      [fx.marketId, getAddress(fx.carol.account.address)],
    );
  });

  it("pays a seller only for the sale taken in the same transaction (settler calls)", async () => {
    const { fx, aliceAsk } = await traded();
    await networkHelpers.time.increaseTo(fx.slotStart - GATE_LEAD);
    await fx.market.write.grantRole([await fx.market.read.SETTLER_ROLE(), fx.admin.account.address]);
    await fx.market.write.takeSale([fx.marketId, 1, [aliceAsk]]);
    // A later transaction cannot pay out against it (transient storage), nor anyone but a settler.
    await A.revertWithCustomErrorWithArgs(
      fx.market.write.settleSeller([fx.marketId, 1, 1n, 0n, 0n, 0]),
      fx.market,
      "SaleNotTaken",
      [fx.marketId, 1],
    );
    await A.revertWithCustomError(
      fx.market.write.takeSale([fx.marketId, 2, []], { account: fx.eve.account }),
      fx.market,
      "AccessControlUnauthorizedAccount",
    );
  });

  it("refunds every buyer in full and spares the seller when no report arrived", async () => {
    const { fx, aliceAsk, bobAsk, daveBid } = await traded();
    await toGateAndClaim(fx, [aliceAsk, bobAsk, daveBid]);
    await networkHelpers.time.increaseTo(slotEnd(fx) + REPORT_WINDOW);
    await A.revertWithCustomErrorWithArgs(
      fx.submit([{ meterId: 1, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 1n }]),
      fx.settlement,
      "ReportTooLate",
      [1, fx.slotStart],
    );
    await fx.settlement.write.settleSellers([fx.marketId, [1, 2, 1]]);
    await fx.settlement.write.claimRefund([fx.marketId, fx.carol.account.address]);
    await fx.settlement.write.claimRefund([fx.marketId, fx.dave.account.address]);
    // Sellers get their bonds back and nothing else; buyers get every unit back.
    assert.deepEqual(await fx.balance(fx.alice), { free: DEPOSIT, locked: 0n });
    assert.deepEqual(await fx.balance(fx.bob), { free: DEPOSIT, locked: 0n });
    assert.deepEqual(await fx.balance(fx.carol), { free: DEPOSIT, locked: 0n });
    assert.deepEqual(await fx.balance(fx.dave), { free: DEPOSIT, locked: 0n });
    assert.equal(await fx.market.read.treasuryBalance([1]), 0n);
    assert.equal(await fx.market.read.escrowOf([fx.marketId]), 0n);
    assert.deepEqual(await fx.settlement.read.reputationOf([fx.alice.account.address]), [0n, 0n, 8000n]);
  });

  it("waits for every maker to be claimed, and each step happens once", async () => {
    const { fx, aliceAsk, bobAsk, daveBid } = await traded();
    await networkHelpers.time.increaseTo(fx.slotStart - GATE_LEAD);
    await fx.market.write.claim([[aliceAsk, bobAsk]]);
    await networkHelpers.time.increaseTo(slotEnd(fx) + REPORT_WINDOW);
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.settleSeller([fx.marketId, 1]),
      fx.settlement,
      "SettlementNotReady",
      [fx.marketId, "bid makers unclaimed"],
    );
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.claimRefund([fx.marketId, fx.carol.account.address]),
      fx.settlement,
      "RefundPoolNotFinal",
      [fx.marketId],
    );
    await fx.market.write.claim([[daveBid]]);
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.settleSeller([fx.marketId, 3]),
      fx.settlement,
      "NoSale",
      [fx.marketId, 3],
    );
    await fx.settlement.write.settleSeller([fx.marketId, 1]);
    // A settled meter's sale has left the market: settling it again finds no sale.
    assert.equal(await fx.settlement.read.sellerSettled([fx.marketId, 1]), true);
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.settleSeller([fx.marketId, 1]),
      fx.settlement,
      "NoSale",
      [fx.marketId, 1],
    );
    await fx.settlement.write.settleSeller([fx.marketId, 2]);
    await fx.settlement.write.claimRefund([fx.marketId, fx.carol.account.address]);
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.claimRefund([fx.marketId, fx.carol.account.address]),
      fx.market,
      "AlreadyClaimed",
      [fx.marketId, getAddress(fx.carol.account.address)],
    );
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.claimRefund([fx.marketId, fx.eve.account.address]),
      fx.settlement,
      "NothingPaid",
      [fx.marketId, getAddress(fx.eve.account.address)],
    );
  });

  it("settles through the Chainlink-compatible keeper in batches", async () => {
    const { fx, aliceAsk, bobAsk, daveBid } = await traded();
    await toGateAndClaim(fx, [aliceAsk, bobAsk, daveBid]);
    const checkData = encodeAbiParameters(
      [{ type: "uint32" }, { type: "uint32" }, { type: "uint32" }],
      [1, 8, 1],
    );
    assert.equal((await fx.keeper.read.checkUpkeep([checkData]))[0], false);
    await networkHelpers.time.increaseTo(slotEnd(fx) + REPORT_WINDOW);
    for (let round = 0; round < 2; round++) {
      const [needed, performData] = await fx.keeper.read.checkUpkeep([checkData]);
      assert.equal(needed, true);
      await fx.keeper.write.performUpkeep([performData]);
    }
    assert.equal((await fx.keeper.read.checkUpkeep([checkData]))[0], false);
    assert.equal(await fx.settlement.read.sellerSettled([fx.marketId, 1]), true);
    assert.equal(await fx.settlement.read.sellerSettled([fx.marketId, 2]), true);
    assert.equal((await fx.settlement.read.settlementOf([fx.marketId])).refundPool, 452_000n);
  });

  it("keeps checkUpkeep bounded with hundreds of sellers, paging from where settlement got to (issue 13)", async () => {
    const fx = await load();
    const N = 300; // more sellers than SettlementKeeper.MAX_SCAN (256)
    assert.equal(await fx.keeper.read.MAX_SCAN(), 256n);
    const first = Number(await fx.market.read.meterCount()) + 1;
    for (let i = 0; i < N; i++) {
      const deviceKey = `0x${(0xd000 + i).toString(16).padStart(40, "0")}` as const;
      const signed = await fx.certify(
        fx.certificate(fx.alice.account.address, { kind: 0, capacityW: 1_000, deviceKey }),
      );
      await fx.settlement.write.registerMeter([signed.certificate, signed.signature], {
        account: fx.alice.account,
      });
    }
    const meterIds = Array.from({ length: N }, (_, i) => first + i);
    const calls = meterIds.map((meterId) =>
      encodeFunctionData({
        abi: fx.market.abi,
        functionName: "placeOrder",
        args: [
          {
            communityId: 1,
            slotStart: fx.slotStart,
            isBid: false,
            tick: 25,
            amountWh: 100n,
            meterId,
            orderType: 0,
          },
        ],
      }),
    );
    const orderIds: bigint[] = [];
    for (let i = 0; i < N; i += 100) {
      const hash = await fx.market.write.multicall([calls.slice(i, i + 100)], { account: fx.alice.account });
      const receipt = await fx.publicClient.waitForTransactionReceipt({ hash });
      const logs = parseEventLogs({ abi: fx.market.abi, logs: receipt.logs, eventName: "OrderPlaced" });
      orderIds.push(...logs.map((l) => l.args.orderId));
    }
    await order(fx, fx.carol, 3, true, 25, 100n * BigInt(N), 1);
    await networkHelpers.time.increaseTo(fx.slotStart - GATE_LEAD);
    for (let i = 0; i < N; i += 100) await fx.market.write.claim([orderIds.slice(i, i + 100)]);
    const [page, total] = await fx.market.read.marketSellers([fx.marketId, 290n, 100n]);
    assert.deepEqual([page.length, total], [10, BigInt(N)]);
    await networkHelpers.time.increaseTo(slotEnd(fx) + REPORT_WINDOW);

    // Someone settles the last 40 sellers directly, out of the keeper's order.
    await fx.settlement.write.settleSellers([fx.marketId, meterIds.slice(N - 40)]);
    const checkData = encodeAbiParameters(
      [{ type: "uint32" }, { type: "uint32" }, { type: "uint32" }],
      [1, 8, 100],
    );
    let rounds = 0;
    for (;;) {
      const gas = await fx.publicClient.estimateContractGas({
        address: fx.keeper.address,
        abi: fx.keeper.abi,
        functionName: "checkUpkeep",
        args: [checkData],
      });
      assert.ok(gas < 3_000_000n, `checkUpkeep gas ${gas} bounded`);
      const [needed, performData] = await fx.keeper.read.checkUpkeep([checkData]);
      if (!needed) break;
      await fx.keeper.write.performUpkeep([performData]);
      rounds++;
    }
    assert.equal(rounds, 3);
    assert.equal((await fx.settlement.read.settlementOf([fx.marketId])).sellers, BigInt(N));
  });
});

describe("DeliverySettlement · reports and signatures", () => {
  const ready = async () => {
    const fx = await load();
    await networkHelpers.time.increaseTo(slotEnd(fx));
    const reports: Report[] = [
      { meterId: 1, slotStart: fx.slotStart, importedWh: 5n, exportedWh: 700n },
      { meterId: 2, slotStart: fx.slotStart, importedWh: 9n, exportedWh: 0n },
    ];
    return { fx, reports };
  };
  const addresses = (fx: Fx, ws: Fx["oracles"]) => ws.map((w) => w.account.address);

  it("accepts k of n signatures, emits MeterReported, and refuses a replayed batch", async () => {
    const { fx, reports } = await ready();
    await A.emitWithArgs(fx.submit(reports), fx.settlement, "MeterReported", [1, fx.slotStart, 5n, 700n]);
    assert.deepEqual(await fx.settlement.read.reportOf([2, fx.slotStart]), [true, 9n, 0n]);
    await A.revertWithCustomErrorWithArgs(
      fx.submit(reports, fx.oracles.slice(1)),
      fx.settlement,
      "ReportExists",
      [1, fx.slotStart],
    );
  });

  it("refuses k − 1 signatures, a duplicated signer, unsorted signers and a wrong signer", async () => {
    const { fx, reports } = await ready();
    const [o1, o2] = fx.oracles;
    const s1 = await fx.signBatch(o1!, reports);
    const s2 = await fx.signBatch(o2!, reports);
    const submit = (signers: `0x${string}`[], sigs: `0x${string}`[]) =>
      fx.settlement.write.submitReports([reports, signers, sigs]);
    await A.revertWithCustomErrorWithArgs(
      submit([o1!.account.address], [s1]),
      fx.settlement,
      "NotEnoughSignatures",
      [1n, 2],
    );
    await A.revertWithCustomErrorWithArgs(
      submit([o1!.account.address, o1!.account.address], [s1, s1]),
      fx.settlement,
      "SignersNotSorted",
      [getAddress(o1!.account.address)],
    );
    await A.revertWithCustomErrorWithArgs(
      submit([o2!.account.address, o1!.account.address], [s2, s1]),
      fx.settlement,
      "SignersNotSorted",
      [getAddress(o1!.account.address)],
    );
    // eve is not an oracle; her own valid signature does not count.
    const eveSig = await fx.signBatch(fx.eve, reports);
    const [lo, hi] =
      BigInt(fx.eve.account.address) < BigInt(o1!.account.address)
        ? [
            [fx.eve.account.address, o1!.account.address],
            [eveSig, s1],
          ]
        : [
            [o1!.account.address, fx.eve.account.address],
            [s1, eveSig],
          ];
    await A.revertWithCustomErrorWithArgs(
      submit(lo as `0x${string}`[], hi as `0x${string}`[]),
      fx.settlement,
      "NotOracleSigner",
      [getAddress(fx.eve.account.address)],
    );
    // o2's slot carries o1's signature.
    await A.revertWithCustomErrorWithArgs(
      submit(addresses(fx, [o1!, o2!]), [s1, s1]),
      fx.settlement,
      "InvalidSignature",
      [getAddress(o2!.account.address)],
    );
    assert.deepEqual(await fx.settlement.read.reportOf([1, fx.slotStart]), [false, 0n, 0n]);
  });

  it("refuses batches signed for another chain id or another contract, or altered after signing", async () => {
    const { fx, reports } = await ready();
    const [o1, o2] = fx.oracles;
    for (const overrides of [{ chainId: 137 }, { verifyingContract: fx.market.address }]) {
      const sigs = [await fx.signBatch(o1!, reports, overrides), await fx.signBatch(o2!, reports, overrides)];
      await A.revertWithCustomErrorWithArgs(
        fx.settlement.write.submitReports([reports, addresses(fx, [o1!, o2!]), sigs]),
        fx.settlement,
        "InvalidSignature",
        [getAddress(o1!.account.address)],
      );
    }
    const sigs = [await fx.signBatch(o1!, reports), await fx.signBatch(o2!, reports)];
    const altered = [{ ...reports[0]!, exportedWh: 9_999n }, reports[1]!];
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.submitReports([altered, addresses(fx, [o1!, o2!]), sigs]),
      fx.settlement,
      "InvalidSignature",
      [getAddress(o1!.account.address)],
    );
  });

  it("accepts an ERC-1271 contract signer", async () => {
    const { fx, reports } = await ready();
    const [o1] = fx.oracles;
    const wallet = await viem.deployContract("SignerWallet", [fx.eve.account.address]);
    await fx.settlement.write.setOracleSigner([wallet.address, true]);
    const pairs = [
      { address: o1!.account.address, sig: await fx.signBatch(o1!, reports) },
      { address: wallet.address, sig: await fx.signBatch(fx.eve, reports) },
    ].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
    await fx.settlement.write.submitReports([reports, pairs.map((p) => p.address), pairs.map((p) => p.sig)]);
    assert.deepEqual(await fx.settlement.read.reportOf([1, fx.slotStart]), [true, 5n, 700n]);
  });

  it("refuses reports before the slot ends, for unknown meters, and empty batches", async () => {
    const fx = await load();
    const early: Report[] = [{ meterId: 1, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 1n }];
    await A.revertWithCustomErrorWithArgs(fx.submit(early), fx.settlement, "SlotNotEnded", [1, fx.slotStart]);
    await networkHelpers.time.increaseTo(slotEnd(fx));
    await A.revertWithCustomErrorWithArgs(
      fx.submit([{ meterId: 99, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 1n }]),
      fx.settlement,
      "UnknownMeter",
      [99],
    );
    await A.revertWithCustomError(fx.submit([]), fx.settlement, "EmptyBatch");
  });

  it("lets only the oracle admin manage signers and keeps k within n", async () => {
    const fx = await load();
    const role = await fx.settlement.read.ORACLE_ADMIN_ROLE();
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.setOracleSigner([fx.eve.account.address, true], { account: fx.eve.account }),
      fx.settlement,
      "AccessControlUnauthorizedAccount",
      [getAddress(fx.eve.account.address), role],
    );
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.setThreshold([4]),
      fx.settlement,
      "InvalidThreshold",
      [4, 3],
    );
    await fx.settlement.write.setThreshold([3]);
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.setOracleSigner([fx.oracles[0]!.account.address, false]),
      fx.settlement,
      "InvalidThreshold",
      [3, 2],
    );
  });
});
