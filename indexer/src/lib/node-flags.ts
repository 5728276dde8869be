/**
 * Node flags for the Ponder process (bin/start.ts, and the tests and benchmark that run it the same
 * way). A larger young generation: Ponder's backfill allocates short-lived objects per event (rows,
 * proxies, decoded logs), and fewer scavenges made the benchmark's backfill about 6% faster
 * (docs/decisions/0006).
 */
export const PONDER_NODE_FLAGS = ["--max-semi-space-size=64"];
