// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase, Vm} from "../../support/Vm.sol";
import {EnergyMarket} from "../../../src/EnergyMarket.sol";
import {DeliverySettlement} from "../../../src/delivery/DeliverySettlement.sol";
import {MarketTotals, Position, Sale} from "../../../src/market/MarketTypes.sol";
import {MarketHandler} from "./MarketHandler.sol";

/// @notice The signing cheatcode (not in the shared Vm interface).
interface VmSign {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
}

/// @notice Drives delivery settlement on top of MarketHandler (by composition): trading in two
/// markets, warps to the gate, claims of every maker, k-of-n signed meter reports (or none), warps
/// past the reporting window, seller settlements and buyer refunds in random order. Keeps ghost
/// records of every settlement and refund, which the invariant test compares with the contracts.
contract SettlementHandler is TestBase {
    VmSign internal constant vmSign = VmSign(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint32 internal constant COMMUNITY = 1;
    uint32 internal constant SLOT = 900;
    uint32 internal constant GATE_LEAD = 300;
    uint256 internal constant BOND_PER_WH = 50;
    uint256 internal constant FEE_BPS = 100;
    uint256 internal constant N_SIGNERS = 5;

    bytes32 internal constant SALE_SETTLED_SIG = keccak256(
        "SaleSettled(uint256,uint32,address,uint256,uint256,bool,uint256,uint256,uint256,uint256)"
    );
    bytes32 internal constant REFUND_CLAIMED_SIG = keccak256(
        "RefundClaimed(uint256,address,uint256,uint256)"
    );
    bytes32 internal constant ESCROW_SWEPT_SIG = keccak256("EscrowSwept(uint256,uint32,uint256)");

    /// @notice What the handler saw when a seller meter was settled.
    struct Settled {
        bool done;
        bool reported;
        uint256 soldWh;
        uint256 proceeds;
        uint256 exportedWh;
        uint256 payout;
        uint256 fee;
        uint256 poolShare; // SaleSettled.refunded
        uint256 slashed;
    }

    EnergyMarket public immutable market;
    DeliverySettlement public immutable settlement;
    MarketHandler public immutable mh;
    uint32 public immutable reportWindow;

    uint256[] internal _signerKeys; // sorted by address, ascending
    address[] public signers;
    uint16 public threshold;

    // ghost records per market index
    mapping(uint8 => mapping(uint32 => bool)) public reported;
    mapping(uint8 => mapping(uint32 => uint256)) public exportedOf;
    mapping(uint8 => mapping(uint32 => Settled)) internal _settled;
    mapping(uint8 => mapping(address => uint256)) public refundOf;
    mapping(uint8 => mapping(address => uint256)) public paidAtRefund;
    mapping(uint8 => mapping(address => bool)) public refunded;
    uint256[2] public sumPayout;
    uint256[2] public sumFee;
    uint256[2] public sumPoolShare;
    uint256[2] public sumSlashed;
    uint256[2] public sumRefund;
    uint256[2] public sumSwept;
    uint256[2] public sellersSettled;
    bool[2] public anyReported;
    mapping(address => uint256) public committedGhost;
    mapping(address => uint256) public deliveredGhost;
    /// Balance moves that disagree with the events, and refunds short of what was paid when nobody
    /// was reported.
    uint256 public balanceViolations;
    uint256 public refundViolations;
    uint256 public reportFailures;
    mapping(bytes4 => uint256) public calls;
    mapping(bytes4 => uint256) public successes;

    constructor(
        EnergyMarket market_,
        DeliverySettlement settlement_,
        MarketHandler mh_,
        uint256[] memory keys,
        uint16 k
    ) {
        market = market_;
        settlement = settlement_;
        mh = mh_;
        reportWindow = settlement_.reportWindow();
        threshold = k;
        // sort the keys by their address (insertion sort; a handful)
        for (uint256 i; i < keys.length; ++i) {
            for (uint256 j = i + 1; j < keys.length; ++j) {
                if (vm.addr(keys[j]) < vm.addr(keys[i])) (keys[i], keys[j]) = (keys[j], keys[i]);
            }
        }
        for (uint256 i; i < keys.length; ++i) {
            _signerKeys.push(keys[i]);
            signers.push(vm.addr(keys[i]));
        }
    }

    // ------------------------------------------------------------------ trading (MarketHandler)

    function place(
        uint256 actorSeed,
        uint256 marketSeed,
        bool isBid,
        uint256 tickSeed,
        uint256 amountSeed,
        uint256 typeSeed
    ) external {
        calls[msg.sig]++;
        // no fill-or-kill / post-only noise: limit or IOC
        mh.place(actorSeed, marketSeed, isBid, tickSeed, amountSeed, typeSeed % 2);
    }

    /// @notice A resting ask and a crossing IOC bid from another actor: trade for sure (if open).
    function cross(
        uint256 sellerSeed,
        uint256 buyerOffset,
        uint256 marketSeed,
        uint256 tickSeed,
        uint256 askSeed,
        uint256 bidSeed
    ) external {
        calls[msg.sig]++;
        uint256 buyerSeed = sellerSeed + 1 + (buyerOffset % 3);
        uint256 tick = bound(tickSeed, 15, 25);
        mh.place(sellerSeed, marketSeed, false, tick, askSeed, 0);
        mh.place(buyerSeed, marketSeed, true, tick + (bidSeed % 3), bidSeed >> 8, 1);
    }

    function cancel(uint256 actorSeed, uint256 orderSeed) external {
        calls[msg.sig]++;
        mh.cancel(actorSeed, orderSeed);
    }

    function withdraw(uint256 actorSeed, uint256 amount) external {
        calls[msg.sig]++;
        mh.withdraw(actorSeed, amount);
    }

    /// @notice Claims every tracked maker order of a market once its gate has passed.
    function claimAll(uint256 marketSeed) external {
        calls[msg.sig]++;
        mh.claimAll(marketSeed);
    }

    // ------------------------------------------------------------------ time

    /// @notice A short warp, or a jump to the next milestone (gate, slot end, reporting deadline).
    function warp(uint256 seed) external {
        calls[msg.sig]++;
        uint256 t = block.timestamp;
        if (seed % 2 == 0) {
            vm.warp(t + bound(seed >> 8, 1, 600));
        } else {
            uint256 next = type(uint256).max;
            for (uint256 m; m < 2; ++m) {
                uint256 s = mh.slots(m);
                uint256[3] memory ms = [s - GATE_LEAD, s + SLOT, s + SLOT + reportWindow];
                for (uint256 i; i < 3; ++i) if (ms[i] > t && ms[i] < next) next = ms[i];
            }
            if (next == type(uint256).max) next = t + 1;
            vm.warp(next + ((seed >> 8) % 120));
        }
        successes[msg.sig]++;
    }

    // ------------------------------------------------------------------ reports

    /// @notice Reports a random subset of the four meters for a market's slot, signed by a random
    /// subset of at least k signers (ascending). Exported energy is random, sometimes above what
    /// the meter sold.
    function report(uint256 marketSeed, uint256 meterMask, uint256 exportSeed, uint256 signerSeed) external {
        calls[msg.sig]++;
        uint8 m = uint8(marketSeed % 2);
        uint40 slot = mh.slots(m);
        if (block.timestamp < uint256(slot) + SLOT || block.timestamp >= uint256(slot) + SLOT + reportWindow)
            return;
        uint256 n = mh.actorsLength();
        DeliverySettlement.MeterReport[] memory reports = new DeliverySettlement.MeterReport[](n);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            uint32 meterId = mh.meterOf(mh.actors(i));
            if ((meterMask >> i) & 1 == 0 || reported[m][meterId]) continue;
            uint256 sold = market.sale(mh.marketIds(m), meterId).soldWh;
            uint256 seed = uint256(keccak256(abi.encode(exportSeed, i)));
            uint256 exported;
            if (seed % 4 == 0) exported = 0;
            else if (seed % 4 == 1) exported = sold;
            else exported = bound(seed >> 8, 0, sold * 2 + 100);
            reports[count++] = DeliverySettlement.MeterReport(
                meterId,
                slot,
                uint64(seed % 50),
                uint64(exported)
            );
        }
        if (count == 0) return;
        assembly ("memory-safe") {
            mstore(reports, count)
        }
        bytes32 digest = settlement.batchDigest(reports);
        // signers: k..n of them, chosen by the seed, kept in ascending order
        uint256 want = bound(signerSeed, threshold, N_SIGNERS);
        address[] memory who = new address[](want);
        bytes[] memory sigs = new bytes[](want);
        uint256 picked;
        for (uint256 i; i < N_SIGNERS; ++i) {
            uint256 need = want - picked;
            if (need == 0) break;
            if (need < N_SIGNERS - i && (signerSeed >> (8 + i)) & 1 == 1) continue; // left out
            (uint8 v, bytes32 r, bytes32 s) = vmSign.sign(_signerKeys[i], digest);
            who[picked] = signers[i];
            sigs[picked++] = abi.encodePacked(r, s, v);
        }
        // a valid batch must be accepted (failOnRevert is off, so a refusal is counted instead)
        try settlement.submitReports(reports, who, sigs) {} catch {
            reportFailures++;
            return;
        }
        for (uint256 i; i < count; ++i) {
            reported[m][reports[i].meterId] = true;
            exportedOf[m][reports[i].meterId] = reports[i].exportedWh;
        }
        successes[msg.sig]++;
    }

    /// @notice Attests silence (issue 13 F5) for a random subset of the meters of a market's slot
    /// that have neither a report nor an attestation, signed by k of the signers. A silent meter
    /// settles as one that exported nothing, which the invariants check through `exportedOf`.
    function attestSilence(uint256 marketSeed, uint256 meterMask) external {
        calls[msg.sig]++;
        uint8 m = uint8(marketSeed % 2);
        uint40 slot = mh.slots(m);
        if (block.timestamp < uint256(slot) + SLOT || block.timestamp >= uint256(slot) + SLOT + reportWindow)
            return;
        uint256 n = mh.actorsLength();
        uint32[] memory meterIds = new uint32[](n);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            uint32 meterId = mh.meterOf(mh.actors(i));
            if ((meterMask >> i) & 1 == 0 || reported[m][meterId]) continue;
            meterIds[count++] = meterId;
        }
        if (count == 0) return;
        assembly ("memory-safe") {
            mstore(meterIds, count)
        }
        bytes32 digest = settlement.silenceDigest(slot, meterIds);
        address[] memory who = new address[](threshold);
        bytes[] memory sigs = new bytes[](threshold);
        for (uint256 i; i < threshold; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vmSign.sign(_signerKeys[i], digest);
            who[i] = signers[i];
            sigs[i] = abi.encodePacked(r, s, v);
        }
        try settlement.attestSilence(slot, meterIds, who, sigs) {} catch {
            reportFailures++;
            return;
        }
        for (uint256 i; i < count; ++i) {
            reported[m][meterIds[i]] = true;
            exportedOf[m][meterIds[i]] = 0;
        }
        successes[msg.sig]++;
    }

    // ------------------------------------------------------------------ settlement

    function settleSeller(uint256 marketSeed, uint256 meterSeed) external {
        calls[msg.sig]++;
        uint8 m = uint8(marketSeed % 2);
        _settle(m, mh.meterOf(mh.actors(meterSeed % mh.actorsLength())));
    }

    /// @notice Settles every seller of a market, in an order chosen by the seed.
    function settleAll(uint256 marketSeed) external {
        calls[msg.sig]++;
        uint8 m = uint8(marketSeed % 2);
        // past the deadline a keeper claims every maker first (the settlement needs it)
        if (block.timestamp >= uint256(mh.slots(m)) + SLOT + reportWindow) mh.claimAll(m);
        (uint32[] memory sellers, ) = market.marketSellers(mh.marketIds(m), 0, type(uint256).max);
        uint256 start = marketSeed >> 8;
        for (uint256 i; i < sellers.length; ++i) _settle(m, sellers[(start + i) % sellers.length]);
    }

    /// @notice Settles one seller meter with the market's unclaimed maker orders claimed and every
    /// buyer refunded in the same call (DeliverySettlement.settleSale, decision 0028).
    function settleFolded(uint256 marketSeed, uint256 meterSeed) external {
        calls[msg.sig]++;
        uint8 m = uint8(marketSeed % 2);
        uint256 id = mh.marketIds(m);
        uint32 meterId = mh.meterOf(mh.actors(meterSeed % mh.actorsLength()));
        uint256 n = mh.ordersLength();
        uint256[] memory ids = new uint256[](n);
        uint256[] memory idx = new uint256[](n);
        uint64[] memory filled = new uint64[](n);
        uint256 k;
        for (uint256 i; i < n; ++i) {
            MarketHandler.Tracked memory o = mh.orderAt(i);
            if (o.m != m || o.claimed) continue;
            try market.order(o.id) returns (address, uint32, uint64, uint64, uint64 f) {
                (ids[k], idx[k], filled[k]) = (o.id, i, f);
                ++k;
            } catch {}
        }
        assembly ("memory-safe") {
            mstore(ids, k)
        }
        address[] memory buyers = new address[](mh.actorsLength());
        for (uint256 i; i < buyers.length; ++i) buyers[i] = mh.actors(i);
        uint256 treasuryBefore = market.treasuryBalance(COMMUNITY);
        vm.recordLogs();
        try settlement.settleSale(id, meterId, ids, buyers) {
            successes[this.settleFolded.selector]++;
        } catch {
            vm.getRecordedLogs();
            return;
        }
        for (uint256 j; j < k; ++j) mh.noteClaimed(idx[j], filled[j]);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        Settled storage st = _settled[m][meterId];
        if (st.done) balanceViolations++; // settled twice
        uint256 fees;
        uint256 swept;
        for (uint256 i; i < logs.length; ++i) {
            bytes32 sig = logs[i].topics[0];
            if (logs[i].emitter == address(settlement) && sig == SALE_SETTLED_SIG) {
                if (uint32(uint256(logs[i].topics[2])) != meterId) balanceViolations++;
                address seller = address(uint160(uint256(logs[i].topics[3])));
                (
                    uint256 soldWh,
                    uint256 deliveredWh,
                    bool rep,
                    uint256 payout,
                    uint256 fee,
                    uint256 poolShare,
                    uint256 slashed
                ) = abi.decode(logs[i].data, (uint256, uint256, bool, uint256, uint256, uint256, uint256));
                st.done = true;
                st.reported = rep;
                st.soldWh = soldWh;
                st.proceeds = payout + fee + poolShare - slashed;
                st.exportedWh = exportedOf[m][meterId];
                st.payout = payout;
                st.fee = fee;
                st.poolShare = poolShare;
                st.slashed = slashed;
                if (rep != reported[m][meterId]) balanceViolations++;
                uint256 expectDelivered = rep ? _min(st.exportedWh, soldWh) : 0;
                if (deliveredWh != expectDelivered) balanceViolations++;
                if (rep) {
                    anyReported[m] = true;
                    uint256 selfWh = _min(market.position(id, seller).boughtWh, soldWh);
                    committedGhost[seller] += soldWh - selfWh;
                    deliveredGhost[seller] += (expectDelivered * (soldWh - selfWh)) / soldWh;
                }
                sumPayout[m] += payout;
                sumFee[m] += fee;
                sumPoolShare[m] += poolShare;
                sumSlashed[m] += slashed;
                sellersSettled[m]++;
                fees += fee;
            } else if (logs[i].emitter == address(settlement) && sig == REFUND_CLAIMED_SIG) {
                address buyer = address(uint160(uint256(logs[i].topics[2])));
                (uint256 paid, uint256 r) = abi.decode(logs[i].data, (uint256, uint256));
                if (refunded[m][buyer]) balanceViolations++; // refunded twice
                refunded[m][buyer] = true;
                refundOf[m][buyer] = r;
                paidAtRefund[m][buyer] = paid;
                sumRefund[m] += r;
                if (!anyReported[m] && r != paid) refundViolations++;
            } else if (logs[i].emitter == address(market) && sig == ESCROW_SWEPT_SIG) {
                swept += abi.decode(logs[i].data, (uint256));
            }
        }
        if (!st.done) balanceViolations++;
        sumSwept[m] += swept;
        // a buyer the pool covers is refunded in the same call, and only then
        bool final_ = poolFinal(m);
        for (uint256 i; i < buyers.length; ++i) {
            uint256 paid = market.position(id, buyers[i]).paid;
            if ((final_ && paid != 0) != refunded[m][buyers[i]]) refundViolations++;
            if (refunded[m][buyers[i]] && paidAtRefund[m][buyers[i]] != paid) balanceViolations++;
        }
        if (market.treasuryBalance(COMMUNITY) != treasuryBefore + fees + swept) balanceViolations++;
    }

    function claimRefund(uint256 marketSeed, uint256 buyerSeed) external {
        calls[msg.sig]++;
        uint8 m = uint8(marketSeed % 2);
        _refund(m, mh.actors(buyerSeed % mh.actorsLength()));
    }

    /// @notice Claims every buyer's refund of a market, in an order chosen by the seed.
    function claimAllRefunds(uint256 marketSeed) external {
        calls[msg.sig]++;
        uint8 m = uint8(marketSeed % 2);
        uint256 n = mh.actorsLength();
        uint256 start = marketSeed >> 8;
        for (uint256 i; i < n; ++i) _refund(m, mh.actors((start + i) % n));
    }

    // ------------------------------------------------------------------ views for invariants

    function settledOf(uint8 m, uint32 meterId) external view returns (Settled memory) {
        return _settled[m][meterId];
    }

    /// @notice Whether every seller of a market is settled (the refund pool is final).
    function poolFinal(uint8 m) public view returns (bool) {
        MarketTotals memory t = market.marketTotals(mh.marketIds(m));
        return t.tradedWh != 0 && settlement.settlementOf(mh.marketIds(m)).settledSoldWh == t.tradedWh;
    }

    /// @notice Whether a market's pool is final and every buyer has claimed.
    function fullySettled(uint8 m) public view returns (bool) {
        if (!poolFinal(m)) return false;
        uint256 id = mh.marketIds(m);
        for (uint256 i; i < mh.actorsLength(); ++i) {
            address a = mh.actors(i);
            if (market.position(id, a).paid != 0 && !refunded[m][a]) return false;
        }
        return true;
    }

    // ------------------------------------------------------------------ internals

    function _settle(uint8 m, uint32 meterId) internal {
        uint256 id = mh.marketIds(m);
        Sale memory s = market.sale(id, meterId);
        (uint256 freeBefore, uint256 lockedBefore) = market.balanceOf(s.seller);
        uint256 treasuryBefore = market.treasuryBalance(COMMUNITY);
        vm.recordLogs();
        try settlement.settleSeller(id, meterId) {
            successes[this.settleSeller.selector]++;
        } catch {
            vm.getRecordedLogs();
            return;
        }
        Vm.Log[] memory logs = vm.getRecordedLogs();
        Settled storage st = _settled[m][meterId];
        if (st.done) balanceViolations++; // settled twice
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(settlement) || logs[i].topics[0] != SALE_SETTLED_SIG) continue;
            (
                uint256 soldWh,
                uint256 deliveredWh,
                bool rep,
                uint256 payout,
                uint256 fee,
                uint256 poolShare,
                uint256 slashed
            ) = abi.decode(logs[i].data, (uint256, uint256, bool, uint256, uint256, uint256, uint256));
            st.done = true;
            st.reported = rep;
            st.soldWh = soldWh;
            st.proceeds = s.proceeds;
            st.exportedWh = exportedOf[m][meterId];
            st.payout = payout;
            st.fee = fee;
            st.poolShare = poolShare;
            st.slashed = slashed;
            if (rep != reported[m][meterId] || soldWh != s.soldWh) balanceViolations++;
            uint256 expectDelivered = rep ? _min(st.exportedWh, soldWh) : 0;
            if (deliveredWh != expectDelivered) balanceViolations++;
            if (rep) {
                anyReported[m] = true;
                // Self-trades earn no reputation: the part the seller bought itself is left out.
                uint256 selfWh = _min(market.position(mh.marketIds(m), s.seller).boughtWh, soldWh);
                committedGhost[s.seller] += soldWh - selfWh;
                deliveredGhost[s.seller] += (expectDelivered * (soldWh - selfWh)) / soldWh;
            }
        }
        if (!st.done) {
            balanceViolations++;
            return;
        }
        sumPayout[m] += st.payout;
        sumFee[m] += st.fee;
        sumPoolShare[m] += st.poolShare;
        sumSlashed[m] += st.slashed;
        sellersSettled[m]++;
        // the balances moved exactly as the event says
        uint256 bond = uint256(s.soldWh) * BOND_PER_WH;
        (uint256 freeAfter, uint256 lockedAfter) = market.balanceOf(s.seller);
        if (freeAfter != freeBefore + bond - st.slashed + st.payout) balanceViolations++;
        if (lockedAfter + bond != lockedBefore) balanceViolations++;
        if (market.treasuryBalance(COMMUNITY) != treasuryBefore + st.fee) balanceViolations++;
    }

    function _refund(uint8 m, address buyer) internal {
        uint256 id = mh.marketIds(m);
        Position memory pos = market.position(id, buyer);
        (uint256 freeBefore, ) = market.balanceOf(buyer);
        uint256 treasuryBefore = market.treasuryBalance(COMMUNITY);
        vm.recordLogs();
        try settlement.claimRefund(id, buyer) {
            successes[this.claimRefund.selector]++;
        } catch {
            vm.getRecordedLogs();
            return;
        }
        Vm.Log[] memory logs = vm.getRecordedLogs();
        if (refunded[m][buyer]) balanceViolations++; // refunded twice
        uint256 refund;
        uint256 swept;
        bool seen;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(settlement) && logs[i].topics[0] == REFUND_CLAIMED_SIG) {
                (uint256 paid, uint256 r) = abi.decode(logs[i].data, (uint256, uint256));
                if (paid != pos.paid) balanceViolations++;
                refund = r;
                seen = true;
            } else if (logs[i].emitter == address(market) && logs[i].topics[0] == ESCROW_SWEPT_SIG) {
                swept += abi.decode(logs[i].data, (uint256));
            }
        }
        if (!seen) balanceViolations++;
        refunded[m][buyer] = true;
        refundOf[m][buyer] = refund;
        paidAtRefund[m][buyer] = pos.paid;
        sumRefund[m] += refund;
        sumSwept[m] += swept;
        if (!anyReported[m] && refund != pos.paid) refundViolations++;
        (uint256 freeAfter, ) = market.balanceOf(buyer);
        if (freeAfter != freeBefore + refund) balanceViolations++;
        if (market.treasuryBalance(COMMUNITY) != treasuryBefore + swept) balanceViolations++;
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}
