"use client";
/**
 * Sign-In with Ethereum to a service behind the app (the notifier, the agents): the service's
 * nonce, the EIP-4361 message naming this page's host, the wallet's signature (a refusal told apart
 * from a failure), then the service-specific exchange for a session kept per address in
 * sessionStorage. `base` is undefined when the server has no such service configured.
 */
import { useCallback, useMemo, useState, useSyncExternalStore } from "react";
import type { Address, Hex } from "viem";
import { useAccount, useSignMessage } from "wagmi";
import { useAppConfig } from "./useAppConfig";
import {
  notifierSessions,
  parseSession,
  type SessionStore,
  type StoredSession,
} from "@/lib/notifier-session";

/** The stored session of `address` in `store` (updates when any component signs in or out). */
export function useStoredSession(
  address: string | undefined,
  store: SessionStore = notifierSessions,
): StoredSession | undefined {
  const raw = useSyncExternalStore(
    store.subscribe,
    () => store.raw(address),
    () => null,
  );
  return useMemo(() => parseSession(raw, address), [raw, address]);
}

/** What a service's sign-in needs; keep `nonce`, `complete` and `message` stable (module constants). */
export interface SiweService {
  /** The service's base URL as the browser reaches it, or undefined when it is not configured. */
  base: string | undefined;
  store: SessionStore;
  /** Fetches a nonce (and the domain and chain the service expects). */
  nonce(base: string): Promise<{ nonce: string; domain: string; chainId?: number }>;
  /** Who the sign-in is for, in refusals; the message's statement and lifetime. */
  message?: {
    service?: { name: string; domainSetting: string };
    statement?: string;
    validForMs?: number;
  };
  /** Turns the signed message into the stored session (writes it to `store`). */
  complete(base: string, p: { address: Address; message: string; signature: Hex }): Promise<void>;
}

export function useSiweSession(svc: SiweService) {
  const cfg = useAppConfig();
  const { address } = useAccount();
  const session = useStoredSession(address, svc.store);
  const { signMessageAsync } = useSignMessage();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const { base, nonce, complete, message: opts } = svc;

  const signIn = useCallback(async () => {
    if (!base || !address) return;
    setPending(true);
    setError(undefined);
    try {
      const { signInMessage, isWalletRejection } = await import("@/lib/notifier-siwe");
      const message = signInMessage({
        address,
        host: window.location.host,
        origin: window.location.origin,
        chainId: cfg.chainId,
        nonce: await nonce(base),
        ...opts,
      });
      let signature: Hex;
      try {
        signature = await signMessageAsync({ account: address, message });
      } catch (e) {
        throw new Error(
          isWalletRejection(e)
            ? "You declined the sign-in in your wallet; nothing was changed."
            : `Your wallet could not sign the message: ${(e as Error).message.split("\n")[0]}`,
        );
      }
      await complete(base, { address, message, signature });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setPending(false);
    }
  }, [base, address, cfg.chainId, signMessageAsync, nonce, complete, opts]);

  return { base, address, session, signIn, pending, error };
}
