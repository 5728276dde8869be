/**
 * Typed reads of the indexer's REST routes and GraphQL (docs/indexer.md). Amounts arrive as decimal
 * strings; callers convert with BigInt where they compute.
 */
export type Dec = string;

export interface DepthLevel {
  tick: number;
  available: Dec;
  queued: Dec;
  taken: Dec;
  cancelled: Dec;
  orders: number;
  price: Dec;
}
export interface Depth {
  marketId: Dec;
  communityId: number;
  slotStart: number;
  gateAt: Dec | null;
  bestBid: number | null;
  bestAsk: number | null;
  bids: DepthLevel[];
  asks: DepthLevel[];
}
export interface Trade {
  id: string;
  marketId: Dec;
  taker: string;
  takerIsBid: boolean;
  tick: number;
  price: Dec;
  amountWh: Dec;
  value: Dec;
  blockNumber: Dec;
  timestamp: Dec;
  txHash: string;
}
export interface Candle {
  bucketStart: Dec;
  open: number;
  high: number;
  low: number;
  close: number;
  volumeWh: Dec;
  value: Dec;
  trades: number;
}
export interface Order {
  id: Dec;
  marketId: Dec;
  communityId: number;
  slotStart: Dec;
  gateAt: Dec;
  owner: string;
  meterId: number;
  isBid: boolean;
  tick: number;
  amountWh: Dec;
  filledWh: Dec;
  cancelledWh: Dec;
  remainingWh: Dec;
  status: string;
  placedAt: Dec;
  txHash: string;
}
export interface Community {
  id: number;
  name: string;
  admin: string;
  slotLength: number;
  gateLead: number;
  horizon: number;
  tickSize: Dec;
  minOrderWh: Dec;
  bondPerWh: Dec;
  feeBps: number;
  priceFeed: string;
  bandBps: number;
  admissionRequired: boolean;
  members: number;
  meters: number;
  treasuryBalance: Dec;
  feesIn: Dec;
  paidOut: Dec;
  tradedWh: Dec;
  tradedValue: Dec;
}
export interface Market {
  id: Dec;
  communityId: number;
  slotStart: Dec;
  opensAt: Dec;
  gateAt: Dec;
  tradedWh: Dec;
  tradedValue: Dec;
  trades: number;
  orders: number;
  lastTick: number | null;
  open?: boolean;
  refundPoolFinal?: boolean;
  settledSoldWh?: Dec;
  refundPool?: Dec;
}
export interface Proposal {
  id: Dec;
  communityId: number;
  proposer: string;
  to: string;
  amount: Dec;
  voteStart: Dec;
  voteEnd: Dec;
  quorum: number;
  description: string;
  forVotes: number;
  againstVotes: number;
  abstainVotes: number;
  eta: Dec | null;
  executed: boolean;
  canceled: boolean;
  state: string;
  createdAt: Dec;
}
export interface CommunityDetail {
  community: Community;
  now: Dec;
  meters: { active: number; inactive: number };
  settled: { soldWh: Dec; deliveredWh: Dec };
  markets: Market[];
  proposals: Proposal[];
}
export interface Claimables {
  account: string;
  now: Dec;
  balance: { free: Dec; locked: Dec; deposited?: Dec; withdrawn?: Dec };
  orders: {
    orderId: Dec;
    marketId: Dec;
    isBid: boolean;
    tick: number;
    filledWh: Dec;
    value: Dec;
    releases: Dec;
  }[];
  refunds: { marketId: Dec; paid: Dec; refund: Dec }[];
}
export interface Meter {
  id: number;
  communityId: number;
  owner: string;
  kind: number;
  capacityW: number;
  active: boolean;
  tradableFrom: Dec;
}

export class IndexerError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export async function getJson<T>(base: string, path: string, signal?: AbortSignal): Promise<T> {
  let r: Response;
  try {
    r = await fetch(`${base}${path}`, { signal, cache: "no-store" });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new IndexerError("The indexer cannot be reached");
  }
  if (!r.ok) throw new IndexerError(`The indexer answered ${r.status}`, r.status);
  return (await r.json()) as T;
}

export async function gql<T>(
  base: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  let r: Response;
  try {
    r = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
      cache: "no-store",
    });
  } catch {
    throw new IndexerError("The indexer cannot be reached");
  }
  if (!r.ok) throw new IndexerError(`The indexer answered ${r.status}`, r.status);
  const body = (await r.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new IndexerError(body.errors.map((e) => e.message).join("; "));
  return body.data as T;
}

/** Items of a Ponder GraphQL list field. */
export type Items<K extends string, T> = { [k in K]: { items: T[] } };
