"use client";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useMemo, useState } from "react";
import { useReferencePrice } from "@/hooks/useChainState";
import { useCandles, useCommunities, useCommunity, useDepth, useTrades } from "@/hooks/useIndexer";
import { useChainNow } from "@/hooks/useNow";
import {
  countdown,
  decodeMarketId,
  formatKwh,
  formatPrice,
  formatUsdc,
  slotDay,
  slotLabel,
} from "@/lib/units";
import { DepthChart } from "./DepthChart";
import { Ladder } from "./Ladder";
import { MyOrders } from "./MyOrders";
import { OrderForm, type PickedPrice } from "./OrderForm";
import { Tape } from "./Tape";

const CandleChart = dynamic(() => import("./CandleChart"), {
  ssr: false,
  loading: () => <div className="chart muted">Loading chart…</div>,
});

export function MarketView({ id }: { id: string }) {
  const marketId = BigInt(id);
  const { communityId, slotStart } = decodeMarketId(marketId);
  const communities = useCommunities();
  const community = communities.data?.find((c) => c.id === communityId);
  const detail = useCommunity(communityId);
  const depth = useDepth(marketId);
  const trades = useTrades(marketId);
  const now = useChainNow();
  const [picked, setPicked] = useState<PickedPrice>();
  const reference = useReferencePrice(community?.priceFeed as `0x${string}` | undefined);

  // Candles across the community's slots: one per slot market, from its trades' 1-day candles.
  const slotMarkets = useMemo(
    () => (detail.data?.markets ?? []).filter((m) => m.trades > 0).slice(0, 60),
    [detail.data?.markets],
  );
  const candles = useCandles(
    slotMarkets.map((m) => BigInt(m.id)),
    "1d",
  );
  const slotCandles = useMemo(() => {
    if (!community || !candles.data) return [];
    const tickSize = Number(community.tickSize) / 1e6;
    const bySlot = new Map<
      number,
      { open: number; high: number; low: number; close: number; first: number; last: number }
    >();
    for (const c of candles.data) {
      const s = decodeMarketId(c.marketId).slotStart;
      const b = Number(c.bucketStart);
      const cur = bySlot.get(s);
      if (!cur) bySlot.set(s, { open: c.open, high: c.high, low: c.low, close: c.close, first: b, last: b });
      else {
        if (b < cur.first) Object.assign(cur, { open: c.open, first: b });
        if (b >= cur.last) Object.assign(cur, { close: c.close, last: b });
        cur.high = Math.max(cur.high, c.high);
        cur.low = Math.min(cur.low, c.low);
      }
    }
    return [...bySlot.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([time, c]) => ({
        time,
        open: c.open * tickSize,
        high: c.high * tickSize,
        low: c.low * tickSize,
        close: c.close * tickSize,
      }));
  }, [candles.data, community]);

  if (communities.isError)
    return <p className="error">The indexer cannot be reached, so this market cannot be shown.</p>;
  if (!community)
    return (
      <p className="muted">{communities.isLoading ? "Loading…" : `Community #${communityId} not found.`}</p>
    );
  const tickSize = BigInt(community.tickSize);
  const gateAt = slotStart - community.gateLead;
  const opensAt = slotStart - community.horizon;
  const band =
    reference !== undefined && community.bandBps > 0
      ? {
          reference,
          bps: community.bandBps,
          low: reference - (reference * BigInt(community.bandBps)) / 10_000n,
          high: reference + (reference * BigInt(community.bandBps)) / 10_000n,
        }
      : undefined;
  const last = trades.data?.[0];
  const volume = (trades.data ?? []).reduce((s, t) => s + BigInt(t.amountWh), 0n);
  const open = now > 0 && now < gateAt && now >= opensAt;

  return (
    <div className="grid" style={{ gap: 16 }}>
      <div className="row">
        <div>
          <div className="muted">
            <Link href="/markets">Markets</Link> / {community.name}
          </div>
          <h1 style={{ margin: 0 }}>
            {slotDay(slotStart)} · {slotLabel(slotStart, community.slotLength)} UTC
          </h1>
        </div>
        <span className="spacer" />
        <dl className="kv" style={{ minWidth: 260 }}>
          <dt>Last</dt>
          <dd data-testid="last-price">{last ? formatPrice(last.tick, tickSize) : "—"}</dd>
          <dt>Volume</dt>
          <dd>{formatKwh(volume)} kWh</dd>
          <dt>Gate</dt>
          <dd data-testid="gate">
            {now === 0
              ? "—"
              : open
                ? `closes in ${countdown(gateAt - now)}`
                : now < opensAt
                  ? "not open yet"
                  : "closed"}
          </dd>
          {band && (
            <>
              <dt>Reference</dt>
              <dd>
                {formatUsdc(band.reference, 3)} ±{community.bandBps / 100}%
              </dd>
            </>
          )}
        </dl>
      </div>
      <div className="market-grid">
        <section className="panel ladder-panel" aria-labelledby="ladder-h">
          <h2 id="ladder-h">Order book</h2>
          <Ladder
            depth={depth.data}
            tickSize={tickSize}
            band={band}
            onPick={(tick, isBid) => setPicked({ tick, isBid, n: Date.now() })}
          />
        </section>
        <div className="grid" style={{ gap: 16, minWidth: 0 }}>
          <section className="panel" aria-labelledby="depth-h">
            <h2 id="depth-h">Depth</h2>
            <DepthChart depth={depth.data} tickSize={tickSize} />
          </section>
          <section className="panel" aria-labelledby="tape-h">
            <h2 id="tape-h">Trades</h2>
            <Tape trades={trades.data} tickSize={tickSize} />
          </section>
          <section className="panel" aria-labelledby="candles-h">
            <h2 id="candles-h">Price across slots (USDC/kWh)</h2>
            {slotCandles.length > 0 ? (
              <CandleChart
                candles={slotCandles}
                label={`Candles of ${slotCandles.length} slots of ${community.name}`}
              />
            ) : (
              <p className="muted">No trades in this community's slots yet.</p>
            )}
          </section>
        </div>
        <aside className="grid" style={{ gap: 16 }}>
          <section className="panel" aria-labelledby="form-h">
            <h2 id="form-h">Trade</h2>
            <OrderForm
              community={community}
              slotStart={slotStart}
              opensAt={opensAt}
              gateAt={gateAt}
              now={now}
              band={band}
              bestBid={depth.data?.bestBid ?? null}
              bestAsk={depth.data?.bestAsk ?? null}
              picked={picked}
            />
          </section>
          <section className="panel" aria-labelledby="mine-h">
            <h2 id="mine-h">Your orders here</h2>
            <MyOrders marketId={marketId} />
          </section>
        </aside>
      </div>
    </div>
  );
}
