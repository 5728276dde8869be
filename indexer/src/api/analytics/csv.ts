/**
 * JSON and CSV output for the analytics routes.
 *
 * - A *summary* is one object: JSON as is; CSV as one row whose columns are the object's leaves
 *   (nested keys joined with "."), each header naming its unit: `tradedWh [Wh]`.
 * - A *listing* is pages of rows fetched by keyset: JSON returns one page and `nextCursor`; CSV
 *   streams every page (or `limit` rows) through a pull-based ReadableStream, so memory stays
 *   bounded by one page whatever the export's size.
 *
 * CSV follows RFC 4180: CRLF line ends, fields with a comma, quote, CR or LF are quoted and quotes
 * doubled. Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is prefixed
 * with a single quote (names and descriptions are user input). Numbers are plain decimals.
 */
import type { Context } from "hono";
import { JSON_MAX_PAGE, JSON_PAGE } from "./validation.ts";

/** Units of every field the analytics routes return, by field name. */
export const UNITS: Record<string, string> = {
  // energy
  tradedWh: "Wh",
  soldWh: "Wh",
  boughtWh: "Wh",
  deliveredWh: "Wh",
  reportedSoldWh: "Wh",
  unreportedSoldWh: "Wh",
  settledSoldWh: "Wh",
  amountWh: "Wh",
  importedWh: "Wh",
  exportedWh: "Wh",
  restingBidWh: "Wh",
  restingAskWh: "Wh",
  filledBidWh: "Wh",
  filledAskWh: "Wh",
  cancelledBidWh: "Wh",
  cancelledAskWh: "Wh",
  bidDepthWh: "Wh",
  askDepthWh: "Wh",
  availableBidWh: "Wh",
  availableAskWh: "Wh",
  committedWh: "Wh",
  // money (quote-token base units: µUSDC for USDC)
  tradedValue: "quote base units",
  value: "quote base units",
  proceeds: "quote base units",
  paid: "quote base units",
  refunds: "quote base units",
  netSpend: "quote base units",
  payout: "quote base units",
  fees: "quote base units",
  bondSlashed: "quote base units",
  netEarnings: "quote base units",
  savings: "quote base units",
  retailCost: "quote base units",
  feedInValue: "quote base units",
  gainOverFeedIn: "quote base units",
  refundPool: "quote base units",
  balance: "quote base units",
  feesIn: "quote base units",
  sweptIn: "quote base units",
  paidOut: "quote base units",
  executedAmount: "quote base units",
  deposited: "quote base units",
  withdrawn: "quote base units",
  free: "quote base units",
  locked: "quote base units",
  treasuryBalance: "quote base units",
  swept: "quote base units",
  // prices
  vwap: "quote base units/kWh",
  communityVwap: "quote base units/kWh",
  avgSellPrice: "quote base units/kWh",
  avgBuyPrice: "quote base units/kWh",
  communityAvgPrice: "quote base units/kWh",
  price: "quote base units/kWh",
  low: "quote base units/kWh",
  high: "quote base units/kWh",
  bestBid: "quote base units/kWh",
  bestAsk: "quote base units/kWh",
  spread: "quote base units/kWh",
  tariff: "quote base units/kWh",
  feedInTariff: "quote base units/kWh",
  tickSize: "quote base units/kWh",
  open: "quote base units/kWh",
  close: "quote base units/kWh",
  tick: "tick",
  bestBidTick: "tick",
  bestAskTick: "tick",
  spreadTicks: "tick",
  // ratios
  fillRate: "ratio",
  bidFillRate: "ratio",
  askFillRate: "ratio",
  deliveryRate: "ratio",
  selfSufficiency: "ratio",
  deliveredSelfSufficiency: "ratio",
  buyPriceVsCommunity: "ratio",
  sellPriceVsCommunity: "ratio",
  // time
  slotStart: "unix s",
  day: "unix s",
  time: "unix s",
  timestamp: "unix s",
  joinedAt: "unix s",
  createdAt: "unix s",
  from: "unix s",
  to: "unix s",
  now: "unix s",
  gateAt: "unix s",
  opensAt: "unix s",
  // counts
  trades: "count",
  markets: "count",
  marketsTraded: "count",
  members: "count",
  newMembers: "count",
  meters: "count",
  activeMeters: "count",
  communities: "count",
  orders: "count",
  reports: "count",
  salesSettled: "count",
  salesReported: "count",
  proposals: "count",
  executed: "count",
  canceled: "count",
  active: "count",
  pending: "count",
  defeated: "count",
  succeeded: "count",
  queued: "count",
  expired: "count",
  accounts: "count",
  traders: "count",
  memberAccounts: "count",
  producer: "count",
  consumer: "count",
  prosumer: "count",
  storage: "count",
  blockNumber: "block",
};

export type Cell = string | number | bigint | boolean | null | undefined;

const FORMULA = /^[=+\-@\t\r]/;

/** One CSV field. */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v === "boolean") return v ? "true" : "false";
  let s = v;
  if (FORMULA.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (cells: readonly Cell[]): string => `${cells.map(csvCell).join(",")}\r\n`;

/** `key [unit]` for a (possibly dotted) field name. */
export function header(key: string): string {
  const leaf = key.slice(key.lastIndexOf(".") + 1);
  const unit = UNITS[leaf];
  return unit ? `${key} [${unit}]` : key;
}

/** JSON with bigints as decimal strings. */
export function json(c: Context, data: unknown): Response {
  const body = JSON.stringify(data, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return c.body(body, 200, { "content-type": "application/json; charset=utf-8" });
}

/** The leaves of an object, nested keys joined with "." (arrays are left out: they are listings). */
export function flatten(obj: Record<string, unknown>, prefix = ""): [string, Cell][] {
  const out: [string, Cell][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) continue;
    if (v !== null && typeof v === "object") out.push(...flatten(v as Record<string, unknown>, key));
    else out.push([key, v as Cell]);
  }
  return out;
}

const csvHeaders = (name: string) => ({
  "content-type": "text/csv; charset=utf-8",
  "content-disposition": `attachment; filename="${name}.csv"`,
});

/** A summary object as JSON or as a one-row CSV. */
export function summary(c: Context, format: "json" | "csv", name: string, data: Record<string, unknown>) {
  if (format === "json") return json(c, data);
  const leaves = flatten(data);
  const body = csvLine(leaves.map(([k]) => header(k))) + csvLine(leaves.map(([, v]) => v));
  return c.body(body, 200, csvHeaders(name));
}

export interface Page<Row> {
  rows: Row[];
  /** Cursor of the next page; undefined when this was the last. */
  next?: string;
}

export interface Listing<Row extends Record<string, unknown>> {
  /** File name (without .csv) and the JSON key of the rows. */
  name: string;
  /** Columns in order; a column's unit comes from UNITS. */
  columns: readonly (keyof Row & string)[];
  fetch(cursor: string | undefined, limit: number): Promise<Page<Row>>;
  /** Fields of the JSON answer besides the rows (the request's resolved parameters). */
  meta?: Record<string, unknown>;
}

/** Rows a CSV export fetches per query. */
export const CSV_PAGE = Number(process.env.ANALYTICS_CSV_PAGE ?? 5000);

/** A listing as one JSON page, or as a CSV stream of every page. */
export async function listing<Row extends Record<string, unknown>>(
  c: Context,
  q: { format: "json" | "csv"; limit?: number; cursor?: string },
  l: Listing<Row>,
): Promise<Response> {
  if (q.format === "json") {
    const limit = Math.min(q.limit ?? JSON_PAGE, JSON_MAX_PAGE);
    const page = await l.fetch(q.cursor, limit);
    return json(c, { ...l.meta, [l.name]: page.rows, nextCursor: page.next ?? null });
  }
  // The first page is fetched before answering, so a bad cursor still gets its 400.
  let remaining = q.limit ?? Number.POSITIVE_INFINITY;
  let page: Page<Row> | undefined = await l.fetch(q.cursor, Math.min(remaining, CSV_PAGE));
  const enc = new TextEncoder();
  let headerSent = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!headerSent) {
            headerSent = true;
            controller.enqueue(enc.encode(csvLine(l.columns.map(header))));
            return;
          }
          if (!page) {
            controller.close();
            return;
          }
          const current: Page<Row> = page;
          let text = "";
          for (const r of current.rows) text += csvLine(l.columns.map((k) => r[k] as Cell));
          remaining -= current.rows.length;
          page = undefined;
          // The next page is requested only when the reader wants more (backpressure).
          const nextCursor = current.next;
          const more = nextCursor !== undefined && remaining > 0;
          if (text) controller.enqueue(enc.encode(text));
          if (more) page = await l.fetch(nextCursor, Math.min(remaining, CSV_PAGE));
          else controller.close();
        } catch (err) {
          console.error(err);
          controller.error(err);
        }
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(stream, { status: 200, headers: csvHeaders(l.name) });
}
