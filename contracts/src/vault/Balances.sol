// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Balances
/// @notice Internal quote-token balances. Users deposit once and trade from their balance; order
/// entry never calls the token. `free` can be withdrawn; `locked` backs resting orders, filled bids
/// awaiting their claim and seller bonds awaiting settlement.
abstract contract Balances is ReentrancyGuard {
    using SafeERC20 for IERC20;

    struct Balance {
        uint128 free;
        uint128 locked;
    }

    /// @notice The quote token (USDC on Polygon).
    IERC20 public immutable quoteToken;

    mapping(address account => Balance) internal _balances;

    event Deposited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, address indexed to, uint256 amount);

    error ZeroAmount();
    error InsufficientBalance(uint256 available, uint256 required);

    constructor(IERC20 token) {
        quoteToken = token;
    }

    /// @notice Deposits `amount` of the quote token to the caller's free balance.
    /// @dev Credits what actually arrived, so a fee-on-transfer token is accounted for exactly.
    /// @param amount Quote base units to pull from the caller (needs an allowance).
    function deposit(uint256 amount) external nonReentrant {
        _deposit(amount);
    }

    /// @notice Deposits with an EIP-2612 permit instead of a prior approval.
    /// @param amount Quote base units to pull from the caller.
    /// @param deadline The permit's deadline.
    /// @param v Permit signature v.
    /// @param r Permit signature r.
    /// @param s Permit signature s.
    function depositWithPermit(
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        // A front-run permit (same signature submitted by someone else) leaves the allowance in place.
        try
            IERC20Permit(address(quoteToken)).permit(msg.sender, address(this), amount, deadline, v, r, s)
        {} catch {}
        _deposit(amount);
    }

    /// @notice Withdraws `amount` of the caller's free balance to `to`.
    /// @param amount Quote base units.
    /// @param to The recipient.
    function withdraw(uint256 amount, address to) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Balance storage b = _balances[msg.sender];
        uint256 free = b.free;
        if (free < amount) revert InsufficientBalance(free, amount);
        unchecked {
            b.free = uint128(free - amount);
        }
        emit Withdrawn(msg.sender, to, amount);
        quoteToken.safeTransfer(to, amount);
    }

    /// @notice An account's free and locked balance.
    function balanceOf(address account) external view returns (uint256 free, uint256 locked) {
        Balance storage b = _balances[account];
        return (b.free, b.locked);
    }

    function _deposit(uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        _beforeDeposit();
        uint256 before = quoteToken.balanceOf(address(this));
        quoteToken.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = quoteToken.balanceOf(address(this)) - before;
        if (received == 0) revert ZeroAmount();
        _balances[msg.sender].free += uint128(received);
        emit Deposited(msg.sender, received);
    }

    /// @dev Hook for pausing deposits.
    function _beforeDeposit() internal view virtual;

    /// @dev Moves `amount` from `account`'s locked balance back to its free balance.
    function _unlock(address account, uint256 amount) internal {
        if (amount == 0) return;
        Balance storage b = _balances[account];
        (uint128 free, uint128 locked) = _read(b);
        _write(b, free + uint128(amount), locked - uint128(amount));
    }

    /// @dev Moves `amount` from free to locked, reverting if free is short.
    function _lock(Balance storage b, uint256 amount) internal {
        (uint128 free, uint128 locked) = _read(b);
        if (free < amount) revert InsufficientBalance(free, amount);
        unchecked {
            free -= uint128(amount);
        }
        _write(b, free, locked + uint128(amount));
    }

    /// @dev A balance's two fields from one read.
    function _read(Balance storage b) internal view returns (uint128 free, uint128 locked) {
        uint256 w;
        assembly ("memory-safe") {
            w := sload(b.slot)
        }
        return (uint128(w), uint128(w >> 128));
    }

    /// @dev Writes a balance's two fields at once (a struct assignment writes each field).
    function _write(Balance storage b, uint128 free, uint128 locked) internal {
        assembly ("memory-safe") {
            sstore(b.slot, or(and(free, 0xffffffffffffffffffffffffffffffff), shl(128, locked)))
        }
    }
}
