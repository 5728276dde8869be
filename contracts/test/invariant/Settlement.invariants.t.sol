// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "../support/Vm.sol";
import {EnergyMarket} from "../../src/EnergyMarket.sol";
import {DeliverySettlement} from "../../src/delivery/DeliverySettlement.sol";
import {OrderBook} from "../../src/market/OrderBook.sol";
import {Communities} from "../../src/community/Communities.sol";
import {MarketTotals, OrderType, Position, Sale} from "../../src/market/MarketTypes.sol";
import {MockUSDC} from "../../src/mocks/MockUSDC.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MarketHandler} from "./handlers/MarketHandler.sol";
import {SettlementHandler, VmSign} from "./handlers/SettlementHandler.sol";

struct SettlementFuzzSelector {
    address addr;
    bytes4[] selectors;
}

function _params(uint64 bondPerKwh, uint16 feeBps) pure returns (Communities.CommunityParams memory) {
    return
        Communities.CommunityParams({
            slotLength: 900,
            gateLead: 300,
            horizon: 86_400,
            tickSize: 10_000,
            minOrderWh: 100,
            bondPerKwh: bondPerKwh,
            feeBps: feeBps,
            priceFeed: address(0),
            bandBps: 0,
            maxFeedAge: 0
        });
}

/// @notice Stateful fuzzing of delivery settlement: trading, claims, k-of-n reports (or none),
/// seller settlements and buyer refunds in random order, with the accounting checked after every
/// call.
contract SettlementInvariantTest is TestBase {
    uint32 internal constant REPORT_WINDOW = 1_800;

    EnergyMarket internal market;
    MockUSDC internal usdc;
    DeliverySettlement internal settlement;
    MarketHandler internal mh;
    SettlementHandler internal handler;

    function setUp() public {
        vm.warp(1_900_000_000);
        usdc = new MockUSDC();
        market = new EnergyMarket(IERC20(address(usdc)), address(this), address(this));
        market.createCommunity("Settlement Street", _params(50_000, 100));
        // The handler registers its actors' meters as the settlement contract would (test/delivery
        // covers the registrar's certificate).
        market.grantRole(market.SETTLER_ROLE(), address(this));
        uint40 firstSlot = uint40(((block.timestamp + 1500) / 900 + 1) * 900);
        mh = new MarketHandler(market, usdc, firstSlot);
        settlement = new DeliverySettlement(market, address(this), REPORT_WINDOW);
        market.grantRole(market.SETTLER_ROLE(), address(settlement));
        uint256[] memory keys = new uint256[](5);
        address[] memory addrs = new address[](5);
        for (uint256 i; i < 5; ++i) {
            keys[i] = uint256(keccak256(abi.encode("oracle", i)));
            addrs[i] = vm.addr(keys[i]);
        }
        settlement.setOracleSigners(addrs, 3);
        handler = new SettlementHandler(market, settlement, mh, keys, 3);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (SettlementFuzzSelector[] memory targets) {
        bytes4[] memory s = new bytes4[](19);
        s[0] = SettlementHandler.place.selector;
        s[1] = SettlementHandler.place.selector;
        s[2] = SettlementHandler.cross.selector;
        s[3] = SettlementHandler.cancel.selector;
        s[4] = SettlementHandler.cross.selector;
        s[5] = SettlementHandler.warp.selector;
        s[6] = SettlementHandler.warp.selector;
        s[7] = SettlementHandler.warp.selector;
        s[8] = SettlementHandler.claimAll.selector;
        s[9] = SettlementHandler.report.selector;
        s[10] = SettlementHandler.report.selector;
        s[11] = SettlementHandler.settleSeller.selector;
        s[12] = SettlementHandler.settleAll.selector;
        s[13] = SettlementHandler.claimRefund.selector;
        s[14] = SettlementHandler.claimAllRefunds.selector;
        s[15] = SettlementHandler.claimAllRefunds.selector;
        s[16] = SettlementHandler.attestSilence.selector;
        s[17] = SettlementHandler.settleFolded.selector;
        s[18] = SettlementHandler.settleFolded.selector;
        targets = new SettlementFuzzSelector[](1);
        targets[0] = SettlementFuzzSelector(address(handler), s);
    }

    /// @notice Every settlement invariant, asserted after every handler call. One campaign checks
    /// all five (each `invariant_*` function would get its own campaign, five times the run time).
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 96
    function invariant_settlement() public view {
        checkTokenBalanceEqualsAccounting();
        checkSettledMarketConserves();
        checkNoPayBeyondDelivery();
        checkFullRefundWithoutReports();
        checkReputationMatchesReportedSales();
    }

    /// 1. The token balance equals Σ free + Σ locked + Σ escrow + the community treasury.
    function checkTokenBalanceEqualsAccounting() internal view {
        uint256 sum;
        for (uint256 i; i < mh.actorsLength(); ++i) {
            (uint256 free, uint256 locked) = market.balanceOf(mh.actors(i));
            sum += free + locked;
        }
        for (uint256 m; m < 2; ++m) sum += market.escrowOf(mh.marketIds(m));
        sum += market.treasuryBalance(1);
        assertEq(usdc.balanceOf(address(market)), sum, "token balance != accounting");
    }

    /// 2. Per market: what settlement paid out matches what came in; a fully settled market's
    /// escrow is empty.
    function checkSettledMarketConserves() internal view {
        for (uint8 m; m < 2; ++m) {
            uint256 id = mh.marketIds(m);
            MarketTotals memory t = market.marketTotals(id);
            DeliverySettlement.MarketSettlement memory st = settlement.settlementOf(id);
            assertEq(st.refundPool, handler.sumPoolShare(m), "refund pool != sum of pool shares");
            assertEq(st.refunded, handler.sumRefund(m), "refunded != sum of refunds");
            assertTrue(st.refunded <= st.refundPool, "refunded beyond the pool");
            if (handler.poolFinal(m)) {
                // per seller: payout + fee + pool share − slashed == proceeds; Σ proceeds == tradedValue
                assertEq(
                    handler.sumPayout(m) + handler.sumFee(m) + handler.sumPoolShare(m),
                    t.tradedValue + handler.sumSlashed(m),
                    "pool != traded value + slashed"
                );
                assertEq(
                    market.escrowOf(id),
                    st.refundPool - st.refunded - handler.sumSwept(m),
                    "escrow != unclaimed pool"
                );
            } else {
                assertEq(handler.sumRefund(m), 0, "refund before the pool is final");
            }
            if (handler.fullySettled(m)) {
                assertEq(
                    handler.sumPayout(m) + handler.sumFee(m) + handler.sumRefund(m) + handler.sumSwept(m),
                    t.tradedValue + handler.sumSlashed(m),
                    "payouts + fees + refunds + dust != traded value + slashed"
                );
                assertEq(market.escrowOf(id), 0, "escrow left after every buyer claimed");
                assertEq(st.refundedPaid, t.tradedValue, "refundedPaid != tradedValue");
            }
        }
        assertEq(handler.balanceViolations(), 0, "balances moved unlike the events");
        assertEq(handler.reportFailures(), 0, "a valid k-of-n batch was refused");
    }

    /// 3. No seller is paid for more than it delivered, and nothing without a report.
    function checkNoPayBeyondDelivery() internal view {
        for (uint8 m; m < 2; ++m) {
            for (uint256 i; i < mh.actorsLength(); ++i) {
                uint32 meterId = mh.meterOf(mh.actors(i));
                SettlementHandler.Settled memory s = handler.settledOf(m, meterId);
                if (!s.done) continue;
                if (!s.reported) {
                    assertEq(s.payout + s.fee, 0, "paid without a report");
                    assertEq(s.slashed, 0, "slashed without a report");
                    continue;
                }
                uint256 delivered = s.exportedWh < s.soldWh ? s.exportedWh : s.soldWh;
                uint256 cap = (s.proceeds * delivered) / s.soldWh;
                assertTrue(s.payout + s.fee <= cap, "paid beyond delivery");
                uint256 bond = s.soldWh * 50;
                assertEq(s.slashed, bond - (bond * delivered) / s.soldWh, "slash not rounded up");
            }
        }
    }

    /// 4. With no seller reported, every buyer gets back exactly what it paid.
    function checkFullRefundWithoutReports() internal view {
        assertEq(handler.refundViolations(), 0, "refund != paid without reports");
        for (uint8 m; m < 2; ++m) {
            if (handler.anyReported(m)) continue;
            for (uint256 i; i < mh.actorsLength(); ++i) {
                address a = mh.actors(i);
                if (!handler.refunded(m, a)) continue;
                assertEq(handler.refundOf(m, a), handler.paidAtRefund(m, a), "refund != paid");
            }
        }
    }

    /// 5. Reputation sums the settled, reported sales.
    function checkReputationMatchesReportedSales() internal view {
        for (uint256 i; i < mh.actorsLength(); ++i) {
            address a = mh.actors(i);
            (uint256 committed, uint256 delivered, ) = settlement.reputationOf(a);
            assertEq(committed, handler.committedGhost(a), "committed");
            assertEq(delivered, handler.deliveredGhost(a), "delivered");
        }
    }

    /// The handler is not vacuous: a scripted session trades, reports, settles and refunds.
    function test_handlerSmoke() public {
        mh.place(0, 0, false, 20, 1_000, 0); // ask 1000 @20
        mh.place(1, 0, false, 19, 500, 0); // ask 500 @19
        mh.place(2, 0, true, 20, 1_200, 1); // IOC bid: 500 @19 + 700 @20
        mh.place(3, 0, true, 18, 400, 0); // bid rests
        mh.place(1, 0, false, 18, 300, 1); // IOC ask into it
        mh.place(0, 1, false, 22, 800, 0); // market 1: ask
        mh.place(3, 1, true, 22, 600, 1); // market 1: IOC bid 600 @22
        _checkAll();
        handler.warp(1); // gate of market 0
        handler.claimAll(0);
        handler.claimAll(1); // gate of market 1 not yet reached: no-op
        handler.warp(1); // gate of market 1
        handler.claimAll(1);
        handler.warp(1); // slot end 0
        // meters 1 and 2 of market 0, by 3..5 signers; market 1 unreported
        handler.report(0, 3, 7, 0);
        _checkAll();
        assertEq(handler.successes(SettlementHandler.report.selector), 1, "reported");
        for (uint256 i; i < 6; ++i) handler.warp(1);
        handler.settleAll(0);
        handler.settleAll(1 | (5 << 8));
        handler.claimAllRefunds(0);
        handler.claimAllRefunds(1);
        _checkAll();
        assertTrue(handler.fullySettled(0) && handler.fullySettled(1), "settled");
        assertTrue(handler.anyReported(0) && !handler.anyReported(1), "reports");
        assertEq(market.escrowOf(mh.marketIds(0)), 0, "escrow 0");
        assertEq(market.escrowOf(mh.marketIds(1)), 0, "escrow 1");
        assertEq(handler.refundOf(1, mh.actors(3)), 600 * 22 * 10, "full refund");
    }

    /// The folded path: each market settles with one `settleSale` per seller, which claims the
    /// makers and, with the last seller, refunds every buyer (decision 0028).
    function test_handlerSmokeFolded() public {
        mh.place(0, 0, false, 20, 1_000, 0); // ask 1000 @20
        mh.place(1, 0, false, 19, 500, 0); // ask 500 @19
        mh.place(2, 0, true, 20, 1_200, 1); // IOC bid: 500 @19 + 700 @20
        mh.place(0, 1, false, 22, 800, 0); // market 1: ask
        mh.place(3, 1, true, 22, 600, 1); // market 1: IOC bid 600 @22
        handler.warp(1); // gate of market 0
        handler.warp(1); // gate of market 1
        handler.warp(1); // slot end 0
        handler.report(0, 3, 7, 0);
        for (uint256 i; i < 6; ++i) handler.warp(1);
        handler.settleFolded(0, 0); // claims both asks, settles actor 0's meter
        assertTrue(!handler.poolFinal(0), "one seller left");
        handler.settleFolded(0, 1); // the last seller: refunds the buyer too
        handler.settleFolded(1, 0);
        _checkAll();
        assertEq(handler.successes(SettlementHandler.settleFolded.selector), 3, "folded");
        assertTrue(handler.fullySettled(0) && handler.fullySettled(1), "settled");
        assertEq(market.escrowOf(mh.marketIds(0)), 0, "escrow 0");
        assertEq(market.escrowOf(mh.marketIds(1)), 0, "escrow 1");
        assertEq(handler.refundOf(1, mh.actors(3)), 600 * 22 * 10, "full refund");
        handler.settleFolded(0, 0); // settled already: nothing left to settle
        assertEq(handler.successes(SettlementHandler.settleFolded.selector), 3, "once");
    }

    function _checkAll() internal view {
        invariant_settlement();
    }
}

/// @notice Unit-style fuzzing of one market's pooled arithmetic.
contract SettlementPoolFuzzTest is TestBase {
    VmSign internal constant vmSign = VmSign(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint32 internal constant REPORT_WINDOW = 600;
    uint256 internal constant ORACLE_KEY = 0x0A11CE;

    /// @notice Random bond, fee, two sellers at random prices and three buyers, random deliveries
    /// (or no report): refunds never exceed the pool, the dust is below the number of buyers, and
    /// every unit ends up with a seller, a buyer or the treasury.
    /// forge-config: default.fuzz.runs = 64
    function testFuzz_oneMarketRoundsForSolvency(
        uint64 bondSeed,
        uint16 feeSeed,
        uint64[2] memory askWh,
        uint16[2] memory askTick,
        uint64[3] memory bidWh,
        uint64[2] memory exported,
        uint8 reportMask
    ) public {
        vm.warp(1_900_000_000);
        MockUSDC usdc = new MockUSDC();
        EnergyMarket market = new EnergyMarket(IERC20(address(usdc)), address(this), address(this));
        DeliverySettlement settlement = new DeliverySettlement(market, address(this), REPORT_WINDOW);
        market.grantRole(market.SETTLER_ROLE(), address(settlement));
        market.grantRole(market.SETTLER_ROLE(), address(this));
        address[] memory oracle = new address[](1);
        oracle[0] = vm.addr(ORACLE_KEY);
        settlement.setOracleSigners(oracle, 1);
        uint64 bondPerKwh = uint64(bound(bondSeed, 0, 1_000_000)) * 1000;
        market.createCommunity("Pool", _params(bondPerKwh, uint16(bound(feeSeed, 0, 1_000))));
        uint40 slot = uint40(((block.timestamp + 1500) / 900 + 1) * 900);
        uint256 marketId = market.marketIdOf(1, slot);

        address[5] memory who;
        uint32[5] memory meter;
        for (uint256 i; i < 5; ++i) {
            who[i] = address(uint160(0xB0B0 + i));
            usdc.mint(who[i], 1e18);
            vm.startPrank(who[i]);
            market.join(1);
            vm.stopPrank();
            meter[i] = market.registerMeter(who[i], 1, Communities.MeterKind.Prosumer, 10_000, who[i]);
            vm.startPrank(who[i]);
            usdc.approve(address(market), type(uint256).max);
            market.deposit(1e18);
            vm.stopPrank();
        }
        // sellers 0, 1 rest asks; buyers 2..4 take them with IOC bids at the top tick
        uint256[] memory askIds = new uint256[](2);
        for (uint256 i; i < 2; ++i) {
            vm.prank(who[i]);
            askIds[i] = market
                .placeOrder(
                    _order(
                        slot,
                        false,
                        uint16(bound(askTick[i], 1, 5_000)),
                        bound(askWh[i], 100, 1e6),
                        meter[i],
                        0
                    )
                )
                .orderId;
        }
        for (uint256 j; j < 3; ++j) {
            vm.prank(who[2 + j]);
            market.placeOrder(_order(slot, true, 5_000, bound(bidWh[j], 100, 1e6), meter[2 + j], 1));
        }
        vm.warp(slot - 300);
        market.claim(askIds);
        MarketTotals memory t = market.marketTotals(marketId);
        vm.assume(t.tradedWh != 0);

        // reports (a random subset of the sellers), then the deadline
        vm.warp(slot + 900);
        uint256 n = (reportMask & 1) + ((reportMask >> 1) & 1);
        if (n != 0) {
            DeliverySettlement.MeterReport[] memory r = new DeliverySettlement.MeterReport[](n);
            uint256 c;
            for (uint256 i; i < 2; ++i) {
                if ((reportMask >> i) & 1 == 0) continue;
                uint256 sold = market.sale(marketId, meter[i]).soldWh;
                r[c++] = DeliverySettlement.MeterReport(
                    meter[i],
                    slot,
                    0,
                    uint64(bound(exported[i], 0, sold + sold / 4))
                );
            }
            (uint8 v, bytes32 rr, bytes32 ss) = vmSign.sign(ORACLE_KEY, settlement.batchDigest(r));
            bytes[] memory sigs = new bytes[](1);
            sigs[0] = abi.encodePacked(rr, ss, v);
            settlement.submitReports(r, oracle, sigs);
        }
        vm.warp(slot + 900 + REPORT_WINDOW);
        (uint32[] memory sellers, ) = market.marketSellers(marketId, 0, type(uint256).max);
        for (uint256 i; i < sellers.length; ++i) settlement.settleSeller(marketId, sellers[i]);

        uint256 pool = settlement.settlementOf(marketId).refundPool;
        uint256 treasuryBefore = market.treasuryBalance(1);
        uint256 refunds;
        uint256 buyers;
        for (uint256 j; j < 3; ++j) {
            Position memory p = market.position(marketId, who[2 + j]);
            if (p.paid == 0) continue;
            ++buyers;
            uint256 escrowBefore = market.escrowOf(marketId);
            settlement.claimRefund(marketId, who[2 + j]);
            uint256 refund = market.position(marketId, who[2 + j]).refunded;
            assertTrue(refund <= escrowBefore, "refund beyond escrow");
            refunds += refund;
        }
        assertTrue(refunds <= pool, "refunds beyond the pool");
        uint256 dust = pool - refunds;
        assertTrue(dust < buyers, "dust >= number of buyers");
        assertEq(market.treasuryBalance(1) - treasuryBefore, dust, "dust not swept");
        assertEq(market.escrowOf(marketId), 0, "escrow left");
        uint256 sum = market.treasuryBalance(1);
        for (uint256 i; i < 5; ++i) {
            (uint256 free, uint256 locked) = market.balanceOf(who[i]);
            assertEq(locked, 0, "locked left");
            sum += free;
        }
        assertEq(usdc.balanceOf(address(market)), sum, "token balance != accounting");
    }

    /// @notice The pooled formulas at the full width of a sale (48-bit proceeds and energy): each
    /// seller's share never exceeds its proceeds × r, the pool covers every buyer's rounded-down
    /// claim, and the dust stays below the number of buyers.
    function testFuzz_pooledArithmetic(
        uint48[2] memory proceeds,
        uint48[2] memory sold,
        uint64[2] memory exported,
        uint32 bondPerWh,
        uint16 feeSeed,
        uint96[3] memory paidSeed
    ) public pure {
        uint256 feeBps = bound(feeSeed, 0, 1_000);
        uint256 pool;
        uint256 tradedValue;
        for (uint256 i; i < 2; ++i) {
            uint256 s = bound(sold[i], 1, type(uint48).max);
            uint256 p = proceeds[i];
            uint256 d = exported[i] < s ? exported[i] : s;
            uint256 bond = s * bondPerWh;
            uint256 gross = (p * d) / s;
            uint256 fee = (gross * feeBps) / 10_000;
            uint256 slashed = bond - (bond * d) / s;
            assertTrue(fee <= gross && gross <= p, "fee or gross out of range");
            assertTrue((gross - fee) + fee <= (p * d) / s, "seller beyond delivery");
            assertTrue(slashed * s >= bond * (s - d), "slash rounded down");
            pool += p - gross + slashed;
            tradedValue += p;
        }
        vm.assume(tradedValue != 0);
        // split the traded value among three buyers
        uint256[3] memory paid;
        paid[0] = bound(paidSeed[0], 0, tradedValue);
        paid[1] = bound(paidSeed[1], 0, tradedValue - paid[0]);
        paid[2] = tradedValue - paid[0] - paid[1];
        uint256 refunds;
        uint256 buyers;
        for (uint256 j; j < 3; ++j) {
            if (paid[j] == 0) continue;
            ++buyers;
            refunds += _mulDiv(pool, paid[j], tradedValue);
        }
        assertTrue(refunds <= pool, "refunds beyond the pool");
        assertTrue(pool - refunds < buyers, "dust >= number of buyers");
    }

    function _mulDiv(uint256 a, uint256 b, uint256 c) internal pure returns (uint256) {
        return (a * b) / c; // a < 2^82, b < 2^50: fits in 256 bits
    }

    function _order(
        uint40 slot,
        bool isBid,
        uint16 tick,
        uint256 amountWh,
        uint32 meterId,
        uint256 orderType
    ) internal pure returns (OrderBook.OrderParams memory) {
        return
            OrderBook.OrderParams({
                communityId: 1,
                slotStart: slot,
                isBid: isBid,
                tick: tick,
                amountWh: uint64(amountWh),
                meterId: meterId,
                orderType: OrderType(orderType)
            });
    }
}
