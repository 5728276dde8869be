"use client";
import { useQuery } from "@tanstack/react-query";
import { useIndexerBase } from "@/hooks/useIndexer";
import { downloadCsv, toCsv } from "@/lib/csv";
import { gql, type Items } from "@/lib/indexer";
import { formatKwh, formatUsdc, shortAddress } from "@/lib/units";

type M = {
  id: string;
  communityId: number;
  slotStart: string;
  tradedWh: string;
  tradedValue: string;
  trades: number;
  settledSoldWh: string;
};
type R = { seller: string; committedWh: string; deliveredWh: string; scoreBps: number };

export function Analytics() {
  const base = useIndexerBase();
  const q = useQuery({
    queryKey: ["analytics"],
    queryFn: () =>
      gql<Items<"marketss", M> & Items<"reputations", R>>(
        base,
        `{ marketss(where: { trades_gt: 0 }, orderBy: "slotStart", orderDirection: "desc", limit: 96) { items { id communityId slotStart tradedWh tradedValue trades settledSoldWh } }
           reputations(orderBy: "scoreBps", orderDirection: "desc", limit: 10) { items { seller committedWh deliveredWh scoreBps } } }`,
      ),
    refetchInterval: 5_000,
  });
  if (q.isError) return <p className="error">The indexer cannot be reached.</p>;
  if (!q.data) return <p className="muted">Loading…</p>;
  const markets = [...q.data.marketss.items].reverse();
  const vwap = (m: M) =>
    BigInt(m.tradedWh) > 0n ? (BigInt(m.tradedValue) * 1000n) / BigInt(m.tradedWh) : 0n;
  const maxWh = markets.reduce((x, m) => Math.max(x, Number(m.tradedWh)), 1);
  const W = 640;
  const H = 180;
  const bw = markets.length ? W / markets.length : W;
  const t = (s: string) => new Date(Number(s) * 1000).toISOString().slice(5, 16).replace("T", " ");
  return (
    <div className="grid">
      <section className="panel" aria-labelledby="vol-h">
        <div className="row">
          <h2 id="vol-h">Volume and VWAP per slot</h2>
          <span className="spacer" />
          <button
            className="btn btn-secondary btn-small"
            onClick={() =>
              downloadCsv(
                "powershare-volume.csv",
                toCsv(
                  [
                    "slot_start_utc",
                    "community_id",
                    "market_id",
                    "traded_kwh",
                    "value_usdc",
                    "vwap_usdc_per_kwh",
                    "trades",
                  ],
                  markets.map((m) => [
                    new Date(Number(m.slotStart) * 1000).toISOString(),
                    m.communityId,
                    m.id,
                    formatKwh(m.tradedWh),
                    formatUsdc(m.tradedValue, 6).replace(/,/g, ""),
                    formatUsdc(vwap(m), 6),
                    m.trades,
                  ]),
                ),
              )
            }
          >
            Export CSV
          </button>
        </div>
        {markets.length === 0 ? (
          <p className="muted">No trades yet.</p>
        ) : (
          <svg
            viewBox={`0 0 ${W} ${H}`}
            className="chart"
            style={{ height: 180 }}
            role="img"
            aria-label={`Traded energy of the last ${markets.length} slots with trades`}
          >
            {markets.map((m, i) => {
              const h = (Number(m.tradedWh) / maxWh) * (H - 10);
              return (
                <rect
                  key={m.id}
                  x={i * bw + 1}
                  y={H - h}
                  width={Math.max(1, bw - 2)}
                  height={h}
                  fill="var(--accent)"
                >
                  <title>{`${t(m.slotStart)}: ${formatKwh(m.tradedWh)} kWh at VWAP ${formatUsdc(vwap(m), 3)}`}</title>
                </rect>
              );
            })}
          </svg>
        )}
        <div className="table-wrap">
          <table aria-label="Slots">
            <thead>
              <tr>
                <th scope="col">Slot (UTC)</th>
                <th scope="col" className="r">
                  kWh
                </th>
                <th scope="col" className="r">
                  VWAP USDC/kWh
                </th>
                <th scope="col" className="r">
                  Trades
                </th>
              </tr>
            </thead>
            <tbody>
              {markets
                .slice(-12)
                .reverse()
                .map((m) => (
                  <tr key={m.id}>
                    <td className="num">{t(m.slotStart)}</td>
                    <td className="r num">{formatKwh(m.tradedWh)}</td>
                    <td className="r num">{formatUsdc(vwap(m), 3)}</td>
                    <td className="r num">{m.trades}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </section>
      <section className="panel" aria-labelledby="top-h">
        <h2 id="top-h">Top sellers by delivery</h2>
        {q.data.reputations.items.length === 0 ? (
          <p className="muted">No settled sales yet.</p>
        ) : (
          <table aria-label="Top sellers">
            <thead>
              <tr>
                <th scope="col">Seller</th>
                <th scope="col" className="r">
                  Committed kWh
                </th>
                <th scope="col" className="r">
                  Delivered kWh
                </th>
                <th scope="col" className="r">
                  Score
                </th>
              </tr>
            </thead>
            <tbody>
              {q.data.reputations.items.map((r) => (
                <tr key={r.seller}>
                  <td className="mono">{shortAddress(r.seller)}</td>
                  <td className="r num">{formatKwh(r.committedWh)}</td>
                  <td className="r num">{formatKwh(r.deliveredWh)}</td>
                  <td className="r num">{(r.scoreBps / 100).toFixed(1)}%</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
