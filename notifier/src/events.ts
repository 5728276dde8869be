/**
 * What the notifier tells people about: one typed event per thing that happened, with the
 * addresses it concerns and the values its templates may use.
 */
import type { Address } from "viem";

export const EVENT_TYPES = [
  "order_filled",
  "order_released",
  "meter_reported",
  "sale_settled",
  "refund_waiting",
  "proposal_opened",
  "proposal_ready",
  "low_balance",
  "agent_action",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const CHANNELS = ["email", "webhook", "push", "sms", "inapp"] as const;
export type Channel = (typeof CHANNELS)[number];

/** Template variables each event carries (all strings, already formatted for people). */
export const EVENT_VARIABLES: Record<EventType, readonly string[]> = {
  order_filled: [
    "side",
    "role",
    "filledKwh",
    "orderKwh",
    "completeness",
    "price",
    "value",
    "market",
    "slot",
    "orderId",
  ],
  order_released: ["side", "filledKwh", "orderKwh", "released", "value", "market", "slot", "orderId"],
  meter_reported: ["meterId", "slot", "importedKwh", "exportedKwh"],
  sale_settled: [
    "outcome",
    "meterId",
    "market",
    "slot",
    "soldKwh",
    "deliveredKwh",
    "payout",
    "fee",
    "bondSlashed",
    "refunded",
  ],
  refund_waiting: ["market", "slot", "paid", "refund"],
  proposal_opened: ["proposalId", "communityId", "amount", "to", "description", "voteEnd"],
  proposal_ready: ["proposalId", "communityId", "amount", "to", "description", "eta"],
  low_balance: ["free", "threshold"],
  agent_action: ["agent", "action", "detail"],
};

/** One event: `key` is stable across restarts and re-scans (it names the chain facts it comes from). */
export interface NotifierEvent {
  key: string;
  type: EventType;
  /** The addresses told about it (lower-case). */
  recipients: Address[];
  /** Template values. */
  vars: Record<string, string>;
  /** Block it comes from (0 for events published through the hook). */
  block: bigint;
  blockHash: string | null;
  /** When it happened (block time), ms since the epoch. */
  occurredAt: number;
}

/** An event a service publishes through the typed hook (agents, balance watchers). */
export type HookEvent =
  | {
      type: "agent_action";
      /** Idempotency key chosen by the publisher: the same key is told once. */
      key: string;
      address: Address;
      agent: string;
      action: string;
      detail: string;
    }
  | {
      type: "low_balance";
      key: string;
      address: Address;
      /** Free balance and the threshold, in quote base units (USDC: 6 decimals). */
      free: bigint;
      threshold: bigint;
    };

export function isEventType(x: unknown): x is EventType {
  return typeof x === "string" && (EVENT_TYPES as readonly string[]).includes(x);
}
export function isChannel(x: unknown): x is Channel {
  return typeof x === "string" && (CHANNELS as readonly string[]).includes(x);
}
