// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice How an order treats the part that does not match on entry.
/// Limit rests until the gate; ImmediateOrCancel drops it; FillOrKill reverts unless all of it
/// matches; PostOnly reverts if any of it would match.
enum OrderType {
    Limit,
    ImmediateOrCancel,
    FillOrKill,
    PostOnly
}

/// @notice One price level of one side of a market: a FIFO queue of claim ranges.
/// `queued` is the running sum of amounts ever queued; `taken` is how far the front of the queue
/// has been consumed, by takers and by cancels at the front; `cancelled` is the total of cancels
/// behind the front in the current generation, whose positions live in that generation's
/// CancelTree. What rests is `queued - taken - cancelled`.
/// A generation holds at most 512 orders (`count` of them so far). When it is full and nothing
/// rests, the next order starts a fresh generation: `taken` absorbs the old generation's cancels
/// (`taken = queued`), `cancelled` and `count` restart at zero. So cancelled orders never bar a
/// price level; at most 128 generations (65,536 orders) per level and market.
struct Level {
    uint64 queued;
    uint64 taken;
    uint64 cancelled;
    uint16 count;
    uint8 generation;
}

/// @notice Market-wide totals (one per community and delivery slot). `feeBps` is the community
/// fee of the market, fixed at its first trade from the fee schedule (Communities.setCommunityFee),
/// so settlement charges the fee in force when the trades matched.
struct MarketTotals {
    uint64 tradedWh; // energy matched
    uint64 resolvedAskWh; // matched energy attributed to seller meters (takers at once, makers at claim)
    uint112 tradedValue; // quote paid by buyers for matched energy (at most MAX_MARKET_VALUE)
    uint16 feeBps; // the market's community fee, from its first trade
}

/// @notice A buyer's position in a market, summed over its fills.
struct Position {
    uint64 boughtWh;
    uint96 paid;
    uint96 refunded;
}

/// @notice A seller meter's sales in a market, summed over its fills. Each (market, meter) has one
/// seller (see Communities.Meter.tradableFrom); its bond is `soldWh × bondPerWh` of the community.
/// Both sums are bounded by the market's totals (OrderBook.MAX_MARKET_WH / MAX_MARKET_VALUE).
struct Sale {
    address seller;
    uint48 soldWh;
    uint48 proceeds;
}
