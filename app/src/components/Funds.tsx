"use client";
import { energyMarketAbi, mockUsdcAbi, PERMIT_TYPES } from "@powershare/contracts";
import { useId, useState } from "react";
import { hexToSignature, type Abi } from "viem";
import { readContract, signTypedData } from "viem/actions";
import { useAccount, useConfig } from "wagmi";
import { getConnectorClient } from "wagmi/actions";
import { useAppConfig } from "@/hooks/useAppConfig";
import { useBalances } from "@/hooks/useChainState";
import { useTx, useWriteBlocker } from "@/hooks/useTx";
import { formatUsdc, parseUsdc } from "@/lib/units";

/** Deposit (EIP-2612 permit: one signature, one transaction; or approve + deposit) and withdraw. */
export function Funds() {
  const cfg = useAppConfig();
  const id = useId();
  const { address } = useAccount();
  const bal = useBalances();
  const wagmiConfig = useConfig();
  const blocker = useWriteBlocker();
  const dep = useTx();
  const wd = useTx();
  const [depositText, setDepositText] = useState("");
  const [withdrawText, setWithdrawText] = useState("");

  const d = parseUsdc(depositText);
  const depositWhy =
    blocker ??
    (!d.ok
      ? d.reason
      : bal.wallet !== undefined && d.value > bal.wallet
        ? `Your wallet holds only ${formatUsdc(bal.wallet)} USDC`
        : null);
  const w = parseUsdc(withdrawText);
  const withdrawWhy =
    blocker ??
    (!w.ok
      ? w.reason
      : bal.free !== undefined && w.value > bal.free
        ? `Only ${formatUsdc(bal.free)} USDC is free (the rest is locked in orders)`
        : null);
  const busy = (s: { status: string }) => s.status === "signing" || s.status === "pending";

  async function depositWithPermit() {
    if (!d.ok || !address) return;
    await dep.run("Deposit (permit)", async () => {
      const token = cfg.contracts.quoteToken;
      const publicClient = wagmiConfig.getClient({ chainId: cfg.chainId });
      const [[, name, version, chainId, verifyingContract], nonce] = await Promise.all([
        readContract(publicClient, { address: token, abi: mockUsdcAbi, functionName: "eip712Domain" }),
        readContract(publicClient, {
          address: token,
          abi: mockUsdcAbi,
          functionName: "nonces",
          args: [address],
        }),
      ]);
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
      const walletClient = await getConnectorClient(wagmiConfig, { chainId: cfg.chainId, account: address });
      const signature = await signTypedData(walletClient, {
        account: address,
        domain: { name, version, chainId, verifyingContract },
        types: PERMIT_TYPES,
        primaryType: "Permit",
        message: { owner: address, spender: cfg.contracts.market, value: d.value, nonce, deadline },
      });
      const { r, s, v, yParity } = hexToSignature(signature);
      return {
        address: cfg.contracts.market,
        abi: energyMarketAbi as Abi,
        functionName: "depositWithPermit",
        args: [d.value, deadline, Number(v ?? BigInt(27 + (yParity ?? 0))), r, s],
      };
    });
    setDepositText("");
  }

  async function approveThenDeposit() {
    if (!d.ok) return;
    if ((bal.allowance ?? 0n) < d.value) {
      const a = await dep.run("Approve", {
        address: cfg.contracts.quoteToken,
        abi: mockUsdcAbi as Abi,
        functionName: "approve",
        args: [cfg.contracts.market, d.value],
      });
      if (a.status !== "confirmed") return;
    }
    const r = await dep.run("Deposit", {
      address: cfg.contracts.market,
      abi: energyMarketAbi as Abi,
      functionName: "deposit",
      args: [d.value],
    });
    if (r.status === "confirmed") setDepositText("");
  }

  async function withdraw() {
    if (!w.ok || !address) return;
    const r = await wd.run("Withdraw", {
      address: cfg.contracts.market,
      abi: energyMarketAbi as Abi,
      functionName: "withdraw",
      args: [w.value, address],
    });
    if (r.status === "confirmed") setWithdrawText("");
  }

  return (
    <div className="grid cols-2">
      <div>
        <h2>Deposit</h2>
        <p className="hint">Wallet: {bal.wallet !== undefined ? `${formatUsdc(bal.wallet)} USDC` : "—"}</p>
        <div className="field">
          <label htmlFor={`${id}-dep`}>Amount to deposit</label>
          <div className="input-row">
            <input
              id={`${id}-dep`}
              inputMode="decimal"
              value={depositText}
              onChange={(e) => setDepositText(e.target.value)}
              placeholder="100"
            />
            <span>USDC</span>
          </div>
        </div>
        {depositText && depositWhy && <p className="why">{depositWhy}</p>}
        <div className="row">
          <button
            className="btn"
            data-testid="deposit-permit"
            disabled={Boolean(depositWhy) || busy(dep.state)}
            onClick={depositWithPermit}
          >
            Deposit with permit
          </button>
          <button
            className="btn btn-secondary"
            disabled={Boolean(depositWhy) || busy(dep.state)}
            onClick={approveThenDeposit}
          >
            Approve + deposit
          </button>
        </div>
        <p className="hint">A permit is one signature and one transaction; approve works with any wallet.</p>
        {dep.state.status === "failed" && (
          <p className="error" role="alert">
            {dep.state.error.message}
          </p>
        )}
      </div>
      <div>
        <h2>Withdraw</h2>
        <p className="hint">Free: {bal.free !== undefined ? `${formatUsdc(bal.free)} USDC` : "—"}</p>
        <div className="field">
          <label htmlFor={`${id}-wd`}>Amount to withdraw</label>
          <div className="input-row">
            <input
              id={`${id}-wd`}
              inputMode="decimal"
              value={withdrawText}
              onChange={(e) => setWithdrawText(e.target.value)}
              placeholder="50"
            />
            <span>USDC</span>
          </div>
        </div>
        {withdrawText && withdrawWhy && <p className="why">{withdrawWhy}</p>}
        <div className="row">
          <button
            className="btn btn-secondary"
            onClick={() =>
              bal.free !== undefined && setWithdrawText(formatUsdc(bal.free, 6).replace(/,/g, ""))
            }
            disabled={bal.free === undefined}
          >
            Max
          </button>
          <button className="btn" disabled={Boolean(withdrawWhy) || busy(wd.state)} onClick={withdraw}>
            Withdraw
          </button>
        </div>
        {wd.state.status === "failed" && (
          <p className="error" role="alert">
            {wd.state.error.message}
          </p>
        )}
      </div>
    </div>
  );
}
