"use client";
/**
 * Checked writes: refuse on the wrong chain, simulate first (a revert becomes a sentence before the
 * wallet opens), send, wait for the receipt, toast pending / confirmed / failed with the explorer
 * link, then refresh the reads. viem's actions are imported one by one (not a wallet/public client
 * with every action attached), so a page ships only the ones it uses.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import type { Abi, Address, Hex } from "viem";
import { simulateContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { useAccount, useConfig } from "wagmi";
import { getConnectorClient } from "wagmi/actions";
import { useToasts } from "@/components/Toasts";
import { toUserError, type UserError } from "@/lib/errors";
import { useAppConfig } from "./useAppConfig";

export interface WriteCall {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

export type TxState =
  | { status: "idle" }
  | { status: "signing" }
  | { status: "pending"; hash: Hex }
  | { status: "confirmed"; hash: Hex; result?: unknown }
  | { status: "failed"; error: UserError; hash?: Hex };

/** Why writing is impossible right now (not connected, wrong chain), or null. */
export function useWriteBlocker(): string | null {
  const cfg = useAppConfig();
  const { isConnected, chainId } = useAccount();
  if (!cfg.deployed) return `PowerShare is not deployed on ${cfg.chainName}`;
  if (!isConnected) return "Connect a wallet first";
  if (chainId !== cfg.chainId) return `Switch your wallet to ${cfg.chainName}`;
  return null;
}

export function useTx() {
  const cfg = useAppConfig();
  const { address } = useAccount();
  const wagmiConfig = useConfig();
  const blocker = useWriteBlocker();
  const toasts = useToasts();
  const qc = useQueryClient();
  const [state, setState] = useState<TxState>({ status: "idle" });

  const run = useCallback(
    async (label: string, call: WriteCall | (() => Promise<WriteCall>)): Promise<TxState> => {
      const fail = (error: UserError, hash?: Hex): TxState => {
        const s: TxState = { status: "failed", error, hash };
        setState(s);
        toasts.push({ kind: "error", title: `${label} failed`, body: error.message });
        return s;
      };
      if (blocker) return fail({ kind: "unknown", message: blocker });
      if (!address) return fail({ kind: "unknown", message: "Connect a wallet first" });
      let hash: Hex | undefined;
      try {
        setState({ status: "signing" });
        // Resolved at call time: right after a reload the connector may still be reconnecting.
        const walletClient = await getConnectorClient(wagmiConfig, {
          chainId: cfg.chainId,
          account: address,
        });
        const publicClient = wagmiConfig.getClient({ chainId: cfg.chainId });
        const c = typeof call === "function" ? await call() : call;
        const { request, result } = await simulateContract(publicClient, { ...c, account: address } as never);
        hash = await writeContract(walletClient, request as never);
        setState({ status: "pending", hash });
        const href = cfg.explorerUrl ? `${cfg.explorerUrl}/tx/${hash}` : undefined;
        const id = toasts.push({
          kind: "pending",
          title: `${label}: pending`,
          body: hash.slice(0, 18) + "…",
          href,
        });
        const receipt = await waitForTransactionReceipt(publicClient, { hash, timeout: 120_000 });
        if (receipt.status !== "success") {
          toasts.dismiss(id);
          return fail({ kind: "revert", message: "The transaction reverted on chain." }, hash);
        }
        toasts.push(
          { kind: "success", title: `${label}: confirmed`, body: `block ${receipt.blockNumber}`, href },
          id,
        );
        const s: TxState = { status: "confirmed", hash, result };
        setState(s);
        void qc.invalidateQueries();
        return s;
      } catch (e) {
        return fail(toUserError(e), hash);
      }
    },
    [address, blocker, cfg.chainId, cfg.explorerUrl, qc, toasts, wagmiConfig],
  );
  return { run, state, blocker, reset: () => setState({ status: "idle" }) };
}
