/** Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291), by `web-push`. */
import https from "node:https";
import { isIP } from "node:net";
import webpush from "web-push";
import { guardedLookup, isForbiddenAddress } from "./network-guard.ts";
import type { ChannelSender, Message, SendResult } from "./channel.ts";
import type { NotifierStore } from "../store/notifier-store.ts";

export interface VapidKeys {
  subject: string;
  publicKey: string;
  privateKey: string;
}

export class WebPushSender implements ChannelSender {
  readonly channel = "push" as const;
  private store: NotifierStore;
  private vapid: VapidKeys;
  private timeoutMs: number;
  private agent: https.Agent;
  private allowPrivate: boolean;
  /**
   * Push services are reached only over https; `ca` adds trusted certificates (a private push
   * service, tests); the same private-address guard as webhooks applies unless `allowPrivate`.
   */
  constructor(
    store: NotifierStore,
    vapid: VapidKeys,
    o: { timeoutMs?: number; ca?: string | Buffer | undefined; allowPrivate?: boolean } = {},
  ) {
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.allowPrivate = !!o.allowPrivate;
    this.agent = new https.Agent({
      keepAlive: true,
      ca: o.ca,
      lookup: guardedLookup(this.allowPrivate) as never,
    });
    this.store = store;
    this.vapid = vapid;
  }

  async send(m: Message): Promise<SendResult> {
    const sub = await this.store.pushSubscription(m.delivery.target);
    if (!sub) return { ok: false, retry: false, error: "the push subscription was removed" };
    const host = new URL(sub.endpoint).hostname.replace(/^\[|\]$/g, "");
    if (!this.allowPrivate && isIP(host) && isForbiddenAddress(host))
      return { ok: false, retry: false, error: `the push endpoint address ${host} is private or reserved` };
    const payload = JSON.stringify({
      title: m.rendered.subject,
      body: m.rendered.text,
      type: m.event.type,
      event: m.event.key,
      delivery: m.delivery.id,
    });
    try {
      const r = await webpush.sendNotification(
        { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
        payload,
        {
          vapidDetails: this.vapid,
          contentEncoding: "aes128gcm",
          TTL: 24 * 3600,
          timeout: this.timeoutMs,
          agent: this.agent,
          headers: { Topic: m.delivery.id.replace(/-/g, "").slice(0, 32) },
        },
      );
      return { ok: true, statusCode: r.statusCode };
    } catch (err) {
      const e = err as { statusCode?: number; message?: string; body?: string };
      if (e.statusCode === 404 || e.statusCode === 410) {
        // The browser dropped the subscription: forget it.
        await this.store.removePushSubscription(sub.address, sub.id);
        return {
          ok: false,
          retry: false,
          error: `the push service says the subscription is gone (HTTP ${e.statusCode})`,
          statusCode: e.statusCode,
        };
      }
      const s = e.statusCode;
      return {
        ok: false,
        retry:
          (e as { code?: string }).code !== "EFORBIDDENADDR" &&
          (s === undefined || s >= 500 || s === 429 || s === 408),
        error: s
          ? `the push service answered HTTP ${s}${e.body ? `: ${e.body}` : ""}`
          : (e.message ?? String(err)),
        statusCode: s,
      };
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
