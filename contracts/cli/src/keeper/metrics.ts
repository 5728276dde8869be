/** The keeper's Prometheus metrics (its own registry, so tests can run several keepers). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type KeeperAction = "claim" | "settle" | "refund";

export class KeeperMetrics {
  readonly registry = new Registry();
  readonly marketsPending = new Gauge({
    name: "powershare_keeper_markets_pending",
    help: "Markets past their gate whose claims, settlement or refunds are not complete",
    registers: [this.registry],
  });
  readonly ordersPending = new Gauge({
    name: "powershare_keeper_orders_pending",
    help: "Maker orders past their gate not claimed yet",
    registers: [this.registry],
  });
  readonly actions = new Counter({
    name: "powershare_keeper_actions_total",
    help: "Items done by the keeper (orders claimed, seller meters settled, refunds paid)",
    labelNames: ["action"],
    registers: [this.registry],
  });
  readonly transactions = new Counter({
    name: "powershare_keeper_transactions_total",
    help: "Transactions the keeper sent and saw mined",
    labelNames: ["action"],
    registers: [this.registry],
  });
  readonly skipped = new Counter({
    name: "powershare_keeper_skipped_total",
    help: "Items found already done by someone else (the contracts refuse a second time; expected after a restart)",
    labelNames: ["action"],
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: "powershare_keeper_failures_total",
    help: "Actions that failed after their retries",
    labelNames: ["action"],
    registers: [this.registry],
  });
  readonly gasSpent = new Counter({
    name: "powershare_keeper_gas_spent_total",
    help: "Gas used by the keeper's transactions",
    labelNames: ["action"],
    registers: [this.registry],
  });
  readonly feesPaid = new Counter({
    name: "powershare_keeper_fees_paid_wei_total",
    help: "Native token paid for gas, in wei (as a float)",
    registers: [this.registry],
  });
  readonly cycles = new Counter({
    name: "powershare_keeper_cycles_total",
    help: "Keeper cycles by discovery source and result",
    labelNames: ["source", "result"],
    registers: [this.registry],
  });
  readonly cycleSeconds = new Histogram({
    name: "powershare_keeper_cycle_seconds",
    help: "Duration of a keeper cycle",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly lastCycle = new Gauge({
    name: "powershare_keeper_last_cycle_timestamp_seconds",
    help: "Unix time of the last completed cycle",
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: "powershare_keeper_" });
  }
}
