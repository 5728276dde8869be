/**
 * Sends the asynchronous answers: the on_* body, signed with the gateway's key, POSTed to
 * `{subscriber_url}/on_{action}` of the BAP as the registry lists it (not to whatever URL a request
 * names, so a request cannot point the gateway at another host). Retries with backoff on network
 * errors and 5xx; a NACK from the BAP is logged and counted, not retried.
 */
import type { Logger } from "pino";
import type { GatewayMetrics } from "./metrics.ts";
import { authorizationHeader, type SigningKey } from "./signing.ts";

export interface CallbackResult {
  delivered: boolean;
  status?: number;
  answer?: unknown;
  error?: string;
}

export class CallbackClient {
  private readonly key: SigningKey;
  private readonly log: Logger;
  private readonly metrics: GatewayMetrics;
  private readonly opts: { attempts?: number; backoffMs?: number; timeoutMs?: number };
  constructor(
    key: SigningKey,
    log: Logger,
    metrics: GatewayMetrics,
    opts: { attempts?: number; backoffMs?: number; timeoutMs?: number } = {},
  ) {
    this.key = key;
    this.log = log;
    this.metrics = metrics;
    this.opts = opts;
  }

  async send(subscriberUrl: string, action: string, body: unknown): Promise<CallbackResult> {
    const url = `${subscriberUrl.replace(/\/$/, "")}/${action}`;
    const text = JSON.stringify(body);
    const attempts = this.opts.attempts ?? 4;
    let last: CallbackResult = { delivered: false };
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, (this.opts.backoffMs ?? 250) * 2 ** (i - 1)));
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: authorizationHeader(text, this.key) },
          body: text,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
        });
        const answer = await res.json().catch(() => undefined);
        last = { delivered: res.ok, status: res.status, answer };
        if (res.ok || res.status < 500) break;
      } catch (err) {
        last = { delivered: false, error: (err as Error).message };
      }
    }
    this.metrics.callbacks.inc({ action, outcome: last.delivered ? "delivered" : "failed" });
    if (last.delivered) this.log.info({ url, action, status: last.status }, "callback delivered");
    else
      this.log.warn(
        { url, action, status: last.status, error: last.error, answer: last.answer },
        "callback not delivered",
      );
    return last;
  }
}
