/**
 * EnergyMarket: communities, meters, balances and the order book.
 *
 * Maker fills are lazy on chain (docs/decisions/0001): a taker only raises a level's `taken`. The
 * indexer replays OrderBook._fillOf / _cancel exactly. Net claim ranges of a level are contiguous:
 * order i covers [s_i, s_i + size_i) with s_0 = 0, s_{i+1} = s_i + size_i, where size is the amount
 * less what was cancelled behind the front (a front-cancelled, "frozen" order keeps its full amount:
 * `taken` jumped past it). fill_i = clamp(taken − s_i, 0, size_i). Each level keeps a front pointer
 * (first order whose range `taken` has not passed, and its s); a Trade walks from it to the new
 * `taken`, touching only the orders it fills, so every order is walked past once.
 */
import { ponder, type Context } from "ponder:registry";
import {
  balances,
  bookLevels,
  candles,
  communities,
  makerFills,
  markets,
  members,
  meters,
  orders,
  positions,
  sales,
  trades,
} from "ponder:schema";
import { decodeMarketId, decodeOrderId, orderIdOf, orderStatus } from "./lib/ids.ts";

type Db = Context["db"];
type Hex = `0x${string}`;

export const CANDLE_INTERVALS = [900, 3600, 86400] as const;

// ---------------------------------------------------------------- communities (immutable params)

interface Params {
  unit: bigint; // quote base units per Wh per tick = tickSize / 1000
  tickSize: bigint;
  bondPerWh: bigint;
  gateLead: bigint;
  horizon: bigint;
}
// Market parameters never change after CommunityCreated, so a process cache is always valid.
const paramsCache = new Map<number, Params>();

async function params(db: Db, communityId: number): Promise<Params> {
  const hit = paramsCache.get(communityId);
  if (hit) return hit;
  const c = await db.find(communities, { id: communityId });
  if (!c) throw new Error(`community ${communityId} not indexed`);
  const p: Params = {
    unit: c.tickSize / 1000n,
    tickSize: c.tickSize,
    bondPerWh: c.bondPerWh,
    gateLead: BigInt(c.gateLead),
    horizon: BigInt(c.horizon),
  };
  paramsCache.set(communityId, p);
  return p;
}

// ---------------------------------------------------------------- balances

async function moveBalance(
  db: Db,
  account: Hex,
  dFree: bigint,
  dLocked: bigint,
  block: bigint,
  flows: { deposited?: bigint; withdrawn?: bigint } = {},
): Promise<void> {
  const deposited = flows.deposited ?? 0n;
  const withdrawn = flows.withdrawn ?? 0n;
  await db
    .insert(balances)
    .values({ account, free: dFree, locked: dLocked, deposited, withdrawn, updatedBlock: block })
    .onConflictDoUpdate((row) => ({
      free: row.free + dFree,
      locked: row.locked + dLocked,
      deposited: row.deposited + deposited,
      withdrawn: row.withdrawn + withdrawn,
      updatedBlock: block,
    }));
}

// ---------------------------------------------------------------- markets

type MarketRow = typeof markets.$inferSelect;

async function updateMarket(
  db: Db,
  marketId: bigint,
  change: (m: MarketRow) => Partial<Omit<MarketRow, "id">>,
): Promise<void> {
  // One upsert (a single cache lookup): `change` applies to the stored row, or to a fresh one.
  const { communityId, slotStart } = decodeMarketId(marketId);
  const p = await params(db, communityId);
  const fresh: MarketRow = {
    id: marketId,
    communityId,
    slotStart,
    opensAt: slotStart - p.horizon,
    gateAt: slotStart - p.gateLead,
    tradedWh: 0n,
    tradedValue: 0n,
    resolvedAskWh: 0n,
    pendingBidValue: 0n,
    feeBps: null,
    trades: 0,
    orders: 0,
    lastTick: null,
    paidOut: 0n,
    slashedIn: 0n,
    settledSoldWh: 0n,
    refundPool: 0n,
    sellersSettled: 0,
    refundedPaid: 0n,
    refunded: 0n,
    refundPoolFinal: false,
    swept: 0n,
  };
  await db
    .insert(markets)
    .values({ ...fresh, ...change(fresh) })
    .onConflictDoUpdate((m) => change(m));
}

async function addToSale(
  db: Db,
  marketId: bigint,
  meterId: number,
  seller: Hex,
  wh: bigint,
  value: bigint,
): Promise<void> {
  await db
    .insert(sales)
    .values({ marketId, meterId, seller, soldWh: wh, proceeds: value, settled: false })
    .onConflictDoUpdate((row) => ({ soldWh: row.soldWh + wh, proceeds: row.proceeds + value }));
}

async function addToPosition(db: Db, marketId: bigint, buyer: Hex, wh: bigint, value: bigint): Promise<void> {
  await db
    .insert(positions)
    .values({ marketId, buyer, boughtWh: wh, paid: value, refunded: 0n, refundClaimed: false })
    .onConflictDoUpdate((row) => ({ boughtWh: row.boughtWh + wh, paid: row.paid + value }));
}

// ---------------------------------------------------------------- the claim-range walk

type LevelRow = typeof bookLevels.$inferSelect;

interface TradeRef {
  id: string;
  timestamp: bigint;
}

/**
 * Moves a level's `taken` to `newTaken` and updates the fills of the orders whose net ranges it
 * covers (recording each increase as a maker fill of `trade`), advancing the front pointer.
 */
async function advanceLevel(
  db: Db,
  level: LevelRow,
  newTaken: bigint,
  unit: bigint,
  trade: TradeRef | undefined,
  timestamp: bigint,
): Promise<Pick<LevelRow, "taken" | "frontIndex" | "frontStart">> {
  let idx = level.frontIndex;
  let start = level.frontStart;
  const price = BigInt(level.tick) * unit;
  while (idx < level.count) {
    const id = orderIdOf(level.marketId, level.isBid, level.tick, idx);
    const o = await db.find(orders, { id });
    if (!o) throw new Error(`order ${id} missing from its level`);
    const size = o.frozen ? o.amountWh : o.amountWh - o.cancelledWh;
    if (!o.frozen && size > 0n && newTaken > start) {
      const span: bigint = newTaken - start;
      const filled: bigint = span < size ? span : size;
      if (filled !== o.filledWh) {
        const delta = filled - o.filledWh;
        const next = { ...o, filledWh: filled, remainingWh: size - filled };
        await db.update(orders, { id }).set({
          filledWh: filled,
          filledValue: filled * price,
          remainingWh: size - filled,
          status: orderStatus(next),
          updatedAt: timestamp,
        });
        if (trade) {
          await db.insert(makerFills).values({
            id: `${trade.id}:${idx}`,
            tradeId: trade.id,
            orderId: id,
            marketId: level.marketId,
            maker: o.owner,
            amountWh: delta,
            value: delta * price,
            timestamp,
          });
        }
      }
    }
    if (start + size > newTaken) break;
    start += size;
    idx++;
  }
  return { taken: newTaken, frontIndex: idx, frontStart: start };
}

// ---------------------------------------------------------------- communities, members, meters

ponder.on("EnergyMarket:CommunityCreated", async ({ event, context }) => {
  const p = event.args.params;
  await context.db.insert(communities).values({
    id: event.args.communityId,
    name: event.args.name,
    admin: event.args.admin,
    slotLength: p.slotLength,
    gateLead: p.gateLead,
    horizon: p.horizon,
    tickSize: p.tickSize,
    minOrderWh: p.minOrderWh,
    bondPerWh: p.bondPerKwh / 1000n,
    feeBps: p.feeBps,
    nextFeeBps: null,
    nextFeeFrom: null,
    priceFeed: p.priceFeed,
    bandBps: p.bandBps,
    maxFeedAge: p.maxFeedAge,
    admissionRequired: false,
    members: 0,
    admitted: 0,
    meters: 0,
    treasuryBalance: 0n,
    feesIn: 0n,
    sweptIn: 0n,
    paidOut: 0n,
    tradedWh: 0n,
    tradedValue: 0n,
    createdBlock: event.block.number,
    createdAt: event.block.timestamp,
  });
});

// A scheduled change took effect and became the community's fee (always followed by the next
// CommunityFeeScheduled in the same transaction).
ponder.on("EnergyMarket:CommunityFeeChanged", async ({ event, context }) => {
  await context.db.update(communities, { id: event.args.communityId }).set({ feeBps: event.args.feeBps });
});

ponder.on("EnergyMarket:CommunityFeeScheduled", async ({ event, context }) => {
  await context.db
    .update(communities, { id: event.args.communityId })
    .set({ nextFeeBps: event.args.feeBps, nextFeeFrom: BigInt(event.args.effectiveFrom) });
});

ponder.on("EnergyMarket:CommunityPriceBandChanged", async ({ event, context }) => {
  await context.db.update(communities, { id: event.args.communityId }).set({
    priceFeed: event.args.priceFeed,
    bandBps: event.args.bandBps,
    maxFeedAge: event.args.maxFeedAge,
  });
});

ponder.on("EnergyMarket:CommunityAdminChanged", async ({ event, context }) => {
  await context.db.update(communities, { id: event.args.communityId }).set({ admin: event.args.admin });
});

ponder.on("EnergyMarket:AdmissionRequiredSet", async ({ event, context }) => {
  await context.db
    .update(communities, { id: event.args.communityId })
    .set({ admissionRequired: event.args.required });
});

ponder.on("EnergyMarket:MemberJoined", async ({ event, context }) => {
  await context.db.insert(members).values({
    communityId: event.args.communityId,
    account: event.args.account,
    joinedBlock: event.block.number,
    joinedAt: event.block.timestamp,
  });
  await context.db
    .update(communities, { id: event.args.communityId })
    .set((c) => ({ members: c.members + 1 }));
});

ponder.on("EnergyMarket:MemberAdmitted", async ({ event, context }) => {
  const { communityId, account } = event.args;
  await context.db.update(members, { communityId, account }).set({ admittedBlock: event.block.number });
  await context.db.update(communities, { id: communityId }).set((c) => ({ admitted: c.admitted + 1 }));
});

ponder.on("EnergyMarket:MeterRegistered", async ({ event, context }) => {
  await context.db.insert(meters).values({
    id: event.args.meterId,
    communityId: event.args.communityId,
    owner: event.args.owner,
    kind: event.args.kind,
    capacityW: event.args.capacityW,
    deviceKey: event.args.deviceKey,
    active: true,
    tradableFrom: 0n,
    registeredAt: event.block.timestamp,
  });
  await context.db.update(communities, { id: event.args.communityId }).set((c) => ({ meters: c.meters + 1 }));
});

ponder.on("EnergyMarket:MeterTransferred", async ({ event, context }) => {
  const m = await context.db.find(meters, { id: event.args.meterId });
  if (!m) return;
  const p = await params(context.db, m.communityId);
  await context.db.update(meters, { id: event.args.meterId }).set({
    owner: event.args.to,
    tradableFrom: event.block.timestamp + p.horizon + 1n,
  });
});

ponder.on("EnergyMarket:MeterDeactivated", async ({ event, context }) => {
  await context.db.update(meters, { id: event.args.meterId }).set({ active: false });
});

// ---------------------------------------------------------------- balances

ponder.on("EnergyMarket:Deposited", async ({ event, context }) => {
  const a = event.args.amount;
  await moveBalance(context.db, event.args.account, a, 0n, event.block.number, { deposited: a });
});

ponder.on("EnergyMarket:Withdrawn", async ({ event, context }) => {
  const a = event.args.amount;
  await moveBalance(context.db, event.args.account, -a, 0n, event.block.number, { withdrawn: a });
});

// ---------------------------------------------------------------- order book

ponder.on("EnergyMarket:OrderPlaced", async ({ event, context }) => {
  const db = context.db;
  const { orderId, owner, marketId, meterId, amountWh, queueStart } = event.args;
  const { isBid, tick, index } = decodeOrderId(orderId);
  const { communityId, slotStart } = decodeMarketId(marketId);
  const p = await params(db, communityId);

  await db
    .insert(bookLevels)
    .values({
      marketId,
      isBid,
      tick,
      queued: amountWh,
      taken: 0n,
      cancelled: 0n,
      available: amountWh,
      count: index + 1,
      generation: 0,
      frontIndex: 0,
      frontStart: 0n,
    })
    .onConflictDoUpdate((l) => ({
      queued: l.queued + amountWh,
      available: l.available + amountWh,
      count: index + 1,
    }));

  await db.insert(orders).values({
    id: orderId,
    marketId,
    communityId,
    slotStart,
    gateAt: slotStart - p.gateLead,
    owner,
    meterId,
    isBid,
    tick,
    queueIndex: index,
    amountWh,
    queueStart,
    filledWh: 0n,
    filledValue: 0n,
    cancelledWh: 0n,
    remainingWh: amountWh,
    status: "open",
    frozen: false,
    claimed: false,
    placedBlock: event.block.number,
    placedAt: event.block.timestamp,
    txHash: event.transaction.hash,
    updatedAt: event.block.timestamp,
  });

  // What rests locks its price (bid) or its bond (ask).
  const lock = isBid ? amountWh * BigInt(tick) * p.unit : amountWh * p.bondPerWh;
  if (lock !== 0n) await moveBalance(db, owner, -lock, lock, event.block.number);
  await updateMarket(db, marketId, (m) => ({ orders: m.orders + 1 }));
});

// A full level with nothing resting starts a fresh generation (OrderBook._enqueue): `taken` absorbs
// the old generation's cancels, and queue indexes continue at generation × 512.
ponder.on("EnergyMarket:LevelGenerationStarted", async ({ event, context }) => {
  const { marketId, isBid, tick, generation, taken } = event.args;
  const first = generation * 512;
  await context.db.update(bookLevels, { marketId, isBid, tick }).set({
    taken,
    cancelled: 0n,
    available: 0n,
    count: first,
    generation,
    frontIndex: first,
    frontStart: taken,
  });
});

/** The fee a market's sales are charged: the community's schedule for its slot at its first trade. */
async function feeAtFirstTrade(db: Db, marketId: bigint): Promise<number | null> {
  const m = await db.find(markets, { id: marketId });
  if (m && m.feeBps !== null) return m.feeBps;
  const { communityId, slotStart } = decodeMarketId(marketId);
  const c = await db.find(communities, { id: communityId });
  if (!c) throw new Error(`community ${communityId} not indexed`);
  return c.nextFeeFrom !== null && c.nextFeeBps !== null && slotStart >= c.nextFeeFrom
    ? c.nextFeeBps
    : c.feeBps;
}

ponder.on("EnergyMarket:Trade", async ({ event, context }) => {
  const db = context.db;
  const { marketId, taker, takerIsBid, takerMeterId, tick, amountWh, value, levelTaken } = event.args;
  const { communityId } = decodeMarketId(marketId);
  const p = await params(db, communityId);
  const ts = event.block.timestamp;
  const tradeId = event.id;
  const feeBps = await feeAtFirstTrade(db, marketId);

  // The makers' side: the level's front advances to `levelTaken`.
  const makerIsBid = !takerIsBid;
  const level = await db.find(bookLevels, { marketId, isBid: makerIsBid, tick });
  if (!level) throw new Error(`Trade on unknown level ${marketId}/${makerIsBid}/${tick}`);
  const moved = await advanceLevel(db, level, levelTaken, p.unit, { id: tradeId, timestamp: ts }, ts);
  await db.update(bookLevels, { marketId, isBid: makerIsBid, tick }).set({
    ...moved,
    available: level.queued - levelTaken - level.cancelled,
  });

  await db.insert(trades).values({
    id: tradeId,
    marketId,
    communityId,
    taker,
    takerIsBid,
    takerMeterId,
    tick,
    price: BigInt(tick) * p.tickSize,
    amountWh,
    value,
    levelTakenBefore: level.taken,
    levelTaken,
    blockNumber: event.block.number,
    timestamp: ts,
    txHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  });

  for (const interval of CANDLE_INTERVALS) {
    const bucketStart = (ts / BigInt(interval)) * BigInt(interval);
    await db
      .insert(candles)
      .values({
        marketId,
        interval,
        bucketStart,
        open: tick,
        high: tick,
        low: tick,
        close: tick,
        volumeWh: amountWh,
        value,
        trades: 1,
      })
      .onConflictDoUpdate((c) => ({
        high: tick > c.high ? tick : c.high,
        low: tick < c.low ? tick : c.low,
        close: tick,
        volumeWh: c.volumeWh + amountWh,
        value: c.value + value,
        trades: c.trades + 1,
      }));
  }

  if (takerIsBid) {
    // A bid taker pays at once into the market's escrow.
    await moveBalance(db, taker, -value, 0n, event.block.number);
    await addToPosition(db, marketId, taker, amountWh, value);
  } else {
    // An ask taker bonds what it sold; its sale is attributed at once, the bid makers' payment is
    // pending until they claim.
    const bond = amountWh * p.bondPerWh;
    if (bond !== 0n) await moveBalance(db, taker, -bond, bond, event.block.number);
    await addToSale(db, marketId, takerMeterId, taker, amountWh, value);
  }
  await updateMarket(db, marketId, (m) => ({
    tradedWh: m.tradedWh + amountWh,
    tradedValue: m.tradedValue + value,
    resolvedAskWh: takerIsBid ? m.resolvedAskWh : m.resolvedAskWh + amountWh,
    pendingBidValue: takerIsBid ? m.pendingBidValue : m.pendingBidValue + value,
    feeBps,
    trades: m.trades + 1,
    lastTick: tick,
  }));
  await db.update(communities, { id: communityId }).set((c) => ({
    tradedWh: c.tradedWh + amountWh,
    tradedValue: c.tradedValue + value,
  }));
});

ponder.on("EnergyMarket:OrderCancelled", async ({ event, context }) => {
  const db = context.db;
  const { orderId, owner, cancelledWh } = event.args;
  const { marketId, isBid, tick, index } = decodeOrderId(orderId);
  const p = await params(db, decodeMarketId(marketId).communityId);
  const o = await db.find(orders, { id: orderId });
  const level = await db.find(bookLevels, { marketId, isBid, tick });
  if (!o || !level) throw new Error(`OrderCancelled for unknown order ${orderId}`);
  const ts = event.block.timestamp;

  // OrderBook._cancel: the order whose range reaches `taken` is the level's front (every earlier
  // range lies below `taken`, every later one starts above it).
  if (index === level.frontIndex) {
    // Front: `taken` moves past the remainder; the order's fill is final ("frozen").
    await db.update(orders, { id: orderId }).set({
      frozen: true,
      cancelledWh,
      cancelledAt: ts,
      remainingWh: 0n,
      status: "cancelled",
      updatedAt: ts,
    });
    const frozen = { ...level, taken: level.taken + cancelledWh };
    const moved = await advanceLevel(db, frozen, frozen.taken, p.unit, undefined, ts);
    await db.update(bookLevels, { marketId, isBid, tick }).set({
      ...moved,
      available: level.queued - moved.taken - level.cancelled,
    });
  } else {
    // Behind the front: a hole in the CancelTree; later ranges shift down by it.
    await db.update(orders, { id: orderId }).set({
      cancelledWh: o.cancelledWh + cancelledWh,
      cancelledAt: ts,
      remainingWh: 0n,
      status: "cancelled",
      updatedAt: ts,
    });
    await db.update(bookLevels, { marketId, isBid, tick }).set({
      cancelled: level.cancelled + cancelledWh,
      available: level.available - cancelledWh,
    });
  }
  const unlock = cancelledWh * (isBid ? BigInt(tick) * p.unit : p.bondPerWh);
  if (unlock !== 0n) await moveBalance(db, owner, unlock, -unlock, event.block.number);
});

ponder.on("EnergyMarket:OrderClaimed", async ({ event, context }) => {
  const db = context.db;
  const { orderId, owner, filledWh, value, released } = event.args;
  const { marketId, isBid } = decodeOrderId(orderId);
  const o = await db.find(orders, { id: orderId });
  if (!o) throw new Error(`OrderClaimed for unknown order ${orderId}`);
  await db.update(orders, { id: orderId }).set({
    claimed: true,
    claimedFilledWh: filledWh,
    claimedValue: value,
    released,
    status: "claimed",
    updatedAt: event.block.timestamp,
  });
  if (isBid) {
    // The filled value leaves the maker's locked balance for the escrow; the rest is released.
    await moveBalance(db, owner, released, -(value + released), event.block.number);
    if (filledWh !== 0n) {
      await addToPosition(db, marketId, owner, filledWh, value);
      await updateMarket(db, marketId, (m) => ({ pendingBidValue: m.pendingBidValue - value }));
    }
  } else {
    // The sold energy's bond stays locked until settlement; the unfilled remainder's is released.
    if (released !== 0n) await moveBalance(db, owner, released, -released, event.block.number);
    if (filledWh !== 0n) {
      await addToSale(db, marketId, o.meterId, owner, filledWh, value);
      await updateMarket(db, marketId, (m) => ({ resolvedAskWh: m.resolvedAskWh + filledWh }));
    }
  }
});

// ---------------------------------------------------------------- settlement money (EnergyMarket side)

ponder.on("EnergyMarket:SellerSettled", async ({ event, context }) => {
  const db = context.db;
  const { marketId, meterId, seller, payout, fee, bondReleased, bondSlashed } = event.args;
  await moveBalance(db, seller, bondReleased + payout, -(bondReleased + bondSlashed), event.block.number);
  await updateMarket(db, marketId, (m) => ({
    paidOut: m.paidOut + payout + fee,
    slashedIn: m.slashedIn + bondSlashed,
  }));
  await db.update(sales, { marketId, meterId }).set({ bondReleased, bondSlashed });
  await db.update(communities, { id: decodeMarketId(marketId).communityId }).set((c) => ({
    treasuryBalance: c.treasuryBalance + fee,
    feesIn: c.feesIn + fee,
  }));
});

ponder.on("EnergyMarket:BuyerRefunded", async ({ event, context }) => {
  const { marketId, buyer, amount } = event.args;
  await moveBalance(context.db, buyer, amount, 0n, event.block.number);
  await updateMarket(context.db, marketId, (m) => ({ paidOut: m.paidOut + amount }));
  await context.db.update(positions, { marketId, buyer }).set({ refunded: amount });
});

ponder.on("EnergyMarket:EscrowSwept", async ({ event, context }) => {
  const { marketId, communityId, amount } = event.args;
  await updateMarket(context.db, marketId, (m) => ({ paidOut: m.paidOut + amount, swept: m.swept + amount }));
  await context.db.update(communities, { id: communityId }).set((c) => ({
    treasuryBalance: c.treasuryBalance + amount,
    sweptIn: c.sweptIn + amount,
  }));
});

ponder.on("EnergyMarket:TreasuryPaid", async ({ event, context }) => {
  const { communityId, amount } = event.args;
  await context.db.update(communities, { id: communityId }).set((c) => ({
    treasuryBalance: c.treasuryBalance - amount,
    paidOut: c.paidOut + amount,
  }));
});
