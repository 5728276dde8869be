// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title OrderId
/// @notice Market and order identifiers are packed integers, so placing an order writes no counter
/// and an indexer decodes everything from the id itself.
/// @dev marketId = communityId (32 bits) << 40 | slotStart (40 bits, unix seconds).
///      orderId  = marketId << 40 | isBid (8 bits) << 32 | tick (16 bits) << 16 | queue index (16 bits).
library OrderId {
    function marketId(uint32 communityId, uint40 slotStart) internal pure returns (uint256) {
        return (uint256(communityId) << 40) | slotStart;
    }

    function marketOf(uint256 marketId_) internal pure returns (uint32 communityId, uint40 slotStart) {
        return (uint32(marketId_ >> 40), uint40(marketId_));
    }

    function encode(
        uint256 marketId_,
        bool isBid,
        uint16 tick,
        uint256 index
    ) internal pure returns (uint256) {
        return (marketId_ << 40) | (isBid ? 1 << 32 : 0) | (uint256(tick) << 16) | index;
    }

    function decode(
        uint256 orderId
    ) internal pure returns (uint256 marketId_, bool isBid, uint16 tick, uint256 index) {
        return (orderId >> 40, (orderId >> 32) & 0xff == 1, uint16(orderId >> 16), orderId & 0xffff);
    }
}
