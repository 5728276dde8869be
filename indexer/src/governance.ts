/** TreasuryGovernor: proposals and votes over the community treasuries. */
import { ponder } from "ponder:registry";
import { proposals, votes } from "ponder:schema";

ponder.on("TreasuryGovernor:ProposalCreated", async ({ event, context }) => {
  const a = event.args;
  await context.db.insert(proposals).values({
    id: a.proposalId,
    communityId: a.communityId,
    proposer: a.proposer,
    to: a.to,
    amount: a.amount,
    snapshot: a.snapshot,
    voteStart: a.voteStart,
    voteEnd: a.voteEnd,
    members: Number(a.members),
    quorum: Number(a.quorum),
    description: a.description,
    forVotes: 0,
    againstVotes: 0,
    abstainVotes: 0,
    executed: false,
    canceled: false,
    createdAt: event.block.timestamp,
  });
});

ponder.on("TreasuryGovernor:VoteCast", async ({ event, context }) => {
  const { proposalId, voter, support } = event.args;
  await context.db.insert(votes).values({ proposalId, voter, support, timestamp: event.block.timestamp });
  await context.db.update(proposals, { id: proposalId }).set((p) => ({
    forVotes: p.forVotes + (support === 1 ? 1 : 0),
    againstVotes: p.againstVotes + (support === 0 ? 1 : 0),
    abstainVotes: p.abstainVotes + (support === 2 ? 1 : 0),
  }));
});

ponder.on("TreasuryGovernor:ProposalQueued", async ({ event, context }) => {
  await context.db.update(proposals, { id: event.args.proposalId }).set({ eta: event.args.eta });
});

ponder.on("TreasuryGovernor:ProposalExecuted", async ({ event, context }) => {
  await context.db.update(proposals, { id: event.args.proposalId }).set({ executed: true });
});

ponder.on("TreasuryGovernor:ProposalCanceled", async ({ event, context }) => {
  await context.db.update(proposals, { id: event.args.proposalId }).set({ canceled: true });
});
