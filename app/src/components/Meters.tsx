"use client";
import { deliverySettlementAbi, energyMarketAbi } from "@powershare/contracts";
import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { isAddress, type Abi, type Address } from "viem";
import { useAccount } from "wagmi";
import { useAppConfig } from "@/hooks/useAppConfig";
import { useIndexerBase, useMyMeters } from "@/hooks/useIndexer";
import { useTx } from "@/hooks/useTx";
import { gql, type Items, type Meter } from "@/lib/indexer";
import { parseSignedCertificate } from "@/lib/meter-certificate";
import { formatKwh } from "@/lib/units";

const KINDS = ["producer", "consumer", "prosumer", "storage"];

function Readings({ meter }: { meter: Meter }) {
  const base = useIndexerBase();
  const q = useQuery({
    queryKey: ["readings", meter.id],
    queryFn: async () => {
      type R = { slotStart: string; importedWh: string; exportedWh: string };
      type S = { marketId: string; soldWh: string; deliveredWh: string | null };
      const d = await gql<Items<"reportss", R> & Items<"saless", S>>(
        base,
        `query($m: Int!) { reportss(where: { meterId: $m }, orderBy: "slotStart", orderDirection: "desc", limit: 24) { items { slotStart importedWh exportedWh } }
          saless(where: { meterId: $m }, limit: 200) { items { marketId soldWh deliveredWh } } }`,
        { m: meter.id },
      );
      const sold = new Map(
        d.saless.items.map((s) => [Number(BigInt(s.marketId) & ((1n << 40n) - 1n)), s.soldWh]),
      );
      return d.reportss.items.map((r) => ({ ...r, soldWh: sold.get(Number(r.slotStart)) ?? "0" }));
    },
    refetchInterval: 5_000,
  });
  if (!q.data) return <p className="muted">Loading readings…</p>;
  if (q.data.length === 0) return <p className="muted">No oracle reports for this meter yet.</p>;
  const max = q.data.reduce((m, r) => Math.max(m, Number(r.exportedWh), Number(r.soldWh)), 1);
  return (
    <div className="table-wrap">
      <table aria-label={`Readings of meter ${meter.id}`}>
        <thead>
          <tr>
            <th scope="col">Slot (UTC)</th>
            <th scope="col" className="r">
              Imported kWh
            </th>
            <th scope="col" className="r">
              Exported kWh
            </th>
            <th scope="col" className="r">
              Sold kWh
            </th>
            <th scope="col">Sold vs delivered</th>
          </tr>
        </thead>
        <tbody>
          {q.data.map((r) => (
            <tr key={r.slotStart}>
              <td className="num">
                {new Date(Number(r.slotStart) * 1000).toISOString().slice(5, 16).replace("T", " ")}
              </td>
              <td className="r num">{formatKwh(r.importedWh)}</td>
              <td className="r num">{formatKwh(r.exportedWh)}</td>
              <td className="r num">{formatKwh(r.soldWh)}</td>
              <td style={{ minWidth: 120 }}>
                <svg
                  width="120"
                  height="14"
                  role="img"
                  aria-label={`sold ${formatKwh(r.soldWh)}, exported ${formatKwh(r.exportedWh)} kWh`}
                >
                  <rect x="0" y="0" height="6" width={(Number(r.soldWh) / max) * 120} fill="var(--ask)" />
                  <rect x="0" y="8" height="6" width={(Number(r.exportedWh) / max) * 120} fill="var(--bid)" />
                </svg>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MeterActions({ meter }: { meter: Meter }) {
  const cfg = useAppConfig();
  const tx = useTx();
  const [to, setTo] = useState("");
  const id = useId();
  const call = (label: string, functionName: string, args: readonly unknown[]) =>
    tx.run(label, { address: cfg.contracts.market, abi: energyMarketAbi as Abi, functionName, args });
  return (
    <div className="row">
      <label htmlFor={`${id}-to`} className="sr-only">
        New owner of meter {meter.id}
      </label>
      <input
        id={`${id}-to`}
        style={{ maxWidth: 260 }}
        placeholder="Transfer to 0x…"
        value={to}
        onChange={(e) => setTo(e.target.value)}
      />
      <button
        className="btn btn-secondary btn-small"
        disabled={!isAddress(to) || Boolean(tx.blocker)}
        onClick={() => call("Transfer meter", "transferMeter", [meter.id, to as Address])}
      >
        Transfer
      </button>
      {meter.active && (
        <button
          className="btn btn-danger btn-small"
          disabled={Boolean(tx.blocker)}
          onClick={() => call("Deactivate meter", "deactivateMeter", [meter.id])}
        >
          Deactivate
        </button>
      )}
      {tx.state.status === "failed" && <span className="error">{tx.state.error.message}</span>}
    </div>
  );
}

function RegisterMeter() {
  const cfg = useAppConfig();
  const { address } = useAccount();
  const tx = useTx();
  const id = useId();
  const [text, setText] = useState("");
  const parsed =
    address && text.trim() ? parseSignedCertificate(text, address, Math.floor(Date.now() / 1000)) : null;
  const why =
    tx.blocker ??
    (!cfg.contracts.settlement
      ? "This deployment has no settlement contract configured"
      : !parsed
        ? "Paste the meter certificate your community's meter registrar gave you"
        : parsed.ok
          ? null
          : parsed.error);
  return (
    <form
      aria-label="Register a meter"
      onSubmit={(e) => {
        e.preventDefault();
        if (!why && parsed?.ok && cfg.contracts.settlement)
          void tx.run("Register meter", {
            address: cfg.contracts.settlement,
            abi: deliverySettlementAbi as Abi,
            functionName: "registerMeter",
            args: [parsed.value.certificate, parsed.value.signature],
          });
      }}
    >
      <p className="muted">
        Your community&apos;s meter registrar (the installer) certifies each meter&apos;s device key and
        capacity; paste the certificate JSON it gave you (<code>{"{ certificate, signature }"}</code>).
      </p>
      <div className="field">
        <label htmlFor={`${id}-cert`}>Meter certificate (JSON)</label>
        <textarea id={`${id}-cert`} rows={6} value={text} onChange={(e) => setText(e.target.value)} />
      </div>
      {parsed?.ok && (
        <p>
          Community #{parsed.value.certificate.communityId}, {KINDS[parsed.value.certificate.kind]},{" "}
          {parsed.value.certificate.capacityW / 1000} kW, device key{" "}
          <code>{parsed.value.certificate.deviceKey}</code>
        </p>
      )}
      {text && why && <p className="why">{why}</p>}
      <button className="btn" disabled={Boolean(why)}>
        Register meter
      </button>
      {tx.state.status === "failed" && <p className="error">{tx.state.error.message}</p>}
    </form>
  );
}

export function Meters() {
  const { address } = useAccount();
  const meters = useMyMeters(address);
  if (!address) return <div className="panel">Connect a wallet to see and register your meters.</div>;
  return (
    <div className="grid">
      {meters.data?.length === 0 && <p className="muted">You have no meters yet.</p>}
      {meters.data?.map((m) => (
        <section key={m.id} className="panel" aria-label={`Meter ${m.id}`}>
          <div className="row">
            <h2 style={{ margin: 0 }}>Meter #{m.id}</h2>
            <span className="pill">{KINDS[m.kind]}</span>
            <span className="pill">{m.capacityW / 1000} kW</span>
            <span className="pill">{m.active ? "active" : "deactivated"}</span>
            <span className="pill">community #{m.communityId}</span>
          </div>
          <MeterActions meter={m} />
          <Readings meter={m} />
        </section>
      ))}
      <section className="panel" aria-labelledby="reg-h">
        <h2 id="reg-h">Register a meter</h2>
        <RegisterMeter />
      </section>
    </div>
  );
}
