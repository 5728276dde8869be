"use client";
import type { Trade } from "@/lib/indexer";
import { formatKwh, formatPrice, formatUsdc } from "@/lib/units";

export function Tape({ trades, tickSize }: { trades: Trade[] | undefined; tickSize: bigint }) {
  if (!trades) return <p className="muted">Loading trades…</p>;
  if (trades.length === 0) return <p className="muted">No trades yet in this slot.</p>;
  return (
    <div className="table-wrap">
      <table aria-label="Trade tape" data-testid="tape">
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            <th scope="col">Side</th>
            <th scope="col" className="r">
              Price
            </th>
            <th scope="col" className="r">
              kWh
            </th>
            <th scope="col" className="r">
              USDC
            </th>
          </tr>
        </thead>
        <tbody>
          {trades.map((t) => (
            <tr key={t.id} data-testid="tape-row" data-block={t.blockNumber}>
              <td className="num">{new Date(Number(t.timestamp) * 1000).toISOString().slice(11, 19)}</td>
              <td className={t.takerIsBid ? "bid" : "ask"}>{t.takerIsBid ? "buy" : "sell"}</td>
              <td className="r num">{formatPrice(t.tick, tickSize)}</td>
              <td className="r num">{formatKwh(t.amountWh)}</td>
              <td className="r num">{formatUsdc(t.value, 4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
