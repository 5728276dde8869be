/**
 * The notifier's HTTP API as the dApp calls it (through /api/notifier): typed requests whose
 * refusals become a NotifierError carrying the notifier's own sentence.
 */
import type { Address } from "viem";
import { serviceRequest } from "./service-request";

export const EVENT_LABELS: Record<string, string> = {
  order_filled: "Order filled",
  order_released: "Order released at the gate",
  meter_reported: "Meter report posted",
  sale_settled: "Sale settled (paid or slashed)",
  refund_waiting: "Refund or claim waiting",
  proposal_opened: "Proposal opened",
  proposal_ready: "Proposal ready to execute",
  low_balance: "Low balance",
  agent_action: "Agent action",
};
export const CHANNEL_LABELS: Record<string, string> = {
  email: "Email",
  webhook: "Webhook",
  push: "Push",
  sms: "SMS",
  inapp: "In-app",
};

export interface NotifierMeta {
  eventTypes: string[];
  channels: string[];
}
export interface NotifierNonce {
  nonce: string;
  /** The host[:port] sign-in messages must name. */
  domain: string;
  chainId: number;
}
export interface NotifierSession {
  token: string;
  address: Address;
  /** ms since the epoch */
  expiresAt: number;
}
export interface NotifierPreferences {
  address: Address;
  email: string | null;
  phone: string | null;
  /** Channels per event type; an event type left out goes to every channel set up. */
  subscriptions: Record<string, string[]>;
  /** USDC as a decimal string, or null. */
  lowBalanceThreshold: string | null;
  webhooks: { id: string; url: string; createdAt: number }[];
  pushSubscriptions: { id: string; endpoint: string }[];
}
export interface PreferencesChange {
  email?: string | null;
  phone?: string | null;
  lowBalanceThreshold?: string | null;
  subscriptions?: Record<string, string[] | null>;
}
export interface NewWebhook {
  id: string;
  url: string;
  /** Shown once: the HMAC key the receiver checks signatures with. */
  secret: string;
  signature: string;
}
export type DeliveryStatus = "queued" | "sending" | "sent" | "failed" | "cancelled";
export interface Delivery {
  id: string;
  eventKey: string;
  eventType: string;
  channel: string;
  target: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
  occurredAt: number;
}
export interface InAppNotification {
  id: string;
  eventType: string;
  title: string;
  body: string;
  createdAt: number;
}

/** A refusal of the notifier (or of the proxy), with its sentence and HTTP status. */
export class NotifierError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "NotifierError";
    this.status = status;
  }
}

export async function notifierRequest<T>(
  base: string,
  path: string,
  opts: { method?: string; token?: string; body?: unknown } = {},
): Promise<T> {
  const r = await serviceRequest(`${base}${path}`, {
    method: opts.method,
    authorization: opts.token ? `Bearer ${opts.token}` : undefined,
    body: opts.body,
  });
  if (!r) throw new NotifierError(0, "the notifier cannot be reached; check your connection and try again");
  if (!r.ok) {
    const said = (r.json as { error?: unknown } | null)?.error;
    throw new NotifierError(
      r.status,
      typeof said === "string" && said ? said : `the notifier answered ${r.status} ${r.statusText}`.trim(),
    );
  }
  return r.json as T;
}

/** The account routes' prefix for an address (lower-case, as the notifier keys it). */
export const accountPath = (address: string) => `/v1/accounts/${address.toLowerCase()}`;

/** Stream URL for EventSource (which cannot send headers: the token goes in the query). */
export const streamUrl = (base: string, address: string, token: string) =>
  `${base}${accountPath(address)}/stream?token=${encodeURIComponent(token)}`;
