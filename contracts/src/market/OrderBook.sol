// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Communities} from "../community/Communities.sol";
import {Balances} from "../vault/Balances.sol";
import {CancelTree} from "./libraries/CancelTree.sol";
import {OrderId} from "./libraries/OrderId.sol";
import {TickBitmap} from "./libraries/TickBitmap.sol";
import {Level, MarketTotals, OrderType, Position, Sale} from "./MarketTypes.sol";

/// @title OrderBook
/// @notice One order book per (community, delivery slot). Matching on entry with price-time
/// priority at the maker's price; takers pay per price level, never per maker order: a taker only
/// advances a level's `taken` counter, and each maker later claims the part of its claim range that
/// `taken` covers. Markets close at the gate; afterwards every maker's fill is final and claiming
/// releases what its order still locked.
abstract contract OrderBook is Communities, Balances {
    using TickBitmap for TickBitmap.Bitmap;
    using CancelTree for CancelTree.Tree;

    struct BookSide {
        TickBitmap.Bitmap ticks;
        mapping(uint16 tick => Level) levels;
        // Keyed by generation << 16 | tick (generation 0: the tick itself).
        mapping(uint24 generationTick => CancelTree.Tree) cancels;
    }

    struct Book {
        BookSide bids;
        BookSide asks;
    }

    /// @notice The arguments of an order.
    struct OrderParams {
        uint32 communityId;
        uint40 slotStart; // the delivery slot's start, unix seconds, a multiple of the slot length
        bool isBid;
        uint16 tick; // limit price = tick × community tick size (quote base units per kWh)
        uint64 amountWh;
        uint32 meterId; // the seller's delivering meter, or the buyer's consuming meter
        OrderType orderType;
    }

    /// @notice What a placed order did.
    struct OrderResult {
        uint256 orderId; // non-zero when a remainder rests in the book
        uint64 filledWh;
        uint128 value; // quote paid (bid) or earned before settlement (ask) for the filled part
        uint64 restingWh;
    }

    // Order record: owner (160) | meterId (32) | amount (24) | queue start (34) | FROZEN (1) |
    // bond index (5). After a cancel at the front of its level the order's fill is final: FROZEN is
    // set and the start bits hold the fill. An ask's bond rate per Wh is
    // ⌈bondPerWh × bondIndex / 16⌉ (16: the community's bond).
    mapping(uint256 orderId => uint256) internal _orders;
    mapping(uint256 marketId => Book) internal _books;
    // Market totals, one word: tradedWh (64) | resolvedAskWh (64) | tradedValue (48) |
    // escrowOut (int64: quote paid out of the escrow less bonds slashed into it) | feeBps (16).
    // `marketTotals` returns the MarketTotals view of it. escrowOut is bounded by the quote token's
    // supply (< 2^63 base units for any 6-decimal token in use; USDC's is below 2^57).
    mapping(uint256 marketId => uint256) internal _totals;
    /// @notice Filled bid-maker value still held in the makers' locked balances, per market.
    mapping(uint256 marketId => uint256) public pendingBidValue;
    mapping(uint256 marketId => mapping(address buyer => Position)) internal _positions;
    mapping(uint256 marketId => mapping(uint32 meterId => Sale)) internal _sales;
    // The seller meters of each market in order of first attribution, eight uint32 lanes per word:
    // lane 0 of word 0 holds the count, seller i sits in lane i + 1. The first seller of a market
    // writes one fresh word (the count and its id), not a length word and an element word.
    mapping(uint256 marketId => mapping(uint256 word => uint256)) internal _marketSellers;
    // During `_takeSale`: the settled meter's id + 1, whose claims skip the seller list.
    uint256 private transient _unlistedMeter;

    /// @notice A remainder rested in the book. Side, tick and queue index are packed in `orderId`.
    event OrderPlaced(
        uint256 indexed orderId,
        address indexed owner,
        uint256 indexed marketId,
        uint32 meterId,
        uint64 amountWh,
        uint64 queueStart
    );
    /// @notice A taker matched `amountWh` at one price level; `levelTaken` is the level's new
    /// `taken` counter, from which the makers' fills follow.
    event Trade(
        uint256 indexed marketId,
        address indexed taker,
        bool indexed takerIsBid,
        uint32 takerMeterId,
        uint16 tick,
        uint64 amountWh,
        uint128 value,
        uint64 levelTaken
    );
    /// @notice A full price level with nothing resting started a fresh generation of 512 orders;
    /// `taken` is the level's new `taken` counter (= its `queued`), its `cancelled` is zero again.
    event LevelGenerationStarted(
        uint256 indexed marketId,
        bool indexed isBid,
        uint16 tick,
        uint8 generation,
        uint64 taken
    );
    /// @notice The unfilled remainder of a resting order was cancelled.
    event OrderCancelled(uint256 indexed orderId, address indexed owner, uint64 cancelledWh);
    /// @notice A maker order was claimed after the gate: its fill is final and its lock released.
    event OrderClaimed(
        uint256 indexed orderId,
        address indexed owner,
        uint64 filledWh,
        uint128 value,
        uint128 released
    );

    error MarketNotOpen(uint256 marketId);
    error MarketClosed(uint256 marketId);
    error MarketStillOpen(uint256 marketId);
    error SlotNotAligned(uint40 slotStart, uint256 slotLength);
    error InvalidTick(uint16 tick);
    error AmountTooSmall(uint64 amountWh, uint256 minOrderWh);
    error AmountTooLarge(uint64 amountWh, uint256 maxWh);
    error LevelFull(uint16 tick);
    error WouldCross(uint16 tick, uint16 bestOpposite);
    error FillOrKillNotFilled(uint64 filledWh, uint64 amountWh);
    error UnknownOrder(uint256 orderId);
    error NotOrderOwner(uint256 orderId, address account);
    error NothingToCancel(uint256 orderId);
    error SaleSellerMismatch(uint256 marketId, uint32 meterId);
    error MarketCapacityExceeded(uint256 marketId);

    uint256 private constant START_MASK = (1 << 34) - 1;
    // The position word's refund flag (the top bit of `refunded`) and the refund amount below it.
    uint256 internal constant REFUND_FLAG = 1 << 255;
    uint256 internal constant REFUND_AMOUNT_MASK = (1 << 95) - 1;
    // escrowOut in the totals word: bits 176..239.
    uint256 internal constant ESCROW_SHIFT = 176;
    uint256 internal constant ESCROW_MASK = ((1 << 64) - 1) << ESCROW_SHIFT;
    uint256 private constant FROZEN = 1 << 34;
    uint256 internal constant BASE_BOND_INDEX = 16;
    /// @notice Most generations of 512 orders one price level may hold in one market.
    uint256 internal constant MAX_LEVEL_GENERATIONS = 128;

    /// @notice Each seller's bond factor in basis points, set by settlement from its delivery
    /// record; zero for a seller without one (the full bond). Used where reputation bonds are on.
    mapping(address seller => uint16) public bondFactorBps;
    // Σ (bond locked − soldWh × bondPerWh) of a sale's reputation-sized fills, so a sale's bond is
    // derived without a word per fill.
    mapping(uint256 marketId => mapping(uint32 meterId => int256)) internal _saleBondDelta;

    /// @notice Most energy one market may trade (2^48 − 1 Wh, 281 TWh).
    uint256 public constant MAX_MARKET_WH = (1 << 48) - 1;
    /// @notice Most quote one market may trade (2^48 − 1 base units, 281 million USDC).
    uint256 public constant MAX_MARKET_VALUE = (1 << 48) - 1;

    /// @notice Places an order: matches what crosses, then rests, drops or reverts per its type.
    /// @param p The order.
    /// @return r The order id (if it rests), the filled amount and its value, and what rests.
    function placeOrder(OrderParams calldata p) external returns (OrderResult memory r) {
        return _place(p);
    }

    /// @notice Cancels the unfilled remainder of a resting order before the gate (owner only).
    /// @param orderId The order.
    function cancel(uint256 orderId) external {
        _cancel(orderId);
    }

    /// @notice Cancels several resting orders (owner only).
    /// @param orderIds The orders.
    function cancelMany(uint256[] calldata orderIds) external {
        for (uint256 i; i < orderIds.length; ++i) _cancel(orderIds[i]);
    }

    /// @notice Claims maker orders after their market's gate: records each final fill and releases
    /// what the order still locks. Anyone may claim; proceeds always go to the order's owner.
    /// @param orderIds The orders.
    function claim(uint256[] calldata orderIds) external {
        _claimAll(orderIds);
    }

    /// @dev The one call site of `_claim` (claims and settlement share its code).
    function _claimAll(uint256[] calldata orderIds) private {
        for (uint256 i; i < orderIds.length; ++i) _claim(orderIds[i]);
    }

    // ---------------------------------------------------------------- views

    /// @notice The best bid and ask ticks of a market (`found` false for an empty side).
    function bestPrices(
        uint256 marketId
    ) external view returns (bool hasBid, uint16 bestBid, bool hasAsk, uint16 bestAsk) {
        Book storage book = _books[marketId];
        (hasBid, bestBid) = book.bids.ticks.highest();
        (hasAsk, bestAsk) = book.asks.ticks.lowest();
    }

    /// @notice One price level: amount queued, taken, cancelled (in the current generation), still
    /// available, orders in the current generation, and that generation (see Level).
    function level(
        uint256 marketId,
        bool isBid,
        uint16 tick
    )
        external
        view
        returns (
            uint64 queued,
            uint64 taken,
            uint256 cancelled,
            uint256 available,
            uint16 count,
            uint8 generation
        )
    {
        BookSide storage side = isBid ? _books[marketId].bids : _books[marketId].asks;
        Level memory lvl = side.levels[tick];
        return (
            lvl.queued,
            lvl.taken,
            lvl.cancelled,
            lvl.queued - lvl.taken - lvl.cancelled,
            lvl.count,
            lvl.generation
        );
    }

    /// @notice A resting or unclaimed order: owner, meter, amount, cancelled and filled so far.
    function order(
        uint256 orderId
    )
        external
        view
        returns (address owner, uint32 meterId, uint64 amountWh, uint64 cancelledWh, uint64 filledWh)
    {
        uint256 rec = _orders[orderId];
        if (rec == 0) revert UnknownOrder(orderId);
        (uint256 marketId, bool isBid, uint16 tick, uint256 index) = OrderId.decode(orderId);
        BookSide storage side = isBid ? _books[marketId].bids : _books[marketId].asks;
        (uint256 cancelled, , uint256 filled) = _fillOf(side, tick, index, rec);
        return (
            address(uint160(rec)),
            uint32(rec >> 160),
            uint64((rec >> 192) & 0xffffff),
            uint64(cancelled),
            uint64(filled)
        );
    }

    /// @notice A market's totals: energy traded, energy attributed to seller meters, value traded,
    /// and the market's fee.
    function marketTotals(uint256 marketId) external view returns (MarketTotals memory t) {
        uint256 w = _totals[marketId];
        t.tradedWh = uint64(w);
        t.resolvedAskWh = uint64(w >> 64);
        t.tradedValue = uint48(w >> 128);
        t.feeBps = uint16(w >> 240);
    }

    /// @notice A buyer's position in a market; `refunded` is its refund once claimed.
    function position(uint256 marketId, address buyer) external view returns (Position memory pos) {
        pos = _positions[marketId][buyer];
        pos.refunded &= uint96(REFUND_AMOUNT_MASK);
    }

    /// @notice Whether a buyer's refund of a market has been paid (its position's refund flag).
    function refundClaimed(uint256 marketId, address buyer) external view returns (bool) {
        Position storage pos = _positions[marketId][buyer];
        return _load(pos) & REFUND_FLAG != 0;
    }

    /// @notice A seller meter's attributed sales in a market awaiting settlement (zero once settled:
    /// settlement takes the sale out of the market, see `SaleSettled`).
    function sale(uint256 marketId, uint32 meterId) external view returns (Sale memory) {
        return _sales[marketId][meterId];
    }

    /// @notice A page of the seller meters with attributed sales in a market, in order of first
    /// attribution: at most `limit` of them from position `offset`, and how many there are in all.
    /// Paged, so that no reader (an Automation check has a gas limit) reads an unbounded list.
    function marketSellers(
        uint256 marketId,
        uint256 offset,
        uint256 limit
    ) external view returns (uint32[] memory page, uint256 total) {
        mapping(uint256 => uint256) storage words = _marketSellers[marketId];
        total = uint32(words[0]);
        if (offset > total) offset = total;
        page = new uint32[](total - offset < limit ? total - offset : limit);
        for (uint256 i; i < page.length; ++i) {
            uint256 lane = offset + i + 1;
            page[i] = uint32(words[lane >> 3] >> ((lane & 7) << 5));
        }
    }

    /// @notice The market id of a community's delivery slot.
    function marketIdOf(uint32 communityId, uint40 slotStart) external pure returns (uint256) {
        return OrderId.marketId(communityId, slotStart);
    }

    /// @notice When a market opens and when its gate closes.
    function marketWindow(uint256 marketId) public view returns (uint256 opensAt, uint256 gateAt) {
        (uint32 communityId, uint40 slotStart) = OrderId.marketOf(marketId);
        Community storage c = _community(communityId);
        return (uint256(slotStart) - c.horizon, uint256(slotStart) - c.gateLead);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Reverts while the market is paused or the community's order entry is halted.
    function _checkOrderEntry(uint32 communityId, uint8 halted) internal view virtual;

    function _place(OrderParams calldata p) private returns (OrderResult memory r) {
        Community storage c = _community(p.communityId);
        _checkOrderEntry(p.communityId, c.halted);
        // Owning an active meter of the community implies membership (meters are registered and
        // transferred to members only, and membership is never revoked).
        _checkMeter(p.meterId, msg.sender, p.communityId, p.slotStart);
        if (p.slotStart % c.slotLength != 0) revert SlotNotAligned(p.slotStart, c.slotLength);
        uint256 marketId = OrderId.marketId(p.communityId, p.slotStart);
        if (block.timestamp + c.horizon < p.slotStart) revert MarketNotOpen(marketId);
        if (block.timestamp + c.gateLead >= p.slotStart) revert MarketClosed(marketId);
        if (p.tick == 0) revert InvalidTick(p.tick);
        if (p.amountWh < c.minOrderWh) revert AmountTooSmall(p.amountWh, c.minOrderWh);
        if (p.amountWh > MAX_ORDER_WH) revert AmountTooLarge(p.amountWh, MAX_ORDER_WH);
        uint256 unit = c.tickSize / 1000; // quote base units per Wh per tick: values are exact
        if (c.bandBps != 0) _checkPriceBand(c, uint256(p.tick) * c.tickSize);

        Book storage book = _books[marketId];
        uint256 remaining = p.amountWh;
        uint256 value;
        if (p.orderType == OrderType.PostOnly) {
            (bool found, uint16 best) = p.isBid ? book.asks.ticks.lowest() : book.bids.ticks.highest();
            if (found && (p.isBid ? best <= p.tick : best >= p.tick)) revert WouldCross(p.tick, best);
        } else {
            (remaining, value) = _match(marketId, book, p, unit);
        }
        uint256 filled = p.amountWh - remaining;
        if (p.orderType == OrderType.FillOrKill && remaining != 0) {
            revert FillOrKillNotFilled(uint64(filled), p.amountWh);
        }
        bool rests = remaining != 0 && (p.orderType == OrderType.Limit || p.orderType == OrderType.PostOnly);

        if (filled != 0) _addTraded(marketId, c, p.slotStart, filled, value, !p.isBid);
        Balance storage bal = _balances[msg.sender];
        uint256 bondIndex = BASE_BOND_INDEX;
        if (p.isBid) {
            // The buyer pays the makers' prices now; the resting remainder locks its limit value.
            uint256 lock = rests ? remaining * p.tick * unit : 0;
            (uint128 free, uint128 locked) = _read(bal);
            if (free < value + lock) revert InsufficientBalance(free, value + lock);
            unchecked {
                free -= uint128(value + lock);
            }
            _write(bal, free, locked + uint128(lock));
            if (filled != 0) _addPosition(_positions[marketId][msg.sender], filled, value);
        } else {
            // The seller bonds what it sold and what rests; proceeds wait in escrow for settlement.
            uint256 bondPerWh = c.bondPerWh;
            if (c.reputationBonds) {
                bondIndex = _bondIndexOf(msg.sender);
                bondPerWh = _bondRate(bondPerWh, bondIndex);
            }
            uint256 bonded = filled + (rests ? remaining : 0);
            if (bonded * bondPerWh != 0) _lock(bal, bonded * bondPerWh);
            if (filled != 0) {
                _attributeSale(marketId, p.meterId, msg.sender, filled, value);
                if (bondIndex != BASE_BOND_INDEX) {
                    _saleBondDelta[marketId][p.meterId] +=
                        int256(filled * bondPerWh) - int256(filled * c.bondPerWh);
                }
                pendingBidValue[marketId] += value;
            }
        }

        r.filledWh = uint64(filled);
        r.value = uint128(value);
        if (rests) {
            r.orderId = _enqueue(marketId, book, p, remaining, bondIndex);
            r.restingWh = uint64(remaining);
        }
    }

    /// @dev Adds a taker's fills to the market totals. A market trades at most MAX_MARKET_WH and
    /// MAX_MARKET_VALUE, so no meter's sale and no maker claim can ever overflow (a maker's claim
    /// must never fail, or its market could not settle). The first trade fixes the market's fee.
    function _addTraded(
        uint256 marketId,
        Community storage c,
        uint40 slotStart,
        uint256 filled,
        uint256 value,
        bool askIsTaker
    ) private {
        // One word (see MarketTotals); the market has traded iff it is non-zero.
        uint256 w = _totals[marketId];
        uint256 tradedWh = uint64(w) + filled;
        uint256 tradedValue = uint48(w >> 128) + value;
        if (tradedWh > MAX_MARKET_WH || tradedValue > MAX_MARKET_VALUE)
            revert MarketCapacityExceeded(marketId);
        // resolvedAskWh ≤ tradedWh ≤ MAX_MARKET_WH: no carry out of its field.
        _totals[marketId] =
            tradedWh |
            ((uint64(w >> 64) + (askIsTaker ? filled : 0)) << 64) |
            (tradedValue << 128) |
            (w & ESCROW_MASK) |
            (uint256(w == 0 ? _feeOf(c, slotStart) : uint16(w >> 240)) << 240);
    }

    /// @dev Crosses the opposite side up to the limit; returns what is left and its matched value.
    function _match(
        uint256 marketId,
        Book storage book,
        OrderParams calldata p,
        uint256 unit
    ) private returns (uint256 remaining, uint256 value) {
        remaining = p.amountWh;
        BookSide storage opposite = p.isBid ? book.asks : book.bids;
        while (remaining != 0) {
            (bool found, uint16 tick, uint256 summary, uint256 word) = opposite.ticks.best(p.isBid);
            if (!found || (p.isBid ? tick > p.tick : tick < p.tick)) break;
            Level storage lvl = opposite.levels[tick];
            uint256 w = _load(lvl);
            uint256 taken = uint64(w >> 64);
            uint256 fill;
            unchecked {
                // queued ≥ taken + cancelled always; the level's set tick means something rests.
                uint256 available = uint64(w) - taken - uint64(w >> 128);
                fill = remaining < available ? remaining : available;
                if (fill == available) opposite.ticks.clear(tick, summary, word);
                taken += fill; // ≤ queued: stays in its 64 bits
                _store(lvl, w + (fill << 64));
            }
            uint256 v = fill * tick * unit;
            unchecked {
                remaining -= fill;
                value += v;
            }
            emit Trade(
                marketId,
                msg.sender,
                p.isBid,
                p.meterId,
                tick,
                uint64(fill),
                uint128(v),
                uint64(taken)
            );
        }
    }

    function _enqueue(
        uint256 marketId,
        Book storage book,
        OrderParams calldata p,
        uint256 amount,
        uint256 bondIndex
    ) private returns (uint256 orderId) {
        BookSide storage side = p.isBid ? book.bids : book.asks;
        Level storage lvl = side.levels[p.tick];
        Level memory l = lvl;
        if (l.count >= CancelTree.CAPACITY) {
            // A full generation: a fresh one if nothing rests (every order taken or cancelled).
            if (l.queued != l.taken + l.cancelled || l.generation + 1 >= MAX_LEVEL_GENERATIONS) {
                revert LevelFull(p.tick);
            }
            (l.taken, l.cancelled, l.count, l.generation) = (l.queued, 0, 0, l.generation + 1);
            emit LevelGenerationStarted(marketId, p.isBid, p.tick, l.generation, l.queued);
        }
        if (l.queued == l.taken + l.cancelled) side.ticks.set(p.tick);
        // One word: queued (at most 65,536 orders of < 2^24 Wh), taken, cancelled, count, generation.
        _store(
            lvl,
            (uint256(l.queued) + amount) |
                (uint256(l.taken) << 64) |
                (uint256(l.cancelled) << 128) |
                ((uint256(l.count) + 1) << 192) |
                (uint256(l.generation) << 208)
        );
        orderId = OrderId.encode(marketId, p.isBid, p.tick, (uint256(l.generation) << 9) | l.count);
        _orders[orderId] =
            uint256(uint160(msg.sender)) |
            (uint256(p.meterId) << 160) |
            (amount << 192) |
            ((uint256(l.queued) | (bondIndex << 35)) << 216);
        emit OrderPlaced(orderId, msg.sender, marketId, p.meterId, uint64(amount), l.queued);
    }

    /// @dev An order's amount cancelled behind the front, its queue start net of the cancels before
    /// it, and its fill so far (final after the gate). The record's amount already excludes a
    /// cancel at the front.
    function _fillOf(
        BookSide storage side,
        uint16 tick,
        uint256 index,
        uint256 rec
    ) private view returns (uint256 cancelled, uint256 start, uint256 filled) {
        start = rec >> 216;
        if (start & FROZEN != 0) {
            filled = start & START_MASK;
            return (((rec >> 192) & 0xffffff) - filled, 0, filled);
        }
        start &= START_MASK;
        Level storage lvl = side.levels[tick];
        // An order of an earlier generation reads its generation's tree (its fill is final).
        uint256 generation = index >> 9;
        if (generation != lvl.generation || lvl.cancelled != 0) {
            CancelTree.Tree storage tree = side.cancels[_treeKey(tick, generation)];
            cancelled = tree.get(index & 511);
            start -= tree.prefix(index & 511);
        }
        uint256 size = ((rec >> 192) & 0xffffff) - cancelled;
        uint256 taken = lvl.taken;
        if (taken > start) filled = taken - start < size ? taken - start : size;
    }

    /// @dev Cancels what is left of an order. At the front of its level (its range reaches the
    /// level's `taken`), the level's front simply moves past it and the record keeps only the filled
    /// part: constant gas. Behind the front, the hole is recorded in the level's CancelTree so later
    /// ranges skip it: three words.
    function _cancel(uint256 orderId) private {
        uint256 rec = _orders[orderId];
        if (rec == 0) revert UnknownOrder(orderId);
        address owner = address(uint160(rec));
        if (owner != msg.sender) revert NotOrderOwner(orderId, msg.sender);
        (uint256 marketId, bool isBid, uint16 tick, uint256 index) = OrderId.decode(orderId);
        Community storage c = _communities[uint32(marketId >> 40)];
        if (block.timestamp + c.gateLead >= uint40(marketId)) revert MarketClosed(marketId);

        BookSide storage side = isBid ? _books[marketId].bids : _books[marketId].asks;
        (uint256 cancelled, uint256 start, uint256 filled) = _fillOf(side, tick, index, rec);
        uint256 remaining = ((rec >> 192) & 0xffffff) - cancelled - filled;
        if (remaining == 0) revert NothingToCancel(orderId);
        Level storage lvl = side.levels[tick];
        Level memory l = lvl;
        if (start <= l.taken) {
            lvl.taken = l.taken + uint64(remaining);
            _orders[orderId] =
                (rec & ((1 << 216) - 1)) | ((((rec >> 216) & ~START_MASK) | FROZEN | filled) << 216);
        } else {
            side.cancels[_treeKey(tick, index >> 9)].add(index & 511, remaining);
            lvl.cancelled = l.cancelled + uint64(remaining);
        }
        if (l.queued == l.taken + l.cancelled + remaining) side.ticks.clear(tick);
        _unlock(
            owner,
            remaining * (isBid ? uint256(tick) * (c.tickSize / 1000) : _bondRate(c.bondPerWh, rec >> 251))
        );
        emit OrderCancelled(orderId, owner, uint64(remaining));
    }

    function _claim(uint256 orderId) private {
        uint256 rec = _orders[orderId];
        if (rec == 0) revert UnknownOrder(orderId);
        (uint256 marketId, bool isBid, uint16 tick, uint256 index) = OrderId.decode(orderId);
        Community storage c = _closedMarketCommunity(marketId);
        (uint256 cancelled, , uint256 filled) = _fillOf(
            isBid ? _books[marketId].bids : _books[marketId].asks,
            tick,
            index,
            rec
        );
        delete _orders[orderId];
        uint256 unfilled = ((rec >> 192) & 0xffffff) - cancelled - filled;
        uint256 price = uint256(tick) * (c.tickSize / 1000);
        uint256 released =
            isBid
                ? _claimBid(marketId, address(uint160(rec)), filled, filled * price, unfilled * price)
                : _claimAsk(marketId, rec, filled, filled * price, unfilled, c.bondPerWh);
        emit OrderClaimed(
            orderId,
            address(uint160(rec)),
            uint64(filled),
            uint128(filled * price),
            uint128(released)
        );
    }

    /// @dev Claims maker orders (as `claim` does: each fill becomes final, an `OrderClaimed` each)
    /// and takes one seller meter's sale out of a closed market for settlement: the sale word and
    /// its bond delta are deleted (a settled meter has nothing left to settle) and returned, with
    /// the figures settlement needs. The meter is not added to the market's seller list by these
    /// claims: it is settled in this transaction.
    function _takeSale(
        uint256 marketId,
        uint32 meterId,
        uint256[] calldata orderIds
    ) internal returns (uint256 saleWord, uint256 bond, uint256 totals, uint256 misc) {
        _unlistedMeter = uint256(meterId) + 1;
        _claimAll(orderIds);
        _unlistedMeter = 0;
        Community storage c = _closedMarketCommunity(marketId);
        Sale storage s = _sales[marketId][meterId];
        saleWord = _load(s);
        int256 delta = _saleBondDelta[marketId][meterId];
        if (saleWord != 0) _store(s, 0);
        if (delta != 0) delete _saleBondDelta[marketId][meterId];
        // soldWh < 2^48 (market totals) and the bond rate < 2^37: no overflow.
        bond = uint256(int256(uint256(uint48(saleWord >> 160)) * c.bondPerWh) + delta);
        totals = _totals[marketId];
        misc =
            (saleWord == 0 ? 0 : uint64(_load(_positions[marketId][address(uint160(saleWord))]))) |
            (uint256(c.slotLength) << 64) |
            (pendingBidValue[marketId] << 88);
    }

    /// @dev The key of a generation's cancel tree.
    function _treeKey(uint16 tick, uint256 generation) private pure returns (uint24) {
        return uint24((generation << 16) | tick);
    }

    /// @dev The community of a market whose gate has closed.
    function _closedMarketCommunity(uint256 marketId) private view returns (Community storage c) {
        (uint32 communityId, uint40 slotStart) = OrderId.marketOf(marketId);
        c = _communities[communityId];
        if (block.timestamp + c.gateLead < slotStart) revert MarketStillOpen(marketId);
    }

    /// @dev The bond index of a seller in a community with reputation bonds: its factor in steps
    /// of 1/16 of the community's bond, rounded up (16 for a seller without a record).
    function _bondIndexOf(address seller) private view returns (uint256) {
        uint256 bps = bondFactorBps[seller];
        if (bps == 0) return BASE_BOND_INDEX;
        uint256 index = (bps + 624) / 625;
        return index > 31 ? 31 : index;
    }

    /// @dev Bond per Wh at a bond index, rounded up (in the protocol's favour).
    function _bondRate(uint256 bondPerWh, uint256 bondIndex) internal pure returns (uint256) {
        return bondIndex == BASE_BOND_INDEX ? bondPerWh : (bondPerWh * bondIndex + 15) / 16;
    }

    /// @notice The bond a seller meter's sale in a market holds until settlement.
    function saleBond(uint256 marketId, uint32 meterId) public view returns (uint256) {
        return
            uint256(
                int256(
                    uint256(_sales[marketId][meterId].soldWh) * _communities[uint32(marketId >> 40)].bondPerWh
                ) + _saleBondDelta[marketId][meterId]
            );
    }

    /// @dev Adds a fill to a seller meter's sale in a market.
    function _attributeSale(
        uint256 marketId,
        uint32 meterId,
        address seller,
        uint256 filled,
        uint256 value
    ) private {
        Sale storage s = _sales[marketId][meterId];
        uint256 w = _load(s);
        if (w == 0) {
            w = uint160(seller);
            // Append to the market's seller list (see _marketSellers), unless the meter is being
            // settled in this transaction (see _takeSale).
            if (_unlistedMeter != uint256(meterId) + 1) {
                mapping(uint256 => uint256) storage words = _marketSellers[marketId];
                uint256 head = words[0];
                uint256 lane = uint32(head) + 1;
                if (lane < 8) words[0] = head + 1 + (uint256(meterId) << (lane << 5));
                else {
                    words[0] = head + 1;
                    words[lane >> 3] |= uint256(meterId) << ((lane & 7) << 5);
                }
            }
        } else if (address(uint160(w)) != seller) revert SaleSellerMismatch(marketId, meterId);
        // soldWh and proceeds are bounded by the market totals (see _addTraded): no carry.
        unchecked {
            _store(s, w + (filled << 160) + (value << 208));
        }
    }

    /// @dev A bid maker's filled value leaves its locked balance for the market's escrow; the
    /// unfilled remainder returns to its free balance.
    function _claimBid(
        uint256 marketId,
        address owner,
        uint256 filled,
        uint256 value,
        uint256 released
    ) private returns (uint256) {
        Balance storage b = _balances[owner];
        (uint128 free, uint128 locked) = _read(b);
        _write(b, free + uint128(released), locked - uint128(value + released));
        if (filled != 0) {
            _addPosition(_positions[marketId][owner], filled, value);
            pendingBidValue[marketId] -= value;
        }
        return released;
    }

    /// @dev An ask maker's fill is attributed to its meter, whose bond stays locked until
    /// settlement; the bond of the unfilled remainder returns to the seller's free balance.
    function _claimAsk(
        uint256 marketId,
        uint256 rec,
        uint256 filled,
        uint256 value,
        uint256 unfilled,
        uint256 baseBondPerWh
    ) private returns (uint256 released) {
        uint256 bondPerWh = _bondRate(baseBondPerWh, rec >> 251);
        released = unfilled * bondPerWh;
        _unlock(address(uint160(rec)), released);
        if (filled != 0) {
            uint32 meterId = uint32(rec >> 160);
            _attributeSale(marketId, meterId, address(uint160(rec)), filled, value);
            if (bondPerWh != baseBondPerWh) {
                _saleBondDelta[marketId][meterId] +=
                    int256(filled * bondPerWh) - int256(filled * baseBondPerWh);
            }
            // resolvedAskWh ≤ tradedWh: no carry out of its field.
            unchecked {
                _totals[marketId] += filled << 64;
            }
        }
    }

    /// @dev Adds a fill to a buyer's position in one write (bounded by the market totals: the
    /// paid and bought sums never leave their fields).
    function _addPosition(Position storage pos, uint256 filled, uint256 value) private {
        unchecked {
            _store(pos, _load(pos) + filled + (value << 64));
        }
    }

    // Whole-word storage access: a struct assignment in Solidity reads and writes each field.
    function _load(Level storage x) private view returns (uint256 w) {
        assembly ("memory-safe") {
            w := sload(x.slot)
        }
    }

    function _store(Level storage x, uint256 w) private {
        assembly ("memory-safe") {
            sstore(x.slot, w)
        }
    }

    function _load(Sale storage x) private view returns (uint256 w) {
        assembly ("memory-safe") {
            w := sload(x.slot)
        }
    }

    function _store(Sale storage x, uint256 w) private {
        assembly ("memory-safe") {
            sstore(x.slot, w)
        }
    }

    function _load(Position storage x) internal view returns (uint256 w) {
        assembly ("memory-safe") {
            w := sload(x.slot)
        }
    }

    function _store(Position storage x, uint256 w) internal {
        assembly ("memory-safe") {
            sstore(x.slot, w)
        }
    }
}
