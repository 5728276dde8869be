"use client";
import type { Depth, DepthLevel } from "@/lib/indexer";
import { formatKwh, formatPrice, priceOfTick } from "@/lib/units";

export interface Band {
  low: bigint;
  high: bigint;
}

/** Price ladder: asks above (best at the bottom), the spread, bids below (best on top). */
export function Ladder({
  depth,
  tickSize,
  band,
  onPick,
  rows = 10,
}: {
  depth: Depth | undefined;
  tickSize: bigint;
  band?: Band;
  onPick?: (tick: number, isBid: boolean) => void;
  rows?: number;
}) {
  if (!depth) return <p className="muted">Loading the book…</p>;
  const asks = depth.asks.slice(0, rows).reverse();
  const bids = depth.bids.slice(0, rows);
  const max = [...asks, ...bids].reduce((m, l) => (BigInt(l.available) > m ? BigInt(l.available) : m), 1n);
  const outOfBand = (tick: number) => {
    if (!band) return false;
    const p = priceOfTick(tick, tickSize);
    return p < band.low || p > band.high;
  };
  const row = (l: DepthLevel, isBid: boolean) => (
    <tr
      key={`${isBid}-${l.tick}`}
      className={`${isBid ? "bid-row" : "ask-row"} ${outOfBand(l.tick) ? "band-out" : ""}`}
      style={{ ["--w" as string]: `${Number((BigInt(l.available) * 100n) / max)}%` }}
      data-testid={isBid ? "ladder-bid" : "ladder-ask"}
    >
      <td className={isBid ? "bid" : "ask"}>
        {onPick ? (
          <button
            className="linklike"
            onClick={() => onPick(l.tick, isBid)}
            aria-label={`Use price ${formatPrice(l.tick, tickSize)}`}
            style={{ all: "unset", cursor: "pointer" }}
          >
            {formatPrice(l.tick, tickSize)}
          </button>
        ) : (
          formatPrice(l.tick, tickSize)
        )}
      </td>
      <td className="r">{formatKwh(l.available)}</td>
      <td className="r muted">{l.orders}</td>
    </tr>
  );
  const spread =
    depth.bestAsk !== null && depth.bestBid !== null
      ? `spread ${formatPrice(depth.bestAsk - depth.bestBid, tickSize)}`
      : "no spread: one side is empty";
  return (
    <table className="ladder" aria-label="Order book price ladder">
      <thead>
        <tr>
          <th scope="col">Price USDC/kWh</th>
          <th scope="col" className="r">
            kWh
          </th>
          <th scope="col" className="r">
            Orders
          </th>
        </tr>
      </thead>
      <tbody>
        {asks.length === 0 && (
          <tr>
            <td colSpan={3} className="muted">
              No offers
            </td>
          </tr>
        )}
        {asks.map((l) => row(l, false))}
        <tr>
          <td colSpan={3} className="spread">
            {spread}
            {band && (
              <>
                {" · band "}
                {formatPrice(band.low / tickSize, tickSize)}–{formatPrice(band.high / tickSize, tickSize)}
              </>
            )}
          </td>
        </tr>
        {bids.map((l) => row(l, true))}
        {bids.length === 0 && (
          <tr>
            <td colSpan={3} className="muted">
              No bids
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
