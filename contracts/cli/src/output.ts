/** Output: human tables by default, JSON (bigints as decimal strings) with --json. */

export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/** A plain-text table: columns padded, numbers right-aligned. */
export function table(headers: string[], rows: (string | number | bigint | undefined)[][]): string {
  if (rows.length === 0) return "(none)";
  const cells = rows.map((r) => r.map((c) => (c === undefined ? "-" : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => cells.every((r) => /^-?[\d.,]+( [a-zA-Z%/]+)?$|^-$/.test(r[i]!)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

export function isoTime(unix: number | undefined): string | undefined {
  return unix === undefined ? undefined : new Date(unix * 1000).toISOString().replace(".000Z", "Z");
}

export interface Out {
  json: boolean;
  /** Prints `human()` as text, or `data` as JSON. */
  print(data: unknown, human: () => string): void;
}

export function makeOut(
  json: boolean,
  write: (s: string) => void = (s) => process.stdout.write(s + "\n"),
): Out {
  return { json, print: (data, human) => write(json ? toJson(data) : human()) };
}
