/** A minimal Prometheus text-format registry: counters and gauges with labels. */

type Labels = Record<string, string>;

interface Series {
  labels: Labels;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge";
  series: Map<string, Series>;
}

const labelKey = (labels: Labels): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(",");

const escape = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export class Metrics {
  readonly #families = new Map<string, Family>();

  #family(name: string, help: string, type: "counter" | "gauge"): Family {
    let f = this.#families.get(name);
    if (!f) {
      f = { name, help, type, series: new Map() };
      this.#families.set(name, f);
    }
    return f;
  }

  /** Declares a metric so it shows (with value 0 for unlabelled ones) before its first change. */
  declare(name: string, help: string, type: "counter" | "gauge", labels?: Labels): void {
    const f = this.#family(name, help, type);
    const key = labelKey(labels ?? {});
    if (!f.series.has(key)) f.series.set(key, { labels: labels ?? {}, value: 0 });
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const f = this.#family(name, name, "counter");
    const key = labelKey(labels);
    const s = f.series.get(key);
    if (s) s.value += by;
    else f.series.set(key, { labels, value: by });
  }

  set(name: string, value: number, labels: Labels = {}): void {
    const f = this.#family(name, name, "gauge");
    f.series.set(labelKey(labels), { labels, value });
  }

  get(name: string, labels: Labels = {}): number {
    return this.#families.get(name)?.series.get(labelKey(labels))?.value ?? 0;
  }

  /** Sum over every label combination of a metric. */
  total(name: string): number {
    let sum = 0;
    for (const s of this.#families.get(name)?.series.values() ?? []) sum += s.value;
    return sum;
  }

  render(): string {
    const out: string[] = [];
    for (const f of this.#families.values()) {
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      for (const s of f.series.values()) {
        const entries = Object.entries(s.labels);
        const labels = entries.length ? `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}` : "";
        out.push(`${f.name}${labels} ${s.value}`);
      }
    }
    return out.join("\n") + "\n";
  }
}

/** Declares the oracle's metrics with their help text. */
export function declareOracleMetrics(m: Metrics): void {
  m.declare("oracle_readings_accepted_total", "Readings validated and committed to the store", "counter");
  m.declare(
    "oracle_readings_duplicate_total",
    "Redelivered readings already stored (acked, not stored twice)",
    "counter",
  );
  m.declare("oracle_readings_rejected_total", "Readings rejected, by reason", "counter");
  m.declare("oracle_reports_signed_total", "Meter reports signed by this node", "counter");
  m.declare(
    "oracle_reports_posted_total",
    "Meter reports included in a transaction sent by this node",
    "counter",
  );
  m.declare("oracle_reports_confirmed_total", "Meter reports confirmed on chain", "counter");
  m.declare(
    "oracle_reports_skipped_total",
    "Meter slots not reported (no data in time or gap too long)",
    "counter",
  );
  m.declare(
    "oracle_silences_signed_total",
    "Silent seller meters (sold, sent no reading for the slot) signed by this node",
    "counter",
  );
  m.declare(
    "oracle_silences_posted_total",
    "Silent meters included in an attestSilence transaction sent by this node",
    "counter",
  );
  m.declare(
    "oracle_silences_attested_total",
    "Silent meters attested on chain by this node's attestSilence transactions",
    "counter",
  );
  m.declare(
    "oracle_silences_abandoned_total",
    "Silent meters whose batch missed the report window",
    "counter",
  );
  m.declare(
    "oracle_silence_slots_skipped_total",
    "Slots not checked for silent meters, by reason (oracle_down: the oracle did not watch the whole slot)",
    "counter",
  );
  m.declare("oracle_post_failures_total", "Failed attempts to post a batch", "counter");
  m.declare(
    "oracle_last_slot_latency_seconds",
    "Seconds from a slot's end to its reports being confirmed",
    "gauge",
  );
  m.declare("oracle_ingest_queue_depth", "Readings received but not yet committed", "gauge");
}
