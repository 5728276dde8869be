"use client";
/**
 * The signed-in address's notifier data as TanStack queries and mutations: the notifier's event
 * types and channels, preferences (contacts, low-balance threshold, subscriptions, webhooks) and
 * recent deliveries. A 401 (session unknown or expired) drops the stored session, so the page
 * asks to sign in again.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  accountPath,
  NotifierError,
  notifierRequest,
  type Delivery,
  type NewWebhook,
  type NotifierMeta,
  type NotifierPreferences,
  type NotifierSession,
  type PreferencesChange,
} from "@/lib/notifier-api";
import { clearSession } from "@/lib/notifier-session";

const DELIVERIES_MS = 5_000;

/** A call with the session's token; a 401 signs the address out locally. */
async function authed<T>(
  base: string,
  session: NotifierSession,
  path: string,
  opts: { method?: string; body?: unknown } = {},
): Promise<T> {
  try {
    return await notifierRequest<T>(base, `${accountPath(session.address)}${path}`, {
      ...opts,
      token: session.token,
    });
  } catch (e) {
    if (e instanceof NotifierError && e.status === 401) clearSession(session.address);
    throw e;
  }
}

export function useNotifierMeta(base: string | undefined) {
  return useQuery({
    queryKey: ["notifier", "meta", base],
    enabled: !!base,
    queryFn: () => notifierRequest<NotifierMeta>(base!, "/v1/meta"),
    staleTime: 60_000,
  });
}

export function useNotifierPreferences(base: string | undefined, session: NotifierSession | undefined) {
  return useQuery({
    queryKey: ["notifier", "preferences", session?.address, session?.token],
    enabled: !!base && !!session,
    queryFn: () => authed<NotifierPreferences>(base!, session!, "/preferences"),
    retry: false,
  });
}

export function useDeliveries(base: string | undefined, session: NotifierSession | undefined, limit = 20) {
  return useQuery({
    queryKey: ["notifier", "deliveries", session?.address, session?.token, limit],
    enabled: !!base && !!session,
    queryFn: async () =>
      (await authed<{ deliveries: Delivery[] }>(base!, session!, `/deliveries?limit=${limit}`)).deliveries,
    refetchInterval: DELIVERIES_MS,
    retry: false,
  });
}

/** PUT preferences; the notifier answers the new view, which replaces the cached one. */
export function useSavePreferences(base: string | undefined, session: NotifierSession | undefined) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (change: PreferencesChange) =>
      authed<NotifierPreferences>(base!, session!, "/preferences", { method: "PUT", body: change }),
    onSuccess: (view) => qc.setQueryData(["notifier", "preferences", session?.address, session?.token], view),
  });
}

export function useAddWebhook(base: string | undefined, session: NotifierSession | undefined) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (url: string) =>
      authed<NewWebhook>(base!, session!, "/webhooks", { method: "POST", body: { url } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["notifier", "preferences", session?.address] }),
  });
}

export function useRemoveWebhook(base: string | undefined, session: NotifierSession | undefined) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      authed<{ ok: true }>(base!, session!, `/webhooks/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["notifier", "preferences", session?.address] }),
  });
}
