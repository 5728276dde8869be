// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase, Vm} from "../../support/Vm.sol";
import {EnergyMarket} from "../../../src/EnergyMarket.sol";
import {OrderBook} from "../../../src/market/OrderBook.sol";
import {Communities} from "../../../src/community/Communities.sol";
import {MarketTotals, OrderType} from "../../../src/market/MarketTypes.sol";
import {MockUSDC} from "../../../src/mocks/MockUSDC.sol";

/// @notice Drives several actors through random deposits, withdrawals, orders of every type on
/// both sides of two markets, cancels, time warps past the gates and claims, and keeps ghost
/// accounting that the invariant test compares with the contract.
contract MarketHandler is TestBase {
    uint32 internal constant COMMUNITY = 1;
    uint32 internal constant SLOT = 900;
    uint32 internal constant GATE_LEAD = 300;
    uint32 internal constant HORIZON = 86_400;
    uint64 internal constant TICK_SIZE = 10_000;
    uint256 internal constant UNIT = TICK_SIZE / 1000;
    uint64 internal constant MIN_WH = 100;
    uint64 internal constant BOND_PER_KWH = 50_000;
    uint256 internal constant BOND_PER_WH = BOND_PER_KWH / 1000;
    uint256 internal constant MAX_TRACKED = 96;
    bytes32 internal constant TRADE_SIG = keccak256(
        "Trade(uint256,address,bool,uint32,uint16,uint64,uint128,uint64)"
    );

    struct Tracked {
        uint256 id;
        address owner;
        uint8 m; // market index
        bool isBid;
        uint16 tick;
        uint16 index;
        bool cancelled;
        bool claimed;
        uint64 filledAtCancel;
        uint64 claimedFilled;
    }

    EnergyMarket public immutable market;
    MockUSDC public immutable usdc;
    address[] public actors;
    mapping(address => uint32) public meterOf;
    uint40[2] public slots;
    uint256[2] public marketIds;

    Tracked[] internal _orders;
    // ghost accounting
    uint256 public limitViolations;
    uint256 public priorityViolations;
    uint256 public cancelFillViolations;
    uint256 public valueViolations;
    uint256[2] public takerBidFilled;
    uint256[2] public takerAskFilled;
    mapping(address => uint256) public takerAskSold; // bonds held for taker asks
    mapping(address => uint256) public claimedAskSold; // bonds held for claimed maker asks
    mapping(bytes4 => uint256) public calls;
    mapping(bytes4 => uint256) public successes;

    constructor(EnergyMarket market_, MockUSDC usdc_, uint40 firstSlot) {
        market = market_;
        usdc = usdc_;
        slots[0] = firstSlot;
        slots[1] = firstSlot + SLOT;
        marketIds[0] = market.marketIdOf(COMMUNITY, slots[0]);
        marketIds[1] = market.marketIdOf(COMMUNITY, slots[1]);
        for (uint256 i; i < 4; ++i) {
            address a = address(uint160(0xA11CE0 + i));
            actors.push(a);
            usdc.mint(a, 1e15);
            vm.startPrank(a);
            if (!market.isMember(COMMUNITY, a)) market.join(COMMUNITY);
            vm.stopPrank();
            // The deployer holds the settlement contract's role and registers the meter for `a`.
            vm.prank(msg.sender);
            meterOf[a] = market.registerMeter(a, COMMUNITY, Communities.MeterKind.Prosumer, 10_000, a);
            vm.startPrank(a);
            usdc.approve(address(market), type(uint256).max);
            market.deposit(5e9);
            vm.stopPrank();
        }
    }

    // ------------------------------------------------------------------ actions

    function deposit(uint256 actorSeed, uint256 amount) external {
        calls[msg.sig]++;
        address a = _actor(actorSeed);
        amount = bound(amount, 1, 1e10);
        vm.prank(a);
        market.deposit(amount);
        successes[msg.sig]++;
    }

    function withdraw(uint256 actorSeed, uint256 amount) external {
        calls[msg.sig]++;
        address a = _actor(actorSeed);
        (uint256 free, ) = market.balanceOf(a);
        if (free == 0) return;
        amount = bound(amount, 1, free);
        vm.prank(a);
        market.withdraw(amount, a);
        successes[msg.sig]++;
    }

    function place(
        uint256 actorSeed,
        uint256 marketSeed,
        bool isBid,
        uint256 tickSeed,
        uint256 amountSeed,
        uint256 typeSeed
    ) external {
        calls[msg.sig]++;
        address a = _actor(actorSeed);
        uint8 m = uint8(marketSeed % 2);
        uint256 marketId = marketIds[m];
        if (block.timestamp + GATE_LEAD >= slots[m]) return; // closed: refused, nothing to learn
        uint16 tick = uint16(bound(tickSeed, 15, 25));
        uint64 amount = uint64(bound(amountSeed, MIN_WH, 3_000));
        OrderType t = OrderType(typeSeed % 4);
        if (_orders.length >= MAX_TRACKED) t = OrderType.ImmediateOrCancel;

        OrderBook.OrderParams memory p = OrderBook.OrderParams({
            communityId: COMMUNITY,
            slotStart: slots[m],
            isBid: isBid,
            tick: tick,
            amountWh: amount,
            meterId: meterOf[a],
            orderType: t
        });

        // fills of the opposite side before the call, for the priority check
        uint256 n = _orders.length;
        uint256[] memory before = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            Tracked storage o = _orders[i];
            if (o.m == m && o.isBid != isBid && !o.claimed) (, , , , before[i]) = _view(o.id);
        }

        vm.recordLogs();
        vm.prank(a);
        try market.placeOrder(p) returns (OrderBook.OrderResult memory r) {
            successes[msg.sig]++;
            _checkTrades(marketId, isBid, tick, r.filledWh, r.value);
            if (r.filledWh != 0) {
                if (isBid) takerBidFilled[m] += r.filledWh;
                else {
                    takerAskFilled[m] += r.filledWh;
                    takerAskSold[a] += r.filledWh;
                }
            }
            if (r.orderId != 0) {
                _orders.push(
                    Tracked(r.orderId, a, m, isBid, tick, uint16(r.orderId & 0xffff), false, false, 0, 0)
                );
            }
            _checkPriority(m, !isBid, before, n);
        } catch {
            vm.getRecordedLogs(); // drop
        }
    }

    function cancel(uint256 actorSeed, uint256 orderSeed) external {
        calls[msg.sig]++;
        if (_orders.length == 0) return;
        Tracked storage o = _orders[orderSeed % _orders.length];
        if (o.claimed) return;
        address who = actorSeed % 8 == 0 ? _actor(actorSeed >> 8) : o.owner;
        vm.prank(who);
        try market.cancel(o.id) {
            successes[msg.sig]++;
            if (o.cancelled) cancelFillViolations++; // a second cancel must find nothing
            o.cancelled = true;
            (, , , , uint64 filled) = _view(o.id);
            o.filledAtCancel = filled;
        } catch {}
    }

    function cancelMany(uint256 orderSeed, uint8 count) external {
        calls[msg.sig]++;
        if (_orders.length == 0) return;
        Tracked storage first = _orders[orderSeed % _orders.length];
        address owner = first.owner;
        uint256 k = bound(count, 1, 4);
        uint256[] memory ids = new uint256[](k);
        uint256[] memory idx = new uint256[](k);
        uint256 found;
        for (uint256 j; j < _orders.length && found < k; ++j) {
            uint256 i = (orderSeed + j) % _orders.length;
            Tracked storage o = _orders[i];
            if (o.owner != owner || o.claimed || o.cancelled) continue;
            ids[found] = o.id;
            idx[found++] = i;
        }
        assembly ("memory-safe") {
            mstore(ids, found)
        }
        vm.prank(owner);
        try market.cancelMany(ids) {
            successes[msg.sig]++;
            for (uint256 j; j < found; ++j) {
                Tracked storage o = _orders[idx[j]];
                o.cancelled = true;
                (, , , , uint64 filled) = _view(o.id);
                o.filledAtCancel = filled;
            }
        } catch {}
    }

    function warp(uint256 seed) external {
        calls[msg.sig]++;
        if (seed % 2 != 0) return;
        vm.warp(block.timestamp + bound(seed >> 8, 1, 900));
        successes[msg.sig]++;
    }

    function claim(uint256 orderSeed, uint256 callerSeed) external {
        calls[msg.sig]++;
        if (_orders.length == 0) return;
        _claim(_orders[orderSeed % _orders.length], _actor(callerSeed));
    }

    function claimAll(uint256 marketSeed) external {
        calls[msg.sig]++;
        uint8 m = uint8(marketSeed % 2);
        if (block.timestamp + GATE_LEAD < slots[m]) return;
        for (uint256 i; i < _orders.length; ++i) {
            if (_orders[i].m == m) _claim(_orders[i], actors[i % actors.length]);
        }
    }

    /// @notice Records that tracked order `i` was claimed elsewhere (by a folded settlement,
    /// DeliverySettlement.settleSale) with the fill it had.
    function noteClaimed(uint256 i, uint64 filled) external {
        Tracked storage o = _orders[i];
        if (o.claimed) return;
        o.claimed = true;
        o.claimedFilled = filled;
        if (o.cancelled && filled != o.filledAtCancel) cancelFillViolations++;
        if (!o.isBid) claimedAskSold[o.owner] += filled;
    }

    // ------------------------------------------------------------------ views for invariants

    function ordersLength() external view returns (uint256) {
        return _orders.length;
    }

    function orderAt(uint256 i) external view returns (Tracked memory) {
        return _orders[i];
    }

    function actorsLength() external view returns (uint256) {
        return actors.length;
    }

    /// @dev Σ filled of a market's side: live maker orders (view) + claimed maker orders + takers.
    function sideFilled(uint8 m, bool isBid) public view returns (uint256 sum) {
        sum = isBid ? takerBidFilled[m] : takerAskFilled[m];
        for (uint256 i; i < _orders.length; ++i) {
            Tracked storage o = _orders[i];
            if (o.m != m || o.isBid != isBid) continue;
            if (o.claimed) sum += o.claimedFilled;
            else {
                (, , , , uint64 f) = _view(o.id);
                sum += f;
            }
        }
    }

    /// @dev Value of filled, unclaimed bid makers of a market (what pendingBidValue must hold).
    function pendingBidMakers(uint8 m) external view returns (uint256 sum) {
        for (uint256 i; i < _orders.length; ++i) {
            Tracked storage o = _orders[i];
            if (o.m != m || !o.isBid || o.claimed) continue;
            (, , , , uint64 f) = _view(o.id);
            sum += uint256(f) * o.tick * UNIT;
        }
    }

    /// @dev Σ claimed ask-maker fills of a market + taker asks: what resolvedAskWh must be.
    function resolvedAsks(
        uint8 m
    ) external view returns (uint256 sum, bool allAsksClaimed, bool allBidsClaimed) {
        sum = takerAskFilled[m];
        allAsksClaimed = true;
        allBidsClaimed = true;
        for (uint256 i; i < _orders.length; ++i) {
            Tracked storage o = _orders[i];
            if (o.m != m) continue;
            if (o.isBid) {
                if (!o.claimed) allBidsClaimed = false;
            } else if (o.claimed) sum += o.claimedFilled;
            else allAsksClaimed = false;
        }
    }

    /// @dev What an actor's locked balance must be, from its orders.
    function expectedLocked(address a) external view returns (uint256 sum) {
        sum = (takerAskSold[a] + claimedAskSold[a]) * BOND_PER_WH;
        for (uint256 i; i < _orders.length; ++i) {
            Tracked storage o = _orders[i];
            if (o.owner != a || o.claimed) continue;
            (, , uint64 amount, uint64 cancelled, ) = _view(o.id);
            sum += uint256(amount - cancelled) * (o.isBid ? o.tick * UNIT : BOND_PER_WH);
        }
    }

    // ------------------------------------------------------------------ internals

    function _claim(Tracked storage o, address caller) internal {
        if (o.claimed) return;
        if (block.timestamp + GATE_LEAD < slots[o.m]) return;
        (, , , , uint64 filled) = _view(o.id);
        vm.prank(caller);
        try market.claim(_one(o.id)) {
            successes[this.claim.selector]++;
            o.claimed = true;
            o.claimedFilled = filled;
            if (o.cancelled && filled != o.filledAtCancel) cancelFillViolations++;
            if (!o.isBid) claimedAskSold[o.owner] += filled;
        } catch {}
    }

    function _checkTrades(uint256 marketId, bool isBid, uint16 limit, uint64 filled, uint128 value) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 sumWh;
        uint256 sumValue;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(market) || logs[i].topics[0] != TRADE_SIG) continue;
            if (uint256(logs[i].topics[1]) != marketId) limitViolations++;
            (, uint16 tick, uint64 amountWh, uint128 v, ) = abi.decode(
                logs[i].data,
                (uint32, uint16, uint64, uint128, uint64)
            );
            if (isBid ? tick > limit : tick < limit) limitViolations++;
            if (v != uint256(amountWh) * tick * UNIT) valueViolations++;
            sumWh += amountWh;
            sumValue += v;
        }
        if (sumWh != filled || sumValue != value) valueViolations++;
    }

    /// @dev Every order of `side` whose fill grew in this call must have only exhausted orders
    /// (fully filled or cancelled) ahead of it: better price, or same price and earlier in queue.
    function _checkPriority(uint8 m, bool side, uint256[] memory before, uint256 n) internal {
        for (uint256 i; i < n; ++i) {
            Tracked storage x = _orders[i];
            if (x.m != m || x.isBid != side || x.claimed) continue;
            (, , , , uint64 fx) = _view(x.id);
            if (fx < before[i]) priorityViolations++; // fills never shrink
            if (fx == before[i]) continue;
            if (x.cancelled) cancelFillViolations++; // a cancelled order filled further
            for (uint256 j; j < n; ++j) {
                Tracked storage y = _orders[j];
                if (j == i || y.m != m || y.isBid != side || y.claimed) continue;
                bool ahead =
                    side
                        ? (y.tick > x.tick || (y.tick == x.tick && y.index < x.index))
                        : (y.tick < x.tick || (y.tick == x.tick && y.index < x.index));
                if (!ahead) continue;
                (, , uint64 amount, uint64 cancelled, uint64 f) = _view(y.id);
                if (amount - cancelled - f != 0) priorityViolations++;
            }
        }
    }

    function _view(
        uint256 id
    ) internal view returns (address owner, uint32 meterId, uint64 amount, uint64 cancelled, uint64 filled) {
        return market.order(id);
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    function _one(uint256 id) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = id;
    }
}
