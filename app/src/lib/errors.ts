/**
 * Turns whatever a write threw into one sentence for the user, telling apart a wallet rejection, a
 * dropped transaction, an RPC outage and a contract revert (custom errors decoded with their
 * arguments). Adapter until `@powershare/contracts/sdk`'s decoder is usable from the app; see
 * app/README.md.
 */
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError } from "viem";
import { formatKwh, formatUsdc } from "./units";

export type ErrorKind = "rejected" | "dropped" | "revert" | "network" | "unknown";
export interface UserError {
  kind: ErrorKind;
  message: string;
  errorName?: string;
}

const usdc = (v: unknown) => `${formatUsdc(BigInt(v as bigint), 6)} USDC`;
const perKwh = (v: unknown) => `${formatUsdc(BigInt(v as bigint), 6)} USDC/kWh`;
const kwh = (v: unknown) => `${formatKwh(BigInt(v as bigint))} kWh`;
const time = (v: unknown) => new Date(Number(v) * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC";

/** Sentences for the contracts' custom errors, by name, from their decoded arguments. */
export const SENTENCES: Record<string, (a: readonly unknown[]) => string> = {
  PriceOutsideBand: ([price, ref, bps]) => {
    const p = BigInt(price as bigint);
    const r = BigInt(ref as bigint);
    const band = (r * BigInt(bps as number)) / 10_000n;
    return p > r
      ? `Price ${perKwh(p)} is above this community's band of ${perKwh(r + band)} (reference ${perKwh(r)} ±${Number(bps) / 100}%).`
      : `Price ${perKwh(p)} is below this community's band of ${perKwh(r - band)} (reference ${perKwh(r)} ±${Number(bps) / 100}%).`;
  },
  StaleReferencePrice: ([updatedAt]) =>
    `The community's reference price is stale (last update ${time(updatedAt)}); orders are refused until it is refreshed.`,
  InvalidReferencePrice: () => "The community's reference price feed reports no valid price right now.",
  InsufficientBalance: ([available, required]) =>
    `Your free balance of ${usdc(available)} does not cover the ${usdc(required)} this needs. Deposit more first.`,
  AmountTooSmall: ([amount, min]) => `${kwh(amount)} is below this community's minimum order of ${kwh(min)}.`,
  AmountTooLarge: ([amount, max]) => `${kwh(amount)} is above the largest order allowed (${kwh(max)}).`,
  ZeroAmount: () => "The amount must be more than zero.",
  MarketClosed: () => "This market's gate has closed: no more orders for this slot.",
  MarketNotOpen: () => "This market is not open yet (beyond the community's trading horizon).",
  MarketStillOpen: () => "This market is still open; it can be claimed after its gate closes.",
  NotMember: ([communityId]) => `You are not a member of community #${String(communityId)}. Join it first.`,
  AdmissionRequired: ([communityId]) =>
    `Community #${String(communityId)} admits members by approval; ask its admin to admit you.`,
  AlreadyMember: () => "You are already a member of this community.",
  NotMeterOwner: ([meterId]) => `Meter #${String(meterId)} is not yours.`,
  MeterInactive: ([meterId]) => `Meter #${String(meterId)} is deactivated.`,
  MeterNotInCommunity: ([meterId, communityId]) =>
    `Meter #${String(meterId)} belongs to another community than #${String(communityId)}.`,
  MeterNotYetTradable: ([meterId, from]) =>
    `Meter #${String(meterId)} was transferred recently and can sell from ${time(from)}.`,
  UnknownMeter: ([meterId]) => `Meter #${String(meterId)} does not exist.`,
  UnknownCommunity: ([id]) => `Community #${String(id)} does not exist.`,
  WouldCross: ([tick, best]) =>
    `A post-only order at tick ${String(tick)} would trade against the best opposite price (tick ${String(best)}); choose a limit order or another price.`,
  FillOrKillNotFilled: ([filled, amount]) =>
    `Fill-or-kill: only ${kwh(filled)} of ${kwh(amount)} could be filled, so nothing was traded.`,
  InvalidTick: ([tick]) => `Tick ${String(tick)} is not a valid price.`,
  LevelFull: () => "This price level has too many orders; try a neighbouring price.",
  OrderEntryHalted: ([id]) => `Trading in community #${String(id)} is halted by its admin.`,
  EnforcedPause: () => "The market is paused by its guardian.",
  NotOrderOwner: () => "This order is not yours.",
  NothingToCancel: () => "Nothing is left to cancel on this order.",
  UnknownOrder: () => "This order does not exist.",
  SlotNotAligned: () => "That delivery slot does not start on the community's slot grid.",
  MarketCapacityExceeded: () => "This market has reached its maximum size.",
  AlreadyClaimed: () => "This refund was already claimed.",
  NothingPaid: () => "You paid nothing in this market, so there is nothing to refund.",
  RefundPoolNotFinal: () =>
    "The refund pool of this market is not final yet: sellers are still being settled.",
  AlreadyVoted: () => "You already voted on this proposal.",
  JoinedAfterSnapshot: () =>
    "You joined the community after this proposal's snapshot, so you cannot vote on it.",
  TimelockNotElapsed: ([, eta]) =>
    `The timelock has not elapsed yet; the proposal can be executed from ${time(eta)}.`,
  UnexpectedProposalState: () => "The proposal is not in the right state for that action.",
  TreasuryShortfall: ([, available, required]) =>
    `The treasury holds ${usdc(available)}, less than the ${usdc(required)} requested.`,
  ERC20InsufficientBalance: ([, balance, needed]) =>
    `Your wallet holds ${usdc(balance)} USDC-mock, less than ${usdc(needed)}.`,
  ERC20InsufficientAllowance: ([, allowance, needed]) =>
    `The market may spend ${usdc(allowance)} of your tokens, less than ${usdc(needed)}: approve first.`,
  ERC2612ExpiredSignature: () => "The permit signature expired; sign again.",
  ERC2612InvalidSigner: () => "The permit was signed by another account than the depositor.",
  FaucetCooldown: ([at]) => `The test-token faucet can be used again from ${time(at)}.`,
};

export function sentenceFor(errorName: string, args: readonly unknown[] = []): string {
  const f = SENTENCES[errorName];
  return f ? f(args) : `The contract refused this (${errorName}).`;
}

/** The one sentence for anything a read or write threw. */
export function toUserError(err: unknown): UserError {
  if (err instanceof BaseError) {
    const rejected = err.walk(
      (e) => e instanceof UserRejectedRequestError || (e as { code?: number }).code === 4001,
    );
    if (rejected)
      return { kind: "rejected", message: "You rejected the request in your wallet; nothing was sent." };
    const revert = err.walk(
      (e) => e instanceof ContractFunctionRevertedError,
    ) as ContractFunctionRevertedError | null;
    if (revert) {
      const name = revert.data?.errorName;
      if (name)
        return { kind: "revert", errorName: name, message: sentenceFor(name, revert.data?.args ?? []) };
      if (revert.reason) return { kind: "revert", message: `The contract refused this: ${revert.reason}.` };
      return { kind: "revert", message: "The contract refused this transaction." };
    }
    const names = new Set<string>();
    err.walk((e) => (names.add((e as Error).name), false));
    if (
      [...names].some((n) =>
        /TransactionNotFound|TransactionReceiptNotFound|WaitForTransactionReceiptTimeout/.test(n),
      )
    )
      return {
        kind: "dropped",
        message:
          "The transaction was dropped or replaced before it was mined; check your wallet and try again.",
      };
    if ([...names].some((n) => /HttpRequestError|TimeoutError|WebSocketRequestError/.test(n)))
      return {
        kind: "network",
        message: "The chain's RPC did not answer; check your connection and try again.",
      };
    return { kind: "unknown", message: err.shortMessage || err.message };
  }
  if (err && typeof err === "object" && (err as { code?: number }).code === 4001)
    return { kind: "rejected", message: "You rejected the request in your wallet; nothing was sent." };
  return { kind: "unknown", message: err instanceof Error ? err.message : String(err) };
}
