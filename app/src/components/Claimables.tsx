"use client";
import { deliverySettlementAbi, energyMarketAbi } from "@powershare/contracts";
import type { Abi } from "viem";
import { useAccount } from "wagmi";
import { useAppConfig } from "@/hooks/useAppConfig";
import { useClaimables } from "@/hooks/useIndexer";
import { useSellerSettlements } from "@/hooks/useSellerSettlements";
import { useTx } from "@/hooks/useTx";
import { decodeMarketId, formatKwh, formatUsdc, slotDay, slotLabel } from "@/lib/units";

/** The contract's reasons a market cannot settle yet that the account's own maker claims remove. */
const MAKER_REASONS = ["ask makers unclaimed", "bid makers unclaimed"];

/**
 * Everything the account can collect — maker orders of closed markets, payment for the energy its
 * meters delivered (settling its own sales), refunds of undelivered energy it bought — and one
 * action that claims it all.
 */
export function Claimables() {
  const cfg = useAppConfig();
  const { address } = useAccount();
  const q = useClaimables(address);
  const s = useSellerSettlements(address);
  const tx = useTx();
  if (!address) return <p className="muted">Connect a wallet to see what you can claim.</p>;
  if (q.isError)
    return <p className="error">The indexer cannot be reached: claimables are unknown right now.</p>;
  const orders = q.data?.orders ?? [];
  const refunds = (q.data?.refunds ?? []).filter((r) => BigInt(r.refund) > 0n || BigInt(r.paid) > 0n);
  const claimingIn = new Set(orders.map((o) => o.marketId));
  // A sale can be settled now, or once this account's own maker claims in its market go through.
  const sales = (s.data ?? []).filter(
    (x) => x.ready || (MAKER_REASONS.includes(x.reason) && claimingIn.has(x.marketId)),
  );
  const total =
    orders.reduce((sum, o) => sum + BigInt(o.releases), 0n) +
    sales.reduce((sum, x) => sum + x.payout + x.bondBack, 0n) +
    refunds.reduce((sum, r) => sum + BigInt(r.refund), 0n);
  const busy = tx.state.status === "signing" || tx.state.status === "pending";

  async function claimAll() {
    if (orders.length > 0) {
      const r = await tx.run(`Claim ${orders.length} order${orders.length > 1 ? "s" : ""}`, {
        address: cfg.contracts.market,
        abi: energyMarketAbi as Abi,
        functionName: "claim",
        args: [orders.map((o) => BigInt(o.orderId))],
      });
      if (r.status !== "confirmed") return;
    }
    if (!cfg.contracts.settlement) return;
    const byMarket = new Map<string, number[]>();
    for (const x of sales) byMarket.set(x.marketId, [...(byMarket.get(x.marketId) ?? []), x.meterId]);
    for (const [marketId, meterIds] of byMarket) {
      const r = await tx.run("Settle delivered energy", {
        address: cfg.contracts.settlement,
        abi: deliverySettlementAbi as Abi,
        functionName: "settleSellers",
        args: [BigInt(marketId), meterIds],
      });
      if (r.status !== "confirmed") return;
    }
    // Settling one's own sales may finalise a refund pool one also bought in: read them again
    // (what the indexer has not seen yet shows up on its next poll).
    const fresh = byMarket.size > 0 ? ((await q.refetch()).data?.refunds ?? refunds) : refunds;
    const done = new Set<string>();
    for (const f of fresh.filter((r) => BigInt(r.paid) > 0n)) {
      if (done.has(f.marketId)) continue;
      done.add(f.marketId);
      const r = await tx.run("Claim refund", {
        address: cfg.contracts.settlement,
        abi: deliverySettlementAbi as Abi,
        functionName: "claimRefund",
        args: [BigInt(f.marketId), address],
      });
      if (r.status !== "confirmed") return;
    }
  }

  if (orders.length === 0 && refunds.length === 0 && sales.length === 0)
    return (
      <p className="muted" data-testid="claimables-empty">
        Nothing to claim. Maker fills become claimable when a slot's gate closes; refunds after settlement.
      </p>
    );
  return (
    <div data-testid="claimables">
      <div className="table-wrap">
        <table aria-label="Claimable items">
          <thead>
            <tr>
              <th scope="col">Slot</th>
              <th scope="col">What</th>
              <th scope="col" className="r">
                Filled kWh
              </th>
              <th scope="col" className="r">
                Releases / refund USDC
              </th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => {
              const { slotStart } = decodeMarketId(o.marketId);
              return (
                <tr key={o.orderId}>
                  <td>
                    {slotDay(slotStart)} {slotLabel(slotStart, 900)}
                  </td>
                  <td>
                    {o.isBid ? "Bid: bought energy, unused lock back" : "Offer: bond of the unsold part back"}
                  </td>
                  <td className="r num">{formatKwh(o.filledWh)}</td>
                  <td className="r num">{formatUsdc(o.releases, 6)}</td>
                </tr>
              );
            })}
            {sales.map((x) => {
              const { slotStart } = decodeMarketId(x.marketId);
              return (
                <tr key={`sale-${x.marketId}-${x.meterId}`} data-testid="claimable-sale">
                  <td>
                    {slotDay(slotStart)} {slotLabel(slotStart, 900)}
                  </td>
                  <td>
                    {x.reported
                      ? `Payment for energy delivered by meter #${x.meterId}: ${formatKwh(x.deliveredWh)} of ${formatKwh(x.soldWh)} kWh (fee deducted), and the bond`
                      : `Meter #${x.meterId} sold ${formatKwh(x.soldWh)} kWh; no report came: the bond back, no payment`}
                  </td>
                  <td className="r num">{formatKwh(x.soldWh)}</td>
                  <td className="r num">{formatUsdc(x.payout + x.bondBack, 6)}</td>
                </tr>
              );
            })}
            {refunds.map((r) => {
              const { slotStart } = decodeMarketId(r.marketId);
              return (
                <tr key={`refund-${r.marketId}`} data-testid="claimable-refund">
                  <td>
                    {slotDay(slotStart)} {slotLabel(slotStart, 900)}
                  </td>
                  <td>Refund for energy not delivered</td>
                  <td className="r num">—</td>
                  <td className="r num">{formatUsdc(r.refund, 6)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="row" style={{ marginTop: 8 }}>
        <span className="muted">Total back to your free balance: {formatUsdc(total, 6)} USDC</span>
        <span className="spacer" />
        <button
          className="btn"
          onClick={claimAll}
          disabled={busy || Boolean(tx.blocker)}
          data-testid="claim-all"
        >
          {busy ? "Claiming…" : "Claim all"}
        </button>
      </div>
      {tx.blocker && <p className="why">{tx.blocker}</p>}
      {tx.state.status === "failed" && (
        <p className="error" role="alert">
          {tx.state.error.message}
        </p>
      )}
    </div>
  );
}
