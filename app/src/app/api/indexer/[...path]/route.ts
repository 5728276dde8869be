/**
 * /api/indexer/* — the indexer's REST, GraphQL and SQL-over-HTTP routes proxied from INDEXER_URL,
 * streamed (live queries are server-sent events); the indexer's own Cache-Control is kept.
 */
import { serverEnv } from "@/lib/server-config";
import { serviceProxy } from "@/lib/service-proxy";

export const dynamic = "force-dynamic";

const proxy = serviceProxy({
  base: () => serverEnv().indexer,
  headers: ["content-type", "accept", "last-event-id"],
  defaultHeaders: { "content-type": "application/json" },
  cacheControl: "upstream",
  unreachable: { error: "indexer unreachable" },
});

export { proxy as GET, proxy as POST };
