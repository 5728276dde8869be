/**
 * The catalog: every ask resting in a market whose gate has not passed, read from the indexer,
 * with its meter, community and seller reputation; one Beckn item and offer per ask.
 */
import type { IndexerClient, MeterRow } from "./indexer-client.ts";

export const SOURCE_TYPES = ["SOLAR", "BATTERY", "GRID", "HYBRID", "RENEWABLE"] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** Meter kinds (0 producer, 1 consumer, 2 prosumer, 3 storage) to the guide's source types. */
export const DEFAULT_SOURCE_BY_KIND: Record<number, SourceType> = {
  0: "RENEWABLE",
  1: "GRID",
  2: "SOLAR",
  3: "BATTERY",
};

export interface CatalogEntry {
  itemId: string;
  offerId: string;
  askOrderId: bigint;
  marketId: bigint;
  communityId: number;
  communityName: string;
  slotStart: number;
  slotEnd: number;
  opensAt: number;
  gateAt: number;
  seller: string;
  meterId: number;
  sourceType: SourceType;
  availableWh: bigint;
  minOrderWh: bigint;
  tick: number;
  tickSize: bigint;
  /** Quote base units per kWh. */
  priceBase: bigint;
  reputation: { scoreBps: number; committedWh: bigint; deliveredWh: bigint };
}

export const itemIdOf = (askOrderId: bigint) => `ps-ask-${askOrderId}`;
export const offerIdOf = (askOrderId: bigint) => `ps-offer-${askOrderId}`;

/** The ask order id behind an item or offer id of this gateway, or undefined. */
export function askOrderIdOf(id: string): bigint | undefined {
  const m = /^ps-(?:ask|offer)-(\d{1,78})$/.exec(id);
  return m ? BigInt(m[1]!) : undefined;
}

export interface CatalogOptions {
  /** Per-meter source types (e.g. from the operator's meter register); else by meter kind. */
  meterSources?: Record<number, SourceType>;
  horizonSeconds?: number;
}

export class CatalogSource {
  private readonly indexer: IndexerClient;
  private readonly opts: CatalogOptions;
  constructor(indexer: IndexerClient, opts: CatalogOptions = {}) {
    this.indexer = indexer;
    this.opts = opts;
  }

  async entries(nowSeconds: number, communityId?: number): Promise<CatalogEntry[]> {
    const asks = await this.indexer.openAsks(nowSeconds, communityId);
    if (asks.length === 0) return [];
    const [meters, communities, reps] = await Promise.all([
      this.indexer.meters([...new Set(asks.map((a) => a.meterId))]),
      this.indexer.communities(),
      this.indexer.reputations([...new Set(asks.map((a) => a.owner.toLowerCase()))]),
    ]);
    const meterById = new Map<number, MeterRow>(meters.map((m) => [m.id, m]));
    const communityById = new Map(communities.map((c) => [c.id, c]));
    const repBySeller = new Map(reps.map((r) => [r.seller.toLowerCase(), r]));
    const out: CatalogEntry[] = [];
    for (const a of asks) {
      const c = communityById.get(a.communityId);
      const meter = meterById.get(a.meterId);
      if (!c || !meter || !meter.active) continue;
      const r = repBySeller.get(a.owner.toLowerCase());
      const askOrderId = BigInt(a.id);
      const slotStart = Number(a.slotStart);
      const tickSize = BigInt(c.tickSize);
      out.push({
        itemId: itemIdOf(askOrderId),
        offerId: offerIdOf(askOrderId),
        askOrderId,
        marketId: BigInt(a.marketId),
        communityId: a.communityId,
        communityName: c.name,
        slotStart,
        slotEnd: slotStart + c.slotLength,
        opensAt: nowSeconds,
        gateAt: Number(a.gateAt),
        seller: a.owner.toLowerCase(),
        meterId: a.meterId,
        sourceType: this.opts.meterSources?.[a.meterId] ?? DEFAULT_SOURCE_BY_KIND[meter.kind] ?? "GRID",
        availableWh: BigInt(a.remainingWh),
        minOrderWh: BigInt(c.minOrderWh),
        tick: a.tick,
        tickSize,
        priceBase: BigInt(a.tick) * tickSize,
        reputation: {
          scoreBps: r?.scoreBps ?? 8000,
          committedWh: BigInt(r?.committedWh ?? "0"),
          deliveredWh: BigInt(r?.deliveredWh ?? "0"),
        },
      });
    }
    return out;
  }
}
