// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IEnergyMarketTreasury} from "./IEnergyMarketTreasury.sol";

/// @title TreasuryGovernor
/// @notice Member governance of the community treasuries of one EnergyMarket. A single governor
/// serves every community: it is the market's only treasurer, and each proposal spends from the
/// treasury of the community it was made in, after that community's members voted for it.
/// Lifecycle (OpenZeppelin's IGovernor states): a member proposes a payment (Pending), members vote
/// For / Against / Abstain during the voting period (Active), the proposal is Defeated or Succeeded,
/// anyone queues a Succeeded proposal behind the timelock (Queued), and anyone executes it between
/// its eta and eta + grace period (Executed; Expired after). The proposer may cancel it before
/// execution (Canceled).
/// @dev One admitted member, one vote. The electorate of a proposal is the community's members
/// whom its admin admitted (`admittedSince`, the creator included) before the proposal's block;
/// members who joined by themselves trade but do not vote, so votes cannot be multiplied by
/// joining with many accounts (decision 0021). Admissions are never revoked, so
/// `admittedSince < snapshot` needs no checkpoints. The quorum is fixed at proposal time from the
/// community's count of admitted members. A paused market refuses payouts (`execute` reverts and
/// the proposal stays queued until its grace period ends).
/// The governor has no owner and no admin function: every parameter is an immutable set at
/// construction. Changing a parameter means deploying a new governor and moving the market's
/// TREASURER_ROLE to it, which is the market admin's decision, not this contract's.
contract TreasuryGovernor is EIP712, ReentrancyGuard {
    /// @notice A proposal's state; same order as OpenZeppelin's IGovernor.ProposalState.
    enum ProposalState {
        Pending,
        Active,
        Canceled,
        Defeated,
        Succeeded,
        Queued,
        Expired,
        Executed
    }

    /// @notice Vote values; same order as OpenZeppelin's GovernorCountingSimple.
    enum VoteType {
        Against,
        For,
        Abstain
    }

    /// @notice A proposal as stored (three words). Voting is open from `voteStart` to
    /// `voteStart + VOTING_PERIOD`, both included.
    struct Proposal {
        address proposer;
        uint32 communityId;
        uint48 snapshot; // block of the proposal: members who joined before it vote
        bool executed;
        bool canceled;
        address to;
        uint96 amount; // quote base units
        uint48 voteStart; // unix seconds
        uint48 eta; // unix seconds; zero until queued
        uint32 quorum; // For + Abstain votes needed
        uint32 forVotes;
        uint32 againstVotes;
        uint32 abstainVotes;
    }

    /// @notice The EIP-712 type of a vote cast by signature.
    bytes32 public constant BALLOT_TYPEHASH = keccak256(
        "Ballot(uint256 proposalId,uint8 support,address voter)"
    );

    /// @notice The market whose community treasuries this governor spends.
    IEnergyMarketTreasury public immutable MARKET;
    /// @notice Seconds between a proposal and the opening of its vote.
    uint256 public immutable VOTING_DELAY;
    /// @notice Seconds a vote stays open.
    uint256 public immutable VOTING_PERIOD;
    /// @notice Quorum, in basis points of the community's member count at proposal time.
    uint256 public immutable QUORUM_BPS;
    /// @notice Seconds between queueing a passed proposal and its earliest execution.
    uint256 public immutable TIMELOCK_DELAY;
    /// @notice Seconds after its eta during which a queued proposal can be executed.
    uint256 public immutable GRACE_PERIOD;

    /// @notice Number of proposals made; ids run from 1.
    uint256 public proposalCount;

    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(address account => bool)) private _hasVoted;

    /// @notice A member proposed to pay `amount` from `communityId`'s treasury to `to`.
    /// @param snapshot The proposal's block; members admitted before it may vote.
    /// @param members The community's count of admitted members at proposal time.
    /// @param quorum For + Abstain votes needed, from `members` and QUORUM_BPS.
    event ProposalCreated(
        uint256 indexed proposalId,
        uint32 indexed communityId,
        address indexed proposer,
        address to,
        uint256 amount,
        uint256 snapshot,
        uint256 voteStart,
        uint256 voteEnd,
        uint256 members,
        uint256 quorum,
        string description
    );
    /// @notice `voter` voted `support` (0 Against, 1 For, 2 Abstain) on a proposal.
    event VoteCast(uint256 indexed proposalId, address indexed voter, uint8 support);
    /// @notice A passed proposal was queued; it can be executed from `eta` until `eta + GRACE_PERIOD`.
    event ProposalQueued(uint256 indexed proposalId, uint256 eta);
    /// @notice A proposal was executed: `amount` left `communityId`'s treasury for `to`.
    event ProposalExecuted(
        uint256 indexed proposalId,
        uint32 indexed communityId,
        address to,
        uint256 amount
    );
    /// @notice A proposal was cancelled by its proposer.
    event ProposalCanceled(uint256 indexed proposalId);

    error InvalidParameter(string name);
    error InvalidRecipient();
    error ZeroAmount();
    error NotAdmittedMember(uint32 communityId, address account);
    error JoinedAfterSnapshot(uint32 communityId, address account, uint256 memberSince, uint256 snapshot);
    error UnknownProposal(uint256 proposalId);
    error UnexpectedProposalState(uint256 proposalId, ProposalState current);
    error InvalidVoteType(uint8 support);
    error AlreadyVoted(uint256 proposalId, address voter);
    error InvalidSignature(address voter);
    error TimelockNotElapsed(uint256 proposalId, uint256 eta);
    error NotProposer(uint256 proposalId, address account);

    /// @param market The EnergyMarket; it must grant this governor TREASURER_ROLE.
    /// @param votingDelay Seconds from proposal to the opening of the vote (may be zero: the
    /// electorate is fixed at the proposal's block anyway).
    /// @param votingPeriod Seconds the vote stays open (non-zero).
    /// @param quorumBps Quorum in basis points of the member count (1..10,000).
    /// @param timelockDelay Seconds from queueing to the earliest execution (non-zero).
    /// @param gracePeriod Seconds after the eta during which execution is possible (non-zero).
    constructor(
        IEnergyMarketTreasury market,
        uint256 votingDelay,
        uint256 votingPeriod,
        uint256 quorumBps,
        uint256 timelockDelay,
        uint256 gracePeriod
    ) EIP712("PowerShare Treasury Governor", "1") {
        if (address(market).code.length == 0) revert InvalidParameter("market");
        if (votingDelay > 365 days) revert InvalidParameter("votingDelay");
        if (votingPeriod == 0 || votingPeriod > 365 days) revert InvalidParameter("votingPeriod");
        if (quorumBps == 0 || quorumBps > 10_000) revert InvalidParameter("quorumBps");
        if (timelockDelay == 0 || timelockDelay > 365 days) revert InvalidParameter("timelockDelay");
        if (gracePeriod == 0 || gracePeriod > 365 days) revert InvalidParameter("gracePeriod");
        MARKET = market;
        VOTING_DELAY = votingDelay;
        VOTING_PERIOD = votingPeriod;
        QUORUM_BPS = quorumBps;
        TIMELOCK_DELAY = timelockDelay;
        GRACE_PERIOD = gracePeriod;
    }

    // ------------------------------------------------------------------ actions

    /// @notice Proposes to pay `amount` quote tokens from `communityId`'s treasury to `to`. The
    /// caller must be a member who joined before the current block. The treasury need not hold
    /// `amount` yet; execution reverts if it still does not. `amount` must fit in 96 bits.
    /// @param communityId The community whose treasury pays.
    /// @param to The recipient.
    /// @param amount Quote base units.
    /// @param description What the payment is for; emitted only.
    /// @return proposalId The new proposal's id.
    function propose(
        uint32 communityId,
        address to,
        uint256 amount,
        string calldata description
    ) external returns (uint256 proposalId) {
        if (to == address(0)) revert InvalidRecipient();
        if (amount == 0) revert ZeroAmount();
        _checkEligible(communityId, msg.sender, block.number);
        uint256 members = MARKET.community(communityId).admitted;
        uint256 quorum = (members * QUORUM_BPS + 9_999) / 10_000;
        uint48 voteStart = SafeCast.toUint48(block.timestamp + VOTING_DELAY);
        proposalId = ++proposalCount;
        Proposal storage p = _proposals[proposalId];
        (p.proposer, p.communityId, p.snapshot) = (msg.sender, communityId, SafeCast.toUint48(block.number));
        (p.to, p.amount) = (to, SafeCast.toUint96(amount));
        (p.voteStart, p.quorum) = (voteStart, uint32(quorum));
        emit ProposalCreated(
            proposalId,
            communityId,
            msg.sender,
            to,
            amount,
            block.number,
            voteStart,
            voteStart + VOTING_PERIOD,
            members,
            quorum,
            description
        );
    }

    /// @notice Casts the caller's vote on an active proposal.
    /// @param proposalId The proposal.
    /// @param support 0 Against, 1 For, 2 Abstain.
    function castVote(uint256 proposalId, uint8 support) external {
        _castVote(proposalId, msg.sender, support);
    }

    /// @notice Casts `voter`'s vote from an EIP-712 `Ballot` signature (an EOA's ECDSA signature or
    /// an ERC-1271 contract wallet's). Anyone may relay it; each member votes once per proposal, so
    /// a ballot cannot be replayed.
    /// @param proposalId The proposal.
    /// @param support 0 Against, 1 For, 2 Abstain.
    /// @param voter The member whose vote it is.
    /// @param signature The voter's signature of Ballot(proposalId, support, voter).
    function castVoteBySig(
        uint256 proposalId,
        uint8 support,
        address voter,
        bytes calldata signature
    ) external {
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(BALLOT_TYPEHASH, proposalId, support, voter)));
        if (!SignatureChecker.isValidSignatureNow(voter, digest, signature)) revert InvalidSignature(voter);
        _castVote(proposalId, voter, support);
    }

    /// @notice Queues a succeeded proposal behind the timelock (anyone).
    /// @param proposalId The proposal.
    /// @return eta The earliest execution time.
    function queue(uint256 proposalId) external returns (uint256 eta) {
        _requireState(proposalId, ProposalState.Succeeded);
        eta = block.timestamp + TIMELOCK_DELAY;
        _proposals[proposalId].eta = SafeCast.toUint48(eta);
        emit ProposalQueued(proposalId, eta);
    }

    /// @notice Executes a queued proposal once its timelock has elapsed and before its grace period
    /// ends (anyone): pays the amount from the community's treasury to the recipient. Reverts, and
    /// stays queued, if the treasury holds less than the amount.
    /// @param proposalId The proposal.
    function execute(uint256 proposalId) external nonReentrant {
        Proposal storage p = _requireState(proposalId, ProposalState.Queued);
        if (block.timestamp < p.eta) revert TimelockNotElapsed(proposalId, p.eta);
        p.executed = true;
        (uint32 communityId, address to, uint256 amount) = (p.communityId, p.to, p.amount);
        emit ProposalExecuted(proposalId, communityId, to, amount);
        MARKET.payFromTreasury(communityId, to, amount);
    }

    /// @notice Cancels a proposal that is pending, active, succeeded or queued (its proposer only).
    /// @param proposalId The proposal.
    function cancel(uint256 proposalId) external {
        Proposal storage p = _proposal(proposalId);
        if (p.proposer != msg.sender) revert NotProposer(proposalId, msg.sender);
        ProposalState s = _state(p);
        if (
            s != ProposalState.Pending &&
            s != ProposalState.Active &&
            s != ProposalState.Succeeded &&
            s != ProposalState.Queued
        ) revert UnexpectedProposalState(proposalId, s);
        p.canceled = true;
        emit ProposalCanceled(proposalId);
    }

    // ------------------------------------------------------------------ views

    /// @notice A proposal's current state.
    /// @param proposalId The proposal.
    function state(uint256 proposalId) external view returns (ProposalState) {
        return _state(_proposal(proposalId));
    }

    /// @notice A proposal as stored: proposer, community, snapshot block, flags, recipient, amount,
    /// vote start, eta, quorum and vote counts. The vote ends at `voteStart + VOTING_PERIOD`.
    /// @param proposalId The proposal.
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposal(proposalId);
    }

    /// @notice Whether `account` has voted on a proposal.
    /// @param proposalId The proposal.
    /// @param account The account.
    function hasVoted(uint256 proposalId, address account) external view returns (bool) {
        return _hasVoted[proposalId][account];
    }

    /// @notice Whether `account` may vote on a proposal: a member admitted before its snapshot
    /// who has not voted yet (the proposal must also be Active).
    /// @param proposalId The proposal.
    /// @param account The account.
    function canVote(uint256 proposalId, address account) external view returns (bool) {
        Proposal storage p = _proposal(proposalId);
        uint256 since = MARKET.admittedSince(p.communityId, account);
        return since != 0 && since < p.snapshot && !_hasVoted[proposalId][account];
    }

    // ------------------------------------------------------------------ internals

    function _castVote(uint256 proposalId, address voter, uint8 support) private {
        Proposal storage p = _requireState(proposalId, ProposalState.Active);
        _checkEligible(p.communityId, voter, p.snapshot);
        if (_hasVoted[proposalId][voter]) revert AlreadyVoted(proposalId, voter);
        _hasVoted[proposalId][voter] = true;
        if (support == uint8(VoteType.For)) ++p.forVotes;
        else if (support == uint8(VoteType.Against)) ++p.againstVotes;
        else if (support == uint8(VoteType.Abstain)) ++p.abstainVotes;
        else revert InvalidVoteType(support);
        emit VoteCast(proposalId, voter, support);
    }

    /// @dev Reverts unless `account` is a member of `communityId` admitted before block `snapshot`.
    function _checkEligible(uint32 communityId, address account, uint256 snapshot) private view {
        uint256 since = MARKET.admittedSince(communityId, account);
        if (since == 0) revert NotAdmittedMember(communityId, account);
        if (since >= snapshot) revert JoinedAfterSnapshot(communityId, account, since, snapshot);
    }

    function _requireState(
        uint256 proposalId,
        ProposalState expected
    ) private view returns (Proposal storage p) {
        p = _proposal(proposalId);
        ProposalState s = _state(p);
        if (s != expected) revert UnexpectedProposalState(proposalId, s);
    }

    function _proposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.proposer == address(0)) revert UnknownProposal(proposalId);
    }

    function _state(Proposal storage p) private view returns (ProposalState) {
        if (p.executed) return ProposalState.Executed;
        if (p.canceled) return ProposalState.Canceled;
        if (block.timestamp < p.voteStart) return ProposalState.Pending;
        if (block.timestamp <= p.voteStart + VOTING_PERIOD) return ProposalState.Active;
        if (p.forVotes <= p.againstVotes || uint256(p.forVotes) + p.abstainVotes < p.quorum) {
            return ProposalState.Defeated;
        }
        uint256 eta = p.eta;
        if (eta == 0) return ProposalState.Succeeded;
        if (block.timestamp >= eta + GRACE_PERIOD) return ProposalState.Expired;
        return ProposalState.Queued;
    }
}
