"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useMemo, useState } from "react";
import { useCommunities, useIndexerBase, useOpenMarkets } from "@/hooks/useIndexer";
import { useChainNow } from "@/hooks/useNow";
import { gql, type Items } from "@/lib/indexer";
import { countdown, formatKwh, formatPrice, marketIdOf, slotDay, slotLabel } from "@/lib/units";

const EMPTY_SLOTS = 8;

/** Communities and their open slot markets: best bid/ask, last, volume, time to the gate. */
export function MarketsList({ limit }: { limit?: number }) {
  const id = useId();
  const base = useIndexerBase();
  const communities = useCommunities();
  const markets = useOpenMarkets();
  const now = useChainNow();
  const [filter, setFilter] = useState<number | "all">("all");
  const marketIds = (markets.data ?? []).map((m) => m.id);
  const levels = useQuery({
    queryKey: ["best", marketIds],
    enabled: marketIds.length > 0,
    queryFn: async () =>
      (
        await gql<Items<"bookLevelss", { marketId: string; isBid: boolean; tick: number }>>(
          base,
          `query($ids: [BigInt!]) { bookLevelss(where: { marketId_in: $ids, available_gt: "0" }, limit: 1000) { items { marketId isBid tick } } }`,
          { ids: marketIds },
        )
      ).bookLevelss.items,
    refetchInterval: 2_000,
  });

  const rows = useMemo(() => {
    if (!communities.data || now === 0) return [];
    const best = new Map<string, { bid: number | null; ask: number | null }>();
    for (const l of levels.data ?? []) {
      const b = best.get(l.marketId) ?? { bid: null, ask: null };
      if (l.isBid) b.bid = b.bid === null ? l.tick : Math.max(b.bid, l.tick);
      else b.ask = b.ask === null ? l.tick : Math.min(b.ask, l.tick);
      best.set(l.marketId, b);
    }
    const out = [];
    for (const c of communities.data) {
      if (filter !== "all" && c.id !== filter) continue;
      const known = new Map(
        (markets.data ?? []).filter((m) => m.communityId === c.id).map((m) => [Number(m.slotStart), m]),
      );
      // The next tradable slots (gate still ahead) plus every slot with activity.
      const first = Math.ceil((now + c.gateLead) / c.slotLength) * c.slotLength;
      const slots = new Set<number>();
      for (let k = 0; k < EMPTY_SLOTS; k++) slots.add(first + k * c.slotLength);
      for (const s of known.keys()) if (s - c.gateLead > now && s - c.horizon <= now) slots.add(s);
      for (const s of [...slots].sort((a, b) => a - b)) {
        const mid = marketIdOf(c.id, s).toString();
        const m = known.get(s);
        out.push({ c, slotStart: s, marketId: mid, m, best: best.get(mid) });
      }
    }
    return limit ? out.slice(0, limit) : out;
  }, [communities.data, markets.data, levels.data, now, filter, limit]);

  if (communities.isError)
    return <p className="error">The indexer cannot be reached: markets cannot be listed.</p>;
  if (communities.isLoading) return <p className="muted">Loading markets…</p>;
  if ((communities.data ?? []).length === 0) return <p className="muted">No community exists yet.</p>;
  return (
    <div>
      {!limit && (
        <div className="row" style={{ marginBottom: 12 }}>
          <label htmlFor={`${id}-c`} className="muted">
            Community
          </label>
          <select
            id={`${id}-c`}
            style={{ width: "auto" }}
            value={filter}
            onChange={(e) => setFilter(e.target.value === "all" ? "all" : Number(e.target.value))}
          >
            <option value="all">All communities</option>
            {communities.data!.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
      )}
      <div className="table-wrap">
        <table aria-label="Open markets" data-testid="markets">
          <thead>
            <tr>
              <th scope="col">Delivery slot (UTC)</th>
              <th scope="col">Community</th>
              <th scope="col" className="r">
                Best bid
              </th>
              <th scope="col" className="r">
                Best offer
              </th>
              <th scope="col" className="r">
                Last
              </th>
              <th scope="col" className="r">
                Volume kWh
              </th>
              <th scope="col" className="r">
                Gate in
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ c, slotStart, marketId, m, best }) => {
              const tickSize = BigInt(c.tickSize);
              return (
                <tr key={marketId} data-testid="market-row">
                  <td>
                    <Link href={`/markets/${marketId}`}>
                      {slotDay(slotStart)} {slotLabel(slotStart, c.slotLength)}
                    </Link>
                  </td>
                  <td>{c.name}</td>
                  <td className="r num bid">{best?.bid != null ? formatPrice(best.bid, tickSize) : "—"}</td>
                  <td className="r num ask">{best?.ask != null ? formatPrice(best.ask, tickSize) : "—"}</td>
                  <td className="r num">{m?.lastTick != null ? formatPrice(m.lastTick, tickSize) : "—"}</td>
                  <td className="r num">{m ? formatKwh(m.tradedWh) : "0"}</td>
                  <td className="r num">{countdown(slotStart - c.gateLead - now)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
