/**
 * Oracle configuration from environment variables and command-line flags (a flag `--grace-seconds 30`
 * or `--grace-seconds=30` overrides GRACE_SECONDS). Validated with zod at start; every bad value is
 * reported with its variable name and what is expected.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import { getAddress, isAddress, type Address, type Hex } from "viem";

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const address = z
  .string()
  .refine((a) => isAddress(a, { strict: false }), "must be a 0x-prefixed 20-byte hex address")
  .transform((a) => getAddress(a));
const url = (protocols: string[]) =>
  z.string().refine(
    (u) => {
      try {
        return protocols.includes(new URL(u).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL with scheme ${protocols.map((p) => p.replace(":", "://")).join(" or ")}`,
  );

/** Development signer key when none is configured (never use it with real funds). */
export const DEV_ORACLE_PRIVATE_KEY: Hex =
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

export const configSchema = z
  .object({
    MQTT_URL: url(["mqtt:", "mqtts:", "tcp:", "ws:", "wss:"]).optional(),
    MQTT_CLIENT_ID: z.string().min(1).max(64).optional(),
    MQTT_USERNAME: z.string().optional(),
    MQTT_PASSWORD: z.string().optional(),
    MQTT_PROTOCOL_VERSION: z
      .enum(["4", "5"])
      .default("4")
      .transform((v): 4 | 5 => (v === "5" ? 5 : 4)),
    BROKER_HOST: z.string().default("127.0.0.1"),
    BROKER_PORT: int(0, 65535).default(1883),
    RPC_URL: url(["http:", "https:", "ws:", "wss:"]).optional(),
    CHAIN_ID: int(1).optional(),
    MARKET_ADDRESS: address.optional(),
    /** The contract that verifies and stores reports (DeliverySettlement); defaults to MARKET_ADDRESS. */
    SETTLEMENT_ADDRESS: address.optional(),
    FROM_BLOCK: int(0).default(0),
    ORACLE_PRIVATE_KEY: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key")
      .optional(),
    ORACLE_SIGNERS: z
      .string()
      .optional()
      .transform((s, ctx) => {
        if (s === undefined || s.trim() === "") return undefined;
        const parts = s.split(",").map((p) => p.trim());
        const bad = parts.filter((p) => !isAddress(p, { strict: false }));
        if (bad.length) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not addresses: ${bad.join(", ")}` });
          return z.NEVER;
        }
        return parts.map((p) => getAddress(p));
      }),
    ORACLE_THRESHOLD: int(1, 255).default(1),
    DATA_DIR: z.string().min(1).default(".oracle-data"),
    METERS_FILE: z.string().min(1).optional(),
    SLOT_SECONDS: int(1).default(900),
    GRACE_SECONDS: int(0).default(60),
    MAX_WAIT_SECONDS: int(0).default(2700),
    /** The contract's reportWindow: a report is refused this long after its slot's end. */
    REPORT_WINDOW_SECONDS: int(1).default(3600),
    MAX_GAP_SECONDS: int(1).default(3600),
    /** Attest silent seller meters (sold in a slot, sent no reading for it): decision 0024. */
    SILENCE_ATTESTATIONS: bool.default("true"),
    /** No meter is newly found silent later than this before the report window's end. */
    SILENCE_MARGIN_SECONDS: int(0).default(60),
    FUTURE_TOLERANCE_SECONDS: int(0).default(60),
    RATE_TOLERANCE: z.coerce.number().min(0).max(10).default(0.05),
    HTTP_HOST: z.string().default("127.0.0.1"),
    HTTP_PORT: int(0, 65535).default(9464),
    VERIFY_WORKERS: int(0, 64).default(Math.min(4, availableParallelism())),
    SQLITE_SYNCHRONOUS: z.enum(["NORMAL", "FULL"]).default("NORMAL"),
    MAX_FEE_PER_GAS_GWEI: z.coerce.number().positive().default(500),
    PRIORITY_FEE_GWEI: z.coerce.number().nonnegative().default(30),
    GAS_BUDGET: int(100_000).default(10_000_000),
    GAS_PER_REPORT: int(1_000).default(60_000),
    POST_TIMEOUT_SECONDS: int(1).default(30),
    TICK_MS: int(50).default(1000),
    CLOCK_SPEED: z.coerce.number().positive().optional(),
    CLOCK_EPOCH_MS: int(0).optional(),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    EMBEDDED_BROKER: bool.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.RPC_URL && !c.MARKET_ADDRESS) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["MARKET_ADDRESS"],
        message: "required when RPC_URL is set",
      });
    }
    if (c.RPC_URL && !c.ORACLE_PRIVATE_KEY) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["ORACLE_PRIVATE_KEY"],
        message: "required when RPC_URL is set",
      });
    }
    if (!c.RPC_URL && !c.METERS_FILE) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["METERS_FILE"],
        message: "required without RPC_URL (the meter directory comes from the chain or from this file)",
      });
    }
    if (c.MAX_WAIT_SECONDS >= c.REPORT_WINDOW_SECONDS) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["MAX_WAIT_SECONDS"],
        message: `must be below REPORT_WINDOW_SECONDS (${c.REPORT_WINDOW_SECONDS}): leave time to sign and post`,
      });
    }
    if (c.GRACE_SECONDS + c.SILENCE_MARGIN_SECONDS >= c.REPORT_WINDOW_SECONDS) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["SILENCE_MARGIN_SECONDS"],
        message: `GRACE_SECONDS + SILENCE_MARGIN_SECONDS must be below REPORT_WINDOW_SECONDS (${c.REPORT_WINDOW_SECONDS})`,
      });
    }
    const n = c.ORACLE_SIGNERS?.length ?? 1;
    if (c.ORACLE_THRESHOLD > n) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["ORACLE_THRESHOLD"],
        message: `k=${c.ORACLE_THRESHOLD} exceeds the ${n} configured ORACLE_SIGNERS`,
      });
    }
  });

export type OracleConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid oracle configuration:\n  ${issues.join("\n  ")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** `--grace-seconds 30` / `--grace-seconds=30` -> { GRACE_SECONDS: "30" }. */
export function flagsToEnv(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") continue; // npm's argument separator, possibly doubled by nested npm scripts
    if (!arg.startsWith("--")) throw new ConfigError([`unexpected argument ${arg}`]);
    const eq = arg.indexOf("=");
    const name = (eq > 0 ? arg.slice(2, eq) : arg.slice(2)).replace(/-/g, "_").toUpperCase();
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError([`flag ${arg} needs a value`]);
    out[name] = value;
  }
  return out;
}

export function loadConfig(
  env: Record<string, string | undefined>,
  argv: readonly string[] = [],
): OracleConfig {
  const known = new Set(Object.keys(configSchema._def.schema.shape));
  const flags = flagsToEnv(argv);
  const unknownFlags = Object.keys(flags).filter((k) => !known.has(k));
  if (unknownFlags.length) {
    throw new ConfigError(unknownFlags.map((k) => `unknown flag --${k.toLowerCase().replace(/_/g, "-")}`));
  }
  const input: Record<string, string> = {};
  for (const k of known) {
    const v = flags[k] ?? env[k];
    if (v !== undefined && v !== "") input[k] = v;
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const key = String(i.path[0] ?? "(config)");
        const given = input[key];
        return `${key}: ${i.message}${given !== undefined && !/KEY|PASSWORD/.test(key) ? ` (got "${given}")` : ""}`;
      }),
    );
  }
  return parsed.data;
}

export type { Address };
