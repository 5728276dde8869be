// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "../support/Vm.sol";
import {EnergyMarket} from "../../src/EnergyMarket.sol";
import {Communities} from "../../src/community/Communities.sol";
import {MarketTotals} from "../../src/market/MarketTypes.sol";
import {MockUSDC} from "../../src/mocks/MockUSDC.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MarketHandler} from "./handlers/MarketHandler.sol";

struct FuzzSelector {
    address addr;
    bytes4[] selectors;
}

/// @notice Stateful fuzzing of EnergyMarket's books and balances through MarketHandler.
contract EnergyMarketInvariantTest is TestBase {
    EnergyMarket internal market;
    MockUSDC internal usdc;
    MarketHandler internal handler;

    function setUp() public {
        vm.warp(1_900_000_000);
        usdc = new MockUSDC();
        market = new EnergyMarket(IERC20(address(usdc)), address(this), address(this));
        market.grantRole(market.SETTLER_ROLE(), address(this)); // registers the handler's meters
        market.createCommunity(
            "Invariant Street",
            Communities.CommunityParams({
                slotLength: 900,
                gateLead: 300,
                horizon: 86_400,
                tickSize: 10_000,
                minOrderWh: 100,
                bondPerKwh: 50_000,
                feeBps: 100,
                priceFeed: address(0),
                bandBps: 0,
                maxFeedAge: 0
            })
        );
        // first market's gate 20–35 minutes ahead (a few warps reach it), the second's a slot later
        uint40 firstSlot = uint40(((block.timestamp + 1500) / 900 + 1) * 900);
        handler = new MarketHandler(market, usdc, firstSlot);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory s = new bytes4[](9);
        s[0] = MarketHandler.deposit.selector;
        s[1] = MarketHandler.withdraw.selector;
        s[2] = MarketHandler.place.selector;
        s[3] = MarketHandler.place.selector;
        s[4] = MarketHandler.cancel.selector;
        s[5] = MarketHandler.cancelMany.selector;
        s[6] = MarketHandler.warp.selector;
        s[7] = MarketHandler.claim.selector;
        s[8] = MarketHandler.claimAll.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), s);
    }

    /// (a) The token balance equals Σ free + Σ locked + Σ markets (tradedValue − pendingBidValue).
    function invariant_tokenBalanceEqualsInternalAccounting() public view {
        uint256 sum;
        for (uint256 i; i < handler.actorsLength(); ++i) {
            (uint256 free, uint256 locked) = market.balanceOf(handler.actors(i));
            sum += free + locked;
        }
        for (uint256 m; m < 2; ++m) {
            uint256 id = handler.marketIds(m);
            sum += market.marketTotals(id).tradedValue - market.pendingBidValue(id);
        }
        assertEq(usdc.balanceOf(address(market)), sum, "token balance != accounting");
    }

    /// (b) No fill beyond a taker's limit; every Trade's value is amount × its tick × unit.
    function invariant_noFillBeyondLimit() public view {
        assertEq(handler.limitViolations(), 0, "fill beyond limit");
        assertEq(handler.valueViolations(), 0, "trade value mismatch");
    }

    /// (c) Price-time priority.
    function invariant_priceTimePriority() public view {
        assertEq(handler.priorityViolations(), 0, "priority violated");
    }

    /// (d) A cancelled order never fills further.
    function invariant_cancelledOrdersNeverFill() public view {
        assertEq(handler.cancelFillViolations(), 0, "cancelled order filled");
        for (uint256 i; i < handler.ordersLength(); ++i) {
            MarketHandler.Tracked memory o = handler.orderAt(i);
            if (!o.cancelled || o.claimed) continue;
            (, , , , uint64 filled) = market.order(o.id);
            assertEq(filled, o.filledAtCancel, "cancelled order filled");
        }
    }

    /// (e) The book never stays crossed.
    function invariant_bestBidBelowBestAsk() public view {
        for (uint256 m; m < 2; ++m) {
            (bool hasBid, uint16 bid, bool hasAsk, uint16 ask) = market.bestPrices(handler.marketIds(m));
            if (hasBid && hasAsk) assertTrue(bid < ask, "crossed book");
        }
    }

    /// (f) Both sides' fills add up to tradedWh; claims resolve everything.
    function invariant_fillsBalanceAcrossSides() public view {
        for (uint8 m; m < 2; ++m) {
            uint256 id = handler.marketIds(m);
            MarketTotals memory t = market.marketTotals(id);
            assertEq(handler.sideFilled(m, true), t.tradedWh, "bid fills != tradedWh");
            assertEq(handler.sideFilled(m, false), t.tradedWh, "ask fills != tradedWh");
            assertEq(market.pendingBidValue(id), handler.pendingBidMakers(m), "pendingBidValue");
            (uint256 resolved, bool allAsks, bool allBids) = handler.resolvedAsks(m);
            assertEq(t.resolvedAskWh, resolved, "resolvedAskWh");
            if (allAsks) assertEq(t.resolvedAskWh, t.tradedWh, "asks claimed but unresolved");
            if (allBids) assertEq(market.pendingBidValue(id), 0, "bids claimed but pending");
        }
    }

    /// Each actor's locked balance is exactly what its orders and sales hold.
    function invariant_lockedMatchesOrders() public view {
        for (uint256 i; i < handler.actorsLength(); ++i) {
            address a = handler.actors(i);
            (, uint256 locked) = market.balanceOf(a);
            assertEq(locked, handler.expectedLocked(a), "locked != orders");
        }
    }

    /// The handler is not vacuous: a scripted session trades, cancels, claims and keeps every
    /// invariant.
    function test_handlerSmoke() public {
        // actors 0..3; market 0
        handler.place(0, 0, false, 20, 1_000, 0); // ask 1000 @20 (limit)
        handler.place(1, 0, false, 19, 500, 0); // ask 500 @19
        handler.place(2, 0, true, 17, 800, 3); // bid 800 @17 post-only
        handler.place(3, 0, true, 20, 1_200, 0); // bid crosses 500 @19 + 700 @20
        handler.place(1, 0, false, 15, 300, 1); // IOC ask: 300 into the bid @17
        handler.place(2, 0, true, 25, 5_000, 2); // FOK too big: refused
        handler.cancel(1, 0); // actor 0 cancels its ask (300 left)
        handler.place(0, 1, true, 18, 400, 0); // market 1
        _checkAll();
        assertEq(market.marketTotals(handler.marketIds(0)).tradedWh, 1_500, "traded");
        assertTrue(handler.successes(MarketHandler.place.selector) >= 6, "placed");
        assertEq(handler.successes(MarketHandler.cancel.selector), 1, "cancelled");
        for (uint256 i; i < 8; ++i) handler.warp(900 << 8); // even seed: +900 s
        handler.claimAll(0);
        _checkAll();
        (uint256 resolved, bool allAsks, bool allBids) = handler.resolvedAsks(0);
        assertTrue(allAsks && allBids, "all claimed");
        assertEq(resolved, 1_500, "resolved");
        assertEq(market.pendingBidValue(handler.marketIds(0)), 0, "pending");
    }

    function _checkAll() internal view {
        invariant_tokenBalanceEqualsInternalAccounting();
        invariant_noFillBeyondLimit();
        invariant_priceTimePriority();
        invariant_cancelledOrdersNeverFill();
        invariant_bestBidBelowBestAsk();
        invariant_fillsBalanceAcrossSides();
        invariant_lockedMatchesOrders();
    }
}
