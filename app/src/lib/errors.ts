/**
 * Turns whatever a write threw into one sentence for the user. Contract reverts are decoded by the
 * SDK's decoder (`@powershare/contracts/sdk`: every custom error of every PowerShare ABI, with its
 * sentence); the app only re-words the few whose arguments are money or energy, in USDC and kWh
 * rather than base units and Wh. It also tells apart a wallet rejection, a dropped transaction and
 * an RPC outage.
 */
import { ContractError, toPowerShareError } from "@powershare/contracts/sdk";
import { BaseError, UserRejectedRequestError } from "viem";
import { formatKwh, formatUsdc } from "./units";

export type ErrorKind = "rejected" | "dropped" | "revert" | "network" | "unknown";
export interface UserError {
  kind: ErrorKind;
  message: string;
  errorName?: string;
}

type Args = Readonly<Record<string, unknown>>;
const big = (v: unknown) => BigInt(v as bigint);
const perKwh = (v: unknown) => `${formatUsdc(big(v), 6)} USDC/kWh`;
const usdc = (v: unknown) => `${formatUsdc(big(v), 6)} USDC`;
const kwh = (v: unknown) => `${formatKwh(big(v))} kWh`;

/** Display wording (USDC, kWh) for errors whose SDK sentence speaks base units. */
const IN_USER_UNITS: Record<string, (a: Args) => string> = {
  PriceOutsideBand: (a) => {
    const p = big(a.price);
    const r = big(a.referencePrice);
    const band = (r * BigInt(Number(a.bandBps))) / 10_000n;
    const pct = `reference ${perKwh(r)} ±${Number(a.bandBps) / 100}%`;
    return p > r
      ? `Price ${perKwh(p)} is above this community's band of ${perKwh(r + band)} (${pct}).`
      : `Price ${perKwh(p)} is below this community's band of ${perKwh(r - band)} (${pct}).`;
  },
  InsufficientBalance: (a) =>
    `Your free balance of ${usdc(a.available)} does not cover the ${usdc(a.required)} this needs. Deposit more first.`,
  AmountTooSmall: (a) =>
    `${kwh(a.amountWh)} is below this community's minimum order of ${kwh(a.minOrderWh)}.`,
  AmountTooLarge: (a) => `${kwh(a.amountWh)} is above the largest order allowed (${kwh(a.maxWh)}).`,
  FillOrKillNotFilled: (a) =>
    `Fill-or-kill: only ${kwh(a.filledWh)} of ${kwh(a.amountWh)} could be filled now, so nothing was traded.`,
};

const REJECTED = "You rejected the request in your wallet; nothing was sent.";

/** The one sentence for anything a read or write threw. */
export function toUserError(err: unknown): UserError {
  const codeOf = (e: unknown) => (e as { code?: number } | undefined)?.code;
  if (err instanceof BaseError) {
    if (err.walk((e) => e instanceof UserRejectedRequestError || codeOf(e) === 4001))
      return { kind: "rejected", message: REJECTED };
  } else if (codeOf(err) === 4001) return { kind: "rejected", message: REJECTED };

  const decoded = toPowerShareError(err);
  if (decoded instanceof ContractError) {
    const reword = IN_USER_UNITS[decoded.errorName];
    let message = decoded.message;
    try {
      if (reword) message = reword(decoded.args);
    } catch {
      // keep the SDK's sentence
    }
    return { kind: "revert", errorName: decoded.errorName, message };
  }
  if (err instanceof BaseError) {
    const names: string[] = [];
    err.walk((e) => (names.push((e as Error).name), false));
    if (
      names.some((n) =>
        /TransactionNotFound|TransactionReceiptNotFound|WaitForTransactionReceiptTimeout/.test(n),
      )
    )
      return {
        kind: "dropped",
        message:
          "The transaction was dropped or replaced before it was mined; check your wallet and try again.",
      };
    if (names.some((n) => /HttpRequestError|TimeoutError|WebSocketRequestError/.test(n)))
      return {
        kind: "network",
        message: "The chain's RPC did not answer; check your connection and try again.",
      };
    if (names.some((n) => n === "ContractFunctionRevertedError"))
      return { kind: "revert", message: err.shortMessage || "The contract refused this transaction." };
    return { kind: "unknown", message: err.shortMessage || err.message };
  }
  return { kind: "unknown", message: decoded.message };
}
