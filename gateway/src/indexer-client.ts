/**
 * Reads from the PowerShare indexer's GraphQL API (Ponder): the books' resting asks for the
 * catalog, and a confirmed order's trades, maker fills, reports and settlement for `status` and
 * provider-initiated `update`s. BigInts come back as decimal strings.
 */
export class IndexerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IndexerError";
  }
}

export interface AskRow {
  id: string;
  marketId: string;
  communityId: number;
  slotStart: string;
  gateAt: string;
  owner: string;
  meterId: number;
  tick: number;
  remainingWh: string;
  status: string;
}

export interface MeterRow {
  id: number;
  communityId: number;
  owner: string;
  kind: number;
  capacityW: number;
  active: boolean;
}

export interface CommunityRow {
  id: number;
  name: string;
  slotLength: number;
  tickSize: string;
  minOrderWh: string;
  feeBps: number;
}

export interface ReputationRow {
  seller: string;
  committedWh: string;
  deliveredWh: string;
  scoreBps: number;
}

export interface TradeRow {
  id: string;
  marketId: string;
  taker: string;
  tick: number;
  price: string;
  amountWh: string;
  value: string;
  timestamp: string;
  txHash: string;
  blockNumber: string;
}

export interface MakerFillRow {
  tradeId: string;
  orderId: string;
  maker: string;
  amountWh: string;
  value: string;
}

export interface SaleRow {
  marketId: string;
  meterId: number;
  seller: string;
  soldWh: string;
  settled: boolean;
  deliveredWh: string | null;
  reported: boolean | null;
  payout: string | null;
  refunded: string | null;
  bondSlashed: string | null;
  settledAt: string | null;
}

export interface ReportRow {
  meterId: number;
  slotStart: string;
  importedWh: string;
  exportedWh: string;
  timestamp: string;
}

export interface PositionRow {
  marketId: string;
  buyer: string;
  boughtWh: string;
  paid: string;
  refunded: string;
  refundClaimed: boolean;
}

export interface MarketRow {
  id: string;
  refundPool: string;
  refundPoolFinal: boolean;
  sellersSettled: number;
}

export class IndexerClient {
  readonly url: string;
  private readonly timeoutMs: number;
  constructor(url: string, timeoutMs = 10_000) {
    this.url = url;
    this.timeoutMs = timeoutMs;
  }

  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url.replace(/\/$/, "")}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new IndexerError(`the indexer at ${this.url} is unreachable: ${(err as Error).message}`);
    }
    const json = (await res.json().catch(() => undefined)) as
      { data?: T; errors?: { message: string }[] } | undefined;
    if (!res.ok || !json || json.errors?.length || !json.data) {
      const why = json?.errors?.map((e) => e.message).join("; ") ?? `HTTP ${res.status}`;
      throw new IndexerError(`the indexer refused a query: ${why}`);
    }
    return json.data;
  }

  /** Asks still resting in markets whose gate has not passed (best price first per market). */
  async openAsks(nowSeconds: number, communityId?: number, limit = 1000): Promise<AskRow[]> {
    const where = [
      "isBid: false",
      'remainingWh_gt: "0"',
      "gateAt_gt: $now",
      'status_in: ["open", "partial"]',
      ...(communityId !== undefined ? ["communityId: $c"] : []),
    ].join(", ");
    const q = `query($now: BigInt!${communityId !== undefined ? ", $c: Int!" : ""}) {
      orderss(where: { ${where} }, orderBy: "tick", orderDirection: "asc", limit: ${limit}) {
        items { id marketId communityId slotStart gateAt owner meterId tick remainingWh status }
      }
    }`;
    const d = await this.query<{ orderss: { items: AskRow[] } }>(q, {
      now: String(nowSeconds),
      c: communityId,
    });
    return d.orderss.items;
  }

  async meters(ids: number[]): Promise<MeterRow[]> {
    if (ids.length === 0) return [];
    const d = await this.query<{ meterss: { items: MeterRow[] } }>(
      `query($ids: [Int!]) { meterss(where: { id_in: $ids }, limit: 1000) { items { id communityId owner kind capacityW active } } }`,
      { ids },
    );
    return d.meterss.items;
  }

  async communities(): Promise<CommunityRow[]> {
    const d = await this.query<{ communitiess: { items: CommunityRow[] } }>(
      `{ communitiess(limit: 1000) { items { id name slotLength tickSize minOrderWh feeBps } } }`,
    );
    return d.communitiess.items;
  }

  async reputations(sellers: string[]): Promise<ReputationRow[]> {
    if (sellers.length === 0) return [];
    const d = await this.query<{ reputations: { items: ReputationRow[] } }>(
      `query($s: [String!]) { reputations(where: { seller_in: $s }, limit: 1000) { items { seller committedWh deliveredWh scoreBps } } }`,
      { s: sellers },
    );
    return d.reputations.items;
  }

  /** The trades a transaction made (a confirmed Beckn order's taker legs). */
  async tradesOfTx(txHash: string): Promise<TradeRow[]> {
    const d = await this.query<{ tradess: { items: TradeRow[] } }>(
      `query($h: String!) { tradess(where: { txHash: $h }, orderBy: "logIndex", limit: 1000) {
        items { id marketId taker tick price amountWh value timestamp txHash blockNumber } } }`,
      { h: txHash },
    );
    return d.tradess.items;
  }

  async makerFillsOf(tradeIds: string[]): Promise<MakerFillRow[]> {
    if (tradeIds.length === 0) return [];
    const d = await this.query<{ makerFillss: { items: MakerFillRow[] } }>(
      `query($t: [String!]) { makerFillss(where: { tradeId_in: $t }, limit: 1000) { items { tradeId orderId maker amountWh value } } }`,
      { t: tradeIds },
    );
    return d.makerFillss.items;
  }

  async ordersById(ids: string[]): Promise<{ id: string; meterId: number; owner: string }[]> {
    if (ids.length === 0) return [];
    const d = await this.query<{ orderss: { items: { id: string; meterId: number; owner: string }[] } }>(
      `query($ids: [BigInt!]) { orderss(where: { id_in: $ids }, limit: 1000) { items { id meterId owner } } }`,
      { ids },
    );
    return d.orderss.items;
  }

  /** Ask orders of these meters in a market: what their makers sold (final after the gate). */
  async askFills(
    marketId: string,
    meterIds: number[],
  ): Promise<{ meterId: number; filledWh: string; claimed: boolean }[]> {
    if (meterIds.length === 0) return [];
    const d = await this.query<{
      orderss: { items: { meterId: number; filledWh: string; claimed: boolean }[] };
    }>(
      `query($m: BigInt!, $ids: [Int!]) { orderss(where: { marketId: $m, isBid: false, meterId_in: $ids }, limit: 1000) {
        items { meterId filledWh claimed } } }`,
      { m: marketId, ids: meterIds },
    );
    return d.orderss.items;
  }

  async sales(marketId: string, meterIds: number[]): Promise<SaleRow[]> {
    if (meterIds.length === 0) return [];
    const d = await this.query<{ saless: { items: SaleRow[] } }>(
      `query($m: BigInt!, $ids: [Int!]) { saless(where: { marketId: $m, meterId_in: $ids }, limit: 1000) {
        items { marketId meterId seller soldWh settled deliveredWh reported payout refunded bondSlashed settledAt } } }`,
      { m: marketId, ids: meterIds },
    );
    return d.saless.items;
  }

  async reports(slotStart: string, meterIds: number[]): Promise<ReportRow[]> {
    if (meterIds.length === 0) return [];
    const d = await this.query<{ reportss: { items: ReportRow[] } }>(
      `query($s: BigInt!, $ids: [Int!]) { reportss(where: { slotStart: $s, meterId_in: $ids }, limit: 1000) {
        items { meterId slotStart importedWh exportedWh timestamp } } }`,
      { s: slotStart, ids: meterIds },
    );
    return d.reportss.items;
  }

  async position(marketId: string, buyer: string): Promise<PositionRow | undefined> {
    const d = await this.query<{ positions: PositionRow | null }>(
      `query($m: BigInt!, $b: String!) { positions(marketId: $m, buyer: $b) { marketId buyer boughtWh paid refunded refundClaimed } }`,
      { m: marketId, b: buyer.toLowerCase() },
    );
    return d.positions ?? undefined;
  }

  async market(marketId: string): Promise<MarketRow | undefined> {
    const d = await this.query<{ markets: MarketRow | null }>(
      `query($m: BigInt!) { markets(id: $m) { id refundPool refundPoolFinal sellersSettled } }`,
      { m: marketId },
    );
    return d.markets ?? undefined;
  }

  /** The latest indexed block (GET /status), or undefined. */
  async indexedBlock(): Promise<number | undefined> {
    try {
      const res = await fetch(`${this.url.replace(/\/$/, "")}/status`, {
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const j = (await res.json()) as Record<string, { block?: { number?: number } }>;
      const first = Object.values(j)[0];
      return first?.block?.number;
    } catch {
      return undefined;
    }
  }
}
