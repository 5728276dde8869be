// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title TickBitmap
/// @notice A two-level bitmap over the 65,536 price ticks of one side of a book: a summary word whose
/// bit `w` says whether bitmap word `w` has any tick set, and 256 words of 256 ticks each. The best
/// tick is found with two storage reads, whatever the depth of the book.
library TickBitmap {
    struct Bitmap {
        uint256 summary;
        mapping(uint256 wordIndex => uint256) words;
    }

    /// @dev Marks `tick` as having resting liquidity.
    function set(Bitmap storage self, uint16 tick) internal {
        uint256 w = tick >> 8;
        uint256 word = self.words[w];
        if (word == 0) self.summary |= 1 << w;
        self.words[w] = word | (1 << (tick & 0xff));
    }

    /// @dev Clears `tick`.
    function clear(Bitmap storage self, uint16 tick) internal {
        uint256 w = tick >> 8;
        uint256 word = self.words[w] & ~(1 << (tick & 0xff));
        self.words[w] = word;
        if (word == 0) self.summary &= ~(1 << w);
    }

    /// @dev Clears `tick` given its bitmap word and the summary as last read (saves re-reading them).
    function clear(Bitmap storage self, uint16 tick, uint256 summary, uint256 word) internal {
        uint256 w = tick >> 8;
        word &= ~(1 << (tick & 0xff));
        self.words[w] = word;
        if (word == 0) self.summary = summary & ~(1 << w);
    }

    /// @dev The best tick: the lowest (asks) if `low`, else the highest (bids), with the summary and
    /// the word it was read from; `found` is false on an empty side.
    function best(
        Bitmap storage self,
        bool low
    ) internal view returns (bool found, uint16 tick, uint256 summary, uint256 word) {
        summary = self.summary;
        if (summary == 0) return (false, 0, 0, 0);
        uint256 w = low ? leastSignificantBit(summary) : mostSignificantBit(summary);
        word = self.words[w];
        return (
            true,
            uint16((w << 8) | (low ? leastSignificantBit(word) : mostSignificantBit(word))),
            summary,
            word
        );
    }

    /// @dev Whether `tick` is set.
    function has(Bitmap storage self, uint16 tick) internal view returns (bool) {
        return self.words[tick >> 8] & (1 << (tick & 0xff)) != 0;
    }

    /// @dev Highest set tick (best bid); `found` is false on an empty side.
    function highest(Bitmap storage self) internal view returns (bool found, uint16 tick) {
        uint256 summary = self.summary;
        if (summary == 0) return (false, 0);
        uint256 w = mostSignificantBit(summary);
        return (true, uint16((w << 8) | mostSignificantBit(self.words[w])));
    }

    /// @dev Lowest set tick (best ask); `found` is false on an empty side.
    function lowest(Bitmap storage self) internal view returns (bool found, uint16 tick) {
        uint256 summary = self.summary;
        if (summary == 0) return (false, 0);
        uint256 w = leastSignificantBit(summary);
        return (true, uint16((w << 8) | leastSignificantBit(self.words[w])));
    }

    /// @dev Index of the most significant set bit of a non-zero word.
    function mostSignificantBit(uint256 x) internal pure returns (uint256 r) {
        assembly ("memory-safe") {
            r := shl(7, lt(0xffffffffffffffffffffffffffffffff, x))
            r := or(r, shl(6, lt(0xffffffffffffffff, shr(r, x))))
            r := or(r, shl(5, lt(0xffffffff, shr(r, x))))
            r := or(r, shl(4, lt(0xffff, shr(r, x))))
            r := or(r, shl(3, lt(0xff, shr(r, x))))
            r := or(r, shl(2, lt(0xf, shr(r, x))))
            r := or(r, shl(1, lt(0x3, shr(r, x))))
            r := or(r, lt(0x1, shr(r, x)))
        }
    }

    /// @dev Index of the least significant set bit of a non-zero word.
    function leastSignificantBit(uint256 x) internal pure returns (uint256) {
        unchecked {
            return mostSignificantBit(x & (~x + 1));
        }
    }
}
