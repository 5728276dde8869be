// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Balances} from "./vault/Balances.sol";
import {OrderBook} from "./market/OrderBook.sol";

/// @title EnergyMarket
/// @notice PowerShare's market: communities and meters, internal quote balances, and one order
/// book per community and delivery slot.
/// @dev Pausing (guardian) stops deposits and order entry; withdrawals, cancels and claims stay open
/// so that nobody's funds are ever trapped by a pause.
contract EnergyMarket is AccessControl, Pausable, OrderBook {
    /// @notice May pause and unpause the market.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    uint8 private immutable QUOTE_DECIMALS;

    /// @param token The quote token.
    /// @param admin Holder of the default admin role (grants and revokes roles).
    /// @param guardian Holder of the guardian role.
    constructor(IERC20 token, address admin, address guardian) Balances(token) {
        QUOTE_DECIMALS = IERC20Metadata(address(token)).decimals();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, guardian);
    }

    /// @notice Stops deposits and order entry (guardian).
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @notice Resumes deposits and order entry (guardian).
    function unpause() external onlyRole(GUARDIAN_ROLE) {
        _unpause();
    }

    function _quoteDecimals() internal view override returns (uint8) {
        return QUOTE_DECIMALS;
    }

    function _requireNotPaused() internal view override(OrderBook, Pausable) {
        Pausable._requireNotPaused();
    }

    function _beforeDeposit() internal view override {
        _requireNotPaused();
    }
}
