/** Prometheus metrics of the notifier (prom-client, own registry). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class NotifierMetrics {
  readonly registry = new Registry();
  readonly events = new Counter({
    name: "powershare_notifier_events_total",
    help: "Events taken into the outbox, by type",
    labelNames: ["type"],
    registers: [this.registry],
  });
  readonly attempts = new Counter({
    name: "powershare_notifier_delivery_attempts_total",
    help: "Delivery attempts by channel and outcome (sent, retry, failed)",
    labelNames: ["channel", "outcome"],
    registers: [this.registry],
  });
  readonly deliveries = new Gauge({
    name: "powershare_notifier_deliveries",
    help: "Deliveries in the store by channel and status",
    labelNames: ["channel", "status"],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: "powershare_notifier_event_to_sent_seconds",
    help: "From the event's block time to the delivery being sent, by channel",
    labelNames: ["channel"],
    buckets: [0.5, 1, 2, 3, 5, 10, 30, 60, 300, 1800],
    registers: [this.registry],
  });
  readonly sendDuration = new Histogram({
    name: "powershare_notifier_send_seconds",
    help: "Time one send took, by channel",
    labelNames: ["channel"],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    registers: [this.registry],
  });
  readonly chainHead = new Gauge({
    name: "powershare_notifier_chain_head",
    help: "Latest chain block seen",
    registers: [this.registry],
  });
  readonly confirmedBlock = new Gauge({
    name: "powershare_notifier_confirmed_block",
    help: "Last confirmed block read into the outbox",
    registers: [this.registry],
  });
  readonly reorgs = new Counter({
    name: "powershare_notifier_reorgs_total",
    help: "Reorgs deeper than the confirmations (events orphaned, unsent deliveries cancelled)",
    registers: [this.registry],
  });
  readonly sourceErrors = new Counter({
    name: "powershare_notifier_source_errors_total",
    help: "Failed chain polls",
    registers: [this.registry],
  });
  readonly streams = new Gauge({
    name: "powershare_notifier_inapp_streams",
    help: "Open in-app SSE streams",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "powershare_notifier_" });
  }
}
