/**
 * One sentence per custom error of the PowerShare contracts (and the OpenZeppelin errors they can
 * raise), for people: the dApp, the CLI, the agents and the keeper show the same words.
 *
 * Keyed by error name; each function gets the error's arguments by parameter name. An error the
 * contracts add later without an entry here still decodes, with a sentence built from its name and
 * arguments (see decoder.ts), and the SDK's tests list it as missing.
 */
import { decodeMarketId, decodeOrderId } from "../ids.ts";
import { formatKwh, formatQuote } from "../units.ts";

type Args = Record<string, unknown>;
export type Sentence = (a: Args) => string;

/** An integer argument as a bigint, or undefined when it is not one (a renamed or missing parameter). */
function int(v: unknown): bigint | undefined {
  try {
    return typeof v === "bigint" || typeof v === "number" || typeof v === "string" ? BigInt(v) : undefined;
  } catch {
    return undefined;
  }
}
/** Money and energy in the units people use: USDC (6 decimals) and kWh (the chain counts Wh). */
const usdc = (v: unknown) => {
  const n = int(v);
  return n === undefined ? String(v) : `${formatQuote(n)} USDC`;
};
const perKwh = (v: unknown) => {
  const n = int(v);
  return n === undefined ? String(v) : `${formatQuote(n)} USDC/kWh`;
};
const kwh = (v: unknown) => {
  const n = int(v);
  return n === undefined ? String(v) : `${formatKwh(n)} kWh`;
};

function bandSentence(a: Args): string {
  const p = int(a.price);
  const r = int(a.referencePrice);
  const bps = Number(a.bandBps);
  const pct = `reference ${perKwh(a.referencePrice)} ±${bps / 100}%`;
  if (p === undefined || r === undefined || !Number.isFinite(bps))
    return `The price ${perKwh(a.price)} is outside this community's band (${pct}).`;
  const band = (r * BigInt(Math.trunc(bps))) / 10_000n;
  return p > r
    ? `The price ${perKwh(p)} is above this community's band of ${perKwh(r + band)} (${pct}).`
    : `The price ${perKwh(p)} is below this community's band of ${perKwh(r - band)} (${pct}).`;
}

const iso = (t: unknown) => {
  const n = Number(t);
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000).toISOString().replace(".000Z", "Z") : String(t);
};

/** "market 1:1764654300 (slot 2026-12-02T05:45:00Z)" */
export function describeMarket(marketId: unknown): string {
  try {
    const { communityId, slotStart } = decodeMarketId(BigInt(marketId as bigint));
    return `market ${communityId}:${slotStart} (community ${communityId}, slot ${iso(slotStart)})`;
  } catch {
    return `market ${String(marketId)}`;
  }
}

export function describeOrder(orderId: unknown): string {
  try {
    const o = decodeOrderId(BigInt(orderId as bigint));
    return `order ${String(orderId)} (${o.isBid ? "bid" : "ask"} at tick ${o.tick} in ${describeMarket(o.marketId)})`;
  } catch {
    return `order ${String(orderId)}`;
  }
}

const field = (f: unknown) => {
  const hex = String(f);
  if (!/^0x[0-9a-fA-F]*$/.test(hex)) return hex;
  const bytes = hex.slice(2).match(/../g) ?? [];
  return bytes
    .map((b) => parseInt(b, 16))
    .filter((c) => c !== 0)
    .map((c) => String.fromCharCode(c))
    .join("");
};

const PANICS: Record<string, string> = {
  "1": "an assertion failed",
  "17": "an arithmetic operation overflowed or underflowed",
  "18": "a division or modulo by zero",
  "33": "an invalid enum value",
  "34": "an invalid storage byte array",
  "49": "pop() on an empty array",
  "50": "an array index out of bounds",
  "65": "too much memory was allocated",
  "81": "a call to an uninitialised function",
};

export const SENTENCES: Record<string, Sentence> = {
  // ---- Solidity built-ins
  Error: (a) => `The contract refused: ${String(a.message ?? a["0"])}.`,
  Panic: (a) =>
    `The contract panicked: ${PANICS[String(a.code ?? a["0"])] ?? `panic code ${String(a.code ?? a["0"])}`}.`,

  // ---- EnergyMarket: order book
  MarketNotOpen: (a) =>
    `${describeMarket(a.marketId)} is not open for orders yet (its horizon has not started).`,
  MarketClosed: (a) =>
    `${describeMarket(a.marketId)} is closed: its gate has passed, so it takes no orders or cancels.`,
  MarketStillOpen: (a) =>
    `${describeMarket(a.marketId)} is still open: orders can be claimed only after its gate.`,
  SlotNotAligned: (a) =>
    `Slot start ${String(a.slotStart)} (${iso(a.slotStart)}) is not a multiple of the community's slot length (${String(a.slotLength)} s).`,
  InvalidTick: (a) => `Tick ${String(a.tick)} is not a valid price tick (ticks run from 1 to 65535).`,
  AmountTooSmall: (a) =>
    `An order of ${kwh(a.amountWh)} is below the community's minimum of ${kwh(a.minOrderWh)}.`,
  AmountTooLarge: (a) => `An order of ${kwh(a.amountWh)} exceeds the largest allowed, ${kwh(a.maxWh)}.`,
  LevelFull: (a) =>
    `The price level at tick ${String(a.tick)} holds 512 orders that still rest (or has used all its generations); choose another price.`,
  WouldCross: (a) =>
    `A post-only order at tick ${String(a.tick)} would match the best opposite order at tick ${String(a.bestOpposite)}.`,
  FillOrKillNotFilled: (a) =>
    `The fill-or-kill order could fill only ${kwh(a.filledWh)} of ${kwh(a.amountWh)}, so nothing was traded.`,
  UnknownOrder: (a) => `${describeOrder(a.orderId)} does not exist (never placed, or already claimed).`,
  NotOrderOwner: (a) => `${describeOrder(a.orderId)} does not belong to ${String(a.account)}.`,
  NothingToCancel: (a) => `${describeOrder(a.orderId)} has nothing left to cancel (filled or cancelled).`,
  SaleSellerMismatch: (a) =>
    `Meter ${String(a.meterId)} already sold in ${describeMarket(a.marketId)} for another owner.`,
  MarketCapacityExceeded: (a) =>
    `${describeMarket(a.marketId)} has reached the most energy or value one market may trade.`,

  // ---- EnergyMarket: balances, escrow, treasury, admin
  ZeroAmount: () => "The amount must be greater than zero.",
  InsufficientBalance: (a) =>
    `The free balance of ${usdc(a.available)} does not cover the ${usdc(a.required)} this needs; deposit more first.`,
  UnsupportedQuoteToken: (a) =>
    `A quote token with ${String(a.decimals)} decimals is not supported (at most 6).`,
  FeeChangePending: (a) =>
    `Community ${String(a.communityId)} already has a fee change pending, effective from ${iso(a.effectiveFrom)}.`,
  OrderEntryHalted: (a) => `Order entry in community ${String(a.communityId)} is halted by the guardian.`,
  TreasuryGovernorAlreadySet: (a) => `The treasury governor is already set (${String(a.governor)}).`,
  EscrowShortfall: (a) =>
    `${describeMarket(a.marketId)}'s escrow holds ${usdc(a.available)}, less than the ${usdc(a.required)} to pay out.`,
  SaleNotTaken: (a) =>
    `Meter ${String(a.meterId)}'s sale in ${describeMarket(a.marketId)} was not taken for settlement in this transaction (or the slash exceeds its bond).`,
  TreasuryShortfall: (a) =>
    `Community ${String(a.communityId)}'s treasury holds ${usdc(a.available)}, less than the ${usdc(a.required)} requested.`,
  EnforcedPause: () =>
    "The market is paused: deposits and order entry are stopped (withdrawals, cancels and claims stay open).",
  ExpectedPause: () => "The market is not paused.",
  ReentrancyGuardReentrantCall: () => "A re-entrant call was refused.",
  SafeERC20FailedOperation: (a) => `A transfer of the quote token ${String(a.token)} failed.`,
  AddressEmptyCode: (a) => `There is no contract at ${String(a.target)}.`,
  FailedCall: () => "A call to another contract failed.",
  AccessControlUnauthorizedAccount: (a) =>
    `${String(a.account)} lacks the role this call needs (${String(a.neededRole)}).`,
  AccessControlBadConfirmation: () => "A role can only be renounced by its holder.",

  // ---- Communities and meters
  UnknownCommunity: (a) => `Community ${String(a.communityId)} does not exist.`,
  NotCommunityAdmin: (a) => `${String(a.account)} is not the admin of community ${String(a.communityId)}.`,
  NotMember: (a) => `${String(a.account)} is not a member of community ${String(a.communityId)}.`,
  AlreadyMember: (a) => `${String(a.account)} is already a member of community ${String(a.communityId)}.`,
  AdmissionRequired: (a) => `Community ${String(a.communityId)} admits members only through its admin.`,
  InvalidCommunityParams: (a) => `The community parameter "${field(a.field)}" is invalid.`,
  UnknownMeter: (a) => `Meter ${String(a.meterId)} is not registered.`,
  NotMeterOwner: (a) => `Meter ${String(a.meterId)} does not belong to ${String(a.account)}.`,
  MeterInactive: (a) => `Meter ${String(a.meterId)} is deactivated and cannot back orders.`,
  MeterNotInCommunity: (a) => `Meter ${String(a.meterId)} is not in community ${String(a.communityId)}.`,
  InvalidMeter: (a) => `The meter parameter "${field(a.field)}" is invalid.`,
  MeterNotYetTradable: (a) =>
    `Meter ${String(a.meterId)} changed owner recently and can trade only slots from ${iso(a.tradableFrom)}.`,
  StaleReferencePrice: (a) =>
    `The reference price was last updated at ${iso(a.updatedAt)}, older than the allowed ${String(a.maxAge)} s; orders are refused until it recovers.`,
  InvalidReferencePrice: (a) =>
    `The reference price feed answered ${String(a.answer)}, which is not a valid price.`,
  PriceOutsideBand: bandSentence,

  // ---- DeliverySettlement
  CertificateExpired: (a) =>
    `The meter certificate expired at ${iso(a.deadline)}; ask the registrar for a new one.`,
  CertificateUsed: (a) =>
    `This meter certificate (digest ${String(a.digest)}) has already registered a meter; each registers one.`,
  InvalidMeterCertificate: (a) =>
    `The meter certificate is not signed by the community's meter registrar (${String(a.registrar)}), or its fields were changed after signing.`,
  SelfCertifiedMeter: (a) =>
    `${String(a.owner)} is the meter registrar of community ${String(a.communityId)} and cannot certify its own meter; the admin must name another registrar.`,
  InvalidThreshold: (a) =>
    `A threshold of ${String(a.threshold)} is invalid with ${String(a.signerCount)} oracle signers.`,
  NotEnoughSignatures: (a) =>
    `The report batch has ${String(a.given)} signatures; ${String(a.threshold)} are required.`,
  SignersNotSorted: (a) => `Oracle signers must be strictly ascending; ${String(a.signer)} is out of order.`,
  SignatureLengthMismatch: () => "The number of signers and signatures differ.",
  NotOracleSigner: (a) => `${String(a.signer)} is not a registered oracle signer.`,
  InvalidSignature: (a) => `The signature of ${String(a.signer ?? a.voter ?? a["0"])} is invalid.`,
  EmptyBatch: () => "The report batch is empty.",
  ReportExists: (a) => `Meter ${String(a.meterId)} already has a report for the slot at ${iso(a.slotStart)}.`,
  ReportOutOfRange: (a) =>
    `The report of meter ${String(a.meterId)} for the slot at ${iso(a.slotStart)} is beyond the largest energy a report can carry.`,
  SlotNotEnded: (a) =>
    `The slot at ${iso(a.slotStart)} has not ended yet; meter ${String(a.meterId)} cannot report it.`,
  ReportTooLate: (a) =>
    `The reporting window for meter ${String(a.meterId)}'s slot at ${iso(a.slotStart)} has closed.`,
  SettlementNotReady: (a) => `${describeMarket(a.marketId)} cannot be settled yet: ${String(a.reason)}.`,
  NoSale: (a) => `Meter ${String(a.meterId)} sold nothing in ${describeMarket(a.marketId)}.`,
  RefundPoolNotFinal: (a) =>
    `${describeMarket(a.marketId)}'s refund pool is not final: some seller meters are not settled yet (or nothing traded).`,
  AlreadyClaimed: (a) => `${String(a.buyer)} already received its refund in ${describeMarket(a.marketId)}.`,
  NothingPaid: (a) =>
    `${String(a.buyer)} bought nothing in ${describeMarket(a.marketId)}, so it has no refund.`,
  InvalidShortString: () => "A string is too long for its short-string slot.",
  StringTooLong: (a) => `The string "${String(a.str)}" is too long.`,

  // ---- TreasuryGovernor
  AlreadyVoted: (a) => `${String(a.voter)} has already voted on proposal ${String(a.proposalId)}.`,
  InvalidParameter: (a) => `The governance parameter "${String(a.name)}" is invalid.`,
  InvalidRecipient: () => "The treasury payment's recipient is invalid.",
  InvalidVoteType: (a) => `Vote type ${String(a.support)} is invalid (0 against, 1 for, 2 abstain).`,
  JoinedAfterSnapshot: (a) =>
    `${String(a.account)} was admitted to community ${String(a.communityId)} at block ${String(a.memberSince)}, after the proposal's snapshot (block ${String(a.snapshot)}), so it cannot vote on it.`,
  NotAdmittedMember: (a) =>
    `${String(a.account)} is not an admitted member of community ${String(a.communityId)}: only members its admin admitted propose and vote on treasury payouts.`,
  NotProposer: (a) => `${String(a.account)} did not make proposal ${String(a.proposalId)}.`,
  SafeCastOverflowedUintDowncast: (a) =>
    `The value ${String(a.value)} does not fit in ${String(a.bits)} bits.`,
  TimelockNotElapsed: (a) => `Proposal ${String(a.proposalId)} can be executed only from ${iso(a.eta)}.`,
  UnexpectedProposalState: (a) =>
    `Proposal ${String(a.proposalId)} is in state ${String(a.current)}, which does not allow this.`,
  UnknownProposal: (a) => `Proposal ${String(a.proposalId)} does not exist.`,

  // ---- Quote token (MockUSDC / USDC: ERC-20, EIP-2612)
  ERC20InsufficientAllowance: (a) =>
    `The allowance of ${String(a.spender)} is ${String(a.allowance)} base units; ${String(a.needed)} are needed (approve first).`,
  ERC20InsufficientBalance: (a) =>
    `${String(a.sender)} holds ${String(a.balance)} base units of the quote token; ${String(a.needed)} are needed.`,
  ERC20InvalidApprover: (a) => `${String(a.approver)} cannot approve.`,
  ERC20InvalidReceiver: (a) => `${String(a.receiver)} cannot receive tokens.`,
  ERC20InvalidSender: (a) => `${String(a.sender)} cannot send tokens.`,
  ERC20InvalidSpender: (a) => `${String(a.spender)} cannot be approved as a spender.`,
  ERC2612ExpiredSignature: (a) => `The permit expired at ${iso(a.deadline)}.`,
  ERC2612InvalidSigner: (a) =>
    `The permit was signed by ${String(a.signer)}, not by the owner ${String(a.owner)}.`,
  InvalidAccountNonce: (a) =>
    `The permit nonce is stale; ${String(a.account)}'s current nonce is ${String(a.currentNonce)}.`,
  ECDSAInvalidSignature: () => "The signature is invalid.",
  ECDSAInvalidSignatureLength: (a) => `A signature of ${String(a.length)} bytes is invalid.`,
  ECDSAInvalidSignatureS: (a) => `The signature's s value ${String(a.s)} is invalid (malleable).`,
  FaucetCooldown: (a) => `The test faucet can be used again from ${iso(a.availableAt)}.`,
};
