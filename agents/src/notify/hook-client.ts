/**
 * The notifier's event hook as the agents use it: `POST <notifier>/v1/hooks/events` with the bearer
 * token NOTIFIER_HOOK_TOKEN, one `agent_action` event per recipient address (the agent's owner and
 * the agent's own wallet), each with an idempotency key so a retried or repeated announcement is
 * told once (the notifier keeps one event per address and key).
 *
 * Announcing never blocks trading: `announce` only queues; deliveries run in the background, a
 * failure (network error, 408, 429, 5xx) is retried with exponential backoff and jitter, a refusal
 * (400, 401, 403, 404…) is logged and dropped, and the queue is bounded (the oldest is dropped past
 * `maxQueue`). Counters go to the agents service's Prometheus registry.
 */
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Address } from "viem";

export interface AgentAction {
  /** Idempotency key, unique per action (e.g. the agent id and the transaction hash). */
  key: string;
  /** The agent's id as the owner sees it. */
  agent: string;
  /** What the agent did, a short phrase ("placed 2 orders"). */
  action: string;
  /** The details, a sentence or two. */
  detail: string;
  /** Who is told: the owner and the agent's own address (duplicates are told once). */
  recipients: readonly Address[];
}

export interface HookClientOptions {
  /** The notifier's base URL, e.g. http://127.0.0.1:8790. */
  url: string;
  token: string;
  log?: Logger | undefined;
  /** First retry delay (doubles each attempt, ±25 % jitter, capped at maxDelayMs). Default 500 ms. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Attempts per event before it is dropped. Default 12 (about 10 min with the defaults). */
  maxAttempts?: number;
  /** Events waiting or in flight beyond which the oldest waiting one is dropped. Default 1000. */
  maxQueue?: number;
  /** Per-request timeout. Default 5 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface Job {
  body: {
    type: "agent_action";
    key: string;
    address: Address;
    agent: string;
    action: string;
    detail: string;
  };
  attempts: number;
  timer?: NodeJS.Timeout | undefined;
  done: boolean;
}

/** Retried: timeouts, throttling and server errors. Everything else is the request's fault. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export class NotifierHookClient {
  readonly #url: string;
  readonly #token: string;
  readonly #log: Logger | undefined;
  readonly #base: number;
  readonly #max: number;
  readonly #maxAttempts: number;
  readonly #maxQueue: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #jobs = new Set<Job>();
  #idle: (() => void)[] = [];
  #stopped = false;
  #metrics:
    { sent: Counter; retried: Counter; failed: Counter; dropped: Counter; pending: Gauge } | undefined;

  constructor(o: HookClientOptions) {
    let u: URL;
    try {
      u = new URL("/v1/hooks/events", o.url);
    } catch {
      throw new TypeError(`the notifier URL "${o.url}" is not a URL`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:")
      throw new TypeError(`the notifier URL "${o.url}" must be http(s)`);
    if (!o.token) throw new TypeError("the notifier hook token is empty");
    this.#url = u.toString();
    this.#token = o.token;
    this.#log = o.log;
    this.#base = o.baseDelayMs ?? 500;
    this.#max = o.maxDelayMs ?? 60_000;
    this.#maxAttempts = o.maxAttempts ?? 12;
    this.#maxQueue = o.maxQueue ?? 1000;
    this.#timeoutMs = o.timeoutMs ?? 5000;
    this.#fetch = o.fetch ?? fetch;
  }

  /** Registers the hook's counters (sent, retried, failed, dropped, pending) in `registry`. */
  register(registry: Registry): this {
    this.#metrics = {
      sent: new Counter({
        name: "agents_notify_sent_total",
        help: "Agent actions the notifier accepted (per recipient)",
        registers: [registry],
      }),
      retried: new Counter({
        name: "agents_notify_retries_total",
        help: "Hook requests retried after a network error, 408, 429 or 5xx",
        registers: [registry],
      }),
      failed: new Counter({
        name: "agents_notify_failed_total",
        help: "Agent actions given up (refused by the notifier or out of attempts)",
        registers: [registry],
      }),
      dropped: new Counter({
        name: "agents_notify_dropped_total",
        help: "Agent actions dropped because the hook queue was full",
        registers: [registry],
      }),
      pending: new Gauge({
        name: "agents_notify_pending",
        help: "Agent actions waiting for the notifier",
        registers: [registry],
        collect: () => this.#metrics?.pending.set(this.pending),
      }),
    };
    return this;
  }

  /** Events queued or in flight. */
  get pending(): number {
    return this.#jobs.size;
  }

  /** Queues the action for each distinct recipient; returns at once. */
  announce(a: AgentAction): void {
    if (this.#stopped) return;
    const seen = new Set<string>();
    for (const r of a.recipients) {
      const address = r.toLowerCase() as Address;
      if (seen.has(address)) continue;
      seen.add(address);
      if (this.#jobs.size >= this.#maxQueue) {
        const oldest = [...this.#jobs].find((j) => j.timer !== undefined);
        if (!oldest) {
          this.#metrics?.dropped.inc();
          this.#log?.warn({ key: a.key }, "notify_queue_full_dropped");
          continue;
        }
        this.#finish(oldest);
        this.#metrics?.dropped.inc();
        this.#log?.warn({ key: oldest.body.key }, "notify_queue_full_dropped_oldest");
      }
      const job: Job = {
        body: {
          type: "agent_action",
          key: a.key.slice(0, 200),
          address,
          agent: a.agent.slice(0, 100),
          action: a.action.slice(0, 200),
          detail: a.detail.slice(0, 2000),
        },
        attempts: 0,
        done: false,
      };
      this.#jobs.add(job);
      void this.#attempt(job);
    }
  }

  /**
   * Queues an action still being composed (e.g. waiting for a read to word it); counts as pending
   * until it is. A composition that fails is logged and dropped.
   */
  announceLater(p: Promise<AgentAction | undefined>): void {
    if (this.#stopped) return;
    const job: Job = { body: undefined as never, attempts: 0, done: false };
    this.#jobs.add(job);
    p.then(
      (a) => {
        if (a && !job.done) this.announce(a);
      },
      (err: unknown) => this.#log?.warn({ err: String(err) }, "notify_compose_failed"),
    ).finally(() => {
      if (!job.done) this.#finish(job);
    });
  }

  /** Resolves when nothing is queued or in flight (or after `timeoutMs`, false then). */
  async drain(timeoutMs = 30_000): Promise<boolean> {
    if (this.#jobs.size === 0) return true;
    return new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        this.#idle = this.#idle.filter((f) => f !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve(true);
      };
      this.#idle.push(done);
    });
  }

  /** Stops retrying; what is still queued is dropped (logged). */
  stop(): void {
    this.#stopped = true;
    if (this.#jobs.size > 0) this.#log?.warn({ pending: this.#jobs.size }, "notify_stopped_with_pending");
    for (const j of [...this.#jobs]) this.#finish(j);
  }

  #finish(job: Job): void {
    job.done = true;
    clearTimeout(job.timer);
    job.timer = undefined;
    this.#jobs.delete(job);
    if (this.#jobs.size === 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const f of idle) f();
    }
  }

  async #attempt(job: Job): Promise<void> {
    job.timer = undefined;
    if (job.done) return;
    job.attempts += 1;
    let outcome: "ok" | "retry" | "refused";
    let why: string;
    try {
      const res = await this.#fetch(this.#url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.#token}` },
        body: JSON.stringify(job.body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await res.text().catch(() => "");
      why = `${res.status} ${text.slice(0, 300)}`;
      outcome = res.ok ? "ok" : isRetryableStatus(res.status) ? "retry" : "refused";
    } catch (err) {
      why = (err as Error).message;
      outcome = "retry";
    }
    if (job.done) return;
    if (outcome === "ok") {
      this.#metrics?.sent.inc();
      this.#log?.debug({ key: job.body.key, address: job.body.address }, "notify_sent");
      return this.#finish(job);
    }
    if (outcome === "refused" || job.attempts >= this.#maxAttempts || this.#stopped) {
      this.#metrics?.failed.inc();
      this.#log?.warn(
        { key: job.body.key, address: job.body.address, attempts: job.attempts, why },
        outcome === "refused" ? "notify_refused" : "notify_gave_up",
      );
      return this.#finish(job);
    }
    this.#metrics?.retried.inc();
    const delay = Math.min(this.#max, this.#base * 2 ** (job.attempts - 1)) * (0.75 + Math.random() * 0.5);
    this.#log?.debug({ key: job.body.key, attempts: job.attempts, why, delay }, "notify_retry");
    job.timer = setTimeout(() => void this.#attempt(job), delay);
    job.timer.unref?.();
  }
}
