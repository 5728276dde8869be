/** TreasuryGovernor: proposals and votes over the community treasuries. */
import {
  EIP712DomainChanged,
  ProposalCanceled,
  ProposalCreated,
  ProposalExecuted,
  ProposalQueued,
  VoteCast,
} from "../../generated/TreasuryGovernor/TreasuryGovernor";
import { Proposal, Vote } from "../../generated/schema";
import { adminEvent } from "../lib/admin";
import { pairId } from "../lib/ids";

export function handleProposalCreated(event: ProposalCreated): void {
  const a = event.params;
  const p = new Proposal(a.proposalId.toString());
  p.community = a.communityId.toString();
  p.communityId = a.communityId.toI32();
  p.proposer = a.proposer;
  p.to = a.to;
  p.amount = a.amount;
  p.snapshot = a.snapshot;
  p.voteStart = a.voteStart;
  p.voteEnd = a.voteEnd;
  p.members = a.members.toI32();
  p.quorum = a.quorum.toI32();
  p.description = a.description;
  p.forVotes = 0;
  p.againstVotes = 0;
  p.abstainVotes = 0;
  p.executed = false;
  p.canceled = false;
  p.createdAt = event.block.timestamp;
  p.save();
}

export function handleVoteCast(event: VoteCast): void {
  const proposalId = event.params.proposalId;
  const support = event.params.support;
  const v = new Vote(pairId(proposalId.toString(), event.params.voter.toHexString()));
  v.proposal = proposalId.toString();
  v.proposalId = proposalId;
  v.voter = event.params.voter;
  v.support = support;
  v.timestamp = event.block.timestamp;
  v.save();
  const p = Proposal.load(proposalId.toString());
  if (p == null) return;
  if (support == 1) p.forVotes = p.forVotes + 1;
  if (support == 0) p.againstVotes = p.againstVotes + 1;
  if (support == 2) p.abstainVotes = p.abstainVotes + 1;
  p.save();
}

export function handleProposalQueued(event: ProposalQueued): void {
  const p = Proposal.load(event.params.proposalId.toString());
  if (p == null) return;
  p.eta = event.params.eta;
  p.save();
}

export function handleProposalExecuted(event: ProposalExecuted): void {
  const p = Proposal.load(event.params.proposalId.toString());
  if (p == null) return;
  p.executed = true;
  p.save();
}

export function handleProposalCanceled(event: ProposalCanceled): void {
  const p = Proposal.load(event.params.proposalId.toString());
  if (p == null) return;
  p.canceled = true;
  p.save();
}

export function handleEIP712DomainChanged(event: EIP712DomainChanged): void {
  adminEvent(event, "EIP712DomainChanged").save();
}
