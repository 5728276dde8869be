// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Balances} from "./vault/Balances.sol";
import {Position} from "./market/MarketTypes.sol";
import {OrderBook} from "./market/OrderBook.sol";

/// @title EnergyMarket
/// @notice PowerShare's market: communities and meters, internal quote balances, and one order
/// book per community and delivery slot.
/// @dev Several calls in one transaction (orders, cancels, claims, deposits) go through
/// `multicall`, which keeps the caller as `msg.sender`.
/// Pausing (guardian) stops deposits, new communities, order entry and treasury payouts; halting
/// (guardian, per community) stops one community's order entry. Withdrawals, cancels, claims and
/// settlement stay open, so that nobody's funds are ever trapped by a pause.
contract EnergyMarket is AccessControl, Pausable, Multicall, OrderBook {
    using SafeERC20 for IERC20;

    /// @notice May pause and unpause the market.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice The delivery-settlement contract: moves a settled market's escrow and registers the
    /// meters its registrars certified.
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");
    /// @notice The treasury governor: spends a community treasury after a passed vote. Its admin
    /// role is held by nobody, so no admin can grant it; `setTreasuryGovernor` grants it once.
    bytes32 public constant TREASURER_ROLE = keccak256("TREASURER_ROLE");
    bytes32 public constant TREASURER_LOCK_ROLE = keccak256("TREASURER_LOCK_ROLE");

    /// @notice The only holder of TREASURER_ROLE, set once.
    address public treasuryGovernor;

    // The sale `takeSale` took out of the market, for `settleSeller` in the same transaction:
    // market id, meter id | seller << 32, bond.
    uint256 private transient _takenMarket;
    uint256 private transient _takenMeterSeller;
    uint256 private transient _takenBond;
    /// @notice Fees accrued to each community's treasury, spendable only by the treasury governor.
    mapping(uint32 communityId => uint256) public treasuryBalance;

    event SellerSettled(
        uint256 indexed marketId,
        uint32 indexed meterId,
        address indexed seller,
        uint256 payout,
        uint256 fee,
        uint256 bondReleased,
        uint256 bondSlashed
    );
    event BuyerRefunded(uint256 indexed marketId, address indexed buyer, uint256 amount);
    event EscrowSwept(uint256 indexed marketId, uint32 indexed communityId, uint256 amount);
    event TreasuryPaid(uint32 indexed communityId, address indexed to, uint256 amount);

    event TreasuryGovernorSet(address indexed governor);
    event BondFactorSet(address indexed seller, uint16 factorBps);
    event CommunityHalted(uint32 indexed communityId, bool halted);

    error UnsupportedQuoteToken(uint8 decimals);
    error OrderEntryHalted(uint32 communityId);
    error TreasuryGovernorAlreadySet(address governor);
    error EscrowShortfall(uint256 marketId, uint256 available, uint256 required);
    error TreasuryShortfall(uint32 communityId, uint256 available, uint256 required);
    error SaleNotTaken(uint256 marketId, uint32 meterId);
    error AlreadyClaimed(uint256 marketId, address buyer);

    uint8 private immutable QUOTE_DECIMALS;

    /// @param token The quote token.
    /// @param admin Holder of the default admin role (grants and revokes roles).
    /// @param guardian Holder of the guardian role.
    constructor(IERC20 token, address admin, address guardian) Balances(token) {
        QUOTE_DECIMALS = IERC20Metadata(address(token)).decimals();
        if (QUOTE_DECIMALS > 6) revert UnsupportedQuoteToken(QUOTE_DECIMALS);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, guardian);
        _setRoleAdmin(TREASURER_ROLE, TREASURER_LOCK_ROLE);
    }

    /// @notice Names the treasury governor, once (admin). Nobody can grant TREASURER_ROLE otherwise,
    /// so from then on only a passed member vote moves treasury funds.
    /// @param governor The governor contract.
    function setTreasuryGovernor(address governor) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasuryGovernor != address(0)) revert TreasuryGovernorAlreadySet(treasuryGovernor);
        treasuryGovernor = governor;
        _grantRole(TREASURER_ROLE, governor);
        emit TreasuryGovernorSet(governor);
    }

    /// @notice Stops deposits, new communities, order entry and treasury payouts everywhere
    /// (guardian). One flag: pausing costs the same however many communities exist.
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @notice Resumes what `pause` stopped (guardian); communities halted one by one stay halted.
    function unpause() external onlyRole(GUARDIAN_ROLE) {
        _unpause();
    }

    /// @notice Halts or resumes order entry in one community (guardian).
    /// @param communityId The community.
    /// @param halted Whether its order entry is halted.
    function setCommunityHalted(uint32 communityId, bool halted) external onlyRole(GUARDIAN_ROLE) {
        Community storage c = _community(communityId);
        c.halted = halted ? c.halted | HALTED_BY_GUARDIAN : c.halted & ~HALTED_BY_GUARDIAN;
        emit CommunityHalted(communityId, halted);
    }

    /// @notice Quote a market's escrow holds: what buyers paid, plus slashed bonds, minus what
    /// settlement paid out. Filled bids still awaiting their maker's claim are not in it yet.
    function escrowOf(uint256 marketId) public view returns (uint256) {
        return uint256(_escrow(marketId, _totals[marketId]));
    }

    /// @dev tradedValue − pendingBidValue − escrowOut: each term below 2^63, no overflow.
    function _escrow(uint256 marketId, uint256 w) private view returns (int256 e) {
        unchecked {
            e =
                int256(uint256(uint48(w >> 128))) -
                int256(pendingBidValue[marketId]) -
                int256(int64(uint64(w >> ESCROW_SHIFT)));
        }
    }

    /// @notice Claims maker orders and takes one seller meter's sale out of a closed market for
    /// settlement (settler), in the transaction that then calls `settleSeller`. The orders are
    /// claimed as `claim` does (`OrderClaimed` each); the settled meter's claims do not add it to
    /// the market's seller list.
    /// @param marketId The market.
    /// @param meterId The seller meter to settle.
    /// @param orderIds Maker orders to claim first (may be empty).
    /// @return saleWord The meter's whole sale as a sale word: seller | soldWh << 160 | proceeds << 208.
    /// @return bond The sale's bond, locked in the seller's balance until `settleSeller`.
    /// @return totals The market's totals word (see `_totals`), after the orders are resolved.
    /// @return misc What the seller itself bought in the market (64 bits; self-trades earn no
    /// reputation) | the community's slot length << 64 | pendingBidValue << 88.
    function takeSale(
        uint256 marketId,
        uint32 meterId,
        uint256[] calldata orderIds
    ) external onlyRole(SETTLER_ROLE) returns (uint256 saleWord, uint256 bond, uint256 totals, uint256 misc) {
        (saleWord, bond, totals, misc) = _takeSale(marketId, meterId, orderIds);
        _takenMarket = marketId;
        _takenMeterSeller = uint256(meterId) | ((saleWord & type(uint160).max) << 32);
        _takenBond = bond;
    }

    /// @notice Settles the seller meter whose sale `takeSale` took in this transaction (settler):
    /// pays the seller for what it delivered, the community's fee to its treasury, and releases the
    /// sale's bond less what is slashed into the market's escrow for the buyers; sets the seller's
    /// bond factor from its delivery record. The slash never exceeds the sale's bond, nor payout
    /// and fee the market's escrow.
    /// @param marketId The market.
    /// @param meterId The seller meter; its sale's bond is released.
    /// @param payout Quote credited to the seller's free balance.
    /// @param fee Quote credited to the community treasury.
    /// @param bondSlashed Part of the bond moved into escrow.
    /// @param factorBps The seller's new bond factor (basis points of a community's bond); zero
    /// leaves it unchanged (no delivery record was added).
    function settleSeller(
        uint256 marketId,
        uint32 meterId,
        uint256 payout,
        uint256 fee,
        uint256 bondSlashed,
        uint16 factorBps
    ) external onlyRole(SETTLER_ROLE) {
        uint256 meterSeller = _takenMeterSeller;
        uint256 bond = _takenBond;
        if (_takenMarket != marketId || uint32(meterSeller) != meterId || bondSlashed > bond)
            revert SaleNotTaken(marketId, meterId);
        _takenMarket = 0; // market ids are never zero (community ids start at 1)
        address seller = address(uint160(meterSeller >> 32));
        _payOut(marketId, payout + fee, bondSlashed);
        Balance storage b = _balances[seller];
        (uint128 free, uint128 locked) = _read(b);
        _write(b, free + uint128(bond - bondSlashed + payout), locked - uint128(bond));
        treasuryBalance[uint32(marketId >> 40)] += fee;
        emit SellerSettled(marketId, meterId, seller, payout, fee, bond - bondSlashed, bondSlashed);
        if (factorBps != 0) {
            bondFactorBps[seller] = factorBps;
            emit BondFactorSet(seller, factorBps);
        }
    }

    /// @notice Refunds a buyer from a market's escrow (settler), once: the buyer's position keeps a
    /// refund flag. With the market's last refund, moves its leftover escrow (rounding dust) to its
    /// community's treasury.
    /// @param marketId The market.
    /// @param buyer The buyer, credited in its free balance.
    /// @param amount Quote refunded.
    /// @param swept Quote swept to the treasury (zero but for the last refund).
    function refundBuyer(
        uint256 marketId,
        address buyer,
        uint256 amount,
        uint256 swept
    ) external onlyRole(SETTLER_ROLE) {
        Position storage pos = _positions[marketId][buyer];
        uint256 p = _load(pos);
        if (p & REFUND_FLAG != 0) revert AlreadyClaimed(marketId, buyer);
        _payOut(marketId, amount + swept, 0);
        // The refund is at most the escrow (< 2^63): it fits below the flag.
        _store(pos, (p & ((1 << 160) - 1)) | REFUND_FLAG | (amount << 160));
        _balances[buyer].free += uint128(amount);
        emit BuyerRefunded(marketId, buyer, amount);
        if (swept != 0) {
            uint32 communityId = uint32(marketId >> 40);
            treasuryBalance[communityId] += swept;
            emit EscrowSwept(marketId, communityId, swept);
        }
    }

    /// @notice Pays quote tokens out of a community treasury (treasurer: the governor, after a vote).
    /// Refused while the market is paused.
    /// @param communityId The community.
    /// @param to The recipient of the tokens.
    /// @param amount Quote base units.
    function payFromTreasury(
        uint32 communityId,
        address to,
        uint256 amount
    ) external onlyRole(TREASURER_ROLE) whenNotPaused nonReentrant {
        uint256 available = treasuryBalance[communityId];
        if (available < amount) revert TreasuryShortfall(communityId, available, amount);
        unchecked {
            treasuryBalance[communityId] = available - amount;
        }
        emit TreasuryPaid(communityId, to, amount);
        quoteToken.safeTransfer(to, amount);
    }

    /// @dev Pays `amount` out of a market's escrow after `slashedIn` came into it (one word: the
    /// totals' escrowOut, checked to stay within int64).
    function _payOut(uint256 marketId, uint256 amount, uint256 slashedIn) private {
        uint256 w = _totals[marketId];
        unchecked {
            // Every term is below 2^63 (the quote token's supply): no overflow, and escrowOut
            // stays within int64.
            int256 available = _escrow(marketId, w) + int256(slashedIn);
            if (available < int256(amount)) {
                revert EscrowShortfall(marketId, uint256(available), amount);
            }
            int256 out = int256(int64(uint64(w >> ESCROW_SHIFT))) + int256(amount) - int256(slashedIn);
            _totals[marketId] = (w & ~ESCROW_MASK) | (uint256(uint64(int64(out))) << ESCROW_SHIFT);
        }
    }

    function _quoteDecimals() internal view override returns (uint8) {
        return QUOTE_DECIMALS;
    }

    function _checkOrderEntry(uint32 communityId, uint8 halted) internal view override {
        _requireNotPaused();
        if (halted != 0) revert OrderEntryHalted(communityId);
    }

    function _checkMeterRegistration() internal view override {
        _checkRole(SETTLER_ROLE);
    }

    function _beforeCreateCommunity() internal view override {
        _requireNotPaused();
    }

    function _beforeDeposit() internal view override {
        _requireNotPaused();
    }
}
