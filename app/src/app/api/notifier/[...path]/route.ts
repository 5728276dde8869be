/**
 * /api/notifier/* — the notifier's API (SIWE sign-in, each address's preferences, webhooks,
 * deliveries, in-app notifications and their live stream) proxied from NOTIFIER_URL. The bearer
 * token is passed through; responses are streamed, so the in-app Server-Sent Events stream stays
 * live. Without NOTIFIER_URL every path answers 404 with a sentence.
 */
import { serverEnv } from "@/lib/server-config";
import { serviceProxy } from "@/lib/service-proxy";

export const dynamic = "force-dynamic";

const proxy = serviceProxy({
  base: () => serverEnv().notifier,
  headers: ["authorization", "content-type", "accept", "last-event-id"],
  cacheControl: "no-store",
  notConfigured: { error: "notifications are not configured on this server (NOTIFIER_URL is not set)" },
  unreachable: { error: "the notifier is unreachable; try again in a moment" },
});

export { proxy as GET, proxy as POST, proxy as PUT, proxy as DELETE };
