/**
 * Input validation for the analytics routes. Every bad input ends in `InvalidInput`, which the
 * analytics app answers with `400 {"error": "<a sentence>"}`.
 */
import { z } from "zod";

export class InvalidInput extends Error {
  override readonly name = "InvalidInput";
}

/** Parses `input` or throws InvalidInput with the first issue as a sentence. */
export function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new InvalidInput(sentence(`${where}${issue.message}`));
}

const sentence = (s: string) => (s.endsWith(".") ? s : `${s}.`);

export const MAX_UINT40 = (1n << 40n) - 1n;

export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "address must be a 0x-prefixed 20-byte hex address")
  .transform((s) => s.toLowerCase() as `0x${string}`);

export const communityIdSchema = z
  .string()
  .regex(/^[0-9]{1,10}$/, "community must be a positive integer id")
  .transform(Number)
  .refine((n) => n >= 1 && n <= 0xffffffff, "community must be a positive integer id below 2^32");

export const marketIdSchema = z
  .string()
  .trim()
  .regex(/^(0x[0-9a-fA-F]{1,18}|[0-9]{1,22})$/, "marketId must be a decimal or 0x-hex integer")
  .transform((s) => BigInt(s))
  .refine(
    (v) => v < 1n << 72n && v >> 40n > 0n,
    "marketId must be communityId << 40 | slotStart with a non-zero community",
  );

/**
 * A point in time: unix seconds, or an ISO 8601 date / date-time (UTC unless it names an offset).
 */
const timeSchema = (what: string) =>
  z
    .string()
    .trim()
    .transform((s, ctx) => {
      if (/^[0-9]{1,12}$/.test(s)) return BigInt(s);
      if (/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)) {
        const iso = /^\d{4}-\d{2}-\d{2}$/.test(s)
          ? `${s}T00:00:00Z`
          : /(Z|[+-]\d{2}:?\d{2})$/.test(s)
            ? s
            : `${s}Z`;
        const ms = Date.parse(iso);
        if (Number.isFinite(ms) && ms >= 0) return BigInt(Math.floor(ms / 1000));
      }
      ctx.addIssue({
        code: "custom",
        message: `${what} must be unix seconds or an ISO 8601 date such as 2026-12-01`,
      });
      return z.NEVER;
    })
    .refine((v) => v <= MAX_UINT40, `${what} is out of range`);

/** `from`/`to`: a half-open window [from, to) of delivery slots (slot start times). */
export const rangeShape = {
  from: timeSchema("from").optional(),
  to: timeSchema("to").optional(),
};

export interface Range {
  from: bigint;
  to: bigint;
}

export function range(q: { from?: bigint; to?: bigint }): Range {
  const from = q.from ?? 0n;
  const to = q.to ?? MAX_UINT40 + 1n;
  if (from >= to) throw new InvalidInput("The date range is empty: from must be before to.");
  return { from, to };
}

export const formatShape = {
  format: z.enum(["json", "csv"], { message: "format must be json or csv" }).default("json"),
};

/**
 * `limit` (rows per page; JSON default 100, at most 1000; CSV streams every row unless a limit is
 * given) and `cursor` (the `nextCursor` of the previous page).
 */
export const pageShape = {
  limit: z
    .string()
    .regex(/^[0-9]{1,9}$/, "limit must be a positive integer")
    .transform(Number)
    .refine((n) => n >= 1, "limit must be at least 1")
    .optional(),
  cursor: z.string().max(200, "cursor is too long").optional(),
};

export const JSON_PAGE = 100;
export const JSON_MAX_PAGE = 1000;

/** A quote-token amount per kWh (base units), e.g. a retail tariff. */
export const priceSchema = (what: string) =>
  z
    .string()
    .regex(/^[0-9]{1,30}$/, `${what} must be a non-negative integer in quote base units per kWh`)
    .transform((s) => BigInt(s));

/** A decimal-integer cursor (the last key of the previous page). */
export function intCursor(cursor: string | undefined, what = "cursor"): bigint | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[0-9]{1,30}$/.test(cursor)) throw new InvalidInput(`${what} is not a cursor this route returned.`);
  return BigInt(cursor);
}
