/** Every read and write of the notifier's state, on either database. */
import { randomUUID } from "node:crypto";
import type { Address } from "viem";
import type { Channel, EventType, NotifierEvent } from "../events.ts";
import type { Template } from "../templates.ts";
import type { Database, Row } from "./database.ts";

export type DeliveryStatus = "queued" | "sending" | "sent" | "failed" | "cancelled";

export interface Preferences {
  address: Address;
  email: string | null;
  phone: string | null;
  /** Channels per event type; an event type left out goes to every channel the address set up. */
  subscriptions: Partial<Record<EventType, Channel[]>>;
  /** Quote base units (USDC 6 decimals), or null for no low-balance warning. */
  lowBalanceThreshold: bigint | null;
}

export interface Webhook {
  id: string;
  address: Address;
  url: string;
  secret: string;
  createdAt: number;
}
export interface PushSubscription {
  id: string;
  address: Address;
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface Delivery {
  id: string;
  eventKey: string;
  eventType: EventType;
  address: Address;
  channel: Channel;
  target: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
  occurredAt: number;
}

export interface Attempt {
  attempt: number;
  at: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface NewDelivery {
  address: Address;
  channel: Channel;
  target: string;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

function toDelivery(r: Row): Delivery {
  return {
    id: String(r.id),
    eventKey: String(r.event_key),
    eventType: r.event_type as EventType,
    address: r.address as Address,
    channel: r.channel as Channel,
    target: String(r.target),
    status: r.status as DeliveryStatus,
    attempts: num(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    lastError: (r.last_error as string | null) ?? null,
    createdAt: num(r.created_at),
    sentAt: r.sent_at === null || r.sent_at === undefined ? null : num(r.sent_at),
    occurredAt: num(r.occurred_at),
  };
}

export class NotifierStore {
  readonly db: Database;
  /** Template overrides by "type/channel" (null: none); cleared when one is saved or reset. */
  private templates = new Map<string, Template | null>();
  /** Recently read events (they do not change once stored; a reorg cancels their deliveries instead). */
  private events = new Map<string, NotifierEvent>();
  constructor(db: Database) {
    this.db = db;
  }

  // ---- chain cursor and reorg bookkeeping ----

  async cursor(name: string, db: Database = this.db): Promise<{ block: bigint; hash: string } | undefined> {
    const [r] = await db.all("SELECT block, hash FROM cursors WHERE name = ?", [name]);
    return r ? { block: BigInt(r.block as string | number), hash: String(r.hash) } : undefined;
  }

  async setCursor(db: Database, name: string, block: bigint, hash: string): Promise<void> {
    await db.run(
      "INSERT INTO cursors (name, block, hash) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET block = excluded.block, hash = excluded.hash",
      [name, block.toString(), hash],
    );
  }

  async rememberBlocks(db: Database, blocks: { number: bigint; hash: string }[], keep = 512): Promise<void> {
    for (const b of blocks)
      await db.run(
        "INSERT INTO seen_blocks (number, hash) VALUES (?, ?) ON CONFLICT (number) DO UPDATE SET hash = excluded.hash",
        [b.number.toString(), b.hash],
      );
    const last = blocks.at(-1);
    if (last)
      await db.run("DELETE FROM seen_blocks WHERE number < ?", [(last.number - BigInt(keep)).toString()]);
  }

  async seenBlocksFrom(from: bigint): Promise<{ number: bigint; hash: string }[]> {
    const rows = await this.db.all(
      "SELECT number, hash FROM seen_blocks WHERE number >= ? ORDER BY number DESC",
      [from.toString()],
    );
    return rows.map((r) => ({ number: BigInt(r.number as string | number), hash: String(r.hash) }));
  }

  /**
   * A reorg deeper than the confirmations took away blocks after `block`: their events are marked
   * orphaned and deliveries not yet sent are cancelled. Returns the cancelled deliveries' count.
   */
  async orphanAfter(block: bigint): Promise<number> {
    return this.db.tx(async (db) => {
      await db.run("UPDATE events SET orphaned = 1 WHERE block > ? AND block_hash IS NOT NULL", [
        block.toString(),
      ]);
      const r = await db.run(
        "UPDATE deliveries SET status = 'cancelled', last_error = ? WHERE status IN ('queued', 'sending') AND event_key IN (SELECT key FROM events WHERE orphaned = 1)",
        ["the block of this event left the chain in a reorg"],
      );
      await db.run("DELETE FROM seen_blocks WHERE number > ?", [block.toString()]);
      return r.changes;
    });
  }

  // ---- outbox ----

  /** Stores an event once (by key); true when it is new. Orphaned events come back to life if re-seen. */
  async addEvent(db: Database, e: NotifierEvent): Promise<boolean> {
    const r = await db.run(
      "INSERT INTO events (key, type, block, block_hash, occurred_at, vars, recipients, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
      [
        e.key,
        e.type,
        e.block.toString(),
        e.blockHash,
        e.occurredAt,
        JSON.stringify(e.vars),
        JSON.stringify(e.recipients),
        Date.now(),
      ],
    );
    if (r.changes === 0) {
      const revived = await db.run(
        "UPDATE events SET orphaned = 0, block_hash = ? WHERE key = ? AND orphaned = 1",
        [e.blockHash, e.key],
      );
      return revived.changes > 0;
    }
    return true;
  }

  async event(key: string): Promise<NotifierEvent | undefined> {
    const hit = this.events.get(key);
    if (hit) return hit;
    const e = await this.readEvent(key);
    if (e) {
      if (this.events.size >= 5_000) this.events.delete(this.events.keys().next().value!);
      this.events.set(key, e);
    }
    return e;
  }

  private async readEvent(key: string): Promise<NotifierEvent | undefined> {
    const [r] = await this.db.all("SELECT * FROM events WHERE key = ?", [key]);
    if (!r) return undefined;
    return {
      key: String(r.key),
      type: r.type as EventType,
      recipients: JSON.parse(String(r.recipients)) as Address[],
      vars: JSON.parse(String(r.vars)) as Record<string, string>,
      block: BigInt(r.block as string | number),
      blockHash: (r.block_hash as string | null) ?? null,
      occurredAt: num(r.occurred_at),
    };
  }

  /** Queues one delivery per (event, address, channel, target); an existing one is left as it is. */
  async addDeliveries(db: Database, e: NotifierEvent, ds: NewDelivery[], now = Date.now()): Promise<number> {
    let added = 0;
    for (const d of ds) {
      const r = await db.run(
        "INSERT INTO deliveries (id, event_key, event_type, address, channel, target, status, attempts, next_attempt_at, created_at, occurred_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?) ON CONFLICT (event_key, address, channel, target) DO NOTHING",
        [randomUUID(), e.key, e.type, d.address, d.channel, d.target, now, now, e.occurredAt],
      );
      added += r.changes;
    }
    return added;
  }

  /**
   * Takes up to `limit` due deliveries of one channel and leases them for `leaseMs` (status
   * `sending`): a notifier that dies mid-send leaves them to be taken again after the lease.
   */
  async claimDue(channel: Channel, limit: number, leaseMs: number, now = Date.now()): Promise<Delivery[]> {
    // PostgreSQL: rows locked by another notifier's claim are skipped; SQLite has one writer anyway.
    const lock = this.db.kind === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
    const rows = await this.db.all(
      `UPDATE deliveries SET status = 'sending', next_attempt_at = ? WHERE id IN (
         SELECT id FROM deliveries WHERE channel = ? AND status IN ('queued', 'sending') AND next_attempt_at <= ?
         ORDER BY next_attempt_at LIMIT ?${lock}) RETURNING *`,
      [now + leaseMs, channel, now, limit],
    );
    return rows.map(toDelivery).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Logs an attempt and moves the delivery on, unless a reorg cancelled it meanwhile. */
  async recordAttempt(
    d: Delivery,
    a: Omit<Attempt, "attempt">,
    next: { status: "sent" } | { status: "queued"; at: number } | { status: "failed" },
  ): Promise<number> {
    // The lease makes this process the delivery's only sender: its attempt count is current.
    const attempt = d.attempts + 1;
    return this.db.tx(async (db) => {
      await db.run(
        "INSERT INTO delivery_attempts (delivery_id, attempt, at, ok, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [d.id, attempt, a.at, a.ok ? 1 : 0, a.statusCode, a.error, Math.round(a.durationMs)],
      );
      if (next.status === "sent")
        await db.run(
          "UPDATE deliveries SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL WHERE id = ? AND status = 'sending'",
          [attempt, a.at, d.id],
        );
      else if (next.status === "queued")
        await db.run(
          "UPDATE deliveries SET status = 'queued', attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'sending'",
          [attempt, next.at, a.error, d.id],
        );
      else
        await db.run(
          "UPDATE deliveries SET status = 'failed', attempts = ?, last_error = ? WHERE id = ? AND status = 'sending'",
          [attempt, a.error, d.id],
        );
      return attempt;
    });
  }

  /** Gives back leases of deliveries that were not attempted (a graceful stop). */
  async release(ids: string[], now = Date.now()): Promise<void> {
    for (const id of ids)
      await this.db.run(
        "UPDATE deliveries SET status = 'queued', next_attempt_at = ? WHERE id = ? AND status = 'sending'",
        [now, id],
      );
  }

  async delivery(id: string): Promise<Delivery | undefined> {
    const [r] = await this.db.all("SELECT * FROM deliveries WHERE id = ?", [id]);
    return r ? toDelivery(r) : undefined;
  }

  async attempts(deliveryId: string): Promise<Attempt[]> {
    const rows = await this.db.all("SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt", [
      deliveryId,
    ]);
    return rows.map((r) => ({
      attempt: num(r.attempt),
      at: num(r.at),
      ok: num(r.ok) === 1,
      statusCode: r.status_code === null || r.status_code === undefined ? null : num(r.status_code),
      error: (r.error as string | null) ?? null,
      durationMs: num(r.duration_ms),
    }));
  }

  async deliveriesOf(
    address: Address,
    opts: { status?: DeliveryStatus | undefined; limit?: number; before?: number | undefined } = {},
  ): Promise<Delivery[]> {
    const params: (string | number)[] = [address];
    let sql = "SELECT * FROM deliveries WHERE address = ?";
    if (opts.status) {
      sql += " AND status = ?";
      params.push(opts.status);
    }
    if (opts.before !== undefined) {
      sql += " AND created_at < ?";
      params.push(opts.before);
    }
    sql += " ORDER BY created_at DESC, id LIMIT ?";
    params.push(opts.limit ?? 100);
    return (await this.db.all(sql, params)).map(toDelivery);
  }

  async deliveriesOfEvent(eventKey: string): Promise<Delivery[]> {
    return (
      await this.db.all("SELECT * FROM deliveries WHERE event_key = ? ORDER BY address, channel, target", [
        eventKey,
      ])
    ).map(toDelivery);
  }

  /** Deliveries per channel and status (metrics, health). */
  async counts(): Promise<{ channel: Channel; status: DeliveryStatus; n: number }[]> {
    const rows = await this.db.all(
      "SELECT channel, status, COUNT(*) AS n FROM deliveries GROUP BY channel, status",
    );
    return rows.map((r) => ({
      channel: r.channel as Channel,
      status: r.status as DeliveryStatus,
      n: num(r.n),
    }));
  }

  // ---- preferences and contacts ----

  async preferences(address: Address, db: Database = this.db): Promise<Preferences | undefined> {
    const [r] = await db.all("SELECT * FROM preferences WHERE address = ?", [address]);
    if (!r) return undefined;
    return {
      address,
      email: (r.email as string | null) ?? null,
      phone: (r.phone as string | null) ?? null,
      subscriptions: JSON.parse(String(r.subscriptions)) as Preferences["subscriptions"],
      lowBalanceThreshold: r.low_balance_threshold === null ? null : BigInt(String(r.low_balance_threshold)),
    };
  }

  async setPreferences(p: Preferences): Promise<void> {
    await this.db.run(
      `INSERT INTO preferences (address, email, phone, subscriptions, low_balance_threshold, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (address) DO UPDATE SET email = excluded.email, phone = excluded.phone, subscriptions = excluded.subscriptions,
       low_balance_threshold = excluded.low_balance_threshold, updated_at = excluded.updated_at`,
      [
        p.address,
        p.email,
        p.phone,
        JSON.stringify(p.subscriptions),
        p.lowBalanceThreshold === null ? null : p.lowBalanceThreshold.toString(),
        Date.now(),
      ],
    );
  }

  async webhooks(address: Address, db: Database = this.db): Promise<Webhook[]> {
    const rows = await db.all("SELECT * FROM webhooks WHERE address = ? ORDER BY created_at, id", [address]);
    return rows.map((r) => ({
      id: String(r.id),
      address,
      url: String(r.url),
      secret: String(r.secret),
      createdAt: num(r.created_at),
    }));
  }

  async webhook(id: string): Promise<Webhook | undefined> {
    const [r] = await this.db.all("SELECT * FROM webhooks WHERE id = ?", [id]);
    return r
      ? {
          id,
          address: r.address as Address,
          url: String(r.url),
          secret: String(r.secret),
          createdAt: num(r.created_at),
        }
      : undefined;
  }

  async addWebhook(address: Address, url: string, secret: string): Promise<Webhook> {
    const existing = (await this.webhooks(address)).find((w) => w.url === url);
    if (existing) return existing;
    const w: Webhook = { id: randomUUID(), address, url, secret, createdAt: Date.now() };
    await this.db.run("INSERT INTO webhooks (id, address, url, secret, created_at) VALUES (?, ?, ?, ?, ?)", [
      w.id,
      address,
      url,
      secret,
      w.createdAt,
    ]);
    return w;
  }

  async removeWebhook(address: Address, id: string): Promise<boolean> {
    return (
      (await this.db.run("DELETE FROM webhooks WHERE id = ? AND address = ?", [id, address])).changes > 0
    );
  }

  async pushSubscriptions(address: Address, db: Database = this.db): Promise<PushSubscription[]> {
    const rows = await db.all("SELECT * FROM push_subscriptions WHERE address = ? ORDER BY created_at, id", [
      address,
    ]);
    return rows.map((r) => ({
      id: String(r.id),
      address,
      endpoint: String(r.endpoint),
      p256dh: String(r.p256dh),
      auth: String(r.auth),
    }));
  }

  async pushSubscription(id: string): Promise<PushSubscription | undefined> {
    const [r] = await this.db.all("SELECT * FROM push_subscriptions WHERE id = ?", [id]);
    return r
      ? {
          id,
          address: r.address as Address,
          endpoint: String(r.endpoint),
          p256dh: String(r.p256dh),
          auth: String(r.auth),
        }
      : undefined;
  }

  async addPushSubscription(s: Omit<PushSubscription, "id">): Promise<PushSubscription> {
    const existing = (await this.pushSubscriptions(s.address)).find((p) => p.endpoint === s.endpoint);
    if (existing) {
      await this.db.run("UPDATE push_subscriptions SET p256dh = ?, auth = ? WHERE id = ?", [
        s.p256dh,
        s.auth,
        existing.id,
      ]);
      return { ...existing, p256dh: s.p256dh, auth: s.auth };
    }
    const p = { ...s, id: randomUUID() };
    await this.db.run(
      "INSERT INTO push_subscriptions (id, address, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      [p.id, p.address, p.endpoint, p.p256dh, p.auth, Date.now()],
    );
    return p;
  }

  async removePushSubscription(address: Address, id: string): Promise<boolean> {
    return (
      (await this.db.run("DELETE FROM push_subscriptions WHERE id = ? AND address = ?", [id, address]))
        .changes > 0
    );
  }

  // ---- templates ----

  async templateOverride(type: EventType, channel: Channel): Promise<Template | undefined> {
    const k = `${type}/${channel}`;
    const cached = this.templates.get(k);
    if (cached !== undefined) return cached ?? undefined;
    const [r] = await this.db.all(
      "SELECT subject, text, html FROM templates WHERE event_type = ? AND channel = ?",
      [type, channel],
    );
    const t = r
      ? { subject: String(r.subject), text: String(r.text), html: (r.html as string | null) ?? undefined }
      : null;
    this.templates.set(k, t);
    return t ?? undefined;
  }

  async setTemplate(type: EventType, channel: Channel, t: Template): Promise<void> {
    this.templates.clear();
    await this.db.run(
      `INSERT INTO templates (event_type, channel, subject, text, html, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (event_type, channel) DO UPDATE SET subject = excluded.subject, text = excluded.text, html = excluded.html, updated_at = excluded.updated_at`,
      [type, channel, t.subject, t.text, t.html ?? null, Date.now()],
    );
  }

  async resetTemplate(type: EventType, channel: Channel): Promise<boolean> {
    this.templates.clear();
    return (
      (await this.db.run("DELETE FROM templates WHERE event_type = ? AND channel = ?", [type, channel]))
        .changes > 0
    );
  }

  // ---- SIWE nonces and sessions ----

  async addNonce(nonce: string, now = Date.now()): Promise<void> {
    await this.db.run("INSERT INTO siwe_nonces (nonce, issued_at) VALUES (?, ?)", [nonce, now]);
    await this.db.run("DELETE FROM siwe_nonces WHERE issued_at < ?", [now - 24 * 3600_000]);
  }

  /** Marks a nonce used; false if it was never issued, already used, or older than `maxAgeMs`. */
  async useNonce(nonce: string, maxAgeMs: number, now = Date.now()): Promise<boolean> {
    const r = await this.db.run(
      "UPDATE siwe_nonces SET used = 1 WHERE nonce = ? AND used = 0 AND issued_at >= ?",
      [nonce, now - maxAgeMs],
    );
    return r.changes === 1;
  }

  async addSession(tokenHash: string, address: Address, expiresAt: number): Promise<void> {
    await this.db.run("INSERT INTO sessions (token_hash, address, expires_at) VALUES (?, ?, ?)", [
      tokenHash,
      address,
      expiresAt,
    ]);
  }

  async session(tokenHash: string, now = Date.now()): Promise<Address | undefined> {
    const [r] = await this.db.all("SELECT address FROM sessions WHERE token_hash = ? AND expires_at > ?", [
      tokenHash,
      now,
    ]);
    return r ? (r.address as Address) : undefined;
  }

  async dropSession(tokenHash: string): Promise<void> {
    await this.db.run("DELETE FROM sessions WHERE token_hash = ?", [tokenHash]);
  }

  // ---- in-app messages ----

  async addInApp(m: {
    id: string;
    address: Address;
    eventKey: string;
    eventType: EventType;
    title: string;
    body: string;
  }): Promise<number> {
    const at = Date.now();
    await this.db.run(
      "INSERT INTO inapp_messages (id, address, event_key, event_type, title, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
      [m.id, m.address, m.eventKey, m.eventType, m.title, m.body, at],
    );
    return at;
  }

  async inApp(
    address: Address,
    limit = 50,
  ): Promise<
    { id: string; eventKey: string; eventType: string; title: string; body: string; createdAt: number }[]
  > {
    const rows = await this.db.all(
      "SELECT * FROM inapp_messages WHERE address = ? ORDER BY created_at DESC, id LIMIT ?",
      [address, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      eventKey: String(r.event_key),
      eventType: String(r.event_type),
      title: String(r.title),
      body: String(r.body),
      createdAt: num(r.created_at),
    }));
  }
}
