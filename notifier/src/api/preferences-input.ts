/** Checks of what an address sends to change its preferences; each refusal is one sentence. */
import { parseQuote } from "@powershare/contracts/sdk";
import type { Address } from "viem";
import { CHANNELS, EVENT_TYPES, isChannel, isEventType, type Channel, type EventType } from "../events.ts";
import type { Preferences } from "../store/notifier-store.ts";

export class InputError extends Error {}

// The practical subset of RFC 5321/5322 mailboxes that mail servers accept.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function checkEmail(v: unknown): string {
  if (typeof v !== "string") throw new InputError("email must be a string such as name@example.org");
  const s = v.trim();
  if (s.length > 254 || !EMAIL.test(s) || s.split("@")[0]!.length > 64 || s.includes(".."))
    throw new InputError(`"${v}" is not a valid email address`);
  return s;
}

export function checkPhone(v: unknown): string {
  if (typeof v !== "string" || !/^\+[1-9]\d{6,14}$/.test(v.replace(/[\s-]/g, "")))
    throw new InputError(
      `"${String(v)}" is not a phone number in international form, such as +4915112345678`,
    );
  return v.replace(/[\s-]/g, "");
}

/** Applies a PUT body on top of the current preferences (fields left out stay as they are). */
export function applyPreferences(
  address: Address,
  current: Preferences | undefined,
  body: unknown,
): Preferences {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new InputError("the body must be a JSON object");
  const o = body as Record<string, unknown>;
  const known = ["email", "phone", "subscriptions", "lowBalanceThreshold"];
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length)
    throw new InputError(`unknown field ${unknown.join(", ")}; fields are ${known.join(", ")}`);
  const next: Preferences = current
    ? { ...current, subscriptions: { ...current.subscriptions } }
    : { address, email: null, phone: null, subscriptions: {}, lowBalanceThreshold: null };
  if ("email" in o) next.email = o.email === null ? null : checkEmail(o.email);
  if ("phone" in o) next.phone = o.phone === null ? null : checkPhone(o.phone);
  if ("lowBalanceThreshold" in o) {
    const v = o.lowBalanceThreshold;
    if (v === null) next.lowBalanceThreshold = null;
    else {
      if (typeof v !== "string" && typeof v !== "number")
        throw new InputError('lowBalanceThreshold must be an amount in USDC such as "5" or "12.5", or null');
      let units: bigint;
      try {
        units = parseQuote(v);
      } catch {
        throw new InputError(`lowBalanceThreshold "${v}" is not an amount in USDC such as "5" or "12.5"`);
      }
      if (units <= 0n) throw new InputError("lowBalanceThreshold must be more than 0 USDC");
      next.lowBalanceThreshold = units;
    }
  }
  if ("subscriptions" in o) {
    const s = o.subscriptions;
    if (typeof s !== "object" || s === null || Array.isArray(s))
      throw new InputError(
        `subscriptions must map event types (${EVENT_TYPES.join(", ")}) to lists of channels`,
      );
    for (const [type, channels] of Object.entries(s as Record<string, unknown>)) {
      if (!isEventType(type))
        throw new InputError(`unknown event type "${type}"; one of ${EVENT_TYPES.join(", ")}`);
      if (channels === null) {
        delete next.subscriptions[type as EventType];
        continue;
      }
      if (!Array.isArray(channels))
        throw new InputError(
          `subscriptions.${type} must be a list of channels (${CHANNELS.join(", ")}) or null`,
        );
      for (const c of channels)
        if (!isChannel(c))
          throw new InputError(
            `unknown channel "${String(c)}" in subscriptions.${type}; one of ${CHANNELS.join(", ")}`,
          );
      next.subscriptions[type] = [...new Set(channels as Channel[])];
    }
  }
  return next;
}

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** A browser PushSubscription's JSON (`subscription.toJSON()`). */
export function checkPushSubscription(body: unknown): { endpoint: string; p256dh: string; auth: string } {
  const o = (body ?? {}) as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } };
  if (typeof o.endpoint !== "string")
    throw new InputError("endpoint must be the push service URL of the subscription");
  let u: URL;
  try {
    u = new URL(o.endpoint);
  } catch {
    throw new InputError(`"${o.endpoint}" is not a valid push endpoint URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new InputError("the push endpoint must be an https URL");
  const p256dh = o.keys?.p256dh;
  const auth = o.keys?.auth;
  if (typeof p256dh !== "string" || !B64URL.test(p256dh) || Buffer.from(p256dh, "base64url").length !== 65)
    throw new InputError("keys.p256dh must be the subscription's 65-byte P-256 public key, base64url");
  if (typeof auth !== "string" || !B64URL.test(auth) || Buffer.from(auth, "base64url").length !== 16)
    throw new InputError("keys.auth must be the subscription's 16-byte auth secret, base64url");
  return { endpoint: o.endpoint, p256dh, auth };
}
