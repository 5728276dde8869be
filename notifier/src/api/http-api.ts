/**
 * The notifier's HTTP API (JSON): health and metrics, SIWE sign-in, each address's preferences,
 * contacts, webhooks, push subscriptions, delivery status and in-app stream, templates (operator
 * token), and the typed event hook (service token). An address only ever sees its own data.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Address } from "viem";
import { isAddress } from "viem";
import { formatQuote } from "@powershare/contracts/sdk";
import type { Logger } from "pino";
import { CHANNELS, EVENT_TYPES, EVENT_VARIABLES, isChannel, isEventType, type HookEvent } from "../events.ts";
import { AuthError, type SiweSessions } from "../auth/siwe-sessions.ts";
import { checkWebhookUrl, UrlRefused } from "../channels/network-guard.ts";
import type { InAppSender } from "../channels/in-app.ts";
import type { NotifierStore, DeliveryStatus } from "../store/notifier-store.ts";
import type { Outbox } from "../outbox.ts";
import type { NotifierMetrics } from "../metrics.ts";
import { defaultTemplate, TemplateError, validateTemplate } from "../templates.ts";
import { applyPreferences, checkPushSubscription, InputError } from "./preferences-input.ts";

export interface ApiDeps {
  store: NotifierStore;
  outbox: Outbox;
  sessions: SiweSessions;
  inApp: InAppSender;
  metrics: NotifierMetrics;
  log: Logger;
  health: () => Promise<{ healthy: boolean } & Record<string, unknown>>;
  allowPrivateWebhooks: boolean;
  maxWebhooksPerAddress: number;
  /** Origins the browser may call from (the dApp); "*" by default: the API uses bearer tokens, not cookies. */
  corsOrigins: string[] | "*";
  vapidPublicKey: string | undefined;
  adminToken: string | undefined;
  hookToken: string | undefined;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const STATUSES: DeliveryStatus[] = ["queued", "sending", "sent", "failed", "cancelled"];

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

async function readJson(req: IncomingMessage, limit = 256 * 1024): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new HttpError(413, `the body is larger than ${limit} bytes`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new HttpError(400, "the body must be JSON");
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "the body is not valid JSON");
  }
}

function bearer(req: IncomingMessage, url: URL): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith("Bearer ")) return h.slice(7).trim();
  return url.searchParams.get("token") ?? undefined; // EventSource cannot set headers
}

function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createApi(d: ApiDeps): Server {
  const me = async (req: IncomingMessage, url: URL, address: string): Promise<Address> => {
    if (!isAddress(address, { strict: false }))
      throw new HttpError(400, `"${address}" is not an Ethereum address`);
    const who = await d.sessions.address(bearer(req, url));
    if (who !== address.toLowerCase())
      throw new HttpError(
        403,
        `this session belongs to ${who}; it cannot read or change ${address.toLowerCase()}`,
      );
    return who;
  };
  const operator = (req: IncomingMessage, url: URL) => {
    if (!d.adminToken)
      throw new HttpError(
        403,
        "templates cannot be edited: NOTIFIER_ADMIN_TOKEN is not set on this notifier",
      );
    if (!sameSecret(bearer(req, url), d.adminToken))
      throw new HttpError(401, "editing templates needs the operator token (Authorization: Bearer …)");
  };

  const view = async (address: Address) => {
    const p = await d.store.preferences(address);
    return {
      address,
      email: p?.email ?? null,
      phone: p?.phone ?? null,
      subscriptions: p?.subscriptions ?? {},
      lowBalanceThreshold:
        p?.lowBalanceThreshold === null || p?.lowBalanceThreshold === undefined
          ? null
          : formatQuote(p.lowBalanceThreshold),
      webhooks: (await d.store.webhooks(address)).map((w) => ({
        id: w.id,
        url: w.url,
        createdAt: w.createdAt,
      })),
      pushSubscriptions: (await d.store.pushSubscriptions(address)).map((s) => ({
        id: s.id,
        endpoint: s.endpoint,
      })),
      defaults: "an event type not listed in subscriptions goes to every channel set up (in-app always)",
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://notifier");
    const parts = url.pathname.split("/").filter(Boolean);
    const method = req.method ?? "GET";
    const route = (m: string, ...segments: string[]) =>
      method === m &&
      parts.length === segments.length &&
      segments.every((s, i) => s === "*" || s === parts[i]);

    if (route("GET", "health")) {
      const h = await d.health();
      return send(res, h.healthy ? 200 : 503, h);
    }
    if (route("GET", "metrics")) {
      for (const c of await d.store.counts())
        d.metrics.deliveries.set({ channel: c.channel, status: c.status }, c.n);
      d.metrics.streams.set(d.inApp.clients);
      res.writeHead(200, { "content-type": d.metrics.registry.contentType });
      return void res.end(await d.metrics.registry.metrics());
    }
    if (route("GET", "v1", "auth", "nonce"))
      return send(res, 200, {
        nonce: await d.sessions.nonce(),
        domain: d.sessions.opts.domain,
        chainId: d.sessions.opts.chainId,
      });
    if (route("POST", "v1", "auth", "verify")) {
      const b = (await readJson(req)) as { message?: unknown; signature?: unknown };
      return send(res, 200, await d.sessions.signIn(b?.message, b?.signature));
    }
    if (route("POST", "v1", "auth", "logout")) {
      const t = bearer(req, url);
      if (t) await d.sessions.signOut(t);
      return send(res, 200, { ok: true });
    }
    if (route("GET", "v1", "push", "vapid-public-key")) {
      if (!d.vapidPublicKey)
        throw new HttpError(404, "Web Push is not configured on this notifier (VAPID keys)");
      return send(res, 200, { publicKey: d.vapidPublicKey });
    }
    if (route("GET", "v1", "meta"))
      return send(res, 200, { eventTypes: EVENT_TYPES, channels: CHANNELS, variables: EVENT_VARIABLES });

    if (parts[0] === "v1" && parts[1] === "accounts" && parts[2]) {
      const address = await me(req, url, parts[2]);
      const rest = parts.slice(3);
      const at = (m: string, ...segments: string[]) =>
        method === m &&
        rest.length === segments.length &&
        segments.every((s, i) => s === "*" || s === rest[i]);
      if (at("GET", "preferences")) return send(res, 200, await view(address));
      if (at("PUT", "preferences")) {
        const next = applyPreferences(address, await d.store.preferences(address), await readJson(req));
        await d.store.setPreferences(next);
        return send(res, 200, await view(address));
      }
      if (at("POST", "webhooks")) {
        const b = (await readJson(req)) as { url?: unknown };
        const checked = await checkWebhookUrl(b?.url, { allowPrivate: d.allowPrivateWebhooks });
        if ((await d.store.webhooks(address)).length >= d.maxWebhooksPerAddress)
          throw new HttpError(400, `an address may register at most ${d.maxWebhooksPerAddress} webhooks`);
        const w = await d.store.addWebhook(address, checked, randomBytes(32).toString("hex"));
        return send(res, 201, {
          id: w.id,
          url: w.url,
          secret: w.secret,
          signature:
            "HMAC-SHA256 over `<x-powershare-timestamp>.<body>`, header x-powershare-signature: v1=<hex>",
        });
      }
      if (at("DELETE", "webhooks", "*")) {
        if (!(await d.store.removeWebhook(address, rest[1]!)))
          throw new HttpError(404, `no webhook ${rest[1]} for ${address}`);
        return send(res, 200, { ok: true });
      }
      if (at("POST", "push-subscriptions")) {
        const s = checkPushSubscription(await readJson(req));
        const sub = await d.store.addPushSubscription({ address, ...s });
        return send(res, 201, { id: sub.id, endpoint: sub.endpoint });
      }
      if (at("DELETE", "push-subscriptions", "*")) {
        if (!(await d.store.removePushSubscription(address, rest[1]!)))
          throw new HttpError(404, `no push subscription ${rest[1]} for ${address}`);
        return send(res, 200, { ok: true });
      }
      if (at("GET", "deliveries")) {
        const status = url.searchParams.get("status");
        if (status && !STATUSES.includes(status as DeliveryStatus))
          throw new HttpError(400, `status must be one of ${STATUSES.join(", ")}`);
        const limit = Number(url.searchParams.get("limit") ?? 100);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500)
          throw new HttpError(400, "limit must be an integer from 1 to 500");
        const before = url.searchParams.get("before");
        if (before !== null && !/^\d+$/.test(before))
          throw new HttpError(400, "before must be a time in ms since the epoch");
        const list = await d.store.deliveriesOf(address, {
          status: (status as DeliveryStatus) || undefined,
          limit,
          before: before === null ? undefined : Number(before),
        });
        return send(res, 200, { deliveries: list });
      }
      if (at("GET", "deliveries", "*")) {
        const del = await d.store.delivery(rest[1]!);
        if (!del || del.address !== address)
          throw new HttpError(404, `no delivery ${rest[1]} for ${address}`);
        return send(res, 200, { ...del, log: await d.store.attempts(del.id) });
      }
      if (at("GET", "notifications")) return send(res, 200, { notifications: await d.store.inApp(address) });
      if (at("GET", "stream")) return d.inApp.attach(address, res);
      throw new HttpError(404, `no route ${method} ${url.pathname}`);
    }

    if (parts[0] === "v1" && parts[1] === "templates") {
      if (route("GET", "v1", "templates")) {
        const all = [];
        for (const type of EVENT_TYPES)
          for (const channel of CHANNELS) {
            const o = await d.store.templateOverride(type, channel);
            all.push({ type, channel, custom: !!o, ...(o ?? defaultTemplate(type, channel)) });
          }
        return send(res, 200, { templates: all });
      }
      const [type, channel] = [parts[2] ?? "", parts[3] ?? ""];
      if (parts.length === 4 && (method === "GET" || method === "PUT" || method === "DELETE")) {
        if (!isEventType(type))
          throw new HttpError(404, `unknown event type "${type}"; one of ${EVENT_TYPES.join(", ")}`);
        if (!isChannel(channel))
          throw new HttpError(404, `unknown channel "${channel}"; one of ${CHANNELS.join(", ")}`);
        if (method === "GET") {
          const o = await d.store.templateOverride(type, channel);
          return send(res, 200, {
            type,
            channel,
            custom: !!o,
            variables: EVENT_VARIABLES[type],
            ...(o ?? defaultTemplate(type, channel)),
          });
        }
        operator(req, url);
        if (method === "PUT") {
          const t = validateTemplate(type, channel, await readJson(req));
          await d.store.setTemplate(type, channel, t);
          return send(res, 200, { type, channel, custom: true, ...t });
        }
        await d.store.resetTemplate(type, channel);
        return send(res, 200, { type, channel, custom: false, ...defaultTemplate(type, channel) });
      }
    }

    if (route("POST", "v1", "hooks", "events")) {
      if (!d.hookToken)
        throw new HttpError(403, "the event hook is off: NOTIFIER_HOOK_TOKEN is not set on this notifier");
      if (!sameSecret(bearer(req, url), d.hookToken))
        throw new HttpError(401, "publishing events needs the hook token (Authorization: Bearer …)");
      const h = parseHookEvent(await readJson(req));
      return send(res, 202, await d.outbox.publish(h));
    }
    throw new HttpError(404, `no route ${method} ${url.pathname}`);
  };

  return createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && (d.corsOrigins === "*" || d.corsOrigins.includes(origin))) {
      res.setHeader("access-control-allow-origin", d.corsOrigins === "*" ? "*" : origin);
      res.setHeader("vary", "origin");
      res.setHeader("access-control-allow-headers", "authorization, content-type");
      res.setHeader("access-control-allow-methods", "GET, POST, PUT, DELETE, OPTIONS");
      res.setHeader("access-control-max-age", "600");
    }
    if (req.method === "OPTIONS") return void res.writeHead(204).end();
    handle(req, res).catch((err: unknown) => {
      const status =
        err instanceof HttpError
          ? err.status
          : err instanceof AuthError
            ? err.status
            : err instanceof InputError || err instanceof UrlRefused || err instanceof TemplateError
              ? 400
              : 500;
      if (status === 500) d.log.error({ err: (err as Error).message, url: req.url }, "request failed");
      if (!res.headersSent)
        send(res, status, { error: status === 500 ? "internal error" : (err as Error).message });
      else res.end();
    });
  });
}

/** The hook's JSON body to a typed HookEvent (amounts as decimal strings of base units). */
export function parseHookEvent(body: unknown): HookEvent {
  const o = (body ?? {}) as Record<string, unknown>;
  const str = (k: string, max = 500) => {
    const v = o[k];
    if (typeof v !== "string" || v.trim() === "" || v.length > max)
      throw new InputError(`${k} must be a non-empty string of at most ${max} characters`);
    return v;
  };
  const address = str("address", 42);
  if (!isAddress(address, { strict: false })) throw new InputError(`"${address}" is not an Ethereum address`);
  const key = str("key", 200);
  if (o.type === "agent_action")
    return {
      type: "agent_action",
      key,
      address: address as Address,
      agent: str("agent", 100),
      action: str("action", 200),
      detail: str("detail", 2000),
    };
  if (o.type === "low_balance") {
    const units = (k: string) => {
      const v = o[k];
      if (typeof v !== "string" || !/^\d{1,30}$/.test(v))
        throw new InputError(`${k} must be a decimal string of quote base units`);
      return BigInt(v);
    };
    return {
      type: "low_balance",
      key,
      address: address as Address,
      free: units("free"),
      threshold: units("threshold"),
    };
  }
  throw new InputError('type must be "agent_action" or "low_balance"');
}
