/**
 * Turns whatever a write threw into one sentence for the user. Contract reverts are decoded by the
 * SDK's decoder (`@powershare/contracts/sdk`: every custom error of every PowerShare ABI, with its
 * sentence in USDC and kWh) — the same words the CLI, the keeper and the agents show. The app adds
 * only what a browser wallet brings: it tells apart a wallet rejection, a dropped transaction and an
 * RPC outage.
 */
import { ContractError, toPowerShareError } from "@powershare/contracts/sdk";
import { BaseError, UserRejectedRequestError } from "viem";

export type ErrorKind = "rejected" | "dropped" | "revert" | "network" | "unknown";
export interface UserError {
  kind: ErrorKind;
  message: string;
  errorName?: string;
}

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
    return { kind: "revert", errorName: decoded.errorName, message: decoded.message };
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
