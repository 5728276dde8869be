/** Prometheus metrics of the gateway (prom-client, its own registry). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "powershare_gateway_" });
  return {
    registry,
    requests: new Counter({
      name: "powershare_gateway_requests_total",
      help: "Beckn requests received, by action and answer (ACK, or the NACK's error code)",
      labelNames: ["action", "answer"] as const,
      registers: [registry],
    }),
    authFailures: new Counter({
      name: "powershare_gateway_auth_failures_total",
      help: "Requests refused by signature checks, by reason",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    callbacks: new Counter({
      name: "powershare_gateway_callbacks_total",
      help: "on_* callbacks sent to BAPs, by action and outcome (delivered, failed, invalid)",
      labelNames: ["action", "outcome"] as const,
      registers: [registry],
    }),
    businessErrors: new Counter({
      name: "powershare_gateway_business_errors_total",
      help: "on_* callbacks that carried a protocol error, by code",
      labelNames: ["action", "code"] as const,
      registers: [registry],
    }),
    handleSeconds: new Histogram({
      name: "powershare_gateway_handle_seconds",
      help: "Time from a request's ACK to its callback being delivered",
      labelNames: ["action"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    ordersPlaced: new Counter({
      name: "powershare_gateway_orders_placed_total",
      help: "Confirmed Beckn orders placed on chain",
      registers: [registry],
    }),
    energyBoughtWh: new Counter({
      name: "powershare_gateway_energy_bought_wh_total",
      help: "Energy bought on chain through the gateway (Wh)",
      registers: [registry],
    }),
    ordersFollowed: new Gauge({
      name: "powershare_gateway_orders_followed",
      help: "Confirmed orders whose delivery and settlement the gateway still follows",
      registers: [registry],
    }),
    catalogItems: new Gauge({
      name: "powershare_gateway_catalog_items",
      help: "Items (resting asks) in the last catalog built",
      registers: [registry],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createMetrics>;
