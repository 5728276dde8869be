// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title CancelTree
/// @notice Prefix sums of the amounts cancelled out of one price level's FIFO queue.
/// @dev A maker's claim range starts at "everything queued before it" minus "everything cancelled
/// before it". Queued amounts are a running counter stored in the order at entry, so only
/// cancellations need a tree. The tree has three layers of words that each pack eight uint32
/// counters (a "segmented segment tree"): layer 0 holds each order's cancelled amount, layer 1 the
/// sum of each layer-0 word, the root the sum of each layer-1 word. An update and a prefix sum touch
/// exactly three words. Capacity: 512 orders per level; an order is at most 2^24 - 1 Wh so that no
/// counter (at most 64 orders' worth in the root) overflows 32 bits.
library CancelTree {
    uint256 internal constant CAPACITY = 512;
    uint256 internal constant MAX_AMOUNT = (1 << 24) - 1;

    uint256 private constant LANES_32 = 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff;
    uint256 private constant LANES_64 = 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff;
    uint256 private constant LANES_128 = 0x00000000000000000000000000000000ffffffffffffffffffffffffffffffff;

    struct Tree {
        uint256 root;
        mapping(uint256 => uint256) layer1;
        mapping(uint256 => uint256) layer0;
    }

    /// @dev Adds `amount` to the cancelled amount of order `index` (index < CAPACITY).
    function add(Tree storage self, uint256 index, uint256 amount) internal {
        unchecked {
            self.layer0[index >> 3] += amount << ((index & 7) << 5);
            self.layer1[index >> 6] += amount << (((index >> 3) & 7) << 5);
            self.root += amount << (((index >> 6) & 7) << 5);
        }
    }

    /// @dev The amount cancelled from order `index` itself.
    function get(Tree storage self, uint256 index) internal view returns (uint256) {
        return (self.layer0[index >> 3] >> ((index & 7) << 5)) & 0xffffffff;
    }

    /// @dev The amount cancelled from orders before `index`.
    function prefix(Tree storage self, uint256 index) internal view returns (uint256) {
        return
            sumBelow(self.root, (index >> 6) & 7) +
            sumBelow(self.layer1[index >> 6], (index >> 3) & 7) +
            sumBelow(self.layer0[index >> 3], index & 7);
    }

    /// @dev The amount cancelled from the whole level.
    function total(Tree storage self) internal view returns (uint256) {
        return sumLanes(self.root);
    }

    /// @dev Sum of the lowest `lanes` uint32 counters of `word`.
    function sumBelow(uint256 word, uint256 lanes) internal pure returns (uint256) {
        if (lanes == 0) return 0;
        unchecked {
            return sumLanes(word & ((1 << (lanes << 5)) - 1));
        }
    }

    /// @dev Sum of all eight uint32 counters of `word`, without overflow.
    function sumLanes(uint256 x) internal pure returns (uint256) {
        x = (x & LANES_32) + ((x >> 32) & LANES_32);
        x = (x & LANES_64) + ((x >> 64) & LANES_64);
        return (x & LANES_128) + (x >> 128);
    }
}
