import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, parseEventLogs, zeroAddress } from "viem";
import { params } from "../unit/fixture.ts";
import {
  FEE,
  GRACE_PERIOD,
  QUORUM_BPS,
  S,
  TIMELOCK_DELAY,
  VOTING_DELAY,
  VOTING_PERIOD,
  Vote,
  connection,
  increase,
  loadGov,
  networkHelpers,
  passed,
  propose,
  proposeAndVote,
  queued,
  viem,
  vote,
  type Gx,
} from "./fixture.ts";

const A = viem.assertions;
const addr = (w: { account: { address: string } }) => getAddress(w.account.address);

async function expectState(gx: Gx, id: bigint, state: number) {
  assert.equal(await gx.governor.read.state([id]), state);
}

async function setAutomine(on: boolean) {
  await connection.provider.request({ method: "evm_setAutomine", params: [on] });
}

describe("TreasuryGovernor", () => {
  describe("deployment", () => {
    it("holds the market's TREASURER_ROLE and its immutable parameters; the fee sits in the treasury", async () => {
      const gx = await loadGov();
      assert.equal(await gx.market.read.hasRole([gx.TREASURER_ROLE, gx.governor.address]), true);
      assert.equal(await gx.market.read.treasuryBalance([gx.communityId]), FEE);
      assert.equal(await gx.governor.read.MARKET(), getAddress(gx.market.address));
      assert.equal(await gx.governor.read.VOTING_DELAY(), VOTING_DELAY);
      assert.equal(await gx.governor.read.VOTING_PERIOD(), VOTING_PERIOD);
      assert.equal(await gx.governor.read.QUORUM_BPS(), QUORUM_BPS);
      assert.equal(await gx.governor.read.TIMELOCK_DELAY(), TIMELOCK_DELAY);
      assert.equal(await gx.governor.read.GRACE_PERIOD(), GRACE_PERIOD);
      assert.equal(await gx.governor.read.proposalCount(), 0n);
    });

    it("refuses invalid parameters", async () => {
      const gx = await loadGov();
      const ok = [gx.market.address, 0n, VOTING_PERIOD, QUORUM_BPS, TIMELOCK_DELAY, GRACE_PERIOD] as const;
      const cases: [number, unknown, string][] = [
        [0, gx.eve.account.address, "market"],
        [1, 366n * 86_400n, "votingDelay"],
        [2, 0n, "votingPeriod"],
        [3, 0n, "quorumBps"],
        [3, 10_001n, "quorumBps"],
        [4, 0n, "timelockDelay"],
        [5, 0n, "gracePeriod"],
      ];
      for (const [i, value, name] of cases) {
        const args = [...ok] as unknown[];
        args[i] = value;
        await assert.rejects(
          viem.deployContract("TreasuryGovernor", args as never),
          (e: Error) => e.message.includes("InvalidParameter") && e.message.includes(name),
          name,
        );
      }
      await viem.deployContract("TreasuryGovernor", [...ok]);
    });
  });

  describe("lifecycle", () => {
    it("propose → vote → queue → execute pays the recipient from the community treasury", async () => {
      const gx = await loadGov();
      const { governor, market, usdc } = gx;
      const { id, receipt, logs } = await propose(gx, gx.bob, FEE);
      assert.equal(id, 1n);
      const block = await gx.publicClient.getBlock({ blockNumber: receipt.blockNumber });
      const created = logs.find((l) => l.eventName === "ProposalCreated")!;
      assert.deepEqual(created.args, {
        proposalId: 1n,
        communityId: gx.communityId,
        proposer: addr(gx.bob),
        to: addr(gx.eve),
        amount: FEE,
        snapshot: receipt.blockNumber,
        voteStart: block.timestamp + VOTING_DELAY,
        voteEnd: block.timestamp + VOTING_DELAY + VOTING_PERIOD,
        members: 4n,
        quorum: 2n,
        description: "pay the roof installer",
      });
      const p = await governor.read.proposal([id]);
      assert.equal(p.proposer, addr(gx.bob));
      assert.equal(p.communityId, gx.communityId);
      assert.equal(BigInt(p.snapshot), receipt.blockNumber);
      assert.equal(p.quorum, 2);
      assert.equal(p.amount, FEE);
      await expectState(gx, id, S.Pending);

      await increase(VOTING_DELAY);
      await expectState(gx, id, S.Active);
      assert.equal(await governor.read.canVote([id, gx.alice.account.address]), true);
      await A.emitWithArgs(vote(gx, gx.alice, id, Vote.For), governor, "VoteCast", [
        id,
        addr(gx.alice),
        Vote.For,
      ]);
      await vote(gx, gx.bob, id, Vote.For);
      await vote(gx, gx.carol, id, Vote.Against);
      await vote(gx, gx.dave, id, Vote.Abstain);
      assert.equal(await governor.read.hasVoted([id, gx.carol.account.address]), true);
      assert.equal(await governor.read.canVote([id, gx.carol.account.address]), false);
      const counted = await governor.read.proposal([id]);
      assert.deepEqual([counted.forVotes, counted.againstVotes, counted.abstainVotes], [2, 1, 1]);

      await increase(VOTING_PERIOD);
      await expectState(gx, id, S.Succeeded);
      const qHash = await governor.write.queue([id]);
      const qReceipt = await gx.publicClient.waitForTransactionReceipt({ hash: qHash });
      const qBlock = await gx.publicClient.getBlock({ blockNumber: qReceipt.blockNumber });
      const [queuedLog] = parseEventLogs({
        abi: governor.abi,
        logs: qReceipt.logs,
        eventName: "ProposalQueued",
      });
      assert.equal(queuedLog!.args.eta, qBlock.timestamp + TIMELOCK_DELAY);
      await expectState(gx, id, S.Queued);

      await networkHelpers.time.increaseTo(qBlock.timestamp + TIMELOCK_DELAY);
      const before = await usdc.read.balanceOf([gx.eve.account.address]);
      const marketTokens = await usdc.read.balanceOf([market.address]);
      // Anyone may execute (here: carol, who voted against).
      const tx = governor.write.execute([id], { account: gx.carol.account });
      await A.emitWithArgs(tx, governor, "ProposalExecuted", [id, gx.communityId, addr(gx.eve), FEE]);
      assert.equal(await usdc.read.balanceOf([gx.eve.account.address]), before + FEE);
      assert.equal(await usdc.read.balanceOf([market.address]), marketTokens - FEE);
      assert.equal(await market.read.treasuryBalance([gx.communityId]), 0n);
      await expectState(gx, id, S.Executed);
    });

    it("the market emits TreasuryPaid on execution", async () => {
      const gx = await loadGov();
      const { id, eta } = await queued(gx, FEE / 2n);
      await networkHelpers.time.increaseTo(eta);
      await A.emitWithArgs(gx.governor.write.execute([id]), gx.market, "TreasuryPaid", [
        gx.communityId,
        addr(gx.eve),
        FEE / 2n,
      ]);
      assert.equal(await gx.market.read.treasuryBalance([gx.communityId]), FEE / 2n);
    });

    it("with zero voting delay the vote opens in the next block", async () => {
      const gx = await loadGov();
      const governor = await viem.deployContract("TreasuryGovernor", [
        gx.market.address,
        0n,
        VOTING_PERIOD,
        QUORUM_BPS,
        TIMELOCK_DELAY,
        GRACE_PERIOD,
      ]);
      await governor.write.propose([gx.communityId, gx.eve.account.address, 1n, "x"], {
        account: gx.bob.account,
      });
      await governor.write.castVote([1n, Vote.For], { account: gx.alice.account });
      assert.equal(await governor.read.hasVoted([1n, gx.alice.account.address]), true);
    });

    it("is defeated when For does not exceed Against", async () => {
      const gx = await loadGov();
      const id = await proposeAndVote(gx, [
        [gx.alice, Vote.For],
        [gx.bob, Vote.For],
        [gx.carol, Vote.Against],
        [gx.dave, Vote.Against],
      ]);
      await increase(VOTING_PERIOD);
      await expectState(gx, id, S.Defeated);
    });

    it("is defeated below quorum; abstentions count toward quorum", async () => {
      const gx = await loadGov();
      const lone = await proposeAndVote(gx, [[gx.alice, Vote.For]]);
      const withAbstain = await proposeAndVote(gx, [
        [gx.alice, Vote.For],
        [gx.dave, Vote.Abstain],
      ]);
      await increase(VOTING_PERIOD);
      await expectState(gx, lone, S.Defeated);
      await expectState(gx, withAbstain, S.Succeeded);
    });

    it("stays Active through voteEnd, inclusive", async () => {
      const gx = await loadGov();
      const { id } = await propose(gx, gx.bob);
      const { voteStart } = await gx.governor.read.proposal([id]);
      await networkHelpers.time.increaseTo(BigInt(voteStart) + VOTING_PERIOD);
      await expectState(gx, id, S.Active);
      await networkHelpers.mine();
      await expectState(gx, id, S.Defeated);
    });

    it("fixes the quorum at proposal time: later members neither vote nor raise it", async () => {
      const gx = await loadGov();
      const { id } = await propose(gx, gx.bob);
      const wallets = await viem.getWalletClients();
      for (const w of wallets.slice(8, 14))
        await gx.market.write.admit([gx.communityId, w.account.address], { account: gx.alice.account });
      assert.equal((await gx.market.read.community([gx.communityId])).admitted, 10);
      await increase(VOTING_DELAY);
      await vote(gx, gx.alice, id, Vote.For);
      await vote(gx, gx.bob, id, Vote.For);
      await increase(VOTING_PERIOD);
      assert.equal((await gx.governor.read.proposal([id])).quorum, 2);
      await expectState(gx, id, S.Succeeded);
    });

    it("rounds the quorum up and never below one vote", async () => {
      const gx = await loadGov();
      const governor = await viem.deployContract("TreasuryGovernor", [
        gx.market.address,
        0n,
        VOTING_PERIOD,
        1n, // 0.01 %
        TIMELOCK_DELAY,
        GRACE_PERIOD,
      ]);
      await governor.write.propose([gx.communityId, gx.eve.account.address, 1n, "x"], {
        account: gx.bob.account,
      });
      assert.equal((await governor.read.proposal([1n])).quorum, 1);
      const { id } = await propose(gx, gx.bob); // 50 % of 4 = 2; with a fifth member 2.5 → 3
      await gx.market.write.admit([gx.communityId, gx.eve.account.address], { account: gx.alice.account });
      const { id: id2 } = await propose(gx, gx.bob);
      assert.equal((await gx.governor.read.proposal([id])).quorum, 2);
      assert.equal((await gx.governor.read.proposal([id2])).quorum, 3);
    });

    it("casts votes by EIP-712 signature, relayed by anyone", async () => {
      const gx = await loadGov();
      const { id } = await propose(gx, gx.bob);
      await increase(VOTING_DELAY);
      const domain = {
        name: "PowerShare Treasury Governor",
        version: "1",
        chainId: await gx.publicClient.getChainId(),
        verifyingContract: gx.governor.address,
      } as const;
      const types = {
        Ballot: [
          { name: "proposalId", type: "uint256" },
          { name: "support", type: "uint8" },
          { name: "voter", type: "address" },
        ],
      } as const;
      const sign = (signer: typeof gx.dave, support: number, voter = signer.account.address) =>
        signer.signTypedData({
          domain,
          types,
          primaryType: "Ballot",
          message: { proposalId: id, support, voter },
        });

      const sig = await sign(gx.dave, Vote.For);
      await A.emitWithArgs(
        gx.governor.write.castVoteBySig([id, Vote.For, gx.dave.account.address, sig], {
          account: gx.eve.account,
        }),
        gx.governor,
        "VoteCast",
        [id, addr(gx.dave), Vote.For],
      );
      // Replaying the ballot fails: one vote per member.
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.castVoteBySig([id, Vote.For, gx.dave.account.address, sig], {
          account: gx.eve.account,
        }),
        gx.governor,
        "AlreadyVoted",
        [id, addr(gx.dave)],
      );
      // A ballot signed by someone else, or altered, is refused.
      const forged = await sign(gx.eve, Vote.For, gx.carol.account.address);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.castVoteBySig([id, Vote.For, gx.carol.account.address, forged]),
        gx.governor,
        "InvalidSignature",
        [addr(gx.carol)],
      );
      const carolFor = await sign(gx.carol, Vote.For);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.castVoteBySig([id, Vote.Against, gx.carol.account.address, carolFor]),
        gx.governor,
        "InvalidSignature",
        [addr(gx.carol)],
      );
    });

    it("serves several communities, each spending only its own treasury with its own members", async () => {
      const gx = await loadGov();
      // eve creates community 2 (she is its only member); its treasury is empty.
      await gx.market.write.createCommunity(["Block B", params()], { account: gx.eve.account });
      await networkHelpers.mine();
      const { id } = await propose(gx, gx.eve, FEE, gx.eve.account.address, 2);
      await increase(VOTING_DELAY);
      // Community 1's members have no vote in community 2.
      await A.revertWithCustomErrorWithArgs(
        vote(gx, gx.alice, id, Vote.For),
        gx.governor,
        "NotAdmittedMember",
        [2, addr(gx.alice)],
      );
      await vote(gx, gx.eve, id, Vote.For);
      await increase(VOTING_PERIOD);
      await gx.governor.write.queue([id]);
      await increase(TIMELOCK_DELAY);
      // Community 1's fee is not community 2's to spend.
      await A.revertWithCustomErrorWithArgs(gx.governor.write.execute([id]), gx.market, "TreasuryShortfall", [
        2,
        0n,
        FEE,
      ]);
      assert.equal(await gx.market.read.treasuryBalance([1]), FEE);
      await expectState(gx, id, S.Queued);
    });
  });

  describe("cancel", () => {
    it("lets the proposer cancel while pending, active, succeeded or queued", async () => {
      const gx = await loadGov();
      const pending = (await propose(gx, gx.bob)).id;
      await A.emitWithArgs(
        gx.governor.write.cancel([pending], { account: gx.bob.account }),
        gx.governor,
        "ProposalCanceled",
        [pending],
      );
      await expectState(gx, pending, S.Canceled);

      const active = await proposeAndVote(gx, [[gx.alice, Vote.For]]);
      await gx.governor.write.cancel([active], { account: gx.bob.account });
      await expectState(gx, active, S.Canceled);
      await A.revertWithCustomErrorWithArgs(
        vote(gx, gx.carol, active, Vote.For),
        gx.governor,
        "UnexpectedProposalState",
        [active, S.Canceled],
      );

      const succeeded = await passed(gx);
      await gx.governor.write.cancel([succeeded], { account: gx.bob.account });
      await expectState(gx, succeeded, S.Canceled);

      const { id: q, eta } = await queued(gx);
      await gx.governor.write.cancel([q], { account: gx.bob.account });
      await networkHelpers.time.increaseTo(eta);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.execute([q]),
        gx.governor,
        "UnexpectedProposalState",
        [q, S.Canceled],
      );
      assert.equal(await gx.market.read.treasuryBalance([gx.communityId]), FEE);
    });

    it("refuses anyone but the proposer, and final states", async () => {
      const gx = await loadGov();
      const { id, eta } = await queued(gx);
      for (const w of [gx.alice, gx.admin, gx.eve]) {
        await A.revertWithCustomErrorWithArgs(
          gx.governor.write.cancel([id], { account: w.account }),
          gx.governor,
          "NotProposer",
          [id, addr(w)],
        );
      }
      await networkHelpers.time.increaseTo(eta);
      await gx.governor.write.execute([id]);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.cancel([id], { account: gx.bob.account }),
        gx.governor,
        "UnexpectedProposalState",
        [id, S.Executed],
      );
      const defeated = await proposeAndVote(gx, [[gx.carol, Vote.Against]]);
      await increase(VOTING_PERIOD);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.cancel([defeated], { account: gx.bob.account }),
        gx.governor,
        "UnexpectedProposalState",
        [defeated, S.Defeated],
      );
      const canceled = (await propose(gx, gx.bob)).id;
      await gx.governor.write.cancel([canceled], { account: gx.bob.account });
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.cancel([canceled], { account: gx.bob.account }),
        gx.governor,
        "UnexpectedProposalState",
        [canceled, S.Canceled],
      );
    });
  });

  describe("reverts", () => {
    it("a non-member cannot propose", async () => {
      const gx = await loadGov();
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.propose([gx.communityId, gx.eve.account.address, FEE, "x"], {
          account: gx.eve.account,
        }),
        gx.governor,
        "NotAdmittedMember",
        [gx.communityId, addr(gx.eve)],
      );
      assert.equal(await gx.governor.read.proposalCount(), 0n);
    });

    it("a member who joined in the current block cannot propose", async () => {
      const gx = await loadGov();
      const args = [gx.communityId, gx.eve.account.address, FEE, "x"] as const;
      await setAutomine(false);
      try {
        await gx.market.write.admit([gx.communityId, gx.eve.account.address], {
          account: gx.alice.account,
          gas: 200_000n,
        });
        // In the pending block, which holds her join, her membership is too recent.
        const pending = (await gx.publicClient.getBlockNumber()) + 1n;
        await A.revertWithCustomErrorWithArgs(
          gx.governor.simulate.propose(args, { account: gx.eve.account, blockTag: "pending" }),
          gx.governor,
          "JoinedAfterSnapshot",
          [gx.communityId, addr(gx.eve), pending, pending],
        );
        await networkHelpers.mine();
      } finally {
        await setAutomine(true);
      }
      assert.equal(
        await gx.market.read.memberSince([gx.communityId, gx.eve.account.address]),
        await gx.publicClient.getBlockNumber(),
      );
      // From the next block on she may.
      await networkHelpers.mine();
      await propose(gx, gx.eve);
    });

    it("refuses a zero amount, an amount above 96 bits, a zero recipient and an unknown proposal", async () => {
      const gx = await loadGov();
      await A.revertWithCustomError(
        gx.governor.write.propose([gx.communityId, gx.eve.account.address, 0n, "x"], {
          account: gx.bob.account,
        }),
        gx.governor,
        "ZeroAmount",
      );
      await A.revertWithCustomError(
        gx.governor.write.propose([gx.communityId, zeroAddress, FEE, "x"], { account: gx.bob.account }),
        gx.governor,
        "InvalidRecipient",
      );
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.propose([gx.communityId, gx.eve.account.address, 1n << 96n, "x"], {
          account: gx.bob.account,
        }),
        gx.governor,
        "SafeCastOverflowedUintDowncast",
        [96, 1n << 96n],
      );
      for (const call of [
        gx.governor.write.castVote([7n, Vote.For], { account: gx.bob.account }),
        gx.governor.write.queue([7n]),
        gx.governor.write.execute([7n]),
        gx.governor.write.cancel([7n], { account: gx.bob.account }),
      ]) {
        await A.revertWithCustomErrorWithArgs(call, gx.governor, "UnknownProposal", [7n]);
      }
      await assert.rejects(gx.governor.read.state([7n]));
    });

    it("a member who joined after the snapshot cannot vote (also in the snapshot block)", async () => {
      const gx = await loadGov();
      const { id, receipt } = await propose(gx, gx.bob);
      await gx.market.write.admit([gx.communityId, gx.eve.account.address], { account: gx.alice.account });
      await increase(VOTING_DELAY);
      const since = await gx.market.read.memberSince([gx.communityId, gx.eve.account.address]);
      await A.revertWithCustomErrorWithArgs(
        vote(gx, gx.eve, id, Vote.For),
        gx.governor,
        "JoinedAfterSnapshot",
        [gx.communityId, addr(gx.eve), since, receipt.blockNumber],
      );
      assert.equal(await gx.governor.read.canVote([id, gx.eve.account.address]), false);

      // Joining in the very block of the proposal is too late as well.
      const wallets = await viem.getWalletClients();
      const frank = wallets[8]!;
      await setAutomine(false);
      let hash: `0x${string}`;
      try {
        await gx.market.write.admit([gx.communityId, frank.account.address], {
          account: gx.alice.account,
          gas: 200_000n,
        });
        hash = await gx.governor.write.propose([gx.communityId, gx.eve.account.address, FEE, "x"], {
          account: gx.carol.account,
          gas: 500_000n,
        });
        await networkHelpers.mine();
      } finally {
        await setAutomine(true);
      }
      const r2 = await gx.publicClient.waitForTransactionReceipt({ hash });
      assert.equal(r2.status, "success");
      const frankSince = await gx.market.read.memberSince([gx.communityId, frank.account.address]);
      assert.equal(frankSince, r2.blockNumber);
      await increase(VOTING_DELAY);
      await A.revertWithCustomErrorWithArgs(
        vote(gx, frank, 2n, Vote.For),
        gx.governor,
        "JoinedAfterSnapshot",
        [gx.communityId, addr(frank), frankSince, r2.blockNumber],
      );
      // Its member count included frank, so the quorum counts him (conservative).
      assert.equal((await gx.governor.read.proposal([2n])).quorum, 3);
    });

    it("a non-member cannot vote", async () => {
      const gx = await loadGov();
      const id = await proposeAndVote(gx, []);
      await A.revertWithCustomErrorWithArgs(
        vote(gx, gx.eve, id, Vote.For),
        gx.governor,
        "NotAdmittedMember",
        [gx.communityId, addr(gx.eve)],
      );
    });

    it("a member cannot vote twice, nor change a vote", async () => {
      const gx = await loadGov();
      const id = await proposeAndVote(gx, [[gx.alice, Vote.For]]);
      for (const s of [Vote.For, Vote.Against]) {
        await A.revertWithCustomErrorWithArgs(vote(gx, gx.alice, id, s), gx.governor, "AlreadyVoted", [
          id,
          addr(gx.alice),
        ]);
      }
      assert.equal((await gx.governor.read.proposal([id])).forVotes, 1);
    });

    it("refuses an invalid vote type", async () => {
      const gx = await loadGov();
      const id = await proposeAndVote(gx, []);
      await A.revertWithCustomErrorWithArgs(vote(gx, gx.alice, id, 3), gx.governor, "InvalidVoteType", [3]);
    });

    it("refuses votes before the vote opens and after it closes", async () => {
      const gx = await loadGov();
      const { id } = await propose(gx, gx.bob);
      await A.revertWithCustomErrorWithArgs(
        vote(gx, gx.alice, id, Vote.For),
        gx.governor,
        "UnexpectedProposalState",
        [id, S.Pending],
      );
      await increase(VOTING_DELAY + VOTING_PERIOD + 1n);
      await A.revertWithCustomErrorWithArgs(
        vote(gx, gx.alice, id, Vote.For),
        gx.governor,
        "UnexpectedProposalState",
        [id, S.Defeated],
      );
      const ok = await passed(gx);
      await A.revertWithCustomErrorWithArgs(
        vote(gx, gx.dave, ok, Vote.Against),
        gx.governor,
        "UnexpectedProposalState",
        [ok, S.Succeeded],
      );
    });

    it("queue refuses a proposal that has not succeeded, and a second queue", async () => {
      const gx = await loadGov();
      const { id: pending } = await propose(gx, gx.bob);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.queue([pending]),
        gx.governor,
        "UnexpectedProposalState",
        [pending, S.Pending],
      );
      const active = await proposeAndVote(gx, [
        [gx.alice, Vote.For],
        [gx.bob, Vote.For],
        [gx.carol, Vote.For],
      ]);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.queue([active]),
        gx.governor,
        "UnexpectedProposalState",
        [active, S.Active],
      );
      await increase(VOTING_PERIOD);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.queue([pending]),
        gx.governor,
        "UnexpectedProposalState",
        [pending, S.Defeated],
      );
      await gx.governor.write.queue([active]);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.queue([active]),
        gx.governor,
        "UnexpectedProposalState",
        [active, S.Queued],
      );
    });

    it("execute refuses a proposal that is not queued", async () => {
      const gx = await loadGov();
      const id = await passed(gx);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.execute([id]),
        gx.governor,
        "UnexpectedProposalState",
        [id, S.Succeeded],
      );
    });

    it("execute refuses before the eta", async () => {
      const gx = await loadGov();
      const { id, eta } = await queued(gx);
      await networkHelpers.time.setNextBlockTimestamp(eta - 1n);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.execute([id]),
        gx.governor,
        "TimelockNotElapsed",
        [id, eta],
      );
      await networkHelpers.mine(); // the block at eta - 1
      await gx.governor.write.execute([id]); // at eta
      await expectState(gx, id, S.Executed);
    });

    it("execute refuses from eta + grace period on: the proposal expired", async () => {
      const gx = await loadGov();
      const { id, eta } = await queued(gx);
      await networkHelpers.time.increaseTo(eta + GRACE_PERIOD - 1n);
      await expectState(gx, id, S.Queued);
      await networkHelpers.mine();
      await expectState(gx, id, S.Expired);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.execute([id]),
        gx.governor,
        "UnexpectedProposalState",
        [id, S.Expired],
      );
      assert.equal(await gx.market.read.treasuryBalance([gx.communityId]), FEE);
    });

    it("execute refuses a second execution", async () => {
      const gx = await loadGov();
      const { id, eta } = await queued(gx, FEE / 4n);
      await networkHelpers.time.increaseTo(eta);
      await gx.governor.write.execute([id]);
      await A.revertWithCustomErrorWithArgs(
        gx.governor.write.execute([id]),
        gx.governor,
        "UnexpectedProposalState",
        [id, S.Executed],
      );
      assert.equal(await gx.market.read.treasuryBalance([gx.communityId]), FEE - FEE / 4n);
    });

    it("execute of an amount above the treasury reverts and leaves the proposal queued", async () => {
      const gx = await loadGov();
      const { id, eta } = await queued(gx, FEE + 1n);
      await networkHelpers.time.increaseTo(eta);
      await A.revertWithCustomErrorWithArgs(gx.governor.write.execute([id]), gx.market, "TreasuryShortfall", [
        gx.communityId,
        FEE,
        FEE + 1n,
      ]);
      await expectState(gx, id, S.Queued);
      assert.equal(await gx.market.read.treasuryBalance([gx.communityId]), FEE);
    });

    it("the market admin cannot revoke the governor: a queued spend still executes", async () => {
      const gx = await loadGov();
      const { id, eta } = await queued(gx);
      await A.revertWithCustomErrorWithArgs(
        gx.market.write.revokeRole([gx.TREASURER_ROLE, gx.governor.address], { account: gx.admin.account }),
        gx.market,
        "AccessControlUnauthorizedAccount",
        [getAddress(gx.admin.account.address), await gx.market.read.TREASURER_LOCK_ROLE()],
      );
      await networkHelpers.time.increaseTo(eta);
      await gx.governor.write.execute([id]);
      await expectState(gx, id, S.Executed);
    });
  });

  describe("no one moves treasury funds without a passed vote", () => {
    it("payFromTreasury refuses the deployer, the market admin, the guardian, the settler, the community admin and members", async () => {
      const gx = await loadGov();
      // The fixture's `admin` deployed the market and the governor and holds DEFAULT_ADMIN_ROLE.
      assert.equal(
        await gx.market.read.hasRole([await gx.market.read.DEFAULT_ADMIN_ROLE(), gx.admin.account.address]),
        true,
      );
      assert.equal((await gx.market.read.community([gx.communityId])).admin, addr(gx.alice));
      for (const w of [gx.admin, gx.guardian, gx.settler, gx.alice, gx.bob, gx.eve]) {
        await A.revertWithCustomErrorWithArgs(
          gx.market.write.payFromTreasury([gx.communityId, w.account.address, 1n], { account: w.account }),
          gx.market,
          "AccessControlUnauthorizedAccount",
          [addr(w), gx.TREASURER_ROLE],
        );
      }
      assert.equal(await gx.market.read.treasuryBalance([gx.communityId]), FEE);
    });

    it("the governor has no admin function: its only state-changing functions are the proposal lifecycle", async () => {
      const gx = await loadGov();
      const writes = gx.governor.abi
        .filter((f) => f.type === "function" && f.stateMutability !== "view" && f.stateMutability !== "pure")
        .map((f) => (f as { name: string }).name)
        .sort();
      assert.deepEqual(writes, ["cancel", "castVote", "castVoteBySig", "execute", "propose", "queue"]);
      assert.equal(
        gx.governor.abi.some((f) => f.type === "function" && /owner|admin|role|set|upgrade/i.test(f.name)),
        false,
      );
    });

    it("a proposal that did not pass cannot be executed by anyone", async () => {
      const gx = await loadGov();
      const id = await proposeAndVote(gx, [
        [gx.alice, Vote.For],
        [gx.carol, Vote.Against],
      ]);
      await increase(VOTING_PERIOD + TIMELOCK_DELAY);
      for (const w of [gx.admin, gx.alice, gx.bob]) {
        await A.revertWithCustomErrorWithArgs(
          gx.governor.write.queue([id], { account: w.account }),
          gx.governor,
          "UnexpectedProposalState",
          [id, S.Defeated],
        );
        await A.revertWithCustomErrorWithArgs(
          gx.governor.write.execute([id], { account: w.account }),
          gx.governor,
          "UnexpectedProposalState",
          [id, S.Defeated],
        );
      }
      assert.equal(await gx.market.read.treasuryBalance([gx.communityId]), FEE);
    });

    it("the market admin cannot make itself treasurer, nor name a second governor", async () => {
      const gx = await loadGov();
      const lock = await gx.market.read.TREASURER_LOCK_ROLE();
      await A.revertWithCustomErrorWithArgs(
        gx.market.write.grantRole([gx.TREASURER_ROLE, gx.admin.account.address], {
          account: gx.admin.account,
        }),
        gx.market,
        "AccessControlUnauthorizedAccount",
        [getAddress(gx.admin.account.address), lock],
      );
      await A.revertWithCustomErrorWithArgs(
        gx.market.write.setTreasuryGovernor([gx.admin.account.address], { account: gx.admin.account }),
        gx.market,
        "TreasuryGovernorAlreadySet",
        [getAddress(gx.governor.address)],
      );
      assert.equal(await gx.market.read.hasRole([gx.TREASURER_ROLE, gx.admin.account.address]), false);
    });
  });
});
