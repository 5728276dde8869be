/**
 * /api/agents/* — the agents service's HTTP API (`/agents/*`: status, recommendations, market
 * analysis, assistant chat, SIWE nonce, process, session history) proxied from AGENTS_URL, the
 * SIWE Authorization header passed through. Without AGENTS_URL every path answers 404 with a sentence.
 */
import { serverEnv } from "@/lib/server-config";
import { serviceProxy } from "@/lib/service-proxy";

export const dynamic = "force-dynamic";

const proxy = serviceProxy({
  base: () => serverEnv().agents,
  prefix: "/agents",
  headers: ["authorization", "content-type", "accept"],
  cacheControl: "no-store",
  notConfigured: {
    error: "not_configured",
    message: "the AI assistant is not configured on this server (AGENTS_URL is not set)",
  },
  unreachable: { error: "unreachable", message: "the agents service is unreachable; try again in a moment" },
});

export { proxy as GET, proxy as POST };
