/**
 * Timeseries aggregations as graph-node computes them (spec 1.1+): an @aggregation over a
 * @entity(timeseries: true) source, per interval ("hour" = 3600 s, "day" = 86400 s, aligned to the
 * unix epoch). A bucket is rolled up once, when the first block whose timestamp is at or past the
 * bucket's end is processed (graph-node rolls up in the writer when a block enters a new bucket; the
 * current, unfinished bucket is never aggregated). Points are grouped by the aggregation's dimensions
 * (its fields without @aggregate, other than id and timestamp); each group gives one row with
 * id = the largest id of its points and timestamp = the bucket start (date_bin from the epoch, in
 * microseconds), as graph-node's rollup SQL (store/postgres/src/relational/rollup.rs) does.
 * Functions: sum, count, min, max, first and last (arg_min/arg_max by point id). Cumulative
 * aggregates are not implemented: a schema with one is refused with a HostError.
 */
import { readFileSync } from "node:fs";
import { HostError } from "./bigint.ts";
import { Kind, type EntityData, type EntityStore, type StoreValue } from "./store.ts";

const INTERVALS: Record<string, bigint> = { hour: 3600n, day: 86400n };

export interface AggregateField {
  name: string;
  fn: "sum" | "count" | "min" | "max" | "first" | "last";
  arg?: string;
}

export interface AggregationDef {
  name: string;
  source: string;
  intervals: string[];
  dimensions: string[];
  aggregates: AggregateField[];
}

export function parseAggregations(schemaFile: string): AggregationDef[] {
  const text = readFileSync(schemaFile, "utf8").replace(/#[^\n]*/g, "");
  const out: AggregationDef[] = [];
  for (const m of text.matchAll(/type\s+(\w+)\s*@aggregation\(([^)]*)\)\s*\{([^}]*)\}/g)) {
    const [, name, args, body] = m;
    const intervals = [...args!.matchAll(/"(\w+)"/g)].map((x) => x[1]!).filter((x) => x in INTERVALS);
    const source = /source:\s*"(\w+)"/.exec(args!)?.[1];
    if (!source) throw new HostError(`aggregation ${name} has no source`);
    const dimensions: string[] = [];
    const aggregates: AggregateField[] = [];
    for (const line of body!.split("\n")) {
      const f = /^\s*(\w+)\s*:\s*[\w!]+\s*(.*)$/.exec(line);
      if (!f || f[1] === "id" || f[1] === "timestamp") continue;
      const agg = /@aggregate\(([^)]*)\)/.exec(f[2]!);
      if (!agg) {
        dimensions.push(f[1]!);
        continue;
      }
      if (/cumulative:\s*true/.test(agg[1]!))
        throw new HostError(`${name}.${f[1]}: cumulative aggregates are not implemented by this host`);
      aggregates.push({
        name: f[1]!,
        fn: /fn:\s*"(\w+)"/.exec(agg[1]!)![1] as AggregateField["fn"],
        arg: /arg:\s*"(\w+)"/.exec(agg[1]!)?.[1],
      });
    }
    out.push({ name: name!, source, intervals, dimensions, aggregates });
  }
  return out;
}

function compare(a: StoreValue, b: StoreValue): number {
  const x = a.value as bigint | number;
  const y = b.value as bigint | number;
  return x < y ? -1 : x > y ? 1 : 0;
}

function sum(a: StoreValue, b: StoreValue): StoreValue {
  if (a.kind === Kind.BIGINT || a.kind === Kind.INT8)
    return { kind: a.kind, value: (a.value as bigint) + (b.value as bigint) } as StoreValue;
  if (a.kind === Kind.INT) return { kind: Kind.INT, value: ((a.value + (b.value as number)) | 0) as number };
  throw new HostError(`sum over a value of kind ${a.kind} is not implemented by this host`);
}

export class Aggregator {
  /** Rows per "<Aggregation>_<interval>", in id order. */
  readonly rows = new Map<string, EntityData[]>();
  private readonly rolledUpTo = new Map<string, bigint>();
  private lastBlock = -1n;

  readonly defs: AggregationDef[];
  private readonly store: EntityStore;

  constructor(defs: AggregationDef[], store: EntityStore) {
    this.defs = defs;
    this.store = store;
  }

  /** Rolls up every bucket that ends at or before `blockTimestamp` (seconds) and has not been. */
  beforeBlock(blockTimestamp: bigint): void {
    const last = this.lastBlock;
    this.lastBlock = blockTimestamp;
    for (const def of this.defs) {
      const points = [...(this.store.entities.get(def.source)?.values() ?? [])];
      for (const interval of def.intervals) {
        const key = `${def.name}_${interval}`;
        const size = INTERVALS[interval]! * 1_000_000n;
        const now = blockTimestamp * 1_000_000n;
        if (last >= 0n && (last * 1_000_000n) / size === now / size) continue; // same bucket as before
        const done = this.rolledUpTo.get(key) ?? -1n;
        const buckets = new Map<bigint, EntityData[]>();
        for (const p of points) {
          const ts = p.get("timestamp")!.value as bigint;
          const start = (ts / size) * size;
          if (start <= done || start + size > now) continue;
          (buckets.get(start) ?? buckets.set(start, []).get(start)!).push(p);
        }
        for (const start of [...buckets.keys()].sort((a, b) => (a < b ? -1 : 1))) {
          this.rollup(def, key, start, buckets.get(start)!);
          this.rolledUpTo.set(key, start);
        }
      }
    }
  }

  private rollup(def: AggregationDef, key: string, start: bigint, points: EntityData[]): void {
    const groups = new Map<string, EntityData[]>();
    const byId = (a: EntityData, b: EntityData) => compare(a.get("id")!, b.get("id")!);
    for (const p of points.sort(byId)) {
      const dim = JSON.stringify(def.dimensions.map((d) => String(p.get(d)?.value)));
      (groups.get(dim) ?? groups.set(dim, []).get(dim)!).push(p);
    }
    let rows = this.rows.get(key);
    if (!rows) this.rows.set(key, (rows = []));
    for (const group of groups.values()) {
      // graph-node (store/postgres/src/relational/rollup.rs): the row's id is max(id) of its points.
      const id = group[group.length - 1]!.get("id")!;
      const row: EntityData = new Map<string, StoreValue>([
        ["id", id],
        ["timestamp", { kind: Kind.TIMESTAMP, value: start }],
      ]);
      for (const d of def.dimensions) row.set(d, group[0]!.get(d)!);
      for (const a of def.aggregates) {
        if (a.fn === "count") {
          row.set(a.name, { kind: Kind.INT8, value: BigInt(group.length) });
          continue;
        }
        const values = group.map((p) => p.get(a.arg!)!);
        let v: StoreValue;
        if (a.fn === "first") v = values[0]!;
        else if (a.fn === "last") v = values[values.length - 1]!;
        else if (a.fn === "sum") v = values.reduce(sum);
        else if (a.fn === "max") v = values.reduce((x, y) => (compare(y, x) > 0 ? y : x));
        else v = values.reduce((x, y) => (compare(y, x) < 0 ? y : x));
        row.set(a.name, v);
      }
      rows.push(row);
    }
  }
}
