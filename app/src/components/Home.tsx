"use client";
import Link from "next/link";
import { useAccount } from "wagmi";
import { useCommunities } from "@/hooks/useIndexer";
import { formatKwh, formatUsdc } from "@/lib/units";
import { MarketsList } from "./MarketsList";
import { MyOrders } from "./MyOrders";
import { BalanceStats } from "./Portfolio";

function CommunityStats() {
  const c = useCommunities();
  const all = c.data ?? [];
  const sum = (f: (x: (typeof all)[number]) => string) => all.reduce((s, x) => s + BigInt(f(x)), 0n);
  return (
    <div className="grid cols-4">
      <div className="panel stat">
        <div className="label">Communities</div>
        <div className="value">{c.data ? all.length : "—"}</div>
      </div>
      <div className="panel stat">
        <div className="label">Members</div>
        <div className="value">{c.data ? all.reduce((s, x) => s + x.members, 0) : "—"}</div>
      </div>
      <div className="panel stat">
        <div className="label">Energy traded</div>
        <div className="value">
          {c.data
            ? formatKwh(
                sum((x) => x.tradedWh),
                1,
              )
            : "—"}
        </div>
        <div className="hint">kWh</div>
      </div>
      <div className="panel stat">
        <div className="label">Paid between neighbours</div>
        <div className="value">{c.data ? formatUsdc(sum((x) => x.tradedValue)) : "—"}</div>
        <div className="hint">USDC</div>
      </div>
    </div>
  );
}

export function Home() {
  const { isConnected } = useAccount();
  return (
    <div className="grid">
      {!isConnected && (
        <section className="panel hero">
          <h1>Sell tomorrow's sunshine to your neighbours.</h1>
          <p style={{ maxWidth: 720 }}>
            PowerShare is a marketplace where households trade electricity in 15-minute slots. Sellers offer
            the energy their panels will export; buyers bid for it; the smart meters prove what really flowed,
            and the contracts pay sellers for what was delivered and refund buyers for what was not.
          </p>
          <div className="row">
            <Link className="btn" href="/markets">
              Browse markets
            </Link>
            <span className="muted">Connect a wallet (top right) to trade.</span>
          </div>
        </section>
      )}
      {isConnected && <BalanceStats />}
      <CommunityStats />
      <div className="grid cols-2">
        <section className="panel" aria-labelledby="next-h">
          <h2 id="next-h">Next slots</h2>
          <MarketsList limit={6} />
          <p>
            <Link href="/markets">All markets →</Link>
          </p>
        </section>
        <section className="panel" aria-labelledby="your-h">
          <h2 id="your-h">Your orders</h2>
          <MyOrders />
          <p>
            <Link href="/portfolio">Portfolio, claims and history →</Link>
          </p>
        </section>
      </div>
    </div>
  );
}
