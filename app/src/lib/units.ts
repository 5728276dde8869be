/**
 * Units the app speaks: energy in kWh on screen and Wh on chain, money in the quote token (USDC,
 * 6 decimals), prices per kWh on the community's tick grid (price per kWh = tick × tickSize).
 * Pure functions; every parser returns either a value or the sentence that says what is wrong
 * (form validation; the contract maths is the SDK's).
 */
import { askBond, orderValue } from "@powershare/contracts/sdk";

export const QUOTE_DECIMALS = 6;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** 1234567n → "1.234567" trimmed to `maxDecimals` (default 2, at least `minDecimals`). */
export function formatUnits(value: bigint, decimals: number, maxDecimals = 2, minDecimals = 0): string {
  const neg = value < 0n;
  const v = neg ? -value : value;
  const unit = 10n ** BigInt(decimals);
  const whole = v / unit;
  let frac = (v % unit).toString().padStart(decimals, "0").slice(0, maxDecimals);
  frac = frac.replace(/0+$/, "");
  while (frac.length < minDecimals) frac += "0";
  const wholeStr = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "−" : ""}${wholeStr}${frac ? `.${frac}` : ""}`;
}

/** Quote base units → "12.50" (USDC). */
export const formatUsdc = (v: bigint | string | number, maxDecimals = 2) =>
  formatUnits(BigInt(v), QUOTE_DECIMALS, maxDecimals, Math.min(2, maxDecimals));

/** Wh → "1.5" kWh (up to 3 decimals). */
export const formatKwh = (wh: bigint | string | number, maxDecimals = 3) =>
  formatUnits(BigInt(wh), 3, maxDecimals);

/** Price per kWh of a tick in quote base units. */
export const priceOfTick = (tick: number | bigint, tickSize: bigint) => BigInt(tick) * tickSize;

/** Decimals a price on this grid needs (tickSize 1000 → 0.001 → 3). */
export function priceDecimals(tickSize: bigint): number {
  let d = QUOTE_DECIMALS;
  let t = tickSize;
  while (d > 0 && t % 10n === 0n) {
    t /= 10n;
    d--;
  }
  return d;
}

/** A tick's price as text, e.g. tick 250 at tickSize 1000 → "0.250". */
export const formatPrice = (tick: number | bigint, tickSize: bigint) => {
  const d = priceDecimals(tickSize);
  return formatUnits(priceOfTick(tick, tickSize), QUOTE_DECIMALS, d, d);
};

const DECIMAL = /^\d+(\.\d+)?$/;

/** "1.5" with at most `decimals` decimals → the integer in base units. */
export function parseDecimal(text: string, decimals: number, what: string): Parsed<bigint> {
  const s = text.trim();
  if (s === "") return { ok: false, reason: `Enter ${what}` };
  if (s.startsWith("-")) return { ok: false, reason: `${cap(what)} cannot be negative` };
  if (!DECIMAL.test(s)) return { ok: false, reason: `${cap(what)} must be a number` };
  const [whole, frac = ""] = s.split(".");
  if (frac.length > decimals) {
    return {
      ok: false,
      reason:
        decimals === 0
          ? `${cap(what)} must be a whole number`
          : `${cap(what)} has more than ${decimals} decimal${decimals === 1 ? "" : "s"}`,
    };
  }
  const value = BigInt(whole!) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
  if (value === 0n) return { ok: false, reason: `${cap(what)} must be more than zero` };
  return { ok: true, value };
}

/** kWh text → Wh (the chain's unit; at most 3 decimals). */
export const parseKwh = (text: string) => parseDecimal(text, 3, "an amount in kWh");

/** USDC text → base units. */
export const parseUsdc = (text: string) => parseDecimal(text, QUOTE_DECIMALS, "an amount in USDC");

/** A price per kWh → its tick on the community's grid; refuses prices between ticks. */
export function parsePrice(text: string, tickSize: bigint): Parsed<number> {
  const p = parseDecimal(text, QUOTE_DECIMALS, "a price per kWh");
  if (!p.ok) return p;
  if (p.value % tickSize !== 0n) {
    const step = formatUnits(tickSize, QUOTE_DECIMALS, QUOTE_DECIMALS);
    return { ok: false, reason: `Price must be a multiple of ${step} USDC/kWh (the tick grid)` };
  }
  const tick = p.value / tickSize;
  if (tick > 65_535n) return { ok: false, reason: "Price is above the highest tick" };
  return { ok: true, value: Number(tick) };
}

function cap(s: string): string {
  const t = s.replace(/^(an?|the) /, "");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** What an order locks: a bid its limit value, an ask its seller bond (the SDK's contract maths). */
export function lockOf(o: {
  isBid: boolean;
  tick: number;
  amountWh: bigint;
  tickSize: bigint;
  bondPerWh: bigint;
}): bigint {
  return o.isBid ? orderValue(o.amountWh, o.tick, o.tickSize) : askBond(o.amountWh, o.bondPerWh);
}

/** marketId = communityId << 40 | slotStart */
export const marketIdOf = (communityId: number, slotStart: number | bigint) =>
  (BigInt(communityId) << 40n) | BigInt(slotStart);
export const decodeMarketId = (id: bigint | string) => {
  const v = BigInt(id);
  return { communityId: Number(v >> 40n), slotStart: Number(v & ((1n << 40n) - 1n)) };
};

/** "14:15–14:30" in the viewer's time zone (UTC in tests). */
export function slotLabel(slotStart: number, slotLength: number): string {
  const f = (t: number) =>
    new Date(t * 1000).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "UTC" });
  return `${f(slotStart)}–${f(slotStart + slotLength)}`;
}

export function slotDay(slotStart: number): string {
  return new Date(slotStart * 1000).toLocaleDateString("en-GB", {
    weekday: "short",
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  });
}

/** 3725 → "1 h 2 min", 75 → "1 min 15 s", negatives → "closed". */
export function countdown(seconds: number): string {
  if (seconds <= 0) return "closed";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

export const shortAddress = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;
