"use client";
import type { Depth } from "@/lib/indexer";
import { formatKwh, formatPrice } from "@/lib/units";

/** Cumulative depth: bids stepping down to the left of the mid, asks up to the right (SVG). */
export function DepthChart({ depth, tickSize }: { depth: Depth | undefined; tickSize: bigint }) {
  const W = 600;
  const H = 200;
  if (!depth || (depth.bids.length === 0 && depth.asks.length === 0))
    return <p className="muted">The book is empty.</p>;
  const cum = (levels: Depth["bids"]) => {
    let s = 0n;
    return levels.map((l) => ((s += BigInt(l.available)), { tick: l.tick, total: s }));
  };
  const bids = cum(depth.bids);
  const asks = cum(depth.asks);
  const ticks = [...bids, ...asks].map((p) => p.tick);
  const lo = Math.min(...ticks) - 1;
  const hi = Math.max(...ticks) + 1;
  const maxTotal = Number([...bids, ...asks].reduce((m, p) => (p.total > m ? p.total : m), 1n));
  const x = (t: number) => ((t - lo) / Math.max(1, hi - lo)) * W;
  const y = (v: bigint) => H - (Number(v) / maxTotal) * (H - 16);
  const path = (pts: { tick: number; total: bigint }[], isBid: boolean) => {
    if (pts.length === 0) return "";
    let d = `M ${x(pts[0]!.tick)} ${H}`;
    let prevY = H;
    for (const p of pts) {
      d += ` L ${x(p.tick)} ${prevY} L ${x(p.tick)} ${y(p.total)}`;
      prevY = y(p.total);
    }
    d += ` L ${isBid ? 0 : W} ${prevY} L ${isBid ? 0 : W} ${H} Z`;
    return d;
  };
  const bestBid = depth.bids[0];
  const bestAsk = depth.asks[0];
  const summary = `Depth: ${formatKwh(bids.at(-1)?.total ?? 0n)} kWh bid down to ${
    depth.bids.at(-1) ? formatPrice(depth.bids.at(-1)!.tick, tickSize) : "—"
  }, ${formatKwh(asks.at(-1)?.total ?? 0n)} kWh offered up to ${depth.asks.at(-1) ? formatPrice(depth.asks.at(-1)!.tick, tickSize) : "—"} USDC/kWh`;
  return (
    <figure style={{ margin: 0 }}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        className="chart"
        style={{ height: 200 }}
        role="img"
        aria-label={summary}
        data-testid="depth-chart"
      >
        <path d={path(bids, true)} fill="var(--bid-bg)" stroke="var(--bid)" strokeWidth="2" />
        <path d={path(asks, false)} fill="var(--ask-bg)" stroke="var(--ask)" strokeWidth="2" />
      </svg>
      <figcaption className="hint row">
        <span className="bid">
          Bids {formatKwh(bids.at(-1)?.total ?? 0n)} kWh
          {bestBid ? ` · best ${formatPrice(bestBid.tick, tickSize)}` : ""}
        </span>
        <span className="spacer" />
        <span className="ask">
          Offers {formatKwh(asks.at(-1)?.total ?? 0n)} kWh
          {bestAsk ? ` · best ${formatPrice(bestAsk.tick, tickSize)}` : ""}
        </span>
      </figcaption>
    </figure>
  );
}
