"use client";
/**
 * Indexer reads as TanStack queries. Live: the market's book and tape poll every LIVE_MS (the
 * indexer polls the chain every 200 ms on the dev chain), other views less often.
 */
import { useQuery } from "@tanstack/react-query";
import { useAppConfig } from "./useAppConfig";
import {
  getJson,
  gql,
  type Candle,
  type Claimables,
  type Community,
  type CommunityDetail,
  type Depth,
  type Items,
  type Market,
  type Meter,
  type Order,
  type Trade,
} from "@/lib/indexer";

export const LIVE_MS = 400;
const SLOW_MS = 2_000;

export function useIndexerBase() {
  return useAppConfig().indexerUrl;
}

export function useIndexerStatus() {
  const base = useIndexerBase();
  return useQuery({
    queryKey: ["indexer", "status"],
    queryFn: async () => {
      const r = await fetch(`${base}/ready`, { cache: "no-store" }).catch(() => undefined);
      return { up: Boolean(r && r.status < 500), ready: r?.status === 200 };
    },
    refetchInterval: 3_000,
  });
}

export function useCommunities() {
  const base = useIndexerBase();
  return useQuery({
    queryKey: ["communities"],
    queryFn: async () =>
      (
        await gql<Items<"communitiess", Community>>(
          base,
          `{ communitiess(limit: 200, orderBy: "id") { items { id name admin slotLength gateLead horizon tickSize minOrderWh bondPerWh feeBps priceFeed bandBps admissionRequired members meters treasuryBalance feesIn paidOut tradedWh tradedValue } } }`,
        )
      ).communitiess.items,
    refetchInterval: SLOW_MS * 5,
  });
}

export function useCommunity(id: number | undefined) {
  const base = useIndexerBase();
  return useQuery({
    queryKey: ["community", id],
    enabled: id !== undefined && id > 0,
    queryFn: ({ signal }) => getJson<CommunityDetail>(base, `/communities/${id}?markets=200`, signal),
    refetchInterval: SLOW_MS,
  });
}

/** Markets of the indexer with a gate after `now` (seconds). */
export function useOpenMarkets() {
  const base = useIndexerBase();
  return useQuery({
    queryKey: ["markets", "open"],
    queryFn: async () => {
      const now = Math.floor(Date.now() / 1000) - 3600;
      return (
        await gql<Items<"marketss", Market>>(
          base,
          `query($now: BigInt!) { marketss(where: { gateAt_gt: $now }, orderBy: "slotStart", orderDirection: "asc", limit: 500) { items { id communityId slotStart opensAt gateAt tradedWh tradedValue trades orders lastTick } } }`,
          { now: String(now) },
        )
      ).marketss.items;
    },
    refetchInterval: SLOW_MS,
  });
}

export function useDepth(marketId: bigint | undefined, levels = 20) {
  const base = useIndexerBase();
  return useQuery({
    queryKey: ["depth", String(marketId), levels],
    enabled: marketId !== undefined,
    queryFn: ({ signal }) => getJson<Depth>(base, `/markets/${marketId}/depth?levels=${levels}`, signal),
    refetchInterval: LIVE_MS,
  });
}

export function useTrades(marketId: bigint | undefined, limit = 50) {
  const base = useIndexerBase();
  return useQuery({
    queryKey: ["trades", String(marketId), limit],
    enabled: marketId !== undefined,
    queryFn: async ({ signal }) =>
      (await getJson<{ trades: Trade[] }>(base, `/markets/${marketId}/trades?limit=${limit}`, signal)).trades,
    refetchInterval: LIVE_MS,
  });
}

export function useCandles(marketIds: bigint[], interval: "15m" | "1h" | "1d" = "15m") {
  const base = useIndexerBase();
  return useQuery({
    queryKey: ["candles", marketIds.map(String), interval],
    enabled: marketIds.length > 0,
    queryFn: async ({ signal }) => {
      const all = await Promise.all(
        marketIds.map((id) =>
          getJson<{ candles: Candle[] }>(base, `/markets/${id}/candles?interval=${interval}`, signal).then(
            (r) => r.candles.map((c) => ({ ...c, marketId: String(id) })),
          ),
        ),
      );
      return all.flat();
    },
    refetchInterval: SLOW_MS,
  });
}

export function useAccountOrders(account: string | undefined) {
  const base = useIndexerBase();
  return useQuery({
    queryKey: ["orders", account?.toLowerCase()],
    enabled: Boolean(account),
    queryFn: async ({ signal }) =>
      (await getJson<{ orders: Order[] }>(base, `/accounts/${account}/orders`, signal)).orders,
    refetchInterval: LIVE_MS,
  });
}

export function useClaimables(account: string | undefined) {
  const base = useIndexerBase();
  return useQuery({
    queryKey: ["claimables", account?.toLowerCase()],
    enabled: Boolean(account),
    queryFn: ({ signal }) => getJson<Claimables>(base, `/accounts/${account}/claimables`, signal),
    refetchInterval: SLOW_MS,
  });
}

export function useMyMeters(account: string | undefined) {
  const base = useIndexerBase();
  return useQuery({
    queryKey: ["meters", account?.toLowerCase()],
    enabled: Boolean(account),
    queryFn: async () =>
      (
        await gql<Items<"meterss", Meter>>(
          base,
          `query($o: String!) { meterss(where: { owner: $o }, orderBy: "id", limit: 200) { items { id communityId owner kind capacityW active tradableFrom } } }`,
          { o: account!.toLowerCase() },
        )
      ).meterss.items,
    refetchInterval: SLOW_MS,
  });
}

export interface HistoryRow {
  kind: "trade" | "fill" | "settlement" | "refund";
  marketId: string;
  timestamp: string;
  side: "buy" | "sell";
  amountWh: string;
  value: string;
  tick?: number;
  txHash?: string;
  detail?: string;
}

/** The account's trades (as taker and maker) and settlements, newest first. */
export function useHistory(account: string | undefined) {
  const base = useIndexerBase();
  return useQuery({
    queryKey: ["history", account?.toLowerCase()],
    enabled: Boolean(account),
    queryFn: async () => {
      const a = account!.toLowerCase();
      type T = {
        id: string;
        marketId: string;
        takerIsBid: boolean;
        tick: number;
        amountWh: string;
        value: string;
        timestamp: string;
        txHash: string;
      };
      type F = {
        id: string;
        marketId: string;
        orderId: string;
        amountWh: string;
        value: string;
        timestamp: string;
      };
      type S = {
        marketId: string;
        meterId: number;
        soldWh: string;
        proceeds: string;
        settled: boolean;
        deliveredWh: string | null;
        payout: string | null;
        fee: string | null;
        bondSlashed: string | null;
        settledAt: string | null;
      };
      type P = { marketId: string; boughtWh: string; paid: string; refunded: string; refundClaimed: boolean };
      const d = await gql<
        Items<"tradess", T> & Items<"makerFillss", F> & Items<"saless", S> & Items<"positionss", P>
      >(
        base,
        `query($a: String!) {
          tradess(where: { taker: $a }, orderBy: "timestamp", orderDirection: "desc", limit: 500) { items { id marketId takerIsBid tick amountWh value timestamp txHash } }
          makerFillss(where: { maker: $a }, orderBy: "timestamp", orderDirection: "desc", limit: 500) { items { id marketId orderId amountWh value timestamp } }
          saless(where: { seller: $a }, limit: 500) { items { marketId meterId soldWh proceeds settled deliveredWh payout fee bondSlashed settledAt } }
          positionss(where: { buyer: $a }, limit: 500) { items { marketId boughtWh paid refunded refundClaimed } }
        }`,
        { a },
      );
      const rows: HistoryRow[] = [
        ...d.tradess.items.map((t) => ({
          kind: "trade" as const,
          marketId: t.marketId,
          timestamp: t.timestamp,
          side: t.takerIsBid ? ("buy" as const) : ("sell" as const),
          amountWh: t.amountWh,
          value: t.value,
          tick: t.tick,
          txHash: t.txHash,
        })),
        ...d.makerFillss.items.map((f) => ({
          kind: "fill" as const,
          marketId: f.marketId,
          timestamp: f.timestamp,
          // orderId = marketId << 40 | isBid << 32 | tick << 16 | queueIndex (docs/indexer.md).
          side: ((BigInt(f.orderId) >> 32n) & 0xffn) === 1n ? ("buy" as const) : ("sell" as const),
          amountWh: f.amountWh,
          value: f.value,
          detail: `order ${f.orderId.slice(0, 8)}…`,
        })),
      ];
      return {
        rows: rows.sort((x, y) => Number(BigInt(y.timestamp) - BigInt(x.timestamp))),
        sales: d.saless.items,
        positions: d.positionss.items,
      };
    },
    refetchInterval: SLOW_MS,
  });
}
