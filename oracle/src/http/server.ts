/** /metrics (Prometheus text format) and /health over node:http. */
import { createServer, type Server } from "node:http";
import type { Metrics } from "./metrics.ts";

export interface HealthReport {
  ok: boolean;
  [key: string]: unknown;
}

export class OpsServer {
  readonly #server: Server;
  #port = 0;

  constructor(metrics: Metrics, health: () => HealthReport) {
    this.#server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET") {
        res.writeHead(405).end();
      } else if (path === "/metrics") {
        res
          .writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" })
          .end(metrics.render());
      } else if (path === "/health") {
        const h = health();
        res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(h));
      } else {
        res.writeHead(404).end();
      }
    });
  }

  get port(): number {
    return this.#port;
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => resolve());
    });
    const a = this.#server.address();
    if (a && typeof a === "object") this.#port = a.port;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
