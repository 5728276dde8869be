// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Communities} from "../community/Communities.sol";
import {EnergyMarket} from "../EnergyMarket.sol";
import {MarketTotals, Position} from "../market/MarketTypes.sol";

/// @title DeliverySettlement
/// @notice Meter admission (certificates from each community's meter registrar), meter reports and
/// silence attestations signed by k of n oracle signers, pooled settlement of each market against
/// them, and every seller's delivery record.
/// @dev Order of steps for a market (community, slot):
///  1. Gate: matching stops. Anyone claims the maker orders (`EnergyMarket.claim`), which makes every
///     fill final and attributes it (bids to buyers' positions, asks to seller meters' sales).
///  2. Slot end: the oracles report each meter's measured import/export until the reporting deadline
///     (slot end + `reportWindow`).
///  3. Deadline: once every fill is attributed, anyone settles each seller meter (`settleSeller`):
///     with delivery ratio r = min(1, exported / sold) the seller gets proceeds × r less the community
///     fee, the rest of its proceeds and the share (1 − r) of its bond go to the market's refund pool.
///     A meter the oracles attested silent (`attestSilence`: it sold but sent no reading) settles
///     exactly as one that delivered nothing: its bond is slashed and its record gains the sale with
///     nothing delivered. No report and no attestation by the deadline means the oracles were down:
///     the buyers are refunded in full, the bond is released, nobody is slashed and reputation is
///     untouched (decision 0023).
///  4. When every seller meter is settled the refund pool is final; each buyer claims
///     pool × paid / tradedValue (`claimRefund`). The last claim's rounding dust goes to the treasury.
/// Every step is permissionless and idempotent; funds move only inside EnergyMarket balances.
contract DeliverySettlement is AccessControl, EIP712 {
    /// @notice Manages the oracle signer set and the threshold.
    bytes32 public constant ORACLE_ADMIN_ROLE = keccak256("ORACLE_ADMIN_ROLE");

    bytes32 public constant METER_REPORT_TYPEHASH = keccak256(
        "MeterReport(uint32 meterId,uint40 slotStart,uint64 importedWh,uint64 exportedWh)"
    );
    bytes32 public constant REPORT_BATCH_TYPEHASH = keccak256(
        abi.encodePacked(
            "ReportBatch(MeterReport[] reports)",
            "MeterReport(uint32 meterId,uint40 slotStart,uint64 importedWh,uint64 exportedWh)"
        )
    );

    /// @notice A batch of silence attestations: meters that sold in `slotStart`'s market and sent
    /// no reading for the slot.
    bytes32 public constant SILENCE_BATCH_TYPEHASH = keccak256(
        "SilenceBatch(uint40 slotStart,uint32[] meterIds)"
    );

    /// @notice EIP-712 type of a meter certificate: the community's meter registrar (an installer
    /// or the grid operator, never the meter's owner) vouches for the device key and rated power of
    /// the owner's meter.
    bytes32 public constant METER_CERTIFICATE_TYPEHASH = keccak256(
        "MeterCertificate(uint32 communityId,address owner,uint8 kind,uint32 capacityW,address deviceKey,uint40 deadline)"
    );

    /// @notice Prior added to every seller's record so newcomers start reasonable: 8 of 10 kWh.
    uint256 public constant PRIOR_COMMITTED_WH = 10_000;
    uint256 public constant PRIOR_DELIVERED_WH = 8_000;

    /// @notice Largest energies a report can carry (1.07 GWh imported, 4.3 GWh exported per slot).
    uint256 public constant MAX_IMPORTED_WH = (1 << 30) - 1;
    uint256 public constant MAX_EXPORTED_WH = (1 << 32) - 1;

    /// @notice A meter's measurement for one slot.
    struct MeterReport {
        uint32 meterId;
        uint40 slotStart;
        uint64 importedWh;
        uint64 exportedWh;
    }

    /// @notice A meter as its registrar certified it; `kind` as Communities.MeterKind.
    struct MeterCertificate {
        uint32 communityId;
        address owner;
        uint8 kind;
        uint32 capacityW;
        address deviceKey;
        uint40 deadline; // the last second the certificate may be used
    }

    /// @notice A seller's delivery record over all its settled sales.
    struct Reputation {
        uint128 committedWh;
        uint128 deliveredWh;
    }

    /// @notice Settlement progress of a market.
    struct MarketSettlement {
        uint64 settledSoldWh; // energy of the seller meters settled so far
        uint128 refundPool; // quote owed to the buyers, shared pro rata to what they paid
        uint64 sellers; // seller meters settled
        uint128 refundedPaid; // paid value of the buyers refunded so far
        uint128 refunded; // quote refunded so far
    }

    /// @dev What settlement takes out of the market for one seller meter (EnergyMarket.takeSale,
    /// decoded): the meter's whole sale once its ask orders are resolved, and the market figures
    /// settlement needs.
    struct SaleTaken {
        address seller;
        uint256 soldWh;
        uint256 proceeds;
        uint256 bond; // locked in the seller's balance until EnergyMarket.settleSeller
        uint256 boughtWh; // what the seller itself bought in the market
        uint256 slotLength;
        uint256 tradedWh;
        uint256 resolvedAskWh;
        uint256 tradedValue;
        uint256 feeBps; // the market's fee, fixed at its first trade
        uint256 pendingBidValue;
    }

    /// @dev One seller meter's settlement amounts.
    struct Amounts {
        uint256 delivered;
        uint256 gross;
        uint256 fee;
        uint256 slashed;
        uint16 factorBps; // zero: no record added, the bond factor stays
    }

    EnergyMarket public immutable market;
    /// @notice Seconds after a slot's end during which its reports are accepted.
    uint32 public immutable reportWindow;

    mapping(address signer => bool) public isOracleSigner;
    uint16 public signerCount;
    uint16 public threshold;

    // Four reports per word: (meterId >> 2) << 40 | slotStart => lane (meterId & 3) of 64 bits,
    // each `1 << 63 | importedWh << 32 | exportedWh`, or `1 << 63 | 1 << 62` for a meter attested
    // silent (which reads as zero energy). Oracles post meters in ascending order, so a
    // batch pays one fresh word per four meters.
    mapping(uint256 key => uint256) internal _reports;
    // Settlement progress of each market in one word (see MarketSettlement): settledSoldWh (48) |
    // refundPool (64) | refundedPaid (48) | refunded (64) | sellers (32). Energy and paid value are
    // bounded by the market totals (< 2^48); pool and refunds by the quote token's supply (< 2^63).
    mapping(uint256 marketId => uint256) internal _settlements;
    mapping(address seller => Reputation) internal _reputation;
    /// @notice The account that certifies a community's meters; zero: the community's admin.
    mapping(uint32 communityId => address) public meterRegistrar;
    /// @notice Certificates already used (by digest): each registers one meter. That a device key
    /// serves one meter only is the registrar's to ensure (it knows its devices).
    mapping(bytes32 digest => bool) public certificateUsed;

    /// @notice The community's meters are certified by `registrar` from now on (zero: its admin).
    event MeterRegistrarSet(uint32 indexed communityId, address indexed registrar);
    event OracleSignerSet(address indexed signer, bool enabled);
    event ThresholdSet(uint16 threshold);
    event MeterReported(
        uint32 indexed meterId,
        uint40 indexed slotStart,
        uint64 importedWh,
        uint64 exportedWh
    );
    event SaleSettled(
        uint256 indexed marketId,
        uint32 indexed meterId,
        address indexed seller,
        uint256 soldWh,
        uint256 deliveredWh,
        bool reported,
        uint256 payout,
        uint256 fee,
        uint256 refunded,
        uint256 bondSlashed
    );
    /// @notice The oracles attested that the meter sent no reading for the slot: it settles as
    /// having delivered nothing.
    event MeterSilent(uint32 indexed meterId, uint40 indexed slotStart);
    event RefundPoolFinal(uint256 indexed marketId, uint256 refundPool, uint256 tradedValue);
    event RefundClaimed(uint256 indexed marketId, address indexed buyer, uint256 paid, uint256 refund);
    event ReputationUpdated(address indexed seller, uint256 committedWh, uint256 deliveredWh);

    error NotCommunityAdmin(uint32 communityId, address account);
    error CertificateExpired(uint40 deadline);
    error InvalidMeterCertificate(address registrar);
    error SelfCertifiedMeter(uint32 communityId, address owner);
    error CertificateUsed(bytes32 digest);
    error InvalidThreshold(uint16 threshold, uint16 signerCount);
    error NotEnoughSignatures(uint256 given, uint16 threshold);
    error SignersNotSorted(address signer);
    error SignatureLengthMismatch();
    error NotOracleSigner(address signer);
    error InvalidSignature(address signer);
    error EmptyBatch();
    error UnknownMeter(uint32 meterId);
    error ReportExists(uint32 meterId, uint40 slotStart);
    error ReportOutOfRange(uint32 meterId, uint40 slotStart);
    error SlotNotEnded(uint32 meterId, uint40 slotStart);
    error ReportTooLate(uint32 meterId, uint40 slotStart);
    error SettlementNotReady(uint256 marketId, string reason);
    error NoSale(uint256 marketId, uint32 meterId);
    error RefundPoolNotFinal(uint256 marketId);
    error NothingPaid(uint256 marketId, address buyer);

    /// @param market_ The market whose escrow this contract settles (it must hold SETTLER_ROLE).
    /// @param admin Default admin and oracle admin.
    /// @param reportWindow_ Seconds after a slot's end during which its reports are accepted.
    constructor(EnergyMarket market_, address admin, uint32 reportWindow_) EIP712("PowerShare", "1") {
        market = market_;
        reportWindow = reportWindow_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ORACLE_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- meter admission

    /// @notice Names the account that certifies a community's meters (the community's admin): an
    /// installer's key or a contract (ERC-1271). Zero hands the task back to the admin.
    /// @param communityId The community.
    /// @param registrar The registrar.
    function setMeterRegistrar(uint32 communityId, address registrar) external {
        if (market.community(communityId).admin != msg.sender) {
            revert NotCommunityAdmin(communityId, msg.sender);
        }
        meterRegistrar[communityId] = registrar;
        emit MeterRegistrarSet(communityId, registrar);
    }

    /// @notice The account whose certificates admit a community's meters: its meter registrar, or
    /// its admin if none is set.
    function registrarOf(uint32 communityId) public view returns (address registrar) {
        registrar = meterRegistrar[communityId];
        if (registrar == address(0)) registrar = market.community(communityId).admin;
    }

    /// @notice The EIP-712 digest a registrar signs to certify a meter.
    function certificateDigest(MeterCertificate calldata c) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        METER_CERTIFICATE_TYPEHASH,
                        c.communityId,
                        c.owner,
                        c.kind,
                        c.capacityW,
                        c.deviceKey,
                        c.deadline
                    )
                )
            );
    }

    /// @notice Registers a meter in EnergyMarket as its community's registrar certified it (anyone
    /// may submit; the meter goes to `c.owner`, who must be a member). The registrar must not be
    /// the owner: no seller vouches for its own meter's device key and capacity. Each certificate
    /// registers one meter.
    /// @param c The certificate.
    /// @param signature The registrar's signature over `certificateDigest(c)` (ECDSA, or ERC-1271
    /// for a contract registrar).
    /// @return meterId The new meter's id.
    function registerMeter(
        MeterCertificate calldata c,
        bytes calldata signature
    ) external returns (uint32 meterId) {
        if (block.timestamp > c.deadline) revert CertificateExpired(c.deadline);
        bytes32 digest = certificateDigest(c);
        if (certificateUsed[digest]) revert CertificateUsed(digest);
        address registrar = registrarOf(c.communityId);
        if (registrar == c.owner) revert SelfCertifiedMeter(c.communityId, c.owner);
        if (!SignatureChecker.isValidSignatureNow(registrar, digest, signature)) {
            revert InvalidMeterCertificate(registrar);
        }
        certificateUsed[digest] = true;
        meterId = market.registerMeter(
            c.owner,
            c.communityId,
            Communities.MeterKind(c.kind),
            c.capacityW,
            c.deviceKey
        );
    }

    // ---------------------------------------------------------------- oracle set

    /// @notice Adds or removes an oracle signer (oracle admin). An EOA or an ERC-1271 contract.
    /// @param signer The signer.
    /// @param enabled Whether it may sign reports.
    function setOracleSigner(address signer, bool enabled) public onlyRole(ORACLE_ADMIN_ROLE) {
        if (isOracleSigner[signer] == enabled) return;
        isOracleSigner[signer] = enabled;
        uint16 count = enabled ? signerCount + 1 : signerCount - 1;
        if (count < threshold) revert InvalidThreshold(threshold, count);
        signerCount = count;
        emit OracleSignerSet(signer, enabled);
    }

    /// @notice Adds oracle signers and sets k in one call (oracle admin), e.g. at deployment.
    /// @param signers Signers to enable.
    /// @param k The new threshold.
    function setOracleSigners(address[] calldata signers, uint16 k) external {
        for (uint256 i; i < signers.length; ++i) setOracleSigner(signers[i], true);
        setThreshold(k);
    }

    /// @notice Sets k, the number of distinct signers a report batch needs (oracle admin).
    /// @param k At least 1 and at most the number of signers.
    function setThreshold(uint16 k) public onlyRole(ORACLE_ADMIN_ROLE) {
        if (k == 0 || k > signerCount) revert InvalidThreshold(k, signerCount);
        threshold = k;
        emit ThresholdSet(k);
    }

    // ---------------------------------------------------------------- reports

    /// @notice The EIP-712 digest the oracle signers sign for a batch of reports.
    function batchDigest(MeterReport[] calldata reports) public view returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](reports.length);
        for (uint256 i; i < reports.length; ++i) {
            MeterReport calldata r = reports[i];
            hashes[i] = keccak256(
                abi.encode(METER_REPORT_TYPEHASH, r.meterId, r.slotStart, r.importedWh, r.exportedWh)
            );
        }
        return
            _hashTypedDataV4(
                keccak256(abi.encode(REPORT_BATCH_TYPEHASH, keccak256(abi.encodePacked(hashes))))
            );
    }

    /// @notice The EIP-712 digest the oracle signers sign for a batch of silence attestations.
    function silenceDigest(uint40 slotStart, uint32[] calldata meterIds) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(SILENCE_BATCH_TYPEHASH, slotStart, keccak256(abi.encodePacked(meterIds)))
                )
            );
    }

    /// @notice Records a batch of meter reports signed by at least `threshold` oracle signers.
    /// @dev Signers are passed in strictly ascending order (no duplicates). Each report must be for
    /// a registered meter and a slot that has ended, within the reporting window, and not yet
    /// reported; any bad report reverts the whole batch.
    /// @param reports The reports.
    /// @param signers The signers, strictly ascending.
    /// @param signatures One signature per signer over `batchDigest(reports)`.
    function submitReports(
        MeterReport[] calldata reports,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external {
        if (reports.length == 0) revert EmptyBatch();
        _checkSignatures(batchDigest(reports), signers, signatures);
        uint32[] memory meterIds = new uint32[](reports.length);
        for (uint256 i; i < reports.length; ++i) meterIds[i] = reports[i].meterId;
        uint256[] memory slotLengths = market.meterSlotLengths(meterIds);
        for (uint256 i; i < reports.length; ++i) {
            MeterReport calldata r = reports[i];
            if (slotLengths[i] == 0) revert UnknownMeter(r.meterId);
            if (r.importedWh > MAX_IMPORTED_WH || r.exportedWh > MAX_EXPORTED_WH) {
                revert ReportOutOfRange(r.meterId, r.slotStart);
            }
            _store(
                r.meterId,
                r.slotStart,
                slotLengths[i],
                (1 << 63) | (uint256(r.importedWh) << 32) | r.exportedWh
            );
            emit MeterReported(r.meterId, r.slotStart, r.importedWh, r.exportedWh);
        }
    }

    /// @notice Records that meters sent no reading for a slot, signed by at least `threshold`
    /// oracle signers. The oracles attest silence for every meter that sold in the slot's market
    /// and whose device sent them nothing; settlement treats such a meter as having delivered
    /// nothing (bond slashed, reputation charged). A meter has either a report or an attestation
    /// for a slot, never both; the same window and checks as `submitReports` apply.
    /// @param slotStart The slot.
    /// @param meterIds The silent meters.
    /// @param signers The signers, strictly ascending.
    /// @param signatures One signature per signer over `silenceDigest(slotStart, meterIds)`.
    function attestSilence(
        uint40 slotStart,
        uint32[] calldata meterIds,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external {
        if (meterIds.length == 0) revert EmptyBatch();
        _checkSignatures(silenceDigest(slotStart, meterIds), signers, signatures);
        uint256[] memory slotLengths = market.meterSlotLengths(meterIds);
        for (uint256 i; i < meterIds.length; ++i) {
            if (slotLengths[i] == 0) revert UnknownMeter(meterIds[i]);
            _store(meterIds[i], slotStart, slotLengths[i], (1 << 63) | (1 << 62));
            emit MeterSilent(meterIds[i], slotStart);
        }
    }

    /// @dev Reverts unless `signers` (strictly ascending, at least `threshold` oracle signers) all
    /// signed `digest`.
    function _checkSignatures(
        bytes32 digest,
        address[] calldata signers,
        bytes[] calldata signatures
    ) private view {
        if (signers.length != signatures.length) revert SignatureLengthMismatch();
        if (signers.length < threshold || threshold == 0)
            revert NotEnoughSignatures(signers.length, threshold);
        address previous;
        for (uint256 i; i < signers.length; ++i) {
            address signer = signers[i];
            if (signer <= previous) revert SignersNotSorted(signer);
            if (!isOracleSigner[signer]) revert NotOracleSigner(signer);
            if (!SignatureChecker.isValidSignatureNow(signer, digest, signatures[i]))
                revert InvalidSignature(signer);
            previous = signer;
        }
    }

    /// @dev Stores a meter's 64-bit lane for a slot that has ended, within the reporting window,
    /// unless the meter already has a report or an attestation for it.
    function _store(uint32 meterId, uint40 slotStart, uint256 slotLength, uint256 lane) private {
        uint256 slotEnd = uint256(slotStart) + slotLength;
        if (block.timestamp < slotEnd) revert SlotNotEnded(meterId, slotStart);
        if (block.timestamp >= slotEnd + reportWindow) revert ReportTooLate(meterId, slotStart);
        uint256 key = (uint256(meterId >> 2) << 40) | slotStart;
        uint256 shift = uint256(meterId & 3) << 6;
        uint256 word = _reports[key];
        if ((word >> shift) & (1 << 63) != 0) revert ReportExists(meterId, slotStart);
        _reports[key] = word | (lane << shift);
    }

    /// @notice Whether the oracles attested that the meter sent no reading for the slot.
    function isSilent(uint32 meterId, uint40 slotStart) external view returns (bool) {
        return (_report(meterId, slotStart) >> 62) == 3;
    }

    /// @notice A meter's report for a slot (a silent meter's reads as existing, with zero energy).
    function reportOf(
        uint32 meterId,
        uint40 slotStart
    ) external view returns (bool exists, uint64 importedWh, uint64 exportedWh) {
        uint256 rep = _report(meterId, slotStart);
        return (rep != 0, uint64((rep >> 32) & MAX_IMPORTED_WH), uint64(rep & MAX_EXPORTED_WH));
    }

    /// @dev A report's 64-bit lane: zero when absent, else `1 << 63 | importedWh << 32 | exportedWh`.
    function _report(uint32 meterId, uint40 slotStart) internal view returns (uint256) {
        return
            (_reports[(uint256(meterId >> 2) << 40) | slotStart] >> (uint256(meterId & 3) << 6)) &
            type(uint64).max;
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Whether a market can be settled now, and if not, why.
    function settlementStatus(uint256 marketId) public view returns (bool ready, string memory reason) {
        return
            _status(
                marketId,
                market.community(uint32(marketId >> 40)).slotLength,
                market.marketTotals(marketId)
            );
    }

    function _status(
        uint256 marketId,
        uint256 slotLength,
        MarketTotals memory t
    ) private view returns (bool ready, string memory reason) {
        if (slotLength == 0) return (false, "unknown community");
        if (block.timestamp < uint256(uint40(marketId)) + slotLength + reportWindow) {
            return (false, "reporting window open");
        }
        if (t.resolvedAskWh != t.tradedWh) return (false, "ask makers unclaimed");
        if (market.pendingBidValue(marketId) != 0) return (false, "bid makers unclaimed");
        return (true, "");
    }

    /// @notice Settles one seller meter of a market against its report (anyone, once): as
    /// `settleSale` with no orders to resolve (every ask maker already claimed).
    /// @param marketId The market.
    /// @param meterId A meter that sold in the market.
    function settleSeller(uint256 marketId, uint32 meterId) public {
        _settle(marketId, meterId, new uint256[](0));
    }

    /// @notice Claims maker orders and settles one seller meter against its report (anyone), and
    /// once the market's refund pool is final, refunds buyers: a trade's maker claims and refunds
    /// are folded into its settlement transaction. Each claim still emits `OrderClaimed`, each
    /// refund `RefundClaimed` and `BuyerRefunded`, as the separate calls do.
    /// Once the orders are claimed, every filled ask of the market must be (`resolvedAskWh ==
    /// tradedWh`) and every bid maker claimed; a market whose makers are one seller's settles it by
    /// passing that seller's orders (other sellers' claimed orders are attributed to their sales).
    /// A meter settles once: its sale leaves the market (a second call finds no sale).
    /// @param marketId The market.
    /// @param meterId A meter that sold in the market.
    /// @param orderIds Unclaimed maker orders to claim first (typically the seller's asks; may be
    /// empty).
    /// @param buyers Buyers to refund if this settlement makes the refund pool final (or it is
    /// already); those already refunded or that paid nothing are skipped.
    function settleSale(
        uint256 marketId,
        uint32 meterId,
        uint256[] calldata orderIds,
        address[] calldata buyers
    ) external {
        _settle(marketId, meterId, orderIds);
        uint256 w = _settlements[marketId];
        MarketTotals memory t = market.marketTotals(marketId);
        if (buyers.length == 0 || uint48(w) != t.tradedWh) return;
        for (uint256 i; i < buyers.length; ++i) {
            if (market.refundClaimed(marketId, buyers[i])) continue;
            uint256 paid = market.position(marketId, buyers[i]).paid;
            if (paid != 0) w = _refund(marketId, buyers[i], w, paid, t.tradedValue);
        }
    }

    function _settle(uint256 marketId, uint32 meterId, uint256[] memory orderIds) private {
        SaleTaken memory s;
        {
            (uint256 sw, uint256 bond, uint256 tw, uint256 misc) = market.takeSale(
                marketId,
                meterId,
                orderIds
            );
            (s.seller, s.soldWh, s.proceeds, s.bond) = (
                address(uint160(sw)),
                uint48(sw >> 160),
                sw >> 208,
                bond
            );
            (s.boughtWh, s.slotLength, s.pendingBidValue) = (uint64(misc), uint24(misc >> 64), misc >> 88);
            (s.tradedWh, s.resolvedAskWh) = (uint64(tw), uint64(tw >> 64));
            (s.tradedValue, s.feeBps) = (uint48(tw >> 128), uint16(tw >> 240));
        }
        if (s.slotLength == 0) revert NoSale(marketId, meterId); // no such community
        if (block.timestamp < uint256(uint40(marketId)) + s.slotLength + reportWindow) {
            revert SettlementNotReady(marketId, "reporting window open");
        }
        if (s.resolvedAskWh != s.tradedWh) revert SettlementNotReady(marketId, "ask makers unclaimed");
        if (s.pendingBidValue != 0) revert SettlementNotReady(marketId, "bid makers unclaimed");
        if (s.soldWh == 0) revert NoSale(marketId, meterId);

        uint256 rep = _report(meterId, uint40(marketId));
        Amounts memory a;
        a.delivered = rep == 0 ? 0 : Math.min(rep & MAX_EXPORTED_WH, s.soldWh);
        if (rep != 0) {
            // Seller amounts round down; what the buyers and the bond lose rounds in their favour.
            a.gross = Math.mulDiv(s.proceeds, a.delivered, s.soldWh);
            a.fee = (a.gross * s.feeBps) / 10_000; // the fee in force when the market traded
            a.slashed = s.bond - Math.mulDiv(s.bond, a.delivered, s.soldWh);
            a.factorBps = _recordDelivery(s, a.delivered);
        }
        uint256 refund = s.proceeds - a.gross + a.slashed;
        uint256 w = _settlements[marketId];
        uint256 settledSoldWh = uint48(w) + s.soldWh; // ≤ tradedWh < 2^48
        uint256 pool = uint64(w >> 48) + refund;
        if (pool > type(uint64).max) revert SettlementNotReady(marketId, "refund pool overflow");
        _settlements[marketId] =
            settledSoldWh |
            (pool << 48) |
            (w & (((1 << 112) - 1) << 112)) |
            ((uint256(uint32(w >> 224)) + 1) << 224);
        emit SaleSettled(
            marketId,
            meterId,
            s.seller,
            s.soldWh,
            a.delivered,
            rep != 0,
            a.gross - a.fee,
            a.fee,
            refund,
            a.slashed
        );
        if (settledSoldWh == s.tradedWh) emit RefundPoolFinal(marketId, pool, s.tradedValue);
        market.settleSeller(marketId, meterId, a.gross - a.fee, a.fee, a.slashed, a.factorBps);
    }

    /// @dev Adds a reported sale to its seller's delivery record and returns the seller's new bond
    /// factor (zero if nothing was added). Self-trades earn no reputation: the part of the sale the
    /// seller itself bought in the market is left out (and the delivery pro rata with it).
    function _recordDelivery(SaleTaken memory s, uint256 delivered) private returns (uint16) {
        uint256 selfWh = Math.min(s.boughtWh, s.soldWh);
        if (selfWh == s.soldWh) return 0;
        Reputation storage r = _reputation[s.seller];
        Reputation memory m = r;
        m.committedWh += uint128(s.soldWh - selfWh);
        m.deliveredWh += uint128(Math.mulDiv(delivered, s.soldWh - selfWh, s.soldWh));
        // One write of the record's word (a field-by-field update writes it twice).
        assembly ("memory-safe") {
            sstore(r.slot, or(mload(m), shl(128, mload(add(m, 0x20)))))
        }
        emit ReputationUpdated(s.seller, m.committedWh, m.deliveredWh);
        return _factorOf(m);
    }

    /// @notice Settles several seller meters of a market (anyone); meters with nothing left to
    /// settle (settled already, or no sale) are skipped.
    function settleSellers(uint256 marketId, uint32[] calldata meterIds) external {
        for (uint256 i; i < meterIds.length; ++i) {
            if (!sellerSettled(marketId, meterIds[i])) settleSeller(marketId, meterIds[i]);
        }
    }

    /// @notice Whether a seller meter of a market has nothing left to settle: it was settled (its
    /// sale left the market) or it has no attributed sale (a maker's unclaimed fill is settled
    /// with `settleSale`).
    function sellerSettled(uint256 marketId, uint32 meterId) public view returns (bool) {
        return market.sale(marketId, meterId).soldWh == 0;
    }

    /// @notice Whether a buyer's refund of a market has been paid.
    function refundClaimed(uint256 marketId, address buyer) external view returns (bool) {
        return market.refundClaimed(marketId, buyer);
    }

    /// @notice Pays a buyer its share of the market's refund pool (anyone, once per buyer; the
    /// buyer may also claim through `EnergyMarket.claimRefunds` inside its own next call).
    /// @param marketId The market; every seller meter must be settled.
    /// @param buyer The buyer, credited in its EnergyMarket balance.
    function claimRefund(uint256 marketId, address buyer) public {
        uint256 w = _settlements[marketId];
        MarketTotals memory t = market.marketTotals(marketId);
        if (t.tradedWh == 0 || uint48(w) != t.tradedWh) revert RefundPoolNotFinal(marketId);
        Position memory pos = market.position(marketId, buyer);
        if (pos.paid == 0) revert NothingPaid(marketId, buyer);
        _refund(marketId, buyer, w, pos.paid, t.tradedValue);
    }

    /// @dev Pays one buyer pool × paid / tradedValue from a final refund pool (settlement word `w`)
    /// and returns the updated word. The last buyer's refund also sweeps the pool's rounding dust
    /// to the treasury. A buyer already refunded makes the market revert (AlreadyClaimed).
    function _refund(
        uint256 marketId,
        address buyer,
        uint256 w,
        uint256 paid,
        uint256 tradedValue
    ) private returns (uint256) {
        uint256 pool = uint64(w >> 48);
        uint256 refund = Math.mulDiv(pool, paid, tradedValue);
        uint256 refundedPaid = uint48(w >> 112) + paid; // ≤ tradedValue < 2^48
        uint256 refunded = uint64(w >> 160) + refund; // ≤ pool
        w =
            (w & ~(uint256((1 << 112) - 1) << 112)) |
            (refundedPaid << 112) |
            (refunded << 160) |
            (w & (uint256(type(uint32).max) << 224));
        _settlements[marketId] = w;
        emit RefundClaimed(marketId, buyer, paid, refund);
        uint256 swept = refundedPaid == tradedValue ? pool - refunded : 0;
        market.refundBuyer(marketId, buyer, refund, swept);
        return w;
    }

    /// @notice A market's settlement progress.
    function settlementOf(uint256 marketId) external view returns (MarketSettlement memory st) {
        uint256 w = _settlements[marketId];
        st.settledSoldWh = uint48(w);
        st.refundPool = uint64(w >> 48);
        st.refundedPaid = uint48(w >> 112);
        st.refunded = uint64(w >> 160);
        st.sellers = uint32(w >> 224);
    }

    // ---------------------------------------------------------------- reputation

    /// @notice The bond factor of a seller, in basis points of a community's bond, for communities
    /// that size bonds by reputation: 10,000 at the prior's score (80%), falling by 5 bps per bps
    /// of score above it down to a quarter (2,500) and rising below it up to twice the bond (20,000).
    function bondFactorOf(address seller) public view returns (uint16) {
        return _factorOf(_reputation[seller]);
    }

    function _factorOf(Reputation memory r) private pure returns (uint16) {
        uint256 score =
            ((uint256(r.deliveredWh) + PRIOR_DELIVERED_WH) * 10_000) /
                (uint256(r.committedWh) + PRIOR_COMMITTED_WH);
        uint256 factor =
            score >= 8_000
                ? 10_000 - Math.min((score - 8_000) * 5, 7_500)
                : Math.min(10_000 + (8_000 - score) * 5, 20_000);
        return uint16(factor);
    }

    /// @notice A seller's delivery record and its score in basis points, with the prior included.
    function reputationOf(
        address seller
    ) public view returns (uint256 committedWh, uint256 deliveredWh, uint256 scoreBps) {
        Reputation memory r = _reputation[seller];
        scoreBps =
            ((uint256(r.deliveredWh) + PRIOR_DELIVERED_WH) * 10_000) /
            (uint256(r.committedWh) + PRIOR_COMMITTED_WH);
        return (r.committedWh, r.deliveredWh, scoreBps);
    }
}
