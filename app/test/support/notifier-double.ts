/**
 * A notifier in memory for the dApp's unit tests: the HTTP routes the dApp calls (nonce, verify
 * with a real EIP-4361 parse and signature recovery, preferences with the notifier's refusals,
 * webhooks, deliveries, notifications) answered from `fetch`, and an EventSource whose stream the
 * test feeds. The browser scenario (e2e/notifications.test.ts) runs the real notifier.
 */
import { verifyMessage, type Address, type Hex } from "viem";
import { parseSiweMessage } from "viem/siwe";
import type { InAppNotification } from "@/lib/notifier-api";

export interface Recorded {
  method: string;
  path: string;
  auth: string | null;
  body: unknown;
}

export class NotifierDouble {
  readonly base = "/api/notifier";
  requests: Recorded[] = [];
  domain: string;
  chainId = 31337;
  nonces = new Set<string>();
  sessions = new Map<string, Address>();
  prefs = new Map<string, Record<string, unknown>>();
  webhooks: { id: string; url: string; createdAt: number; secret: string }[] = [];
  deliveries: Record<string, unknown>[] = [];
  notifications: InAppNotification[] = [];
  private n = 0;

  constructor(domain: string) {
    this.domain = domain;
  }

  private view(a: Address) {
    const p = this.prefs.get(a) ?? {};
    return {
      address: a,
      email: p.email ?? null,
      phone: p.phone ?? null,
      subscriptions: p.subscriptions ?? {},
      lowBalanceThreshold: p.lowBalanceThreshold ?? null,
      webhooks: this.webhooks.map(({ id, url, createdAt }) => ({ id, url, createdAt })),
      pushSubscriptions: [],
    };
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), "http://localhost");
    const method = init.method ?? "GET";
    const auth = new Headers(init.headers).get("authorization");
    const body = typeof init.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
    const path = url.pathname.replace(this.base, "") + url.search;
    this.requests.push({ method, path, auth, body });
    const json = (status: number, b: unknown) =>
      new Response(JSON.stringify(b), { status, headers: { "content-type": "application/json" } });
    const parts = url.pathname.replace(this.base, "").split("/").filter(Boolean);
    if (method === "GET" && path === "/v1/meta")
      return json(200, {
        eventTypes: ["order_filled", "sale_settled", "low_balance"],
        channels: ["email", "webhook", "inapp"],
      });
    if (method === "GET" && path === "/v1/auth/nonce") {
      const nonce = `nonce${++this.n}abcdefgh`;
      this.nonces.add(nonce);
      return json(200, { nonce, domain: this.domain, chainId: this.chainId });
    }
    if (method === "POST" && path === "/v1/auth/verify") {
      const { message, signature } = body as { message: string; signature: Hex };
      const m = parseSiweMessage(message);
      if (m.domain !== this.domain)
        return json(401, { error: `the message is for ${m.domain}, not for this notifier (${this.domain})` });
      if (!m.nonce || !this.nonces.delete(m.nonce))
        return json(401, {
          error: "the nonce was not issued by this notifier, has expired, or was already used",
        });
      if (!(await verifyMessage({ address: m.address!, message, signature })))
        return json(401, { error: `the signature was not made by ${m.address}` });
      const token = `token-${++this.n}`;
      const address = m.address!.toLowerCase() as Address;
      this.sessions.set(token, address);
      return json(200, { token, address, expiresAt: Date.now() + 3_600_000 });
    }
    if (method === "POST" && path === "/v1/auth/logout") {
      this.sessions.delete(auth?.slice(7) ?? "");
      return json(200, { ok: true });
    }
    if (parts[0] === "v1" && parts[1] === "accounts") {
      const who = this.sessions.get(auth?.slice(7) ?? "");
      if (!who) return json(401, { error: "the session token is unknown or expired; sign in again" });
      if (who !== parts[2]) return json(403, { error: `this session belongs to ${who}` });
      const rest = parts.slice(3).join("/");
      if (method === "GET" && rest === "preferences") return json(200, this.view(who));
      if (method === "PUT" && rest === "preferences") {
        const b = body as Record<string, unknown>;
        if (typeof b.email === "string" && !/^[^@\s]+@[^@\s]+\.[a-z]+$/.test(b.email))
          return json(400, { error: `"${b.email}" is not a valid email address` });
        const cur = this.prefs.get(who) ?? {};
        this.prefs.set(who, {
          ...cur,
          ...b,
          subscriptions: { ...(cur.subscriptions as object), ...(b.subscriptions as object) },
        });
        return json(200, this.view(who));
      }
      if (method === "POST" && rest === "webhooks") {
        const u = (body as { url: string }).url;
        if (!/^https?:\/\//.test(u)) return json(400, { error: `"${u}" is not an http(s) URL` });
        const w = { id: `wh${++this.n}`, url: u, createdAt: Date.now(), secret: `secret-${this.n}` };
        this.webhooks.push(w);
        return json(201, { id: w.id, url: w.url, secret: w.secret, signature: "HMAC-SHA256" });
      }
      if (method === "DELETE" && parts[3] === "webhooks") {
        this.webhooks = this.webhooks.filter((w) => w.id !== parts[4]);
        return json(200, { ok: true });
      }
      if (method === "GET" && rest === "deliveries") return json(200, { deliveries: this.deliveries });
      if (method === "GET" && rest === "notifications")
        return json(200, { notifications: this.notifications });
    }
    return json(404, { error: `no route ${method} ${url.pathname}` });
  };
}

/** EventSource as the browser has it, driven by the test. */
export class TestEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static all: TestEventSource[] = [];
  readonly url: string;
  readyState = TestEventSource.CONNECTING;
  constructor(url: string | URL) {
    super();
    this.url = String(url);
    TestEventSource.all.push(this);
  }
  open() {
    this.readyState = TestEventSource.OPEN;
    this.dispatchEvent(new Event("open"));
  }
  emit(type: string, data: unknown) {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
  fail() {
    this.readyState = TestEventSource.CLOSED;
    this.dispatchEvent(new Event("error"));
  }
  close() {
    this.readyState = TestEventSource.CLOSED;
  }
}
