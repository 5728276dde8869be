"use client";
import { deliverySettlementAbi } from "@powershare/contracts";
import { useAccount, useReadContract } from "wagmi";
import { useAppConfig } from "@/hooks/useAppConfig";
import { useBalances } from "@/hooks/useChainState";
import { formatKwh, formatUsdc } from "@/lib/units";
import { Claimables } from "./Claimables";
import { Funds } from "./Funds";
import { History } from "./History";
import { MyOrders } from "./MyOrders";

export function BalanceStats() {
  const bal = useBalances();
  const stat = (label: string, v: bigint | undefined, testid: string) => (
    <div className="panel stat">
      <div className="label">{label}</div>
      <div className="value" data-testid={testid}>
        {v !== undefined ? formatUsdc(v) : "—"}
      </div>
      <div className="hint">USDC</div>
    </div>
  );
  return (
    <div className="grid cols-3">
      {stat("Free to trade", bal.free, "balance-free")}
      {stat("Locked in orders and bonds", bal.locked, "balance-locked")}
      {stat("In your wallet", bal.wallet, "balance-wallet")}
    </div>
  );
}

function Reputation() {
  const cfg = useAppConfig();
  const { address } = useAccount();
  const rep = useReadContract({
    address: cfg.contracts.settlement,
    abi: deliverySettlementAbi,
    functionName: "reputationOf",
    args: [address!],
    query: { enabled: Boolean(address && cfg.contracts.settlement), refetchInterval: 5_000 },
  });
  const factor = useReadContract({
    address: cfg.contracts.settlement,
    abi: deliverySettlementAbi,
    functionName: "bondFactorOf",
    args: [address!],
    query: { enabled: Boolean(address && cfg.contracts.settlement) },
  });
  if (!rep.data) return <p className="muted">—</p>;
  const [committed, delivered, score] = rep.data;
  return (
    <dl className="kv">
      <dt>Committed</dt>
      <dd>{formatKwh(committed)} kWh</dd>
      <dt>Delivered</dt>
      <dd>{formatKwh(delivered)} kWh</dd>
      <dt>Score (with prior)</dt>
      <dd>{(Number(score) / 100).toFixed(1)}%</dd>
      <dt>Bond factor</dt>
      <dd>{factor.data !== undefined ? `${(Number(factor.data) / 100).toFixed(0)}%` : "—"}</dd>
    </dl>
  );
}

export function Portfolio() {
  const { isConnected } = useAccount();
  if (!isConnected)
    return (
      <div className="panel">
        <p>Connect a wallet to see your balances, orders, claimables and history.</p>
      </div>
    );
  return (
    <div className="grid">
      <BalanceStats />
      <section className="panel">
        <Funds />
      </section>
      <div className="grid cols-2">
        <section className="panel" aria-labelledby="claim-h">
          <h2 id="claim-h">Claimable</h2>
          <Claimables />
        </section>
        <section className="panel" aria-labelledby="rep-h">
          <h2 id="rep-h">Reputation as a seller</h2>
          <Reputation />
        </section>
      </div>
      <section className="panel" aria-labelledby="open-h">
        <h2 id="open-h">Open orders</h2>
        <MyOrders />
      </section>
      <section className="panel" aria-labelledby="hist-h">
        <h2 id="hist-h">History</h2>
        <History />
      </section>
    </div>
  );
}
