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
contract SettlementKeeper is AutomationCompatibleInterface {
    EnergyMarket public immutable market;
    DeliverySettlement public immutable settlement;

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
            uint32[] memory sellers = market.marketSellers(marketId);
            uint32[] memory due = new uint32[](sellers.length < maxSellers ? sellers.length : maxSellers);
            uint256 n;
            for (uint256 i; i < sellers.length && n < due.length; ++i) {
                if (!settlement.sellerSettled(marketId, sellers[i])) due[n++] = sellers[i];
            }
            if (n == 0) continue;
            assembly ("memory-safe") {
                mstore(due, n)
            }
            return (true, abi.encode(marketId, due));
        }
        return (false, "");
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
