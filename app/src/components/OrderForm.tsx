"use client";
import { energyMarketAbi } from "@powershare/contracts";
import type { Abi } from "viem";
import { useEffect, useId, useMemo, useState } from "react";
import { useAccount } from "wagmi";
import { useAppConfig } from "@/hooks/useAppConfig";
import { useBalances, useIsMember } from "@/hooks/useChainState";
import { useMyMeters } from "@/hooks/useIndexer";
import { ORDER_TYPES, useSettings } from "@/hooks/useSettings";
import { useTx, useWriteBlocker } from "@/hooks/useTx";
import type { Community } from "@/lib/indexer";
import { validateOrder } from "@/lib/order";
import { countdown, formatKwh, formatPrice, formatUsdc } from "@/lib/units";
import type { Band } from "./Ladder";

export interface PickedPrice {
  tick: number;
  isBid: boolean;
  n: number;
}

export function OrderForm({
  community,
  slotStart,
  opensAt,
  gateAt,
  now,
  band,
  bestBid,
  bestAsk,
  picked,
}: {
  community: Community;
  slotStart: number;
  opensAt: number;
  gateAt: number;
  now: number;
  band?: Band & { reference: bigint; bps: number };
  bestBid: number | null;
  bestAsk: number | null;
  picked?: PickedPrice;
}) {
  const cfg = useAppConfig();
  const id = useId();
  const { address } = useAccount();
  const [settings] = useSettings();
  const tickSize = BigInt(community.tickSize);
  const [isBid, setIsBid] = useState(true);
  const [orderType, setOrderType] = useState<number>(settings.orderType);
  const [price, setPrice] = useState("");
  const [amount, setAmount] = useState("");
  const [meterId, setMeterId] = useState<number | undefined>();
  const blocker = useWriteBlocker();
  const balances = useBalances();
  const member = useIsMember(community.id);
  const meters = useMyMeters(address);
  const tx = useTx();
  const join = useTx();

  useEffect(() => setOrderType(settings.orderType), [settings.orderType]);
  // A click on the ladder takes the opposite side at that price.
  useEffect(() => {
    if (!picked) return;
    setIsBid(!picked.isBid);
    setPrice(formatPrice(picked.tick, tickSize));
  }, [picked, tickSize]);

  const myMeters = useMemo(
    () => (meters.data ?? []).filter((m) => m.communityId === community.id && m.active),
    [meters.data, community.id],
  );
  useEffect(() => {
    if (meterId === undefined && myMeters[0]) setMeterId(myMeters[0].id);
  }, [myMeters, meterId]);

  const check = validateOrder(
    { isBid, price, amountKwh: amount, orderType, meterId },
    {
      blocker,
      communityId: community.id,
      slotStart,
      gateAt,
      opensAt,
      now,
      tickSize,
      minOrderWh: BigInt(community.minOrderWh),
      bondPerWh: BigInt(community.bondPerWh),
      isMember: member.data,
      free: balances.free,
      meters: myMeters,
      band,
      bestBid,
      bestAsk,
    },
  );
  const busy = tx.state.status === "signing" || tx.state.status === "pending";

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!check.ok || busy) return;
    const r = await tx.run(isBid ? "Buy order" : "Sell order", {
      address: cfg.contracts.market,
      abi: energyMarketAbi as Abi,
      functionName: "placeOrder",
      args: [check.value.params],
    });
    if (r.status === "confirmed") setAmount("");
  }

  const label = check.ok
    ? `${isBid ? "Buy" : "Sell"} ${formatKwh(check.value.params.amountWh)} kWh at ${formatPrice(check.value.params.tick, tickSize)}`
    : isBid
      ? "Buy"
      : "Sell";

  return (
    <form onSubmit={submit} aria-label="Place an order" data-testid="order-form" noValidate>
      <div className="seg" role="group" aria-label="Side">
        <button type="button" className="buy" aria-pressed={isBid} onClick={() => setIsBid(true)}>
          Buy
        </button>
        <button type="button" className="sell" aria-pressed={!isBid} onClick={() => setIsBid(false)}>
          Sell
        </button>
      </div>
      <div className="field">
        <label htmlFor={`${id}-type`}>Order type</label>
        <select id={`${id}-type`} value={orderType} onChange={(e) => setOrderType(Number(e.target.value))}>
          {ORDER_TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
        <span className="hint">{ORDER_TYPES[orderType]?.hint}</span>
      </div>
      <div className="field">
        <label htmlFor={`${id}-price`}>Price per kWh</label>
        <div className="input-row">
          <input
            id={`${id}-price`}
            name="price"
            inputMode="decimal"
            autoComplete="off"
            placeholder={
              bestAsk !== null ? formatPrice(isBid ? bestAsk : (bestBid ?? bestAsk), tickSize) : "0.250"
            }
            value={price}
            onChange={(e) => setPrice(e.target.value)}
          />
          <span>USDC/kWh</span>
        </div>
        <span className="hint">
          Tick {formatPrice(1, tickSize)}
          {band && ` · band ${formatUsdc(band.low, 3)}–${formatUsdc(band.high, 3)}`}
        </span>
      </div>
      <div className="field">
        <label htmlFor={`${id}-amount`}>Amount</label>
        <div className="input-row">
          <input
            id={`${id}-amount`}
            name="amount"
            inputMode="decimal"
            autoComplete="off"
            placeholder="1.5"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
          <span>kWh</span>
        </div>
        <span className="hint">min {formatKwh(community.minOrderWh)} kWh · sent as Wh</span>
      </div>
      {
        <div className="field">
          <label htmlFor={`${id}-meter`}>{isBid ? "Receiving meter" : "Delivering meter"}</label>
          <select
            id={`${id}-meter`}
            value={meterId ?? ""}
            onChange={(e) => setMeterId(e.target.value ? Number(e.target.value) : undefined)}
          >
            {myMeters.length === 0 && <option value="">No meter in this community</option>}
            {myMeters.map((m) => (
              <option key={m.id} value={m.id}>
                Meter #{m.id} · {m.capacityW / 1000} kW
              </option>
            ))}
          </select>
        </div>
      }
      <dl className="kv" aria-label="Order preview">
        <dt>{isBid ? "Locks (limit value)" : "Locks (seller bond)"}</dt>
        <dd data-testid="lock-preview">{check.ok ? `${formatUsdc(check.value.lock, 6)} USDC` : "—"}</dd>
        <dt>Value at limit</dt>
        <dd>{check.ok ? `${formatUsdc(check.value.value, 6)} USDC` : "—"}</dd>
        <dt>Free balance</dt>
        <dd>{balances.free !== undefined ? `${formatUsdc(balances.free)} USDC` : "—"}</dd>
        <dt>Gate closes in</dt>
        <dd>{now ? countdown(gateAt - now) : "—"}</dd>
      </dl>
      {!check.ok && (
        <p className="why" id={`${id}-why`} data-testid="order-why">
          {check.reason}
        </p>
      )}
      {member.data === false && !blocker && (
        <button
          type="button"
          className="btn btn-secondary btn-block"
          style={{ marginBottom: 8 }}
          disabled={join.state.status === "signing" || join.state.status === "pending"}
          onClick={() =>
            join.run("Join community", {
              address: cfg.contracts.market,
              abi: energyMarketAbi as Abi,
              functionName: "join",
              args: [community.id],
            })
          }
        >
          Join {community.name}
        </button>
      )}
      <button
        type="submit"
        className={`btn btn-block`}
        style={{ background: isBid ? "var(--bid)" : "var(--ask)", color: "#fff" }}
        disabled={!check.ok || busy}
        aria-describedby={!check.ok ? `${id}-why` : undefined}
        data-testid="order-submit"
      >
        {busy ? "Confirm in your wallet…" : label}
      </button>
      {tx.state.status === "failed" && (
        <p className="error" role="alert" data-testid="order-error">
          {tx.state.error.message}
        </p>
      )}
    </form>
  );
}
