/**
 * JSON shapes of the indexer's analytics routes (`/analytics/*`, docs/indexer.md "Analytics"), for
 * the dApp and other TypeScript clients: `import type { SlotRow } from "@powershare/indexer/analytics-types.ts"`.
 *
 * `A` is how an integer amount arrives: a decimal string in JSON (the default); the indexer builds
 * the same shapes with bigints. Energy in Wh, money in quote base units, prices in quote base units
 * per kWh; averages and ratios are numbers (6 decimals) or null when undefined.
 */

/** A listing page: the request's parameters, the rows under `key`, and the next page's cursor. */
export type Listing<Key extends string, Row, Meta = object> = Meta & { [k in Key]: Row[] } & {
  nextCursor: string | null;
};

export type FillStats<A = string> = {
  restingBidWh: A;
  filledBidWh: A;
  cancelledBidWh: A;
  restingAskWh: A;
  filledAskWh: A;
  cancelledAskWh: A;
  bidFillRate: number | null;
  askFillRate: number | null;
  fillRate: number | null;
};

/** GET /analytics/market/slots — one delivery slot (market). */
export type SlotRow<A = string> = {
  slotStart: A;
  marketId: A;
  trades: number;
  tradedWh: A;
  tradedValue: A;
  vwap: number | null;
  low: A | null;
  high: A | null;
  /** Best bid and ask of the resting book (at the gate once closed) and their difference. */
  bestBid: A | null;
  bestAsk: A | null;
  spread: A | null;
  availableBidWh: A;
  availableAskWh: A;
} & FillStats<A>;

export type RangeMeta<A = string> = { communityId: number; tickSize: A; from: A; to: A | null };
export type SlotsResponse = Listing<"slots", SlotRow, RangeMeta>;

/** GET /analytics/market/days — one UTC day of delivery. */
export type DayRow<A = string> = {
  day: A;
  markets: number;
  marketsTraded: number;
  trades: number;
  tradedWh: A;
  tradedValue: A;
  vwap: number | null;
  low: A | null;
  high: A | null;
} & FillStats<A>;
export type DaysResponse = Listing<"days", DayRow, RangeMeta>;

/** GET /analytics/market/:marketId */
export type MarketAnalytics<A = string> = {
  marketId: A;
  communityId: number;
  slotStart: A;
  opensAt: A;
  gateAt: A;
  now: A;
  status: "upcoming" | "open" | "closed";
  open: A | null;
  close: A | null;
  settlement: {
    salesSettled: number;
    settledSoldWh: A;
    reportedSoldWh: A;
    deliveredWh: A;
    deliveryRate: number | null;
    refundPool: A;
    refundPoolFinal: boolean;
  };
} & Omit<SlotRow<A>, "slotStart" | "marketId">;

/** GET /analytics/market/:marketId/depth — the book at one time. */
export type DepthSample<A = string> = {
  time: A;
  bidDepthWh: A;
  askDepthWh: A;
  bestBidTick: number | null;
  bestAskTick: number | null;
  bestBid: A | null;
  bestAsk: A | null;
  spread: A | null;
};
export type DepthResponse = Listing<
  "depth",
  DepthSample,
  {
    marketId: string;
    communityId: number;
    tickSize: string;
    gateAt: string;
    from: string;
    to: string;
    step: string;
  }
>;

/** A user's figures (GET /analytics/users/:address, per community and per market). */
export type UserFigures<A = string> = {
  trades: number;
  boughtWh: A;
  paid: A;
  refunds: A;
  soldWh: A;
  proceeds: A;
  payout: A;
  fees: A;
  bondSlashed: A;
  salesSettled: number;
  salesReported: number;
  reportedSoldWh: A;
  unreportedSoldWh: A;
  deliveredWh: A;
  netSpend: A;
  netEarnings: A;
  deliveryRate: number | null;
  avgBuyPrice: number | null;
  avgSellPrice: number | null;
  communityVwap: number | null;
  buyPriceVsCommunity: number | null;
  sellPriceVsCommunity: number | null;
  retailCost: A;
  savings: A;
  feedInValue: A;
  gainOverFeedIn: A;
};

export type UserMeta<A = string> = {
  account: string;
  communityId: number | null;
  from: A;
  to: A | null;
  tariff: A;
  feedInTariff: A;
};

export type UserAnalytics<A = string> = UserMeta<A> &
  UserFigures<A> & { byCommunity: ({ communityId: number } & UserFigures<A>)[] };

export type UserMarketRow<A = string> = { marketId: A; communityId: number; slotStart: A } & UserFigures<A>;
export type UserMarketsResponse = Listing<"markets", UserMarketRow, UserMeta>;

/** GET /analytics/communities/:id */
export type CommunityAnalytics<A = string> = {
  communityId: number;
  name: string;
  from: A;
  to: A | null;
  now: A;
  members: number;
  newMembers: number;
  admissionRequired: boolean;
  meters: MeterCounts;
  market: {
    markets: number;
    marketsTraded: number;
    trades: number;
    traders: number;
    tradedWh: A;
    tradedValue: A;
    vwap: number | null;
    fillRate: number | null;
  };
  energy: {
    reports: number;
    importedWh: A;
    exportedWh: A;
    tradedWh: A;
    deliveredWh: A;
    selfSufficiency: number | null;
    deliveredSelfSufficiency: number | null;
  };
  settlement: {
    salesSettled: number;
    reportedSoldWh: A;
    unreportedSoldWh: A;
    deliveredWh: A;
    deliveryRate: number | null;
    payout: A;
    fees: A;
    bondSlashed: A;
    refundPool: A;
  };
  treasury: { balance: A; feesIn: A; sweptIn: A; paidOut: A; period: { fees: A; swept: A } };
  proposals: {
    proposals: number;
    pending: number;
    active: number;
    succeeded: number;
    queued: number;
    executed: number;
    defeated: number;
    canceled: number;
    expired: number;
    executedAmount: A;
  };
};

export type MeterCounts = {
  meters: number;
  activeMeters: number;
  producer: number;
  consumer: number;
  prosumer: number;
  storage: number;
};

/** GET /analytics/communities/:id/trades — one trade, in chain order. */
export type TradeRow<A = string> = {
  id: string;
  marketId: A;
  slotStart: A;
  timestamp: A;
  blockNumber: A;
  txHash: string;
  taker: string;
  takerSide: "buy" | "sell";
  takerMeterId: number;
  tick: number;
  price: A;
  amountWh: A;
  value: A;
};
export type TradesResponse = Listing<"trades", TradeRow, RangeMeta>;

/** GET /analytics/platform */
export type PlatformAnalytics<A = string> = {
  now: A;
  communities: number;
  members: number;
  memberAccounts: number;
  meters: MeterCounts;
  market: {
    markets: number;
    marketsTraded: number;
    orders: number;
    trades: number;
    traders: number;
    tradedWh: A;
    tradedValue: A;
    vwap: number | null;
    fillRate: number | null;
  };
  energy: { reports: number; importedWh: A; exportedWh: A; selfSufficiency: number | null };
  settlement: {
    salesSettled: number;
    reportedSoldWh: A;
    deliveredWh: A;
    deliveryRate: number | null;
    payout: A;
    bondSlashed: A;
  };
  money: { accounts: number; deposited: A; withdrawn: A; free: A; locked: A };
  treasury: { balance: A; feesIn: A; sweptIn: A; paidOut: A };
  proposals: { proposals: number; executed: number; executedAmount: A };
};

/** GET /analytics/platform/communities — one community. */
export type PlatformCommunityRow<A = string> = {
  communityId: number;
  name: string;
  createdAt: A;
  members: number;
  meters: number;
  tickSize: A;
  feeBps: number;
  markets: number;
  trades: number;
  tradedWh: A;
  tradedValue: A;
  vwap: number | null;
  treasuryBalance: A;
  feesIn: A;
  sweptIn: A;
  paidOut: A;
};
export type PlatformCommunitiesResponse = Listing<"communities", PlatformCommunityRow>;

/** Every analytics error: a 400 with one sentence. */
export type AnalyticsError = { error: string };
