/**
 * A strict reader of the Prometheus text exposition format (0.0.4): HELP/TYPE lines, samples with
 * labels and float values, every sample belonging to a declared family (histogram and summary
 * suffixes included). Throws with the line number on anything malformed.
 */
export interface MetricFamily {
  name: string;
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m) throw new Error(`line ${line}: bad label at "${text.slice(i)}"`);
    i += m[0].length;
    let value = "";
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") {
        const n = text[i + 1];
        value += n === "n" ? "\n" : n;
        i += 2;
      } else value += text[i++];
    }
    if (text[i] !== '"') throw new Error(`line ${line}: unterminated label value`);
    labels[m[1]!] = value;
    i++;
    const rest = text.slice(i);
    const sep = /^\s*,?\s*/.exec(rest)![0];
    i += sep.length;
  }
  return labels;
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const familyOf = (sample: string): MetricFamily | undefined => {
    const exact = families.get(sample);
    if (exact) return exact;
    for (const suffix of ["_bucket", "_sum", "_count", "_total", "_created"]) {
      if (!sample.endsWith(suffix)) continue;
      const f = families.get(sample.slice(0, -suffix.length));
      if (f) return f;
    }
    return undefined;
  };
  text.split("\n").forEach((raw, idx) => {
    const line = idx + 1;
    const l = raw.trim();
    if (l === "") return;
    if (l.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(l);
      if (!m) return; // a comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
      const f = families.get(name) ?? { name, type: "untyped", help: "", samples: [] };
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`line ${line}: unknown type ${rest}`);
        if (f.samples.length) throw new Error(`line ${line}: TYPE after samples of ${name}`);
        f.type = rest;
      } else f.help = rest;
      families.set(name, f);
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/.exec(l);
    if (!m) throw new Error(`line ${line}: not a sample: ${l}`);
    const value =
      m[4] === "+Inf" ? Infinity : m[4] === "-Inf" ? -Infinity : m[4] === "NaN" ? NaN : Number(m[4]);
    if (Number.isNaN(value) && m[4] !== "NaN") throw new Error(`line ${line}: bad value ${m[4]}`);
    const f = familyOf(m[1]!);
    if (!f) throw new Error(`line ${line}: sample ${m[1]} has no TYPE or HELP`);
    f.samples.push({ name: m[1]!, labels: m[3] ? parseLabels(m[3], line) : {}, value });
  });
  for (const f of families.values())
    if (f.type === "histogram") {
      const inf = f.samples.filter((s) => s.name.endsWith("_bucket") && s.labels.le === "+Inf");
      const counts = f.samples.filter((s) => s.name.endsWith("_count"));
      if (inf.length !== counts.length)
        throw new Error(`histogram ${f.name}: +Inf buckets and counts differ`);
    }
  return families;
}
