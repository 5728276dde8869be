/**
 * Units and prices, in exact integer maths (bigint), rounding as the contracts round.
 *
 * - Energy: watt-hours (Wh) on chain; kWh strings for people ("1.5" kWh = 1500 Wh).
 * - Quote: token base units (USDC: 6 decimals); decimal strings for people ("0.25" = 250000).
 * - Price: quote base units per kWh, on a community's tick grid: price = tick × tickSize.
 *   A tick size is a multiple of 1000, so the value of each Wh is exact: tick × tickSize / 1000.
 */
import { InvalidInputError } from "./errors/sdk-errors.ts";

/** Decimals of USDC, the quote token everywhere PowerShare runs. */
export const QUOTE_DECIMALS = 6;
/** Largest tick (ticks are uint16; tick 0 is invalid). */
export const MAX_TICK = 65_535;
/** Largest order in Wh (Communities.MAX_ORDER_WH, 2^24 − 1). */
export const MAX_ORDER_WH = (1n << 24n) - 1n;
/** Basis points in one. */
export const BPS = 10_000n;

const DECIMAL = /^(\d+)(?:\.(\d*))?$/;

/**
 * Parses a non-negative decimal string into an integer scaled by 10^decimals, exactly.
 * Refuses more fractional digits than `decimals` (no silent rounding of money or energy).
 */
export function parseDecimal(text: string, decimals: number, what = "amount"): bigint {
  const s = String(text).trim().replace(/_/g, "");
  const m = DECIMAL.exec(s);
  if (!m)
    throw new InvalidInputError(`${what} must be a non-negative decimal number, got "${text}"`, { what });
  const frac = m[2] ?? "";
  if (frac.length > decimals) {
    throw new InvalidInputError(`${what} "${text}" has more than ${decimals} decimal places`, {
      what,
      decimals,
    });
  }
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
}

/** Formats an integer scaled by 10^decimals as a decimal string, trailing zeros trimmed. */
export function formatDecimal(value: bigint, decimals: number): string {
  const neg = value < 0n;
  const abs = neg ? -value : value;
  const base = 10n ** BigInt(decimals);
  const whole = abs / base;
  const frac = (abs % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

/** "1.5" kWh → 1500n Wh. At most 3 decimals (1 Wh is the chain's resolution). */
export function parseKwh(kwh: string | number): bigint {
  return parseDecimal(String(kwh), 3, "energy (kWh)");
}

/** 1500n Wh → "1.5" (kWh). */
export function formatKwh(wh: bigint): string {
  return formatDecimal(wh, 3);
}

/** "0.25" → 250000n quote base units (USDC has 6 decimals). */
export function parseQuote(amount: string | number, decimals = QUOTE_DECIMALS): bigint {
  return parseDecimal(String(amount), decimals, "quote amount");
}

/** 250000n → "0.25". */
export function formatQuote(amount: bigint, decimals = QUOTE_DECIMALS): string {
  return formatDecimal(amount, decimals);
}

function checkTickSize(tickSize: bigint): void {
  if (tickSize <= 0n || tickSize % 1000n !== 0n) {
    throw new InvalidInputError(`tick size must be a positive multiple of 1000, got ${tickSize}`, {
      tickSize,
    });
  }
}

/** Checks a tick is an integer in 1..65535. */
export function checkTick(tick: number): number {
  if (!Number.isInteger(tick) || tick < 1 || tick > MAX_TICK) {
    throw new InvalidInputError(`tick must be an integer from 1 to ${MAX_TICK}, got ${tick}`, { tick });
  }
  return tick;
}

/** Price of a tick: quote base units per kWh. */
export function tickToPrice(tick: number, tickSize: bigint): bigint {
  checkTickSize(tickSize);
  return BigInt(checkTick(tick)) * tickSize;
}

export type TickRounding = "exact" | "down" | "up";

/**
 * The tick of a price (quote base units per kWh). "exact" (the default) refuses a price off the
 * grid; "down"/"up" snap to the grid (a buyer rounding down or a seller rounding up never pays
 * more or receives less than asked).
 */
export function priceToTick(pricePerKwh: bigint, tickSize: bigint, rounding: TickRounding = "exact"): number {
  checkTickSize(tickSize);
  if (pricePerKwh <= 0n) throw new InvalidInputError(`price must be positive, got ${pricePerKwh}`);
  let tick = pricePerKwh / tickSize;
  const rem = pricePerKwh % tickSize;
  if (rem !== 0n) {
    if (rounding === "exact") {
      throw new InvalidInputError(
        `price ${pricePerKwh} is off the tick grid (tick size ${tickSize}); nearest ticks are ${tick} and ${tick + 1n}`,
        { price: pricePerKwh, tickSize, below: tick, above: tick + 1n },
      );
    }
    if (rounding === "up") tick += 1n;
  }
  if (tick < 1n || tick > BigInt(MAX_TICK)) {
    throw new InvalidInputError(
      `price ${pricePerKwh} is outside the tick range 1..${MAX_TICK} (tick size ${tickSize})`,
      { price: pricePerKwh, tickSize },
    );
  }
  return Number(tick);
}

/** Quote base units per Wh per tick (exact: tick sizes are multiples of 1000). */
export function unitPerWh(tickSize: bigint): bigint {
  checkTickSize(tickSize);
  return tickSize / 1000n;
}

/** Value of `amountWh` at `tick`: what a bid pays or locks, what an ask earns before settlement. */
export function orderValue(amountWh: bigint, tick: number, tickSize: bigint): bigint {
  return amountWh * BigInt(checkTick(tick)) * unitPerWh(tickSize);
}

/** Bond rate per Wh at a reputation bond index (16 = the community's bond), rounded up. */
export function bondRate(bondPerWh: bigint, bondIndex = 16): bigint {
  const i = BigInt(bondIndex);
  return i === 16n ? bondPerWh : (bondPerWh * i + 15n) / 16n;
}

/** Bond an ask of `amountWh` locks (the community's base bond unless a bond index is given). */
export function askBond(amountWh: bigint, bondPerWh: bigint, bondIndex = 16): bigint {
  return amountWh * bondRate(bondPerWh, bondIndex);
}

/** floor(a × b / d), as Solidity's Math.mulDiv. */
export function mulDiv(a: bigint, b: bigint, d: bigint): bigint {
  if (d === 0n) throw new InvalidInputError("division by zero");
  return (a * b) / d;
}

/** What settling one seller meter moves (DeliverySettlement.settleSeller's maths). */
export interface SellerSettlementPreview {
  deliveredWh: bigint;
  /** Proceeds × delivered / sold, rounded down. */
  gross: bigint;
  fee: bigint;
  /** Credited to the seller: gross − fee. */
  payout: bigint;
  bondSlashed: bigint;
  bondReleased: bigint;
  /** Added to the market's refund pool: proceeds − gross + slashed. */
  refund: bigint;
}

/**
 * Previews a seller meter's settlement. `exportedWh` undefined means no report arrived: full
 * refund, bond released, nothing slashed.
 */
export function previewSellerSettlement(p: {
  soldWh: bigint;
  proceeds: bigint;
  bond: bigint;
  feeBps: number | bigint;
  exportedWh: bigint | undefined;
}): SellerSettlementPreview {
  if (p.soldWh <= 0n) throw new InvalidInputError("a settlement needs soldWh > 0");
  if (p.exportedWh === undefined) {
    return {
      deliveredWh: 0n,
      gross: 0n,
      fee: 0n,
      payout: 0n,
      bondSlashed: 0n,
      bondReleased: p.bond,
      refund: p.proceeds,
    };
  }
  const delivered = p.exportedWh < p.soldWh ? p.exportedWh : p.soldWh;
  const gross = mulDiv(p.proceeds, delivered, p.soldWh);
  const fee = (gross * BigInt(p.feeBps)) / BPS;
  const slashed = p.bond - mulDiv(p.bond, delivered, p.soldWh);
  return {
    deliveredWh: delivered,
    gross,
    fee,
    payout: gross - fee,
    bondSlashed: slashed,
    bondReleased: p.bond - slashed,
    refund: p.proceeds - gross + slashed,
  };
}

/** A buyer's share of a final refund pool (DeliverySettlement.claimRefund), rounded down. */
export function refundShare(refundPool: bigint, paid: bigint, tradedValue: bigint): bigint {
  if (tradedValue === 0n) return 0n;
  return mulDiv(refundPool, paid, tradedValue);
}
