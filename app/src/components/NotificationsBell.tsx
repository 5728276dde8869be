"use client";
/**
 * The header's notifications bell: the signed-in address's in-app notifications, live from the
 * notifier's stream, with the unread count; opening the list marks them seen. Nothing renders
 * when the server has no notifier or no wallet is connected; before sign-in the list points to
 * Settings.
 */
import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { useAccount } from "wagmi";
import { useAppConfig } from "@/hooks/useAppConfig";
import { useStoredSession } from "@/hooks/useNotifierSession";
import { useNotifierInbox } from "@/hooks/useNotifierStream";
import { EVENT_LABELS } from "@/lib/notifier-api";
import styles from "./NotificationsBell.module.css";

const time = (ms: number) =>
  new Date(ms).toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });

export function NotificationsBell() {
  const base = useAppConfig().notifierUrl;
  const { address } = useAccount();
  const session = useStoredSession(address);
  const inbox = useNotifierInbox(base, session);
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !root.current?.contains(e.target as Node))
        setOpen(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);
  // While the list is open, what arrives is seen.
  const { markSeen, unread } = inbox;
  useEffect(() => {
    if (open && unread > 0) markSeen();
  }, [open, unread, markSeen]);

  if (!base || !address) return null;
  const label = session
    ? `Notifications${inbox.unread ? `, ${inbox.unread} unread` : ""}`
    : "Notifications (not signed in)";
  return (
    <div className={styles.root} ref={root}>
      <button
        type="button"
        className={styles.bell}
        aria-label={label}
        aria-expanded={open}
        aria-controls={panelId}
        data-testid="notifications-bell"
        onClick={() => setOpen((o) => !o)}
      >
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
          <path
            fill="currentColor"
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
          />
        </svg>
        {session && inbox.unread > 0 && (
          <span className={styles.count} data-testid="notifications-unread" aria-hidden="true">
            {inbox.unread > 99 ? "99+" : inbox.unread}
          </span>
        )}
      </button>
      {open && (
        <div id={panelId} className={styles.panel} role="region" aria-label="Notifications">
          {!session ? (
            <p className={styles.empty}>
              Sign in to notifications on the{" "}
              <Link href="/settings#notifications" onClick={() => setOpen(false)}>
                Settings
              </Link>{" "}
              page to see them here.
            </p>
          ) : (
            <>
              <div className={styles.head}>
                <strong>Notifications</strong>
                <span className={styles.state} data-testid="notifications-stream">
                  {inbox.state === "live" ? "live" : inbox.state === "connecting" ? "connecting…" : "offline"}
                </span>
              </div>
              {inbox.items.length === 0 ? (
                <p className={styles.empty}>
                  Nothing yet. Fills, settlements and proposals appear here as they happen.
                </p>
              ) : (
                <ul className={styles.list}>
                  {inbox.items.map((n) => (
                    <li key={n.id} className={styles.item} data-testid="notification">
                      <div className={styles.title}>{n.title}</div>
                      <div className={styles.body}>{n.body}</div>
                      <div className={styles.meta}>
                        {EVENT_LABELS[n.eventType] ?? n.eventType} · {time(n.createdAt)}
                      </div>
                    </li>
                  ))}
                </ul>
              )}
              <Link href="/settings#notifications" className={styles.footer} onClick={() => setOpen(false)}>
                Notification settings
              </Link>
            </>
          )}
        </div>
      )}
    </div>
  );
}
