/** The keeper's HTTP endpoint: GET /health (200 healthy, 503 not) and GET /metrics (Prometheus). */
import { createServer, type Server } from "node:http";
import type { KeeperMetrics } from "./metrics.ts";

export interface HealthReport {
  healthy: boolean;
  [k: string]: unknown;
}

export function startKeeperServer(
  port: number,
  host: string,
  metrics: KeeperMetrics,
  health: () => HealthReport,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    void (async () => {
      if (req.url === "/metrics") {
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      } else if (req.url === "/health" || req.url === "/ready") {
        const h = health();
        res.writeHead(h.healthy ? 200 : 503, { "content-type": "application/json" });
        res.end(JSON.stringify(h, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
      } else {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found: try /health or /metrics\n");
      }
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = server.address() as { port: number };
      resolve({ server, url: `http://${host}:${addr.port}` });
    });
  });
}
