"use client";
/**
 * The in-app notifications of the signed-in address, live: the latest ones from the notifier, then
 * each new one as it arrives on the Server-Sent Events stream (EventSource through the proxy;
 * the browser reconnects by itself). Unread = newer than the last one the user has seen, kept per
 * address in localStorage (in the notifier's clock, so a skewed browser clock does not matter).
 */
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import {
  accountPath,
  NotifierError,
  notifierRequest,
  streamUrl,
  type InAppNotification,
  type NotifierSession,
} from "@/lib/notifier-api";
import { clearSession } from "@/lib/notifier-session";

export type StreamState = "off" | "connecting" | "live" | "closed";
const MAX_KEPT = 50;
const SEEN_PREFIX = "powershare.notifier.seen.";
const seenListeners = new Set<() => void>();

function readSeen(address: string | undefined): number {
  if (!address) return 0;
  try {
    return Number(localStorage.getItem(SEEN_PREFIX + address.toLowerCase()) ?? 0) || 0;
  } catch {
    return 0;
  }
}

/** Newest first, one entry per id. */
export function mergeNotifications(
  a: readonly InAppNotification[],
  b: readonly InAppNotification[],
): InAppNotification[] {
  const byId = new Map<string, InAppNotification>();
  for (const n of [...a, ...b]) if (!byId.has(n.id)) byId.set(n.id, n);
  return [...byId.values()]
    .sort((x, y) => y.createdAt - x.createdAt || (x.id < y.id ? 1 : -1))
    .slice(0, MAX_KEPT);
}

/** One `notification` event of the stream as a list entry (undefined when malformed). */
export function parseStreamEvent(data: string): InAppNotification | undefined {
  try {
    const o = JSON.parse(data) as Record<string, unknown>;
    if (typeof o.id !== "string" || typeof o.title !== "string" || typeof o.createdAt !== "number") return;
    return {
      id: o.id,
      eventType: String(o.type ?? o.eventType ?? ""),
      title: o.title,
      body: typeof o.body === "string" ? o.body : "",
      createdAt: o.createdAt,
    };
  } catch {
    return undefined;
  }
}

export function useNotifierInbox(base: string | undefined, session: NotifierSession | undefined) {
  const address = session?.address;
  const token = session?.token;
  const [items, setItems] = useState<InAppNotification[]>([]);
  const [state, setState] = useState<StreamState>("off");

  useEffect(() => {
    setItems([]);
    if (!base || !address || !token) {
      setState("off");
      return;
    }
    let stopped = false;
    setState("connecting");
    const es = new EventSource(streamUrl(base, address, token));
    es.addEventListener("open", () => !stopped && setState("live"));
    es.addEventListener("notification", (e) => {
      const n = parseStreamEvent((e as MessageEvent<string>).data);
      if (n && !stopped) setItems((cur) => mergeNotifications([n], cur));
    });
    const load = () =>
      notifierRequest<{ notifications: InAppNotification[] }>(base, `${accountPath(address)}/notifications`, {
        token,
      }).then(
        (r) => !stopped && setItems((cur) => mergeNotifications(cur, r.notifications)),
        (err: unknown) => {
          // The session is gone (expired, signed out elsewhere): forget it here too.
          if (err instanceof NotifierError && err.status === 401) clearSession(address);
        },
      );
    es.addEventListener("error", () => {
      if (stopped) return;
      // CLOSED: the notifier refused the stream (e.g. 401); else the browser is reconnecting.
      if (es.readyState === EventSource.CLOSED) {
        setState("closed");
        void load();
      } else setState("connecting");
    });
    void load();
    return () => {
      stopped = true;
      es.close();
    };
  }, [base, address, token]);

  const seen = useSyncExternalStore(
    (l) => {
      seenListeners.add(l);
      return () => seenListeners.delete(l);
    },
    () => readSeen(address),
    () => 0,
  );
  const unread = useMemo(() => items.filter((n) => n.createdAt > seen).length, [items, seen]);
  const markSeen = useCallback(() => {
    if (!address || items.length === 0) return;
    const newest = Math.max(...items.map((n) => n.createdAt));
    try {
      localStorage.setItem(SEEN_PREFIX + address.toLowerCase(), String(newest));
    } catch {
      // storage disabled: unread stays as it is
    }
    seenListeners.forEach((l) => l());
  }, [address, items]);

  return { items, state, unread, markSeen };
}
