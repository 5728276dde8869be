// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Communities} from "../community/Communities.sol";

/// @title IEnergyMarketTreasury
/// @notice The part of EnergyMarket the treasury governor reads and calls: membership, member
/// counts, treasury balances and the treasurer-only payout.
interface IEnergyMarketTreasury {
    /// @notice The block at which `account` joined `communityId`; zero for non-members.
    function memberSince(uint32 communityId, address account) external view returns (uint256);

    /// @notice The block at which the community's admin admitted `account`; zero if never.
    function admittedSince(uint32 communityId, address account) external view returns (uint256);

    /// @notice A community as stored; `admitted` is its count of admitted members.
    function community(uint32 communityId) external view returns (Communities.Community memory);

    /// @notice Fees accrued to a community's treasury.
    function treasuryBalance(uint32 communityId) external view returns (uint256);

    /// @notice Pays `amount` quote tokens from a community's treasury to `to` (treasurer only).
    function payFromTreasury(uint32 communityId, address to, uint256 amount) external;
}
