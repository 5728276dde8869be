// F6 of issue 13: treasury votes were free to multiply (anyone could join an open community and
// vote, one member one vote), and a pause did not stop payouts. Against the contracts before the
// fix, the first test's fake members pass the proposal and drain the treasury, and the second
// test's payout executes while paused.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress } from "viem";
import {
  FEE,
  S,
  VOTING_DELAY,
  VOTING_PERIOD,
  Vote,
  increase,
  loadGov,
  networkHelpers,
  propose,
  queued,
  viem,
} from "./fixture.ts";

const A = viem.assertions;

describe("TreasuryGovernor · votes that cost something, and a pause that stops payouts (issue 13, F6)", () => {
  it("members who joined by themselves can neither propose nor vote nor move the quorum", async () => {
    const gx = await loadGov();
    const wallets = await viem.getWalletClients();
    const sybils = wallets.slice(8, 16);
    // Membership is open (the default): the attacker joins with eight accounts ...
    for (const w of sybils) await gx.market.write.join([gx.communityId], { account: w.account });
    const c = await gx.market.read.community([gx.communityId]);
    assert.equal(c.members, 12);
    assert.equal(c.admitted, 4);
    // ... none of which can propose ...
    await A.revertWithCustomErrorWithArgs(
      gx.governor.write.propose([gx.communityId, sybils[0]!.account.address, FEE, "drain"], {
        account: sybils[0]!.account,
      }),
      gx.governor,
      "NotAdmittedMember",
      [gx.communityId, getAddress(sybils[0]!.account.address)],
    );
    // ... or vote: the quorum counts the four admitted members only.
    const { id } = await propose(gx, gx.bob, FEE, sybils[0]!.account.address);
    assert.equal((await gx.governor.read.proposal([id])).quorum, 2);
    await increase(VOTING_DELAY);
    for (const w of sybils) {
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.castVote([id, Vote.For], { account: w.account }),
        gx.governor,
        "NotAdmittedMember",
        [gx.communityId, getAddress(w.account.address)],
      );
      assert.equal(await gx.governor.read.canVote([id, w.account.address]), false);
    }
    await gx.governor.write.castVote([id, Vote.Against], { account: gx.alice.account });
    await gx.governor.write.castVote([id, Vote.Against], { account: gx.carol.account });
    await increase(VOTING_PERIOD + 1n);
    assert.equal(await gx.governor.read.state([id]), S.Defeated);
  });

  it("the admin admits a member who joined by itself, once", async () => {
    const gx = await loadGov();
    await gx.market.write.join([gx.communityId], { account: gx.eve.account });
    assert.equal(await gx.market.read.admittedSince([gx.communityId, gx.eve.account.address]), 0n);
    await A.emitWithArgs(
      gx.market.write.admit([gx.communityId, gx.eve.account.address], { account: gx.alice.account }),
      gx.market,
      "MemberAdmitted",
      [gx.communityId, getAddress(gx.eve.account.address)],
    );
    const c = await gx.market.read.community([gx.communityId]);
    assert.deepEqual([c.members, c.admitted], [5, 5]);
    await A.revertWithCustomError(
      gx.market.write.admit([gx.communityId, gx.eve.account.address], { account: gx.alice.account }),
      gx.market,
      "AlreadyMember",
    );
    await A.revertWithCustomError(
      gx.market.write.admit([gx.communityId, gx.eve.account.address], { account: gx.bob.account }),
      gx.market,
      "NotCommunityAdmin",
    );
  });

  it("a pause stops a queued payout; it executes after the unpause", async () => {
    const gx = await loadGov();
    const { id, eta } = await queued(gx);
    await networkHelpers.time.increaseTo(eta);
    await gx.market.write.pause({ account: gx.guardian.account });
    await A.revertWithCustomError(gx.governor.write.execute([id]), gx.market, "EnforcedPause");
    assert.equal(await gx.governor.read.state([id]), S.Queued);
    await gx.market.write.unpause({ account: gx.guardian.account });
    const before = await gx.usdc.read.balanceOf([gx.eve.account.address]);
    await gx.governor.write.execute([id]);
    assert.equal(await gx.usdc.read.balanceOf([gx.eve.account.address]), before + FEE);
  });
});
