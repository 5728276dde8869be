/**
 * Notifier sessions kept per wallet address in this tab's sessionStorage (gone when the tab
 * closes), with change listeners so the header's bell and the Settings page agree at once.
 */
import type { NotifierSession } from "./notifier-api";

const PREFIX = "powershare.notifier.session.";
const listeners = new Set<() => void>();

const keyOf = (address: string) => PREFIX + address.toLowerCase();

function storage(): Storage | undefined {
  try {
    return typeof window === "undefined" ? undefined : window.sessionStorage;
  } catch {
    return undefined; // storage disabled
  }
}

/** The stored text of `address`'s session (a stable snapshot for useSyncExternalStore). */
export function rawSession(address: string | undefined): string | null {
  return address ? (storage()?.getItem(keyOf(address)) ?? null) : null;
}

/** The stored session of `address`, or undefined when there is none, it is unreadable or expired. */
export function readSession(address: string | undefined, now = Date.now()): NotifierSession | undefined {
  return parseSession(rawSession(address), address, now);
}

export function parseSession(
  raw: string | null,
  address: string | undefined,
  now = Date.now(),
): NotifierSession | undefined {
  if (!raw || !address) return undefined;
  try {
    const s = JSON.parse(raw) as NotifierSession;
    if (typeof s.token !== "string" || typeof s.expiresAt !== "number") return undefined;
    if (s.address?.toLowerCase() !== address.toLowerCase()) return undefined;
    return s.expiresAt > now ? s : undefined;
  } catch {
    return undefined;
  }
}

export function writeSession(s: NotifierSession): void {
  storage()?.setItem(keyOf(s.address), JSON.stringify(s));
  listeners.forEach((l) => l());
}

export function clearSession(address: string): void {
  storage()?.removeItem(keyOf(address));
  listeners.forEach((l) => l());
}

export function subscribeSessions(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
