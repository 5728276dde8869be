/**
 * The indexer's tables. Every row is derived from events alone (no contract calls in handlers).
 * Amounts are bigints in the contracts' units: energy in Wh, money in quote-token base units
 * (USDC: 6 decimals), prices as ticks (price per kWh = tick × community tickSize).
 */
import { index, onchainTable, primaryKey } from "ponder";

export const communities = onchainTable("communities", (t) => ({
  id: t.integer().primaryKey(),
  name: t.text().notNull(),
  admin: t.hex().notNull(),
  slotLength: t.integer().notNull(),
  gateLead: t.integer().notNull(),
  horizon: t.integer().notNull(),
  /** Quote base units per kWh between adjacent ticks (a multiple of 1000). */
  tickSize: t.bigint().notNull(),
  minOrderWh: t.bigint().notNull(),
  bondPerWh: t.bigint().notNull(),
  /** The fee of markets whose slot starts before `nextFeeFrom` (all of them when none is scheduled). */
  feeBps: t.integer().notNull(),
  /** A scheduled fee change (CommunityFeeScheduled): `nextFeeBps` from the slot `nextFeeFrom` on. */
  nextFeeBps: t.integer(),
  nextFeeFrom: t.bigint(),
  priceFeed: t.hex().notNull(),
  /** Who certifies the community's meters (DeliverySettlement.MeterRegistrarSet); null: its admin. */
  meterRegistrar: t.hex(),
  bandBps: t.integer().notNull(),
  maxFeedAge: t.integer().notNull(),
  admissionRequired: t.boolean().notNull(),
  members: t.integer().notNull(),
  /** Members admitted by the admin (the treasury electorate). */
  admitted: t.integer().notNull(),
  meters: t.integer().notNull(),
  /** Community treasury: fees + swept escrow dust − payouts voted by members. */
  treasuryBalance: t.bigint().notNull(),
  feesIn: t.bigint().notNull(),
  sweptIn: t.bigint().notNull(),
  paidOut: t.bigint().notNull(),
  tradedWh: t.bigint().notNull(),
  tradedValue: t.bigint().notNull(),
  createdBlock: t.bigint().notNull(),
  createdAt: t.bigint().notNull(),
}));

export const members = onchainTable(
  "members",
  (t) => ({
    communityId: t.integer().notNull(),
    account: t.hex().notNull(),
    joinedBlock: t.bigint().notNull(),
    joinedAt: t.bigint().notNull(),
    /** When the community's admin admitted the member (the creator: at creation); null for a member
     * who joined by itself. Only admitted members vote on treasury payouts. */
    admittedBlock: t.bigint(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.communityId, table.account] }) }),
);

export const meters = onchainTable(
  "meters",
  (t) => ({
    id: t.integer().primaryKey(),
    communityId: t.integer().notNull(),
    owner: t.hex().notNull(),
    /** 0 Producer, 1 Consumer, 2 Prosumer, 3 Storage. */
    kind: t.integer().notNull(),
    capacityW: t.integer().notNull(),
    deviceKey: t.hex().notNull(),
    active: t.boolean().notNull(),
    /** After a transfer the new owner trades slots starting at or after this (unix seconds). */
    tradableFrom: t.bigint().notNull(),
    registeredAt: t.bigint().notNull(),
  }),
  (table) => ({ ownerIdx: index().on(table.owner), communityIdx: index().on(table.communityId) }),
);

/** One market per (community, delivery slot): marketId = communityId << 40 | slotStart. */
export const markets = onchainTable(
  "markets",
  (t) => ({
    id: t.bigint().primaryKey(),
    communityId: t.integer().notNull(),
    slotStart: t.bigint().notNull(),
    opensAt: t.bigint().notNull(),
    gateAt: t.bigint().notNull(),
    tradedWh: t.bigint().notNull(),
    tradedValue: t.bigint().notNull(),
    /** Matched energy attributed to seller meters (ask takers at once, ask makers at claim). */
    resolvedAskWh: t.bigint().notNull(),
    /** Filled bid-maker value still in the makers' locked balances (until their claim). */
    pendingBidValue: t.bigint().notNull(),
    /** The community fee the market's sales are charged, fixed at its first trade (null before). */
    feeBps: t.integer(),
    trades: t.integer().notNull(),
    orders: t.integer().notNull(),
    lastTick: t.integer(),
    /** Escrow flows: paid out by settlement, slashed bonds paid in. */
    paidOut: t.bigint().notNull(),
    slashedIn: t.bigint().notNull(),
    /** DeliverySettlement.settlementOf */
    settledSoldWh: t.bigint().notNull(),
    refundPool: t.bigint().notNull(),
    sellersSettled: t.integer().notNull(),
    refundedPaid: t.bigint().notNull(),
    refunded: t.bigint().notNull(),
    refundPoolFinal: t.boolean().notNull(),
    swept: t.bigint().notNull(),
  }),
  (table) => ({ communityIdx: index().on(table.communityId, table.slotStart) }),
);

/**
 * Resting (maker) orders. `filledWh` follows the claim-range model of OrderBook._fillOf as takers
 * advance the level's `taken`; it is final once the market's gate has passed.
 */
export const orders = onchainTable(
  "orders",
  (t) => ({
    /** The uint256 orderId: marketId << 40 | isBid << 32 | tick << 16 | queue index. */
    id: t.bigint().primaryKey(),
    marketId: t.bigint().notNull(),
    communityId: t.integer().notNull(),
    slotStart: t.bigint().notNull(),
    gateAt: t.bigint().notNull(),
    owner: t.hex().notNull(),
    meterId: t.integer().notNull(),
    isBid: t.boolean().notNull(),
    tick: t.integer().notNull(),
    queueIndex: t.integer().notNull(),
    /** Amount that rested in the book (what was not matched on entry). */
    amountWh: t.bigint().notNull(),
    /** The level's `queued` when the order entered (OrderPlaced.queueStart). */
    queueStart: t.bigint().notNull(),
    filledWh: t.bigint().notNull(),
    /** filledWh × price, quote base units. */
    filledValue: t.bigint().notNull(),
    cancelledWh: t.bigint().notNull(),
    /** Time of the cancel (depth over time needs it; `updatedAt` moves again at the claim). */
    cancelledAt: t.bigint(),
    remainingWh: t.bigint().notNull(),
    /** open | partial | filled | cancelled | claimed */
    status: t.text().notNull(),
    /** Cancelled at the front of its level: the fill is final and the level's front moved past it. */
    frozen: t.boolean().notNull(),
    claimed: t.boolean().notNull(),
    claimedFilledWh: t.bigint(),
    claimedValue: t.bigint(),
    released: t.bigint(),
    placedBlock: t.bigint().notNull(),
    placedAt: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    updatedAt: t.bigint().notNull(),
  }),
  (table) => ({
    ownerIdx: index().on(table.owner, table.claimed),
    marketIdx: index().on(table.marketId),
  }),
);

/** Trade events: a taker matched `amountWh` at one level. */
export const trades = onchainTable(
  "trades",
  (t) => ({
    id: t.text().primaryKey(),
    marketId: t.bigint().notNull(),
    communityId: t.integer().notNull(),
    taker: t.hex().notNull(),
    takerIsBid: t.boolean().notNull(),
    takerMeterId: t.integer().notNull(),
    tick: t.integer().notNull(),
    /** Quote base units per kWh. */
    price: t.bigint().notNull(),
    amountWh: t.bigint().notNull(),
    value: t.bigint().notNull(),
    levelTakenBefore: t.bigint().notNull(),
    levelTaken: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    logIndex: t.integer().notNull(),
  }),
  (table) => ({
    marketIdx: index().on(table.marketId, table.blockNumber),
    takerIdx: index().on(table.taker),
  }),
);

/** The maker legs of each trade, derived from the claim ranges the trade covered. */
export const makerFills = onchainTable(
  "maker_fills",
  (t) => ({
    id: t.text().primaryKey(),
    tradeId: t.text().notNull(),
    orderId: t.bigint().notNull(),
    marketId: t.bigint().notNull(),
    maker: t.hex().notNull(),
    amountWh: t.bigint().notNull(),
    value: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ orderIdx: index().on(table.orderId), makerIdx: index().on(table.maker) }),
);

/** One price level of one side of a market (OrderBook.level). */
export const bookLevels = onchainTable(
  "book_levels",
  (t) => ({
    marketId: t.bigint().notNull(),
    isBid: t.boolean().notNull(),
    tick: t.integer().notNull(),
    queued: t.bigint().notNull(),
    taken: t.bigint().notNull(),
    cancelled: t.bigint().notNull(),
    available: t.bigint().notNull(),
    /** Queue index after the level's last order (generation × 512 + orders in the generation). */
    count: t.integer().notNull(),
    /** The level's generation (LevelGenerationStarted): a full level with nothing resting starts a
     * fresh one of 512 orders at queue index generation × 512, with `taken` = `queued`. */
    generation: t.integer().notNull(),
    /** First queue index whose claim range `taken` has not passed, and its net range start. */
    frontIndex: t.integer().notNull(),
    frontStart: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.marketId, table.isBid, table.tick] }),
    depthIdx: index().on(table.marketId, table.isBid, table.available),
  }),
);

/** OHLCV per market and interval (900, 3600, 86400 s), by trade time; prices are ticks. */
export const candles = onchainTable(
  "candles",
  (t) => ({
    marketId: t.bigint().notNull(),
    interval: t.integer().notNull(),
    bucketStart: t.bigint().notNull(),
    open: t.integer().notNull(),
    high: t.integer().notNull(),
    low: t.integer().notNull(),
    close: t.integer().notNull(),
    volumeWh: t.bigint().notNull(),
    value: t.bigint().notNull(),
    trades: t.integer().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.marketId, table.interval, table.bucketStart] }) }),
);

/** EnergyMarket internal balances (Balances.balanceOf). */
export const balances = onchainTable("balances", (t) => ({
  account: t.hex().primaryKey(),
  free: t.bigint().notNull(),
  locked: t.bigint().notNull(),
  deposited: t.bigint().notNull(),
  withdrawn: t.bigint().notNull(),
  updatedBlock: t.bigint().notNull(),
}));

/** A buyer's position in a market (OrderBook.position) and its refund. */
export const positions = onchainTable(
  "positions",
  (t) => ({
    marketId: t.bigint().notNull(),
    buyer: t.hex().notNull(),
    boughtWh: t.bigint().notNull(),
    paid: t.bigint().notNull(),
    refunded: t.bigint().notNull(),
    refundClaimed: t.boolean().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.marketId, table.buyer] }),
    buyerIdx: index().on(table.buyer),
  }),
);

/** A seller meter's sale in a market (OrderBook.sale) and its settlement (SaleSettled + SellerSettled). */
export const sales = onchainTable(
  "sales",
  (t) => ({
    marketId: t.bigint().notNull(),
    meterId: t.integer().notNull(),
    seller: t.hex().notNull(),
    soldWh: t.bigint().notNull(),
    proceeds: t.bigint().notNull(),
    settled: t.boolean().notNull(),
    deliveredWh: t.bigint(),
    reported: t.boolean(),
    payout: t.bigint(),
    fee: t.bigint(),
    refunded: t.bigint(),
    bondReleased: t.bigint(),
    bondSlashed: t.bigint(),
    settledAt: t.bigint(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.marketId, table.meterId] }),
    sellerIdx: index().on(table.seller),
  }),
);

/** Oracle meter reports (DeliverySettlement.MeterReported). */
export const reports = onchainTable(
  "reports",
  (t) => ({
    meterId: t.integer().notNull(),
    slotStart: t.bigint().notNull(),
    importedWh: t.bigint().notNull(),
    exportedWh: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.meterId, table.slotStart] }) }),
);

/** Oracle attestations that a meter sent nothing for a slot (DeliverySettlement.MeterSilent): the
 * meter's sale settles as having delivered nothing. */
export const silences = onchainTable(
  "silences",
  (t) => ({
    meterId: t.integer().notNull(),
    slotStart: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.meterId, table.slotStart] }) }),
);

/** Buyers' refund claims (DeliverySettlement.RefundClaimed). */
export const refundClaims = onchainTable(
  "refund_claims",
  (t) => ({
    marketId: t.bigint().notNull(),
    buyer: t.hex().notNull(),
    paid: t.bigint().notNull(),
    refund: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.marketId, table.buyer] }) }),
);

/** Seller delivery records (DeliverySettlement.reputationOf; score includes the 8-of-10-kWh prior). */
export const reputation = onchainTable("reputation", (t) => ({
  seller: t.hex().primaryKey(),
  committedWh: t.bigint().notNull(),
  deliveredWh: t.bigint().notNull(),
  scoreBps: t.integer().notNull(),
  updatedAt: t.bigint().notNull(),
}));

/** TreasuryGovernor proposals; time-based states (active, defeated, …) are computed by the API. */
export const proposals = onchainTable(
  "proposals",
  (t) => ({
    id: t.bigint().primaryKey(),
    communityId: t.integer().notNull(),
    proposer: t.hex().notNull(),
    to: t.hex().notNull(),
    amount: t.bigint().notNull(),
    snapshot: t.bigint().notNull(),
    voteStart: t.bigint().notNull(),
    voteEnd: t.bigint().notNull(),
    members: t.integer().notNull(),
    quorum: t.integer().notNull(),
    description: t.text().notNull(),
    forVotes: t.integer().notNull(),
    againstVotes: t.integer().notNull(),
    abstainVotes: t.integer().notNull(),
    eta: t.bigint(),
    executed: t.boolean().notNull(),
    canceled: t.boolean().notNull(),
    createdAt: t.bigint().notNull(),
  }),
  (table) => ({ communityIdx: index().on(table.communityId) }),
);

export const votes = onchainTable(
  "votes",
  (t) => ({
    proposalId: t.bigint().notNull(),
    voter: t.hex().notNull(),
    /** 0 Against, 1 For, 2 Abstain */
    support: t.integer().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.proposalId, table.voter] }) }),
);

/** SettlementKeeper runs. */
export const upkeeps = onchainTable("upkeeps", (t) => ({
  id: t.text().primaryKey(),
  marketId: t.bigint().notNull(),
  sellers: t.integer().notNull(),
  timestamp: t.bigint().notNull(),
}));
