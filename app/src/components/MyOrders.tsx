"use client";
import { energyMarketAbi } from "@powershare/contracts";
import Link from "next/link";
import type { Abi } from "viem";
import { useAccount } from "wagmi";
import { useAppConfig } from "@/hooks/useAppConfig";
import { useAccountOrders, useCommunities } from "@/hooks/useIndexer";
import { useTx } from "@/hooks/useTx";
import { formatKwh, formatPrice, slotDay, slotLabel } from "@/lib/units";

/** The account's open orders (of one market, or all), each with cancel, and cancel-all. */
export function MyOrders({ marketId }: { marketId?: bigint }) {
  const cfg = useAppConfig();
  const { address } = useAccount();
  const orders = useAccountOrders(address);
  const communities = useCommunities();
  const cancel = useTx();
  const cancelAll = useTx();
  if (!address) return <p className="muted">Connect a wallet to see your orders.</p>;
  const rows = (orders.data ?? []).filter((o) => marketId === undefined || BigInt(o.marketId) === marketId);
  if (orders.isLoading) return <p className="muted">Loading your orders…</p>;
  if (rows.length === 0)
    return <p className="muted">No open orders{marketId !== undefined ? " in this slot" : ""}.</p>;
  const tickSizeOf = (cid: number) => BigInt(communities.data?.find((c) => c.id === cid)?.tickSize ?? "1000");
  const slotLen = (cid: number) => communities.data?.find((c) => c.id === cid)?.slotLength ?? 900;
  const busy =
    cancel.state.status === "signing" ||
    cancel.state.status === "pending" ||
    cancelAll.state.status === "pending";
  return (
    <div>
      <div className="table-wrap">
        <table aria-label="Your open orders" data-testid="my-orders">
          <thead>
            <tr>
              {marketId === undefined && <th scope="col">Slot</th>}
              <th scope="col">Side</th>
              <th scope="col" className="r">
                Price
              </th>
              <th scope="col" className="r">
                Open kWh
              </th>
              <th scope="col" className="r">
                Filled
              </th>
              <th scope="col">
                <span className="sr-only">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((o) => (
              <tr key={o.id} data-testid="my-order">
                {marketId === undefined && (
                  <td>
                    <Link href={`/markets/${o.marketId}`}>
                      {slotDay(Number(o.slotStart))} {slotLabel(Number(o.slotStart), slotLen(o.communityId))}
                    </Link>
                  </td>
                )}
                <td className={o.isBid ? "bid" : "ask"}>{o.isBid ? "buy" : "sell"}</td>
                <td className="r num">{formatPrice(o.tick, tickSizeOf(o.communityId))}</td>
                <td className="r num">{formatKwh(o.remainingWh)}</td>
                <td className="r num">{formatKwh(o.filledWh)}</td>
                <td className="r">
                  <button
                    className="btn btn-danger btn-small"
                    disabled={busy}
                    onClick={() =>
                      cancel.run("Cancel order", {
                        address: cfg.contracts.market,
                        abi: energyMarketAbi as Abi,
                        functionName: "cancel",
                        args: [BigInt(o.id)],
                      })
                    }
                  >
                    Cancel
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > 1 && (
        <button
          className="btn btn-secondary btn-small"
          style={{ marginTop: 8 }}
          disabled={busy}
          onClick={() =>
            cancelAll.run(`Cancel ${rows.length} orders`, {
              address: cfg.contracts.market,
              abi: energyMarketAbi as Abi,
              functionName: "cancelMany",
              args: [rows.map((o) => BigInt(o.id))],
            })
          }
        >
          Cancel all ({rows.length})
        </button>
      )}
      {(cancel.state.status === "failed" || cancelAll.state.status === "failed") && (
        <p className="error" role="alert">
          {cancel.state.status === "failed"
            ? cancel.state.error.message
            : cancelAll.state.status === "failed"
              ? cancelAll.state.error.message
              : ""}
        </p>
      )}
    </div>
  );
}
