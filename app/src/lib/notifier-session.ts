/**
 * Sign-in sessions kept per wallet address in this tab's sessionStorage (gone when the tab closes),
 * one store per service (the notifier, the agents), with change listeners so every component that
 * shows a service's data agrees at once.
 */
import type { Address } from "viem";

export interface StoredSession {
  token: string;
  address: Address;
  /** ms since the epoch */
  expiresAt: number;
}

function storage(): Storage | undefined {
  try {
    return typeof window === "undefined" ? undefined : window.sessionStorage;
  } catch {
    return undefined; // storage disabled
  }
}

export function parseSession(
  raw: string | null,
  address: string | undefined,
  now = Date.now(),
): StoredSession | undefined {
  if (!raw || !address) return undefined;
  try {
    const s = JSON.parse(raw) as StoredSession;
    if (typeof s.token !== "string" || typeof s.expiresAt !== "number") return undefined;
    if (s.address?.toLowerCase() !== address.toLowerCase()) return undefined;
    return s.expiresAt > now ? s : undefined;
  } catch {
    return undefined;
  }
}

export function sessionStore(prefix: string) {
  const listeners = new Set<() => void>();
  const keyOf = (address: string) => prefix + address.toLowerCase();
  /** The stored text of `address`'s session (a stable snapshot for useSyncExternalStore). */
  const raw = (address: string | undefined): string | null =>
    address ? (storage()?.getItem(keyOf(address)) ?? null) : null;
  return {
    raw,
    /** The stored session of `address`, or undefined when there is none, it is unreadable or expired. */
    read: (address: string | undefined, now = Date.now()) => parseSession(raw(address), address, now),
    write(s: StoredSession): void {
      storage()?.setItem(keyOf(s.address), JSON.stringify(s));
      listeners.forEach((l) => l());
    },
    clear(address: string): void {
      storage()?.removeItem(keyOf(address));
      listeners.forEach((l) => l());
    },
    subscribe(l: () => void): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
export type SessionStore = ReturnType<typeof sessionStore>;

/** The notifier's sessions (bearer tokens from POST /v1/auth/verify). */
export const notifierSessions = sessionStore("powershare.notifier.session.");
export const rawSession = notifierSessions.raw;
export const readSession = notifierSessions.read;
export const writeSession = notifierSessions.write;
export const clearSession = notifierSessions.clear;
export const subscribeSessions = notifierSessions.subscribe;
