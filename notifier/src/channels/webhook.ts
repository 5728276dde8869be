/**
 * Webhooks: a JSON body signed with HMAC-SHA256 over `<timestamp>.<body>` with the webhook's
 * secret (header `X-PowerShare-Signature: v1=<hex>`, timestamp in `X-PowerShare-Timestamp`), the
 * delivery id as `Idempotency-Key` (the same on every retry). 2xx is delivered; 408, 429, 5xx and
 * network errors are retried; other statuses fail for good.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { ChannelSender, Message, SendResult } from "./channel.ts";
import { guardedLookup, isForbiddenAddress } from "./network-guard.ts";
import type { NotifierStore } from "../store/notifier-store.ts";

export const SIGNATURE_HEADER = "x-powershare-signature";
export const TIMESTAMP_HEADER = "x-powershare-timestamp";

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** For receivers (and tests): checks the signature and that the timestamp is within `toleranceS`. */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  toleranceS = 300,
  nowS = Math.floor(Date.now() / 1000),
): boolean {
  const ts = Number(headers[TIMESTAMP_HEADER]);
  const sig = String(headers[SIGNATURE_HEADER] ?? "");
  if (!Number.isInteger(ts) || Math.abs(nowS - ts) > toleranceS) return false;
  const want = Buffer.from(signWebhook(secret, ts, body));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got);
}

export interface WebhookOptions {
  allowPrivate: boolean;
  timeoutMs: number;
}

export class WebhookSender implements ChannelSender {
  readonly channel = "webhook" as const;
  private agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
  };

  private store: NotifierStore;
  private opts: WebhookOptions;
  constructor(store: NotifierStore, opts: WebhookOptions) {
    this.store = store;
    this.opts = opts;
  }

  async send(m: Message): Promise<SendResult> {
    const hook = await this.hook(m.delivery.target);
    if (!hook) return { ok: false, retry: false, error: "the webhook was removed" };
    const body = JSON.stringify({
      id: m.delivery.id,
      type: m.event.type,
      event: m.event.key,
      address: m.delivery.address,
      occurredAt: new Date(m.event.occurredAt).toISOString(),
      block: m.event.block.toString(),
      data: m.event.vars,
      message: { subject: m.rendered.subject, text: m.rendered.text },
    });
    const ts = Math.floor(Date.now() / 1000);
    const url = new URL(hook.url);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (!this.opts.allowPrivate && isIP(host) && isForbiddenAddress(host))
      return { ok: false, retry: false, error: `the webhook address ${host} is private or reserved` };
    const mod = url.protocol === "https:" ? https : http;
    return new Promise<SendResult>((resolve) => {
      const req = mod.request(
        url,
        {
          method: "POST",
          agent: url.protocol === "https:" ? this.agents.https : this.agents.http,
          lookup: guardedLookup(this.opts.allowPrivate) as never,
          timeout: this.opts.timeoutMs,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            "user-agent": "PowerShare-Notifier/0.1",
            "idempotency-key": m.delivery.id,
            "x-powershare-event": m.event.type,
            [TIMESTAMP_HEADER]: String(ts),
            [SIGNATURE_HEADER]: signWebhook(hook.secret, ts, body),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            const s = res.statusCode ?? 0;
            if (s >= 200 && s < 300) resolve({ ok: true, statusCode: s });
            else
              resolve({
                ok: false,
                retry: s >= 500 || s === 408 || s === 429,
                error: `the endpoint answered HTTP ${s}`,
                statusCode: s,
              });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.opts.timeoutMs} ms`)));
      req.on("error", (err: NodeJS.ErrnoException) =>
        resolve({ ok: false, retry: err.code !== "EFORBIDDENADDR", error: err.message }),
      );
      req.end(body);
    });
  }

  /** Webhooks by id, kept 10 s (a removed webhook may still get what was queued in that time). */
  private hooks = new Map<string, { at: number; hook: Awaited<ReturnType<NotifierStore["webhook"]>> }>();
  private async hook(id: string) {
    const c = this.hooks.get(id);
    if (c && Date.now() - c.at < 10_000) return c.hook;
    const hook = await this.store.webhook(id);
    if (this.hooks.size > 10_000) this.hooks.clear();
    this.hooks.set(id, { at: Date.now(), hook });
    return hook;
  }

  async close(): Promise<void> {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
