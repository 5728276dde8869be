"use client";
import { useAccount } from "wagmi";
import { useHistory } from "@/hooks/useIndexer";
import { downloadCsv, toCsv } from "@/lib/csv";
import { decodeMarketId, formatKwh, formatUsdc } from "@/lib/units";

/** The account's trades and fills, settlements per slot, with CSV export. */
export function History() {
  const { address } = useAccount();
  const q = useHistory(address);
  if (!address) return <p className="muted">Connect a wallet to see your history.</p>;
  if (q.isError)
    return <p className="error">The indexer cannot be reached: history is unavailable right now.</p>;
  if (!q.data) return <p className="muted">Loading history…</p>;
  const { rows, sales, positions } = q.data;
  const iso = (t: string | number) => new Date(Number(t) * 1000).toISOString();

  function exportCsv() {
    const csv = toCsv(
      [
        "time_utc",
        "kind",
        "market_id",
        "slot_start_utc",
        "side",
        "energy_kwh",
        "value_usdc",
        "price_usdc_per_kwh",
        "tx",
      ],
      [
        ...rows.map((r) => [
          iso(r.timestamp),
          r.kind,
          r.marketId,
          iso(decodeMarketId(r.marketId).slotStart),
          r.side,
          formatKwh(r.amountWh),
          formatUsdc(r.value, 6).replace(/,/g, ""),
          BigInt(r.amountWh) > 0n ? formatUsdc((BigInt(r.value) * 1000n) / BigInt(r.amountWh), 6) : "",
          r.txHash ?? "",
        ]),
        ...sales
          .filter((s) => s.settled)
          .map((s) => [
            s.settledAt ? iso(s.settledAt) : "",
            "settlement",
            s.marketId,
            iso(decodeMarketId(s.marketId).slotStart),
            "sell",
            formatKwh(s.deliveredWh ?? "0"),
            formatUsdc(s.payout ?? "0", 6).replace(/,/g, ""),
            "",
            "",
          ]),
      ],
    );
    downloadCsv(`powershare-${address!.slice(0, 8)}-history.csv`, csv);
  }

  return (
    <div>
      <div className="row" style={{ marginBottom: 8 }}>
        <span className="muted">{rows.length} trades and fills</span>
        <span className="spacer" />
        <button className="btn btn-secondary btn-small" onClick={exportCsv} data-testid="csv-export">
          Export CSV
        </button>
      </div>
      {rows.length === 0 ? (
        <p className="muted">No trades yet.</p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Trade history" data-testid="history">
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col">Kind</th>
                <th scope="col">Side</th>
                <th scope="col" className="r">
                  kWh
                </th>
                <th scope="col" className="r">
                  USDC
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, 50).map((r, i) => (
                <tr key={`${r.kind}-${i}`}>
                  <td className="num">{iso(r.timestamp).slice(0, 16).replace("T", " ")}</td>
                  <td>{r.kind === "trade" ? "taker" : "maker"}</td>
                  <td className={r.side === "buy" ? "bid" : "ask"}>{r.side}</td>
                  <td className="r num">{formatKwh(r.amountWh)}</td>
                  <td className="r num">{formatUsdc(r.value, 4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 style={{ marginTop: 16 }}>Settlement per slot</h2>
      {sales.length === 0 && positions.length === 0 ? (
        <p className="muted">Nothing settled yet.</p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Settlements">
            <thead>
              <tr>
                <th scope="col">Slot (UTC)</th>
                <th scope="col">Role</th>
                <th scope="col" className="r">
                  Traded kWh
                </th>
                <th scope="col" className="r">
                  Delivered
                </th>
                <th scope="col" className="r">
                  Paid / received
                </th>
                <th scope="col" className="r">
                  Refunded / slashed
                </th>
              </tr>
            </thead>
            <tbody>
              {sales.map((s) => (
                <tr key={`s-${s.marketId}-${s.meterId}`}>
                  <td className="num">
                    {iso(decodeMarketId(s.marketId).slotStart).slice(0, 16).replace("T", " ")}
                  </td>
                  <td>seller (meter #{s.meterId})</td>
                  <td className="r num">{formatKwh(s.soldWh)}</td>
                  <td className="r num">
                    {s.settled
                      ? `${formatKwh(s.deliveredWh ?? "0")} of ${formatKwh(s.soldWh)} kWh`
                      : "pending"}
                  </td>
                  <td className="r num">{s.settled ? formatUsdc(s.payout ?? "0", 4) : "—"}</td>
                  <td className="r num">{s.settled ? formatUsdc(s.bondSlashed ?? "0", 4) : "—"}</td>
                </tr>
              ))}
              {positions.map((p) => (
                <tr key={`p-${p.marketId}`}>
                  <td className="num">
                    {iso(decodeMarketId(p.marketId).slotStart).slice(0, 16).replace("T", " ")}
                  </td>
                  <td>buyer</td>
                  <td className="r num">{formatKwh(p.boughtWh)}</td>
                  <td className="r num">—</td>
                  <td className="r num">{formatUsdc(p.paid, 4)}</td>
                  <td className="r num">{formatUsdc(p.refunded, 4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
