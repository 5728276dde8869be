"use client";
/**
 * The connected wallet's notifier session: Sign-In with Ethereum (useSiweSession: nonce from the
 * notifier, the wallet signs the EIP-4361 message naming this page's host), the notifier's bearer
 * token kept per address in sessionStorage, sign-out. `base` is undefined when the server has no
 * notifier configured.
 */
import { useCallback } from "react";
import { useAppConfig } from "./useAppConfig";
import { useSiweSession, type SiweService } from "./useSiweSession";
import { notifierRequest, type NotifierNonce, type NotifierSession } from "@/lib/notifier-api";
import { clearSession, notifierSessions, writeSession } from "@/lib/notifier-session";

export { useStoredSession } from "./useSiweSession";

const nonce: SiweService["nonce"] = (base) => notifierRequest<NotifierNonce>(base, "/v1/auth/nonce");
const complete: SiweService["complete"] = async (base, { message, signature }) =>
  writeSession(
    await notifierRequest<NotifierSession>(base, "/v1/auth/verify", {
      method: "POST",
      body: { message, signature },
    }),
  );

export function useNotifierSession() {
  const base = useAppConfig().notifierUrl;
  const s = useSiweSession({ base, store: notifierSessions, nonce, complete });
  const { address, session } = s;

  const signOut = useCallback(async () => {
    if (!address) return;
    const token = session?.token;
    clearSession(address);
    if (base && token)
      await notifierRequest(base, "/v1/auth/logout", { method: "POST", token }).catch(() => undefined);
  }, [base, address, session?.token]);

  return { ...s, signOut };
}
