// Issue 13, finding 5: a silent meter must cost its seller as much as a meter that delivered
// nothing, an oracle outage must cost nobody anything, and meters are admitted by a registrar's
// certificate, never by their seller alone. See docs/decisions/0023 and test/FINDINGS.md (F5).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, zeroAddress } from "viem";
import { meterCertificateTypedData } from "../../typed-data.ts";
import {
  DEPOSIT,
  GATE_LEAD,
  REPORT_WINDOW,
  SLOT,
  type Fx,
  deployDelivery,
  networkHelpers,
  order,
  viem,
} from "./fixture.ts";

const A = viem.assertions;
const load = () => networkHelpers.loadFixture(deployDelivery);

/** alice (meter 1) sells 1300 Wh for 322,000 (bond 65,000), bob (meter 2) 500 Wh for 130,000. */
async function traded() {
  const fx = await load();
  const ids = [await order(fx, fx.alice, 1, false, 25, 1000n), await order(fx, fx.bob, 2, false, 26, 1000n)];
  await order(fx, fx.carol, 3, true, 26, 1500n, 1);
  ids.push(await order(fx, fx.dave, 4, true, 24, 400n));
  await order(fx, fx.alice, 1, false, 24, 300n, 1);
  await networkHelpers.time.increaseTo(fx.slotStart - GATE_LEAD);
  await fx.market.write.claim([ids]);
  await networkHelpers.time.increaseTo(fx.slotStart + SLOT);
  return fx;
}

/** Settles both sellers and refunds both buyers after the reporting window. */
async function settleAll(fx: Fx) {
  const deadline = fx.slotStart + SLOT + REPORT_WINDOW;
  if ((await networkHelpers.time.latest()) < deadline) await networkHelpers.time.increaseTo(deadline);
  await fx.settlement.write.settleSellers([fx.marketId, [1, 2]]);
  await fx.settlement.write.claimRefund([fx.marketId, fx.carol.account.address]);
  await fx.settlement.write.claimRefund([fx.marketId, fx.dave.account.address]);
  assert.equal(await fx.market.read.escrowOf([fx.marketId]), 0n);
  assert.equal(await fx.usdc.read.balanceOf([fx.market.address]), 4n * DEPOSIT);
  const balances = [];
  for (const w of [fx.alice, fx.bob, fx.carol, fx.dave]) balances.push(await fx.balance(w));
  const total =
    balances.reduce((s, b) => s + b.free + b.locked, 0n) + (await fx.market.read.treasuryBalance([1]));
  assert.equal(total, 4n * DEPOSIT, "conservation: every unit is in a balance or the treasury");
  return {
    balances,
    reputation: await fx.settlement.read.reputationOf([fx.alice.account.address]),
    bondFactor: await fx.market.read.bondFactorBps([fx.alice.account.address]),
  };
}

const bobDelivered = (fx: Fx) => ({ meterId: 2, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 500n });

describe("DeliverySettlement · silent meters and oracle outages (issue 13 F5)", () => {
  it("a seller whose meter stayed silent pays exactly as one that delivered nothing", async () => {
    // Before F5, the oracles had no way to say "this meter sent nothing": alice's sale settled as
    // unreported (bond back, reputation untouched), cheaper for her than delivering nothing.
    let fx = await traded();
    await fx.submit([bobDelivered(fx)]);
    await A.emitWithArgs(fx.attestSilence(fx.slotStart, [1]), fx.settlement, "MeterSilent", [
      1,
      fx.slotStart,
    ]);
    assert.equal(await fx.settlement.read.isSilent([1, fx.slotStart]), true);
    assert.equal(await fx.settlement.read.isSilent([2, fx.slotStart]), false);
    assert.deepEqual(await fx.settlement.read.reportOf([1, fx.slotStart]), [true, 0n, 0n]);
    const silent = await settleAll(fx);
    // alice: no proceeds, her whole bond (65,000) slashed to the buyers; reputation 0 of 1300 Wh.
    assert.deepEqual(silent.balances[0], { free: DEPOSIT - 65_000n, locked: 0n });
    assert.deepEqual(silent.reputation, [1300n, 0n, (8_000n * 10_000n) / 11_300n]);

    fx = await traded();
    await fx.submit([
      { meterId: 1, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 0n },
      bobDelivered(fx),
    ]);
    const zero = await settleAll(fx);
    assert.deepEqual(silent, zero);
  });

  it("no report and no attestation by the deadline is an oracle outage: buyers refunded, nobody slashed", async () => {
    const fx = await traded();
    await networkHelpers.time.increaseTo(fx.slotStart + SLOT + REPORT_WINDOW);
    await A.revertWithCustomErrorWithArgs(
      fx.attestSilence(fx.slotStart, [1]),
      fx.settlement,
      "ReportTooLate",
      [1, fx.slotStart],
    );
    const outage = await settleAll(fx);
    for (const b of outage.balances) assert.deepEqual(b, { free: DEPOSIT, locked: 0n });
    assert.deepEqual(outage.reputation, [0n, 0n, 8000n]);
    assert.equal(outage.bondFactor, 0);
  });

  it("attestations take k of n oracle signatures, an ended slot, and exclude a report for the same meter", async () => {
    const fx = await load();
    await A.revertWithCustomErrorWithArgs(
      fx.attestSilence(fx.slotStart, [1]),
      fx.settlement,
      "SlotNotEnded",
      [1, fx.slotStart],
    );
    await networkHelpers.time.increaseTo(fx.slotStart + SLOT);
    await A.revertWithCustomErrorWithArgs(
      fx.attestSilence(fx.slotStart, [1], fx.oracles.slice(0, 1)),
      fx.settlement,
      "NotEnoughSignatures",
      [1n, 2],
    );
    await A.revertWithCustomErrorWithArgs(
      fx.attestSilence(fx.slotStart, [99]),
      fx.settlement,
      "UnknownMeter",
      [99],
    );
    await A.revertWithCustomError(fx.attestSilence(fx.slotStart, []), fx.settlement, "EmptyBatch");
    // A signature over other meters does not attest these.
    const [o1, o2] = fx.oracles;
    const digest = await fx.settlement.read.silenceDigest([fx.slotStart, [1, 2]]);
    assert.notEqual(digest, await fx.settlement.read.silenceDigest([fx.slotStart, [1]]));
    await fx.submit([bobDelivered(fx)]);
    await A.revertWithCustomErrorWithArgs(
      fx.attestSilence(fx.slotStart, [1, 2]),
      fx.settlement,
      "ReportExists",
      [2, fx.slotStart],
    );
    await fx.attestSilence(fx.slotStart, [1], [o1!, o2!]);
    await A.revertWithCustomErrorWithArgs(
      fx.submit([{ meterId: 1, slotStart: fx.slotStart, importedWh: 0n, exportedWh: 9n }]),
      fx.settlement,
      "ReportExists",
      [1, fx.slotStart],
    );
    await A.revertWithCustomErrorWithArgs(
      fx.attestSilence(fx.slotStart, [1]),
      fx.settlement,
      "ReportExists",
      [1, fx.slotStart],
    );
  });
});

describe("DeliverySettlement · meter admission by certificate (issue 13 F5)", () => {
  it("registers the certified meter for its owner, once", async () => {
    const fx = await load();
    const dev = getAddress("0x00000000000000000000000000000000000000aa");
    const signed = await fx.certify(
      fx.certificate(fx.bob.account.address, { kind: 3, capacityW: 7_000, deviceKey: dev }),
    );
    await A.emitWithArgs(
      fx.settlement.write.registerMeter([signed.certificate, signed.signature], { account: fx.bob.account }),
      fx.market,
      "MeterRegistered",
      [5, getAddress(fx.bob.account.address), 1, 3, 7_000, dev],
    );
    assert.deepEqual(await fx.market.read.meter([5]), [
      getAddress(fx.bob.account.address),
      1,
      3,
      true,
      7_000,
      dev,
    ]);
    const digest = await fx.settlement.read.certificateDigest([signed.certificate]);
    assert.equal(await fx.settlement.read.certificateUsed([digest]), true);
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.registerMeter([signed.certificate, signed.signature], { account: fx.bob.account }),
      fx.settlement,
      "CertificateUsed",
      [digest],
    );
  });

  it("refuses a seller's own certificate, altered fields, an expired one and non-members", async () => {
    const fx = await load();
    const registrar = getAddress(fx.registrar.account.address);
    const own = await fx.certify(
      fx.certificate(fx.bob.account.address, { deviceKey: "0x0000000000000000000000000000000000000001" }),
      fx.bob,
    );
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.registerMeter([own.certificate, own.signature], { account: fx.bob.account }),
      fx.settlement,
      "InvalidMeterCertificate",
      [registrar],
    );
    const signed = await fx.certify(fx.certificate(fx.bob.account.address, { capacityW: 1_000 }));
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.registerMeter([{ ...signed.certificate, capacityW: 1_000_000 }, signed.signature], {
        account: fx.bob.account,
      }),
      fx.settlement,
      "InvalidMeterCertificate",
      [registrar],
    );
    const now = await networkHelpers.time.latest();
    const expired = await fx.certify(fx.certificate(fx.bob.account.address, { deadline: now }));
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.registerMeter([expired.certificate, expired.signature]),
      fx.settlement,
      "CertificateExpired",
      [now],
    );
    const outsider = await fx.certify(fx.certificate(fx.eve.account.address));
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.registerMeter([outsider.certificate, outsider.signature]),
      fx.market,
      "NotMember",
      [1, getAddress(fx.eve.account.address)],
    );
    assert.equal(await fx.market.read.meterCount(), 4);
  });

  it("the admin certifies when no registrar is set, but never its own meters", async () => {
    const fx = await load();
    await A.emitWithArgs(
      fx.settlement.write.setMeterRegistrar([1, zeroAddress], { account: fx.alice.account }),
      fx.settlement,
      "MeterRegistrarSet",
      [1, zeroAddress],
    );
    assert.equal(await fx.settlement.read.registrarOf([1]), getAddress(fx.alice.account.address));
    const mine = await fx.certify(fx.certificate(fx.alice.account.address, { capacityW: 1 }), fx.alice);
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.registerMeter([mine.certificate, mine.signature], { account: fx.alice.account }),
      fx.settlement,
      "SelfCertifiedMeter",
      [1, getAddress(fx.alice.account.address)],
    );
    const bobs = await fx.certify(fx.certificate(fx.bob.account.address, { capacityW: 1 }), fx.alice);
    await fx.settlement.write.registerMeter([bobs.certificate, bobs.signature]);
    assert.equal(await fx.market.read.meterCount(), 5);
    await A.revertWithCustomErrorWithArgs(
      fx.settlement.write.setMeterRegistrar([1, fx.bob.account.address], { account: fx.bob.account }),
      fx.settlement,
      "NotCommunityAdmin",
      [1, getAddress(fx.bob.account.address)],
    );
  });

  it("accepts an ERC-1271 contract registrar", async () => {
    const fx = await load();
    const wallet = await viem.deployContract("SignerWallet", [fx.eve.account.address]);
    await fx.settlement.write.setMeterRegistrar([1, wallet.address], { account: fx.alice.account });
    const cert = fx.certificate(fx.bob.account.address, { capacityW: 3_000 });
    const signature = await fx.eve.signTypedData({
      account: fx.eve.account,
      ...meterCertificateTypedData(fx.chainId, fx.settlement.address, cert),
    });
    await fx.settlement.write.registerMeter([cert, signature], { account: fx.bob.account });
    assert.equal(await fx.market.read.meterCount(), 5);
  });
});
