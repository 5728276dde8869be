"use client";
/**
 * The connected wallet's notifier session: Sign-In with Ethereum (nonce from the notifier, the
 * wallet signs the EIP-4361 message naming this page's host), the token kept per address in
 * sessionStorage, sign-out. `base` is undefined when the server has no notifier configured.
 */
import { useCallback, useMemo, useState, useSyncExternalStore } from "react";
import { useAccount, useSignMessage } from "wagmi";
import { useAppConfig } from "./useAppConfig";
import { notifierRequest, type NotifierNonce, type NotifierSession } from "@/lib/notifier-api";
import {
  clearSession,
  notifierSessions,
  parseSession,
  writeSession,
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

export function useNotifierSession() {
  const cfg = useAppConfig();
  const base = cfg.notifierUrl;
  const { address } = useAccount();
  const session = useStoredSession(address);
  const { signMessageAsync } = useSignMessage();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const signIn = useCallback(async () => {
    if (!base || !address) return;
    setPending(true);
    setError(undefined);
    try {
      const { signInMessage, isWalletRejection } = await import("@/lib/notifier-siwe");
      const nonce = await notifierRequest<NotifierNonce>(base, "/v1/auth/nonce");
      const message = signInMessage({
        address,
        host: window.location.host,
        origin: window.location.origin,
        chainId: cfg.chainId,
        nonce,
      });
      let signature: `0x${string}`;
      try {
        signature = await signMessageAsync({ account: address, message });
      } catch (e) {
        throw new Error(
          isWalletRejection(e)
            ? "You declined the sign-in in your wallet; nothing was changed."
            : `Your wallet could not sign the message: ${(e as Error).message.split("\n")[0]}`,
        );
      }
      const s = await notifierRequest<NotifierSession>(base, "/v1/auth/verify", {
        method: "POST",
        body: { message, signature },
      });
      writeSession(s);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setPending(false);
    }
  }, [base, address, cfg.chainId, signMessageAsync]);

  const signOut = useCallback(async () => {
    if (!address) return;
    const token = session?.token;
    clearSession(address);
    if (base && token)
      await notifierRequest(base, "/v1/auth/logout", { method: "POST", token }).catch(() => undefined);
  }, [base, address, session?.token]);

  return { base, address, session, signIn, signOut, pending, error };
}
