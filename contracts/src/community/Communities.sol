// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title Communities
/// @notice Energy communities (a cooperative, a building, a microgrid), their members and meters.
/// A community fixes how its markets run: slot length, gate-closure lead, trading horizon, tick
/// size, minimum order, seller bond, fee and an optional Chainlink reference-price band.
abstract contract Communities {
    /// @notice Kinds of meter; the order is part of the ABI.
    enum MeterKind {
        Producer,
        Consumer,
        Prosumer,
        Storage
    }

    /// @notice Parameters a community is created with.
    struct CommunityParams {
        uint32 slotLength; // seconds per delivery slot (a divisor of a day is typical: 900)
        uint32 gateLead; // seconds before a slot starts when its market closes
        uint32 horizon; // seconds ahead of a slot's start when its market opens
        uint64 tickSize; // quote base units per kWh between adjacent price ticks; a multiple of 1000
        uint64 minOrderWh; // smallest order, in Wh
        uint64 bondPerKwh; // seller bond locked per kWh offered, quote base units; a multiple of 1000
        uint16 feeBps; // community fee on delivered energy, basis points
        address priceFeed; // optional Chainlink reference price (quote tokens per kWh); zero for none
        uint16 bandBps; // orders farther than this from the reference are refused
        uint32 maxFeedAge; // a reference older than this is stale
    }

    /// @notice A community as stored. The first word holds everything order entry reads; the
    /// reference feed is read only by communities that set a band, and the scheduled fee only by
    /// the first trade of a market while a change is scheduled (`feeScheduled`).
    /// Fee schedule: `feeBps` applies to markets whose slot starts before `nextFeeFrom`,
    /// `nextFeeBps` from it on (when `feeScheduled`). A change is always scheduled for markets that
    /// are not open yet, so no order ever trades at a fee it was not placed under.
    struct Community {
        uint24 slotLength;
        uint24 gateLead;
        uint24 horizon;
        uint64 tickSize;
        uint24 minOrderWh;
        uint16 feeBps;
        uint16 bandBps;
        uint32 bondPerWh;
        uint8 halted; // HALTED_BY_GUARDIAN: order entry refused (a pause is a separate, global flag)
        bool reputationBonds; // size each seller's bond by its delivery record
        bool feeScheduled; // nextFeeBps applies to slots from nextFeeFrom
        address priceFeed;
        uint32 maxFeedAge;
        uint16 nextFeeBps;
        uint40 nextFeeFrom;
        address admin;
        uint32 members;
        uint32 admitted; // members admitted by the admin (and the creator): the treasury electorate
    }

    /// @notice A meter as stored. `tradableFrom`: after a transfer, the new owner may trade the
    /// meter only in slots starting at or after the transfer plus the community's horizon, so every
    /// market sees one owner per meter.
    struct Meter {
        address owner;
        uint32 communityId;
        MeterKind kind;
        bool active;
        uint40 tradableFrom;
        address deviceKey;
        uint32 capacityW;
    }

    uint8 internal constant HALTED_BY_GUARDIAN = 1;

    uint16 public constant MAX_FEE_BPS = 1_000;
    uint16 public constant MAX_BAND_BPS = 10_000;
    /// @notice The largest order, in Wh (see CancelTree).
    uint256 public constant MAX_ORDER_WH = (1 << 24) - 1;

    /// @notice Number of communities created; ids run from 1.
    uint32 public communityCount;
    /// @notice Number of meters registered; ids run from 1.
    uint32 public meterCount;

    mapping(uint32 communityId => Community) internal _communities;
    /// @notice The block at which an account joined a community; zero for non-members. Treasury
    /// votes count the members who had joined before a proposal was made.
    mapping(uint32 communityId => mapping(address account => uint256 blockNumber)) public memberSince;
    mapping(uint32 meterId => Meter) internal _meters;
    /// @notice Whether joining a community takes its admin's admission.
    mapping(uint32 communityId => bool) public admissionRequired;
    /// @notice The block at which the community's admin admitted an account (the creator: at
    /// creation); zero for members who joined by themselves and for non-members. Only admitted
    /// members vote on treasury payouts, so votes cannot be multiplied by joining with many
    /// accounts.
    mapping(uint32 communityId => mapping(address account => uint256 blockNumber)) public admittedSince;

    event CommunityCreated(
        uint32 indexed communityId,
        address indexed admin,
        string name,
        CommunityParams params
    );
    /// @notice A scheduled fee change took the place of the community's fee (`feeBps` now applies
    /// to every market not yet traded whose slot starts before the next scheduled change).
    event CommunityFeeChanged(uint32 indexed communityId, uint16 feeBps);
    /// @notice The community fee will be `feeBps` for the markets whose slot starts at or after
    /// `effectiveFrom` (the first slot whose market is not open yet).
    event CommunityFeeScheduled(uint32 indexed communityId, uint16 feeBps, uint40 effectiveFrom);
    event CommunityPriceBandChanged(
        uint32 indexed communityId,
        address priceFeed,
        uint16 bandBps,
        uint32 maxFeedAge
    );
    event CommunityAdminChanged(uint32 indexed communityId, address indexed admin);
    event ReputationBondsSet(uint32 indexed communityId, bool enabled);
    event MemberJoined(uint32 indexed communityId, address indexed account);
    event AdmissionRequiredSet(uint32 indexed communityId, bool required);
    /// @notice The admin admitted `account` (a new member, or one who had joined by itself).
    event MemberAdmitted(uint32 indexed communityId, address indexed account);
    event MeterRegistered(
        uint32 indexed meterId,
        address indexed owner,
        uint32 indexed communityId,
        uint8 kind,
        uint32 capacityW,
        address deviceKey
    );
    event MeterTransferred(uint32 indexed meterId, address indexed from, address indexed to);
    event MeterDeactivated(uint32 indexed meterId);

    error UnknownCommunity(uint32 communityId);
    error NotCommunityAdmin(uint32 communityId, address account);
    error NotMember(uint32 communityId, address account);
    error AlreadyMember(uint32 communityId, address account);
    error AdmissionRequired(uint32 communityId);
    error InvalidCommunityParams(bytes32 field);
    error FeeChangePending(uint32 communityId, uint40 effectiveFrom);
    error UnknownMeter(uint32 meterId);
    error NotMeterOwner(uint32 meterId, address account);
    error MeterInactive(uint32 meterId);
    error MeterNotInCommunity(uint32 meterId, uint32 communityId);
    error InvalidMeter(bytes32 field);
    error MeterNotYetTradable(uint32 meterId, uint40 tradableFrom);
    error StaleReferencePrice(uint256 updatedAt, uint256 maxAge);
    error InvalidReferencePrice(int256 answer);
    error PriceOutsideBand(uint256 price, uint256 referencePrice, uint16 bandBps);

    /// @dev Reverts unless the caller may register meters (the delivery-settlement contract, which
    /// checks the meter registrar's certificate first).
    function _checkMeterRegistration() internal view virtual;

    /// @dev Hook: refuses new communities while the market is paused.
    function _beforeCreateCommunity() internal view virtual;

    /// @dev Quote token decimals, for the reference-price conversion.
    function _quoteDecimals() internal view virtual returns (uint8);

    modifier onlyCommunityAdmin(uint32 communityId) {
        if (_communities[communityId].admin != msg.sender) revert NotCommunityAdmin(communityId, msg.sender);
        _;
    }

    /// @notice Creates a community; the caller becomes its admin and first member.
    /// @param name Display name, emitted only.
    /// @param p The community's market parameters.
    /// @return communityId The new community's id.
    function createCommunity(
        string calldata name,
        CommunityParams calldata p
    ) external returns (uint32 communityId) {
        _beforeCreateCommunity();
        if (p.slotLength == 0 || p.slotLength > 1 days) revert InvalidCommunityParams("slotLength");
        if (p.horizon <= p.gateLead || p.horizon > 30 days) revert InvalidCommunityParams("horizon");
        if (p.tickSize == 0 || p.tickSize % 1000 != 0) revert InvalidCommunityParams("tickSize");
        if (p.bondPerKwh % 1000 != 0 || p.bondPerKwh / 1000 > type(uint32).max) {
            revert InvalidCommunityParams("bondPerKwh");
        }
        if (p.minOrderWh == 0 || p.minOrderWh > MAX_ORDER_WH) revert InvalidCommunityParams("minOrderWh");
        if (p.feeBps > MAX_FEE_BPS) revert InvalidCommunityParams("feeBps");
        _checkBand(p.priceFeed, p.bandBps, p.maxFeedAge);
        communityId = ++communityCount;
        _communities[communityId] = Community({
            slotLength: uint24(p.slotLength),
            gateLead: uint24(p.gateLead),
            horizon: uint24(p.horizon),
            tickSize: p.tickSize,
            minOrderWh: uint24(p.minOrderWh),
            feeBps: p.feeBps,
            bandBps: p.bandBps,
            bondPerWh: uint32(p.bondPerKwh / 1000),
            halted: 0,
            reputationBonds: false,
            feeScheduled: false,
            priceFeed: p.priceFeed,
            maxFeedAge: p.maxFeedAge,
            nextFeeBps: 0,
            nextFeeFrom: 0,
            admin: msg.sender,
            members: 1,
            admitted: 1
        });
        memberSince[communityId][msg.sender] = block.number;
        admittedSince[communityId][msg.sender] = block.number;
        emit CommunityCreated(communityId, msg.sender, name, p);
        emit MemberJoined(communityId, msg.sender);
        emit MemberAdmitted(communityId, msg.sender);
    }

    /// @notice Joins a community whose membership is open.
    /// @param communityId The community to join.
    function join(uint32 communityId) external {
        if (admissionRequired[communityId]) revert AdmissionRequired(communityId);
        _addMember(communityId, msg.sender);
    }

    /// @notice Admits an account (community admin): a new member, or a member who had joined by
    /// itself, who thereby gains a vote on treasury payouts. The only way in when admission is
    /// required.
    /// @param communityId The community.
    /// @param account The account.
    function admit(uint32 communityId, address account) external onlyCommunityAdmin(communityId) {
        if (admittedSince[communityId][account] != 0) revert AlreadyMember(communityId, account);
        if (!isMember(communityId, account)) _addMember(communityId, account);
        admittedSince[communityId][account] = block.number;
        ++_communities[communityId].admitted;
        emit MemberAdmitted(communityId, account);
    }

    /// @notice Opens or closes self-service membership (community admin). Members who join by
    /// themselves trade but do not vote on treasury payouts (see `admittedSince`).
    /// @param communityId The community.
    /// @param required Whether joining takes the admin's admission.
    function setAdmissionRequired(
        uint32 communityId,
        bool required
    ) external onlyCommunityAdmin(communityId) {
        admissionRequired[communityId] = required;
        emit AdmissionRequiredSet(communityId, required);
    }

    function _addMember(uint32 communityId, address account) private {
        Community storage c = _community(communityId);
        if (isMember(communityId, account)) revert AlreadyMember(communityId, account);
        memberSince[communityId][account] = block.number;
        ++c.members;
        emit MemberJoined(communityId, account);
    }

    /// @notice Schedules a new community fee on delivered energy (community admin). It applies to
    /// the markets whose slot starts after `now + horizon` (none of them is open yet); markets
    /// already open, or already traded, keep the fee they opened with. A change scheduled earlier
    /// that no open market sees yet is replaced; one that an open market already sees must take
    /// effect first (`FeeChangePending`). Emits CommunityFeeScheduled (and CommunityFeeChanged when
    /// an earlier change has taken effect and becomes the community's fee).
    /// @param communityId The community.
    /// @param feeBps The new fee in basis points, at most MAX_FEE_BPS.
    function setCommunityFee(uint32 communityId, uint16 feeBps) external onlyCommunityAdmin(communityId) {
        if (feeBps > MAX_FEE_BPS) revert InvalidCommunityParams("feeBps");
        Community storage c = _communities[communityId];
        uint256 opensUpTo = block.timestamp + c.horizon; // markets of slots up to this are open
        if (c.feeScheduled) {
            uint40 from = c.nextFeeFrom;
            if (block.timestamp >= from) {
                // Every market of a slot before `from` has closed: the change is the fee now.
                c.feeBps = c.nextFeeBps;
                emit CommunityFeeChanged(communityId, c.nextFeeBps);
            } else if (opensUpTo >= from) {
                revert FeeChangePending(communityId, from);
            }
        }
        uint40 effectiveFrom = uint40((opensUpTo / c.slotLength + 1) * c.slotLength);
        (c.feeScheduled, c.nextFeeBps, c.nextFeeFrom) = (true, feeBps, effectiveFrom);
        emit CommunityFeeScheduled(communityId, feeBps, effectiveFrom);
    }

    /// @notice Sets or removes the reference-price band (community admin).
    /// @param communityId The community.
    /// @param priceFeed A Chainlink AggregatorV3Interface quoting tokens per kWh, or zero for no band.
    /// @param bandBps Allowed distance from the reference, basis points.
    /// @param maxFeedAge Seconds after which the reference is stale and orders are refused.
    function setPriceBand(
        uint32 communityId,
        address priceFeed,
        uint16 bandBps,
        uint32 maxFeedAge
    ) external onlyCommunityAdmin(communityId) {
        _checkBand(priceFeed, bandBps, maxFeedAge);
        Community storage c = _communities[communityId];
        (c.priceFeed, c.bandBps, c.maxFeedAge) = (priceFeed, bandBps, maxFeedAge);
        emit CommunityPriceBandChanged(communityId, priceFeed, bandBps, maxFeedAge);
    }

    /// @notice Sizes sellers' bonds by their delivery record, or not (community admin). With it on,
    /// an ask locks the community's bond scaled by the seller's bond factor (a newcomer pays the
    /// full bond, a reliable seller down to a quarter of it, an unreliable one up to twice it; see
    /// DeliverySettlement.bondFactorOf). Each order keeps the rate it locked.
    /// @param communityId The community.
    /// @param enabled Whether bonds follow reputation.
    function setReputationBonds(uint32 communityId, bool enabled) external onlyCommunityAdmin(communityId) {
        _communities[communityId].reputationBonds = enabled;
        emit ReputationBondsSet(communityId, enabled);
    }

    /// @notice Hands the community's admin role to another account (community admin).
    /// @param communityId The community.
    /// @param admin The new admin.
    function setCommunityAdmin(uint32 communityId, address admin) external onlyCommunityAdmin(communityId) {
        if (admin == address(0)) revert InvalidCommunityParams("admin");
        _communities[communityId].admin = admin;
        emit CommunityAdminChanged(communityId, admin);
    }

    /// @notice Registers a meter of `owner`, a member of the community (delivery-settlement
    /// contract only). Owners register through `DeliverySettlement.registerMeter` with a
    /// certificate from the community's meter registrar, so that no seller picks its own meter's
    /// device key and capacity.
    /// @param owner The meter's owner.
    /// @param communityId The community the meter is connected in.
    /// @param kind Producer, consumer, prosumer or storage.
    /// @param capacityW The meter's rated power, in W.
    /// @param deviceKey The address of the key the device signs its readings with.
    /// @return meterId The new meter's id.
    function registerMeter(
        address owner,
        uint32 communityId,
        MeterKind kind,
        uint32 capacityW,
        address deviceKey
    ) external returns (uint32 meterId) {
        _checkMeterRegistration();
        _community(communityId);
        if (!isMember(communityId, owner)) revert NotMember(communityId, owner);
        if (capacityW == 0) revert InvalidMeter("capacityW");
        if (deviceKey == address(0)) revert InvalidMeter("deviceKey");
        meterId = ++meterCount;
        _meters[meterId] = Meter(owner, communityId, kind, true, 0, deviceKey, capacityW);
        emit MeterRegistered(meterId, owner, communityId, uint8(kind), capacityW, deviceKey);
    }

    /// @notice Transfers a meter to another member of its community (meter owner).
    /// @param meterId The meter.
    /// @param to The new owner.
    function transferMeter(uint32 meterId, address to) external {
        Meter storage m = _ownedMeter(meterId);
        if (!isMember(m.communityId, to)) revert NotMember(m.communityId, to);
        m.owner = to;
        // The market of slot `now + horizon` opens this very second: the previous owner may still
        // trade it, so the new owner starts one second later.
        m.tradableFrom = uint40(block.timestamp + _communities[m.communityId].horizon + 1);
        emit MeterTransferred(meterId, msg.sender, to);
    }

    /// @notice Deactivates a meter for good (meter owner); it can no longer back orders.
    /// @param meterId The meter.
    function deactivateMeter(uint32 meterId) external {
        Meter storage m = _ownedMeter(meterId);
        if (!m.active) revert MeterInactive(meterId);
        m.active = false;
        emit MeterDeactivated(meterId);
    }

    /// @notice Whether `account` is a member of `communityId`.
    function isMember(uint32 communityId, address account) public view returns (bool) {
        return memberSince[communityId][account] != 0;
    }

    /// @notice A community's parameters.
    function community(uint32 communityId) external view returns (Community memory) {
        return _communities[communityId];
    }

    /// @notice A meter: owner, community, kind, active flag, capacity and device key.
    function meter(
        uint32 meterId
    )
        external
        view
        returns (
            address owner,
            uint32 communityId,
            uint8 kind,
            bool active,
            uint32 capacityW,
            address deviceKey
        )
    {
        Meter storage m = _meters[meterId];
        return (m.owner, m.communityId, uint8(m.kind), m.active, m.capacityW, m.deviceKey);
    }

    /// @notice The slot length of each meter's community (zero for an unknown meter), for report
    /// validation in one call.
    function meterSlotLengths(
        uint32[] calldata meterIds
    ) external view returns (uint256[] memory slotLengths) {
        slotLengths = new uint256[](meterIds.length);
        for (uint256 i; i < meterIds.length; ++i) {
            slotLengths[i] = _communities[_meters[meterIds[i]].communityId].slotLength;
        }
    }

    /// @dev The fee the schedule gives the market of `slotStart` (reads the second word only while
    /// a change is scheduled).
    function _feeOf(Community storage c, uint40 slotStart) internal view returns (uint16) {
        if (c.feeScheduled && slotStart >= c.nextFeeFrom) return c.nextFeeBps;
        return c.feeBps;
    }

    function _community(uint32 communityId) internal view returns (Community storage c) {
        c = _communities[communityId];
        if (c.slotLength == 0) revert UnknownCommunity(communityId);
    }

    function _ownedMeter(uint32 meterId) private view returns (Meter storage m) {
        m = _meters[meterId];
        if (m.owner == address(0)) revert UnknownMeter(meterId);
        if (m.owner != msg.sender) revert NotMeterOwner(meterId, msg.sender);
    }

    /// @dev Reverts unless `meterId` is an active meter of `account` in `communityId`, tradable by
    /// its owner in the slot starting at `slotStart`.
    function _checkMeter(
        uint32 meterId,
        address account,
        uint32 communityId,
        uint40 slotStart
    ) internal view {
        Meter storage m = _meters[meterId];
        if (m.owner != account) {
            if (m.owner == address(0)) revert UnknownMeter(meterId);
            revert NotMeterOwner(meterId, account);
        }
        if (m.communityId != communityId) revert MeterNotInCommunity(meterId, communityId);
        if (!m.active) revert MeterInactive(meterId);
        if (slotStart < m.tradableFrom) revert MeterNotYetTradable(meterId, m.tradableFrom);
    }

    function _checkBand(address priceFeed, uint16 bandBps, uint32 maxFeedAge) private view {
        if (priceFeed == address(0)) {
            if (bandBps != 0) revert InvalidCommunityParams("bandBps");
            return;
        }
        if (bandBps == 0 || bandBps > MAX_BAND_BPS) revert InvalidCommunityParams("bandBps");
        if (maxFeedAge == 0) revert InvalidCommunityParams("maxFeedAge");
        if (priceFeed.code.length == 0) revert InvalidCommunityParams("priceFeed");
    }

    /// @dev Reverts if `pricePerKwh` (quote base units) lies outside the community's band around
    /// the reference price. A stale or non-positive reference refuses every order of the community
    /// (fail closed) until the feed recovers or the admin removes the band.
    function _checkPriceBand(Community storage c, uint256 pricePerKwh) internal view {
        address feed = c.priceFeed;
        (, int256 answer, , uint256 updatedAt, ) = AggregatorV3Interface(feed).latestRoundData();
        if (answer <= 0) revert InvalidReferencePrice(answer);
        if (updatedAt + c.maxFeedAge < block.timestamp) revert StaleReferencePrice(updatedAt, c.maxFeedAge);
        uint256 referencePrice =
            (uint256(answer) * 10 ** _quoteDecimals()) / 10 ** AggregatorV3Interface(feed).decimals();
        uint256 distance =
            pricePerKwh > referencePrice ? pricePerKwh - referencePrice : referencePrice - pricePerKwh;
        if (distance * 10_000 > referencePrice * c.bandBps)
            revert PriceOutsideBand(pricePerKwh, referencePrice, c.bandBps);
    }
}
