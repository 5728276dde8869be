/**
 * Sends queued deliveries: one loop per channel (a slow or failing channel never holds up the
 * others), a bounded number of sends in flight per channel, retries with exponential backoff, and
 * every attempt written to the delivery log.
 */
import type { Logger } from "pino";
import type { Channel } from "../events.ts";
import type { ChannelSender } from "../channels/channel.ts";
import type { Delivery, NotifierStore } from "../store/notifier-store.ts";
import type { NotifierMetrics } from "../metrics.ts";
import { defaultTemplate, renderTemplate } from "../templates.ts";
import { backoffMs, type RetryPolicy } from "./backoff.ts";

export interface DispatcherOptions {
  retry: RetryPolicy;
  /** Sends in flight per channel. */
  concurrency: number;
  /** How long a taken delivery stays leased to this process. */
  leaseMs: number;
  pollMs: number;
}

class ChannelLoop {
  private inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private stopped = false;
  private done: Promise<void> | undefined;

  private sender: ChannelSender | undefined;
  private channel: Channel;
  private d: Dispatcher;
  constructor(sender: ChannelSender | undefined, channel: Channel, d: Dispatcher) {
    this.sender = sender;
    this.channel = channel;
    this.d = d;
  }

  start(): void {
    this.done = this.run();
  }

  kick(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    const { opts, store, log } = this.d;
    while (!this.stopped) {
      const room = opts.concurrency - this.inFlight.size;
      let taken: Delivery[] = [];
      // Claim in batches (one query per several sends), or at once when nothing is in flight.
      if (room > 0 && (room >= Math.min(8, opts.concurrency) || this.inFlight.size === 0)) {
        try {
          taken = await store.claimDue(this.channel, room, opts.leaseMs);
        } catch (err) {
          log.warn({ err: (err as Error).message, channel: this.channel }, "could not read due deliveries");
        }
      }
      for (const delivery of taken) {
        const p: Promise<void> = this.d.deliver(this.sender, delivery).finally(() => {
          this.inFlight.delete(p);
          this.kick();
        });
        this.inFlight.add(p);
      }
      if (taken.length > 0 && taken.length === room) continue;
      await new Promise<void>((res) => {
        const t = setTimeout(res, opts.pollMs);
        this.wake = () => {
          clearTimeout(t);
          res();
        };
      });
      this.wake = undefined;
    }
    await Promise.all(this.inFlight);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.done;
  }
}

export class Dispatcher {
  private loops = new Map<Channel, ChannelLoop>();

  readonly store: NotifierStore;
  private senders: Partial<Record<Channel, ChannelSender>>;
  readonly log: Logger;
  private metrics: NotifierMetrics;
  readonly opts: DispatcherOptions;
  constructor(
    store: NotifierStore,
    senders: Partial<Record<Channel, ChannelSender>>,
    log: Logger,
    metrics: NotifierMetrics,
    opts: DispatcherOptions,
  ) {
    this.store = store;
    this.senders = senders;
    this.log = log;
    this.metrics = metrics;
    this.opts = opts;
  }

  start(): void {
    for (const channel of ["inapp", "webhook", "email", "push", "sms"] as const) {
      const loop = new ChannelLoop(this.senders[channel], channel, this);
      this.loops.set(channel, loop);
      loop.start();
    }
  }

  kick(): void {
    for (const l of this.loops.values()) l.kick();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.loops.values()].map((l) => l.stop()));
    for (const s of Object.values(this.senders)) await s?.close?.();
  }

  /** One attempt at one delivery, and what follows from it. */
  async deliver(sender: ChannelSender | undefined, d: Delivery): Promise<void> {
    const started = Date.now();
    const event = await this.store.event(d.eventKey);
    let result;
    if (!event)
      result = { ok: false as const, retry: false, error: `event ${d.eventKey} is missing from the outbox` };
    else if (!sender)
      result = {
        ok: false as const,
        retry: false,
        error: `the ${d.channel} channel is not configured on this notifier`,
      };
    else {
      const template =
        (await this.store.templateOverride(event.type, d.channel)) ?? defaultTemplate(event.type, d.channel);
      try {
        result = await sender.send({ delivery: d, event, rendered: renderTemplate(template, event.vars) });
      } catch (err) {
        result = { ok: false as const, retry: true, error: (err as Error).message };
      }
    }
    const now = Date.now();
    this.metrics.sendDuration.observe({ channel: d.channel }, (now - started) / 1000);
    const attempt = d.attempts + 1;
    const a = {
      at: now,
      ok: result.ok,
      statusCode: result.statusCode ?? null,
      error: result.ok ? null : result.error,
      durationMs: now - started,
    };
    if (result.ok) {
      await this.store.recordAttempt(d, a, { status: "sent" });
      this.metrics.attempts.inc({ channel: d.channel, outcome: "sent" });
      this.metrics.latency.observe({ channel: d.channel }, Math.max(0, now - d.occurredAt) / 1000);
    } else if (result.retry && attempt < this.opts.retry.maxAttempts) {
      const wait = backoffMs(attempt, this.opts.retry);
      await this.store.recordAttempt(d, a, { status: "queued", at: now + wait });
      this.metrics.attempts.inc({ channel: d.channel, outcome: "retry" });
      this.log.debug(
        { delivery: d.id, channel: d.channel, attempt, retryInMs: wait, error: result.error },
        "delivery failed; will retry",
      );
    } else {
      await this.store.recordAttempt(d, a, { status: "failed" });
      this.metrics.attempts.inc({ channel: d.channel, outcome: "failed" });
      this.log.warn(
        { delivery: d.id, channel: d.channel, attempt, error: result.error },
        "delivery failed for good",
      );
    }
  }
}
