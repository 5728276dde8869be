// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AutomationCompatibleInterface} from "@chainlink/contracts/src/v0.8/automation/interfaces/AutomationCompatibleInterface.sol";
import {EnergyMarket} from "../EnergyMarket.sol";
import {DeliverySettlement} from "./DeliverySettlement.sol";

/// @title SettlementKeeper
/// @notice Chainlink Automation-compatible keeper that settles a community's ready markets in
/// batches. `checkData` is `abi.encode(uint32 communityId, uint32 lookbackSlots, uint32 maxSellers)`;
/// the check scans the community's recent slots for a market whose settlement is ready and that
/// still has unsettled seller meters, and returns them as `performData`. `performUpkeep` re-checks
/// nothing it need not: settlement itself is permissionless and idempotent, so a stale or forged
/// `performData` can only settle what was due anyway (already settled meters are skipped).
/// The check is bounded whatever users do: it reads at most MAX_SCAN seller meters per market
/// (a page of `marketSellers`), starting where settlement has got to (the count of settled
/// sellers) and wrapping around, so thousands of tiny sales cannot push it past Automation's
/// check gas limit. Sellers it does not reach are settled by later checks or directly.
contract SettlementKeeper is AutomationCompatibleInterface {
    EnergyMarket public immutable market;
    DeliverySettlement public immutable settlement;

    /// @notice Seller meters one check reads at most, per market.
    uint256 public constant MAX_SCAN = 256;

    event UpkeepPerformed(uint256 indexed marketId, uint256 sellers);

    constructor(DeliverySettlement settlement_) {
        settlement = settlement_;
        market = settlement_.market();
    }

    /// @notice Finds the oldest ready market of a community with unsettled sellers.
    /// @param checkData abi.encode(uint32 communityId, uint32 lookbackSlots, uint32 maxSellers).
    /// @return upkeepNeeded Whether there is work.
    /// @return performData abi.encode(uint256 marketId, uint32[] meterIds) when there is.
    function checkUpkeep(
        bytes calldata checkData
    ) external view override returns (bool upkeepNeeded, bytes memory performData) {
        (uint32 communityId, uint32 lookback, uint32 maxSellers) = abi.decode(
            checkData,
            (uint32, uint32, uint32)
        );
        uint256 slotLength = market.community(communityId).slotLength;
        if (slotLength == 0) return (false, "");
        uint256 current = (block.timestamp / slotLength) * slotLength;
        for (uint256 back = lookback; back > 0; --back) {
            if (back * slotLength > current) continue;
            uint256 marketId = (uint256(communityId) << 40) | (current - back * slotLength);
            (bool ready, ) = settlement.settlementStatus(marketId);
            if (!ready) continue;
            uint32[] memory due = _dueSellers(marketId, maxSellers);
            if (due.length == 0) continue;
            return (true, abi.encode(marketId, due));
        }
        return (false, "");
    }

    /// @dev Up to `maxSellers` unsettled seller meters of a market, reading at most MAX_SCAN of
    /// them: from the number already settled on, then from the start.
    function _dueSellers(uint256 marketId, uint256 maxSellers) private view returns (uint32[] memory due) {
        uint256 from = settlement.settlementOf(marketId).sellers;
        (uint32[] memory page, ) = market.marketSellers(marketId, from, MAX_SCAN);
        if (page.length < MAX_SCAN && from != 0) {
            (uint32[] memory head, ) = market.marketSellers(marketId, 0, MAX_SCAN - page.length);
            uint32[] memory both = new uint32[](page.length + head.length);
            for (uint256 i; i < page.length; ++i) both[i] = page[i];
            for (uint256 i; i < head.length; ++i) both[page.length + i] = head[i];
            page = both;
        }
        due = new uint32[](page.length < maxSellers ? page.length : maxSellers);
        uint256 n;
        for (uint256 i; i < page.length && n < due.length; ++i) {
            if (!settlement.sellerSettled(marketId, page[i])) due[n++] = page[i];
        }
        assembly ("memory-safe") {
            mstore(due, n)
        }
    }

    /// @notice Settles the seller meters found by `checkUpkeep`.
    /// @param performData abi.encode(uint256 marketId, uint32[] meterIds).
    function performUpkeep(bytes calldata performData) external override {
        (uint256 marketId, uint32[] memory meterIds) = abi.decode(performData, (uint256, uint32[]));
        uint256 settled;
        for (uint256 i; i < meterIds.length; ++i) {
            if (settlement.sellerSettled(marketId, meterIds[i])) continue;
            settlement.settleSeller(marketId, meterIds[i]);
            ++settled;
        }
        emit UpkeepPerformed(marketId, settled);
    }
}
