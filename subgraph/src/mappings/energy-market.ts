/** EnergyMarket: communities, members, meters, balances, the order book, settlement money, treasuries. */
import { BigInt, log, Value, ValueKind } from "@graphprotocol/graph-ts";
import {
  AdmissionRequiredSet,
  BondFactorSet,
  BuyerRefunded,
  CommunityAdminChanged,
  CommunityCreated,
  CommunityFeeChanged,
  CommunityFeeScheduled,
  CommunityHalted,
  CommunityPriceBandChanged,
  Deposited,
  EscrowSwept,
  MemberJoined,
  MemberAdmitted,
  MeterDeactivated,
  MeterRegistered,
  MeterTransferred,
  OrderCancelled,
  OrderClaimed,
  OrderPlaced,
  LevelGenerationStarted,
  Paused,
  ReputationBondsSet,
  RoleAdminChanged,
  RoleGranted,
  RoleRevoked,
  SellerSettled,
  Trade as TradeEvent,
  TreasuryGovernorSet,
  TreasuryPaid,
  Unpaused,
  Withdrawn,
} from "../../generated/EnergyMarket/EnergyMarket";
import {
  BookLevel,
  Community,
  Member,
  Meter,
  Order,
  Position,
  Sale,
  SellerBond,
  Trade,
  TradePoint,
} from "../../generated/schema";
import { adminEvent, flagEvent, roleEvent } from "../lib/admin";
import { moveBalance } from "../lib/balances";
import { advanceLevel, orderStatus } from "../lib/book";
import { addToCandles } from "../lib/candles";
import {
  eventId,
  levelId,
  marketCommunity,
  marketSlot,
  orderIndex,
  orderIsBid,
  orderMarket,
  orderTick,
  pairId,
} from "../lib/ids";
import { addToPosition, addToSale, loadMarket } from "../lib/markets";
import { communityParams } from "../lib/params";

const ZERO = BigInt.zero();

function loadCommunity(id: i32): Community | null {
  const c = Community.load(id.toString());
  if (c == null) log.error("unknown community {}", [id.toString()]);
  return c;
}

function isUnset(v: Value | null): boolean {
  return !v || v.kind == ValueKind.NULL;
}

/** The fee a market's sales are charged, fixed at its first trade: the community's schedule for its slot. */
function feeAtFirstTrade(communityId: i32, slotStart: BigInt): i32 {
  const c = Community.load(communityId.toString());
  if (c == null) return 0;
  const from = c.nextFeeFrom;
  if (from) {
    if (!isUnset(c.get("nextFeeBps")) && slotStart.ge(from)) return c.nextFeeBps;
  }
  return c.feeBps;
}

// ---------------------------------------------------------------- communities, members, meters

export function handleCommunityCreated(event: CommunityCreated): void {
  const p = event.params.params;
  const c = new Community(event.params.communityId.toString());
  c.name = event.params.name;
  c.admin = event.params.admin;
  c.slotLength = p.slotLength.toI32();
  c.gateLead = p.gateLead.toI32();
  c.horizon = p.horizon.toI32();
  c.tickSize = p.tickSize;
  c.minOrderWh = p.minOrderWh;
  c.bondPerWh = p.bondPerKwh.div(BigInt.fromI32(1000));
  c.feeBps = p.feeBps;
  c.priceFeed = p.priceFeed;
  c.bandBps = p.bandBps;
  c.maxFeedAge = p.maxFeedAge.toI32();
  c.admissionRequired = false;
  c.halted = false;
  c.reputationBonds = false;
  c.members = 0;
  c.admitted = 0;
  c.meters = 0;
  c.treasuryBalance = ZERO;
  c.feesIn = ZERO;
  c.sweptIn = ZERO;
  c.paidOut = ZERO;
  c.tradedWh = ZERO;
  c.tradedValue = ZERO;
  c.createdBlock = event.block.number;
  c.createdAt = event.block.timestamp;
  c.save();
}

export function handleCommunityFeeChanged(event: CommunityFeeChanged): void {
  const c = loadCommunity(event.params.communityId.toI32());
  if (c == null) return;
  c.feeBps = event.params.feeBps;
  c.save();
}

export function handleCommunityFeeScheduled(event: CommunityFeeScheduled): void {
  const c = loadCommunity(event.params.communityId.toI32());
  if (c == null) return;
  c.nextFeeBps = event.params.feeBps;
  c.nextFeeFrom = event.params.effectiveFrom;
  c.save();
}

export function handleCommunityPriceBandChanged(event: CommunityPriceBandChanged): void {
  const c = loadCommunity(event.params.communityId.toI32());
  if (c == null) return;
  c.priceFeed = event.params.priceFeed;
  c.bandBps = event.params.bandBps;
  c.maxFeedAge = event.params.maxFeedAge.toI32();
  c.save();
}

export function handleCommunityAdminChanged(event: CommunityAdminChanged): void {
  const c = loadCommunity(event.params.communityId.toI32());
  if (c == null) return;
  c.admin = event.params.admin;
  c.save();
}

export function handleAdmissionRequiredSet(event: AdmissionRequiredSet): void {
  const c = loadCommunity(event.params.communityId.toI32());
  if (c == null) return;
  c.admissionRequired = event.params.required;
  c.save();
}

export function handleCommunityHalted(event: CommunityHalted): void {
  const c = loadCommunity(event.params.communityId.toI32());
  if (c == null) return;
  c.halted = event.params.halted;
  c.save();
}

export function handleReputationBondsSet(event: ReputationBondsSet): void {
  const c = loadCommunity(event.params.communityId.toI32());
  if (c == null) return;
  c.reputationBonds = event.params.enabled;
  c.save();
  const a = adminEvent(event, "ReputationBondsSet");
  a.communityId = event.params.communityId.toI32();
  a.flag = event.params.enabled;
  a.save();
}

export function handleBondFactorSet(event: BondFactorSet): void {
  const id = event.params.seller.toHexString();
  let b = SellerBond.load(id);
  if (b == null) {
    b = new SellerBond(id);
    b.seller = event.params.seller;
  }
  b.factorBps = event.params.factorBps;
  b.updatedAt = event.block.timestamp;
  b.save();
}

export function handleMemberJoined(event: MemberJoined): void {
  const communityId = event.params.communityId.toI32();
  const m = new Member(pairId(communityId.toString(), event.params.account.toHexString()));
  m.community = communityId.toString();
  m.communityId = communityId;
  m.account = event.params.account;
  m.joinedBlock = event.block.number;
  m.joinedAt = event.block.timestamp;
  m.save();
  const c = loadCommunity(communityId);
  if (c == null) return;
  c.members = c.members + 1;
  c.save();
}

export function handleMemberAdmitted(event: MemberAdmitted): void {
  const communityId = event.params.communityId.toI32();
  const m = Member.load(pairId(communityId.toString(), event.params.account.toHexString()));
  if (m == null) return;
  m.admittedBlock = event.block.number;
  m.save();
  const c = loadCommunity(communityId);
  if (c == null) return;
  c.admitted = c.admitted + 1;
  c.save();
}

export function handleMeterRegistered(event: MeterRegistered): void {
  const communityId = event.params.communityId.toI32();
  const m = new Meter(event.params.meterId.toString());
  m.community = communityId.toString();
  m.communityId = communityId;
  m.owner = event.params.owner;
  m.kind = event.params.kind;
  m.capacityW = event.params.capacityW.toI32();
  m.deviceKey = event.params.deviceKey;
  m.active = true;
  m.tradableFrom = ZERO;
  m.registeredAt = event.block.timestamp;
  m.save();
  const c = loadCommunity(communityId);
  if (c == null) return;
  c.meters = c.meters + 1;
  c.save();
}

export function handleMeterTransferred(event: MeterTransferred): void {
  const m = Meter.load(event.params.meterId.toString());
  if (m == null) return;
  const p = communityParams(m.communityId);
  m.owner = event.params.to;
  m.tradableFrom = event.block.timestamp.plus(p.horizon).plus(BigInt.fromI32(1));
  m.save();
}

export function handleMeterDeactivated(event: MeterDeactivated): void {
  const m = Meter.load(event.params.meterId.toString());
  if (m == null) return;
  m.active = false;
  m.save();
}

// ---------------------------------------------------------------- balances

export function handleDeposited(event: Deposited): void {
  const a = event.params.amount;
  moveBalance(event.params.account, a, ZERO, event.block.number, a, ZERO);
}

export function handleWithdrawn(event: Withdrawn): void {
  const a = event.params.amount;
  moveBalance(event.params.account, a.neg(), ZERO, event.block.number, ZERO, a);
}

// ---------------------------------------------------------------- order book

/** A full level with nothing resting started a fresh generation: indexes go on at generation × 512. */
export function handleLevelGenerationStarted(event: LevelGenerationStarted): void {
  const level = BookLevel.load(levelId(event.params.marketId, event.params.isBid, event.params.tick));
  if (level == null) return;
  const first = event.params.generation * 512;
  level.taken = event.params.taken;
  level.cancelled = ZERO;
  level.available = ZERO;
  level.count = first;
  level.generation = event.params.generation;
  level.frontIndex = first;
  level.frontStart = event.params.taken;
  level.save();
}

export function handleOrderPlaced(event: OrderPlaced): void {
  const orderId = event.params.orderId;
  const marketId = event.params.marketId;
  const amountWh = event.params.amountWh;
  const isBid = orderIsBid(orderId);
  const tick = orderTick(orderId);
  const index = orderIndex(orderId);
  const communityId = marketCommunity(marketId);
  const slotStart = marketSlot(marketId);
  const p = communityParams(communityId);

  const lid = levelId(marketId, isBid, tick);
  let level = BookLevel.load(lid);
  if (level == null) {
    level = new BookLevel(lid);
    level.market = marketId.toString();
    level.marketId = marketId;
    level.isBid = isBid;
    level.tick = tick;
    level.queued = ZERO;
    level.taken = ZERO;
    level.cancelled = ZERO;
    level.available = ZERO;
    level.generation = 0;
    level.frontIndex = 0;
    level.frontStart = ZERO;
  }
  level.queued = level.queued.plus(amountWh);
  level.available = level.available.plus(amountWh);
  level.count = index + 1;
  level.save();

  const o = new Order(orderId.toString());
  o.market = marketId.toString();
  o.marketId = marketId;
  o.communityId = communityId;
  o.slotStart = slotStart;
  o.gateAt = slotStart.minus(p.gateLead);
  o.owner = event.params.owner;
  o.meterId = event.params.meterId.toI32();
  o.isBid = isBid;
  o.tick = tick;
  o.queueIndex = index;
  o.amountWh = amountWh;
  o.queueStart = event.params.queueStart;
  o.filledWh = ZERO;
  o.filledValue = ZERO;
  o.cancelledWh = ZERO;
  o.remainingWh = amountWh;
  o.status = "open";
  o.frozen = false;
  o.claimed = false;
  o.placedBlock = event.block.number;
  o.placedAt = event.block.timestamp;
  o.txHash = event.transaction.hash;
  o.updatedAt = event.block.timestamp;
  o.save();

  // What rests locks its price (bid) or its bond (ask).
  const lock = isBid ? amountWh.times(BigInt.fromI32(tick)).times(p.unit) : amountWh.times(p.bondPerWh);
  if (!lock.isZero()) moveBalance(event.params.owner, lock.neg(), lock, event.block.number);
  const m = loadMarket(marketId);
  m.orders = m.orders + 1;
  m.save();
}

export function handleTrade(event: TradeEvent): void {
  const marketId = event.params.marketId;
  const takerIsBid = event.params.takerIsBid;
  const tick = event.params.tick;
  const amountWh = event.params.amountWh;
  const value = event.params.value;
  const communityId = marketCommunity(marketId);
  const p = communityParams(communityId);
  const ts = event.block.timestamp;
  const tradeId = eventId(event);

  // The makers' side: the level's front advances to levelTaken.
  const level = BookLevel.load(levelId(marketId, !takerIsBid, tick));
  if (level == null) {
    log.critical("Trade on unknown level {}", [levelId(marketId, !takerIsBid, tick)]);
    return;
  }
  const takenBefore = level.taken;
  const t = new Trade(tradeId);
  t.market = marketId.toString();
  t.marketId = marketId;
  t.communityId = communityId;
  t.taker = event.params.taker;
  t.takerIsBid = takerIsBid;
  t.takerMeterId = event.params.takerMeterId.toI32();
  t.tick = tick;
  t.price = BigInt.fromI32(tick).times(p.tickSize);
  t.amountWh = amountWh;
  t.value = value;
  t.levelTakenBefore = takenBefore;
  t.levelTaken = event.params.levelTaken;
  t.blockNumber = event.block.number;
  t.timestamp = ts;
  t.txHash = event.transaction.hash;
  t.logIndex = event.logIndex.toI32();
  t.save();

  advanceLevel(level, event.params.levelTaken, p.unit, tradeId, ts);
  level.available = level.queued.minus(event.params.levelTaken).minus(level.cancelled);
  level.save();

  addToCandles(marketId, ts, tick, amountWh, value);
  const point = new TradePoint(0);
  // graph-node sets a timeseries point's id and timestamp (the block's, in microseconds) itself.
  point.timestamp = ts.toI64() * 1000000;
  point.market = marketId.toString();
  point.community = communityId.toString();
  point.amountWh = amountWh;
  point.value = value;
  point.tick = tick;
  point.save();

  if (takerIsBid) {
    // A bid taker pays at once into the market's escrow.
    moveBalance(event.params.taker, value.neg(), ZERO, event.block.number);
    addToPosition(marketId, event.params.taker, amountWh, value);
  } else {
    // An ask taker bonds what it sold; the bid makers' payment is pending until they claim.
    const bond = amountWh.times(p.bondPerWh);
    if (!bond.isZero()) moveBalance(event.params.taker, bond.neg(), bond, event.block.number);
    addToSale(marketId, event.params.takerMeterId.toI32(), event.params.taker, amountWh, value);
  }
  const m = loadMarket(marketId);
  if (isUnset(m.get("feeBps"))) m.feeBps = feeAtFirstTrade(communityId, marketSlot(marketId));
  m.tradedWh = m.tradedWh.plus(amountWh);
  m.tradedValue = m.tradedValue.plus(value);
  if (!takerIsBid) {
    m.resolvedAskWh = m.resolvedAskWh.plus(amountWh);
    m.pendingBidValue = m.pendingBidValue.plus(value);
  }
  m.trades = m.trades + 1;
  m.lastTick = tick;
  m.save();
  const c = loadCommunity(communityId);
  if (c == null) return;
  c.tradedWh = c.tradedWh.plus(amountWh);
  c.tradedValue = c.tradedValue.plus(value);
  c.save();
}

export function handleOrderCancelled(event: OrderCancelled): void {
  const orderId = event.params.orderId;
  const cancelledWh = event.params.cancelledWh;
  const marketId = orderMarket(orderId);
  const isBid = orderIsBid(orderId);
  const tick = orderTick(orderId);
  const index = orderIndex(orderId);
  const p = communityParams(marketCommunity(marketId));
  const o = Order.load(orderId.toString());
  const level = BookLevel.load(levelId(marketId, isBid, tick));
  if (o == null || level == null) {
    log.critical("OrderCancelled for unknown order {}", [orderId.toString()]);
    return;
  }
  const ts = event.block.timestamp;
  if (index == level.frontIndex) {
    // Front: `taken` moves past the remainder; the order's fill is final ("frozen").
    o.frozen = true;
    o.cancelledWh = cancelledWh;
    o.cancelledAt = ts;
    o.remainingWh = ZERO;
    o.status = "cancelled";
    o.updatedAt = ts;
    o.save();
    const taken = level.taken.plus(cancelledWh);
    advanceLevel(level, taken, p.unit, "", ts);
    level.available = level.queued.minus(level.taken).minus(level.cancelled);
  } else {
    // Behind the front: a hole; later ranges shift down by it.
    o.cancelledWh = o.cancelledWh.plus(cancelledWh);
    o.cancelledAt = ts;
    o.remainingWh = ZERO;
    o.status = "cancelled";
    o.updatedAt = ts;
    o.save();
    level.cancelled = level.cancelled.plus(cancelledWh);
    level.available = level.available.minus(cancelledWh);
  }
  level.save();
  const unlock = cancelledWh.times(isBid ? BigInt.fromI32(tick).times(p.unit) : p.bondPerWh);
  if (!unlock.isZero()) moveBalance(event.params.owner, unlock, unlock.neg(), event.block.number);
}

export function handleOrderClaimed(event: OrderClaimed): void {
  const orderId = event.params.orderId;
  const filledWh = event.params.filledWh;
  const value = event.params.value;
  const released = event.params.released;
  const owner = event.params.owner;
  const marketId = orderMarket(orderId);
  const o = Order.load(orderId.toString());
  if (o == null) {
    log.critical("OrderClaimed for unknown order {}", [orderId.toString()]);
    return;
  }
  o.claimed = true;
  o.claimedFilledWh = filledWh;
  o.claimedValue = value;
  o.released = released;
  o.status = "claimed";
  o.updatedAt = event.block.timestamp;
  o.save();
  if (orderIsBid(orderId)) {
    // The filled value leaves the maker's locked balance for the escrow; the rest is released.
    moveBalance(owner, released, value.plus(released).neg(), event.block.number);
    if (!filledWh.isZero()) {
      addToPosition(marketId, owner, filledWh, value);
      const m = loadMarket(marketId);
      m.pendingBidValue = m.pendingBidValue.minus(value);
      m.save();
    }
  } else {
    // The sold energy's bond stays locked until settlement; the unfilled remainder's is released.
    if (!released.isZero()) moveBalance(owner, released, released.neg(), event.block.number);
    if (!filledWh.isZero()) {
      addToSale(marketId, o.meterId, owner, filledWh, value);
      const m = loadMarket(marketId);
      m.resolvedAskWh = m.resolvedAskWh.plus(filledWh);
      m.save();
    }
  }
}

// ---------------------------------------------------------------- settlement money (EnergyMarket side)

export function handleSellerSettled(event: SellerSettled): void {
  const marketId = event.params.marketId;
  const payout = event.params.payout;
  const fee = event.params.fee;
  const bondReleased = event.params.bondReleased;
  const bondSlashed = event.params.bondSlashed;
  moveBalance(
    event.params.seller,
    bondReleased.plus(payout),
    bondReleased.plus(bondSlashed).neg(),
    event.block.number,
  );
  const m = loadMarket(marketId);
  m.paidOut = m.paidOut.plus(payout).plus(fee);
  m.slashedIn = m.slashedIn.plus(bondSlashed);
  m.save();
  const s = Sale.load(pairId(marketId.toString(), event.params.meterId.toString()));
  if (s != null) {
    s.bondReleased = bondReleased;
    s.bondSlashed = bondSlashed;
    s.save();
  }
  const c = loadCommunity(marketCommunity(marketId));
  if (c == null) return;
  c.treasuryBalance = c.treasuryBalance.plus(fee);
  c.feesIn = c.feesIn.plus(fee);
  c.save();
}

export function handleBuyerRefunded(event: BuyerRefunded): void {
  const marketId = event.params.marketId;
  const amount = event.params.amount;
  moveBalance(event.params.buyer, amount, ZERO, event.block.number);
  const m = loadMarket(marketId);
  m.paidOut = m.paidOut.plus(amount);
  m.save();
  const pos = Position.load(pairId(marketId.toString(), event.params.buyer.toHexString()));
  if (pos != null) {
    pos.refunded = amount;
    pos.save();
  }
}

export function handleEscrowSwept(event: EscrowSwept): void {
  const amount = event.params.amount;
  const m = loadMarket(event.params.marketId);
  m.paidOut = m.paidOut.plus(amount);
  m.swept = m.swept.plus(amount);
  m.save();
  const c = loadCommunity(event.params.communityId.toI32());
  if (c == null) return;
  c.treasuryBalance = c.treasuryBalance.plus(amount);
  c.sweptIn = c.sweptIn.plus(amount);
  c.save();
}

export function handleTreasuryPaid(event: TreasuryPaid): void {
  const c = loadCommunity(event.params.communityId.toI32());
  if (c == null) return;
  c.treasuryBalance = c.treasuryBalance.minus(event.params.amount);
  c.paidOut = c.paidOut.plus(event.params.amount);
  c.save();
}

// ---------------------------------------------------------------- administration

export function handleTreasuryGovernorSet(event: TreasuryGovernorSet): void {
  flagEvent(event, "TreasuryGovernorSet", event.params.governor, true);
}

export function handlePaused(event: Paused): void {
  flagEvent(event, "Paused", event.params.account, true);
}

export function handleUnpaused(event: Unpaused): void {
  flagEvent(event, "Unpaused", event.params.account, false);
}

export function handleRoleGranted(event: RoleGranted): void {
  roleEvent(event, "RoleGranted", event.params.role, event.params.account);
}

export function handleRoleRevoked(event: RoleRevoked): void {
  roleEvent(event, "RoleRevoked", event.params.role, event.params.account);
}

export function handleRoleAdminChanged(event: RoleAdminChanged): void {
  roleEvent(event, "RoleAdminChanged", event.params.role, event.params.newAdminRole);
}
