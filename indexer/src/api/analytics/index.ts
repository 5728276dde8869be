/**
 * Analytics routes (docs/indexer.md, "Analytics"), mounted at /analytics. Each answers JSON, or CSV
 * with `?format=csv` (streamed, RFC 4180, units in the header); listings are paginated
 * (`limit`, `cursor` → `nextCursor`). A bad input gets `400 {"error": "<sentence>"}`.
 */
import { Hono } from "hono";
import { communitySummary, communityTrades } from "./community.ts";
import { days, depth, market, slots } from "./market.ts";
import { platform, platformCommunities } from "./platform.ts";
import { user, userMarkets } from "./user.ts";
import { InvalidInput } from "./validation.ts";

const analytics = new Hono();

analytics.onError((err, c) => {
  if (err instanceof InvalidInput) return c.json({ error: err.message }, 400);
  console.error(err);
  return c.json({ error: "internal error" }, 500);
});

analytics.get("/market/slots", slots);
analytics.get("/market/days", days);
analytics.get("/market/:marketId", market);
analytics.get("/market/:marketId/depth", depth);
analytics.get("/users/:address", user);
analytics.get("/users/:address/markets", userMarkets);
analytics.get("/communities/:id", communitySummary);
analytics.get("/communities/:id/trades", communityTrades);
analytics.get("/platform", platform);
analytics.get("/platform/communities", platformCommunities);

export default analytics;
