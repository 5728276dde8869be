// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "../support/Vm.sol";
import {TickBitmap} from "../../src/market/libraries/TickBitmap.sol";
import {CancelTree} from "../../src/market/libraries/CancelTree.sol";
import {OrderId} from "../../src/market/libraries/OrderId.sol";

/// @notice TickBitmap against a naive model: a list of set ticks.
contract TickBitmapFuzzTest is TestBase {
    using TickBitmap for TickBitmap.Bitmap;

    TickBitmap.Bitmap internal bitmap;
    mapping(uint16 => bool) internal isSet;
    uint16[] internal setTicks;

    function _pickTick(uint256 r) internal pure returns (uint16) {
        uint256 mode = r % 4;
        r >>= 8;
        if (mode == 0) return uint16(r); // anywhere
        if (mode == 1) return uint16(r % 16); // crowded low end, including 0
        if (mode == 2) return uint16(65535 - (r % 16)); // crowded high end
        return uint16(((r % 4) << 8) | ((r >> 8) % 4)); // a few words, a few bits each
    }

    function _modelBest() internal view returns (bool found, uint16 hi, uint16 lo) {
        hi = 0;
        lo = type(uint16).max;
        for (uint256 i; i < setTicks.length; ++i) {
            uint16 t = setTicks[i];
            if (!isSet[t]) continue;
            found = true;
            if (t > hi) hi = t;
            if (t < lo) lo = t;
        }
    }

    function testFuzz_bestTicksMatchNaiveModel(uint256 seed, uint8 steps) public {
        for (uint256 i; i < uint256(steps) + 1; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint16 tick = _pickTick(r >> 2);
            bool doSet = r % 3 != 0;
            if (doSet) {
                bitmap.set(tick);
                if (!isSet[tick]) setTicks.push(tick);
                isSet[tick] = true;
            } else {
                bitmap.clear(tick);
                isSet[tick] = false;
            }
            assertTrue(bitmap.has(tick) == doSet, "has after op");
            (bool found, uint16 hi, uint16 lo) = _modelBest();
            (bool fh, uint16 h) = bitmap.highest();
            (bool fl, uint16 l) = bitmap.lowest();
            assertTrue(fh == found && fl == found, "found");
            if (found) {
                assertEq(h, hi, "highest");
                assertEq(l, lo, "lowest");
            }
        }
        for (uint256 i; i < setTicks.length; ++i) {
            assertTrue(bitmap.has(setTicks[i]) == isSet[setTicks[i]], "has");
        }
    }

    function testFuzz_singleTick(uint16 tick) public {
        bitmap.set(tick);
        (bool f, uint16 t) = bitmap.highest();
        assertTrue(f, "found hi");
        assertEq(t, tick, "highest");
        (f, t) = bitmap.lowest();
        assertTrue(f, "found lo");
        assertEq(t, tick, "lowest");
        bitmap.clear(tick);
        (f, ) = bitmap.highest();
        assertTrue(!f, "empty after clear");
        assertTrue(!bitmap.has(tick), "cleared");
    }

    function testFuzz_bitScans(uint256 x) public pure {
        vm.assume(x != 0);
        uint256 msb;
        for (uint256 i = 255; ; --i) {
            if (x & (1 << i) != 0) {
                msb = i;
                break;
            }
        }
        uint256 lsb;
        for (uint256 i; i < 256; ++i) {
            if (x & (1 << i) != 0) {
                lsb = i;
                break;
            }
        }
        assertEq(TickBitmap.mostSignificantBit(x), msb, "msb");
        assertEq(TickBitmap.leastSignificantBit(x), lsb, "lsb");
    }
}

/// @notice CancelTree against a naive array of per-order cancelled amounts.
contract CancelTreeFuzzTest is TestBase {
    using CancelTree for CancelTree.Tree;

    CancelTree.Tree internal tree;
    uint256[512] internal model;

    function _check() internal view {
        uint256 running;
        for (uint256 i; i < 512; ++i) {
            assertEq(tree.prefix(i), running, "prefix");
            assertEq(tree.get(i), model[i], "get");
            running += model[i];
        }
        assertEq(tree.total(), running, "total");
    }

    /// Each order is cancelled at most once (a second cancel has nothing left), so each index
    /// receives at most one add of at most MAX_AMOUNT.
    function testFuzz_prefixSumsMatchNaiveModel(uint256 seed, uint16 steps) public {
        steps = uint16(bound(steps, 1, 200));
        for (uint256 i; i < steps; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 index = (r % 5 == 0) ? (r >> 8) % 16 : (r >> 8) % 512;
            if (model[index] != 0) continue;
            uint256 amount =
                (r >> 32) % 4 == 0 ? CancelTree.MAX_AMOUNT : ((r >> 64) % CancelTree.MAX_AMOUNT) + 1;
            tree.add(index, amount);
            model[index] = amount;
        }
        _check();
    }

    function test_fullTreeAtMaxAmountsDoesNotOverflow() public {
        for (uint256 i; i < 512; ++i) {
            tree.add(i, CancelTree.MAX_AMOUNT);
            model[i] = CancelTree.MAX_AMOUNT;
        }
        _check();
        assertEq(tree.total(), 512 * CancelTree.MAX_AMOUNT, "total");
    }

    function testFuzz_sumBelowAndLanes(uint256 word, uint8 lanes) public pure {
        lanes = uint8(bound(lanes, 0, 8));
        uint256 expected;
        for (uint256 i; i < lanes; ++i) expected += (word >> (32 * i)) & 0xffffffff;
        assertEq(CancelTree.sumBelow(word, lanes), expected, "sumBelow");
        uint256 all;
        for (uint256 i; i < 8; ++i) all += (word >> (32 * i)) & 0xffffffff;
        assertEq(CancelTree.sumLanes(word), all, "sumLanes");
    }
}

/// @notice OrderId packs and unpacks losslessly.
contract OrderIdFuzzTest is TestBase {
    function testFuzz_roundTrip(
        uint32 communityId,
        uint40 slotStart,
        bool isBid,
        uint16 tick,
        uint16 index
    ) public pure {
        uint256 marketId = OrderId.marketId(communityId, slotStart);
        (uint32 c, uint40 s) = OrderId.marketOf(marketId);
        assertEq(c, communityId, "community");
        assertEq(s, slotStart, "slot");
        uint256 orderId = OrderId.encode(marketId, isBid, tick, index);
        (uint256 m, bool b, uint16 t, uint256 i) = OrderId.decode(orderId);
        assertEq(m, marketId, "market");
        assertTrue(b == isBid, "side");
        assertEq(t, tick, "tick");
        assertEq(i, index, "index");
        assertEq(marketId, (uint256(communityId) << 40) | slotStart, "market layout");
        assertEq(
            orderId,
            (marketId << 40) | (isBid ? 1 << 32 : 0) | (uint256(tick) << 16) | index,
            "order layout"
        );
    }

    function testFuzz_distinctOrdersHaveDistinctIds(
        uint256 m1,
        bool b1,
        uint16 t1,
        uint16 i1,
        uint256 m2,
        bool b2,
        uint16 t2,
        uint16 i2
    ) public pure {
        m1 = m1 >> 184; // 72-bit market ids, as produced by marketId()
        m2 = m2 >> 184;
        vm.assume(m1 != m2 || b1 != b2 || t1 != t2 || i1 != i2);
        assertTrue(OrderId.encode(m1, b1, t1, i1) != OrderId.encode(m2, b2, t2, i2), "collision");
    }
}
